//! The admin API under `/api/v1/admin/`: what the admin's forms do, for programs holding an
//! integration's admin key (`Authorization: Bearer quire_…`). A cookie never authenticates
//! here, so there is nothing to forge across sites. Each handler checks the key's scope,
//! then calls the same use case the admin's form calls.

pub mod images;
pub mod posts;
pub mod redirects;
pub mod settings;
pub mod tags;
pub mod users;
pub mod webhooks;

use actix_web::http::StatusCode;
use actix_web::http::header::{AUTHORIZATION, CONTENT_TYPE};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::error::{ApiError, ApiResult};
use crate::auth::permissions::Permission;
use crate::clock::now;
use crate::domain::integrations::{self, Integration, KeyKind, Scope};
use crate::domain::users::{Status, User};
use crate::domain::write::{Actor, WriteError};
use crate::state::AppState;

/// The largest request body read: room for the 2 MB Markdown limit, escaped.
pub const BODY_LIMIT: usize = 8 * 1024 * 1024;

pub fn resources(cfg: &mut web::ServiceConfig) {
    posts::resources(cfg);
    tags::resources(cfg);
    redirects::resources(cfg);
    users::resources(cfg);
    settings::resources(cfg);
    images::resources(cfg);
    webhooks::resources(cfg);
}

/// A field that may be left out but, when sent, is not `null` (a change to nothing).
pub fn not_null<'de, D, T>(deserializer: D) -> Result<Option<T>, D::Error>
where
    D: serde::Deserializer<'de>,
    T: serde::Deserialize<'de>,
{
    match Option::<T>::deserialize(deserializer)? {
        Some(value) => Ok(Some(value)),
        None => Err(serde::de::Error::custom(
            "null is not a value here; leave the field out to keep it",
        )),
    }
}

/// A JSON answer no cache keeps.
pub fn reply(status: StatusCode, body: &serde_json::Value) -> actix_web::HttpResponse {
    actix_web::HttpResponse::build(status)
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(body)
}

pub async fn not_allowed(allow: &'static str) -> ApiResult<actix_web::HttpResponse> {
    Err(ApiError::method_not_allowed(allow))
}

/// `meta.pagination` for `total` items seen through `window`.
pub fn pagination(window: crate::domain::browse::Window, total: i64) -> serde_json::Value {
    serde_json::to_value(crate::web::api::content::Pagination::new(window, total))
        .unwrap_or_default()
}

/// `limit` and `page`, in the OpenAPI document.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct WindowParams {
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    #[param(minimum = 1, maximum = 1_000_000)]
    page: Option<i64>,
}

/// The integration a request's admin key belongs to, and for a personal token the member
/// of staff it acts as.
pub struct Caller {
    pub integration: Integration,
    person: Option<User>,
}

impl Caller {
    /// Who the use cases see: the integration (an administrator, narrowed by its scopes),
    /// or the person a personal token belongs to, with their role's rights.
    pub fn actor(&self) -> Actor {
        match &self.person {
            Some(person) => Actor::of(person),
            None => self.integration.actor(),
        }
    }

    /// Refuses unless the key was granted `scope`: an integration's own grant, or for a
    /// personal token what its owner's role allows.
    pub fn require(&self, scope: Scope) -> ApiResult<()> {
        let allowed = match &self.person {
            Some(person) => person.role.can(scope.permission()),
            None => self.integration.allows(scope),
        };
        if allowed {
            Ok(())
        } else {
            Err(ApiError::forbidden(format!(
                "this key lacks the {scope} scope"
            )))
        }
    }
}

impl FromRequest for Caller {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Caller, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let key = bearer_key(req);
        Box::pin(async move {
            let (Some(state), Some(key)) = (state, key) else {
                return Err(ApiError::unauthorized());
            };
            let (integration, person) = state
                .db
                .run(move |conn| {
                    let Some(found) =
                        integrations::authenticate(conn, KeyKind::Admin, &key, now())?
                    else {
                        return Ok::<_, diesel::result::Error>(None);
                    };
                    let person = match found.user_id {
                        Some(id) => match crate::domain::users::by_id(conn, id)? {
                            Some(user) => Some(user),
                            None => return Ok(None),
                        },
                        None => None,
                    };
                    Ok(Some((found, person)))
                })
                .await?
                .ok_or_else(ApiError::unauthorized)?;
            // A personal token works only while its owner could sign in to the admin.
            if person
                .as_ref()
                .is_some_and(|p| p.status != Status::Active || !p.role.can(Permission::UseAdmin))
            {
                return Err(ApiError::unauthorized());
            }
            state.limits.check_api_key(integration.id)?;
            Ok(Caller {
                integration,
                person,
            })
        })
    }
}

/// The admin key in `Authorization: Bearer …`, when it has the form of one (anything else
/// is refused without a query).
fn bearer_key(req: &HttpRequest) -> Option<String> {
    let value = req.headers().get(AUTHORIZATION)?.to_str().ok()?;
    let (scheme, key) = value.trim().split_once(' ')?;
    let key = key.trim();
    let well_formed = scheme.eq_ignore_ascii_case("bearer")
        && key.len() == 54
        && key.starts_with("quire_")
        && key[6..].bytes().all(|b| b.is_ascii_hexdigit());
    well_formed.then(|| key.to_string())
}

