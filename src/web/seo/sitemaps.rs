//! Sitemaps: `/sitemap.xml` indexes `/sitemap-posts.xml`, `-pages`, `-tags` and `-authors`,
//! each split into numbered files (`/sitemap-posts-2.xml`) at 50,000 URLs.
//!
//! A child sitemap is streamed in chunks of rows read by id, so memory stays flat whatever
//! the size of the site. Its ETag is derived from the site's last change rather than from the
//! body, so a revalidation costs one small query (where the file starts) and no rendering.

use std::sync::Arc;

use actix_web::http::header::{CACHE_CONTROL, ETAG, LAST_MODIFIED};
use actix_web::web::Bytes;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::NaiveDateTime;
use futures_util::stream;
use sha2::{Digest, Sha256};

use crate::clock::now;
use crate::domain::sitemap::{self, Entry, Section};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::public::{PUBLIC_CACHE, http_date};
use crate::web::views::absolute;

/// The most URLs one sitemap file may hold.
pub const URLS_PER_FILE: i64 = 50_000;
/// Rows read from the database at a time while streaming.
const CHUNK: i64 = 1_000;
const XML: &str = "application/xml; charset=utf-8";

#[derive(Template)]
#[template(path = "feeds/sitemap_index.xml", escape = "html")]
struct SitemapIndex {
    sitemaps: Vec<IndexEntry>,
}

struct IndexEntry {
    loc: String,
    lastmod: Option<String>,
}

#[derive(Template)]
#[template(path = "feeds/sitemap_urls.xml", escape = "html")]
struct UrlChunk {
    urls: Vec<UrlEntry>,
}

struct UrlEntry {
    loc: String,
    lastmod: Option<String>,
    image: Option<String>,
}

/// W3C datetime, as sitemaps want it.
fn w3c(at: NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, false)
}

/// The file name of part `n` (from 1) of a section.
fn file_name(section: Section, n: i64) -> String {
    match n {
        1 => format!("sitemap-{}.xml", section.name()),
        n => format!("sitemap-{}-{n}.xml", section.name()),
    }
}

/// `posts` → (Posts, 1); `posts-2` → (Posts, 2); `posts-1` and anything else → none.
fn parse_name(name: &str) -> Option<(Section, i64)> {
    if let Some(section) = Section::parse(name) {
        return Some((section, 1));
    }
    let (section, digits) = name.rsplit_once('-')?;
    if digits.starts_with('0') {
        return None;
    }
    let n: i64 = digits.parse().ok().filter(|n: &i64| *n >= 2)?;
    Some((Section::parse(section)?, n))
}

pub async fn sitemap_index(state: web::Data<AppState>) -> AppResult<HttpResponse> {
    let now = now();
    let site = Arc::clone(&state.site);
    let (sections, changed) = state
        .db
        .run(move |conn| {
            let site = site.current(conn, now)?;
            // A site that discourages search engines lists nothing.
            let discouraged = site.settings.discourage_search;
            let mut sections = Vec::new();
            if !discouraged {
                let first_page = site.settings.posts_per_page;
                for section in Section::ALL {
                    sections.push((section, sitemap::summary(conn, section, now, first_page)?));
                }
            }
            Ok::<_, AppError>((sections, site.last_change))
        })
        .await?;
    let base_url = &state.config.base_url;
    let mut sitemaps = Vec::new();
    for (section, (count, lastmod)) in sections {
        let files = (count + URLS_PER_FILE - 1) / URLS_PER_FILE;
        for n in 1..=files {
            sitemaps.push(IndexEntry {
                loc: format!("{base_url}/{}", file_name(section, n)),
                lastmod: lastmod.map(w3c),
            });
        }
    }
    let body = SitemapIndex { sitemaps }.render()?;
    let response = HttpResponse::Ok()
        .content_type(XML)
        .insert_header((CACHE_CONTROL, PUBLIC_CACHE))
        .insert_header((LAST_MODIFIED, http_date(changed)))
        .body(body);
    let shows = vec![crate::domain::changes::Touched::Listings];
    Ok(crate::web::page_cache::Depends::on(response, shows))
}

