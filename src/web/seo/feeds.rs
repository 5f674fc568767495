//! Feeds in RSS 2.0, Atom 1.0 and JSON Feed 1.1, for the site, each tag and each author:
//! the newest posts with their full content, links made absolute.

use std::sync::Arc;

use actix_web::http::header::{CACHE_CONTROL, LAST_MODIFIED};
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use serde_json::json;

use crate::clock::now;
use crate::domain::changes::Touched;
use crate::domain::posts::{self, FeedItems, Scope};
use crate::domain::settings::SiteSettings;
use crate::domain::{tags, users};
use crate::error::{AppError, AppResult};
use crate::render::SafeHtml;
use crate::state::AppState;
use crate::web::page_cache::Depends;
use crate::web::public::{PUBLIC_CACHE, http_date, plausible_slug};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Rss,
    Atom,
    Json,
}

impl Format {
    fn content_type(self) -> &'static str {
        match self {
            Format::Rss => "application/rss+xml; charset=utf-8",
            Format::Atom => "application/atom+xml; charset=utf-8",
            Format::Json => "application/feed+json; charset=utf-8",
        }
    }

    /// The feed's path under its owner's page, e.g. `rss/`.
    fn file(self) -> &'static str {
        match self {
            Format::Rss => "rss/",
            Format::Atom => "atom.xml",
            Format::Json => "feed.json",
        }
    }
}

/// Whose posts a feed carries, as named in the URL.
enum Owner {
    Site,
    Tag(String),
    Author(String),
}

/// Everything a feed shows, in the forms its formats need.
struct Feed {
    title: String,
    site_title: String,
    description: String,
    language: String,
    home_url: String,
    self_url: String,
    updated_rfc2822: String,
    updated_rfc3339: String,
    items: Vec<Item>,
}

struct Item {
    title: String,
    url: String,
    summary: String,
    content_html: String,
    published_rfc2822: String,
    published_rfc3339: String,
    updated_rfc3339: String,
    authors: Vec<Person>,
    tags: Vec<String>,
    image: Option<String>,
}

struct Person {
    name: String,
    url: String,
}

#[derive(Template)]
#[template(path = "feeds/rss.xml", escape = "html")]
struct RssFeed<'a> {
    feed: &'a Feed,
}

#[derive(Template)]
#[template(path = "feeds/atom.xml", escape = "html")]
struct AtomFeed<'a> {
    feed: &'a Feed,
}

/// One handler per owner and format, so routes stay plain.
macro_rules! feed_handlers {
    ($($name:ident: $format:expr;)*) => {$(
        pub async fn $name(state: web::Data<AppState>) -> AppResult<HttpResponse> {
            respond(&state, Owner::Site, $format).await
        }
    )*};
    ($($name:ident: $owner:ident, $format:expr;)*) => {$(
        pub async fn $name(
            state: web::Data<AppState>,
            slug: web::Path<String>,
        ) -> AppResult<HttpResponse> {
            respond(&state, Owner::$owner(slug.into_inner()), $format).await
        }
    )*};
}

feed_handlers! {
    site_rss: Format::Rss;
    site_atom: Format::Atom;
    site_json: Format::Json;
}

feed_handlers! {
    tag_rss: Tag, Format::Rss;
    tag_atom: Tag, Format::Atom;
    tag_json: Tag, Format::Json;
    author_rss: Author, Format::Rss;
    author_atom: Author, Format::Atom;
    author_json: Author, Format::Json;
}

