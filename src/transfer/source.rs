//! What every import format is read into: a stream of items in Quire's own terms, so one
//! pipeline checks and writes them whatever the file was.
//!
//! A source can be read more than once: a large file is read a first time to check every
//! item, then again to write, so memory does not grow with the file.

use std::io::Read;
use std::path::Path;

use chrono::NaiveDateTime;

use super::format::{
    AuthorDoc, CommentDoc, GoneDoc, MediaDoc, PostDoc, RedirectDoc, RevisionDoc, SettingsDoc,
    TagDoc,
};
use super::import::ImportError;

/// One thing found in a file.
#[derive(Debug)]
pub enum Item {
    Settings(SettingsDoc),
    /// The old site's name and description (a WordPress channel's, Ghost's settings): a site
    /// without a name of its own takes them.
    SiteName {
        title: String,
        description: String,
    },
    Author(Labelled<AuthorDoc>),
    Tag(Labelled<TagDoc>),
    Post(Box<Incoming>),
    Redirect(Labelled<RedirectDoc>),
    /// An image of the media library (an archive carries its files).
    Media(Labelled<MediaDoc>),
    /// An address of content deleted for good.
    Gone(Labelled<GoneDoc>),
    /// An earlier version of a post, named by its slug.
    Revision(Labelled<RevisionDoc>),
    /// A reader's comment, after the post it is under and the comment it answers.
    Comment(Labelled<CommentDoc>),
    /// Something the format holds that Quire does not import, counted by kind ("menu items").
    Ignored(&'static str),
    /// An item the reader could not use, with the reason.
    Unreadable {
        label: String,
        reason: String,
    },
}

/// An item with where it sits in the file, for messages ("authors[2] 'ada'", "item 12 (post
/// 1148)"), and the addresses it had on the old site, redirected to its new one.
#[derive(Debug)]
pub struct Labelled<T> {
    pub doc: T,
    pub label: String,
    pub old_paths: Vec<String>,
}

impl<T> Labelled<T> {
    pub fn new(doc: T, label: impl Into<String>) -> Labelled<T> {
        Labelled {
            doc,
            label: label.into(),
            old_paths: Vec::new(),
        }
    }
}

/// A post or page as read.
#[derive(Debug)]
pub struct Incoming {
    pub doc: PostDoc,
    pub label: String,
    pub old_paths: Vec<String>,
    /// Tags the item names that the file may not declare elsewhere (a WordPress item's
    /// categories): created when the site does not have them.
    pub new_tags: Vec<TagDoc>,
    /// Things worth telling about this item that did not stop it.
    pub warnings: Vec<String>,
    /// Where its relative image paths point (a Markdown folder's post).
    pub local: Option<super::media::LocalFiles>,
}

impl Incoming {
    pub fn new(doc: PostDoc, label: impl Into<String>) -> Incoming {
        Incoming {
            doc,
            label: label.into(),
            old_paths: Vec::new(),
            new_tags: Vec::new(),
            warnings: Vec::new(),
            local: None,
        }
    }
}

/// Where items go; an `Err` stops the reading.
pub type Sink<'a> = dyn FnMut(Item) -> Result<(), ImportError> + 'a;

pub trait Source {
    /// The format, as reports name it ("WordPress export (WXR 1.2)").
    fn format(&self) -> String;
    /// Sends every item to `sink`, in file order: settings, people and tags before posts.
    fn read(&mut self, sink: &mut Sink<'_>) -> Result<(), ImportError>;
    /// Bytes the source reads in a pass (0 when it cannot tell), for progress.
    fn size(&self) -> u64 {
        0
    }
    /// How many of those bytes the pass under way has read, kept current while it reads.
    fn bytes_read(&self) -> Option<std::sync::Arc<std::sync::atomic::AtomicU64>> {
        None
    }
    /// The folder holding the media library's files that came with it (an archive's).
    fn media_files(&self) -> Option<&Path> {
        None
    }
}

/// The formats `quire import` reads, for the message about a file it does not.
pub const FORMATS: &str = "a WordPress export (WXR), a Ghost JSON export, a Quire export, \
     archive or corpus file, or a folder (or zip) of Markdown files";

/// Opens `path` as whichever format its content is: a folder of Markdown files, a WordPress
/// WXR file, a Ghost JSON export, or Quire's own JSON. The name of the file plays no part.
pub fn open(path: &Path, now: NaiveDateTime) -> Result<Box<dyn Source>, ImportError> {
    let shown = path.display().to_string();
    let metadata = std::fs::metadata(path).map_err(|e| ImportError::Read {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    if metadata.is_dir() {
        return super::archive::open_folder(path, now);
    }
    let mut head = Vec::with_capacity(4096);
    std::fs::File::open(path)
        .and_then(|f| f.take(4096).read_to_end(&mut head))
        .map_err(|e| ImportError::Read {
            path: shown.clone(),
            message: e.to_string(),
        })?;
    match sniff(&head) {
        Sniffed::Zip => super::archive::open_zip(path, now),
        Sniffed::Xml => Ok(Box::new(super::wordpress::Wxr::open(path, now)?)),
        Sniffed::Json => super::json_source(path),
        Sniffed::Unknown => Err(ImportError::Malformed {
            path: shown,
            message: format!("not a file Quire can import; it reads {FORMATS}"),
        }),
    }
}

enum Sniffed {
    Zip,
    Xml,
    Json,
    Unknown,
}

/// The kind of file from its first bytes (after a byte order mark and white space).
fn sniff(head: &[u8]) -> Sniffed {
    if head.starts_with(b"PK\x03\x04") {
        return Sniffed::Zip;
    }
    let head = head.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(head);
    match head.iter().find(|b| !b.is_ascii_whitespace()) {
        Some(b'<') => Sniffed::Xml,
        Some(b'{') => Sniffed::Json,
        _ => Sniffed::Unknown,
    }
}
