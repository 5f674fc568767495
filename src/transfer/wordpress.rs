//! WordPress export files (WXR 1.0 to 1.2), read as a stream with a pull parser: one item
//! at a time is in memory, whatever the size of the file.
//!
//! Elements are matched by namespace (`wp:`, `content:`, `excerpt:`, `dc:`) and local name,
//! not by the exact namespace address, which differs between exporters (`http://` and
//! `https://wordpress.org/export/1.2/`). Entities other than XML's five and character
//! references are never expanded, and nothing external is ever fetched.

use std::collections::HashMap;
use std::io::BufReader;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{NaiveDateTime, SecondsFormat};
use quick_xml::NsReader;
use quick_xml::events::{BytesStart, Event};
use quick_xml::name::ResolveResult;

use super::format::{AuthorDoc, CommentDoc, PostDoc, RedirectDoc, TagDoc};
use super::html::{self, GalleryImage};
use super::import::ImportError;
use super::source::{Incoming, Item, Labelled, Sink, Source};
use crate::render::slugify;

/// A WordPress export nests a handful of levels; anything deeper is not one.
const MAX_NESTING: usize = 64;
/// The most text one element may hold (a post is at most 2 MB; HTML is wordier).
const MAX_TEXT: usize = 32 << 20;

/// Where a WordPress site served its RSS feed; Quire's is at `/rss/`.
const FEED: &str = "/feed/";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Ns {
    None,
    Wp,
    Content,
    Excerpt,
    Dc,
    Other,
}

fn namespace(resolved: &ResolveResult<'_>) -> Ns {
    match resolved {
        ResolveResult::Bound(ns) => {
            let uri = ns.as_ref();
            if uri.contains("wordpress.org/export/") && uri.contains("/excerpt") {
                Ns::Excerpt
            } else if uri.contains("wordpress.org/export/") {
                Ns::Wp
            } else if uri.contains("purl.org/rss/1.0/modules/content") {
                Ns::Content
            } else if uri.contains("purl.org/dc/elements") {
                Ns::Dc
            } else {
                Ns::Other
            }
        }
        ResolveResult::Unbound => Ns::None,
        ResolveResult::Unknown(_) => Ns::Other,
    }
}

/// A closed element: its namespace and name, the text it held, and its attributes.
struct Closed<'a> {
    ns: Ns,
    name: &'a str,
    text: String,
    attributes: &'a [(String, String)],
    /// The enclosing elements' local names, outermost first (not this one).
    within: &'a [String],
}

