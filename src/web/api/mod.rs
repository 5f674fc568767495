//! The JSON API. The content API (public, read-only) answers at `/api/v1/` and, in the same
//! shape, at Ghost's `/ghost/api/content/`, so a headless front end moving from Ghost keeps
//! working. Everything under these prefixes answers JSON, errors included.

pub mod admin;
pub mod content;
pub mod error;
pub mod openapi;
pub mod params;
pub mod views;

use actix_cors::Cors;
use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, CACHE_CONTROL, HeaderValue, LINK};
use actix_web::middleware::{Next, from_fn};
use actix_web::{Error, HttpResponse, web};
use serde::Serialize;

use crate::config::ApiOrigins;
use crate::domain::changes::Touched;
use crate::domain::integrations::{self, KeyKind, Scope};
use crate::state::AppState;
use crate::web::page_cache::Depends;
use crate::web::public::PUBLIC_CACHE;
use error::{ApiError, ApiResult};

/// Where the content API answers.
pub const CONTENT_PREFIXES: &[&str] = &["/api/v1/", "/ghost/api/content/"];

/// Whether `path` is in the JSON API (every answer JSON, never an HTML page).
pub fn in_api(path: &str) -> bool {
    path == "/api" || path.starts_with("/api/") || path.starts_with("/ghost/api/")
}

/// Whether `path` is a read of the content API, which the page cache may keep.
pub fn is_content_read(path: &str) -> bool {
    CONTENT_PREFIXES
        .iter()
        .any(|prefix| path.starts_with(prefix))
        && !path.starts_with("/api/v1/admin/")
}

/// The methods every content resource answers.
const READ_METHODS: &str = "GET, HEAD, OPTIONS";

pub fn routes(cfg: &mut web::ServiceConfig, origins: &ApiOrigins) {
    // The admin API first: its scope would otherwise be taken for unknown content routes.
    // No CORS here: browsers on other sites never get to call it.
    cfg.service(
        web::scope("/api/v1/admin")
            .wrap(from_fn(json_only))
            .configure(admin::resources)
            .default_service(web::to(unknown)),
    );
    for prefix in ["/api/v1", "/ghost/api/content"] {
        cfg.service(
            web::scope(prefix)
                .wrap(from_fn(content_key))
                .wrap(cors(origins))
                .wrap(from_fn(json_only))
                .configure(content::resources)
                .default_service(web::to(unknown)),
        );
    }
    // Every other address under the API's prefixes is a JSON 404 too.
    cfg.service(web::scope("/api").default_service(web::to(unknown)))
        .service(web::scope("/ghost/api").default_service(web::to(unknown)));
}

/// Reading the content API from a browser on another site: GET and HEAD from the configured
/// origins, with the headers a client needs to page (`Link`) and revalidate (`ETag`).
fn cors(origins: &ApiOrigins) -> Cors {
    let cors = Cors::default()
        .allowed_methods(["GET", "HEAD"])
        .allowed_headers([
            header::ACCEPT,
            header::IF_NONE_MATCH,
            header::IF_MODIFIED_SINCE,
        ])
        .allowed_header("Accept-Version")
        .expose_headers([LINK, header::ETAG])
        .max_age(86_400);
    match origins {
        ApiOrigins::Any => cors.allow_any_origin().send_wildcard(),
        ApiOrigins::Only(list) => list
            .iter()
            .fold(cors, |cors, origin| cors.allowed_origin(origin)),
    }
}

