//! A tag's archive, at `/tag/{slug}/` and `/tag/{slug}/page/N/`.

use std::sync::Arc;

use actix_web::{HttpResponse, web};

use super::collection::{Collection, CollectionKind, CollectionPage};
use super::{moved_permanently, page_response, plausible_slug};
use crate::clock::now;
use crate::domain::posts::Scope;
use crate::domain::{gone, posts, tags};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::pager::page_number;

pub async fn show_tag(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    tag_page(&state, slug.into_inner(), 1).await
}

pub async fn show_tag_page(
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
) -> AppResult<HttpResponse> {
    let (slug, page) = path.into_inner();
    match page_number(&page)? {
        1 if plausible_slug(&slug) => Ok(moved_permanently(&format!("/tag/{slug}/"))),
        n => tag_page(&state, slug, n).await,
    }
}

async fn tag_page(state: &AppState, slug: String, page: i64) -> AppResult<HttpResponse> {
    if !plausible_slug(&slug) {
        return Err(AppError::NotFound);
    }
    let now = now();
    let site = Arc::clone(&state.site);
    let (site, tag, listing) = state
        .db
        .run(move |conn| {
            let Some(tag) = tags::by_slug(conn, &slug)? else {
                return Err(if gone::was_deleted(conn, &format!("/tag/{slug}/"))? {
                    AppError::Gone
                } else {
                    AppError::NotFound
                });
            };
            let site = site.current(conn, now)?;
            let per_page = site.settings.posts_per_page;
            let listing = posts::list(conn, Scope::Tag(tag.id), now, page, per_page)?;
            Ok::<_, AppError>((site, tag, listing))
        })
        .await?;
    // A tag with nothing to read, or a page past the end, is not a page.
    if listing.cards.is_empty() {
        return Err(AppError::NotFound);
    }
    let collection = Collection {
        kind: CollectionKind::Tag,
        base: format!("/tag/{}/", tag.slug),
        heading: tag.name,
        introduction: tag.description,
        website: None,
        meta_title: tag.meta_title,
        meta_description: tag.meta_description,
    };
    let page = CollectionPage::new(state, &site.settings, collection, &listing, page);
    page_response(&page, site.last_change, listing.shows())
}
