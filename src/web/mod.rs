//! HTTP by area. `routes` is the one place that maps URLs to handlers.

pub mod assets;
pub mod canonical;
pub mod conditional;
pub mod error_pages;
pub mod health;
pub mod page_cache;
pub mod public;
pub mod security;
pub mod seo;
pub mod views;

use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpResponse, Route, guard, middleware, web};

use crate::error::{AppError, AppResult};

/// A route answering GET and HEAD alike (HEAD gets the headers without the body).
fn read() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// Fingerprinted assets never change under the same name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub fn routes(cfg: &mut web::ServiceConfig, static_dir: &std::path::Path) {
    use public::{author, home, post, tag};
    use seo::{feeds, robots, sitemaps};
    cfg.service(
        web::scope("/static")
            .wrap(
                middleware::DefaultHeaders::new()
                    .add((CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE))),
            )
            .service(
                actix_files::Files::new("", static_dir)
                    .use_etag(true)
                    .try_compressed(),
            ),
    )
    .route("/healthz", read().to(health::healthz))
    .route("/readyz", read().to(health::readyz))
    .route("/robots.txt", read().to(robots::robots_txt))
    .route("/sitemap.xml", read().to(sitemaps::sitemap_index))
    .route("/sitemap-{name}.xml", read().to(sitemaps::sitemap_file))
    .route("/rss/", read().to(feeds::site_rss))
    .route("/atom.xml", read().to(feeds::site_atom))
    .route("/feed.json", read().to(feeds::site_json))
    .route("/tag/{slug}/rss/", read().to(feeds::tag_rss))
    .route("/tag/{slug}/atom.xml", read().to(feeds::tag_atom))
    .route("/tag/{slug}/feed.json", read().to(feeds::tag_json))
    .route("/author/{slug}/rss/", read().to(feeds::author_rss))
    .route("/author/{slug}/atom.xml", read().to(feeds::author_atom))
    .route("/author/{slug}/feed.json", read().to(feeds::author_json))
    .route("/", read().to(home::show_home))
    .route("/page/{n}/", read().to(home::show_home_page))
    .route("/tag/{slug}/", read().to(tag::show_tag))
    .route("/tag/{slug}/page/{n}/", read().to(tag::show_tag_page))
    .route("/author/{slug}/", read().to(author::show_author))
    .route(
        "/author/{slug}/page/{n}/",
        read().to(author::show_author_page),
    )
    .route("/{slug}/", read().to(post::show_post))
    .default_service(web::to(not_found));
}

async fn not_found() -> AppResult<HttpResponse> {
    Err(AppError::NotFound)
}