async fn respond(state: &AppState, owner: Owner, format: Format) -> AppResult<HttpResponse> {
    if let Owner::Tag(slug) | Owner::Author(slug) = &owner
        && !plausible_slug(slug)
    {
        return Err(AppError::NotFound);
    }
    let now = now();
    let site = Arc::clone(&state.site);
    let (site, owner_page, items) = state
        .db
        .run(move |conn| {
            let site = site.current(conn, now)?;
            let (scope, page) = match owner {
                Owner::Site => (Scope::Site, None),
                Owner::Tag(slug) => {
                    let tag = tags::by_slug(conn, &slug)?.ok_or(AppError::NotFound)?;
                    (
                        Scope::Tag(tag.id),
                        Some((tag.name, format!("/tag/{}/", tag.slug))),
                    )
                }
                Owner::Author(slug) => {
                    let user = users::by_slug(conn, &slug)?.ok_or(AppError::NotFound)?;
                    let page = (user.display_name, format!("/author/{}/", user.slug));
                    (Scope::Author(user.id), Some(page))
                }
            };
            let items = posts::feed(conn, scope, now, site.settings.feed_items)?;
            Ok::<_, AppError>((site, page, items))
        })
        .await?;
    // A tag or author with nothing published has no page, and so no feed either.
    if owner_page.is_some() && items.posts.is_empty() {
        return Err(AppError::NotFound);
    }
    let changed = site.last_change;
    let feed = build(state, &site.settings, owner_page, items, changed, format);
    let body = match format {
        Format::Rss => RssFeed { feed: &feed }.render()?,
        Format::Atom => AtomFeed { feed: &feed }.render()?,
        Format::Json => json_feed(&feed),
    };
    let response = HttpResponse::Ok()
        .content_type(format.content_type())
        .insert_header((CACHE_CONTROL, PUBLIC_CACHE))
        .insert_header((LAST_MODIFIED, http_date(changed)))
        .body(body);
    Ok(Depends::on(response, vec![Touched::Listings]))
}

fn build(
    state: &AppState,
    settings: &SiteSettings,
    owner_page: Option<(String, String)>,
    items: FeedItems,
    changed: NaiveDateTime,
    format: Format,
) -> Feed {
    let base_url = &state.config.base_url;
    let base = url::Url::parse(&format!("{base_url}/")).expect("the base URL was validated");
    let (title, page) = match owner_page {
        Some((name, page)) => (format!("{name} · {}", settings.title), page),
        None => (settings.title.clone(), "/".to_string()),
    };
    let FeedItems {
        posts,
        authors,
        tags,
    } = items;
    let items = posts
        .into_iter()
        .map(|post| {
            let published = post.published_at.unwrap_or(post.created_at);
            Item {
                url: format!("{base_url}/{}/", post.slug),
                summary: post.summary().to_string(),
                content_html: SafeHtml::from_stored(post.html)
                    .with_absolute_urls(&base)
                    .into_string(),
                published_rfc2822: published.and_utc().to_rfc2822(),
                published_rfc3339: rfc3339(published),
                updated_rfc3339: rfc3339(post.updated_at.max(published)),
                authors: authors
                    .get(&post.id)
                    .map(|list| {
                        list.iter()
                            .map(|a| Person {
                                name: a.display_name.clone(),
                                url: format!("{base_url}/author/{}/", a.slug),
                            })
                            .collect()
                    })
                    .unwrap_or_default(),
                tags: tags
                    .get(&post.id)
                    .map(|list| list.iter().map(|t| t.name.clone()).collect())
                    .unwrap_or_default(),
                image: post
                    .feature_image
                    .as_deref()
                    .filter(|i| !i.is_empty())
                    .map(|i| crate::web::views::absolute(base_url, i)),
                title: post.title,
            }
        })
        .collect();
    Feed {
        title,
        site_title: settings.title.clone(),
        description: settings.description.clone(),
        language: settings.language.clone(),
        home_url: format!("{base_url}{page}"),
        self_url: format!("{base_url}{page}{}", format.file()),
        updated_rfc2822: changed.and_utc().to_rfc2822(),
        updated_rfc3339: rfc3339(changed),
        items,
    }
}

fn rfc3339(at: NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

fn json_feed(feed: &Feed) -> String {
    let items: Vec<_> = feed
        .items
        .iter()
        .map(|item| {
            let mut value = json!({
                "id": item.url,
                "url": item.url,
                "title": item.title,
                "summary": item.summary,
                "content_html": item.content_html,
                "date_published": item.published_rfc3339,
                "date_modified": item.updated_rfc3339,
                "authors": item.authors.iter()
                    .map(|a| json!({ "name": a.name, "url": a.url }))
                    .collect::<Vec<_>>(),
                "tags": item.tags,
            });
            if let Some(image) = &item.image {
                value["image"] = json!(image);
            }
            value
        })
        .collect();
    json!({
        "version": "https://jsonfeed.org/version/1.1",
        "title": feed.title,
        "home_page_url": feed.home_url,
        "feed_url": feed.self_url,
        "description": feed.description,
        "language": feed.language,
        "authors": [{ "name": feed.site_title }],
        "items": items,
    })
    .to_string()
}
