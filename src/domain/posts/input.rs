//! The one parser for a post or page, whoever sends it: the editor, an import, the API.
//! It checks every field a person or a file could get wrong, then renders the text (before
//! any transaction: rendering takes time in proportion to the text).

use chrono::NaiveDateTime;

use super::{MAX_MARKDOWN_BYTES, PostKind, PostStatus};
use crate::domain::input::FieldErrors;
use crate::render::{self, Rendered, Slug};

pub const MAX_TITLE: usize = 255;
pub const MAX_EXCERPT: usize = 500;
pub const MAX_TAGS: usize = 20;
pub const MAX_TAG_NAME: usize = 100;
pub use crate::domain::input::{MAX_META_DESCRIPTION, MAX_META_TITLE};
pub const MAX_URL: usize = 2000;
pub const MAX_COVER_ALT: usize = 300;
/// How many authors a post may name.
pub const MAX_AUTHORS: usize = 10;

/// What the save asks for, besides the fields.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Intent {
    /// Keep the post as it stands: a draft stays a draft, a published post stays published
    /// (with any new date).
    Save,
    /// Publish now, or at a future `publish_at` (scheduling).
    Publish,
    /// Back to a draft.
    Unpublish,
}

/// The cover image a save asks for.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Cover {
    #[default]
    None,
    /// Whatever the post has now (a cover from elsewhere, kept as it is).
    Keep,
    /// An image of the media library, by its stem.
    Library(String),
    /// An image elsewhere, by its address (imports bring these).
    Address(String),
}

/// A post or page as typed or read from a file: plain data, nothing checked yet.
#[derive(Debug, Clone)]
pub struct PostInput {
    pub kind: PostKind,
    pub title: String,
    /// Empty: made from the title.
    pub slug: String,
    pub markdown: String,
    pub custom_excerpt: String,
    /// Tag names, the primary first; names not used yet create tags (for those who may).
    pub tags: Vec<String>,
    /// Ordered author ids; `None` keeps a post's authors (a new post's is the actor).
    pub authors: Option<Vec<i64>>,
    pub featured: bool,
    pub noindex: bool,
    /// Whether readers may comment on it.
    pub comments_open: bool,
    /// In UTC; `None` when no date was given.
    pub publish_at: Option<NaiveDateTime>,
    pub meta_title: String,
    pub meta_description: String,
    pub canonical_url: String,
    pub cover: Cover,
    pub cover_alt: String,
    pub intent: Intent,
}

impl PostInput {
    /// An empty post of `kind`, saved as it stands.
    pub fn new(kind: PostKind) -> PostInput {
        PostInput {
            kind,
            title: String::new(),
            slug: String::new(),
            markdown: String::new(),
            custom_excerpt: String::new(),
            tags: Vec::new(),
            authors: None,
            featured: false,
            noindex: false,
            comments_open: true,
            publish_at: None,
            meta_title: String::new(),
            meta_description: String::new(),
            canonical_url: String::new(),
            cover: Cover::None,
            cover_alt: String::new(),
            intent: Intent::Save,
        }
    }
}

/// A post whose every field is acceptable, rendered, not yet stored.
#[derive(Debug, Clone)]
pub struct Prepared {
    pub kind: PostKind,
    pub title: String,
    pub slug: Slug,
    pub markdown: String,
    pub rendered: Rendered,
    pub custom_excerpt: Option<String>,
    pub tags: Vec<String>,
    pub authors: Option<Vec<i64>>,
    pub featured: bool,
    pub noindex: bool,
    pub comments_open: bool,
    pub publish_at: Option<NaiveDateTime>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
    pub cover: Cover,
    pub cover_alt: Option<String>,
    pub intent: Intent,
}

/// Checks and renders `input`; every problem found is reported at once, by field.
pub fn prepare(input: PostInput) -> Result<Prepared, FieldErrors> {
    let mut errors = FieldErrors::default();
    let title = errors.text("title", "The title", &input.title, MAX_TITLE);
    if title.is_empty() && errors.get("title").is_none() {
        errors.add("title", "Give it a title.");
    }
    let slug_source = match input.slug.trim() {
        "" => render::slugify(&title),
        typed => typed.to_string(),
    };
    let slug = errors.check("slug", Slug::parse_top_level(&slug_source));
    let markdown = errors.body("markdown", "The text", &input.markdown, MAX_MARKDOWN_BYTES);
    let custom_excerpt = Some(errors.paragraphs(
        "custom_excerpt",
        "The excerpt",
        &input.custom_excerpt,
        MAX_EXCERPT,
    ))
    .filter(|e| !e.is_empty());
    let tags = tag_names(&input.tags, &mut errors);
    if input
        .authors
        .as_ref()
        .is_some_and(|authors| authors.len() > MAX_AUTHORS)
    {
        errors.add(
            "author_1",
            format!("A post can name at most {MAX_AUTHORS} authors."),
        );
    }
    let (meta_title, meta_description) =
        errors.search_engine_fields(&input.meta_title, &input.meta_description);
    let canonical_url = errors.web_address("canonical_url", &input.canonical_url, MAX_URL);
    let cover_alt =
        errors.optional_text("cover_alt", "The alt text", &input.cover_alt, MAX_COVER_ALT);
    let cover = match input.cover {
        // A path on this site, or an image elsewhere.
        Cover::Address(address) => {
            let address = address.trim();
            let site_path = address.starts_with('/')
                && !address.starts_with("//")
                && address.len() <= MAX_URL
                && !address.contains(|c: char| c.is_control() || c.is_whitespace());
            if site_path {
                Cover::Address(address.to_string())
            } else {
                errors
                    .web_address("cover", address, MAX_URL)
                    .map_or(Cover::None, Cover::Address)
            }
        }
        other => other,
    };
    // Rendering can refuse a text (too deeply nested, too many headings): say so beside it.
    let rendered = if errors.get("markdown").is_none() {
        errors.check("markdown", render::render(&markdown))
    } else {
        None
    };
    let (Some(slug), Some(rendered), true) = (slug, rendered, errors.is_empty()) else {
        return Err(errors);
    };
    Ok(Prepared {
        kind: input.kind,
        title,
        slug,
        markdown,
        rendered,
        custom_excerpt,
        tags,
        authors: input.authors,
        featured: input.featured,
        noindex: input.noindex,
        comments_open: input.comments_open,
        publish_at: input.publish_at,
        meta_title,
        meta_description,
        canonical_url,
        cover,
        cover_alt,
        intent: input.intent,
    })
}

