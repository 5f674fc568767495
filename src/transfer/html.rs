//! Imported HTML made into Markdown, the form every post is written and edited in.
//!
//! WordPress content is cleaned first: block-editor comments dropped, the common shortcodes
//! (`[caption]`, `[gallery]`, `[embed]`, `[video]`, `[audio]`) made into plain HTML, and
//! classic-editor text given the paragraphs WordPress adds when it displays it. Then htmd
//! converts it in its faithful mode: what Markdown cannot say (figures and their captions,
//! definition lists) stays as HTML inside the Markdown, which the renderer sanitises like
//! any other. Frames (embedded players) become links to what they showed.

use std::sync::LazyLock;

use htmd::options::{Options, TranslationMode};
use htmd::{Element, HtmlToMarkdown, element_handler::Handlers};
use regex::{Captures, Regex};

static CONVERTER: LazyLock<HtmlToMarkdown> = LazyLock::new(|| {
    HtmlToMarkdown::builder()
        .options(Options {
            translation_mode: TranslationMode::Faithful,
            ..Options::default()
        })
        .skip_tags(vec!["script", "style", "noscript", "template", "object"])
        .add_handler(
            vec!["iframe", "embed"],
            |_: &dyn Handlers, element: Element| {
                let source = element
                    .attrs
                    .iter()
                    .find(|a| &*a.name.local == "src")
                    .map(|a| a.value.to_string())
                    .filter(|s| s.starts_with("https://") || s.starts_with("http://"))?;
                Some(format!("\n\n[{source}]({source})\n\n").into())
            },
        )
        .build()
});

/// HTML as Markdown. Conversion cannot fail on any input (html5ever reads anything); should
/// htmd ever refuse, the HTML is kept as it is, to be sanitised when rendered.
///
/// Tables stay HTML: Markdown's tables cannot hold what imported ones often have (empty
/// header cells, several paragraphs in a cell, spans), and a table that reads the same
/// matters more than one that edits as pipes.
pub fn to_markdown(html: &str) -> String {
    // The converter walks the document recursively: HTML nested deeper than any post may
    // be (or with more elements) is kept as it is, for the editor's checks to refuse with
    // their reason, rather than risk the stack.
    let shape = crate::render::depth::shape(html);
    if shape.depth > crate::render::MAX_DEPTH || shape.elements > crate::render::MAX_ELEMENTS {
        return html.to_string();
    }
    let mut tables = Vec::new();
    let html = TABLE.replace_all(html, |c: &Captures| {
        // No blank line inside, or the Markdown renderer would end the HTML block there.
        tables.push(BLANK_LINES.replace_all(&c[0], "\n").into_owned());
        format!("<p>{TABLE_MARK}{}</p>", tables.len() - 1)
    });
    let mut markdown = match CONVERTER.convert(&html) {
        Ok(markdown) => markdown.trim().to_string(),
        Err(_) => html.into_owned(),
    };
    for (i, table) in tables.iter().enumerate().rev() {
        markdown = markdown.replace(&format!("{TABLE_MARK}{i}"), &format!("\n\n{table}\n\n"));
    }
    markdown
}

/// Stands for a table while the rest is converted; letters only, so nothing escapes it.
const TABLE_MARK: &str = "QUIREIMPORTTABLE";
static TABLE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<table\b.*?</table>").expect("valid pattern"));
static BLANK_LINES: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\n[ \t]*\n").expect("valid pattern"));

/// An image a gallery names by its attachment id.
pub struct GalleryImage {
    pub url: String,
    pub alt: String,
}

/// What a comment's HTML keeps on its way to Markdown: the tags of the comments' safe
/// subset (and their older spellings), links by their address alone. Anything else is
/// unwrapped to its text, so the Markdown says only what a comment may say.
static COMMENT_CLEANER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(std::collections::HashSet::from([
            "p",
            "br",
            "em",
            "i",
            "strong",
            "b",
            "del",
            "s",
            "strike",
            "a",
            "code",
            "pre",
            "blockquote",
            "ul",
            "ol",
            "li",
        ]))
        .tag_attributes(std::collections::HashMap::from([(
            "a",
            std::collections::HashSet::from(["href"]),
        )]))
        .url_schemes(std::collections::HashSet::from(["http", "https", "mailto"]))
        .link_rel(None);
    builder
});

/// A WordPress comment (text with line breaks and a little HTML, shown through wpautop), or
/// a comment's HTML from any export, as comment Markdown.
pub fn comment_to_markdown(content: &str) -> String {
    let clean = COMMENT_CLEANER.clean(&autop(content.trim())).to_string();
    // Preformatted text is a code block in Markdown only with its <code> inside.
    let clean = clean
        .replace("<pre><code>", "<pre>")
        .replace("</code></pre>", "</pre>")
        .replace("<pre>", "<pre><code>")
        .replace("</pre>", "</code></pre>");
    to_markdown(&clean)
}

