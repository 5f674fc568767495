//! `quire import`: read a whole file, check every item, then write in batches.
//!
//! Nothing is written until the entire file has been parsed and validated, so a malformed
//! file or a bad item changes nothing. Items are matched by slug (people also by email), so
//! importing the same file again updates what is there and never duplicates it.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDateTime;
use rayon::prelude::*;

use super::format::{self, Document, PostDoc};
use super::parse_date;
use crate::db::{Db, DbConn, write_transaction};
use crate::domain::posts::{self, NewPost, PostKind, PostStatus, Timestamps};
use crate::domain::redirects;
use crate::domain::settings::{self, SiteSettings};
use crate::domain::tags::{self, TagFields};
use crate::domain::users::{self, Email, Role, UserRecord};
use crate::error::AppError;
use crate::render::{self, Rendered, Slug};

/// Posts written per transaction.
pub const BATCH: usize = 250;
pub use crate::domain::posts::MAX_MARKDOWN_BYTES;

#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("cannot read {path}: {message}")]
    Read { path: String, message: String },
    #[error("{path}: {message}")]
    Malformed { path: String, message: String },
    #[error("{item}: {problem}")]
    Invalid { item: String, problem: String },
    #[error("the database refused the import: {0}")]
    Database(#[from] AppError),
}

fn invalid(item: impl Into<String>, problem: impl Into<String>) -> ImportError {
    ImportError::Invalid {
        item: item.into(),
        problem: problem.into(),
    }
}

impl From<diesel::result::Error> for ImportError {
    fn from(error: diesel::result::Error) -> ImportError {
        ImportError::Database(error.into())
    }
}

impl From<posts::PostError> for ImportError {
    fn from(error: posts::PostError) -> ImportError {
        ImportError::Database(error.into())
    }
}

/// What an import did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    pub authors: usize,
    pub tags: usize,
    pub posts: usize,
    pub redirects: usize,
    pub settings: bool,
}

/// A post checked and ready to write, its references still by slug.
struct Planned {
    new: NewPost,
    authors: Vec<String>,
    tags: Vec<String>,
    times: Timestamps,
}

struct Plan {
    settings: Option<SiteSettings>,
    authors: Vec<UserRecord>,
    tags: Vec<TagFields>,
    posts: Vec<Planned>,
    redirects: Vec<(String, String, i32)>,
}

