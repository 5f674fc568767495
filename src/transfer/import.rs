//! `quire import`: whatever the format, items are checked with the parsers the admin and
//! the API use, then written in batches through the same use cases.
//!
//! Two passes. The first reads the whole source and checks every item — posts are
//! rendered too, since a text can be over a rendering limit — writing nothing; a dry run
//! stops there. The second writes: people, tags and the file's redirects in one
//! transaction, then posts in batches of [`BATCH`], each with the redirects from its old
//! addresses. Rendered posts are kept between the passes up to [`KEEP_RENDERED_UP_TO`];
//! beyond that the source is read again, so memory does not grow with the file.
//!
//! An item that cannot be imported is skipped and reported with its position, and the rest
//! goes in; with `strict`, the first such item stops the import before anything is
//! written. Items are matched by slug (people also by email), so importing the same file
//! again — after an interruption, or to pick up changes — updates what is there and never
//! duplicates it. People who already have an account are left as they are, and a file
//! cannot make a second owner.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::atomic::Ordering;

use chrono::NaiveDateTime;
use rayon::prelude::*;

use super::format::{
    AuthorDoc, CommentDoc, MediaDoc, PostDoc, RedirectDoc, RevisionDoc, SettingsDoc, TagDoc,
};
use super::media::{ImportMedia, LocalFiles, MediaPolicy, worth_a_job};
use super::parse_date;
use super::source::{self, Incoming, Item, Labelled, Source};
use crate::db::{Db, DbConn};
use crate::domain::changes::Touched;
use crate::domain::comments;
use crate::domain::input::FieldErrors;
use crate::domain::media::NewMedia;
use crate::domain::posts::input::{self, Cover, Intent, PostInput, Prepared};
use crate::domain::posts::write::History;
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
/// Posts rendered at once, on every core, while checking.
const CHECK_CHUNK: usize = 128;
pub use crate::domain::posts::MAX_MARKDOWN_BYTES;

/// Up to this much text in all (Markdown and the HTML rendered from it), checked posts are
/// kept for writing rather than read and rendered a second time; past it, memory stays
/// where it is however long the file.
pub const KEEP_RENDERED_UP_TO: usize = 48 << 20;

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

/// How to import.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Check everything and say what would happen; write nothing.
    pub dry_run: bool,
    /// Stop at the first item that cannot be imported, writing nothing.
    pub strict: bool,
    /// How much rendered text to keep between the passes; `None` is
    /// [`KEEP_RENDERED_UP_TO`], `Some(0)` reads the whole source again.
    pub keep_rendered: Option<usize>,
    /// What images may be fetched from other sites (files beside a Markdown folder's posts
    /// are always brought in).
    pub media: MediaPolicy,
    /// The media library's folder: an archive's image files are copied there, and an
    /// export's image records are kept only when their files are there.
    pub media_dir: Option<std::path::PathBuf>,
    /// Tell webhooks of each post and page the import makes live (`post.published`); by
    /// default an import tells no one.
    pub webhooks: bool,
}

/// What an import did (or, in a dry run, would do).
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct ImportReport {
    /// The format read, as "WordPress export (WXR 1.2)".
    pub format: String,
    pub dry_run: bool,
    pub authors: usize,
    pub tags: usize,
    /// Posts and pages imported: `posts_created + posts_updated`.
    pub posts: usize,
    pub posts_created: usize,
    pub posts_updated: usize,
    /// Posts and pages by status, as imported ("published", "draft", "scheduled", "trash").
    pub by_status: BTreeMap<String, usize>,
    pub pages: usize,
    pub redirects: usize,
    pub settings: bool,
    /// The old site's name, taken by a site without one of its own.
    pub site_name: Option<String>,
    /// Images of the media library (an archive's), revisions and deleted addresses.
    pub media: usize,
    pub revisions: usize,
    pub gone: usize,
    /// Readers' comments.
    pub comments: usize,
    /// People in the file who already had an account here, left as they are.
    pub left_alone: Vec<String>,
    /// Owners in the file, brought in as administrators: the site has one owner.
    pub not_owners: Vec<String>,
    /// Items not imported: where each is in the file, and why.
    pub skipped: Vec<(String, String)>,
    /// Things imported with a remark ("item 12 (id 1148): has no title: named 'Untitled'").
    pub warnings: Vec<String>,
    /// What the file holds that Quire does not import, counted.
    pub ignored: BTreeMap<String, usize>,
}

impl ImportReport {
    /// The report as lines of plain text, as it is printed and kept.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        let verb = if self.dry_run {
            "Would import"
        } else {
            "Imported"
        };
        out.push_str(&format!("Format: {}\n", self.format));
        out.push_str(&format!(
            "{verb} {} posts and pages ({} new, {} updated; {} pages), {} people, {} tags, {} redirects{}.\n",
            self.posts,
            self.posts_created,
            self.posts_updated,
            self.pages,
            self.authors,
            self.tags,
            self.redirects,
            if self.settings { ", and the settings" } else { "" }
        ));
        if let Some(name) = &self.site_name {
            out.push_str(&format!(
                "The site is named “{name}”, as the old site was.\n"
            ));
        }
        if self.media + self.revisions + self.gone > 0 {
            out.push_str(&format!(
                "Also {} images of the media library, {} earlier versions of posts and {} addresses of deleted content.\n",
                self.media, self.revisions, self.gone
            ));
        }
        if self.comments > 0 {
            out.push_str(&format!("{verb} {} comments.\n", self.comments));
        }
        if !self.by_status.is_empty() {
            let statuses: Vec<String> = self
                .by_status
                .iter()
                .map(|(s, n)| format!("{n} {s}"))
                .collect();
            out.push_str(&format!("By status: {}.\n", statuses.join(", ")));
        }
        for email in &self.left_alone {
            out.push_str(&format!("Already here, left as they are: {email}\n"));
        }
        for email in &self.not_owners {
            out.push_str(&format!(
                "An owner in the file, brought in as an administrator: {email}\n"
            ));
        }
        for (what, count) in &self.ignored {
            out.push_str(&format!("Not imported: {count} {what}\n"));
        }
        for (label, reason) in &self.skipped {
            out.push_str(&format!("Skipped {label}: {reason}\n"));
        }
        for warning in &self.warnings {
            out.push_str(&format!("Note: {warning}\n"));
        }
        out
    }
}

