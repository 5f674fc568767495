//! Turns an author's Markdown into what a page shows: sanitised HTML, a table of contents,
//! reading time and an excerpt. Runs when content is saved, never when a page is read.

mod comment;
pub mod depth;
mod highlight;
mod markdown;
mod safe_html;
mod slug;
mod text;

pub use comment::{RenderedComment, plain_text_of, render_comment};
pub use highlight::syntax_css;
pub use markdown::{MAX_DEPTH, MAX_ELEMENTS, MAX_FOOTNOTES, MAX_HEADINGS, RenderError};
pub use safe_html::{ImageSize, SafeHtml};
pub use slug::{Slug, SlugError, slugify};
pub use text::{excerpt_of, trim_at_word};

use serde::{Deserialize, Serialize};

/// Bumped whenever the pipeline's output changes, so stored HTML can be re-rendered.
pub const PIPELINE_VERSION: i32 = 1;

/// One heading in a post's table of contents.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TocEntry {
    pub level: u8,
    pub id: String,
    pub text: String,
}

/// Everything derived from a Markdown source.
#[derive(Debug, Clone)]
pub struct Rendered {
    pub html: SafeHtml,
    pub toc: Vec<TocEntry>,
    pub word_count: usize,
    pub reading_minutes: u32,
    /// Plain-text opening of the post, for cards and descriptions.
    pub excerpt: String,
}

/// Words per minute used for reading time: a comfortable pace for screen reading.
const WORDS_PER_MINUTE: usize = 230;
/// Length of the automatic excerpt, cut at a word boundary.
const EXCERPT_CHARS: usize = 280;

/// Renders a text, or says which limit it is over (see `markdown`). Takes time in proportion
/// to the text's length: call it before taking the database's write lock, never inside.
pub fn render(markdown_source: &str) -> Result<Rendered, RenderError> {
    let output = markdown::to_html(markdown_source)?;
    let word_count = output.plain_text.split_whitespace().count();
    Ok(Rendered {
        html: SafeHtml::sanitize(&output.html),
        toc: output.toc,
        word_count,
        reading_minutes: word_count.div_ceil(WORDS_PER_MINUTE).max(1) as u32,
        excerpt: excerpt_of(&output.plain_text, EXCERPT_CHARS),
    })
}

#[cfg(test)]
mod tests;

/// An absolute URL for `url`, which may be a site path or already absolute.
pub fn absolute(base_url: &str, url: &str) -> String {
    if url.starts_with("http://") || url.starts_with("https://") {
        url.to_string()
    } else if url.starts_with('/') {
        format!("{base_url}{url}")
    } else {
        format!("{base_url}/{url}")
    }
}
