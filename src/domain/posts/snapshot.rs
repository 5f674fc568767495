//! A post as staff see it, in JSON: what the admin API answers and what webhooks carry as
//! the changed object and its previous version. Addresses on the site are paths until
//! `on_site` makes them absolute (webhooks do it when they are sent).

use chrono::NaiveDateTime;
use serde::Serialize;

use super::editing::{Editable, Opened};
use super::{PostKind, PostStatus};
use crate::clock::moment;

/// Every field the editor has, the post's status and its version.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
#[schema(as = AdminPost)]
pub struct StaffPost {
    id: i64,
    kind: &'static str,
    title: String,
    slug: String,
    markdown: String,
    custom_excerpt: Option<String>,
    /// `draft`, `scheduled` (published with a date to come) or `published`.
    status: &'static str,
    published_at: Option<String>,
    created_at: String,
    updated_at: String,
    trashed: bool,
    featured: bool,
    noindex: bool,
    comments_open: bool,
    meta_title: Option<String>,
    meta_description: Option<String>,
    canonical_url: Option<String>,
    feature_image: Option<String>,
    feature_image_alt: Option<String>,
    tags: Vec<String>,
    authors: Vec<i64>,
    /// Send it back with an update: if someone saved since, the update is refused (409).
    version: i32,
    /// Where readers find it, while they can.
    url: Option<String>,
}

/// `draft`, `scheduled` or `published`, as staff say it.
pub fn status_name(post: &Editable, now: NaiveDateTime) -> &'static str {
    match post.status() {
        PostStatus::Draft => "draft",
        _ if post.published_at.is_some_and(|at| at > now) => "scheduled",
        _ => "published",
    }
}

pub fn kind_name(kind: PostKind) -> &'static str {
    match kind {
        PostKind::Post => "post",
        PostKind::Page => "page",
    }
}

impl StaffPost {
    pub fn new(opened: Opened, now: NaiveDateTime) -> StaffPost {
        let post = opened.post;
        let live = post.is_live(now);
        StaffPost {
            id: post.id,
            kind: kind_name(post.kind),
            status: status_name(&post, now),
            url: live.then(|| format!("/{}/", post.slug)),
            title: post.title,
            slug: post.slug,
            markdown: post.markdown,
            custom_excerpt: post.custom_excerpt,
            published_at: post.published_at.map(moment),
            created_at: moment(post.created_at),
            updated_at: moment(post.updated_at),
            trashed: post.deleted_at.is_some(),
            featured: post.featured,
            noindex: post.noindex,
            comments_open: post.comments_open,
            meta_title: post.meta_title,
            meta_description: post.meta_description,
            canonical_url: post.canonical_url,
            feature_image: post.feature_image,
            feature_image_alt: post.feature_image_alt,
            tags: opened.tag_names,
            authors: opened.author_ids,
            version: post.version,
        }
    }

    /// With its address and cover as absolute URLs on the site at `base_url`.
    pub fn on_site(mut self, base_url: &str) -> StaffPost {
        let absolute = |path: String| crate::render::absolute(base_url, &path);
        self.url = self.url.map(absolute);
        self.feature_image = self.feature_image.map(absolute);
        self
    }
}
