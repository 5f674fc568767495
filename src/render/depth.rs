//! How deep the elements of an HTML fragment nest and how many there are, found in one pass
//! without building a tree.
//!
//! The sanitiser's HTML parser does work in proportion to the depth of open elements for
//! every tag it reads, so a text of 100,000 nested quotes or `<div>`s takes it minutes; and
//! even shallow, it costs about half a microsecond per element, so 2 MB of `> > > x` (a
//! million quotes) would take it over a second. This scan is linear and errs on the side of counting deeper, never shallower, than a browser:
//! it knows which elements never nest (void elements) and which close their predecessor
//! (`<p>`, `<li>`, table cells…), and treats every other unclosed tag as still open.

/// Elements with no content or end tag.
const VOID: &[&str] = &[
    "area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track",
    "wbr",
];

/// Elements that end an open sibling of the same name when they start.
const CLOSE_SIBLING: &[&str] = &[
    "dd", "dt", "li", "option", "p", "rp", "rt", "tbody", "td", "tfoot", "th", "thead", "tr",
];

/// What `shape` finds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Shape {
    /// The deepest nesting of elements.
    pub depth: usize,
    /// How many elements start (void ones included).
    pub elements: usize,
}

/// The deepest nesting of elements in `html`.
#[cfg(test)]
fn max_depth(html: &str) -> usize {
    shape(html).depth
}

/// How deep the elements of `html` nest, and how many there are.
pub fn shape(html: &str) -> Shape {
    let bytes = html.as_bytes();
    let mut open: Vec<&str> = Vec::new();
    let mut deepest = 0;
    let mut elements = 0;
    let mut at = 0;
    while let Some(offset) = find_byte(b'<', &bytes[at..]) {
        let start = at + offset + 1;
        if html[start..].starts_with("!--") {
            at = html[start..]
                .find("-->")
                .map_or(bytes.len(), |close| start + close + 3);
            continue;
        }
        let end = tag_end(bytes, start);
        let tag = &html[start..end.min(html.len())];
        at = (end + 1).min(bytes.len());
        if let Some(name) = tag.strip_prefix('/') {
            let name = tag_name(name);
            if let Some(position) = open.iter().rposition(|n| n.eq_ignore_ascii_case(name)) {
                open.truncate(position);
            }
            continue;
        }
        let name = tag_name(tag);
        if name.is_empty() {
            continue;
        }
        elements += 1;
        if tag.ends_with('/') || is_one_of(name, VOID) {
            continue;
        }
        if is_one_of(name, CLOSE_SIBLING)
            && open
                .last()
                .is_some_and(|top| top.eq_ignore_ascii_case(name))
        {
            open.pop();
        }
        open.push(name);
        deepest = deepest.max(open.len());
    }
    Shape {
        depth: deepest,
        elements,
    }
}

fn find_byte(needle: u8, haystack: &[u8]) -> Option<usize> {
    haystack.iter().position(|&b| b == needle)
}

/// Where the tag starting at `start` (just after `<`) ends: its `>` outside quotes.
fn tag_end(bytes: &[u8], start: usize) -> usize {
    let mut quote = None;
    for (i, &b) in bytes.iter().enumerate().skip(start) {
        match (quote, b) {
            (None, b'"' | b'\'') => quote = Some(b),
            (Some(q), _) if q == b => quote = None,
            (None, b'>') => return i,
            _ => {}
        }
    }
    bytes.len()
}

/// The element name at the start of a tag's text; empty for comments, doctypes and text
/// that only looks like a tag.
fn tag_name(tag: &str) -> &str {
    if !tag.starts_with(|c: char| c.is_ascii_alphabetic()) {
        return "";
    }
    let end = tag
        .find(|c: char| !c.is_ascii_alphanumeric() && c != '-')
        .unwrap_or(tag.len());
    &tag[..end]
}

fn is_one_of(name: &str, names: &[&str]) -> bool {
    names.iter().any(|n| n.eq_ignore_ascii_case(name))
}

#[cfg(test)]
mod tests {
    use super::{max_depth, shape};

    #[test]
    fn counts_every_element_once() {
        assert_eq!(shape("").elements, 0);
        assert_eq!(shape("<p>a <b>b</b><br></p><!-- <i> --> 1 < 2").elements, 3);
        assert_eq!(shape(&"<td>x".repeat(1000)).elements, 1000);
    }

    #[test]
    fn counts_nesting_not_siblings() {
        assert_eq!(max_depth(""), 0);
        assert_eq!(max_depth("text only"), 0);
        assert_eq!(max_depth("<p>a</p><p>b</p>"), 1);
        assert_eq!(max_depth("<div><div><p>x</p></div></div>"), 3);
        assert_eq!(max_depth(&"<div>".repeat(500)), 500);
        assert_eq!(
            max_depth(&"<blockquote>\n".repeat(70)),
            70,
            "what Markdown quotes become"
        );
    }

    #[test]
    fn void_self_closing_and_implied_ends_do_not_nest() {
        assert_eq!(max_depth(&"<br><img src=x><hr/>".repeat(100)), 0);
        assert_eq!(max_depth(&"<p>para".repeat(100)), 1);
        assert_eq!(max_depth(&format!("<ul>{}</ul>", "<li>x".repeat(100))), 2);
        assert_eq!(max_depth(&"<x-widget/>".repeat(100)), 0);
    }

    #[test]
    fn quotes_comments_and_stray_brackets_are_not_tags() {
        assert_eq!(max_depth("<a title=\"<div><div>\">x</a>"), 1);
        assert_eq!(max_depth("<!-- <div><div> -->"), 0);
        assert_eq!(max_depth("1 < 2 and <3"), 0);
        assert_eq!(max_depth("<div"), 1, "an unfinished tag still counts");
    }

    #[test]
    fn end_tags_close_what_they_name() {
        assert_eq!(max_depth("<div><b><i>x</b></div><div>y</div>"), 3);
        assert_eq!(max_depth("</div></div><p>x</p>"), 1);
        assert_eq!(max_depth("<DIV><div></DIV></div>"), 2);
    }
}
