//! A single post or page, at `/{slug}/`, and the later pages of its conversation at
//! `/{slug}/comments/{n}/`.
//!
//! Anonymous readers get the page from the page cache. A signed-in reader's page is made for
//! them (their form, their waiting comment, what they may do to each comment) and never
//! stored: the page cache skips requests with a session, and the answer says `private`.
//! The shared cache thus holds one page per URL, and per-member HTML never enters it.

use std::sync::Arc;

use actix_web::http::header::{CACHE_CONTROL, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use super::{moved_permanently, page_response, plausible_slug};
use crate::auth::csrf;
use crate::auth::identity::SignedIn;
use crate::auth::permissions::Permission;
use crate::clock::now;
use crate::domain::comments::{self, Viewer};
use crate::domain::likes;
use crate::domain::posts::{self, SlugLookup};
use crate::domain::users::Role;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::post_page::{Discussion, Found, library_cover, post_page};
use crate::web::respond::take_notice_unless_refresh;

pub async fn show_post(
    req: HttpRequest,
    state: web::Data<AppState>,
    slug: web::Path<String>,
    reader: Option<SignedIn>,
) -> AppResult<HttpResponse> {
    show(&req, &state, slug.into_inner(), 1, reader).await
}

/// A later page of a post's conversation: its own URL, canonical to itself.
pub async fn show_comments_page(
    req: HttpRequest,
    state: web::Data<AppState>,
    path: web::Path<(String, String)>,
    reader: Option<SignedIn>,
) -> AppResult<HttpResponse> {
    let (slug, n) = path.into_inner();
    let page: i64 = match n.parse::<i64>() {
        Ok(page) if page >= 1 && n == page.to_string() => page,
        _ => return Err(AppError::NotFound),
    };
    if page == 1 && plausible_slug(&slug) {
        return Ok(moved_permanently(&format!("/{slug}/")));
    }
    show(&req, &state, slug, page, reader).await
}

async fn show(
    req: &HttpRequest,
    state: &AppState,
    slug: String,
    page: i64,
    reader: Option<SignedIn>,
) -> AppResult<HttpResponse> {
    let personal = match &reader {
        Some(me) => Some(Personal {
            viewer: Viewer {
                user_id: Some(me.user.id),
                moderator: me.role().can(Permission::ModerateComments),
            },
            role: me.role(),
            csrf: csrf::token(&me.session)?,
            notice: take_notice_unless_refresh(req, &me.session),
        }),
        None => None,
    };
    let signed_in = personal.is_some();
    let found = find_post(state, slug, page, personal).await?;
    let changed = found.changed;
    let shows = found.shows();
    let page = post_page(state, found);
    if signed_in {
        Ok(HttpResponse::Ok()
            .content_type(ContentType::html())
            .insert_header((CACHE_CONTROL, "private, no-cache"))
            .body(page.render()?))
    } else {
        page_response(&page, changed, shows)
    }
}

/// What a signed-in reader's page adds.
pub struct Personal {
    pub viewer: Viewer,
    pub role: Role,
    pub csrf: String,
    pub notice: Option<String>,
}

/// Loads a visible post or page, everything around it and page `page` of its conversation;
/// 404 or 410 otherwise (404 too for a page of comments past the last).
pub async fn find_post(
    state: &AppState,
    slug: String,
    page: i64,
    personal: Option<Personal>,
) -> AppResult<Found> {
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
            let viewer = personal.as_ref().map(|p| p.viewer).unwrap_or_default();
            let conversation =
                comments::conversation(conn, post.id, site.settings.comments.order, page, viewer)?
                    .ok_or(AppError::NotFound)?;
            let likes = likes::of(conn, post.id, viewer.user_id)?;
            let authors = posts::authors_of_post(conn, post.id)?;
            // A visible post is live, so only those who may change live posts get the link.
            let editable = personal.as_ref().is_some_and(|p| {
                let is_author = authors.iter().any(|a| Some(a.id) == viewer.user_id);
                p.role.can_edit_post(is_author, true)
            });
            let (csrf, notice) = match personal {
                Some(p) => (Some(p.csrf), p.notice),
                None => (None, None),
            };
            Ok(Found {
                settings: site.settings.clone(),
                authors,
                tags: posts::tags_of_post(conn, post.id)?,
                changed: site.last_change,
                cover: library_cover(conn, &post)?,
                post,
                older,
                newer,
                conversation: Some(Discussion {
                    likes,
                    comments: Arc::new(conversation),
                    viewer,
                    csrf,
                    notice,
                    editable,
                    now,
                }),
            })
        })
        .await
}
