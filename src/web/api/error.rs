//! The API's one error shape: `{"errors":[{"code","message","field"}]}`, never HTML.

use actix_web::http::StatusCode;
use actix_web::http::header::{ALLOW, CACHE_CONTROL, RETRY_AFTER, WWW_AUTHENTICATE};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::error::AppError;

#[derive(Debug, Clone, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Problem {
    /// A stable, machine-readable name (`invalid_parameter`, `not_found`…).
    pub code: &'static str,
    /// A sentence for the person writing the program.
    pub message: String,
    /// The parameter or field at fault, when there is one.
    pub field: Option<String>,
}

#[derive(Debug, Clone)]
pub struct ApiError {
    status: StatusCode,
    problems: Vec<Problem>,
    retry_after: Option<u64>,
    allow: Option<&'static str>,
    /// Sent beside `errors` (a conflict's saved version).
    extra: Option<(&'static str, serde_json::Value)>,
}

pub type ApiResult<T> = Result<T, ApiError>;

impl ApiError {
    fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError {
            status,
            problems: vec![Problem {
                code,
                message: message.into(),
                field: None,
            }],
            retry_after: None,
            allow: None,
            extra: None,
        }
    }

    /// No key, a malformed one, an unknown one and a revoked one all get this same answer.
    pub fn unauthorized() -> ApiError {
        ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "send a valid admin key as `Authorization: Bearer <key>`",
        )
    }

    /// The site asks for a content key, and none (or no valid one) came.
    pub fn content_key_needed() -> ApiError {
        let mut error = ApiError::new(
            StatusCode::UNAUTHORIZED,
            "unauthorized",
            "this site's content API needs an integration's content key, as ?key=…",
        );
        error.problems[0].field = Some("key".into());
        error
    }

    pub fn forbidden(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// The body is not the JSON the API reads.
    pub fn body(status: StatusCode, code: &'static str, message: impl Into<String>) -> ApiError {
        ApiError::new(status, code, message)
    }

    /// Each field's problem, as the admin's forms show them.
    pub fn invalid_fields(problems: Vec<(String, String)>) -> ApiError {
        let mut error = ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid", "");
        error.problems = problems
            .into_iter()
            .map(|(field, message)| Problem {
                code: "invalid",
                message,
                field: Some(field),
            })
            .collect();
        error
    }

    /// Someone saved since the version the request names; `saved` is what they saved.
    pub fn conflict(message: impl Into<String>, saved: serde_json::Value) -> ApiError {
        let mut error = ApiError::new(StatusCode::CONFLICT, "conflict", message);
        error.problems[0].field = Some("version".into());
        error.extra = Some(("saved", saved));
        error
    }

    /// A query parameter the API cannot use.
    pub fn parameter(field: &str, message: impl Into<String>) -> ApiError {
        let mut error = ApiError::new(StatusCode::BAD_REQUEST, "invalid_parameter", message);
        error.problems[0].field = Some(field.to_string());
        error
    }

    pub fn not_found(message: impl Into<String>) -> ApiError {
        ApiError::new(StatusCode::NOT_FOUND, "not_found", message)
    }

    pub fn method_not_allowed(allow: &'static str) -> ApiError {
        let mut error = ApiError::new(
            StatusCode::METHOD_NOT_ALLOWED,
            "method_not_allowed",
            format!("this address answers {allow} only"),
        );
        error.allow = Some(allow);
        error
    }

    pub fn not_acceptable() -> ApiError {
        ApiError::new(
            StatusCode::NOT_ACCEPTABLE,
            "not_acceptable",
            "the API answers in JSON only: accept application/json",
        )
    }

    pub fn problems(&self) -> &[Problem] {
        &self.problems
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let messages: Vec<&str> = self.problems.iter().map(|p| p.message.as_str()).collect();
        write!(f, "{}", messages.join("; "))
    }
}

/// Every error the API answers with.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct Errors {
    errors: Vec<Problem>,
}

#[derive(Serialize)]
struct Body<'a> {
    errors: &'a [Problem],
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        response.insert_header((CACHE_CONTROL, "no-store"));
        if let Some(seconds) = self.retry_after {
            response.insert_header((RETRY_AFTER, seconds.to_string()));
        }
        if let Some(allow) = self.allow {
            response.insert_header((ALLOW, allow));
        }
        if self.status == StatusCode::UNAUTHORIZED {
            response.insert_header((WWW_AUTHENTICATE, "Bearer realm=\"quire\""));
        }
        let mut extra = serde_json::Map::new();
        if let Some((name, value)) = &self.extra {
            extra.insert(name.to_string(), value.clone());
        }
        response.json(Body {
            errors: &self.problems,
            extra,
        })
    }
}

/// The site's errors, in the API's shape.
impl From<AppError> for ApiError {
    fn from(error: AppError) -> ApiError {
        match error {
            AppError::NotFound => ApiError::not_found("nothing is published at this address"),
            AppError::Gone => ApiError::new(StatusCode::GONE, "gone", "this was removed"),
            AppError::BadRequest(message) => {
                ApiError::new(StatusCode::BAD_REQUEST, "bad_request", message)
            }
            AppError::Forbidden(message) => {
                ApiError::new(StatusCode::FORBIDDEN, "forbidden", message)
            }
            AppError::SignInRequired { .. } | AppError::SecondFactorRequired => ApiError::new(
                StatusCode::UNAUTHORIZED,
                "unauthorized",
                "this needs a valid key",
            ),
            AppError::TooManyRequests { retry_after } => {
                let mut error = ApiError::new(
                    StatusCode::TOO_MANY_REQUESTS,
                    "too_many_requests",
                    format!("too many requests; try again in {retry_after} seconds"),
                );
                error.retry_after = Some(retry_after);
                error
            }
            AppError::Unavailable => {
                let mut error = ApiError::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    "the site is busy; try again in a moment",
                );
                error.retry_after = Some(5);
                error
            }
            AppError::Internal(source) => {
                tracing::error!(error = ?source, "API request failed");
                ApiError::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "something went wrong on our side",
                )
            }
        }
    }
}

impl From<diesel::result::Error> for ApiError {
    fn from(error: diesel::result::Error) -> ApiError {
        AppError::from(error).into()
    }
}
