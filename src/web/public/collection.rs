//! The page shared by tag and author archives: a heading, an introduction and a listing.

use askama::Template;

use crate::domain::posts::Listing;
use crate::domain::settings::SiteSettings;
use crate::state::AppState;
use crate::web::pager::{Pagination, page_path};
use crate::web::seo::{self, jsonld};
use crate::web::views::{CardView, Layout, PublicPage, absolute, feed_links};

#[derive(Template)]
#[template(path = "public/collection.html")]
pub struct CollectionPage {
    pub layout: Layout,
    /// "Tag" or "Author": what kind of archive this is.
    pub kind_label: &'static str,
    pub heading: String,
    pub introduction: String,
    pub website: Option<String>,
    pub cards: Vec<CardView>,
    pub pagination: Pagination,
}

impl PublicPage for CollectionPage {
    fn layout(&self) -> &Layout {
        &self.layout
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollectionKind {
    Tag,
    Author,
}

/// What differs between a tag's and an author's archive.
pub struct Collection {
    pub kind: CollectionKind,
    /// The archive's first page, e.g. `/tag/writing/`.
    pub base: String,
    pub heading: String,
    pub introduction: String,
    pub website: Option<String>,
    /// The title and description for search engines, when set apart from the heading and
    /// introduction.
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
}

impl CollectionPage {
    pub fn new(
        state: &AppState,
        settings: &SiteSettings,
        collection: Collection,
        listing: &Listing,
        page: i64,
    ) -> CollectionPage {
        let base_url = &state.config.base_url;
        let kind_label = match collection.kind {
            CollectionKind::Tag => "Tag",
            CollectionKind::Author => "Author",
        };
        let named = collection
            .meta_title
            .as_ref()
            .unwrap_or(&collection.heading);
        let title = match page {
            1 => named.clone(),
            n => format!("{named} (page {n})"),
        };
        let description = match &collection.meta_description {
            Some(description) => description.clone(),
            None if collection.introduction.is_empty() => {
                format!("{kind_label}: {}", collection.heading)
            }
            None => collection.introduction.clone(),
        };
        let mut layout = Layout::new(
            settings,
            &state.assets,
            base_url,
            &page_path(&collection.base, page),
            Some(&title),
            &description,
        );
        layout
            .feeds
            .extend(feed_links(base_url, &collection.base, &collection.heading));
        let site = seo::site(settings, base_url);
        layout.json_ld = Some(match collection.kind {
            CollectionKind::Tag => {
                jsonld::tag(&site, &layout.canonical, &title, &layout.description)
            }
            CollectionKind::Author => {
                layout.og_type = "profile";
                let person = jsonld::Person {
                    name: &collection.heading,
                    url: absolute(base_url, &collection.base),
                };
                jsonld::author(&site, &layout.canonical, &person, &collection.introduction)
            }
        });
        CollectionPage {
            layout,
            kind_label,
            cards: CardView::list(listing, settings.timezone),
            pagination: Pagination::by_path(&collection.base, page, listing.has_more),
            heading: collection.heading,
            introduction: collection.introduction,
            website: collection.website,
        }
    }
}
