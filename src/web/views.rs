//! What templates receive: the layout every page shares and small display types.

use std::sync::Arc;

use chrono::NaiveDateTime;
use chrono_tz::Tz;

use crate::domain::posts::{AuthorLink, Listing, PostCard, TagLink};
use crate::domain::settings::{NavItem, SiteSettings};
use crate::web::assets::Assets;
use crate::web::seo::jsonld::JsonLd;

/// Page-independent data for `base.html`, plus this page's head metadata.
pub struct Layout {
    pub site_title: String,
    pub language: String,
    pub navigation: Vec<NavLink>,
    pub assets: Arc<Assets>,
    /// The site's own icon, if set (else Quire's, from `assets`).
    pub icon: Option<String>,
    /// The publication's profiles elsewhere, for the footer: (network label, URL).
    pub social: Vec<(&'static str, String)>,
    /// The whole `<title>`.
    pub title: String,
    /// The page's own title, for social cards (no site suffix).
    pub social_title: String,
    pub description: String,
    /// Absolute canonical URL of this page.
    pub canonical: String,
    /// The page's one index decision. A noindex page (an error, a page marked noindex, any
    /// page of a site that discourages search engines) gets `robots: noindex` in the head and
    /// in `X-Robots-Tag`, no canonical link, no structured data, and no sitemap entry.
    pub noindex: bool,
    /// Open Graph type: website, article or profile.
    pub og_type: &'static str,
    pub image: Option<ImageMeta>,
    pub article: Option<ArticleMeta>,
    /// Feed autodiscovery links.
    pub feeds: Vec<FeedLink>,
    pub json_ld: Option<JsonLd>,
    /// On admin pages: the admin's frame, drawn instead of the public header and footer.
    pub admin: Option<crate::web::admin::frame::AdminFrame>,
}

/// An image for social cards, with an absolute URL.
pub struct ImageMeta {
    pub url: String,
    pub alt: String,
    /// Known for images from the media library.
    pub width: Option<i32>,
    pub height: Option<i32>,
}

/// Open Graph article properties.
pub struct ArticleMeta {
    pub published: Option<String>,
    pub modified: String,
    pub tags: Vec<String>,
}

pub struct FeedLink {
    pub mime: &'static str,
    pub title: String,
    pub url: String,
}

/// The three feed formats at `base` (a path ending in `/`), titled after `name`.
pub fn feed_links(base_url: &str, base: &str, name: &str) -> Vec<FeedLink> {
    vec![
        FeedLink {
            mime: "application/rss+xml",
            title: format!("{name} (RSS)"),
            url: format!("{base_url}{base}rss/"),
        },
        FeedLink {
            mime: "application/atom+xml",
            title: format!("{name} (Atom)"),
            url: format!("{base_url}{base}atom.xml"),
        },
        FeedLink {
            mime: "application/feed+json",
            title: format!("{name} (JSON Feed)"),
            url: format!("{base_url}{base}feed.json"),
        },
    ]
}

pub struct NavLink {
    pub label: String,
    pub url: String,
    pub current: bool,
}

/// Length search engines show of a meta description.
const DESCRIPTION_CHARS: usize = 155;

impl Layout {
    pub fn new(
        settings: &SiteSettings,
        assets: &Arc<Assets>,
        base_url: &str,
        path: &str,
        title: Option<&str>,
        description: &str,
    ) -> Layout {
        let full_title = match title {
            Some(page) => format!("{page} · {}", settings.title),
            None => settings.title.clone(),
        };
        Layout {
            site_title: settings.title.clone(),
            language: settings.language.clone(),
            navigation: settings
                .navigation
                .iter()
                .map(|NavItem { label, url }| NavLink {
                    label: label.clone(),
                    url: url.clone(),
                    current: url == path,
                })
                .collect(),
            assets: Arc::clone(assets),
            icon: settings.icon_url.clone(),
            social: settings
                .social
                .iter()
                .map(|link| (network_label(&link.network), link.url.clone()))
                .collect(),
            title: full_title,
            social_title: title.unwrap_or(&settings.title).to_string(),
            description: crate::render::trim_at_word(description, DESCRIPTION_CHARS),
            canonical: format!("{base_url}{path}"),
            noindex: settings.discourage_search,
            og_type: "website",
            image: None,
            article: None,
            feeds: feed_links(base_url, "/", &settings.title),
            json_ld: None,
            admin: None,
        }
    }
}

fn network_label(key: &str) -> &'static str {
    crate::domain::settings::SOCIAL_NETWORKS
        .iter()
        .find(|network| network.key == key)
        .map(|network| network.label)
        .unwrap_or("Elsewhere")
}

/// A template for a public page: the response takes its index decision from the layout.
pub trait PublicPage: askama::Template {
    fn layout(&self) -> &Layout;
}

pub use crate::render::absolute;

/// A moment shown to readers in the site's time zone, with its machine-readable form.
pub struct DateView {
    pub iso: String,
    pub human: String,
}

impl DateView {
    pub fn new(utc: NaiveDateTime, tz: Tz) -> DateView {
        let local = utc.and_utc().with_timezone(&tz);
        DateView {
            iso: local.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            human: local.format("%-d %B %Y").to_string(),
        }
    }

    /// To the minute, for the admin's lists of changes.
    pub fn with_time(utc: NaiveDateTime, tz: Tz) -> DateView {
        let local = utc.and_utc().with_timezone(&tz);
        DateView {
            iso: local.to_rfc3339_opts(chrono::SecondsFormat::Secs, false),
            human: local.format("%-d %B %Y, %H:%M").to_string(),
        }
    }
}

pub struct Link {
    pub url: String,
    pub label: String,
}

impl From<&AuthorLink> for Link {
    fn from(author: &AuthorLink) -> Link {
        Link {
            url: format!("/author/{}/", author.slug),
            label: author.display_name.clone(),
        }
    }
}

impl From<&TagLink> for Link {
    fn from(tag: &TagLink) -> Link {
        Link {
            url: format!("/tag/{}/", tag.slug),
            label: tag.name.clone(),
        }
    }
}

/// A post in a listing.
pub struct CardView {
    pub url: String,
    pub title: String,
    pub summary: String,
    pub date: Option<DateView>,
    pub reading_minutes: i32,
    pub featured: bool,
    pub authors: Vec<Link>,
    pub tags: Vec<Link>,
    pub likes: i64,
    pub comments: i64,
}

impl CardView {
    pub fn list(listing: &Listing, tz: Tz) -> Vec<CardView> {
        listing
            .cards
            .iter()
            .map(|card: &PostCard| CardView {
                url: format!("/{}/", card.slug),
                title: card.title.clone(),
                summary: card.summary().to_string(),
                date: card.published_at.map(|at| DateView::new(at, tz)),
                reading_minutes: card.reading_minutes,
                featured: card.featured,
                authors: links(listing.authors.get(&card.id)),
                tags: links(listing.tags.get(&card.id)),
                likes: listing.likes.get(&card.id).copied().unwrap_or(0),
                comments: listing.comments.get(&card.id).copied().unwrap_or(0),
            })
            .collect()
    }
}

pub fn links<'a, T: 'a>(items: Option<&'a Vec<T>>) -> Vec<Link>
where
    &'a T: Into<Link>,
{
    items
        .map(|items| items.iter().map(Into::into).collect())
        .unwrap_or_default()
}