/// How far an import has got, for a progress bar or the admin's page.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Progress {
    /// The first pass: posts checked so far, and bytes of the source read out of its size
    /// (both 0 when the source cannot tell).
    Checking { posts: usize, bytes: u64, of: u64 },
    /// The second pass: posts written out of those to write.
    Writing { done: usize, of: usize },
}

/// Imports `path`, whatever its format, into the site; `progress` hears how far it is.
pub fn import(
    db: &Db,
    path: &Path,
    options: Options,
    now: NaiveDateTime,
    progress: &mut dyn FnMut(Progress),
) -> Result<ImportReport, ImportError> {
    // Asked to tell webhooks, the import says only what it published, below.
    let _quiet = crate::domain::webhooks::Held::begin();
    let mut source = source::open(path, now)?;
    let mut plan = check(db, source.as_mut(), &options, now, &mut *progress)?;
    if options.dry_run {
        return Ok(plan.report);
    }
    settle_media_files(
        &mut plan,
        source.media_files(),
        options.media_dir.as_deref(),
    )?;
    write(
        db,
        source.as_mut(),
        &mut plan,
        (&options.media, options.webhooks),
        now,
        progress,
    )?;
    Ok(plan.report)
}

/// A post checked against every rule, its references still by slug.
struct Planned {
    input: PostInput,
    status: PostStatus,
    authors: Vec<String>,
    times: Timestamps,
}

/// What the second pass needs of a checked post.
struct Accepted {
    /// The post's place among the file's posts, to find it when the file is read again.
    seq: usize,
    slug: String,
    kind: PostKind,
    status: PostStatus,
    authors: Vec<String>,
    tags: Vec<String>,
    times: Timestamps,
    old_paths: Vec<String>,
    local: Option<LocalFiles>,
    /// Whether the file brings the post's earlier versions too.
    history: History,
    prepared: Option<Prepared>,
}

struct Plan {
    settings: Option<SiteSettings>,
    /// The old site's title and description, checked.
    site_name: Option<(String, String)>,
    /// Each person, the addresses of their old author page, and when they last changed.
    authors: Vec<(UserRecord, Vec<String>, Option<NaiveDateTime>)>,
    /// Each tag, the addresses of its old pages, and when it last changed.
    tags: Vec<(TagFields, Vec<String>, Option<NaiveDateTime>)>,
    redirects: Vec<Target>,
    posts: Vec<Accepted>,
    media: Vec<(NewMedia, NaiveDateTime)>,
    gone: Vec<(String, NaiveDateTime)>,
    revisions: Vec<(RevisionDoc, NaiveDateTime)>,
    comments: Vec<PlannedComment>,
    report: ImportReport,
}

/// A comment checked and ready to write once its post is in.
struct PlannedComment {
    doc: CommentDoc,
    status: comments::Status,
    created_at: NaiveDateTime,
    edited_at: Option<NaiveDateTime>,
}

/// The first pass: every item checked, nothing written.
struct Checker<'a> {
    /// Asked a connection for each lookup, not holding one while the file is read.
    db: &'a Db,
    now: NaiveDateTime,
    strict: bool,
    plan: Plan,
    author_slugs: HashSet<String>,
    author_emails: HashSet<String>,
    tag_slugs: HashSet<String>,
    site_authors: HashMap<String, bool>,
    site_tags: HashMap<String, bool>,
    post_slugs: HashSet<String>,
    /// The last post read: the slug the file gave it and the one it gets (a renamed
    /// duplicate's comments, which follow it in a WordPress file, go under the new one).
    last_post: Option<(String, String)>,
    /// Posts read but not yet rendered, with their labels and warnings.
    pending: Vec<(usize, Planned, Incoming)>,
    seq: usize,
    kept_bytes: usize,
    keeping: bool,
    keep_up_to: usize,
}