/// A WordPress post's content as Markdown. `attachment` finds a gallery's images by id.
pub fn wordpress_to_markdown(
    content: &str,
    attachment: &dyn Fn(&str) -> Option<GalleryImage>,
) -> String {
    let block_editor = content.contains("<!-- wp:");
    let content = BLOCK_COMMENT.replace_all(content, "");
    let content = shortcodes(&content, attachment);
    let content = if block_editor {
        content
    } else {
        autop(&content)
    };
    to_markdown(&content)
}

static BLOCK_COMMENT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"<!--\s*/?wp:[^>]*?-->").expect("valid pattern"));
static CAPTION: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)\[(?:caption|wp_caption)([^\]]*)\](.*?)\[/(?:caption|wp_caption)\]")
        .expect("valid pattern")
});
static GALLERY: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"\[gallery([^\]]*)\]").expect("valid pattern"));
static EMBED: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)\[embed[^\]]*\]\s*(https?://[^\s\[<]+)\s*\[/embed\]").expect("valid pattern")
});
static MEDIA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)\[(video|audio)([^\]]*)\](?:.*?\[/(?:video|audio)\])?").expect("valid pattern")
});
/// A web address alone on its line, which WordPress turns into an embedded player.
static BARE_URL: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?m)^[ \t]*(https?://[^\s<>\[\]]+)[ \t]*$").expect("valid pattern")
});
static ATTRIBUTE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(\w+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s"']+))"#).expect("valid pattern")
});
/// The HTML of an image (possibly inside a link) at the start of a caption shortcode.
static LEADING_MEDIA: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)^\s*((?:<a\b[^>]*>\s*)?<img\b[^>]*>(?:\s*</a>)?)(.*)$").expect("valid pattern")
});

fn attributes(raw: &str) -> Vec<(String, String)> {
    ATTRIBUTE
        .captures_iter(raw)
        .map(|c| {
            let value = c
                .get(2)
                .or_else(|| c.get(3))
                .or_else(|| c.get(4))
                .map_or("", |m| m.as_str());
            (c[1].to_ascii_lowercase(), value.to_string())
        })
        .collect()
}

fn attribute<'a>(attributes: &'a [(String, String)], name: &str) -> Option<&'a str> {
    attributes
        .iter()
        .find(|(key, _)| key == name)
        .map(|(_, value)| value.as_str())
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

fn link(address: &str) -> String {
    let address = escape(address);
    format!("\n\n<p><a href=\"{address}\">{address}</a></p>\n\n")
}

fn shortcodes(content: &str, attachment: &dyn Fn(&str) -> Option<GalleryImage>) -> String {
    let content = CAPTION.replace_all(content, |c: &Captures| {
        let attrs = attributes(&c[1]);
        let inner = &c[2];
        let (media, text) = match LEADING_MEDIA.captures(inner) {
            Some(m) => (m[1].to_string(), m[2].trim().to_string()),
            None => (inner.to_string(), String::new()),
        };
        // Old captions keep their text in an attribute instead.
        let caption = if text.is_empty() {
            attribute(&attrs, "caption").map(escape).unwrap_or_default()
        } else {
            text
        };
        if caption.is_empty() {
            format!("\n\n<figure>{media}</figure>\n\n")
        } else {
            format!("\n\n<figure>{media}<figcaption>{caption}</figcaption></figure>\n\n")
        }
    });
    let content = GALLERY.replace_all(&content, |c: &Captures| {
        let attrs = attributes(&c[1]);
        let images: String = attribute(&attrs, "ids")
            .unwrap_or_default()
            .split(',')
            .filter_map(|id| attachment(id.trim()))
            .map(|image| {
                format!(
                    "<img src=\"{}\" alt=\"{}\">",
                    escape(&image.url),
                    escape(&image.alt)
                )
            })
            .collect();
        if images.is_empty() {
            String::new()
        } else {
            format!("\n\n<figure class=\"gallery\">{images}</figure>\n\n")
        }
    });
    let content = EMBED.replace_all(&content, |c: &Captures| link(&c[1]));
    let content = MEDIA.replace_all(&content, |c: &Captures| {
        let attrs = attributes(&c[2]);
        ["src", "mp4", "webm", "mp3", "ogg", "m4a", "wav"]
            .iter()
            .find_map(|key| attribute(&attrs, key))
            .map(link)
            .unwrap_or_default()
    });
    BARE_URL
        .replace_all(&content, |c: &Captures| link(&c[1]))
        .into_owned()
}

/// Block-level elements: a paragraph never wraps them (as WordPress's `wpautop`).
const BLOCKS: &str = "address|article|aside|blockquote|dd|details|div|dl|dt|fieldset|\
    figcaption|figure|footer|form|h[1-6]|header|hr|iframe|li|main|nav|ol|p|pre|section|table|\
    tbody|td|tfoot|th|thead|tr|ul|script|style|caption|summary";

