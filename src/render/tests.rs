use scraper::{Html, Selector};

use super::*;

/// Renders a text that is within every limit.
fn render(markdown: &str) -> Rendered {
    super::render(markdown).expect("within the limits")
}

fn select<'a>(doc: &'a Html, css: &str) -> Vec<scraper::ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

fn rendered_doc(markdown: &str) -> Html {
    Html::parse_fragment(render(markdown).html.as_str())
}

#[test]
fn script_tags_are_removed() {
    let doc = rendered_doc("Hello <script>alert(1)</script> world");
    assert!(select(&doc, "script").is_empty());
    assert!(
        !render("<script>alert(1)</script>")
            .html
            .as_str()
            .contains("alert(1)<")
    );
}

#[test]
fn event_handlers_are_removed() {
    let doc = rendered_doc(
        r#"<img src="x.png" onerror="alert(1)" alt="x"> <a href="/" onclick="x()">a</a>"#,
    );
    let img = select(&doc, "img");
    assert_eq!(img.len(), 1);
    assert!(img[0].value().attr("onerror").is_none());
    assert!(select(&doc, "a")[0].value().attr("onclick").is_none());
}

#[test]
fn javascript_links_lose_their_href() {
    for source in [
        "[click](javascript:alert(1))",
        r#"<a href="javascript:alert(1)">click</a>"#,
        r#"<a href="JaVaScRiPt:alert(1)">click</a>"#,
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
    ] {
        let doc = rendered_doc(source);
        for a in select(&doc, "a") {
            let href = a.value().attr("href").unwrap_or("");
            assert!(
                !href.to_ascii_lowercase().starts_with("javascript"),
                "{source}"
            );
            assert!(!href.starts_with("data:"), "{source}");
        }
    }
}

#[test]
fn iframes_objects_and_styles_are_removed() {
    let doc = rendered_doc(
        r#"<iframe src="https://evil.example"></iframe><object data="x"></object><style>body{}</style><form action="/x"><input name=a></form>"#,
    );
    assert!(select(&doc, "iframe, object, style, form").is_empty());
}

#[test]
fn unclosed_tags_are_balanced() {
    let html = render("<div><b>bold <i>both\n\nafter").html;
    let doc = Html::parse_fragment(html.as_str());
    // Re-serialising the parsed fragment gives back the same markup: it was well formed.
    let reparsed = doc.root_element().inner_html();
    assert_eq!(reparsed, html.as_str());
    assert!(html.as_str().matches("<b>").count() == html.as_str().matches("</b>").count());
}

#[test]
fn external_links_get_noopener() {
    let doc = rendered_doc("[Quire](https://example.com/)");
    let a = &select(&doc, "a")[0];
    assert!(a.value().attr("rel").unwrap().contains("noopener"));
    assert_eq!(a.value().attr("href"), Some("https://example.com/"));
}

#[test]
fn headings_get_unique_ids_and_a_toc() {
    let source = "# Intro\n\ntext\n\n## Setup\n\n### Setup\n\n## Setup\n\n#### Deep";
    let out = render(source);
    let doc = Html::parse_fragment(out.html.as_str());
    assert!(
        select(&doc, "h1").is_empty(),
        "content must not add a second h1"
    );
    let ids: Vec<_> = select(&doc, "h2, h3, h4")
        .iter()
        .map(|h| h.value().attr("id").unwrap().to_string())
        .collect();
    assert_eq!(ids, ["intro", "setup", "setup-2", "setup-3", "deep"]);
    let toc: Vec<_> = out.toc.iter().map(|e| (e.level, e.id.as_str())).collect();
    assert_eq!(
        toc,
        [(2, "intro"), (2, "setup"), (3, "setup-2"), (2, "setup-3")]
    );
}

#[test]
fn fenced_code_is_highlighted_with_classes() {
    let out = render("```rust\nfn main() { let x = 1; }\n```\n");
    let doc = Html::parse_fragment(out.html.as_str());
    let pre = select(&doc, "pre.hl");
    assert_eq!(pre.len(), 1);
    let spans = select(&doc, "pre.hl span[class]");
    assert!(!spans.is_empty());
    assert!(
        spans
            .iter()
            .all(|s| s.value().attr("class").unwrap().starts_with("hl-"))
    );
    assert!(select(&doc, "[style]").is_empty(), "no inline styles");
}