/// Imports `path` into the site. `progress` hears `(posts written, posts in all)`.
pub fn import(
    db: &Db,
    path: &Path,
    now: NaiveDateTime,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport, ImportError> {
    let document = read(path)?;
    let plan = db.with_connection(|conn| check(conn, document, now))?;
    write(db, plan, now, progress)
}

fn read(path: &Path) -> Result<Document, ImportError> {
    let shown = path.display().to_string();
    if path.is_dir() {
        return Err(ImportError::Malformed {
            path: shown,
            message: "is a folder; import reads a Quire JSON export or corpus file".into(),
        });
    }
    let file = std::fs::File::open(path).map_err(|e| ImportError::Read {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let document: Document =
        serde_json::from_reader(std::io::BufReader::new(file)).map_err(|e| {
            ImportError::Malformed {
                path: shown.clone(),
                message: format!("not a Quire JSON file ({e})"),
            }
        })?;
    if document.format != format::CORPUS && document.format != format::EXPORT {
        return Err(ImportError::Malformed {
            path: shown,
            message: format!(
                "unknown format '{}' (expected '{}' or '{}')",
                document.format,
                format::EXPORT,
                format::CORPUS
            ),
        });
    }
    if document.version != format::VERSION {
        return Err(ImportError::Malformed {
            path: shown,
            message: format!(
                "unsupported version {} (this Quire reads version 1)",
                document.version
            ),
        });
    }
    Ok(document)
}

/// Validates every item, naming the first one at fault.
fn check(conn: &mut DbConn, document: Document, now: NaiveDateTime) -> Result<Plan, ImportError> {
    let settings = document
        .settings
        .map(|doc| {
            let timezone = doc.timezone.parse().map_err(|_| {
                invalid("settings", format!("unknown time zone '{}'", doc.timezone))
            })?;
            if doc.title.trim().is_empty() {
                return Err(invalid("settings", "the title cannot be empty"));
            }
            Ok(SiteSettings {
                title: doc.title,
                description: doc.description,
                language: doc.language,
                timezone,
                posts_per_page: doc.posts_per_page.clamp(1, 100),
                navigation: doc.navigation,
                updated_at: now,
                discourage_search: doc.discourage_search,
                logo_url: doc.logo_url,
                feed_items: doc.feed_items.clamp(1, 100),
                icon_url: doc.icon_url,
                social: doc.social,
            })
        })
        .transpose()?;

    let mut authors = Vec::with_capacity(document.authors.len());
    let mut seen_slugs = HashSet::new();
    let mut seen_emails = HashSet::new();
    for (i, author) in document.authors.into_iter().enumerate() {
        let item = format!("authors[{i}] '{}'", author.slug);
        let slug = Slug::parse(&author.slug).map_err(|e| invalid(&item, e.to_string()))?;
        let email = Email::parse(&author.email).map_err(|e| invalid(&item, e.to_string()))?;
        let name =
            users::parse_display_name(&author.name).map_err(|e| invalid(&item, e.to_string()))?;
        let role = Role::from_input(&author.role).map_err(|e| invalid(&item, e.to_string()))?;
        if !seen_slugs.insert(slug.to_string()) {
            return Err(invalid(&item, "the same slug appears twice in the file"));
        }
        if !seen_emails.insert(email.as_str().to_lowercase()) {
            return Err(invalid(&item, "the same email appears twice in the file"));
        }
        authors.push(UserRecord {
            email: email.as_str().to_string(),
            display_name: name,
            slug: slug.to_string(),
            role,
            bio: author.bio,
            website: author.website,
            password_hash: author.password_hash,
        });
    }

    let mut tag_plan = Vec::with_capacity(document.tags.len());
    let mut tag_slugs = HashSet::new();
    for (i, tag) in document.tags.into_iter().enumerate() {
        let item = format!("tags[{i}] '{}'", tag.slug);
        let slug = Slug::parse(&tag.slug).map_err(|e| invalid(&item, e.to_string()))?;
        if tag.name.trim().is_empty() {
            return Err(invalid(&item, "the name cannot be empty"));
        }
        if !tag_slugs.insert(slug.to_string()) {
            return Err(invalid(&item, "the same slug appears twice in the file"));
        }
        tag_plan.push(TagFields {
            slug,
            name: tag.name,
            description: tag.description,
            meta_title: tag.meta_title.filter(|t| !t.trim().is_empty()),
            meta_description: tag.meta_description.filter(|t| !t.trim().is_empty()),
        });
    }

    // References may also point at people and tags already on the site.
    let mut known_authors = seen_slugs;
    let mut known_tags = tag_slugs;
    let mut post_slugs = HashSet::new();
    let mut planned = Vec::with_capacity(document.posts.len());
    for (i, post) in document.posts.into_iter().enumerate() {
        let item = format!("posts[{i}] '{}'", post.slug);
        let plan = check_post(post, &item, now)?;
        if !post_slugs.insert(plan.new.slug.to_string()) {
            return Err(invalid(&item, "the same slug appears twice in the file"));
        }
        for author in &plan.authors {
            if !known_authors.contains(author) {
                if users::by_slug(conn, author)?.is_none() {
                    return Err(invalid(&item, format!("unknown author '{author}'")));
                }
                known_authors.insert(author.clone());
            }
        }
        for tag in &plan.tags {
            if !known_tags.contains(tag) {
                if tags::by_slug(conn, tag)?.is_none() {
                    return Err(invalid(&item, format!("unknown tag '{tag}'")));
                }
                known_tags.insert(tag.clone());
            }
        }
        planned.push(plan);
    }

    let mut redirect_plan = Vec::with_capacity(document.redirects.len());
    for (i, redirect) in document.redirects.into_iter().enumerate() {
        let item = format!("redirects[{i}] '{}'", redirect.from);
        let local = |p: &str| p.starts_with('/') && !p.starts_with("//");
        if !local(&redirect.from) || !(local(&redirect.to) || redirect.to.starts_with("https://")) {
            return Err(invalid(
                &item,
                "paths must start with / (or the target with https://)",
            ));
        }
        if redirect.from == redirect.to {
            return Err(invalid(&item, "a redirect cannot point at itself"));
        }
        if !matches!(redirect.code, 301 | 302) {
            return Err(invalid(
                &item,
                format!("code {} is not 301 or 302", redirect.code),
            ));
        }
        redirect_plan.push((redirect.from, redirect.to, redirect.code));
    }

    Ok(Plan {
        settings,
        authors,
        tags: tag_plan,
        posts: planned,
        redirects: redirect_plan,
    })
}

fn check_post(post: PostDoc, item: &str, now: NaiveDateTime) -> Result<Planned, ImportError> {
    let slug = Slug::parse_top_level(&post.slug).map_err(|e| invalid(item, e.to_string()))?;
    if post.title.trim().is_empty() {
        return Err(invalid(item, "the title cannot be empty"));
    }
    if post.title.chars().count() > 255 {
        return Err(invalid(item, "the title can be at most 255 characters"));
    }
    if post.markdown.len() > MAX_MARKDOWN_BYTES {
        return Err(invalid(
            item,
            format!(
                "the body is {:.1} MB; the limit is {} MB",
                post.markdown.len() as f64 / 1_048_576.0,
                MAX_MARKDOWN_BYTES / 1_048_576
            ),
        ));
    }
    let kind = PostKind::parse(&post.kind)
        .ok_or_else(|| invalid(item, format!("kind '{}' is not post or page", post.kind)))?;
    let status = PostStatus::parse(&post.status).ok_or_else(|| {
        invalid(
            item,
            format!(
                "status '{}' is not draft, scheduled or published",
                post.status
            ),
        )
    })?;
    let date = |field: &str, raw: &Option<String>| -> Result<Option<NaiveDateTime>, ImportError> {
        raw.as_deref()
            .filter(|r| !r.trim().is_empty())
            .map(|r| {
                parse_date(r).ok_or_else(|| {
                    invalid(
                        item,
                        format!("{field} '{r}' is not a date such as 2026-11-21T09:30:00Z"),
                    )
                })
            })
            .transpose()
    };
    let published_at = date("published_at", &post.published_at)?;
    if status == PostStatus::Scheduled && published_at.is_none() {
        return Err(invalid(item, "a scheduled post needs published_at"));
    }
    let updated_at = date("updated_at", &post.updated_at)?;
    let created_at = date("created_at", &post.created_at)?;
    let deleted_at = date("deleted_at", &post.deleted_at)?;
    if let Some(canonical) = post.canonical_url.as_deref().filter(|c| !c.is_empty())
        && url::Url::parse(canonical).is_err()
    {
        return Err(invalid(
            item,
            format!("canonical_url '{canonical}' is not a URL"),
        ));
    }
    let authors = if post.authors.is_empty() {
        post.author.into_iter().collect()
    } else {
        post.authors
    };
    let first = published_at.unwrap_or(now);
    let mut new = NewPost::new(kind, slug, &post.title, &post.markdown);
    new.custom_excerpt = post.excerpt.filter(|e| !e.trim().is_empty());
    new.status = status;
    new.published_at = published_at;
    new.featured = post.featured;
    new.feature_image = post.feature_image;
    new.feature_image_alt = post.feature_image_alt;
    new.meta_title = post.meta_title;
    new.meta_description = post.meta_description;
    new.canonical_url = post.canonical_url;
    new.noindex = post.noindex;
    Ok(Planned {
        new,
        authors,
        tags: post.tags,
        times: Timestamps {
            created_at: created_at.unwrap_or(first),
            updated_at: updated_at.unwrap_or(first),
            deleted_at,
        },
    })
}

fn write(
    db: &Db,
    plan: Plan,
    now: NaiveDateTime,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<ImportReport, ImportError> {
    let Plan {
        settings,
        authors,
        tags: tag_plan,
        posts: planned,
        redirects: redirect_plan,
    } = plan;
    let mut report = ImportReport {
        authors: authors.len(),
        tags: tag_plan.len(),
        posts: 0,
        redirects: redirect_plan.len(),
        settings: settings.is_some(),
    };

    // First batch: everything posts refer to.
    let (author_ids, tag_ids) = db.with_connection(|conn| {
        write_transaction(conn, |conn| {
            if let Some(settings) = &settings {
                settings::save_row(conn, settings)?;
            }
            let mut author_ids = HashMap::new();
            for record in &authors {
                author_ids.insert(
                    record.slug.clone(),
                    users::save_imported(conn, record, now)?,
                );
            }
            let mut tag_ids = HashMap::new();
            for fields in &tag_plan {
                tag_ids.insert(
                    fields.slug.to_string(),
                    tags::save_imported(conn, fields, now)?,
                );
            }
            for (from, to, code) in &redirect_plan {
                redirects::save_imported(conn, from, to, *code, now)?;
            }
            Ok::<_, ImportError>((author_ids, tag_ids))
        })
    })?;

    let total = planned.len();
    progress(0, total);
    for batch in planned.chunks(BATCH) {
        // Rendering is the costly part and needs no database: do it on every core.
        let rendered: Vec<Rendered> = batch
            .par_iter()
            .map(|p| render::render(&p.new.markdown))
            .collect::<Result<_, _>>()
            .map_err(|e| invalid("a post", e.to_string()))?;
        db.with_connection(|conn| {
            write_transaction(conn, |conn| {
                for (plan, rendered) in batch.iter().zip(&rendered) {
                    let mut new = plan.new.clone();
                    new.author_ids = resolve(conn, &plan.authors, &author_ids, Ref::Author)?;
                    new.tag_ids = resolve(conn, &plan.tags, &tag_ids, Ref::Tag)?;
                    posts::save_imported(conn, &new, rendered, plan.times, now)?;
                }
                Ok::<_, ImportError>(())
            })
        })?;
        report.posts += batch.len();
        progress(report.posts, total);
    }
    Ok(report)
}

enum Ref {
    Author,
    Tag,
}

/// Ids for slugs: from this import, else from the site (checked to exist beforehand).
fn resolve(
    conn: &mut DbConn,
    slugs: &[String],
    imported: &HashMap<String, i64>,
    kind: Ref,
) -> Result<Vec<i64>, ImportError> {
    let mut ids = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let id = match imported.get(slug) {
            Some(id) => *id,
            None => match kind {
                Ref::Author => users::by_slug(conn, slug)?.map(|u| u.id),
                Ref::Tag => tags::by_slug(conn, slug)?.map(|t| t.id),
            }
            .ok_or_else(|| invalid(slug.as_str(), "disappeared during the import"))?,
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}
