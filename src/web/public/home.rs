//! The home page and its numbered pages.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{moved_permanently, page_response};
use crate::clock::now;
use crate::domain::posts::{self, Scope};
use crate::domain::redirects;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::error_pages::redirect_response;
use crate::web::pager::page_number;
use crate::web::pager::{Pagination, page_path};
use crate::web::seo::{self, jsonld};
use crate::web::views::{CardView, Layout, PublicPage};

#[derive(Template)]
#[template(path = "public/home.html")]
struct HomePage {
    layout: Layout,
    site_description: String,
    cards: Vec<CardView>,
    pagination: Pagination,
}

impl PublicPage for HomePage {
    fn layout(&self) -> &Layout {
        &self.layout
    }
}

pub async fn show_home(
    state: web::Data<AppState>,
    request: HttpRequest,
) -> AppResult<HttpResponse> {
    // A moved site's old addresses for posts are often the home page with a query
    // (WordPress's `/?p=123`); an import keeps them as redirects.
    let query = request.query_string().to_string();
    if !query.is_empty() {
        let found = state
            .db
            .run(move |conn| redirects::find(conn, &format!("/?{query}")))
            .await?;
        if let Some(redirect) = found {
            return Ok(redirect_response(&request, &redirect, true));
        }
    }
    home_page(&state, 1).await
}

pub async fn show_home_page(
    state: web::Data<AppState>,
    page: web::Path<String>,
) -> AppResult<HttpResponse> {
    match page_number(&page)? {
        1 => Ok(moved_permanently("/")),
        n => home_page(&state, n).await,
    }
}

async fn home_page(state: &AppState, page: i64) -> AppResult<HttpResponse> {
    let now = now();
    let site = Arc::clone(&state.site);
    let (site, listing) = state
        .db
        .run(move |conn| {
            let site = site.current(conn, now)?;
            let per_page = site.settings.posts_per_page;
            let listing = posts::list(conn, Scope::Site, now, page, per_page)?;
            Ok::<_, AppError>((site, listing))
        })
        .await?;
    let settings = &site.settings;
    if page > 1 && listing.cards.is_empty() {
        return Err(AppError::NotFound);
    }
    let base_url = &state.config.base_url;
    let title = (page > 1).then(|| format!("Page {page}"));
    let mut layout = Layout::new(
        settings,
        &state.assets,
        base_url,
        &page_path("/", page),
        title.as_deref(),
        &settings.description,
    );
    layout.json_ld = Some(jsonld::home(
        &seo::site(settings, base_url),
        &layout.canonical,
        &layout.social_title,
    ));
    let home = HomePage {
        layout,
        site_description: settings.description.clone(),
        cards: CardView::list(&listing, settings.timezone),
        pagination: Pagination::by_path("/", page, listing.has_more),
    };
    page_response(&home, site.last_change, listing.shows())
}