fn check(
    db: &Db,
    source: &mut dyn Source,
    options: &Options,
    now: NaiveDateTime,
    progress: &mut dyn FnMut(Progress),
) -> Result<Plan, ImportError> {
    let mut checker = Checker {
        db,
        now,
        strict: options.strict,
        plan: Plan {
            settings: None,
            site_name: None,
            authors: Vec::new(),
            tags: Vec::new(),
            redirects: Vec::new(),
            posts: Vec::new(),
            media: Vec::new(),
            gone: Vec::new(),
            revisions: Vec::new(),
            comments: Vec::new(),
            report: ImportReport {
                format: source.format(),
                dry_run: options.dry_run,
                ..ImportReport::default()
            },
        },
        author_slugs: HashSet::new(),
        author_emails: HashSet::new(),
        tag_slugs: HashSet::new(),
        site_authors: HashMap::new(),
        site_tags: HashMap::new(),
        post_slugs: HashSet::new(),
        last_post: None,
        pending: Vec::new(),
        seq: 0,
        kept_bytes: 0,
        keeping: true,
        keep_up_to: options.keep_rendered.unwrap_or(KEEP_RENDERED_UP_TO),
    };
    // While checking, `progress` hears the posts checked and the bytes read so far.
    let (read, size) = (source.bytes_read(), source.size());
    source.read(&mut |item| {
        let before = checker.plan.posts.len();
        checker.take(item)?;
        if checker.plan.posts.len() != before {
            progress(Progress::Checking {
                posts: checker.plan.posts.len(),
                bytes: read.as_ref().map_or(0, |r| r.load(Ordering::Relaxed)),
                of: if read.is_some() { size } else { 0 },
            });
        }
        Ok(())
    })?;
    checker.render_pending()?;
    checker.count_existing()?;
    // Posts whose revisions the file carries take their history from it.
    let with_history: HashSet<&str> = checker
        .plan
        .revisions
        .iter()
        .map(|(r, _)| r.post.as_str())
        .collect();
    let with_history: HashSet<String> = with_history.into_iter().map(str::to_string).collect();
    for post in &mut checker.plan.posts {
        if with_history.contains(&post.slug) {
            post.history = History::Comes;
        }
    }
    let mut plan = checker.plan;
    plan.report.authors = plan.authors.len();
    plan.report.tags = plan.tags.len();
    plan.report.settings = plan.settings.is_some();
    plan.report.media = plan.media.len();
    plan.report.revisions = plan.revisions.len();
    plan.report.gone = plan.gone.len();
    plan.report.comments = plan.comments.len();
    plan.report.redirects = plan.redirects.len()
        + plan.authors.iter().map(|(_, p, _)| p.len()).sum::<usize>()
        + plan.tags.iter().map(|(_, p, _)| p.len()).sum::<usize>()
        + plan.posts.iter().map(|p| p.old_paths.len()).sum::<usize>();
    Ok(plan)
}

