//! `quire import`: read a whole file, check every item with the parsers the admin and the
//! API use, then write in batches through the same use cases.
//!
//! Nothing is written until every item has been checked — posts are rendered too, since a
//! text can be over a rendering limit — so a malformed file or a bad item changes nothing,
//! and the error names the item. Items are matched by slug (people also by email), so
//! importing the same file again updates what is there and never duplicates it. People who
//! already have an account are left as they are (their role, password and profile are
//! theirs), and a file cannot make a second owner.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::NaiveDateTime;
use rayon::prelude::*;

use super::format::{self, Document, PostDoc};
use super::parse_date;
use crate::db::{Db, DbConn};
use crate::domain::changes::Touched;
use crate::domain::input::FieldErrors;
use crate::domain::posts::input::{self, Cover, Intent, PostInput, Prepared};
use crate::domain::posts::{self, PostKind, PostStatus, Timestamps};
use crate::domain::redirects::{self, Target};
use crate::domain::settings::{self, SettingsInput, SiteSettings};
use crate::domain::tags::{self, TagFields, TagInput};
use crate::domain::users::{self, Email, Role, UserRecord};
use crate::domain::write::{self, Actor, WriteError};
use crate::error::AppError;
use crate::render::Slug;

/// Posts written per transaction.
pub const BATCH: usize = 250;
pub use crate::domain::posts::MAX_MARKDOWN_BYTES;

/// Up to this much text in all, checked posts are kept for writing rather than rendered a
/// second time; beyond it memory would grow with the file.
const KEEP_RENDERED_UP_TO: usize = 64 << 20;

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

impl From<WriteError> for ImportError {
    fn from(error: WriteError) -> ImportError {
        match error {
            WriteError::Invalid(errors) => invalid("an item", errors.to_string()),
            other => ImportError::Database(other.into()),
        }
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
    /// People in the file who already had an account here, left as they are.
    pub left_alone: Vec<String>,
    /// Owners in the file, brought in as administrators: the site has one owner.
    pub not_owners: Vec<String>,
}

/// A post checked against every rule, its references still by slug.
struct Planned {
    /// The post as read, to check again (rendered) when it is not kept.
    input: PostInput,
    prepared: Option<Prepared>,
    status: PostStatus,
    authors: Vec<String>,
    tags: Vec<String>,
    times: Timestamps,
}

struct Plan {
    settings: Option<SiteSettings>,
    authors: Vec<UserRecord>,
    tags: Vec<TagFields>,
    posts: Vec<Planned>,
    redirects: Vec<Target>,
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

/// The first problem of an item, as a line for the command line.
fn problem(errors: &FieldErrors) -> String {
    errors.to_string()
}

/// Validates every item, naming the first one at fault (and how many others are).
fn check(conn: &mut DbConn, document: Document, now: NaiveDateTime) -> Result<Plan, ImportError> {
    let settings = document
        .settings
        .map(|doc| {
            let input = SettingsInput {
                title: doc.title,
                description: doc.description,
                language: doc.language,
                timezone: doc.timezone,
                posts_per_page: doc.posts_per_page.clamp(1, 100).to_string(),
                feed_items: doc.feed_items.clamp(1, 100).to_string(),
                logo_url: doc.logo_url.unwrap_or_default(),
                icon_url: doc.icon_url.unwrap_or_default(),
                discourage_search: doc.discourage_search,
                social: doc.social.into_iter().map(|l| (l.network, l.url)).collect(),
                navigation: doc
                    .navigation
                    .into_iter()
                    .map(|i| (i.label, i.url))
                    .collect(),
            };
            settings::parse(&input, now).map_err(|e| invalid("settings", problem(&e)))
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
        let mut errors = FieldErrors::default();
        let bio = errors.paragraphs(
            "bio",
            "The bio",
            &author.bio,
            crate::domain::accounts::MAX_BIO,
        );
        let website = errors
            .web_address(
                "website",
                &author.website,
                crate::domain::accounts::MAX_WEBSITE,
            )
            .unwrap_or_default();
        if !errors.is_empty() {
            return Err(invalid(&item, problem(&errors)));
        }
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
            bio,
            website,
            password_hash: author.password_hash,
        });
    }

    let mut tag_plan = Vec::with_capacity(document.tags.len());
    let mut tag_slugs = HashSet::new();
    for (i, tag) in document.tags.into_iter().enumerate() {
        let item = format!("tags[{i}] '{}'", tag.slug);
        let fields = tags::parse(&TagInput {
            name: tag.name,
            slug: tag.slug,
            description: tag.description,
            meta_title: tag.meta_title.unwrap_or_default(),
            meta_description: tag.meta_description.unwrap_or_default(),
        })
        .map_err(|e| invalid(&item, problem(&e)))?;
        if !tag_slugs.insert(fields.slug.to_string()) {
            return Err(invalid(&item, "the same slug appears twice in the file"));
        }
        tag_plan.push(fields);
    }

