//! Markdown → HTML with heading ids, a table of contents and highlighted code.
//! The HTML is not yet safe: `render` sanitises it.
//!
//! Every step is linear in the size of the text, and what is not (the sanitiser's tree
//! builder is slower the deeper elements nest; highlighting is slow per byte) is bounded
//! here: nesting depth, the number of headings and footnotes, and how much code is
//! highlighted. A text over a limit is refused with a message, never rendered slowly.

use std::collections::{HashMap, HashSet};

use pulldown_cmark::{CodeBlockKind, CowStr, Event, HeadingLevel, Options, Parser, Tag, TagEnd};

use super::{TocEntry, highlight, slugify};

pub struct MarkdownOutput {
    pub html: String,
    pub toc: Vec<TocEntry>,
    /// Prose only (no headings, code or tables), for the excerpt and word count.
    pub plain_text: String,
}

fn options() -> Options {
    Options::ENABLE_TABLES
        | Options::ENABLE_FOOTNOTES
        | Options::ENABLE_STRIKETHROUGH
        | Options::ENABLE_TASKLISTS
}

/// The most headings a text may have.
pub const MAX_HEADINGS: usize = 1_000;
/// The most footnotes a text may define.
pub const MAX_FOOTNOTES: usize = 1_000;
/// How deep quotes, lists and HTML elements may nest.
pub const MAX_DEPTH: usize = 64;
/// The most elements (paragraphs, list items, table cells, links…) a text may make. Prose
/// makes about one per 50 bytes, so a 2 MB text of it has some 40,000.
pub const MAX_ELEMENTS: usize = 200_000;
/// Code beyond this many bytes in one text is shown unhighlighted: highlighting costs far
/// more per byte than anything else (about 3 ms per KB), and its markup is many times the
/// size of the code. 96 KB is some 2,500 lines.
const HIGHLIGHT_BUDGET: usize = 96 * 1024;

/// Why a text cannot be rendered.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RenderError {
    #[error(
        "The text nests quotes, lists or HTML elements more than {MAX_DEPTH} levels deep. Flatten it."
    )]
    TooDeep,
    #[error("The text has more than {MAX_HEADINGS} headings. Split it into several posts.")]
    TooManyHeadings,
    #[error("The text has more than {MAX_FOOTNOTES} footnotes. Split it into several posts.")]
    TooManyFootnotes,
    #[error(
        "The text makes more than 200,000 elements (paragraphs, quotes, list items, table cells, links and the like). Split it into several posts."
    )]
    TooManyElements,
}