#[test]
fn unknown_languages_and_html_in_code_stay_escaped() {
    let out = render("```nosuchlang\n<script>alert(1)</script>\n```\n");
    let doc = Html::parse_fragment(out.html.as_str());
    assert!(select(&doc, "script").is_empty());
    assert_eq!(
        select(&doc, "pre code")[0].text().collect::<String>(),
        "<script>alert(1)</script>\n"
    );
}

#[test]
fn tables_footnotes_strikethrough_and_task_lists() {
    let source = "| a | b |\n|:--|--:|\n| 1 | 2 |\n\nNote[^1] ~~old~~\n\n- [x] done\n- [ ] todo\n\n[^1]: The footnote.";
    let doc = rendered_doc(source);
    assert_eq!(select(&doc, "table td").len(), 2);
    assert_eq!(select(&doc, "del").len(), 1);
    assert_eq!(select(&doc, "sup a").len(), 1);
    let boxes = select(&doc, "input[type=checkbox]");
    assert_eq!(boxes.len(), 2);
    assert!(boxes[0].value().attr("checked").is_some());
    assert!(boxes.iter().all(|b| b.value().attr("disabled").is_some()));
}

#[test]
fn reading_time_and_excerpt() {
    let words = "word ".repeat(700);
    let out = render(&format!("## Heading\n\n{words}"));
    assert_eq!(out.word_count, 700);
    assert_eq!(out.reading_minutes, 4);
    assert!(!out.excerpt.contains("Heading"));
    assert!(out.excerpt.chars().count() <= 281);
    assert!(out.excerpt.ends_with('…'));
    assert_eq!(render("").reading_minutes, 1);
}

#[test]
fn trim_at_word_respects_boundaries() {
    assert_eq!(trim_at_word("short text", 50), "short text");
    assert_eq!(trim_at_word("one two three four", 12), "one two…");
    assert_eq!(trim_at_word("  spaced\n\n out  ", 50), "spaced out");
    let long = "é".repeat(300);
    assert!(trim_at_word(&long, 10).chars().count() <= 11);
}

#[test]
fn slugs_parse_and_slugify() {
    assert_eq!(Slug::parse("hello-world").unwrap().as_str(), "hello-world");
    for bad in ["", "Hello", "a b", "-a", "a-", "a--b", "über", "a/b"] {
        assert!(Slug::parse(bad).is_err(), "{bad:?}");
    }
    assert!(Slug::parse(&"a".repeat(186)).is_err());
    assert_eq!(
        Slug::parse_top_level("admin"),
        Err(SlugError::Reserved("admin".into()))
    );
    assert_eq!(slugify("Héllo, Wörld! 2026"), "hello-world-2026");
    assert_eq!(slugify("!!!"), "untitled");
    assert!(slugify(&"word ".repeat(100)).len() <= 185);
}

#[test]
fn syntax_stylesheet_has_light_and_dark_rules() {
    let css = syntax_css();
    assert!(css.contains(".hl-"));
    assert!(css.contains("prefers-color-scheme: dark"));
}

#[test]
fn content_images_load_lazily_and_keep_alt() {
    let doc = rendered_doc(
        "![A diagram](/media/diagram.png)\n\n<img src=\"/x.png\" alt=\"x\" loading=\"eager\">",
    );
    let images = select(&doc, "img");
    assert_eq!(images.len(), 2);
    for img in images {
        assert_eq!(img.value().attr("loading"), Some("lazy"));
        assert_eq!(img.value().attr("decoding"), Some("async"));
        assert!(img.value().attr("alt").is_some());
    }
}

#[test]
fn library_images_in_the_text_get_their_size_and_variants() {
    let html = render("![Boats](/media/abc.jpg)\n\n![Elsewhere](https://example.com/x.jpg)\n\n<img src=\"/media/abc.jpg\" width=\"10\" alt=\"sized\">").html;
    assert_eq!(
        html.image_sources("/media/"),
        ["/media/abc.jpg", "/media/abc.jpg"]
    );
    let sized = html.with_image_sizes(|src| {
        (src == "/media/abc.jpg").then(|| crate::render::ImageSize {
            width: 800,
            height: 600,
            srcset: "/media/abc-320.jpg 320w, /media/abc.jpg 800w".into(),
            sizes: "100vw".into(),
        })
    });
    let doc = scraper::Html::parse_fragment(sized.as_str());
    let images: Vec<_> = doc
        .select(&scraper::Selector::parse("img").unwrap())
        .map(|img| {
            let a = |name| img.value().attr(name).unwrap_or("").to_string();
            (a("src"), a("width"), a("height"), a("srcset"), a("alt"))
        })
        .collect();
    assert_eq!(images[0].0, "/media/abc.jpg");
    assert_eq!((images[0].1.as_str(), images[0].2.as_str()), ("800", "600"));
    assert!(images[0].3.ends_with("800w"));
    assert_eq!(images[0].4, "Boats", "alt kept");
    assert_eq!(images[1].1, "", "other sites' images are left alone");
    assert_eq!(images[2].1, "10", "an image sized by hand keeps its size");
    // Values that would need escaping are never written.
    let refused = html.with_image_sizes(|_| {
        Some(crate::render::ImageSize {
            width: 1,
            height: 1,
            srcset: "\"><script>".into(),
            sizes: "x".into(),
        })
    });
    assert!(!refused.as_str().contains("<script>"));
}

