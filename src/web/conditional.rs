//! Conditional GET for public pages, feeds and sitemaps: a strong ETag on every 200, and 304
//! Not Modified when the client already holds the same representation.
//!
//! This runs outside compression, so the ETag belongs to the bytes actually sent: a gzip and
//! an identity response of the same page get different tags, as strong ETags must.
//! Streamed responses (sitemaps) bring their own ETag and are never buffered; an encoding
//! suffix is added to it here.

use actix_web::body::{BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderMap, HeaderValue, HttpDate};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

/// Content types whose 200 responses get validators; static files have their own.
const VALIDATED_TYPES: &[&str] = &[
    "text/html",
    "application/xml",
    "text/xml",
    "application/rss+xml",
    "application/atom+xml",
    "application/feed+json",
    "text/plain",
    "application/json",
];

/// What the client sent that decides between 200 and 304: the one rule the page cache and
/// this middleware both apply.
pub struct Conditions {
    if_none_match: Option<String>,
    if_modified_since: Option<HttpDate>,
}

impl Conditions {
    pub fn read(headers: &HeaderMap) -> Conditions {
        Conditions {
            if_none_match: header_text(headers, header::IF_NONE_MATCH),
            if_modified_since: header_text(headers, header::IF_MODIFIED_SINCE)
                .and_then(|v| v.parse().ok()),
        }
    }

    /// Reads and removes the conditions, so what renders below sees a plain request.
    pub fn take(headers: &mut HeaderMap) -> Conditions {
        let conditions = Conditions::read(headers);
        headers.remove(header::IF_NONE_MATCH);
        headers.remove(header::IF_MODIFIED_SINCE);
        conditions
    }

    /// Whether the client's copy is current: `If-None-Match` decides when sent (weak
    /// comparison), else `If-Modified-Since` against `Last-Modified`.
    pub fn fresh(&self, etag: &str, last_modified: Option<HttpDate>) -> bool {
        match (&self.if_none_match, self.if_modified_since, last_modified) {
            (Some(tags), _, _) => matches_any(tags, etag),
            (None, Some(since), Some(modified)) => modified <= since,
            _ => false,
        }
    }
}

pub async fn conditional_get(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let is_read = matches!(*req.method(), Method::GET | Method::HEAD);
    let conditions = Conditions::read(req.headers());
    let response = next.call(req).await?;
    if !is_read || response.status() != StatusCode::OK || !validated(response.headers()) {
        return Ok(response.map_into_boxed_body());
    }

    let (request, response) = response.into_parts();
    let (mut head, body) = response.into_parts();
    let encoding = header_text(head.headers(), header::CONTENT_ENCODING);
    let (etag, body) = match header_text(head.headers(), header::ETAG) {
        Some(given) => (with_encoding(&given, encoding.as_deref()), body.boxed()),
        None => {
            let bytes = actix_web::body::to_bytes(body)
                .await
                .map_err(|e| actix_web::error::ErrorInternalServerError(e.into().to_string()))?;
            (etag_of(&bytes), bytes.boxed())
        }
    };
    if let Ok(value) = HeaderValue::from_str(&etag) {
        head.headers_mut().insert(header::ETAG, value);
    }

    let last_modified =
        header_text(head.headers(), header::LAST_MODIFIED).and_then(|v| v.parse::<HttpDate>().ok());
    let fresh = conditions.fresh(&etag, last_modified);
    let response = if fresh {
        not_modified(head.headers())
    } else {
        head.set_body(body)
    };
    Ok(ServiceResponse::new(request, response))
}

/// A strong ETag for `bytes`: a 128-bit XXH3 of them. Not cryptographic, which a validator
/// need not be (the client only sends back what it was given); about thirty times cheaper
/// than SHA-256 on a page, and the same for the same bytes across restarts and instances.
pub fn etag_of(bytes: &[u8]) -> String {
    format!("\"{:032x}\"", xxhash_rust::xxh3::xxh3_128(bytes))
}

fn header_text(headers: &HeaderMap, name: header::HeaderName) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

fn validated(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|ct| VALIDATED_TYPES.iter().any(|t| ct.starts_with(t)))
}

/// Tags a handler-supplied ETag with the content encoding, so each encoding's tag differs.
fn with_encoding(etag: &str, encoding: Option<&str>) -> String {
    match encoding.filter(|e| *e != "identity") {
        Some(encoding) if etag.ends_with('"') => {
            format!("{}-{encoding}\"", &etag[..etag.len() - 1])
        }
        _ => etag.to_string(),
    }
}

/// `If-None-Match` uses weak comparison: `W/"x"` and `"x"` match each other; `*` matches
/// anything.
fn matches_any(header: &str, etag: &str) -> bool {
    fn opaque(tag: &str) -> &str {
        tag.strip_prefix("W/").unwrap_or(tag)
    }
    let etag = opaque(etag);
    header
        .split(',')
        .map(str::trim)
        .any(|candidate| candidate == "*" || opaque(candidate) == etag)
}

/// A 304 carries the validators and caching headers the 200 would have, and no body.
fn not_modified(headers: &HeaderMap) -> HttpResponse<BoxBody> {
    let mut response = HttpResponse::NotModified();
    for name in [
        header::ETAG,
        header::LAST_MODIFIED,
        header::CACHE_CONTROL,
        header::VARY,
        header::EXPIRES,
        header::CONTENT_LOCATION,
        header::X_CONTENT_TYPE_OPTIONS,
    ] {
        if let Some(value) = headers.get(&name) {
            response.insert_header((name, value.clone()));
        }
    }
    if let Some(robots) = headers.get("x-robots-tag") {
        response.insert_header(("x-robots-tag", robots.clone()));
    }
    response.finish()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn if_none_match_uses_weak_comparison() {
        assert!(matches_any("\"a\"", "\"a\""));
        assert!(matches_any("W/\"a\"", "\"a\""));
        assert!(matches_any("W/\"a-br\"", "W/\"a-br\""));
        assert!(matches_any("\"a-br\"", "W/\"a-br\""));
        assert!(matches_any("\"x\", \"a\"", "\"a\""));
        assert!(matches_any("*", "\"a\""));
        assert!(!matches_any("\"b\"", "\"a\""));
        assert!(!matches_any("", "\"a\""));
    }

    #[test]
    fn encodings_get_their_own_tag() {
        assert_eq!(with_encoding("\"abc\"", Some("gzip")), "\"abc-gzip\"");
        assert_eq!(with_encoding("\"abc\"", None), "\"abc\"");
        assert_eq!(with_encoding("\"abc\"", Some("identity")), "\"abc\"");
    }
}