impl Checker<'_> {
    /// Notes a problem with an item: skipped, or with `strict` the end of the import.
    fn skip(&mut self, label: &str, reason: String) -> Result<(), ImportError> {
        if self.strict {
            return Err(invalid(label, reason));
        }
        self.plan.report.skipped.push((label.to_string(), reason));
        Ok(())
    }

    fn take(&mut self, item: Item) -> Result<(), ImportError> {
        match item {
            Item::Settings(doc) => match settings_of(doc, self.now) {
                Ok(settings) => self.plan.settings = Some(settings),
                Err(problem) => self.skip("settings", problem)?,
            },
            Item::SiteName { title, description } => {
                match settings::parse_title(&title, &description, self.now) {
                    Ok(named) => self.plan.site_name = Some(named),
                    Err(problem) => self.skip("the site's name", problem.to_string())?,
                }
            }
            Item::Author(author) => self.author(author)?,
            Item::Tag(tag) => self.tag(tag, true)?,
            Item::Redirect(redirect) => self.redirect(redirect)?,
            Item::Post(post) => self.post(*post)?,
            Item::Ignored(what) => {
                *self
                    .plan
                    .report
                    .ignored
                    .entry(what.to_string())
                    .or_default() += 1
            }
            Item::Unreadable { label, reason } => self.skip(&label, reason)?,
            Item::Media(item) => match media_record(item.doc) {
                Ok(record) => self.plan.media.push(record),
                Err(problem) => self.skip(&item.label, problem)?,
            },
            Item::Gone(item) => {
                let path = redirects::old_address(&item.doc.path).filter(|p| !p.contains('?'));
                match (path, parse_date(&item.doc.deleted_at)) {
                    (Some(path), Some(at)) => self.plan.gone.push((path, at)),
                    _ => self.skip(&item.label, "not a path and a date".into())?,
                }
            }
            Item::Revision(item) => {
                let doc = item.doc;
                let fits = doc.markdown.len() <= MAX_MARKDOWN_BYTES
                    && doc.title.chars().count() <= 1000
                    && !doc.title.contains('\0')
                    && !doc.markdown.contains('\0');
                match parse_date(&doc.created_at) {
                    Some(at) if fits => self.plan.revisions.push((doc, at)),
                    _ => self.skip(&item.label, "not a revision Quire can keep".into())?,
                }
            }
            Item::Comment(mut item) => match self.comment({
                // A comment right after a renamed post is that post's.
                if let Some((wanted, slug)) = &self.last_post
                    && item.doc.post == *wanted
                {
                    item.doc.post = slug.clone();
                }
                item.doc
            }) {
                Ok(planned) => self.plan.comments.push(planned),
                Err(problem) => self.skip(&item.label, problem)?,
            },
        }
        Ok(())
    }

    /// A comment is kept as it was said: the length limit of new comments does not apply,
    /// but it must be under a post of the file, dated, and free of control characters.
    fn comment(&self, mut doc: CommentDoc) -> Result<PlannedComment, String> {
        if !self.post_slugs.contains(&doc.post) {
            return Err(format!(
                "is under '{}', which the file does not have",
                doc.post
            ));
        }
        let status = comments::Status::parse(doc.status.trim())
            .ok_or_else(|| format!("has the unknown status '{}'", doc.status))?;
        let created_at = parse_date(&doc.created_at).ok_or("has no date")?;
        let edited_at = doc.edited_at.as_deref().and_then(parse_date);
        if doc.markdown.len() > MAX_COMMENT_BYTES {
            return Err(format!("is longer than {} KB", MAX_COMMENT_BYTES / 1024));
        }
        let mut errors = FieldErrors::default();
        doc.markdown = errors.body("markdown", "The comment", &doc.markdown, MAX_COMMENT_BYTES);
        doc.author_name = errors.text("author_name", "The name", &doc.author_name, 200);
        if let Some((_, problem)) = errors.iter().next() {
            return Err(problem.to_string());
        }
        if doc.author_name.is_empty() {
            doc.author_name = "Anonymous".into();
        }
        doc.author_url = doc.author_url.trim().chars().take(500).collect();
        doc.author_email = doc.author_email.trim().chars().take(320).collect();
        if status != comments::Status::Deleted && doc.markdown.trim().is_empty() {
            return Err("says nothing".into());
        }
        Ok(PlannedComment {
            doc,
            status,
            created_at,
            edited_at,
        })
    }

    fn author(&mut self, author: Labelled<AuthorDoc>) -> Result<(), ImportError> {
        let Labelled {
            doc,
            label,
            old_paths,
        } = author;
        let changed = doc.updated_at.as_deref().and_then(parse_date);
        let record = match author_record(doc) {
            Ok(record) => record,
            Err(problem) => return self.skip(&label, problem),
        };
        if !self.author_slugs.insert(record.slug.clone()) {
            return self.skip(&label, "the same slug appears twice in the file".into());
        }
        if !self.author_emails.insert(record.email.to_lowercase()) {
            return self.skip(&label, "the same email appears twice in the file".into());
        }
        let new_path = format!("/author/{}/", record.slug);
        let old_paths = redirectable(old_paths, &new_path);
        self.plan.authors.push((record, old_paths, changed));
        Ok(())
    }

    /// A tag declared by the file (`declared`), or named by a post.
    fn tag(&mut self, tag: Labelled<TagDoc>, declared: bool) -> Result<(), ImportError> {
        let Labelled {
            doc,
            label,
            old_paths,
        } = tag;
        let changed = doc.updated_at.as_deref().and_then(parse_date);
        let fields = match tags::parse(&TagInput {
            name: doc.name,
            slug: doc.slug,
            description: doc.description,
            meta_title: doc.meta_title.unwrap_or_default(),
            meta_description: doc.meta_description.unwrap_or_default(),
        }) {
            Ok(fields) => fields,
            Err(errors) => return self.skip(&label, errors.to_string()),
        };
        let slug = fields.slug.to_string();
        let new_path = format!("/tag/{slug}/");
        let old_paths = redirectable(old_paths, &new_path);
        if self.tag_slugs.insert(slug.clone()) {
            self.plan.tags.push((fields, old_paths, changed));
        } else if let Some((_, paths, _)) = self
            .plan
            .tags
            .iter_mut()
            .find(|(t, _, _)| t.slug.as_str() == slug)
        {
            // A category and a tag of the same slug are one tag here, reached from both.
            for path in old_paths {
                if !paths.contains(&path) {
                    paths.push(path);
                }
            }
        } else if declared {
            return self.skip(&label, "the same slug appears twice in the file".into());
        }
        Ok(())
    }

    fn redirect(&mut self, redirect: Labelled<RedirectDoc>) -> Result<(), ImportError> {
        let code = redirect.doc.code.to_string();
        match Target::parse_on("", &redirect.doc.from, &redirect.doc.to, &code) {
            Ok(target) => self.plan.redirects.push(target),
            Err(errors) => self.skip(&redirect.label, errors.to_string())?,
        }
        Ok(())
    }

    fn post(&mut self, mut incoming: Incoming) -> Result<(), ImportError> {
        self.seq += 1;
        let seq = self.seq;
        for tag in std::mem::take(&mut incoming.new_tags) {
            if !self.tag_slugs.contains(&tag.slug) {
                let label = format!("{}: tag '{}'", incoming.label, tag.slug);
                self.tag(Labelled::new(tag, label), false)?;
            }
        }
        // Two items of one slug: the later one is renamed, and says so.
        let wanted = incoming.doc.slug.trim().to_string();
        let mut slug = wanted.clone();
        let mut n = 2;
        while !wanted.is_empty() && self.post_slugs.contains(&slug) {
            slug = format!("{wanted}-{n}");
            n += 1;
        }
        if slug != wanted {
            if self.strict {
                return Err(invalid(
                    &incoming.label,
                    "the same slug appears twice in the file",
                ));
            }
            incoming.warnings.push(format!(
                "has the slug '{wanted}' of an earlier item: renamed '{slug}'"
            ));
            incoming.doc.slug = slug.clone();
        }
        self.last_post = Some((wanted.clone(), slug));
        if incoming.doc.tags.len() > input::MAX_TAGS {
            incoming.warnings.push(format!(
                "has {} tags; a post here has at most {}: the first {} are kept",
                incoming.doc.tags.len(),
                input::MAX_TAGS,
                input::MAX_TAGS
            ));
            incoming.doc.tags.truncate(input::MAX_TAGS);
        }
        let planned = match plan_post(std::mem::take(&mut incoming.doc), self.now) {
            Ok(planned) => planned,
            Err(problem) => return self.skip(&incoming.label, problem),
        };
        self.post_slugs.insert(planned.input.slug.clone());
        self.pending.push((seq, planned, incoming));
        if self.pending.len() >= CHECK_CHUNK {
            self.render_pending()?;
        }
        Ok(())
    }

    /// References checked, then texts rendered on every core.
    fn render_pending(&mut self) -> Result<(), ImportError> {
        let mut pending = std::mem::take(&mut self.pending);
        for (_, planned, incoming) in pending.iter_mut() {
            let mut authors = Vec::new();
            for author in std::mem::take(&mut planned.authors) {
                if self.author_known(&author)? {
                    authors.push(author);
                } else if self.strict {
                    return Err(invalid(
                        &incoming.label,
                        format!("unknown author '{author}'"),
                    ));
                } else {
                    incoming
                        .warnings
                        .push(format!("names the author '{author}', who is neither in the file nor on the site: left out"));
                }
            }
            planned.authors = authors;
            let mut tags = Vec::new();
            for tag in std::mem::take(&mut planned.input.tags) {
                if self.tag_known(&tag)? {
                    tags.push(tag);
                } else if self.strict {
                    return Err(invalid(&incoming.label, format!("unknown tag '{tag}'")));
                } else {
                    incoming.warnings.push(format!(
                        "names the tag '{tag}', which is neither in the file nor on the site: left out"
                    ));
                }
            }
            planned.input.tags = tags;
        }
        let outcomes: Vec<Result<Prepared, FieldErrors>> = pending
            .par_iter()
            .map(|(_, planned, _)| input::prepare(planned.input.clone()))
            .collect();
        for ((seq, planned, incoming), outcome) in pending.into_iter().zip(outcomes) {
            let prepared = match outcome {
                Ok(prepared) => prepared,
                Err(errors) => {
                    self.post_slugs.remove(&planned.input.slug);
                    self.skip(&incoming.label, errors.to_string())?;
                    continue;
                }
            };
            for warning in incoming.warnings {
                self.plan
                    .report
                    .warnings
                    .push(format!("{}: {warning}", incoming.label));
            }
            let size = prepared.markdown.len() + prepared.rendered.html.as_str().len();
            // Once one is not kept, none after it is: the second pass reads on from there.
            let kept = self.keeping && self.kept_bytes + size <= self.keep_up_to;
            self.keeping = kept;
            if kept {
                self.kept_bytes += size;
            }
            let slug = prepared.slug.to_string();
            let new_path = format!("/{slug}/");
            self.plan.posts.push(Accepted {
                seq,
                slug,
                kind: prepared.kind,
                status: planned.status,
                authors: planned.authors,
                tags: prepared.tags.clone(),
                times: planned.times,
                old_paths: redirectable(incoming.old_paths, &new_path),
                local: incoming.local,
                history: History::Starts,
                prepared: kept.then_some(prepared),
            });
        }
        Ok(())
    }

    fn author_known(&mut self, slug: &str) -> Result<bool, ImportError> {
        if self.author_slugs.contains(slug) {
            return Ok(true);
        }
        if let Some(known) = self.site_authors.get(slug) {
            return Ok(*known);
        }
        let known = self
            .db
            .with_connection(|conn| users::by_slug(conn, slug).map_err(ImportError::from))?
            .is_some();
        self.site_authors.insert(slug.to_string(), known);
        Ok(known)
    }

    fn tag_known(&mut self, slug: &str) -> Result<bool, ImportError> {
        if self.tag_slugs.contains(slug) {
            return Ok(true);
        }
        if let Some(known) = self.site_tags.get(slug) {
            return Ok(*known);
        }
        let known = self
            .db
            .with_connection(|conn| tags::by_slug(conn, slug).map_err(ImportError::from))?
            .is_some();
        self.site_tags.insert(slug.to_string(), known);
        Ok(known)
    }

    /// Which posts are new and which replace one of the same slug, and the tallies.
    fn count_existing(&mut self) -> Result<(), ImportError> {
        let report = &mut self.plan.report;
        for chunk in self.plan.posts.chunks(500) {
            let slugs: Vec<String> = chunk.iter().map(|p| p.slug.clone()).collect();
            let existing: HashSet<String> = self
                .db
                .with_connection(|conn| {
                    posts::existing_slugs(conn, &slugs).map_err(ImportError::from)
                })?
                .into_iter()
                .collect();
            for post in chunk {
                if existing.contains(&post.slug) {
                    report.posts_updated += 1;
                } else {
                    report.posts_created += 1;
                }
                let status = if post.times.deleted_at.is_some() {
                    "trash".to_string()
                } else {
                    post.status.as_str().to_string()
                };
                *report.by_status.entry(status).or_default() += 1;
                if post.kind == PostKind::Page {
                    report.pages += 1;
                }
            }
        }
        report.posts = report.posts_created + report.posts_updated;
        Ok(())
    }
}

