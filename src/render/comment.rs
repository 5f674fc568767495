//! A comment's Markdown: a safe subset (emphasis, links, code, quotes, lists), rendered and
//! sanitised once when the comment is saved. Headings read as paragraphs, images as links to
//! them, raw HTML as the text it is; every link is marked as user content that passes on no
//! ranking and gets no handle on the page.

use std::collections::HashSet;
use std::sync::LazyLock;

use pulldown_cmark::{CowStr, Event, LinkType, Options, Parser, Tag, TagEnd, html};

use super::SafeHtml;

/// What a comment says, ready to show.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RenderedComment {
    pub html: SafeHtml,
    /// The text as plain words, for structured data and notifications.
    pub plain_text: String,
    /// Links in the text, written or bare, for the moderation rules.
    pub links: usize,
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(|| {
    let mut builder = ammonia::Builder::empty();
    builder
        .tags(HashSet::from([
            "p",
            "br",
            "em",
            "strong",
            "del",
            "a",
            "code",
            "pre",
            "blockquote",
            "ul",
            "ol",
            "li",
        ]))
        .tag_attributes(std::collections::HashMap::from([
            ("a", HashSet::from(["href"])),
            ("ol", HashSet::from(["start"])),
        ]))
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        .link_rel(Some("ugc nofollow noopener"));
    builder
});

/// Nesting deeper than this is flattened by the sanitiser's parser anyway; a bound keeps a
/// hostile comment of ten thousand `>` from costing anything.
const MAX_NESTING: usize = 16;

pub fn render_comment(markdown: &str) -> RenderedComment {
    let mut options = Options::empty();
    options.insert(Options::ENABLE_STRIKETHROUGH);
    let mut links = 0;
    let mut plain = String::new();
    let mut depth = 0usize;
    let events: Vec<Event<'_>> = Parser::new_ext(markdown, options)
        .filter_map(|event| {
            let event = match event {
                Event::Start(Tag::Heading { .. }) => Event::Start(Tag::Paragraph),
                Event::End(TagEnd::Heading(_)) => Event::End(TagEnd::Paragraph),
                Event::Start(Tag::Image {
                    dest_url, title, ..
                }) => Event::Start(Tag::Link {
                    link_type: LinkType::Inline,
                    dest_url,
                    title,
                    id: CowStr::Borrowed(""),
                }),
                Event::End(TagEnd::Image) => Event::End(TagEnd::Link),
                Event::Html(text) | Event::InlineHtml(text) => Event::Text(text),
                other => other,
            };
            match &event {
                Event::Start(Tag::Link { .. }) => links += 1,
                Event::Text(text) | Event::Code(text) => plain.push_str(text),
                Event::SoftBreak
                | Event::HardBreak
                | Event::End(
                    TagEnd::Paragraph
                    | TagEnd::Item
                    | TagEnd::BlockQuote(_)
                    | TagEnd::CodeBlock
                    | TagEnd::List(_),
                ) => plain.push(' '),
                _ => {}
            }
            // Past the nesting bound, containers are dropped and their text kept.
            match &event {
                Event::Start(Tag::BlockQuote(_) | Tag::List(_) | Tag::Item) => {
                    depth += 1;
                    (depth <= MAX_NESTING).then_some(event)
                }
                Event::End(TagEnd::BlockQuote(_) | TagEnd::List(_) | TagEnd::Item) => {
                    depth -= 1;
                    (depth < MAX_NESTING).then_some(event)
                }
                _ => Some(event),
            }
        })
        .collect();
    let mut html_out = String::with_capacity(markdown.len() + markdown.len() / 2);
    html::push_html(&mut html_out, events.into_iter());
    // Bare addresses count too: spam rarely bothers with Markdown.
    let bare = markdown.matches("http://").count() + markdown.matches("https://").count();
    RenderedComment {
        html: SafeHtml::from_stored(SANITIZER.clean(&html_out).to_string()),
        plain_text: plain.split_whitespace().collect::<Vec<_>>().join(" "),
        links: links.max(bare),
    }
}

/// The words of a comment's stored HTML (this module's output, so tags are well formed),
/// for structured data: far cheaper than rendering its Markdown again on every page view.
pub fn plain_text_of(html: &SafeHtml) -> String {
    let mut text = String::with_capacity(html.as_str().len());
    let mut in_tag = false;
    for c in html.as_str().chars() {
        match c {
            '<' => {
                in_tag = true;
                text.push(' ');
            }
            '>' => in_tag = false,
            c if !in_tag => text.push(c),
            _ => {}
        }
    }
    let text = text
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&amp;", "&");
    let words: Vec<&str> = text.split_whitespace().collect();
    // Punctuation after an inline tag reads without the space the tag left.
    words
        .join(" ")
        .replace(" ,", ",")
        .replace(" .", ".")
        .replace(" !", "!")
        .replace(" ?", "?")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn html(markdown: &str) -> String {
        render_comment(markdown).html.as_str().to_string()
    }

    #[test]
    fn the_safe_subset_is_kept() {
        let out = html("*a* **b** ~~c~~ `d`\n\n> quote\n\n- one\n- two\n\n```\ncode\n```");
        for tag in [
            "<em>a</em>",
            "<strong>b</strong>",
            "<del>c</del>",
            "<code>d</code>",
            "<blockquote>",
            "<li>one</li>",
            "<pre><code>code",
        ] {
            assert!(out.contains(tag), "{tag} in {out}");
        }
    }

    #[test]
    fn links_are_user_content_and_counted() {
        let rendered = render_comment("[x](https://a.example/) and https://b.example/");
        assert!(
            rendered
                .html
                .as_str()
                .contains(r#"<a href="https://a.example/" rel="ugc nofollow noopener">x</a>"#),
            "{}",
            rendered.html.as_str()
        );
        assert_eq!(rendered.links, 2);
        assert_eq!(render_comment("no links").links, 0);
    }

    #[test]
    fn headings_images_and_html_are_not_kept() {
        let out = html(
            "# Big\n\n![alt text](https://x.example/i.png)\n\n<script>alert(1)</script><b onclick=x>b</b>",
        );
        assert!(!out.contains("<h1"), "{out}");
        assert!(out.contains("<p>Big</p>"), "{out}");
        assert!(!out.contains("<img"), "{out}");
        assert!(out.contains(">alt text</a>"), "{out}");
        assert!(!out.contains("<script"), "{out}");
        assert!(!out.contains("<b"), "{out}");
        assert!(out.contains("&lt;script&gt;"), "{out}");
    }

    #[test]
    fn dangerous_urls_are_dropped() {
        let out = html("[x](javascript:alert(1))");
        assert!(!out.contains("javascript"), "{out}");
    }

    #[test]
    fn deep_nesting_is_bounded() {
        let deep = ">".repeat(5000) + " deep";
        let out = html(&deep);
        assert!(
            out.matches("<blockquote>").count() <= MAX_NESTING,
            "{}",
            out.len()
        );
        assert!(out.contains("deep"));
    }

    #[test]
    fn stored_html_reads_as_its_words() {
        let rendered = render_comment("Hello *there*, friend `x` & <b>\n\n> quoted");
        assert_eq!(
            plain_text_of(&rendered.html),
            "Hello there, friend x & <b> quoted"
        );
    }

    #[test]
    fn plain_text_is_the_words() {
        assert_eq!(
            render_comment("Hello *there*,\nfriend `x`").plain_text,
            "Hello there, friend x"
        );
    }
}