pub fn to_html(source: &str) -> Result<MarkdownOutput, RenderError> {
    let mut events: Vec<Event> = Parser::new_ext(source, options()).collect();
    check_counts(&events)?;
    let toc = assign_heading_ids(&mut events);
    let plain_text = prose_text(&events);
    let events = highlight_code_blocks(events);
    let mut html = String::with_capacity(source.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    let shape = super::depth::shape(&html);
    if shape.depth > MAX_DEPTH {
        return Err(RenderError::TooDeep);
    }
    if shape.elements > MAX_ELEMENTS {
        return Err(RenderError::TooManyElements);
    }
    Ok(MarkdownOutput {
        html,
        toc,
        plain_text,
    })
}

fn check_counts(events: &[Event]) -> Result<(), RenderError> {
    let (mut headings, mut footnotes) = (0, 0);
    for event in events {
        match event {
            Event::Start(Tag::Heading { .. }) => headings += 1,
            Event::Start(Tag::FootnoteDefinition(_)) => footnotes += 1,
            _ => {}
        }
    }
    if headings > MAX_HEADINGS {
        return Err(RenderError::TooManyHeadings);
    }
    if footnotes > MAX_FOOTNOTES {
        return Err(RenderError::TooManyFootnotes);
    }
    Ok(())
}

/// Gives every heading a stable id derived from its text (unique within the post), demotes
/// `#` headings to `<h2>` because the page title is the only `<h1>`, and lists h2/h3 headings.
fn assign_heading_ids(events: &mut [Event]) -> Vec<TocEntry> {
    let mut used = UsedIds::default();
    let mut toc = Vec::new();
    let mut index = 0;
    while index < events.len() {
        if let Event::Start(Tag::Heading { .. }) = &events[index] {
            let mut text = String::new();
            let mut end = index + 1;
            while end < events.len() && !matches!(events[end], Event::End(TagEnd::Heading(_))) {
                if let Event::Text(t) | Event::Code(t) = &events[end] {
                    text.push_str(t);
                }
                end += 1;
            }
            let id = unique_id(&text, &mut used);
            if let Event::Start(Tag::Heading {
                level, id: slot, ..
            }) = &mut events[index]
            {
                if *level == HeadingLevel::H1 {
                    *level = HeadingLevel::H2;
                }
                *slot = Some(CowStr::from(id.clone()));
                if matches!(level, HeadingLevel::H2 | HeadingLevel::H3) {
                    toc.push(TocEntry {
                        level: if *level == HeadingLevel::H2 { 2 } else { 3 },
                        id,
                        text: text.trim().to_string(),
                    });
                }
            }
            if let Some(Event::End(TagEnd::Heading(level))) = events.get_mut(end)
                && *level == HeadingLevel::H1
            {
                *level = HeadingLevel::H2;
            }
            index = end;
        }
        index += 1;
    }
    toc
}

/// The ids given so far, and for each base the next number to try, so a thousand headings
/// with the same text cost a thousand steps, not half a million.
#[derive(Default)]
struct UsedIds {
    taken: HashSet<String>,
    next: HashMap<String, usize>,
}

fn unique_id(text: &str, used: &mut UsedIds) -> String {
    let base = match slugify(text) {
        s if s.is_empty() || s == "untitled" => "section".to_string(),
        s => s,
    };
    if used.taken.insert(base.clone()) {
        return base;
    }
    // A number can be taken by a heading whose own text ends in it ("Step 2"): skip those.
    let n = used.next.entry(base.clone()).or_insert(2);
    loop {
        let candidate = format!("{base}-{n}");
        *n += 1;
        if used.taken.insert(candidate.clone()) {
            return candidate;
        }
    }
}

/// The text a reader reads as prose: paragraphs and list items, separated by spaces.
fn prose_text(events: &[Event]) -> String {
    let mut text = String::new();
    let mut skip_depth = 0usize;
    for event in events {
        match event {
            Event::Start(Tag::Heading { .. } | Tag::CodeBlock(_) | Tag::Table(_)) => {
                skip_depth += 1
            }
            Event::End(TagEnd::Heading(_) | TagEnd::CodeBlock | TagEnd::Table) => {
                skip_depth = skip_depth.saturating_sub(1)
            }
            Event::Text(t) | Event::Code(t) if skip_depth == 0 => text.push_str(t),
            Event::SoftBreak | Event::HardBreak | Event::End(TagEnd::Paragraph | TagEnd::Item) => {
                text.push(' ')
            }
            _ => {}
        }
    }
    text
}

/// Replaces fenced code in a known language with server-highlighted HTML; other code is left
/// to pulldown-cmark, which escapes it.
fn highlight_code_blocks(events: Vec<Event>) -> Vec<Event> {
    let mut out = Vec::with_capacity(events.len());
    let mut pending: Option<(Event, String, String)> = None;
    let mut budget = HIGHLIGHT_BUDGET;
    for event in events {
        match (event, &mut pending) {
            (Event::Start(Tag::CodeBlock(kind)), None) => {
                let lang = match &kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split([' ', ',', '{']).next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => String::new(),
                };
                pending = Some((Event::Start(Tag::CodeBlock(kind)), lang, String::new()));
            }
            (Event::Text(t), Some((_, _, code))) => code.push_str(&t),
            (Event::End(TagEnd::CodeBlock), Some(_)) => {
                let (start, lang, code) = pending.take().expect("inside a code block");
                let highlighted = match budget.checked_sub(code.len()) {
                    Some(left) => {
                        budget = left;
                        highlight::code_block(&code, &lang)
                    }
                    None => None,
                };
                match highlighted {
                    Some(html) => out.push(Event::Html(CowStr::from(html))),
                    None => {
                        out.push(start);
                        out.push(Event::Text(CowStr::from(code)));
                        out.push(Event::End(TagEnd::CodeBlock));
                    }
                }
            }
            (event, _) => out.push(event),
        }
    }
    out
}