/// Old addresses worth a redirect to `new_path`: well-formed, and not the new one itself.
fn redirectable(old_paths: Vec<String>, new_path: &str) -> Vec<String> {
    let mut kept: Vec<String> = Vec::new();
    for path in old_paths {
        let Some(path) = redirects::old_address(&path) else {
            continue;
        };
        // A request for `/archives/123` is first sent to `/archives/123/` (one address per
        // page): the redirect must wait there.
        let path = if path.contains('?') {
            path
        } else {
            crate::web::canonical::canonical_path(&path).unwrap_or(path)
        };
        if path != new_path && !kept.contains(&path) {
            kept.push(path);
        }
    }
    kept
}

/// An image's record from an export, checked: the stem names its files, so it must be
/// one Quire makes.
fn media_record(doc: MediaDoc) -> Result<(NewMedia, NaiveDateTime), String> {
    let stem_ok = !doc.stem.is_empty()
        && doc.stem.len() <= 64
        && doc
            .stem
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit());
    if !stem_ok || !matches!(doc.extension.as_str(), "jpg" | "png" | "webp") {
        return Err("not an image Quire stored".into());
    }
    let created_at = parse_date(&doc.created_at).ok_or("created_at is not a date")?;
    Ok((
        NewMedia {
            stem: doc.stem,
            extension: doc.extension,
            original_name: doc.original_name.chars().take(300).collect(),
            width: doc.width.max(1),
            height: doc.height.max(1),
            bytes: doc.bytes.max(0),
            variants: doc.variants,
            crops: doc.crops,
            alt: doc.alt.chars().take(300).collect(),
            uploaded_by: None,
        },
        created_at,
    ))
}

