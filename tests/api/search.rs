//! Site search: live posts and pages only, every word as a prefix, best match first, safe
//! with any input, and offered from the 404 page.

use reqwest::StatusCode;

use crate::helpers::{SeedPost, TestApp, attr_of, select, spawn_app, text_of};

async fn results(app: &TestApp, query: &str) -> Vec<String> {
    let path = format!(
        "/search?{}",
        url::form_urlencoded::Serializer::new(String::new())
            .append_pair("q", query)
            .finish()
    );
    let doc = app.page(&path, 200).await;
    select(&doc, ".cards h2 a, .cards h3 a")
        .iter()
        .map(|a| a.text().collect::<String>().trim().to_string())
        .collect()
}

#[tokio::test]
async fn search_finds_live_posts_by_every_word_as_a_prefix() {
    let app = spawn_app().await;
    app.seed(
        SeedPost::published("harbours", "Harbours at dawn")
            .markdown("Boats and gulls over the water."),
    );
    app.seed(
        SeedPost::published("gulls", "Gulls").markdown("A short note about seabirds and boats."),
    );
    app.seed(
        SeedPost::published("secret", "Boats draft")
            .markdown("Boats.")
            .draft(),
    );
    app.seed(SeedPost::page("about", "About the café").markdown("We write about boats."));
    app.seed(
        SeedPost::published("soon", "Boats to come")
            .scheduled_at(crate::helpers::now() + chrono::Duration::days(3)),
    );

    let found = results(&app, "boats").await;
    assert_eq!(found.len(), 3, "{found:?}: no draft, no scheduled post");
    assert!(found.contains(&"About the café".to_string()), "pages too");
    assert_eq!(
        results(&app, "harb GULL").await,
        ["Harbours at dawn"],
        "every word, as a prefix"
    );
    assert_eq!(results(&app, "café").await, ["About the café"]);
    assert_eq!(results(&app, "caf").await, ["About the café"]);
    assert!(results(&app, "zeppelin").await.is_empty());

    // Query syntax and markup are only words here.
    for odd in [
        r#"" OR * NEAR("#,
        "</script><b>",
        "-boats",
        "'; DROP TABLE posts; --",
        "",
    ] {
        let path = format!(
            "/search?{}",
            url::form_urlencoded::Serializer::new(String::new())
                .append_pair("q", odd)
                .finish()
        );
        let response = app.get(&path).await;
        assert_eq!(response.status(), StatusCode::OK, "{odd}");
        assert_eq!(response.headers()["x-robots-tag"], "noindex");
    }
    let doc = app.page("/search?q=%3C%2Fscript%3E%3Cb%3E", 200).await;
    assert_eq!(attr_of(&doc, "#search-q", "value"), "</script><b>");
    assert!(select(&doc, "main b").is_empty(), "escaped");
    assert_eq!(attr_of(&doc, "meta[name=robots]", "content"), "noindex");
    assert_eq!(
        app.get("/search?q=boats&page=9").await.status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        app.get("/search?q=boats&page=x").await.status(),
        StatusCode::NOT_FOUND
    );

    // A post in the trash is not found.
    let gulls = app
        .db
        .run_blocking(|conn| {
            quire::domain::posts::find_by_slug(conn, "gulls", crate::helpers::now())
        })
        .unwrap();
    let quire::domain::posts::SlugLookup::Visible(gulls) = gulls else {
        panic!("gulls is live")
    };
    app.trash(gulls.id);
    assert_eq!(results(&app, "gulls").await, ["Harbours at dawn"]);
}

#[tokio::test]
async fn the_404_page_offers_search_and_results_page_through() {
    let app = spawn_app().await;
    for n in 0..12 {
        app.seed(
            SeedPost::published(&format!("note-{n}"), &format!("Field note {n}")).hours_ago(n + 1),
        );
    }
    let missing = app.page("/no-such-page/", 404).await;
    assert_eq!(attr_of(&missing, "form[role=search]", "action"), "/search");
    assert!(!select(&missing, "#search-q").is_empty());

    assert_eq!(results(&app, "field").await.len(), 10, "ten to a page");
    let first = app.page("/search?q=field", 200).await;
    let next = attr_of(&first, ".pagination__older", "href");
    assert_eq!(next, "/search?q=field&page=2");
    let second = app.page(&next, 200).await;
    assert!(text_of(&second, ".pagination").contains("Page 2"));
    assert_eq!(select(&second, ".cards h2 a, .cards h3 a").len(), 2);
}

#[tokio::test]
async fn titles_rank_first_and_the_index_follows_edits_and_deletions() {
    let app = spawn_app().await;
    let editor = app
        .signed_in_as("ed@example.com", quire::domain::users::Role::Editor)
        .await;
    let ada = app.author("Ada");
    // Newest first would put the body match first: the title has to win on its own.
    let titled = app.seed(
        SeedPost::published("lantern", "The lantern")
            .markdown("A short note.")
            .authors(&[&ada])
            .hours_ago(10),
    );
    let mentioned = app.seed(
        SeedPost::published("evening", "An evening walk")
            .markdown("We carried a lantern, then another lantern, and a third lantern.")
            .authors(&[&ada])
            .hours_ago(1),
    );
    assert_eq!(
        results(&app, "lantern").await,
        ["The lantern", "An evening walk"],
        "a title match ranks above mentions in the text"
    );

    // Edits are searched at once: the new word is found, the old one is gone.
    let edit = |id: i64, changes: Vec<(&'static str, &'static str)>| {
        let (app, editor) = (&app, &editor);
        async move {
            let path = format!("/admin/posts/{id}");
            let fields = crate::editor::editor_fields(app, editor, &path).await;
            let mut changes = changes;
            changes.push(("action", "save"));
            let fields = crate::editor::with(fields, &changes);
            let saved = crate::editor::post(app, editor, &path, &fields).await;
            assert_eq!(saved.status(), StatusCode::SEE_OTHER);
        }
    };
    edit(titled.id, vec![("title", "The brass lamp")]).await;
    assert_eq!(results(&app, "brass").await, ["The brass lamp"]);
    assert_eq!(results(&app, "lantern").await, ["An evening walk"]);
    edit(mentioned.id, vec![("markdown", "We carried a torch.")]).await;
    assert!(results(&app, "lantern").await.is_empty());
    assert_eq!(results(&app, "torch").await, ["An evening walk"]);

    // Deleted for good: never found again.
    app.trash(mentioned.id);
    app.db
        .run_blocking(move |conn| {
            quire::domain::posts::write::delete_forever(
                conn,
                &quire::domain::write::Actor::command_line(),
                mentioned.id,
                crate::helpers::now(),
            )
        })
        .unwrap();
    assert!(results(&app, "torch").await.is_empty());
}