/// Refuses a body whose `Content-Type` is not `media_type` (415), saying how to send it.
pub fn require_body_type(req: &HttpRequest, media_type: &str, how: &str) -> ApiResult<()> {
    let matches = req
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().to_ascii_lowercase().starts_with(media_type));
    if matches {
        Ok(())
    } else {
        Err(ApiError::body(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
            how,
        ))
    }
}

/// Reads a JSON body of type `T`: not JSON, too large, malformed, with unknown fields or
/// fields of the wrong type, it is refused with a message naming the field.
pub async fn read_json<T: DeserializeOwned>(
    req: &HttpRequest,
    mut payload: web::Payload,
) -> ApiResult<T> {
    require_body_type(
        req,
        "application/json",
        "send the body as JSON, with Content-Type: application/json",
    )?;
    let mut body = web::BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| {
            ApiError::body(
                StatusCode::BAD_REQUEST,
                "invalid_body",
                "the body could not be read",
            )
        })?;
        if body.len() + chunk.len() > BODY_LIMIT {
            return Err(ApiError::body(
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                format!("the body is larger than {} MB", BODY_LIMIT >> 20),
            ));
        }
        body.extend_from_slice(&chunk);
    }
    parse_json(&body)
}

fn parse_json<T: DeserializeOwned>(body: &[u8]) -> ApiResult<T> {
    let text = std::str::from_utf8(body).map_err(|e| {
        ApiError::body(
            StatusCode::BAD_REQUEST,
            "invalid_json",
            format!("the body is not UTF-8 (at byte {})", e.valid_up_to()),
        )
    })?;
    if !text.trim_start().starts_with('{') {
        return Err(ApiError::invalid_fields(vec![(
            "body".into(),
            "the body is one JSON object, {…}".into(),
        )]));
    }
    let mut reader = serde_json::Deserializer::from_str(text);
    let value = serde_path_to_error::deserialize(&mut reader).map_err(|error| {
        let path = error.path().to_string();
        let inner = error.into_inner();
        if inner.is_data() {
            let field = if path == "." {
                "body".to_string()
            } else {
                path
            };
            ApiError::invalid_fields(vec![(field, data_message(&inner.to_string()))])
        } else {
            not_json(&inner)
        }
    })?;
    reader.end().map_err(|e| not_json(&e))?;
    Ok(value)
}

fn not_json(error: &serde_json::Error) -> ApiError {
    ApiError::body(
        StatusCode::BAD_REQUEST,
        "invalid_json",
        format!("the body is not valid JSON: {error}"),
    )
}

/// serde's message without its position (the field is named beside it).
fn data_message(message: &str) -> String {
    match message.rfind(" at line ") {
        Some(at) => message[..at].to_string(),
        None => message.to_string(),
    }
}

/// A use case's refusal in the API's shape. `field_names` renames the forms' field names
/// to the API's (`publish_at` → `published_at`).
pub fn refused(error: WriteError, field_names: &[(&str, &str)]) -> ApiError {
    match error {
        WriteError::Invalid(errors) => ApiError::invalid_fields(
            errors
                .iter()
                .map(|(field, message)| {
                    let name = field_names
                        .iter()
                        .find(|(form, _)| *form == field)
                        .map_or(field, |(_, api)| *api);
                    (name.to_string(), message.to_string())
                })
                .collect(),
        ),
        WriteError::Forbidden(message) => ApiError::forbidden(message),
        WriteError::NotFound => ApiError::not_found("it no longer exists"),
        WriteError::Conflict => ApiError::conflict(
            "it was changed since the version sent; read it again",
            serde_json::Value::Null,
        ),
        WriteError::Database(error) => error.into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug)]
    #[serde(deny_unknown_fields)]
    #[allow(dead_code)]
    struct Body {
        title: String,
        #[serde(default)]
        tags: Vec<String>,
    }

    fn problem(error: ApiError) -> (String, String, String) {
        let p = &error.problems()[0];
        (
            p.code.to_string(),
            p.field.clone().unwrap_or_default(),
            p.message.clone(),
        )
    }

    #[test]
    fn bodies_are_refused_with_the_field_at_fault() {
        let (code, field, message) = problem(parse_json::<Body>(br#"{"title": 5}"#).unwrap_err());
        assert_eq!((code.as_str(), field.as_str()), ("invalid", "title"));
        assert!(
            message.starts_with("invalid type: integer `5`, expected a string"),
            "{message}"
        );
        let (_, field, message) =
            problem(parse_json::<Body>(br#"{"title": "x", "colour": 1}"#).unwrap_err());
        assert_eq!(field, "colour");
        assert!(message.contains("unknown field `colour`"), "{message}");
        let (_, field, _) =
            problem(parse_json::<Body>(br#"{"title": "x", "tags": [1]}"#).unwrap_err());
        assert_eq!(field, "tags[0]");
        let (_, field, message) = problem(parse_json::<Body>(b"{}").unwrap_err());
        assert_eq!(field, "body");
        assert!(message.contains("missing field `title`"), "{message}");
        let (_, field, _) = problem(parse_json::<Body>(b"[1, 2]").unwrap_err());
        assert_eq!(field, "body");
        for broken in [&b"{\"title\": "[..], b"{\"title\": \"x\"} {}", b"\xff"] {
            let (code, _, _) = problem(parse_json::<Body>(broken).unwrap_err());
            assert_eq!(code, "invalid_json", "{}", String::from_utf8_lossy(broken));
        }
    }
}
