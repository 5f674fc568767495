//! Pages for readers: home, posts and pages, tags and authors.

pub mod author;
pub mod collection;
pub mod comments;
pub mod guest_comments;
pub mod home;
pub mod likes;
pub mod post;
pub mod search;
pub mod tag;

use actix_web::HttpResponse;
use actix_web::http::header::{CACHE_CONTROL, ContentType, HttpDate, LAST_MODIFIED, LOCATION};
use chrono::NaiveDateTime;

use crate::domain::changes::Touched;
use crate::error::AppResult;
use crate::web::page_cache::Depends;
use crate::web::views::PublicPage;

/// Public pages may be cached briefly and must then be revalidated.
pub const PUBLIC_CACHE: &str = "public, max-age=60, must-revalidate";

/// Renders a public page with its validators and index decision. `last_change` is when the
/// site last changed (see `domain::changes`); the ETag is added by `web::conditional`.
/// `shows` is what the page shows, for the page cache (`Depends`).
pub fn page_response(
    page: &impl PublicPage,
    last_change: NaiveDateTime,
    shows: Vec<Touched>,
) -> AppResult<HttpResponse> {
    let mut response = HttpResponse::Ok();
    response
        .content_type(ContentType::html())
        .insert_header((CACHE_CONTROL, PUBLIC_CACHE))
        .insert_header((LAST_MODIFIED, http_date(last_change)));
    if page.layout().noindex {
        response.insert_header(("X-Robots-Tag", "noindex"));
    }
    Ok(Depends::on(response.body(page.render()?), shows))
}

/// An HTTP date (for Last-Modified) from a naive UTC time.
pub fn http_date(at: NaiveDateTime) -> HttpDate {
    HttpDate::from(std::time::SystemTime::from(at.and_utc()))
}

pub fn moved_permanently(location: &str) -> HttpResponse {
    HttpResponse::MovedPermanently()
        .insert_header((LOCATION, location))
        .finish()
}

/// Whether `slug` could be a slug at all; anything else is answered 404 without a query.
pub fn plausible_slug(slug: &str) -> bool {
    crate::render::Slug::parse(slug).is_ok()
}
