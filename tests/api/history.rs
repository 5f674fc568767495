//! Nothing is lost: revisions with diffs and restore, permanent deletion answering 410, and
//! the audit log recording who did what, readable by owners and admins only.

use quire::domain::users::Role;
use reqwest::StatusCode;

use crate::editor::{editor_fields, post, with, write};
use crate::helpers::{TestApp, location, parse_html, select, spawn_app, text_of};

async fn html(app: &TestApp, client: &reqwest::Client, path: &str) -> scraper::Html {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    parse_html(&response.text().await.unwrap())
}

/// Saves the post at `path` with a new text.
async fn save_text(app: &TestApp, client: &reqwest::Client, path: &str, markdown: &str) {
    let fields = editor_fields(app, client, path).await;
    let response = post(
        app,
        client,
        path,
        &with(fields, &[("markdown", markdown), ("action", "save")]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn every_save_keeps_a_revision_that_can_be_compared_and_restored() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let path = write(&app, &editor, "Field notes", "field-notes", "publish").await;
    save_text(&app, &editor, &path, "First line.\n\nA second paragraph.").await;
    // Saving the same text again adds no revision.
    save_text(&app, &editor, &path, "First line.\n\nA second paragraph.").await;
    save_text(
        &app,
        &editor,
        &path,
        "First line.\n\nA rewritten paragraph.",
    )
    .await;

    let list = html(&app, &editor, &format!("{path}/revisions")).await;
    let rows = select(&list, "tbody tr");
    assert_eq!(rows.len(), 3, "three distinct texts were saved");
    assert!(text_of(&list, "tbody tr:first-child").contains("Current text"));
    assert!(text_of(&list, "tbody").contains("ed"), "who saved is shown");

    // The middle revision: its diff against the current text, then restore it.
    let links: Vec<String> = select(&list, "tbody a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(links.len(), 2);
    let revision = html(&app, &editor, &links[0]).await;
    // Side by side: the current line beside the revision's, the changed word marked.
    let row = select(&revision, ".diff-table tbody tr")
        .into_iter()
        .find(|tr| {
            tr.select(&scraper::Selector::parse("td.diff__removed").unwrap())
                .next()
                .is_some()
        })
        .expect("a changed row");
    let cells: Vec<String> = row
        .select(&scraper::Selector::parse("td").unwrap())
        .map(|td| td.text().collect::<String>())
        .collect();
    assert_eq!(
        cells,
        vec![
            "−Removed: A rewritten paragraph.",
            "+Added: A second paragraph."
        ]
    );
    assert_eq!(text_of(&revision, "td.diff__removed del"), "rewritten");
    assert_eq!(text_of(&revision, "td.diff__added ins"), "second");

    let action = select(&revision, "form.form")[0]
        .value()
        .attr("action")
        .unwrap()
        .to_string();
    let token = app.csrf_token(&editor, &links[0]).await;
    let version = crate::helpers::attr_of(&revision, "input[name=version]", "value");
    let response = editor
        .post(app.url(&action))
        .form(&[
            ("csrf_token", token.as_str()),
            ("version", version.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), path);
    let public = app.page("/field-notes/", 200).await;
    assert!(text_of(&public, "main").contains("A second paragraph."));
    assert!(!text_of(&public, "main").contains("rewritten"));

    // The restore is itself a revision: the text it replaced is still there to go back to.
    let list = html(&app, &editor, &format!("{path}/revisions")).await;
    assert_eq!(select(&list, "tbody tr").len(), 4);

    // A restore from a page opened before someone else saved changes nothing.
    save_text(&app, &editor, &path, "Someone else's words.").await;
    let response = editor
        .post(app.url(&action))
        .form(&[
            ("csrf_token", token.as_str()),
            ("version", version.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), links[0], "back to compare again");
    let public = app.page("/field-notes/", 200).await;
    assert!(text_of(&public, "main").contains("Someone else's words."));
}

#[tokio::test]
async fn revisions_of_someone_elses_post_are_closed_to_an_author() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let author = app.signed_in_as("au@example.com", Role::Author).await;
    let path = write(&app, &editor, "Editor's post", "editors-post", "save").await;
    let response = author
        .get(app.url(&format!("{path}/revisions")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let response = editor
        .get(app.url(&format!("{path}/revisions/999999")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "no such revision");
}

#[tokio::test]
async fn deleting_for_good_leaves_a_410_and_needs_the_trash_first() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let path = write(&app, &editor, "Short lived", "short-lived", "publish").await;
    let token = app.csrf_token(&editor, &path).await;

    // Not in the trash yet: refused, and nothing changes.
    let response = editor
        .post(app.url(&format!("{path}/delete")))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    app.page("/short-lived/", 200).await;

    editor
        .post(app.url(&format!("{path}/trash")))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    // The confirmation page says what will happen; only its POST deletes.
    let confirm = html(&app, &editor, &format!("{path}/delete")).await;
    assert!(text_of(&confirm, "main").contains("/short-lived/"));
    let response = app
        .submit(
            &editor,
            &format!("{path}/delete"),
            &format!("{path}/delete"),
            &[],
        )
        .await;
    assert_eq!(location(&response), "/admin/posts?status=trash");
    assert_eq!(app.get("/short-lived/").await.status(), StatusCode::GONE);
    let response = editor.get(app.url(&path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND, "the post is gone");

    // The address can be used again by new content.
    write(&app, &editor, "Short lived", "short-lived", "publish").await;
    app.page("/short-lived/", 200).await;
}

#[tokio::test]
async fn the_audit_log_records_admin_actions_for_owners_and_admins() {
    let app = spawn_app().await;
    let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let path = write(&app, &editor, "Logged & listed", "logged", "save").await;
    let fields = editor_fields(&app, &editor, &path).await;
    post(
        &app,
        &editor,
        &path,
        &with(fields, &[("action", "publish")]),
    )
    .await;

    let log = html(&app, &admin, "/admin/audit").await;
    let rows: Vec<String> = select(&log, "tbody tr")
        .iter()
        .map(|row| row.text().collect::<String>())
        .collect();
    // Newest first; the oldest is the welcome post the first start published.
    assert_eq!(rows.len(), 3, "{rows:?}");
    assert!(rows[2].contains("Command line") && rows[2].contains("Welcome to Quire"));
    assert!(rows[0].contains("published post") && rows[0].contains("Logged & listed"));
    assert!(rows[1].contains("created post") && rows[1].contains("ed"));
    let link = select(&log, "tbody tr a")[0].value().attr("href").unwrap();
    assert_eq!(link, path);

    // Filters: by kind of object, and by person.
    let tags_only = html(&app, &admin, "/admin/audit?object=tag").await;
    assert!(select(&tags_only, "tbody tr").is_empty());
    let options = select(&log, "#audit-actor option");
    let editor_id = options
        .iter()
        .find(|o| o.text().collect::<String>() == "ed")
        .and_then(|o| o.value().attr("value"))
        .unwrap();
    let by_editor = html(&app, &admin, &format!("/admin/audit?actor={editor_id}")).await;
    assert_eq!(select(&by_editor, "tbody tr").len(), 2);

    // Bad filters are explained, not a server error.
    for bad in [
        "/admin/audit?actor=abc",
        "/admin/audit?object=%3Cscript%3E",
        "/admin/audit?before=-1",
    ] {
        let response = admin.get(app.url(bad)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }

    // Editors do not read the log.
    let response = editor.get(app.url("/admin/audit")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn saving_a_post_deleted_meanwhile_keeps_the_text_for_a_new_post() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let path = write(&app, &editor, "Doomed", "doomed", "save").await;
    let fields = editor_fields(&app, &editor, &path).await;
    // Someone else trashes and deletes it while the form is open.
    let token = app.csrf_token(&editor, &path).await;
    editor
        .post(app.url(&format!("{path}/trash")))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    let delete = format!("{path}/delete");
    app.submit(&editor, &delete, &delete, &[]).await;

    let response = post(
        &app,
        &editor,
        &path,
        &with(
            fields,
            &[("markdown", "Words worth keeping."), ("action", "save")],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::GONE);
    let doc = parse_html(&response.text().await.unwrap());
    assert!(text_of(&doc, "[role=alert]").contains("deleted for good"));
    assert_eq!(text_of(&doc, "#f-markdown"), "Words worth keeping.");
    assert_eq!(
        crate::helpers::attr_of(&doc, "form.form", "action"),
        "/admin/posts/new"
    );
}

#[tokio::test]
async fn a_redirect_for_a_gone_address_is_followed() {
    let app = spawn_app().await;
    let post = app.seed(crate::helpers::SeedPost::published("old-news", "Old news"));
    app.seed(crate::helpers::SeedPost::published("new-news", "New news"));
    app.trash(post.id);
    assert_eq!(app.get("/old-news/").await.status(), StatusCode::GONE);
    app.redirect("/old-news/", "/new-news/", 301);
    crate::helpers::assert_redirect(&app, "/old-news/", "/new-news/").await;
}

/// The first edit of a post that was never edited here (a demo post, an imported one)
/// keeps the text it replaces.
#[tokio::test]
async fn the_first_edit_of_a_demo_or_imported_post_keeps_its_original_text() {
    let app = spawn_app().await;
    app.db
        .run_blocking(|conn| quire::content::fill_demo(conn, quire::clock::now()))
        .unwrap();
    let wxr = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data/wordpress-theme-unit-test.xml");
    quire::transfer::import(
        &app.db,
        &wxr,
        quire::transfer::Options::default(),
        quire::clock::now(),
        &mut |_| {},
    )
    .unwrap();
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    for slug in [
        "editing-is-a-conversation",
        "markup-html-tags-and-formatting",
    ] {
        let id = app
            .db
            .run_blocking(move |conn| quire::domain::posts::by_slug_any(conn, slug))
            .unwrap()
            .unwrap();
        let path = format!("/admin/posts/{id}");
        // The text as the editor opens it, before anyone changed it.
        let original = editor_fields(&app, &editor, &path)
            .await
            .into_iter()
            .find(|(name, _)| name == "markdown")
            .unwrap()
            .1;
        assert!(!original.trim().is_empty());
        save_text(&app, &editor, &path, "Entirely new words.").await;
        let list = html(&app, &editor, &format!("{path}/revisions")).await;
        assert_eq!(select(&list, "tbody tr").len(), 2, "{slug}");
        let older = select(&list, "tbody a")[0]
            .value()
            .attr("href")
            .unwrap()
            .to_string();
        let revision = html(&app, &editor, &older).await;
        assert_eq!(
            text_of(&revision, "details pre"),
            original.trim(),
            "{slug}: the text as it was"
        );
    }
}
