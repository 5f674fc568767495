//! Markdown is rendered when saved and served safe.

use crate::helpers::*;

#[tokio::test]
async fn hostile_markdown_is_served_harmless() {
    let app = spawn_app().await;
    let markdown = r#"Intro <script>alert('x')</script>

<img src="/x.png" alt="x" onerror="alert(1)">

[click me](javascript:alert(1)) and <a href="jAvAsCrIpT:alert(2)">this</a>

<iframe src="https://evil.example/"></iframe>

<div><b>unclosed <i>tags

[outside](https://example.org/page)
"#;
    app.seed(SeedPost::published("hostile", "Hostile").markdown(markdown));
    let doc = app.page("/hostile/", 200).await;
    assert!(
        select(
            &doc,
            "script:not([type='application/ld+json']):not([src^='/static/post.']), iframe"
        )
        .is_empty()
    );
    assert!(select(&doc, "[onerror], [onclick]").is_empty());
    for a in select(&doc, ".content a") {
        let href = a.value().attr("href").unwrap_or("");
        assert!(!href.to_lowercase().contains("javascript"), "{href}");
    }
    let outside = select(&doc, ".content a[href='https://example.org/page']");
    assert_eq!(outside.len(), 1);
    assert!(outside[0].value().attr("rel").unwrap().contains("noopener"));
    // The unclosed tags were closed inside the content: the footer is still outside it.
    assert_eq!(
        select(&doc, ".content footer, .content .site-footer").len(),
        0
    );
    assert_eq!(select(&doc, "body > footer").len(), 1);
}

#[tokio::test]
async fn titles_are_escaped() {
    let app = spawn_app().await;
    app.seed(SeedPost::published(
        "escaped",
        "<script>alert(1)</script> & \"quotes\"",
    ));
    let doc = app.page("/escaped/", 200).await;
    assert_eq!(
        text_of(&doc, "h1"),
        "<script>alert(1)</script> & \"quotes\""
    );
    assert!(
        select(
            &doc,
            "script:not([type='application/ld+json']):not([src^='/static/post.'])"
        )
        .is_empty()
    );
}
