//! The JSON interchange formats.
//!
//! `quire-corpus` (version 1) is the benchmark corpus format. `quire-export` (version 1) is
//! Quire's own: a superset that carries everything, so an export imported into an empty site
//! loses nothing. Fields a corpus lacks have defaults; unknown fields are ignored.

use serde::{Deserialize, Serialize};

pub const CORPUS: &str = "quire-corpus";
pub const EXPORT: &str = "quire-export";
pub const VERSION: u32 = 1;

#[derive(Debug, Serialize, Deserialize)]
pub struct Document {
    pub format: String,
    pub version: u32,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exported_at: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub settings: Option<SettingsDoc>,
    #[serde(default)]
    pub authors: Vec<AuthorDoc>,
    #[serde(default)]
    pub tags: Vec<TagDoc>,
    #[serde(default)]
    pub posts: Vec<PostDoc>,
    #[serde(default)]
    pub redirects: Vec<RedirectDoc>,
    /// The media library's records (an archive carries their files beside the JSON).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub media: Vec<MediaDoc>,
    /// Addresses of content deleted for good, which answer 410.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub gone: Vec<GoneDoc>,
    /// Earlier versions of posts' titles and texts, oldest first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub revisions: Vec<RevisionDoc>,
    /// Readers' comments, each after the one it replies to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub comments: Vec<CommentDoc>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SettingsDoc {
    pub title: String,
    pub description: String,
    pub language: String,
    pub timezone: String,
    pub posts_per_page: i64,
    pub navigation: Vec<crate::domain::settings::NavItem>,
    #[serde(default)]
    pub discourage_search: bool,
    #[serde(default)]
    pub staff_two_factor: bool,
    #[serde(default)]
    pub content_api_key_required: bool,
    #[serde(default)]
    pub logo_url: Option<String>,
    #[serde(default = "default_feed_items")]
    pub feed_items: i64,
    #[serde(default)]
    pub icon_url: Option<String>,
    #[serde(default)]
    pub social: Vec<crate::domain::settings::SocialLink>,
    /// When they last changed; pages dated by the settings keep their dates.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

fn default_feed_items() -> i64 {
    20
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AuthorDoc {
    pub slug: String,
    pub name: String,
    pub email: String,
    #[serde(default)]
    pub bio: String,
    #[serde(default)]
    pub website: String,
    /// Staff role or `member`; a corpus's authors are authors.
    #[serde(default = "default_role")]
    pub role: String,
    /// The argon2id hash, so people keep their passwords across a move. Treat exports as
    /// secrets.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub password_hash: Option<String>,
    /// When their profile last changed (their author page is dated by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

fn default_role() -> String {
    "author".into()
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct TagDoc {
    pub slug: String,
    pub name: String,
    #[serde(default)]
    pub description: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_title: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub meta_description: Option<String>,
    /// When it last changed (its page is dated by it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<String>,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct PostDoc {
    pub slug: String,
    pub title: String,
    /// The author's own excerpt (the corpus's `excerpt`).
    #[serde(default)]
    pub excerpt: Option<String>,
    /// The primary author (the corpus names only one).
    #[serde(default)]
    pub author: Option<String>,
    /// All authors in order, primary first; wins over `author` when both are given.
    #[serde(default)]
    pub authors: Vec<String>,
    /// Tag slugs in order, primary first.
    #[serde(default)]
    pub tags: Vec<String>,
    #[serde(default)]
    pub published_at: Option<String>,
    #[serde(default)]
    pub updated_at: Option<String>,
    #[serde(default)]
    pub created_at: Option<String>,
    pub markdown: String,
    #[serde(default = "default_kind")]
    pub kind: String,
    #[serde(default = "default_status")]
    pub status: String,
    #[serde(default)]
    pub featured: bool,
    #[serde(default)]
    pub feature_image: Option<String>,
    #[serde(default)]
    pub feature_image_alt: Option<String>,
    #[serde(default)]
    pub meta_title: Option<String>,
    #[serde(default)]
    pub meta_description: Option<String>,
    #[serde(default)]
    pub canonical_url: Option<String>,
    #[serde(default)]
    pub noindex: bool,
    /// Whether readers may comment on it.
    #[serde(default = "default_true")]
    pub comments_open: bool,
    /// Set for a post in the trash.
    #[serde(default)]
    pub deleted_at: Option<String>,
}

fn default_true() -> bool {
    true
}

/// A reader's comment under a post or page.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CommentDoc {
    /// Its id in the file, which replies name as their parent.
    pub id: String,
    /// The slug of the post it is under.
    pub post: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent: Option<String>,
    pub author_name: String,
    /// Matched to an account of the site with this address, if there is one.
    #[serde(default)]
    pub author_email: String,
    #[serde(default)]
    pub author_url: String,
    pub markdown: String,
    /// pending, approved, spam, trash or deleted.
    #[serde(default = "default_comment_status")]
    pub status: String,
    pub created_at: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub edited_at: Option<String>,
    /// Written by a member of the publication's staff.
    #[serde(default)]
    pub staff: bool,
}

fn default_comment_status() -> String {
    "approved".into()
}

fn default_kind() -> String {
    "post".into()
}

fn default_status() -> String {
    "published".into()
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RedirectDoc {
    pub from: String,
    pub to: String,
    #[serde(default = "default_code")]
    pub code: i32,
}

fn default_code() -> i32 {
    301
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct MediaDoc {
    pub stem: String,
    pub extension: String,
    pub original_name: String,
    pub width: i32,
    pub height: i32,
    pub bytes: i64,
    #[serde(default)]
    pub variants: Vec<u32>,
    #[serde(default)]
    pub crops: Vec<String>,
    #[serde(default)]
    pub alt: String,
    pub created_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct GoneDoc {
    pub path: String,
    pub deleted_at: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RevisionDoc {
    /// The post's slug.
    pub post: String,
    pub title: String,
    pub markdown: String,
    pub created_at: String,
    /// Who saved it, by slug, when they are still here.
    #[serde(default)]
    pub author: Option<String>,
}
