//! One error type for the web layer.
//!
//! The rule: query code returns `QueryResult`, domain code returns its own validation errors,
//! handlers return `AppResult`. A variant carries only what a visitor may see; anything
//! unexpected becomes `Internal`, which is logged once and shown as a bare 500. Diesel's
//! `NotFound` is a 404 and an exhausted pool is a 503. The HTML page for each status is
//! rendered by `web::error_pages`, which has the request and the site's settings at hand.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};

pub type AppResult<T> = Result<T, AppError>;

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    #[error("Page not found")]
    NotFound,
    #[error("This page has been removed")]
    Gone,
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    Forbidden(String),
    /// Not signed in: answered with a redirect to the sign-in page, coming back after.
    #[error("Please sign in first")]
    SignInRequired { next: String },
    /// The site asks staff for a second factor and this person has none yet: answered with
    /// a redirect to setting it up.
    #[error("Set up two-factor sign-in first")]
    SecondFactorRequired,
    #[error("Too many attempts. Please wait {retry_after} seconds and try again.")]
    TooManyRequests { retry_after: u64 },
    #[error("The site is busy; please try again in a moment")]
    Unavailable,
    #[error("Something went wrong on our side")]
    Internal(#[source] anyhow::Error),
}

impl AppError {
    pub fn internal(error: impl Into<anyhow::Error>) -> AppError {
        AppError::Internal(error.into())
    }
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Gone => StatusCode::GONE,
            AppError::BadRequest(_) => StatusCode::BAD_REQUEST,
            AppError::Forbidden(_) => StatusCode::FORBIDDEN,
            AppError::SignInRequired { .. } | AppError::SecondFactorRequired => {
                StatusCode::SEE_OTHER
            }
            AppError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            AppError::Unavailable => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        if let AppError::Internal(source) = self {
            tracing::error!(error = ?source, "request failed");
        }
        let mut response = HttpResponse::build(self.status_code());
        match self {
            AppError::Unavailable => {
                response.insert_header(("Retry-After", "5"));
            }
            AppError::TooManyRequests { retry_after } => {
                response.insert_header(("Retry-After", retry_after.to_string()));
            }
            AppError::SecondFactorRequired => {
                return response
                    .insert_header(("Location", "/account/two-factor"))
                    .insert_header(("Cache-Control", "no-store"))
                    .finish();
            }
            AppError::SignInRequired { next } => {
                return response
                    .insert_header(("Location", crate::auth::identity::sign_in_url(next)))
                    .insert_header(("Cache-Control", "no-store"))
                    .finish();
            }
            _ => {}
        }
        // Plain text here; the error-page middleware replaces it with the site's HTML page.
        response
            .content_type("text/plain; charset=utf-8")
            .body(self.to_string())
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(error: diesel::result::Error) -> AppError {
        match error {
            diesel::result::Error::NotFound => AppError::NotFound,
            other if is_unavailable(&other) => {
                tracing::warn!(error = %other, "the database is busy or unreachable");
                AppError::Unavailable
            }
            other => AppError::Internal(other.into()),
        }
    }
}

/// Whether a database error is the database being busy, full or out of reach (worth a 503
/// and a retry) rather than a fault in the request or in Quire.
pub fn is_unavailable(error: &diesel::result::Error) -> bool {
    use diesel::result::{DatabaseErrorKind, Error};
    let Error::DatabaseError(kind, info) = error else {
        return false;
    };
    if matches!(kind, DatabaseErrorKind::ClosedConnection) {
        return true;
    }
    let message = info.message();
    [
        // SQLite: another connection holds the write lock past the busy timeout; no space.
        "database is locked",
        "database table is locked",
        "database or disk is full",
        "disk I/O error",
        // PostgreSQL: a lock not granted within `lock_timeout`; the server going away.
        "lock timeout",
        "terminating connection",
        "the database system is",
        "server closed the connection",
        "no connection to the server",
    ]
    .iter()
    .any(|marker| message.contains(marker))
}

impl From<diesel::r2d2::PoolError> for AppError {
    fn from(error: diesel::r2d2::PoolError) -> AppError {
        tracing::warn!(%error, "database pool exhausted");
        AppError::Unavailable
    }
}

/// What a use case refused, for callers that answer with an error page rather than the
/// form again.
impl From<crate::domain::write::WriteError> for AppError {
    fn from(error: crate::domain::write::WriteError) -> AppError {
        use crate::domain::write::WriteError;
        match error {
            WriteError::Invalid(errors) => AppError::BadRequest(errors.to_string()),
            WriteError::Forbidden(message) => AppError::Forbidden(message),
            WriteError::NotFound => AppError::NotFound,
            WriteError::Conflict => AppError::BadRequest(
                "It was changed by someone else since you opened it. Go back, reload and try again."
                    .into(),
            ),
            WriteError::Database(error) => error.into(),
        }
    }
}

impl From<askama::Error> for AppError {
    fn from(error: askama::Error) -> AppError {
        AppError::Internal(error.into())
    }
}
