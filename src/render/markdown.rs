//! Markdown → HTML with heading ids, a table of contents and highlighted code.
//! The HTML is not yet safe: `render` sanitises it.

use std::collections::HashSet;

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

pub fn to_html(source: &str) -> MarkdownOutput {
    let mut events: Vec<Event> = Parser::new_ext(source, options()).collect();
    let toc = assign_heading_ids(&mut events);
    let plain_text = prose_text(&events);
    let events = highlight_code_blocks(events);
    let mut html = String::with_capacity(source.len() * 3 / 2);
    pulldown_cmark::html::push_html(&mut html, events.into_iter());
    MarkdownOutput {
        html,
        toc,
        plain_text,
    }
}

/// Gives every heading a stable id derived from its text (unique within the post), demotes
/// `#` headings to `<h2>` because the page title is the only `<h1>`, and lists h2/h3 headings.
fn assign_heading_ids(events: &mut [Event]) -> Vec<TocEntry> {
    let mut used = HashSet::new();
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

fn unique_id(text: &str, used: &mut HashSet<String>) -> String {
    let base = match slugify(text) {
        s if s.is_empty() || s == "untitled" => "section".to_string(),
        s => s,
    };
    let mut candidate = base.clone();
    let mut n = 2;
    while !used.insert(candidate.clone()) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    candidate
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
                match highlight::code_block(&code, &lang) {
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
