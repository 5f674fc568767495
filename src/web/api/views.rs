//! The JSON the content API sends: Ghost's field names, so Ghost's clients and front ends
//! read Quire's answers unchanged.

use serde::Serialize;
use serde_json::{Map, Value};
use utoipa::ToSchema;

use crate::domain::posts::{AuthorLink, Post, TagLink};
use crate::domain::settings::SiteSettings;
use crate::domain::tags::Tag;
use crate::domain::users::User;
use crate::web::views::absolute;

pub use crate::clock::moment;

fn non_empty(text: &str) -> Option<String> {
    Some(text.trim().to_string()).filter(|t| !t.is_empty())
}

/// The fields a post or page may have, for `fields=`.
pub const POST_FIELDS: &[&str] = &[
    "id",
    "uuid",
    "title",
    "slug",
    "html",
    "plaintext",
    "excerpt",
    "custom_excerpt",
    "feature_image",
    "feature_image_alt",
    "featured",
    "visibility",
    "created_at",
    "updated_at",
    "published_at",
    "reading_time",
    "word_count",
    "url",
    "canonical_url",
    "meta_title",
    "meta_description",
    "noindex",
    "comments_open",
    "primary_author",
    "primary_tag",
    "authors",
    "tags",
    "count",
];

/// A post or page. With `fields`, only the fields named are sent.
#[derive(Serialize, ToSchema)]
#[schema(as = Post)]
pub struct PostView {
    pub id: i64,
    pub uuid: Option<String>,
    pub title: String,
    pub slug: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub html: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub plaintext: Option<String>,
    pub excerpt: String,
    pub custom_excerpt: Option<String>,
    pub feature_image: Option<String>,
    pub feature_image_alt: Option<String>,
    pub featured: bool,
    pub visibility: &'static str,
    pub created_at: String,
    pub updated_at: String,
    pub published_at: Option<String>,
    pub reading_time: i32,
    pub word_count: i32,
    pub url: String,
    pub canonical_url: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub noindex: bool,
    pub comments_open: bool,
    /// With `include=authors`, primary first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authors: Option<Vec<LinkView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<LinkView>)]
    pub primary_author: Option<Option<LinkView>>,
    /// With `include=tags`, primary first.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tags: Option<Vec<LinkView>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<LinkView>)]
    pub primary_tag: Option<Option<LinkView>>,
    /// With `include=count.comments` or `count.likes`: those counts.
    #[serde(skip_serializing_if = "Map::is_empty")]
    #[schema(value_type = std::collections::HashMap<String, i64>)]
    pub count: Map<String, Value>,
}

/// Which bodies to send.
#[derive(Debug, Clone, Copy, Default)]
pub struct Formats {
    pub html: bool,
    pub plaintext: bool,
}

impl PostView {
    pub fn new(post: Post, base_url: &str, formats: Formats) -> PostView {
        let url = absolute(base_url, &format!("/{}/", post.slug));
        PostView {
            id: post.id,
            uuid: post.uuid.clone(),
            excerpt: post.summary().to_string(),
            plaintext: formats.plaintext.then(|| plain_text(&post.html)),
            html: formats.html.then_some(post.html),
            title: post.title,
            slug: post.slug,
            custom_excerpt: post.custom_excerpt.filter(|e| !e.trim().is_empty()),
            feature_image: post.feature_image.map(|src| absolute(base_url, &src)),
            feature_image_alt: post.feature_image_alt,
            featured: post.featured,
            visibility: "public",
            created_at: moment(post.created_at),
            updated_at: moment(post.updated_at),
            published_at: post.published_at.map(moment),
            reading_time: post.reading_minutes,
            word_count: post.word_count,
            canonical_url: post.canonical_url,
            url,
            meta_title: post.meta_title,
            meta_description: post.meta_description,
            noindex: post.noindex,
            comments_open: post.comments_open,
            authors: None,
            primary_author: None,
            tags: None,
            primary_tag: None,
            count: Map::new(),
        }
    }

    pub fn with_authors(&mut self, authors: &[AuthorLink], base_url: &str) {
        let views: Vec<LinkView> = authors
            .iter()
            .map(|a| LinkView::new(a.id, &a.display_name, &a.slug, base_url, "/author/"))
            .collect();
        self.primary_author = Some(views.first().cloned());
        self.authors = Some(views);
    }

    pub fn with_tags(&mut self, tags: &[TagLink], base_url: &str) {
        let views: Vec<LinkView> = tags
            .iter()
            .map(|t| LinkView::new(t.id, &t.name, &t.slug, base_url, "/tag/"))
            .collect();
        self.primary_tag = Some(views.first().cloned());
        self.tags = Some(views);
    }
}