    // References may also point at people and tags already on the site.
    let mut known_authors = seen_slugs;
    let mut known_tags = tag_slugs;
    let mut post_slugs = HashSet::new();
    let mut planned = Vec::with_capacity(document.posts.len());
    for (i, post) in document.posts.into_iter().enumerate() {
        let item = format!("posts[{i}] '{}'", post.slug);
        let plan = plan_post(post, &item, now)?;
        if !post_slugs.insert(plan.input.slug.clone()) {
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
    check_texts(&mut planned)?;

    let mut redirect_plan = Vec::with_capacity(document.redirects.len());
    for (i, redirect) in document.redirects.into_iter().enumerate() {
        let item = format!("redirects[{i}] '{}'", redirect.from);
        let code = redirect.code.to_string();
        let target = Target::parse_on("", &redirect.from, &redirect.to, &code)
            .map_err(|e| invalid(&item, problem(&e)))?;
        redirect_plan.push(target);
    }

    Ok(Plan {
        settings,
        authors,
        tags: tag_plan,
        posts: planned,
        redirects: redirect_plan,
    })
}

/// Checks (and renders) every post with the editor's own parser, on every core. The
/// rendered posts are kept for writing when the file is small enough.
fn check_texts(planned: &mut [Planned]) -> Result<(), ImportError> {
    let total: usize = planned.iter().map(|p| p.input.markdown.len()).sum();
    let keep = total <= KEEP_RENDERED_UP_TO;
    let outcomes: Vec<Result<Option<Prepared>, FieldErrors>> = planned
        .par_iter()
        .map(|plan| input::prepare(plan.input.clone()).map(|p| keep.then_some(p)))
        .collect();
    let mut failures = outcomes
        .iter()
        .enumerate()
        .filter_map(|(i, outcome)| outcome.as_ref().err().map(|e| (i, e)));
    if let Some((i, errors)) = failures.next() {
        let others = failures.count();
        let mut message = problem(errors);
        if others > 0 {
            message.push_str(&format!(" ({others} more posts have problems too)"));
        }
        return Err(invalid(
            format!("posts[{i}] '{}'", planned[i].input.slug),
            message,
        ));
    }
    for (plan, outcome) in planned.iter_mut().zip(outcomes) {
        plan.prepared = outcome.ok().flatten();
    }
    Ok(())
}

fn plan_post(post: PostDoc, item: &str, now: NaiveDateTime) -> Result<Planned, ImportError> {
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
    let authors = if post.authors.is_empty() {
        post.author.into_iter().collect()
    } else {
        post.authors
    };
    let first = published_at.unwrap_or(now);
    let input = PostInput {
        kind,
        title: post.title,
        // A file names its slugs: none is made from the title.
        slug: if post.slug.trim().is_empty() {
            "-".into()
        } else {
            post.slug
        },
        markdown: post.markdown,
        custom_excerpt: post.excerpt.unwrap_or_default(),
        tags: post.tags.clone(),
        authors: None,
        featured: post.featured,
        noindex: post.noindex,
        publish_at: published_at,
        meta_title: post.meta_title.unwrap_or_default(),
        meta_description: post.meta_description.unwrap_or_default(),
        canonical_url: post.canonical_url.unwrap_or_default(),
        cover: match post.feature_image {
            Some(address) if !address.trim().is_empty() => Cover::Address(address),
            _ => Cover::None,
        },
        cover_alt: post.feature_image_alt.unwrap_or_default(),
        intent: Intent::Save,
    };
    Ok(Planned {
        input,
        prepared: None,
        status,
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
        ..ImportReport::default()
    };
    let actor = Actor::command_line();

    // First batch: everything posts refer to. An import changes what readers see anywhere,
    // so each batch counts as a change to the whole site.
    let author_ids = db.with_connection(|conn| {
        write::transaction(conn, &actor, now, |tx| {
            if let Some(settings) = &settings {
                settings::save_row(tx.conn, settings)?;
            }
            let mut author_ids = HashMap::new();
            for record in &authors {
                let saved = users::save_imported(tx.conn, record, now)?;
                match saved {
                    users::Imported::Existing(id) => {
                        report.left_alone.push(record.email.clone());
                        author_ids.insert(record.slug.clone(), id);
                    }
                    users::Imported::Created { id, demoted } => {
                        if demoted {
                            report.not_owners.push(record.email.clone());
                        }
                        author_ids.insert(record.slug.clone(), id);
                    }
                }
            }
            for fields in &tag_plan {
                tags::save_imported(tx.conn, fields, now)?;
            }
            for target in &redirect_plan {
                redirects::save_imported(
                    tx.conn,
                    &target.from_path,
                    &target.to_path,
                    target.code,
                    now,
                )?;
            }
            tx.touch(Touched::Site);
            Ok(author_ids)
        })
        .map_err(ImportError::from)
    })?;

    let total = planned.len();
    progress(0, total);
    for batch in planned.chunks(BATCH) {
        // Posts not kept from the check are rendered again here, on every core.
        let prepared: Vec<Prepared> = batch
            .par_iter()
            .map(|plan| match &plan.prepared {
                Some(prepared) => Ok(prepared.clone()),
                None => input::prepare(plan.input.clone()),
            })
            .collect::<Result<_, _>>()
            .map_err(|e| invalid("a post", problem(&e)))?;
        db.with_connection(|conn| {
            write::transaction(conn, &actor, now, |tx| {
                for (plan, mut prepared) in batch.iter().zip(prepared) {
                    // A file that names no author brings the post in with none.
                    let authors = resolve_authors(tx.conn, &plan.authors, &author_ids)?;
                    prepared.authors = (!authors.is_empty()).then_some(authors);
                    posts::write::import(tx, &prepared, plan.status, plan.times)?;
                }
                tx.touch(Touched::Site);
                Ok(())
            })
            .map_err(ImportError::from)
        })?;
        report.posts += batch.len();
        progress(report.posts, total);
    }
    Ok(report)
}

/// Ids for author slugs: from this import, else from the site (checked to exist beforehand).
fn resolve_authors(
    conn: &mut DbConn,
    slugs: &[String],
    imported: &HashMap<String, i64>,
) -> Result<Vec<i64>, WriteError> {
    let mut ids = Vec::with_capacity(slugs.len());
    for slug in slugs {
        let id = match imported.get(slug) {
            Some(id) => *id,
            None => users::by_slug(conn, slug)?.map(|u| u.id).ok_or_else(|| {
                WriteError::invalid("authors", format!("{slug} disappeared during the import"))
            })?,
        };
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    Ok(ids)
}
