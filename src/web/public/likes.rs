//! Liking a post: a plain form that returns to the post, or, asked for JSON by the page's
//! script, the new state to show in place.

use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::csrf::CsrfForm;
use crate::auth::identity::SignedIn;
use crate::domain::likes;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::respond::{see_other, use_case, wants_json};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LikeForm {
    /// "yes" to like, "no" to take the like back.
    liked: String,
}

async fn post_address(state: &AppState, post_id: i64) -> AppResult<String> {
    let slug = state
        .db
        .run(move |conn| crate::domain::posts::live_slug(conn, post_id, crate::clock::now()))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok(format!("/{slug}/#likes"))
}

pub async fn set(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: SignedIn,
    post_id: web::Path<i64>,
    CsrfForm(form): CsrfForm<LikeForm>,
) -> AppResult<HttpResponse> {
    let post_id = post_id.into_inner();
    let liked = match form.liked.as_str() {
        "yes" => true,
        "no" => false,
        _ => {
            return Err(AppError::BadRequest(
                "Say whether you like the post.".into(),
            ));
        }
    };
    let actor = me.actor();
    let state_now = use_case(&state, move |conn, head| {
        likes::set(conn, &actor, post_id, liked, head.now)
    })
    .await??;
    if wants_json(&req) {
        return Ok(HttpResponse::Ok()
            .insert_header((CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({ "liked": state_now.mine, "count": state_now.count })));
    }
    Ok(see_other(&post_address(&state, post_id).await?))
}

/// Where a reader sent to sign in on the way to liking comes back to: the post.
pub async fn back_to_post(
    state: web::Data<AppState>,
    post_id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    Ok(see_other(
        &post_address(&state, post_id.into_inner()).await?,
    ))
}
