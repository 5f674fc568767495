//! One parser for every caller: a post the editor refuses is refused by `quire import` with
//! the same words, and a forged choice (a kind or status no form offers) is refused by
//! both, saying what was wrong.

use quire::domain::users::Role;
use reqwest::StatusCode;
use serde_json::{Value, json};

use quire::domain::posts::input::{MAX_COVER_ALT, MAX_EXCERPT, MAX_META_DESCRIPTION, MAX_TITLE};

use crate::editor::{editor_fields, post, with};
use crate::helpers::*;

/// What the editor says about `field` when a new post is saved with `value` in it.
async fn editor_says(app: &TestApp, client: &reqwest::Client, field: &str, value: &str) -> String {
    let fields = editor_fields(app, client, "/admin/posts/new").await;
    let fields = with(
        fields,
        &[
            ("title", "A fine title"),
            ("slug", "a-fine-slug"),
            ("markdown", "Words."),
            (field, value),
            ("action", "save"),
        ],
    );
    let response = post(app, client, "/admin/posts/new", &fields).await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "{field}"
    );
    let page = parse_html(&response.text().await.unwrap());
    // What was typed comes back to be fixed, not lost (controls aside, which HTML cannot hold).
    if !typed_controls(value) {
        let control = format!("#f-{field}");
        let kept = match select(&page, &control).first() {
            Some(e) if e.value().name() == "textarea" => e.text().collect::<String>(),
            Some(e) => e.value().attr("value").unwrap_or("").to_string(),
            None => panic!("no {control}"),
        };
        assert_eq!(kept.trim(), value.trim(), "{field} is kept");
    }
    text_of(&page, &format!("#{field}-error"))
}

fn typed_controls(value: &str) -> bool {
    value.chars().any(|c| c.is_control())
}

/// What `quire import` says about a file whose one post has `value` in `key`.
fn import_says(app: &TestApp, key: &str, value: Value) -> String {
    let mut post = json!({
        "slug": "a-fine-slug", "title": "A fine title", "markdown": "Words.",
        "kind": "post", "status": "draft", "author": "ada", "tags": []
    });
    post[key] = value;
    let file = json!({
        "format": "quire-corpus", "version": 1, "seed": 1,
        "authors": [{ "id": 1, "slug": "ada", "name": "Ada", "email": "ada@example.com", "bio": "" }],
        "tags": [],
        "posts": [post]
    });
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.json");
    std::fs::write(&path, file.to_string()).unwrap();
    let strict = quire::transfer::Options {
        strict: true,
        ..Default::default()
    };
    quire::transfer::import(&app.db, &path, strict, now(), &mut |_| {})
        .expect_err(key)
        .to_string()
}

fn post_count(app: &TestApp) -> i64 {
    app.db.run_blocking(quire::domain::posts::count).unwrap()
}

#[tokio::test]
async fn the_editor_and_the_importer_refuse_the_same_posts_in_the_same_words() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let before = post_count(&app);
    // One character over each limit.
    let long_title = "t".repeat(MAX_TITLE + 1);
    let long_excerpt = "x".repeat(MAX_EXCERPT + 1);
    let long_description = "y".repeat(MAX_META_DESCRIPTION + 1);
    let long_alt = "z".repeat(MAX_COVER_ALT + 1);
    // (form field, typed text, file key)
    let cases = [
        ("title", "A bell\u{7} in the title", "title"),
        ("title", "   ", "title"),
        ("title", long_title.as_str(), "title"),
        ("cover_alt", long_alt.as_str(), "feature_image_alt"),
        ("canonical_url", "javascript:alert(1)", "canonical_url"),
        ("canonical_url", "ftp://example.com/x", "canonical_url"),
        ("custom_excerpt", long_excerpt.as_str(), "excerpt"),
        (
            "meta_description",
            long_description.as_str(),
            "meta_description",
        ),
        ("slug", "Not A Slug", "slug"),
        ("markdown", "a\u{0}b", "markdown"),
    ];
    for (field, typed, key) in cases {
        let said = editor_says(&app, &editor, field, typed).await;
        assert!(!said.is_empty(), "{field}: the editor says why");
        let imported = import_says(&app, key, json!(typed));
        assert!(
            imported.contains(&said),
            "{field} = {typed:?}: the editor says {said:?}, the importer {imported:?}"
        );
    }
    assert_eq!(post_count(&app), before, "nothing was saved");
}

#[tokio::test]
async fn forged_choices_are_refused_with_a_message_by_form_and_import() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let before = post_count(&app);

    // The editor offers posts and pages; anything else is a forged form.
    let fields = editor_fields(&app, &editor, "/admin/posts/new").await;
    for (name, value) in [("kind", "weird"), ("action", "launch")] {
        let forged = with(
            fields.clone(),
            &[("title", "Forged"), ("markdown", "Words."), (name, value)],
        );
        let response = post(&app, &editor, "/admin/posts/new", &forged).await;
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{name}={value}");
        let page = parse_html(&response.text().await.unwrap());
        assert!(!text_of(&page, "main").is_empty(), "an error page says why");
    }
    let odd = editor
        .get(app.url("/admin/posts/new?kind=weird"))
        .send()
        .await
        .unwrap();
    assert_eq!(odd.status(), StatusCode::BAD_REQUEST);

    // The importer names the item and the value.
    let kind = import_says(&app, "kind", json!("weird"));
    assert!(kind.contains("kind 'weird' is not post or page"), "{kind}");
    let status = import_says(&app, "status", json!("gone"));
    assert!(
        status.contains("status 'gone' is not draft, scheduled or published"),
        "{status}"
    );
    assert_eq!(post_count(&app), before, "nothing was saved");
}
