//! The session cookie: actix-session over the database store, plus "remember me".
//!
//! actix-session gives every session the same cookie lifetime. Quire's cookie is a browser
//! session cookie unless the person ticked "remember me"; for them, the cookie written with
//! the response is given a `Max-Age`. `mark_remembered` (inside the session middleware)
//! notes the choice on the response, and `extend_remembered_cookie` (outside it) applies it.

use actix_session::config::{BrowserSession, TtlExtensionPolicy};
use actix_session::{SessionExt, SessionMiddleware};
use actix_web::body::{BoxBody, MessageBody};
use actix_web::cookie::{Cookie, Key, SameSite, time};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderValue, SET_COOKIE};
use actix_web::middleware::Next;

use crate::auth::session_store::{self, DbSessionStore, keys};
use crate::db::Db;
use crate::domain::sessions::REMEMBERED;
use crate::error::AppError;
use crate::web::page_cache::SESSION_COOKIE;

pub fn middleware(db: Db, secret_key: &[u8], https: bool) -> SessionMiddleware<DbSessionStore> {
    let key = Key::try_from(secret_key).expect("the secret key is 64 bytes (checked in config)");
    SessionMiddleware::builder(DbSessionStore::new(db), key)
        .cookie_name(SESSION_COOKIE.to_string())
        .cookie_http_only(true)
        .cookie_secure(https)
        .cookie_same_site(SameSite::Lax)
        .cookie_path("/".to_string())
        .session_lifecycle(
            BrowserSession::default()
                .state_ttl(time::Duration::days(30))
                // Lets the store note when a session was last used (at most once a minute).
                .state_ttl_extension_policy(TtlExtensionPolicy::OnEveryRequest),
        )
        .build()
}

/// The session layer fails only when its database does (it cannot read or write a session
/// row: locked, full or unreachable). actix-session would answer that with an empty 500;
/// instead the store notes the failure for the request it serves (`session_store::watch`)
/// and this answers 503 with `Retry-After`, in the site's error page, with the request's
/// id in the page and in the log.
pub async fn unavailable_when_the_store_fails(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let (response, failed) = session_store::watch(next.call(req)).await;
    let response = response?;
    if !failed {
        return Ok(response.map_into_boxed_body());
    }
    tracing::error!("the session store failed; answering 503");
    let request = response.request().clone();
    Ok(ServiceResponse::from_err(AppError::Unavailable, request))
}

/// Marks a response whose session asked to be remembered.
#[derive(Clone, Copy)]
struct Remembered;

pub async fn mark_remembered(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let session = req.get_session();
    let mut response = next.call(req).await?;
    if session.get::<bool>(keys::REMEMBER).ok().flatten() == Some(true) {
        response.response_mut().extensions_mut().insert(Remembered);
    }
    Ok(response)
}

pub async fn extend_remembered_cookie(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let mut response = next.call(req).await?;
    if response
        .response()
        .extensions()
        .get::<Remembered>()
        .is_none()
    {
        return Ok(response);
    }
    let headers = response.headers_mut();
    let cookies: Vec<HeaderValue> = headers.get_all(SET_COOKIE).cloned().collect();
    headers.remove(SET_COOKIE);
    for value in cookies {
        let extended = value
            .to_str()
            .ok()
            .and_then(|raw| Cookie::parse(raw.to_string()).ok())
            .filter(|c| {
                c.name() == SESSION_COOKIE && !c.value().is_empty() && c.max_age().is_none()
            })
            .and_then(|mut cookie| {
                cookie.set_max_age(time::Duration::seconds(REMEMBERED.num_seconds()));
                HeaderValue::from_str(&cookie.to_string()).ok()
            });
        headers.append(SET_COOKIE, extended.unwrap_or(value));
    }
    Ok(response)
}

/// The user agent, summarised, for the list of sessions.
pub fn device(req: &actix_web::HttpRequest) -> String {
    let agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    crate::auth::identity::describe_device(agent)
}