pub async fn sitemap_file(
    state: web::Data<AppState>,
    name: web::Path<String>,
) -> AppResult<HttpResponse> {
    let (section, n) = parse_name(&name).ok_or(AppError::NotFound)?;
    let now = now();
    let offset = (n - 1) * URLS_PER_FILE;
    let site = Arc::clone(&state.site);
    let (start_after, changed, first_page) = state
        .db
        .run(move |conn| {
            let site = site.current(conn, now)?;
            if site.settings.discourage_search {
                return Err(AppError::NotFound);
            }
            let first_page = site.settings.posts_per_page;
            let start = sitemap::start_after(conn, section, now, first_page, offset)?;
            Ok((start, site.last_change, first_page))
        })
        .await?;
    // Past the last file there is nothing: no empty sitemaps.
    let start_after = start_after.ok_or(AppError::NotFound)?;

    let base_url = state.config.base_url.clone();
    let etag = {
        let key = format!("{}|{n}|{changed}|{base_url}", section.name());
        format!("\"{}\"", hex::encode(&Sha256::digest(key.as_bytes())[..16]))
    };
    let body = url_stream(
        state.into_inner(),
        section,
        now,
        first_page,
        start_after,
        base_url,
    );
    Ok(HttpResponse::Ok()
        .content_type(XML)
        .insert_header((CACHE_CONTROL, PUBLIC_CACHE))
        .insert_header((LAST_MODIFIED, http_date(changed)))
        .insert_header((ETAG, etag))
        .streaming(body))
}

const URLSET_OPEN: &str = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<urlset \
    xmlns=\"http://www.sitemaps.org/schemas/sitemap/0.9\" \
    xmlns:image=\"http://www.google.com/schemas/sitemap-image/1.1\">\n";
const URLSET_CLOSE: &str = "</urlset>\n";

enum Step {
    Open,
    Rows { after: i64, left: i64 },
    Close,
    Done,
}

/// The `<urlset>` of one file: opening tag, up to 50,000 URLs read `CHUNK` rows at a time,
/// closing tag.
fn url_stream(
    state: std::sync::Arc<AppState>,
    section: Section,
    now: NaiveDateTime,
    first_page: i64,
    start_after: i64,
    base_url: String,
) -> impl futures_util::Stream<Item = Result<Bytes, AppError>> {
    stream::unfold(Step::Open, move |step| {
        let state = state.clone();
        let base_url = base_url.clone();
        async move {
            match step {
                Step::Open => Some((
                    Ok(Bytes::from_static(URLSET_OPEN.as_bytes())),
                    Step::Rows {
                        after: start_after,
                        left: URLS_PER_FILE,
                    },
                )),
                Step::Rows { after, left } => {
                    let limit = left.min(CHUNK);
                    let rows = state
                        .db
                        .run(move |conn| {
                            sitemap::chunk(conn, section, now, first_page, after, limit)
                        })
                        .await;
                    match rows {
                        Err(error) => Some((Err(error), Step::Done)),
                        Ok(rows) if rows.is_empty() => {
                            Some((Ok(Bytes::from_static(URLSET_CLOSE.as_bytes())), Step::Done))
                        }
                        Ok(rows) => {
                            let last = rows.last().map(|e| e.id).unwrap_or(after);
                            let left = left - rows.len() as i64;
                            let next = if left > 0 && rows.len() as i64 == limit {
                                Step::Rows { after: last, left }
                            } else {
                                Step::Close
                            };
                            Some((render_chunk(&rows, &base_url), next))
                        }
                    }
                }
                Step::Close => Some((Ok(Bytes::from_static(URLSET_CLOSE.as_bytes())), Step::Done)),
                Step::Done => None,
            }
        }
    })
}

fn render_chunk(rows: &[Entry], base_url: &str) -> Result<Bytes, AppError> {
    let urls = rows
        .iter()
        .map(|entry| UrlEntry {
            loc: format!("{base_url}{}", entry.path),
            lastmod: entry.lastmod.map(w3c),
            image: entry.image.as_deref().map(|i| absolute(base_url, i)),
        })
        .collect();
    Ok(Bytes::from(UrlChunk { urls }.render()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_round_trip() {
        assert_eq!(parse_name("posts"), Some((Section::Posts, 1)));
        assert_eq!(parse_name("posts-2"), Some((Section::Posts, 2)));
        assert_eq!(parse_name("authors-12"), Some((Section::Authors, 12)));
        for bad in [
            "posts-1", "posts-0", "posts-02", "posts-x", "nothing", "", "posts-",
        ] {
            assert_eq!(parse_name(bad), None, "{bad}");
        }
        assert_eq!(file_name(Section::Tags, 1), "sitemap-tags.xml");
        assert_eq!(file_name(Section::Tags, 3), "sitemap-tags-3.xml");
    }
}
