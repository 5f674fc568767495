//! An author's archive, at `/author/{slug}/` and `/author/{slug}/page/N/`.

use std::sync::Arc;

use actix_web::{HttpResponse, web};

use super::collection::{Collection, CollectionKind, CollectionPage};
use super::{moved_permanently, page_response, plausible_slug};
use crate::clock::now;
use crate::domain::posts::Scope;
use crate::domain::{posts, users};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::pager::page_number;

pub async fn show_author(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    author_page(&state, slug.into_inner(), 1).await
}

pub async fn show_author_page(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, page) = path.into_inner();
    match page_number(&page)? {
        1 if plausible_slug(&slug) => Ok(moved_permanently(&format!("/author/{slug}/"))),
        n => author_page(&state, slug, n).await,
    }
}

async fn author_page(state: &AppState, slug: String, page: i64) -> AppResult<HttpResponse> {
    if !plausible_slug(&slug) {
        return Err(AppError::NotFound);
    }
    let now = now();
    let site = Arc::clone(&state.site);
    let (site, author, listing) = state
        .db
        .run(move |conn| {
            let author = users::by_slug(conn, &slug)?.ok_or(AppError::NotFound)?;
            let site = site.current(conn, now)?;
            let per_page = site.settings.posts_per_page;
            let listing = posts::list(conn, Scope::Author(author.id), now, page, per_page)?;
            Ok::<_, AppError>((site, author, listing))
        })
        .await?;
    // Members and staff who have published nothing have no public page.
    if listing.cards.is_empty() {
        return Err(AppError::NotFound);
    }
    let website = Some(author.website.trim().to_string())
        .filter(|w| w.starts_with("https://") || w.starts_with("http://"));
    let collection = Collection {
        meta_title: None,
        meta_description: None,
        kind: CollectionKind::Author,
        base: format!("/author/{}/", author.slug),
        heading: author.display_name,
        introduction: author.bio,
        website,
    };
    let page = CollectionPage::new(state, &site.settings, collection, &listing, page);
    page_response(&page, site.last_change, listing.shows())
}