/// Walks the file, calling `on_close` for each element as it ends, with its text. Only the
/// innermost element's text is kept, so memory is one item's largest field.
fn walk(
    path: &Path,
    read: &AtomicU64,
    mut on_close: impl FnMut(Closed<'_>) -> Result<(), ImportError>,
) -> Result<(), ImportError> {
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| ImportError::Read {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let mut reader = NsReader::from_reader(BufReader::with_capacity(1 << 16, file));
    reader.config_mut().check_end_names = true;
    let mut buf = Vec::new();
    let mut stack: Vec<String> = Vec::new();
    let mut open_attributes: Vec<Vec<(String, String)>> = Vec::new();
    let mut namespaces: Vec<Ns> = Vec::new();
    let mut text = String::new();
    let mut saw_root = false;
    let malformed = |at: u64, message: String| ImportError::Malformed {
        path: shown.clone(),
        message: format!("not a readable WordPress export at byte {at}: {message}"),
    };
    loop {
        let at = reader.buffer_position();
        read.store(at, Ordering::Relaxed);
        let (resolved, event) = reader
            .read_resolved_event_into(&mut buf)
            .map_err(|e| malformed(at, e.to_string()))?;
        let ns = namespace(&resolved);
        match event {
            Event::Start(start) => {
                if stack.len() >= MAX_NESTING {
                    return Err(malformed(
                        at,
                        format!("elements nest more than {MAX_NESTING} deep"),
                    ));
                }
                let name = start.local_name().as_ref().to_string();
                if !saw_root {
                    check_root(&name).map_err(|m| malformed(at, m))?;
                    saw_root = true;
                }
                open_attributes.push(attributes_of(&start));
                stack.push(name);
                namespaces.push(ns);
                text.clear();
            }
            Event::Empty(start) => {
                let name = start.local_name().as_ref().to_string();
                if !saw_root {
                    check_root(&name).map_err(|m| malformed(at, m))?;
                    saw_root = true;
                }
                let attributes = attributes_of(&start);
                on_close(Closed {
                    ns,
                    name: &name,
                    text: String::new(),
                    attributes: &attributes,
                    within: &stack,
                })?;
            }
            Event::End(_) => {
                let (Some(name), Some(attributes), Some(ns)) =
                    (stack.pop(), open_attributes.pop(), namespaces.pop())
                else {
                    return Err(malformed(at, "a closing tag without an opening one".into()));
                };
                on_close(Closed {
                    ns,
                    name: &name,
                    text: std::mem::take(&mut text),
                    attributes: &attributes,
                    within: &stack,
                })?;
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::CData(c) => text.push_str(&c.xml10_content()),
            Event::GeneralRef(r) => match r.resolve_char_ref() {
                Ok(Some(c)) => text.push(c),
                Ok(None) => {
                    match quick_xml::escape::resolve_predefined_entity(&r.xml10_content()) {
                        Some(s) => text.push_str(s),
                        // Declared entities are never expanded: the text keeps the reference.
                        None => {
                            text.push('&');
                            text.push_str(&r.xml10_content());
                            text.push(';');
                        }
                    }
                }
                Err(e) => return Err(malformed(at, e.to_string())),
            },
            Event::Eof => {
                if !saw_root {
                    return Err(malformed(at, "the file is empty".into()));
                }
                if let Some(open) = stack.last() {
                    return Err(malformed(
                        at,
                        format!("the file ends inside <{open}> (is it cut short?)"),
                    ));
                }
                return Ok(());
            }
            Event::DocType(_) | Event::Decl(_) | Event::PI(_) | Event::Comment(_) => {}
        }
        if text.len() > MAX_TEXT {
            return Err(malformed(
                at,
                format!("one element holds more than {} MB of text", MAX_TEXT >> 20),
            ));
        }
        buf.clear();
    }
}

fn check_root(name: &str) -> Result<(), String> {
    if name == "rss" {
        Ok(())
    } else {
        Err(format!("it starts with <{name}>, not <rss>"))
    }
}

fn attributes_of(start: &BytesStart<'_>) -> Vec<(String, String)> {
    start
        .attributes()
        .flatten()
        .map(|a| {
            let value = a
                .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                .map(|v| v.into_owned())
                .unwrap_or_else(|_| a.value.to_string());
            (a.key.local_name().as_ref().to_string(), value)
        })
        .collect()
}

/// An attachment, found in a first quick pass: covers and galleries name them by id, and
/// they may come after the posts that use them.
#[derive(Debug, Clone)]
struct Attachment {
    url: String,
    alt: String,
}

pub struct Wxr {
    path: PathBuf,
    size: u64,
    now: NaiveDateTime,
    version: String,
    attachments: HashMap<String, Attachment>,
    /// Bytes the pass under way has read.
    read: Arc<AtomicU64>,
}

impl Wxr {
    /// Checks the file is a WordPress export and notes its attachments.
    pub fn open(path: &Path, now: NaiveDateTime) -> Result<Wxr, ImportError> {
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        let mut version = String::new();
        let mut attachments = HashMap::new();
        let mut current = (String::new(), String::new(), String::new(), false);
        let mut meta = (String::new(), String::new());
        let read = Arc::new(AtomicU64::new(0));
        walk(path, &read, |closed| {
            let in_item = closed.within.iter().any(|n| n == "item");
            match (closed.ns, closed.name) {
                (Ns::Wp, "wxr_version") => version = closed.text.trim().to_string(),
                (Ns::Wp, "post_id") if in_item => current.0 = closed.text.trim().to_string(),
                (Ns::Wp, "attachment_url") if in_item => current.1 = closed.text.trim().to_string(),
                (Ns::Wp, "post_type") if in_item => current.3 = closed.text.trim() == "attachment",
                (Ns::Wp, "meta_key") => meta.0 = closed.text.trim().to_string(),
                (Ns::Wp, "meta_value") => meta.1 = closed.text,
                (Ns::Wp, "postmeta") if meta.0 == "_wp_attachment_image_alt" => {
                    current.2 = std::mem::take(&mut meta.1).trim().to_string();
                }
                (Ns::None, "item") => {
                    let (id, url, alt, is_attachment) = std::mem::take(&mut current);
                    if is_attachment && !url.is_empty() {
                        attachments.insert(id, Attachment { url, alt });
                    }
                }
                _ => {}
            }
            Ok(())
        })?;
        if version.is_empty() {
            return Err(ImportError::Malformed {
                path: path.display().to_string(),
                message: "an RSS file, but not a WordPress export (no wp:wxr_version)".into(),
            });
        }
        Ok(Wxr {
            path: path.to_path_buf(),
            size,
            now,
            version,
            attachments,
            read,
        })
    }
}

/// One `<wp:comment>` as it is read.
#[derive(Default)]
struct Comment {
    id: String,
    author: String,
    email: String,
    url: String,
    date_gmt: String,
    date: String,
    content: String,
    approved: String,
    kind: String,
    parent: String,
}

/// The fields of an `<item>` as they are read.
#[derive(Default)]
struct RawItem {
    title: String,
    link: String,
    creator: String,
    content: String,
    excerpt: String,
    id: String,
    date: String,
    date_gmt: String,
    name: String,
    status: String,
    kind: String,
    password: String,
    sticky: bool,
    categories: Vec<(String, String, String)>,
    meta: Vec<(String, String)>,
    comments: Vec<Comment>,
    comment_status: String,
}

#[derive(Default)]
struct RawAuthor {
    login: String,
    email: String,
    display_name: String,
    first_name: String,
    last_name: String,
}

#[derive(Default)]
struct RawTerm {
    slug: String,
    name: String,
    parent: String,
    description: String,
}

/// A WordPress slug (`post_name`, `category_nicename`) as a Quire slug: WordPress
/// percent-encodes non-ASCII ones.
fn wp_slug(raw: &str, fallback: &str) -> String {
    let decoded = url::form_urlencoded::parse(format!("x={}", raw.trim()).as_bytes())
        .next()
        .map(|(_, v)| v.into_owned())
        .unwrap_or_default();
    let from = if decoded.trim().is_empty() {
        fallback
    } else {
        &decoded
    };
    slugify(from)
}

/// `2012-01-03 17:11:37` as RFC 3339; WordPress writes `0000-00-00 00:00:00` for none.
fn wp_date(raw: &str) -> Option<String> {
    NaiveDateTime::parse_from_str(raw.trim(), "%Y-%m-%d %H:%M:%S")
        .ok()
        .map(|d| d.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true))
}

impl Wxr {
    fn attachment(&self, id: &str) -> Option<GalleryImage> {
        self.attachments.get(id).map(|a| GalleryImage {
            url: a.url.clone(),
            alt: a.alt.clone(),
        })
    }

    /// The path and query of an address on the old site, for a redirect.
    fn old_path(address: &str) -> Option<String> {
        let url = url::Url::parse(address.trim()).ok()?;
        let path = match url.query() {
            Some(query) => format!("{}?{query}", url.path()),
            None => url.path().to_string(),
        };
        (path != "/").then_some(path)
    }

    fn author(&self, raw: RawAuthor, n: usize) -> Item {
        let login = raw.login.trim();
        let slug = slugify(login);
        let name = [
            &raw.display_name,
            &format!("{} {}", raw.first_name, raw.last_name),
            &raw.login,
        ]
        .into_iter()
        .map(|s| s.trim().to_string())
        .find(|s| !s.is_empty())
        .unwrap_or_default();
        let mut item = Labelled::new(
            AuthorDoc {
                slug: slug.clone(),
                name,
                email: raw.email.trim().to_string(),
                bio: String::new(),
                website: String::new(),
                role: "author".into(),
                password_hash: None,
                updated_at: None,
            },
            format!("author {n} '{login}'"),
        );
        item.old_paths.push(format!("/author/{login}/"));
        Item::Author(item)
    }

    fn term(
        &self,
        raw: RawTerm,
        is_category: bool,
        names: &HashMap<String, String>,
        n: usize,
    ) -> Item {
        let slug = wp_slug(&raw.slug, &raw.name);
        let parent = raw.parent.trim();
        let mut description = raw.description.trim().to_string();
        if !parent.is_empty() {
            let parent_name = names.get(parent).map_or(parent, String::as_str);
            if !description.is_empty() {
                description.push_str("\n\n");
            }
            description.push_str(&format!("Part of {parent_name}."));
        }
        let kind = if is_category { "category" } else { "tag" };
        let mut item = Labelled::new(
            TagDoc {
                slug: slug.clone(),
                name: raw.name.trim().to_string(),
                description,
                meta_title: None,
                meta_description: None,
                updated_at: None,
            },
            format!("{kind} {n} '{}'", raw.slug.trim()),
        );
        let old_slug = raw.slug.trim();
        if is_category {
            item.old_paths.push(format!("/category/{old_slug}/"));
            if !parent.is_empty() {
                item.old_paths
                    .push(format!("/category/{parent}/{old_slug}/"));
            }
        } else {
            item.old_paths.push(format!("/tag/{old_slug}/"));
        }
        Item::Tag(item)
    }

    /// A post or page and its comments, or what else the item is.
    fn item(&self, mut raw: RawItem, n: usize, logins: &HashMap<String, String>) -> Vec<Item> {
        let comments = std::mem::take(&mut raw.comments);
        let post = self.post(raw, n, logins);
        let Item::Post(incoming) = &post else {
            return vec![post];
        };
        let slug = incoming.doc.slug.clone();
        let label = incoming.label.clone();
        let mut items = vec![post];
        items.extend(
            comments
                .into_iter()
                .enumerate()
                .map(|(i, c)| comment(c, &slug, &format!("comment {} of {label}", i + 1))),
        );
        items
    }

    fn post(&self, raw: RawItem, n: usize, logins: &HashMap<String, String>) -> Item {
        let label = format!("item {n} (id {})", raw.id.trim());
        match raw.kind.trim() {
            "post" | "page" => {}
            "attachment" => return Item::Ignored("attachments (their files stay where they are)"),
            "nav_menu_item" => return Item::Ignored("menu items"),
            "revision" => return Item::Ignored("revisions"),
            _ => return Item::Ignored("items of other post types"),
        }
        let kind = raw.kind.trim().to_string();
        let mut warnings = Vec::new();
        let protected =
            !raw.password.trim().is_empty() && matches!(raw.status.trim(), "publish" | "future");
        let (status, deleted_at) = match raw.status.trim() {
            _ if protected => {
                warnings.push(
                    "was protected by a password, which Quire does not have: imported as a draft"
                        .to_string(),
                );
                ("draft", None)
            }
            "publish" => ("published", None),
            "future" => ("scheduled", None),
            "draft" | "pending" | "private" => ("draft", None),
            "trash" => ("draft", Some(self.now.and_utc().to_rfc3339())),
            "auto-draft" | "inherit" => return Item::Ignored("automatic drafts"),
            other => {
                return Item::Unreadable {
                    label,
                    reason: format!("unknown status '{other}'"),
                };
            }
        };
        let published_at = wp_date(&raw.date_gmt).or_else(|| wp_date(&raw.date));
        if status == "scheduled" && published_at.is_none() {
            return Item::Unreadable {
                label,
                reason: "a scheduled post without a date".into(),
            };
        }
        let title = raw.title.trim().to_string();
        let slug = wp_slug(
            &raw.name,
            if title.is_empty() {
                raw.id.trim()
            } else {
                &title
            },
        );
        let slug = if slug == "untitled" && !raw.id.trim().is_empty() {
            format!("{kind}-{}", raw.id.trim())
        } else {
            slug
        };
        let title = if title.is_empty() {
            warnings.push("has no title: named 'Untitled'".to_string());
            "Untitled".to_string()
        } else {
            title
        };
        let meta = |key: &str| {
            raw.meta
                .iter()
                .find(|(k, _)| k == key)
                .map(|(_, v)| v.trim().to_string())
                .filter(|v| !v.is_empty())
        };
        let cover = meta("_thumbnail_id").and_then(|id| self.attachments.get(&id).cloned());
        let mut tags = Vec::new();
        let mut new_tags = Vec::new();
        for (domain, nicename, name) in &raw.categories {
            if domain != "category" && domain != "post_tag" {
                continue;
            }
            let slug = wp_slug(nicename, name);
            if !tags.contains(&slug) {
                tags.push(slug.clone());
                new_tags.push(TagDoc {
                    slug,
                    name: name.trim().to_string(),
                    description: String::new(),
                    meta_title: None,
                    meta_description: None,
                    updated_at: None,
                });
            }
        }
        // WordPress files posts under "Uncategorized" when nothing else is chosen; it is no topic.
        let filed_nowhere = raw
            .categories
            .iter()
            .any(|(domain, nicename, _)| domain == "category" && nicename == "uncategorized");
        if tags.len() > 1
            && filed_nowhere
            && let Some(at) = tags.iter().position(|t| t == "uncategorized")
        {
            tags.remove(at);
            new_tags.remove(at);
        }
        let creator = raw.creator.trim();
        let author = match logins.get(creator) {
            Some(slug) => Some(slug.clone()),
            None if creator.is_empty() => None,
            None => {
                warnings.push(format!(
                    "names '{creator}', who is not among the file's authors"
                ));
                None
            }
        };
        let markdown = html::wordpress_to_markdown(&raw.content, &|id| self.attachment(id));
        let excerpt = raw.excerpt.trim();
        let doc = PostDoc {
            slug,
            title: title.clone(),
            excerpt: (!excerpt.is_empty()).then(|| html::to_markdown(excerpt)),
            author,
            authors: Vec::new(),
            tags,
            published_at,
            updated_at: None,
            created_at: None,
            markdown,
            kind,
            status: status.into(),
            featured: raw.sticky,
            feature_image: cover.as_ref().map(|c| c.url.clone()),
            feature_image_alt: cover.map(|c| c.alt).filter(|a| !a.is_empty()),
            meta_title: meta("_yoast_wpseo_title").map(|t| yoast(&t, &title)),
            meta_description: meta("_yoast_wpseo_metadesc"),
            canonical_url: meta("_yoast_wpseo_canonical"),
            noindex: meta("_yoast_wpseo_meta-robots-noindex").as_deref() == Some("1"),
            comments_open: raw.comment_status.trim() != "closed",
            deleted_at,
        };
        let mut incoming = Incoming::new(doc, label);
        incoming.new_tags = new_tags;
        incoming.warnings = warnings;
        if let Some(path) = Self::old_path(&raw.link) {
            incoming.old_paths.push(path);
        }
        let id = raw.id.trim();
        if !id.is_empty() {
            let key = if incoming.doc.kind == "page" {
                "page_id"
            } else {
                "p"
            };
            incoming.old_paths.push(format!("/?{key}={id}"));
        }
        Item::Post(Box::new(incoming))
    }
}

/// A WordPress comment as Quire keeps it. Pingbacks and trackbacks are notices from other
/// sites, not conversation: they are counted and left out.
fn comment(raw: Comment, post: &str, label: &str) -> Item {
    if matches!(raw.kind.trim(), "pingback" | "trackback") {
        return Item::Ignored("pingbacks and trackbacks");
    }
    let status = match raw.approved.trim() {
        "1" | "approve" | "approved" => "approved",
        "0" | "hold" | "" => "pending",
        "spam" => "spam",
        "trash" | "post-trashed" => "trash",
        other => {
            return Item::Unreadable {
                label: label.to_string(),
                reason: format!("unknown comment status '{other}'"),
            };
        }
    };
    let Some(created_at) = wp_date(&raw.date_gmt).or_else(|| wp_date(&raw.date)) else {
        return Item::Unreadable {
            label: label.to_string(),
            reason: "a comment without a date".into(),
        };
    };
    let parent = raw.parent.trim();
    let mut item = Labelled::new(
        CommentDoc {
            id: raw.id.trim().to_string(),
            post: post.to_string(),
            parent: (!parent.is_empty() && parent != "0").then(|| parent.to_string()),
            author_name: raw.author.trim().to_string(),
            author_email: raw.email.trim().to_string(),
            author_url: raw.url.trim().to_string(),
            markdown: html::comment_to_markdown(&raw.content),
            status: status.into(),
            created_at,
            edited_at: None,
            staff: false,
        },
        label,
    );
    item.old_paths.clear();
    Item::Comment(item)
}

/// A Yoast title template with its variables filled in as far as they can be: the post's
/// title for `%%title%%`, the rest (separator, site name, page number) dropped.
fn yoast(template: &str, title: &str) -> String {
    let filled = template.replace("%%title%%", title);
    let mut out = String::new();
    let mut rest = filled.as_str();
    while let Some(start) = rest.find("%%") {
        out.push_str(&rest[..start]);
        match rest[start + 2..].find("%%") {
            Some(end) => rest = &rest[start + 2 + end + 2..],
            None => {
                rest = &rest[start..];
                break;
            }
        }
    }
    out.push_str(rest);
    out.split_whitespace().collect::<Vec<_>>().join(" ")
}

impl Source for Wxr {
    fn format(&self) -> String {
        format!("WordPress export (WXR {})", self.version)
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn bytes_read(&self) -> Option<Arc<AtomicU64>> {
        Some(Arc::clone(&self.read))
    }

    fn read(&mut self, sink: &mut Sink<'_>) -> Result<(), ImportError> {
        self.read.store(0, Ordering::Relaxed);
        let this = &*self;
        let mut author = RawAuthor::default();
        let mut term = RawTerm::default();
        let mut item = RawItem::default();
        let mut comment = Comment::default();
        let mut meta = (String::new(), String::new());
        let mut logins: HashMap<String, String> = HashMap::new();
        let mut category_names: HashMap<String, String> = HashMap::new();
        let (mut authors, mut terms, mut items) = (0usize, 0usize, 0usize);
        let (mut site_title, mut site_description) = (String::new(), String::new());
        walk(&this.path, &this.read, |c| {
            let in_channel = c.within.last().is_some_and(|n| n == "channel");
            let in_item = c.within.iter().any(|n| n == "item");
            let in_comment = c.within.iter().any(|n| n == "comment");
            let text = || c.text.trim().to_string();
            match (c.ns, c.name) {
                (Ns::Wp, "author_login") => author.login = text(),
                (Ns::Wp, "author_email") => author.email = text(),
                (Ns::Wp, "author_display_name") => author.display_name = text(),
                (Ns::Wp, "author_first_name") => author.first_name = text(),
                (Ns::Wp, "author_last_name") => author.last_name = text(),
                (Ns::Wp, "author") if !in_item => {
                    authors += 1;
                    let raw = std::mem::take(&mut author);
                    logins.insert(raw.login.trim().to_string(), slugify(raw.login.trim()));
                    sink(this.author(raw, authors))?;
                }
                (Ns::Wp, "category_nicename" | "tag_slug" | "term_slug") => term.slug = text(),
                (Ns::Wp, "cat_name" | "tag_name" | "term_name") => term.name = text(),
                (Ns::Wp, "category_parent" | "term_parent") => term.parent = text(),
                (Ns::Wp, "category_description" | "tag_description" | "term_description") => {
                    term.description = text()
                }
                (Ns::Wp, "category") if !in_item => {
                    terms += 1;
                    let raw = std::mem::take(&mut term);
                    category_names.insert(raw.slug.trim().to_string(), raw.name.trim().to_string());
                    sink(this.term(raw, true, &category_names, terms))?;
                }
                (Ns::Wp, "tag") if !in_item => {
                    terms += 1;
                    let raw = std::mem::take(&mut term);
                    sink(this.term(raw, false, &category_names, terms))?;
                }
                (Ns::Wp, "term") if !in_item => {
                    term = RawTerm::default();
                    sink(Item::Ignored("other terms (menus, formats)"))?;
                }
                (Ns::Wp, "comment_type") if in_comment => comment.kind = text(),
                (Ns::Wp, "comment_id") if in_comment => comment.id = text(),
                (Ns::Wp, "comment_author") if in_comment => comment.author = text(),
                (Ns::Wp, "comment_author_email") if in_comment => comment.email = text(),
                (Ns::Wp, "comment_author_url") if in_comment => comment.url = text(),
                (Ns::Wp, "comment_date") if in_comment => comment.date = text(),
                (Ns::Wp, "comment_date_gmt") if in_comment => comment.date_gmt = text(),
                (Ns::Wp, "comment_content") if in_comment => comment.content = c.text,
                (Ns::Wp, "comment_approved") if in_comment => comment.approved = text(),
                (Ns::Wp, "comment_parent") if in_comment => comment.parent = text(),
                (Ns::Wp, "comment") if in_item => item.comments.push(std::mem::take(&mut comment)),
                _ if in_comment => {}
                (Ns::Wp, "meta_key") => meta.0 = text(),
                (Ns::Wp, "meta_value") => meta.1 = c.text,
                (Ns::Wp, "postmeta") if in_item => item.meta.push(std::mem::take(&mut meta)),
                (Ns::None, "title") if in_item => item.title = c.text,
                (Ns::None, "title") if in_channel => site_title = text(),
                (Ns::None, "description") if in_channel => site_description = text(),
                (Ns::None, "link") if in_item => item.link = text(),
                (Ns::Dc, "creator") if in_item => item.creator = text(),
                (Ns::Content, "encoded") if in_item => item.content = c.text,
                (Ns::Excerpt, "encoded") if in_item => item.excerpt = c.text,
                (Ns::Wp, "post_id") if in_item => item.id = text(),
                (Ns::Wp, "post_date") if in_item => item.date = text(),
                (Ns::Wp, "post_date_gmt") if in_item => item.date_gmt = text(),
                (Ns::Wp, "post_name") if in_item => item.name = text(),
                (Ns::Wp, "status") if in_item => item.status = text(),
                (Ns::Wp, "post_type") if in_item => item.kind = text(),
                (Ns::Wp, "post_password") if in_item => item.password = text(),
                (Ns::Wp, "is_sticky") if in_item => item.sticky = text() == "1",
                (Ns::Wp, "comment_status") if in_item => item.comment_status = text(),
                (Ns::None, "category") if in_item => {
                    let attribute = |name: &str| {
                        c.attributes
                            .iter()
                            .find(|(k, _)| k == name)
                            .map(|(_, v)| v.clone())
                            .unwrap_or_default()
                    };
                    item.categories.push((
                        attribute("domain"),
                        attribute("nicename"),
                        c.text.clone(),
                    ));
                }
                (Ns::None, "item") => {
                    items += 1;
                    let raw = std::mem::take(&mut item);
                    for found in this.item(raw, items, &logins) {
                        sink(found)?;
                    }
                }
                (Ns::None, "channel") => {
                    if !site_title.is_empty() {
                        sink(Item::SiteName {
                            title: std::mem::take(&mut site_title),
                            description: std::mem::take(&mut site_description),
                        })?;
                    }
                    let mut feed = Labelled::new(
                        RedirectDoc {
                            from: FEED.into(),
                            to: "/rss/".into(),
                            code: 301,
                        },
                        "the feed",
                    );
                    feed.old_paths.clear();
                    sink(Item::Redirect(feed))?;
                }
                _ => {}
            }
            Ok(())
        })?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yoast_titles_keep_the_words_and_fill_the_title() {
        assert_eq!(yoast("%%title%% %%sep%% %%sitename%%", "Hello"), "Hello");
        assert_eq!(yoast("Read: %%title%% %%page%%", "Hi"), "Read: Hi");
        assert_eq!(yoast("Plain", "x"), "Plain");
    }

    #[test]
    fn wordpress_slugs_and_dates() {
        assert_eq!(wp_slug("%e6%97%a5%e6%9c%ac", "x"), slugify("日本"));
        assert_eq!(wp_slug("", "A Title"), "a-title");
        assert_eq!(
            wp_date("2012-01-03 17:11:37").as_deref(),
            Some("2012-01-03T17:11:37Z")
        );
        assert_eq!(wp_date("0000-00-00 00:00:00"), None);
    }
}
