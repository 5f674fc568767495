//! Quire's own JSON: an export (`quire-export`) or the benchmark corpus (`quire-corpus`).

use super::format::{self, Document};
use super::import::ImportError;
use super::source::{Incoming, Item, Labelled, Sink, Source};

pub struct QuireFile {
    document: Document,
    /// An archive's media files, beside its `site.json`.
    media: Option<std::path::PathBuf>,
}

impl QuireFile {
    pub fn parse(shown: &str, bytes: &[u8]) -> Result<QuireFile, ImportError> {
        let malformed = |message: String| ImportError::Malformed {
            path: shown.to_string(),
            message,
        };
        let document: Document = serde_json::from_slice(bytes)
            .map_err(|e| malformed(format!("not a Quire JSON file ({e})")))?;
        if document.format != format::CORPUS && document.format != format::EXPORT {
            return Err(malformed(format!(
                "unknown format '{}' (expected '{}' or '{}')",
                document.format,
                format::EXPORT,
                format::CORPUS
            )));
        }
        if document.version != format::VERSION {
            return Err(malformed(format!(
                "unsupported version {} (this Quire reads version 1)",
                document.version
            )));
        }
        Ok(QuireFile {
            document,
            media: None,
        })
    }

    /// The same, with the media library's files in `folder`.
    pub fn with_media(self, folder: std::path::PathBuf) -> QuireFile {
        QuireFile {
            media: Some(folder),
            ..self
        }
    }
}

impl Source for QuireFile {
    fn media_files(&self) -> Option<&std::path::Path> {
        self.media.as_deref()
    }

    fn format(&self) -> String {
        if self.media.is_some() {
            "Quire archive".into()
        } else if self.document.format == format::CORPUS {
            "Quire corpus file".into()
        } else {
            "Quire export".into()
        }
    }

    fn read(&mut self, sink: &mut Sink<'_>) -> Result<(), ImportError> {
        let document = &self.document;
        if let Some(settings) = &document.settings {
            sink(Item::Settings(settings.clone()))?;
        }
        for (i, author) in document.authors.iter().enumerate() {
            let label = format!("authors[{i}] '{}'", author.slug);
            sink(Item::Author(Labelled::new(author.clone(), label)))?;
        }
        for (i, tag) in document.tags.iter().enumerate() {
            let label = format!("tags[{i}] '{}'", tag.slug);
            sink(Item::Tag(Labelled::new(tag.clone(), label)))?;
        }
        for (i, post) in document.posts.iter().enumerate() {
            let label = format!("posts[{i}] '{}'", post.slug);
            sink(Item::Post(Box::new(Incoming::new(post.clone(), label))))?;
        }
        for (i, redirect) in document.redirects.iter().enumerate() {
            let label = format!("redirects[{i}] '{}'", redirect.from);
            sink(Item::Redirect(Labelled::new(redirect.clone(), label)))?;
        }
        for (i, media) in document.media.iter().enumerate() {
            let label = format!("media[{i}] '{}'", media.stem);
            sink(Item::Media(Labelled::new(media.clone(), label)))?;
        }
        for (i, gone) in document.gone.iter().enumerate() {
            let label = format!("gone[{i}] '{}'", gone.path);
            sink(Item::Gone(Labelled::new(gone.clone(), label)))?;
        }
        for (i, revision) in document.revisions.iter().enumerate() {
            let label = format!("revisions[{i}] of '{}'", revision.post);
            sink(Item::Revision(Labelled::new(revision.clone(), label)))?;
        }
        for (i, comment) in document.comments.iter().enumerate() {
            let label = format!("comments[{i}] on '{}'", comment.post);
            let mut item = Labelled::new(comment.clone(), label);
            item.old_paths.clear();
            sink(Item::Comment(item))?;
        }
        Ok(())
    }
}