/// Refuses an `Accept` the API cannot answer (it speaks JSON only), before any work.
async fn json_only(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, Error> {
    if !accepts_json(req.headers().get(header::ACCEPT)) {
        let response = actix_web::ResponseError::error_response(&ApiError::not_acceptable());
        return Ok(req.into_response(response));
    }
    Ok(next.call(req).await?.map_into_boxed_body())
}

/// Whether an `Accept` header allows JSON (no header allows anything).
fn accepts_json(accept: Option<&HeaderValue>) -> bool {
    let Some(accept) = accept else {
        return true;
    };
    let Ok(accept) = accept.to_str() else {
        return false;
    };
    accept.split(',').any(|range| {
        let mut parts = range.split(';').map(str::trim);
        let media = parts.next().unwrap_or_default().to_ascii_lowercase();
        let refused = parts.any(|p| p.replace(' ', "") == "q=0" || p.replace(' ', "") == "q=0.0");
        !refused
            && matches!(
                media.as_str(),
                "*/*" | "application/*" | "application/json" | "application/problem+json"
            )
    })
}

/// When the site asks for a content key, a read without a valid one (from an integration
/// that may read content) is refused. The setting is read from memory; the database only
/// when it is on, or has just changed.
async fn content_key(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<actix_web::body::BoxBody>, Error> {
    let state = req.app_data::<web::Data<AppState>>().cloned();
    let Some(state) = state.filter(|_| !req.path().ends_with("/openapi.json")) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let required = state
        .site
        .held()
        .map(|s| s.settings.content_api_key_required);
    if required == Some(false) {
        return Ok(next.call(req).await?.map_into_boxed_body());
    }
    let key = url::form_urlencoded::parse(req.query_string().as_bytes())
        .find(|(name, _)| name == "key")
        .map(|(_, value)| value.into_owned());
    let site = std::sync::Arc::clone(&state.site);
    let allowed = state
        .db
        .run(move |conn| {
            let now = crate::clock::now();
            if !site.current(conn, now)?.settings.content_api_key_required {
                return Ok::<_, diesel::result::Error>(true);
            }
            let Some(key) = key else {
                return Ok(false);
            };
            Ok(
                integrations::authenticate(conn, KeyKind::Content, &key, now)?
                    .is_some_and(|found| found.allows(Scope::ContentRead)),
            )
        })
        .await;
    let refused = match allowed {
        Ok(true) => return Ok(next.call(req).await?.map_into_boxed_body()),
        Ok(false) => ApiError::content_key_needed(),
        Err(error) => ApiError::from(error),
    };
    let response = actix_web::ResponseError::error_response(&refused);
    Ok(req.into_response(response))
}

async fn unknown(req: actix_web::HttpRequest) -> ApiResult<HttpResponse> {
    Err(ApiError::not_found(format!(
        "the API has nothing at {}",
        req.path()
    )))
}

/// A content resource: read methods, and a JSON 405 naming them for any other.
fn resource<F, Args>(path: &str, handler: F) -> actix_web::Resource
where
    F: actix_web::Handler<Args>,
    Args: actix_web::FromRequest + 'static,
    F::Output: actix_web::Responder + 'static,
{
    web::resource(path)
        .route(super::read().to(handler))
        .default_service(web::to(|| async {
            Err::<HttpResponse, _>(ApiError::method_not_allowed(READ_METHODS))
        }))
}

/// A 200 with a JSON body the page cache may keep, dropped when what it `shows` changes
/// (`None`: when anything changes).
pub fn json_ok(
    body: &impl Serialize,
    shows: Option<Vec<Touched>>,
    link: Option<String>,
) -> ApiResult<HttpResponse> {
    let body = serde_json::to_vec(body).map_err(crate::error::AppError::internal)?;
    let mut response = HttpResponse::Ok();
    response
        .content_type("application/json")
        .insert_header((CACHE_CONTROL, PUBLIC_CACHE));
    if let Some(link) = link {
        response.insert_header((LINK, link));
    }
    let response = response.body(body);
    Ok(match shows {
        Some(parts) => Depends::on(response, parts),
        None => response,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_acceptable_unless_excluded() {
        let accepts = |v: &str| accepts_json(Some(&HeaderValue::from_str(v).unwrap()));
        assert!(accepts_json(None));
        for ok in [
            "*/*",
            "application/json",
            "text/html, application/*;q=0.5",
            "APPLICATION/JSON",
        ] {
            assert!(accepts(ok), "{ok}");
        }
        for refused in [
            "text/html",
            "application/xml",
            "application/json;q=0",
            "image/*",
        ] {
            assert!(!accepts(refused), "{refused}");
        }
    }

    #[test]
    fn only_content_reads_are_cacheable() {
        assert!(is_content_read("/api/v1/posts/"));
        assert!(is_content_read("/ghost/api/content/posts/slug/welcome/"));
        assert!(!is_content_read("/api/v1/admin/posts/"));
        assert!(!is_content_read("/api/v2/posts/"));
        assert!(in_api("/api/v2/posts/") && in_api("/ghost/api/admin/"));
        assert!(!in_api("/ghost/") && !in_api("/apiary/"));
    }
}
