//! Liveness and readiness for load balancers and orchestrators.

use actix_web::{HttpResponse, web};
use diesel::connection::SimpleConnection;

use crate::error::AppResult;
use crate::state::AppState;

/// The process is up and answering.
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .body("ok")
}

/// The process can serve pages: the database answers.
pub async fn readyz(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    state.db.run(|conn| conn.batch_execute("SELECT 1")).await?;
    Ok(HttpResponse::Ok()
        .insert_header(("Cache-Control", "no-store"))
        .body("ready"))
}