fn settings_of(doc: SettingsDoc, now: NaiveDateTime) -> Result<SiteSettings, String> {
    let changed = doc
        .updated_at
        .as_deref()
        .and_then(parse_date)
        .unwrap_or(now);
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
        staff_two_factor: doc.staff_two_factor,
        content_api_key_required: doc.content_api_key_required,
        social: doc.social.into_iter().map(|l| (l.network, l.url)).collect(),
        navigation: doc
            .navigation
            .into_iter()
            .map(|i| (i.label, i.url))
            .collect(),
    };
    settings::parse(&input, changed).map_err(|e| e.to_string())
}

fn author_record(author: AuthorDoc) -> Result<UserRecord, String> {
    let slug = Slug::parse(&author.slug).map_err(|e| e.to_string())?;
    let email = Email::parse(&author.email).map_err(|e| e.to_string())?;
    let name = users::parse_display_name(&author.name).map_err(|e| e.to_string())?;
    let role = Role::from_input(&author.role).map_err(|e| e.to_string())?;
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
        return Err(errors.to_string());
    }
    Ok(UserRecord {
        email: email.as_str().to_string(),
        display_name: name,
        slug: slug.to_string(),
        role,
        bio,
        website,
        password_hash: author.password_hash,
    })
}

fn plan_post(post: PostDoc, now: NaiveDateTime) -> Result<Planned, String> {
    let kind = PostKind::parse(&post.kind)
        .ok_or_else(|| format!("kind '{}' is not post or page", post.kind))?;
    let status = PostStatus::parse(&post.status).ok_or_else(|| {
        format!(
            "status '{}' is not draft, scheduled or published",
            post.status
        )
    })?;
    let date = |field: &str, raw: &Option<String>| -> Result<Option<NaiveDateTime>, String> {
        raw.as_deref()
            .filter(|r| !r.trim().is_empty())
            .map(|r| {
                parse_date(r).ok_or_else(|| {
                    format!("{field} '{r}' is not a date such as 2026-11-21T09:30:00Z")
                })
            })
            .transpose()
    };
    let published_at = date("published_at", &post.published_at)?;
    if status == PostStatus::Scheduled && published_at.is_none() {
        return Err("a scheduled post needs published_at".into());
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
        tags: post.tags,
        authors: None,
        featured: post.featured,
        noindex: post.noindex,
        comments_open: post.comments_open,
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
        status,
        authors,
        times: Timestamps {
            created_at: created_at.unwrap_or(first),
            updated_at: updated_at.unwrap_or(first),
            deleted_at,
        },
    })
}

