//! Site search at `/search?q=…`: every word typed, as a prefix, over live posts' and pages'
//! titles and text, best match first. Result pages are for people, not search engines:
//! `noindex`, never cached, and robots.txt keeps crawlers out.

use std::sync::Arc;

use actix_web::http::header::{CACHE_CONTROL, ContentType};
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::clock::now;
use crate::db::search::Terms;
use crate::domain::input::search_text;
use crate::domain::posts;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::pager::{Pagination, page_param};
use crate::web::views::{CardView, Layout};

const PER_PAGE: i64 = 10;
const MAX_QUERY_CHARS: usize = 200;

#[derive(Template)]
#[template(path = "public/search.html")]
struct SearchPage {
    layout: Layout,
    query: String,
    searched: bool,
    cards: Vec<CardView>,
    pagination: Pagination,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SearchParams {
    q: String,
    page: String,
}

pub async fn search(
    state: web::Data<AppState>,
    params: web::Query<SearchParams>,
) -> AppResult<HttpResponse> {
    let query = search_text(&params.q, MAX_QUERY_CHARS).map_err(AppError::BadRequest)?;
    let page = page_param(&params.page)?;
    let terms = Terms::parse(&query);
    let searched = !terms.is_empty();
    let site = Arc::clone(&state.site);
    let (site, listing) = state
        .db
        .run(move |conn| {
            let now = now();
            Ok::<_, AppError>((
                site.current(conn, now)?,
                posts::search(conn, &terms, now, page, PER_PAGE)?,
            ))
        })
        .await?;
    let settings = &site.settings;
    if page > 1 && listing.cards.is_empty() {
        return Err(AppError::NotFound);
    }
    let title = if searched {
        format!("Search: {query}")
    } else {
        "Search".to_string()
    };
    let mut layout = Layout::new(
        settings,
        &state.assets,
        &state.config.base_url,
        "/search",
        Some(&title),
        &format!("Search {}", settings.title),
    );
    layout.noindex = true;
    let pagination = Pagination::by_query("/search", &[("q", &query)], page, listing.has_more);
    let view = SearchPage {
        layout,
        cards: CardView::list(&listing, settings.timezone),
        searched,
        pagination,
        query,
    };
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((CACHE_CONTROL, "no-cache"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .body(view.render()?))
}