#[test]
fn repeated_headings_get_numbered_ids_in_linear_time() {
    let out = render(&"# h\n".repeat(MAX_HEADINGS));
    assert_eq!(out.toc.len(), MAX_HEADINGS);
    assert_eq!(out.toc[0].id, "h");
    assert_eq!(out.toc[1].id, "h-2");
    assert_eq!(out.toc[MAX_HEADINGS - 1].id, format!("h-{MAX_HEADINGS}"));
    // A heading whose own text is "h 3" keeps its id; the numbering skips it.
    let ids: Vec<String> = render("# h 3\n# h\n# h\n# h\n")
        .toc
        .into_iter()
        .map(|e| e.id)
        .collect();
    assert_eq!(ids, ["h-3", "h", "h-2", "h-4"]);
}

#[test]
fn texts_over_a_limit_are_refused_with_a_reason() {
    assert_eq!(
        super::render(&"# h\n".repeat(MAX_HEADINGS + 1)).err(),
        Some(RenderError::TooManyHeadings)
    );
    let footnotes: String = (0..=MAX_FOOTNOTES)
        .map(|i| format!("a[^{i}]\n\n[^{i}]: b\n\n"))
        .collect();
    assert_eq!(
        super::render(&footnotes).err(),
        Some(RenderError::TooManyFootnotes)
    );
    for deep in [
        format!("{}x\n", ">".repeat(MAX_DEPTH + 1)),
        format!("{}x", "<div>".repeat(MAX_DEPTH + 1)),
        (0..=MAX_DEPTH)
            .map(|i| format!("{}- x\n", "  ".repeat(i)))
            .collect::<String>(),
    ] {
        assert_eq!(super::render(&deep).err(), Some(RenderError::TooDeep));
    }
    // Just within the limit is fine.
    assert!(super::render(&format!("{}x", "<div>".repeat(MAX_DEPTH - 1))).is_ok());
    let message = RenderError::TooDeep.to_string();
    assert!(message.contains("64 levels"), "{message}");
    // Elements: a table one cell over the limit, and one well within it.
    let cells = |n: usize| format!("| a |\n|---|\n{}", "| x |\n".repeat(n));
    assert_eq!(
        super::render(&cells(MAX_ELEMENTS)).err(),
        Some(RenderError::TooManyElements)
    );
    assert!(super::render(&cells(MAX_ELEMENTS / 4)).is_ok());
    let message = RenderError::TooManyElements.to_string();
    let limit = MAX_ELEMENTS.to_string();
    let shown = format!(
        "{},{}",
        &limit[..limit.len() - 3],
        &limit[limit.len() - 3..]
    );
    assert!(message.contains(&shown), "{message} names {shown}");
}

#[test]
fn code_beyond_the_highlighting_budget_is_shown_plain() {
    let block = format!("```rust\n{}```\n\n", "let x = 1;\n".repeat(3_000));
    let out = render(&block.repeat(10));
    let doc = Html::parse_fragment(out.html.as_str());
    let highlighted = select(&doc, "pre.hl").len();
    let plain = select(&doc, "pre:not(.hl)").len();
    assert!(highlighted >= 1, "the first blocks are highlighted");
    assert!(plain >= 1, "the rest are plain");
    assert_eq!(highlighted + plain, 10);
}

#[test]
fn the_same_text_sanitises_to_the_same_bytes_every_time() {
    // Each feed builds its own sanitiser, whose attribute order would otherwise vary.
    let html = render("![A harbour](/media/harbour.png)").html;
    let base = url::Url::parse("https://example.com").unwrap();
    let first = html.with_absolute_urls(&base);
    for _ in 0..20 {
        assert_eq!(html.with_absolute_urls(&base), first);
    }
    assert!(
        first
            .as_str()
            .contains("loading=\"lazy\" decoding=\"async\""),
        "{first:?}"
    );
}