/// The second pass.
fn write(
    db: &Db,
    source: &mut dyn Source,
    plan: &mut Plan,
    (media, tell_webhooks): (&MediaPolicy, bool),
    now: NaiveDateTime,
    progress: &mut dyn FnMut(Progress),
) -> Result<(), ImportError> {
    let actor = Actor::command_line();
    let report = &mut plan.report;
    let (settings, authors, tag_plan, redirect_plan) =
        (&plan.settings, &plan.authors, &plan.tags, &plan.redirects);
    let site_name = &plan.site_name;
    let (media_plan, gone_plan) = (&plan.media, &plan.gone);

    // First: everything posts refer to. An import changes what readers see anywhere, so
    // each batch counts as a change to the whole site.
    let author_ids = db.with_connection(|conn| {
        write::transaction(conn, &actor, now, |tx| {
            if let Some(settings) = settings {
                settings::save_row(tx.conn, settings)?;
            } else if let Some((title, description)) = site_name {
                // Only a site still under its default name: the owner's own name stays.
                let now_named = settings::load(tx.conn)?;
                let default = SiteSettings::defaults(now);
                if now_named.as_ref().is_none_or(|s| s.title == default.title) {
                    let mut named = now_named.unwrap_or(default);
                    named.title = title.clone();
                    if !description.is_empty() {
                        named.description = description.clone();
                    }
                    named.updated_at = now;
                    settings::save_row(tx.conn, &named)?;
                    report.site_name = Some(title.clone());
                }
            }
            let mut author_ids = HashMap::new();
            for (record, old_paths, changed) in authors {
                let id = match users::save_imported(tx.conn, record, changed.unwrap_or(now))? {
                    users::Imported::Existing(id) => {
                        report.left_alone.push(record.email.clone());
                        id
                    }
                    users::Imported::Created { id, demoted } => {
                        if demoted {
                            report.not_owners.push(record.email.clone());
                        }
                        id
                    }
                };
                author_ids.insert(record.slug.clone(), id);
                let to = format!("/author/{}/", record.slug);
                for from in old_paths {
                    redirects::save_imported(tx.conn, from, &to, 301, now)?;
                }
            }
            for (fields, old_paths, changed) in tag_plan {
                tags::save_imported(tx.conn, fields, changed.unwrap_or(now))?;
                let to = format!("/tag/{}/", fields.slug);
                for from in old_paths {
                    redirects::save_imported(tx.conn, from, &to, 301, now)?;
                }
            }
            for target in redirect_plan {
                redirects::save_imported(
                    tx.conn,
                    &target.from_path,
                    &target.to_path,
                    target.code,
                    now,
                )?;
            }
            for (record, created_at) in media_plan {
                crate::domain::media::save_imported(tx.conn, record, *created_at)?;
            }
            for (path, at) in gone_plan {
                crate::domain::gone::mark(tx.conn, path, *at)?;
            }
            tx.touch(Touched::Site);
            Ok(author_ids)
        })
        .map_err(ImportError::from)
    })?;

    let total = plan.posts.len();
    progress(Progress::Writing { done: 0, of: total });
    let mut done = 0;
    let mut write_batch = |batch: &mut [Accepted]| -> Result<(), ImportError> {
        db.with_connection(|conn| {
            write::transaction(conn, &actor, now, |tx| {
                for post in batch.iter_mut() {
                    let Some(mut prepared) = post.prepared.take() else {
                        continue;
                    };
                    // A file that names no author brings the post in with none.
                    let authors = resolve_authors(tx.conn, &post.authors, &author_ids)?;
                    prepared.authors = (!authors.is_empty()).then_some(authors);
                    let id =
                        posts::write::import(tx, &prepared, post.status, post.times, post.history)?;
                    if tell_webhooks {
                        let _telling = crate::domain::webhooks::Unheld::begin();
                        posts::events::imported(tx, id)?;
                    }
                    let cover = match &prepared.cover {
                        Cover::Address(address) => Some(address.as_str()),
                        _ => None,
                    };
                    if worth_a_job(&prepared.markdown, cover, &post.local, media) {
                        let job = ImportMedia {
                            post: id,
                            local: post.local.clone(),
                            policy: media.clone(),
                        };
                        // Each run of an import brings its posts' images in again (a second
                        // run wrote the old addresses back); stored ones are reused.
                        let key = format!("import-media:{id}:{}", now.and_utc().timestamp_micros());
                        tx.enqueue(&job, &key)?;
                    }
                    let to = format!("/{}/", post.slug);
                    for from in &post.old_paths {
                        redirects::save_imported(tx.conn, from, &to, 301, now)?;
                    }
                }
                tx.touch(Touched::Site);
                Ok(())
            })
            .map_err(ImportError::from)
        })?;
        done += batch.len();
        progress(Progress::Writing { done, of: total });
        Ok(())
    };
    // The posts kept from the check come first; the rest are read again, a batch at a time.
    let kept = plan
        .posts
        .iter()
        .position(|p| p.prepared.is_none())
        .unwrap_or(total);
    let (kept_posts, reread_posts) = plan.posts.split_at_mut(kept);
    for batch in kept_posts.chunks_mut(BATCH) {
        write_batch(batch)?;
    }
    if !reread_posts.is_empty() {
        reread(source, reread_posts, now, &mut write_batch)?;
    }
    write_revisions(db, &actor, &plan.revisions, &author_ids, now)?;
    write_comments(db, &actor, &mut plan.comments, now)
}

/// The longest comment an import keeps.
const MAX_COMMENT_BYTES: usize = 64 * 1024;

/// Readers' comments, after the posts they are under: each thread in order of time, so a
/// reply finds its parent written before it. A comment already here (same post, author,
/// time and text: an import run again) is not written twice.
fn write_comments(
    db: &Db,
    actor: &Actor,
    planned: &mut [PlannedComment],
    now: NaiveDateTime,
) -> Result<(), ImportError> {
    planned.sort_by(|a, b| {
        (a.doc.post.as_str(), a.created_at).cmp(&(b.doc.post.as_str(), b.created_at))
    });
    // The file's id of each comment written, with where it sits.
    let mut written: HashMap<String, comments::write::Placed> = HashMap::new();
    for chunk in planned.chunks(BATCH) {
        // Rendering is done before the transaction, never under the write lock.
        let rendered: Vec<crate::render::RenderedComment> = chunk
            .iter()
            .map(|c| crate::render::render_comment(&c.doc.markdown))
            .collect();
        db.with_connection(|conn| {
            write::transaction(conn, actor, now, |tx| {
                let mut post_ids: HashMap<&str, Option<i64>> = HashMap::new();
                for (planned, rendered) in chunk.iter().zip(&rendered) {
                    let doc = &planned.doc;
                    let post_id = match post_ids.get(doc.post.as_str()) {
                        Some(id) => *id,
                        None => {
                            let id = posts::by_slug_any(tx.conn, &doc.post)?;
                            post_ids.insert(&doc.post, id);
                            id
                        }
                    };
                    let Some(post_id) = post_id else {
                        continue;
                    };
                    let parent = doc
                        .parent
                        .as_ref()
                        .and_then(|p| written.get(p))
                        .filter(|p| p.post_id == post_id)
                        .copied();
                    let placed = comments::write::save_imported(
                        tx.conn,
                        &comments::write::Imported {
                            post_id,
                            parent,
                            author_name: &doc.author_name,
                            author_email: &doc.author_email,
                            author_url: &doc.author_url,
                            staff: doc.staff,
                            status: planned.status,
                            created_at: planned.created_at,
                            edited_at: planned.edited_at,
                            markdown: &doc.markdown,
                            html: rendered.html.as_str(),
                        },
                    )?;
                    if !doc.id.is_empty() {
                        written.insert(doc.id.clone(), placed);
                    }
                    tx.touch(Touched::Conversation(post_id));
                }
                Ok(())
            })
            .map_err(ImportError::from)
        })?;
    }
    Ok(())
}

