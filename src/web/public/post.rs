//! A single post or page, at `/{slug}/`.

use std::sync::Arc;

use actix_web::{HttpResponse, web};

use super::{page_response, plausible_slug};
use crate::clock::now;
use crate::domain::posts::{self, SlugLookup};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::post_page::{Found, library_cover, post_page};

pub async fn show_post(
    state: web::Data<AppState>,
    slug: web::Path<String>,
) -> AppResult<HttpResponse> {
    let found = find_post(&state, slug.into_inner()).await?;
    let changed = found.changed;
    let shows = found.shows();
    page_response(&post_page(&state, found), changed, shows)
}

/// Loads a visible post or page and everything around it; 404 or 410 otherwise.
pub async fn find_post(state: &AppState, slug: String) -> AppResult<Found> {
    if !plausible_slug(&slug) {
        return Err(AppError::NotFound);
    }
    let now = now();
    let site = Arc::clone(&state.site);
    state
        .db
        .run(move |conn| {
            let post = match posts::find_by_slug(conn, &slug, now)? {
                SlugLookup::Visible(post) => post,
                SlugLookup::Deleted => return Err(AppError::Gone),
                SlugLookup::Missing => return Err(AppError::NotFound),
            };
            let (older, newer) = if post.is_page() {
                (None, None)
            } else {
                posts::neighbours(conn, &post, now)?
            };
            let site = site.current(conn, now)?;
            Ok(Found {
                settings: site.settings.clone(),
                authors: posts::authors_of_post(conn, post.id)?,
                tags: posts::tags_of_post(conn, post.id)?,
                changed: site.last_change,
                cover: library_cover(conn, &post)?,
                post,
                older,
                newer,
            })
        })
        .await
}
