//! Cross-site request forgery defences: a per-session token in every form, checked before
//! the form is read, and a check that a state-changing request comes from this site.

use actix_session::{Session, SessionExt};
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::http::header::{CONTENT_TYPE, ORIGIN};
use actix_web::middleware::Next;
use actix_web::web::{self, Bytes};
use actix_web::{FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use crate::auth::session_store::keys;
use crate::auth::tokens::{random_token, same_secret};
use crate::error::AppError;
use crate::state::AppState;

/// The name of the hidden field every form carries.
pub const FIELD: &str = "csrf_token";

/// This session's token, created (which starts a session) if there is none yet.
pub fn token(session: &Session) -> Result<String, AppError> {
    if let Ok(Some(token)) = session.get::<String>(keys::CSRF) {
        return Ok(token);
    }
    let token = random_token();
    session
        .insert(keys::CSRF, &token)
        .map_err(AppError::internal)?;
    Ok(token)
}

const EXPIRED: &str = "This form has expired or did not come from this site. \
     Go back, reload the page and try again.";

/// Checks a submitted token against the session's; for forms `CsrfForm` cannot read
/// (multipart uploads).
pub fn check(session: &Session, submitted: Option<&str>) -> Result<(), AppError> {
    let expected = session.get::<String>(keys::CSRF).ok().flatten();
    match (expected, submitted) {
        (Some(expected), Some(submitted)) if same_secret(&expected, submitted) => Ok(()),
        _ => Err(AppError::Forbidden(EXPIRED.into())),
    }
}

/// A URL-encoded form whose CSRF token has been checked. Every POST handler takes its input
/// through this (or checks the token itself), so no form is exempt.
pub struct CsrfForm<T>(pub T);

#[derive(Deserialize)]
struct TokenField {
    csrf_token: Option<String>,
}

impl<T: DeserializeOwned + 'static> FromRequest for CsrfForm<T> {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let session = req.get_session();
        let is_form = req
            .headers()
            .get(CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.starts_with("application/x-www-form-urlencoded"));
        let body = Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_form {
                return Err(AppError::BadRequest("expected a submitted form".into()).into());
            }
            let body = body.await?;
            let submitted = serde_urlencoded::from_bytes::<TokenField>(&body)
                .ok()
                .and_then(|f| f.csrf_token);
            check(&session, submitted.as_deref())?;
            let form = serde_urlencoded::from_bytes::<T>(&body)
                .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}.")))?;
            Ok(CsrfForm(form))
        })
    }
}

/// Refuses a state-changing request that a browser says came from another site
/// (`Sec-Fetch-Site`) or that names a foreign `Origin`. Belt and braces with the token.
pub async fn same_origin_writes(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    if !matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS)
        && !req.path().starts_with("/api/")
        && !same_origin(&req)
    {
        // A response (not an `Err`), so the error pages around this render it.
        let (request, _) = req.into_parts();
        let refused = ServiceResponse::from_err(AppError::Forbidden(EXPIRED.into()), request);
        return Ok(refused.map_into_right_body());
    }
    Ok(next.call(req).await?.map_into_left_body())
}

fn same_origin(req: &ServiceRequest) -> bool {
    let headers = req.headers();
    if let Some(site) = headers.get("sec-fetch-site")
        && !matches!(site.as_bytes(), b"same-origin" | b"none")
    {
        return false;
    }
    let Some(origin) = headers.get(ORIGIN).and_then(|v| v.to_str().ok()) else {
        return true;
    };
    let own = {
        let info = req.connection_info();
        format!("{}://{}", info.scheme(), info.host())
    };
    let base_url = req
        .app_data::<web::Data<AppState>>()
        .map(|state| state.config.base_url.clone());
    origin == own || Some(origin) == base_url.as_deref()
}