/// Earlier versions of posts, after the posts they belong to.
fn write_revisions(
    db: &Db,
    actor: &Actor,
    revisions: &[(RevisionDoc, NaiveDateTime)],
    author_ids: &HashMap<String, i64>,
    now: NaiveDateTime,
) -> Result<(), ImportError> {
    for chunk in revisions.chunks(BATCH) {
        db.with_connection(|conn| {
            write::transaction(conn, actor, now, |tx| {
                for (doc, at) in chunk {
                    let Some(post) = posts::by_slug_any(tx.conn, &doc.post)? else {
                        continue;
                    };
                    let author = match &doc.author {
                        Some(slug) => match author_ids.get(slug) {
                            Some(id) => Some(*id),
                            None => users::by_slug(tx.conn, slug)?.map(|u| u.id),
                        },
                        None => None,
                    };
                    crate::domain::revisions::save_imported(
                        tx.conn,
                        post,
                        author,
                        &doc.title,
                        &doc.markdown,
                        *at,
                    )?;
                }
                Ok(())
            })
            .map_err(ImportError::from)
        })?;
    }
    Ok(())
}

/// Copies an archive's image files into the media library's folder, and keeps only the
/// image records whose files are there.
fn settle_media_files(
    plan: &mut Plan,
    from: Option<&Path>,
    into: Option<&Path>,
) -> Result<(), ImportError> {
    if plan.media.is_empty() {
        return Ok(());
    }
    let Some(into) = into else {
        plan.report.warnings.push(format!(
            "{} images of the media library were not imported: no media folder to put them in",
            plan.media.len()
        ));
        plan.media.clear();
        return Ok(());
    };
    let copy_error = |e: std::io::Error| ImportError::Read {
        path: into.display().to_string(),
        message: e.to_string(),
    };
    std::fs::create_dir_all(into).map_err(copy_error)?;
    if let Some(from) = from {
        // Only the files each record names (`{stem}.jpg`, `{stem}-640.webp`…): nothing else
        // in the archive reaches the public media folder.
        for (record, _) in &plan.media {
            for name in crate::domain::media::file_names_of(
                &record.stem,
                &record.extension,
                &record.variants,
                &record.crops,
            ) {
                let (source, target) = (from.join(&name), into.join(&name));
                if source.is_file() && !target.exists() {
                    std::fs::copy(&source, &target).map_err(copy_error)?;
                }
            }
        }
    }
    let before = plan.media.len();
    plan.media
        .retain(|(m, _)| into.join(format!("{}.{}", m.stem, m.extension)).is_file());
    let missing = before - plan.media.len();
    if missing > 0 {
        plan.report.warnings.push(format!(
            "{missing} images of the media library were not imported: their files are not there"
        ));
    }
    plan.report.media = plan.media.len();
    Ok(())
}

/// Reads the source again for the posts the check did not keep (`rest`, in file order),
/// rendering and writing them a batch at a time so memory does not grow with the file.
fn reread(
    source: &mut dyn Source,
    rest: &mut [Accepted],
    now: NaiveDateTime,
    write_batch: &mut dyn FnMut(&mut [Accepted]) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let by_seq: HashMap<usize, usize> = rest.iter().enumerate().map(|(i, p)| (p.seq, i)).collect();
    let mut seq = 0;
    let mut chunk: Vec<(usize, PostInput)> = Vec::new();
    let mut flush = |chunk: &mut Vec<(usize, PostInput)>, rest: &mut [Accepted]| {
        let Some(first) = chunk.first().map(|(i, _)| *i) else {
            return Ok(());
        };
        let count = chunk.len();
        let outcomes: Vec<(usize, Result<Prepared, FieldErrors>)> = chunk
            .par_drain(..)
            .map(|(i, input)| (i, input::prepare(input)))
            .collect();
        for (i, outcome) in outcomes {
            let post = &mut rest[i];
            let prepared = outcome.map_err(|e| {
                invalid(
                    format!("post '{}'", post.slug),
                    format!("{e} (the file changed during the import?)"),
                )
            })?;
            post.prepared = Some(prepared);
        }
        write_batch(&mut rest[first..first + count])
    };
    source.read(&mut |item| {
        let Item::Post(incoming) = item else {
            return Ok(());
        };
        seq += 1;
        let Some(&i) = by_seq.get(&seq) else {
            return Ok(());
        };
        let mut planned = plan_post(incoming.doc, now).map_err(|e| invalid(&incoming.label, e))?;
        planned.input.slug = rest[i].slug.clone();
        planned.input.tags = rest[i].tags.clone();
        chunk.push((i, planned.input));
        if chunk.len() >= BATCH {
            flush(&mut chunk, rest)?;
        }
        Ok(())
    })?;
    flush(&mut chunk, rest)
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

#[cfg(test)]
mod tests {
    use super::redirectable;

    #[test]
    fn old_addresses_are_kept_in_the_form_requests_reach() {
        let kept = redirectable(
            vec![
                "/Archives/123".into(),
                "/?p=5".into(),
                "/same/".into(),
                "not a path".into(),
                "/?p=5".into(),
            ],
            "/same/",
        );
        assert_eq!(kept, ["/archives/123/", "/?p=5"]);
    }
}
