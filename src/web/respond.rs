//! Answers every area gives the same way: private pages, post/redirect/get, one-time
//! notices, the layout of a private page, and running a use case.

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, ContentType, LOCATION};
use actix_web::{HttpRequest, HttpResponse};
use askama::Template;

use crate::auth::session_store::keys;
use crate::clock::now;
use crate::db::DbConn;
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::mail::Letterhead;
use crate::state::AppState;
use crate::web::views::Layout;

/// A private HTML response: not stored by any cache, not indexed.
pub fn private(status: StatusCode, page: &impl Template) -> AppResult<HttpResponse> {
    Ok(HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .body(page.render()?))
}

pub fn ok(page: &impl Template) -> AppResult<HttpResponse> {
    private(StatusCode::OK, page)
}

/// A form that did not validate: the page again, with its errors.
pub fn invalid(page: &impl Template) -> AppResult<HttpResponse> {
    private(StatusCode::UNPROCESSABLE_ENTITY, page)
}

/// Post/redirect/get: after a successful form, go to `location` with a 303.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish()
}

/// A one-time notice for the next page this session sees.
pub fn set_notice(session: &Session, notice: &str) {
    let _ = session.insert(keys::FLASH, notice);
}

pub fn take_notice(session: &Session) -> Option<String> {
    // Removing marks the session changed even when there is nothing to remove, and a
    // changed session is written back whole: only take a notice that is there.
    session.get::<String>(keys::FLASH).ok().flatten()?;
    session
        .remove_as::<String>(keys::FLASH)
        .and_then(Result::ok)
}

/// Whether the request asks for JSON (a page's script, rather than a plain form).
pub fn wants_json(req: &HttpRequest) -> bool {
    req.headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("application/json"))
}

/// The header a page's own script sends when it fetches the page again in the background.
pub const REFRESH_HEADER: &str = "x-quire-refresh";

/// The one-time notice, unless this request is a background refresh: a refresh racing the
/// page the notice was meant for must not use it up.
pub fn take_notice_unless_refresh(req: &HttpRequest, session: &Session) -> Option<String> {
    if req.headers().contains_key(REFRESH_HEADER) {
        None
    } else {
        take_notice(session)
    }
}

/// The site's layout for a private page at `path` (noindex, no feeds).
pub async fn layout(state: &AppState, path: &str, title: &str) -> AppResult<Layout> {
    let site = std::sync::Arc::clone(&state.site);
    let snapshot = state.db.run(move |conn| site.current(conn, now())).await?;
    let mut layout = Layout::new(
        &snapshot.settings,
        &state.assets,
        &state.config.base_url,
        path,
        Some(title),
        "",
    );
    layout.noindex = true;
    layout.feeds.clear();
    Ok(layout)
}

/// What a use case refused, for the handler to answer; a database failure has already
/// become the error page.
pub type Refused = WriteError;

/// Runs a use case on the blocking pool. `Ok(Err(refused))` is for the handler to answer
/// (its form again, a 403); a database failure is an `AppError` (503 or 500).
pub async fn use_case<T, F>(state: &AppState, write: F) -> AppResult<Result<T, Refused>>
where
    F: FnOnce(&mut DbConn, &Letterhead) -> Result<T, WriteError> + Send + 'static,
    T: Send + 'static,
{
    let site = std::sync::Arc::clone(&state.site);
    let base_url = state.config.base_url.clone();
    state
        .db
        .run(move |conn| {
            let now = now();
            let head = Letterhead {
                site: site.current(conn, now)?.settings.title.clone(),
                base_url,
                now,
            };
            match write(conn, &head) {
                Err(WriteError::Database(error)) => Err(AppError::from(error)),
                outcome => Ok(outcome),
            }
        })
        .await
}
