//! Writing: the list of posts and pages, and the editor. Each action is a file; every rule
//! about who may save, publish or trash what is `domain::posts::write`'s, checked on every
//! request whatever the page showed.

mod autosave;
mod bulk;
mod form;
mod image;
mod list;
mod save;
mod trash;

pub use autosave::{autosave_new, autosave_post, discard_working_copy, preview_text};
pub use bulk::{bulk_pages, bulk_posts};
pub use image::{add_image_to_new, add_image_to_post};
pub use list::{list_pages, list_posts};
pub use save::{create_post, edit_post, new_post, save_post};
pub use trash::{confirm_delete_post, delete_post, restore_post, trash_post};

use chrono::NaiveDateTime;

use crate::auth::identity::Staff;
use crate::clock::now;
use crate::domain::posts::editing::{self, Opened};
use crate::domain::posts::{PostKind, PostStatus, write};
use crate::domain::settings::SiteSettings;
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Loads a post for `me`, refusing (403) one they may not change.
pub async fn open_for(state: &AppState, me: &Staff, id: i64) -> AppResult<(Opened, SiteSettings)> {
    let site = std::sync::Arc::clone(&state.site);
    let (opened, snapshot) = state
        .db
        .run(move |conn| Ok::<_, AppError>((editing::open(conn, id)?, site.current(conn, now())?)))
        .await?;
    let opened = opened.ok_or(AppError::NotFound)?;
    write::may_change(&me.actor(), &opened)?;
    Ok((opened, snapshot.settings.clone()))
}

/// The list a post of `kind` belongs to.
fn list_of(kind: PostKind) -> &'static str {
    match kind {
        PostKind::Page => "/admin/pages",
        PostKind::Post => "/admin/posts",
    }
}

fn describe_status(
    status: PostStatus,
    published_at: Option<NaiveDateTime>,
    deleted_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> &'static str {
    if deleted_at.is_some() {
        return "In the trash";
    }
    match status {
        PostStatus::Draft => "Draft",
        _ if published_at.is_some_and(|at| at > now) => "Scheduled",
        _ => "Published",
    }
}