/// The tag names, trimmed and without repeats, in order.
fn tag_names(raw: &[String], errors: &mut FieldErrors) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for name in raw {
        let name = errors.text("tags", "Each tag name", name, MAX_TAG_NAME);
        if !name.is_empty() && !names.iter().any(|n| n.eq_ignore_ascii_case(&name)) {
            names.push(name);
        }
    }
    if names.len() > MAX_TAGS {
        errors.add("tags", format!("A post can have at most {MAX_TAGS} tags."));
    }
    names
}

/// The status and date a save leaves a post with, from its current status and the intent.
/// A past date publishes at once, dated then; a future one schedules.
pub fn status_after(
    intent: Intent,
    current: PostStatus,
    publish_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> (PostStatus, Option<NaiveDateTime>) {
    let go_live = |at: Option<NaiveDateTime>| match at {
        Some(at) if at > now => (PostStatus::Scheduled, Some(at)),
        at => (PostStatus::Published, Some(at.unwrap_or(now))),
    };
    match (intent, current) {
        (Intent::Publish, _) => go_live(publish_at),
        (Intent::Unpublish, _) => (PostStatus::Draft, None),
        (Intent::Save, PostStatus::Draft) => (PostStatus::Draft, publish_at),
        // Saving a published or scheduled post keeps it so, with any new date.
        (Intent::Save, _) => go_live(publish_at),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn post(title: &str, markdown: &str) -> PostInput {
        PostInput {
            title: title.into(),
            markdown: markdown.into(),
            ..PostInput::new(PostKind::Post)
        }
    }

    #[test]
    fn a_good_post_is_prepared_with_its_slug_made_from_the_title() {
        let prepared = prepare(post("Hello, World", "Some *text*.")).unwrap();
        assert_eq!(prepared.slug.as_str(), "hello-world");
        assert!(prepared.rendered.html.as_str().contains("<em>text</em>"));
        assert_eq!(prepared.custom_excerpt, None);
    }

    #[test]
    fn every_bad_field_is_named() {
        let mut input = post("", "text\0with a NUL");
        input.slug = "admin".into();
        input.canonical_url = "javascript:alert(1)".into();
        input.tags = (0..25).map(|i| format!("tag {i}")).collect();
        input.meta_title = "a\u{202E}b".into();
        input.custom_excerpt = "x".repeat(MAX_EXCERPT + 1);
        let errors = prepare(input).unwrap_err();
        for field in [
            "title",
            "slug",
            "markdown",
            "canonical_url",
            "tags",
            "meta_title",
            "custom_excerpt",
        ] {
            assert!(errors.get(field).is_some(), "{field}: {errors}");
        }
        assert!(errors.get("markdown").unwrap().contains("NUL"));
    }

    #[test]
    fn control_characters_in_titles_and_tags_are_refused() {
        assert!(
            prepare(post("A\u{0}B", "x"))
                .unwrap_err()
                .get("title")
                .is_some()
        );
        let mut input = post("Fine", "x");
        input.tags = vec!["ok".into(), "bad\u{7}".into()];
        assert!(prepare(input).unwrap_err().get("tags").is_some());
    }

    #[test]
    fn texts_over_a_rendering_limit_are_refused_beside_the_text() {
        let errors = prepare(post("Deep", &">".repeat(200))).unwrap_err();
        assert!(errors.get("markdown").unwrap().contains("levels deep"));
    }

    #[test]
    fn repeated_tags_count_once() {
        let mut input = post("Tags", "x");
        input.tags = vec!["Rust".into(), " rust ".into(), "".into(), "Web".into()];
        assert_eq!(prepare(input).unwrap().tags, ["Rust", "Web"]);
    }

    #[test]
    fn the_intent_and_date_decide_the_status() {
        let now = chrono::Utc::now().naive_utc();
        let later = now + chrono::Duration::days(1);
        let earlier = now - chrono::Duration::days(1);
        use PostStatus::*;
        assert_eq!(status_after(Intent::Save, Draft, None, now), (Draft, None));
        assert_eq!(
            status_after(Intent::Publish, Draft, None, now),
            (Published, Some(now))
        );
        assert_eq!(
            status_after(Intent::Publish, Draft, Some(later), now),
            (Scheduled, Some(later))
        );
        assert_eq!(
            status_after(Intent::Publish, Draft, Some(earlier), now),
            (Published, Some(earlier)),
            "backdating"
        );
        assert_eq!(
            status_after(Intent::Save, Published, Some(later), now),
            (Scheduled, Some(later))
        );
        assert_eq!(
            status_after(Intent::Unpublish, Published, Some(earlier), now),
            (Draft, None)
        );
    }
}
