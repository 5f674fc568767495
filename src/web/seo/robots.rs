//! `/robots.txt`: crawl everything public, nothing private; or nothing at all on a site that
//! discourages search engines.

use actix_web::http::header::{CACHE_CONTROL, ContentType, LAST_MODIFIED};
use actix_web::{HttpResponse, web};

use std::sync::Arc;

use crate::clock::now;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::public::{PUBLIC_CACHE, http_date};

/// Areas with no public content, kept out of crawls.
const PRIVATE: &[&str] = &["/admin/", "/account/", "/api/", "/search"];

pub async fn robots_txt(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let now = now();
    let site = Arc::clone(&state.site);
    let site = state.db.run(move |conn| site.current(conn, now)).await?;
    let settings = &site.settings;
    let body = if settings.discourage_search {
        "User-agent: *\nDisallow: /\n".to_string()
    } else {
        let mut body = String::from("User-agent: *\nAllow: /\n");
        for path in PRIVATE {
            body.push_str(&format!("Disallow: {path}\n"));
        }
        body.push_str(&format!(
            "\nSitemap: {}/sitemap.xml\n",
            state.config.base_url
        ));
        body
    };
    let response = HttpResponse::Ok()
        .content_type(ContentType::plaintext())
        .insert_header((CACHE_CONTROL, PUBLIC_CACHE))
        .insert_header((LAST_MODIFIED, http_date(settings.updated_at)))
        .body(body);
    // It shows the settings alone.
    Ok(crate::web::page_cache::Depends::on(response, Vec::new()))
}