/// The words of a post's stored HTML, one line per block.
fn plain_text(html: &str) -> String {
    let mut text = String::with_capacity(html.len() / 2);
    let mut in_tag = false;
    let mut tag = String::new();
    for c in html.chars() {
        match c {
            '<' => {
                in_tag = true;
                tag.clear();
            }
            '>' if in_tag => {
                in_tag = false;
                let name = tag
                    .trim_start_matches('/')
                    .split_whitespace()
                    .next()
                    .unwrap_or("");
                let block = matches!(
                    name,
                    "p" | "br"
                        | "li"
                        | "h1"
                        | "h2"
                        | "h3"
                        | "h4"
                        | "h5"
                        | "h6"
                        | "pre"
                        | "blockquote"
                        | "tr"
                        | "figcaption"
                        | "hr"
                        | "div"
                );
                if block && !text.ends_with('\n') && !text.is_empty() {
                    text.push('\n');
                }
            }
            c if in_tag => tag.push(c),
            c => text.push(c),
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&#x27;", "'")
        .replace("&nbsp;", "\u{a0}")
        .replace("&amp;", "&");
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty())
        .collect::<Vec<_>>()
        .join("\n")
}

/// An author or tag as a post names it.
#[derive(Serialize, Clone, ToSchema)]
#[schema(as = Link)]
pub struct LinkView {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub url: String,
}

impl LinkView {
    fn new(id: i64, name: &str, slug: &str, base_url: &str, section: &str) -> LinkView {
        LinkView {
            id,
            name: name.to_string(),
            slug: slug.to_string(),
            url: absolute(base_url, &format!("{section}{slug}/")),
        }
    }
}

pub const TAG_FIELDS: &[&str] = &[
    "id",
    "name",
    "slug",
    "description",
    "feature_image",
    "visibility",
    "meta_title",
    "meta_description",
    "url",
    "count",
];

/// A tag with published posts. With `fields`, only the fields named are sent.
#[derive(Serialize, ToSchema)]
#[schema(as = Tag)]
pub struct TagView {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub description: Option<String>,
    pub feature_image: Option<String>,
    pub visibility: &'static str,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<PostCount>,
}

#[derive(Serialize, Clone, Copy, ToSchema)]
pub struct PostCount {
    pub posts: i64,
}

impl TagView {
    pub fn new(tag: Tag, base_url: &str, posts: Option<i64>) -> TagView {
        TagView {
            id: tag.id,
            url: absolute(base_url, &tag.path()),
            description: non_empty(&tag.description),
            name: tag.name,
            slug: tag.slug,
            feature_image: None,
            visibility: "public",
            meta_title: tag.meta_title,
            meta_description: tag.meta_description,
            count: posts.map(|posts| PostCount { posts }),
        }
    }
}

pub const AUTHOR_FIELDS: &[&str] = &[
    "id",
    "name",
    "slug",
    "bio",
    "website",
    "profile_image",
    "cover_image",
    "location",
    "meta_title",
    "meta_description",
    "url",
    "count",
];

/// A member of staff with published posts. With `fields`, only the fields named are sent.
#[derive(Serialize, ToSchema)]
#[schema(as = Author)]
pub struct AuthorView {
    pub id: i64,
    pub name: String,
    pub slug: String,
    pub bio: Option<String>,
    pub website: Option<String>,
    pub profile_image: Option<String>,
    pub cover_image: Option<String>,
    pub location: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub count: Option<PostCount>,
}

impl AuthorView {
    /// A member of staff as readers see them: never their email or role.
    pub fn new(user: User, base_url: &str, posts: Option<i64>) -> AuthorView {
        let website = non_empty(&user.website)
            .filter(|w| w.starts_with("https://") || w.starts_with("http://"));
        AuthorView {
            id: user.id,
            url: absolute(base_url, &format!("/author/{}/", user.slug)),
            name: user.display_name,
            slug: user.slug,
            bio: non_empty(&user.bio),
            website,
            profile_image: None,
            cover_image: None,
            location: None,
            meta_title: None,
            meta_description: None,
            count: posts.map(|posts| PostCount { posts }),
        }
    }
}

/// The settings a reader could learn from the site's pages.
#[derive(Serialize, ToSchema)]
#[schema(as = Settings)]
pub struct SettingsView {
    pub title: String,
    pub description: String,
    pub logo: Option<String>,
    pub icon: Option<String>,
    pub lang: String,
    pub locale: String,
    pub timezone: String,
    pub posts_per_page: i64,
    pub navigation: Vec<NavigationView>,
    pub secondary_navigation: Vec<NavigationView>,
    pub social: Vec<SocialView>,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = Navigation)]
pub struct NavigationView {
    pub label: String,
    pub url: String,
}

#[derive(Serialize, ToSchema)]
#[schema(as = SocialProfile)]
pub struct SocialView {
    pub network: String,
    pub url: String,
}

impl SettingsView {
    pub fn new(settings: &SiteSettings, base_url: &str) -> SettingsView {
        SettingsView {
            title: settings.title.clone(),
            description: settings.description.clone(),
            logo: settings.logo_url.as_deref().map(|u| absolute(base_url, u)),
            icon: settings.icon_url.as_deref().map(|u| absolute(base_url, u)),
            lang: settings.language.clone(),
            locale: settings.language.clone(),
            timezone: settings.timezone.name().to_string(),
            posts_per_page: settings.posts_per_page,
            navigation: settings
                .navigation
                .iter()
                .map(|item| NavigationView {
                    label: item.label.clone(),
                    url: absolute(base_url, &item.url),
                })
                .collect(),
            secondary_navigation: Vec::new(),
            social: settings
                .social
                .iter()
                .map(|link| SocialView {
                    network: link.network.clone(),
                    url: link.url.clone(),
                })
                .collect(),
            url: format!("{base_url}/"),
        }
    }
}

/// `item` as JSON, keeping only `fields` when some are named.
pub fn with_fields(item: &impl Serialize, fields: &[String]) -> Value {
    let value = serde_json::to_value(item).unwrap_or(Value::Null);
    match value {
        Value::Object(map) if !fields.is_empty() => Value::Object(
            map.into_iter()
                .filter(|(name, _)| fields.iter().any(|f| f == name))
                .collect(),
        ),
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plain_text_keeps_the_words_and_the_blocks() {
        let html = "<h2 id=\"a\">Fast &amp; small</h2><p>One <em>two</em></p>\
                    <ul><li>three</li><li>four&lt;5</li></ul><pre><code>x = 1</code></pre>";
        assert_eq!(
            plain_text(html),
            "Fast & small\nOne two\nthree\nfour<5\nx = 1"
        );
    }
}