static BLOCK_OPEN: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)(<(?:{BLOCKS})[\s/>])")).expect("valid pattern"));
static BLOCK_CLOSE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)(</(?:{BLOCKS})>)")).expect("valid pattern"));
static STARTS_WITH_BLOCK: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(&format!(r"(?i)^</?(?:{BLOCKS})[\s/>]")).expect("valid pattern"));
static PRE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?is)<pre[\s>].*?</pre>").expect("valid pattern"));

/// Classic-editor text as WordPress shows it: text separated by a blank line becomes a
/// paragraph, a single line break inside one a `<br>`; block elements stand apart and keep
/// their lines, and preformatted text is left exactly as it is.
pub fn autop(content: &str) -> String {
    let mut out = String::with_capacity(content.len() + content.len() / 8);
    let mut last = 0;
    for pre in PRE.find_iter(content) {
        autop_outside_pre(&content[last..pre.start()], &mut out);
        out.push_str(pre.as_str());
        out.push_str("\n\n");
        last = pre.end();
    }
    autop_outside_pre(&content[last..], &mut out);
    out
}

fn autop_outside_pre(content: &str, out: &mut String) {
    let spaced = BLOCK_OPEN.replace_all(content, "\n\n$1");
    let spaced = BLOCK_CLOSE.replace_all(&spaced, "$1\n\n");
    let spaced = spaced.replace("\r\n", "\n");
    for chunk in spaced.split("\n\n") {
        let trimmed = chunk.trim();
        if trimmed.is_empty() {
            continue;
        }
        if STARTS_WITH_BLOCK.is_match(trimmed) {
            out.push_str(trimmed);
        } else {
            out.push_str("<p>");
            out.push_str(&trimmed.replace('\n', "<br>\n"));
            out.push_str("</p>");
        }
        out.push_str("\n\n");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn none(_: &str) -> Option<GalleryImage> {
        None
    }

    #[test]
    fn classic_text_gets_paragraphs_and_keeps_its_structure() {
        let html = "First line\nsecond line\n\nSecond paragraph\n\n<h2>Head</h2>\n\n<ul>\n<li>One</li>\n\n<li>Two</li>\n</ul>";
        let md = wordpress_to_markdown(html, &none);
        assert!(md.starts_with("First line"), "{md}");
        assert!(md.contains("\n\nSecond paragraph\n\n"), "{md}");
        assert!(md.contains("## Head"), "{md}");
        assert!(
            md.contains("*   One") || md.contains("- One") || md.contains("* One"),
            "{md}"
        );
        assert!(!md.contains("<br>"), "no breaks between list items: {md}");
        let code = wordpress_to_markdown("<pre>a\n\nb</pre>", &none);
        // Kept as HTML, its blank line written so the HTML block does not end there.
        assert!(
            code.contains("a\n&#10;b") || code.contains("a\n\nb"),
            "{code}"
        );
    }

    #[test]
    fn block_comments_and_shortcodes_become_plain_html() {
        let html = "<!-- wp:paragraph --><p>Hi</p><!-- /wp:paragraph -->\n\
            [caption id=\"a\" align=\"alignnone\" width=\"300\"]<img src=\"https://x.test/a.jpg\" alt=\"A\"> The caption[/caption]\n\
            [gallery ids=\"1,2\"]\n[embed]https://video.test/v/1[/embed]";
        let found = |id: &str| {
            Some(GalleryImage {
                url: format!("https://x.test/{id}.jpg"),
                alt: format!("Image {id}"),
            })
        };
        let md = wordpress_to_markdown(html, &found);
        assert!(!md.contains("wp:"), "{md}");
        assert!(md.contains("<figcaption>The caption</figcaption>"), "{md}");
        assert!(md.contains("https://x.test/2.jpg"), "{md}");
        assert!(md.contains("(https://video.test/v/1)"), "{md}");
        assert!(
            !md.contains('['.to_string().as_str()) || !md.contains("[gallery"),
            "{md}"
        );
    }

    #[test]
    fn tables_headings_code_and_frames_convert() {
        let html = "<h3>T</h3><table><tr><th>A</th><th>B</th></tr><tr><td>1</td><td>2</td></tr></table>\
            <pre><code>let x = 1;</code></pre><iframe src=\"https://player.test/9\"></iframe>\
            <script>alert(1)</script><p onclick=\"x()\">Safe</p>";
        let md = to_markdown(html);
        assert!(md.contains("### T"), "{md}");
        assert!(
            md.contains("<table><tr><th>A</th>"),
            "tables stay HTML: {md}"
        );
        assert!(md.contains("let x = 1;"), "{md}");
        assert!(md.contains("(https://player.test/9)"), "{md}");
        assert!(!md.contains("alert"), "{md}");
    }

    #[test]
    fn html_nested_too_deep_is_left_alone_not_walked() {
        let html = "<div>".repeat(20_000);
        assert_eq!(to_markdown(&html), html);
    }
}
