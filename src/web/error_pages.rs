//! Every error response leaves as a real HTML page in the site's layout.
//!
//! Handlers and extractors fail with a status and, for `AppError`, a message a visitor may
//! read; this middleware renders the page. A GET that would be a 404 first consults the
//! redirects table, so moved content keeps its old addresses working.

use std::sync::Arc;

use crate::telemetry::RequestId;
use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, ContentType, HeaderMap};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{ErrorHandlerResponse, ErrorHandlers};
use actix_web::{HttpMessage, HttpRequest, HttpResponse, web};
use askama::Template;

use crate::clock::now;
use crate::domain::posts::{self, PostLink};
use crate::domain::redirects;
use crate::domain::settings::SiteSettings;
use crate::error::AppError;
use crate::state::AppState;
use crate::web::views::{Layout, Link};

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage {
    layout: Layout,
    status: u16,
    heading: String,
    message: String,
    recent: Vec<Link>,
    request_id: Option<String>,
}

pub fn error_pages<B: MessageBody + 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(render)
}

fn render<B: MessageBody + 'static>(
    response: ServiceResponse<B>,
) -> actix_web::Result<ErrorHandlerResponse<B>> {
    // A page or a JSON answer made on purpose (a script's upload, the API) stays as it is.
    let already_answered = response
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| {
            v.as_bytes().starts_with(b"text/html") || v.as_bytes().starts_with(b"application/json")
        });
    if already_answered || crate::web::api::in_api(response.request().path()) {
        return Ok(ErrorHandlerResponse::Response(
            response.map_into_left_body(),
        ));
    }
    let (request, response) = response.into_parts();
    let message = response
        .error()
        .and_then(|e| e.as_error::<AppError>())
        .map(|e| e.to_string());
    let status = response.status();
    let kept_headers = response.headers().clone();
    Ok(ErrorHandlerResponse::Future(Box::pin(async move {
        let page = error_response(&request, status, message, &kept_headers).await;
        Ok(ServiceResponse::new(request, page).map_into_right_body())
    })))
}

async fn error_response(
    request: &HttpRequest,
    status: StatusCode,
    message: Option<String>,
    kept_headers: &HeaderMap,
) -> HttpResponse<BoxBody> {
    let Some(state) = request.app_data::<web::Data<AppState>>() else {
        return HttpResponse::build(status).finish();
    };
    let is_read = matches!(*request.method(), Method::GET | Method::HEAD);
    let path = request.path().to_string();
    let query = request.query_string().to_string();
    let now = now();
    // After a server-side failure the database may be the problem: don't lean on it.
    let use_db = !status.is_server_error();
    // A redirect added for deleted content's address takes it somewhere new.
    let lookup_redirect =
        (status == StatusCode::NOT_FOUND || status == StatusCode::GONE) && is_read;
    let found = if use_db {
        let site = Arc::clone(&state.site);
        state
            .db
            .run(move |conn| {
                if lookup_redirect
                    && let Some(found) = redirects::find_for_request(conn, &path, &query)?
                {
                    return Ok::<_, AppError>(Err(found));
                }
                let recent = if status == StatusCode::NOT_FOUND || status == StatusCode::GONE {
                    posts::recent(conn, now, 5)?
                } else {
                    Vec::new()
                };
                Ok(Ok((site.current(conn, now)?.settings.clone(), recent)))
            })
            .await
            .ok()
    } else {
        None
    };

    let (settings, recent) = match found {
        Some(Err((redirect, by_query))) => return redirect_response(request, &redirect, by_query),
        Some(Ok(found)) => found,
        None => (SiteSettings::defaults(now), Vec::<PostLink>::new()),
    };

    let (heading, default_message) = describe(status);
    let request_id = request
        .extensions()
        .get::<RequestId>()
        .map(|id| id.to_string())
        .filter(|_| status.is_server_error());
    let mut layout = Layout::new(
        &settings,
        &state.assets,
        &state.config.base_url,
        request.path(),
        Some(heading),
        default_message,
    );
    layout.noindex = true;
    let page = ErrorPage {
        layout,
        status: status.as_u16(),
        heading: heading.to_string(),
        message: message.unwrap_or_else(|| default_message.to_string()),
        recent: recent
            .into_iter()
            .map(|p| Link {
                url: format!("/{}/", p.slug),
                label: p.title,
            })
            .collect(),
        request_id,
    };
    let mut response = HttpResponse::build(status);
    for (name, value) in kept_headers {
        if name != header::CONTENT_TYPE && name != header::CONTENT_LENGTH {
            response.insert_header((name.clone(), value.clone()));
        }
    }
    match page.render() {
        Ok(body) => response
            .content_type(ContentType::html())
            .insert_header((header::CACHE_CONTROL, "no-store"))
            .insert_header(("X-Robots-Tag", "noindex"))
            .body(body),
        Err(error) => {
            tracing::error!(%error, "rendering the error page failed");
            response
                .content_type(ContentType::plaintext())
                .body(heading)
        }
    }
}

/// The answer for a stored redirect; the request's query goes along unless it was part of
/// the address matched.
pub fn redirect_response(
    request: &HttpRequest,
    redirect: &redirects::Redirect,
    by_query: bool,
) -> HttpResponse<BoxBody> {
    let status = if redirect.code == 302 {
        StatusCode::FOUND
    } else {
        StatusCode::MOVED_PERMANENTLY
    };
    let location = match request.query_string() {
        _ if by_query => redirect.to_path.clone(),
        "" => redirect.to_path.clone(),
        query if !redirect.to_path.contains('?') => format!("{}?{query}", redirect.to_path),
        _ => redirect.to_path.clone(),
    };
    HttpResponse::build(status)
        .insert_header((header::LOCATION, location))
        .finish()
}

/// The heading and the default explanation for each status.
fn describe(status: StatusCode) -> (&'static str, &'static str) {
    match status.as_u16() {
        400 => (
            "Bad request",
            "The address or the form could not be understood.",
        ),
        403 => (
            "Not allowed",
            "You do not have permission to see this page.",
        ),
        404 => (
            "Page not found",
            "There is nothing at this address. It may have moved, or the link may be mistyped.",
        ),
        405 => (
            "Method not allowed",
            "This address does not accept that kind of request.",
        ),
        410 => (
            "Page removed",
            "This page has been removed and will not come back.",
        ),
        413 => (
            "Too large",
            "What was sent is larger than this site accepts.",
        ),
        414 => (
            "Address too long",
            "The address is longer than this site accepts.",
        ),
        429 => (
            "Too many requests",
            "Please wait a moment before trying again.",
        ),
        503 => (
            "Temporarily unavailable",
            "The site is busy. Please try again in a moment.",
        ),
        s if s >= 500 => (
            "Something went wrong",
            "Something went wrong on our side. It has been logged; please try again later.",
        ),
        _ => ("Request failed", "The request could not be completed."),
    }
}
