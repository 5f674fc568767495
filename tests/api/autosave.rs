//! Autosave: the editor's script keeps a working copy on the server that the editor brings
//! back, never a revision and never what readers see; a new post's first autosave makes its
//! draft; stale, foreign and signed-out autosaves are refused and keep nothing.

use quire::domain::users::Role;
use reqwest::StatusCode;

use crate::editor::{editor_fields, post, with, write};
use crate::helpers::{TestApp, browser, location, parse_html, select, spawn_app, text_of};

async fn autosave(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    fields: &[(String, String)],
) -> (StatusCode, serde_json::Value) {
    let response = post(app, client, &format!("{path}/autosave"), fields).await;
    let status = response.status();
    let body = response.text().await.unwrap();
    let json = serde_json::from_str(&body).unwrap_or(serde_json::Value::Null);
    (status, json)
}

fn value<'a>(fields: &'a [(String, String)], name: &str) -> &'a str {
    &fields.iter().find(|(n, _)| n == name).unwrap().1
}

async fn revision_count(app: &TestApp, client: &reqwest::Client, path: &str) -> usize {
    let body = client
        .get(app.url(&format!("{path}/revisions")))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    select(&parse_html(&body), "table.table tbody tr").len()
}

#[tokio::test]
async fn an_autosave_comes_back_in_the_editor_and_reaches_no_reader_until_saved() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let path = write(&app, &editor, "Live words", "live-words", "publish").await;
    let revisions = revision_count(&app, &editor, &path).await;
    let fields = editor_fields(&app, &editor, &path).await;

    let typed = with(
        fields.clone(),
        &[("markdown", "Half a thought, autosaved.")],
    );
    let (status, answer) = autosave(&app, &editor, &path, &typed).await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["saved"], true);
    // Again, as the script does while writing goes on: still one working copy.
    let typed = with(typed, &[("markdown", "A whole thought, autosaved.")]);
    assert_eq!(
        autosave(&app, &editor, &path, &typed).await.0,
        StatusCode::OK
    );

    // Readers see the saved text; no revision was written.
    let public = app.get("/live-words/").await.text().await.unwrap();
    assert!(
        !public.contains("autosaved"),
        "the working copy is not published"
    );
    assert!(public.contains("Some <em>words</em>"));
    assert_eq!(revision_count(&app, &editor, &path).await, revisions);

    // The editor brings the working copy back and says so.
    let doc = app.page_as(&editor, &path).await;
    assert_eq!(text_of(&doc, "#f-markdown"), "A whole thought, autosaved.");
    assert!(text_of(&doc, ".notice--restored").contains("never saved"));
    assert!(
        select(&doc, "#theirs").is_empty(),
        "no conflict: nobody saved since"
    );

    // Discarding shows the saved post again.
    let csrf = value(&fields, "csrf_token").to_string();
    let discard = [("csrf_token".to_string(), csrf)];
    let response = post(
        &app,
        &editor,
        &format!("{path}/working-copy/discard"),
        &discard,
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), path);
    let restored = editor_fields(&app, &editor, &path).await;
    assert_eq!(value(&restored, "markdown"), "Some *words*.");

    // Autosaved again, then saved: the text is live and the working copy is gone.
    assert_eq!(
        autosave(&app, &editor, &path, &typed).await.0,
        StatusCode::OK
    );
    let restored = editor_fields(&app, &editor, &path).await;
    let saved = post(
        &app,
        &editor,
        &path,
        &with(restored, &[("action", "publish")]),
    )
    .await;
    assert_eq!(saved.status(), StatusCode::SEE_OTHER);
    let public = app.get("/live-words/").await.text().await.unwrap();
    assert!(public.contains("A whole thought, autosaved."));
    assert_eq!(revision_count(&app, &editor, &path).await, revisions + 1);
    let body = editor
        .get(app.url(&path))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(select(&parse_html(&body), ".notice--restored").is_empty());
}

#[tokio::test]
async fn an_autosave_never_overwrites_what_someone_saved_meanwhile() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let path = write(&app, &editor, "Shared", "shared", "save").await;
    let mine = editor_fields(&app, &editor, &path).await;

    // My working copy, then someone saves (here: me, from another tab).
    let typed = with(mine.clone(), &[("markdown", "My autosaved words.")]);
    assert_eq!(
        autosave(&app, &editor, &path, &typed).await.0,
        StatusCode::OK
    );
    let theirs = with(
        mine.clone(),
        &[("markdown", "Their words."), ("action", "save")],
    );
    assert_eq!(
        post(&app, &editor, &path, &theirs).await.status(),
        StatusCode::SEE_OTHER
    );

    // The old form's next autosave is refused as a conflict, and keeps nothing.
    let (status, answer) = autosave(&app, &editor, &path, &typed).await;
    assert_eq!(status, StatusCode::CONFLICT);
    assert_eq!(answer["conflict"], true);
    assert!(answer["error"].as_str().unwrap().contains("Someone saved"));

    // A working copy made before their save comes back beside their text, not over it.
    let other = app.signed_in_as("other@example.com", Role::Editor).await;
    let fields = editor_fields(&app, &other, &path).await;
    let typed = with(fields, &[("markdown", "Other autosaved words.")]);
    assert_eq!(
        autosave(&app, &other, &path, &typed).await.0,
        StatusCode::OK
    );
    let latest = editor_fields(&app, &editor, &path).await;
    let again = with(
        latest,
        &[("markdown", "Saved over it."), ("action", "save")],
    );
    assert_eq!(
        post(&app, &editor, &path, &again).await.status(),
        StatusCode::SEE_OTHER
    );
    let doc = app.page_as(&other, &path).await;
    assert_eq!(text_of(&doc, "#theirs"), "Saved over it.");
    assert_eq!(text_of(&doc, "#f-markdown"), "Other autosaved words.");

    // Both ways out of the conflict throw the working copy away (a plain link would open
    // the editor, which would bring the copy back again).
    let discard = format!("{path}/working-copy/discard");
    for place in [".conflict", ".notice--restored"] {
        let css = format!("{place} form[method=post][action=\"{discard}\"]");
        assert_eq!(select(&doc, &css).len(), 1, "{css}");
    }
    let token = crate::helpers::attr_of(&doc, ".conflict input[name=csrf_token]", "value");
    let response = post(&app, &other, &discard, &[("csrf_token".into(), token)]).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let doc = app.page_as(&other, &path).await;
    assert!(select(&doc, ".conflict, .notice--restored").is_empty());
    assert_eq!(text_of(&doc, "#f-markdown"), "Saved over it.");
}

#[tokio::test]
async fn a_new_posts_first_autosave_creates_its_draft() {
    let app = spawn_app().await;
    let author = app.signed_in_as("au@example.com", Role::Author).await;
    let fields = editor_fields(&app, &author, "/admin/posts/new").await;

    // Without a title there is nothing to create yet: the script says why.
    let untitled = with(fields.clone(), &[("markdown", "Words first.")]);
    let (status, answer) = autosave(&app, &author, "/admin/posts", &untitled).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        answer["error"].as_str().unwrap().contains("title"),
        "{answer}"
    );
    let list = author
        .get(app.url("/admin/posts"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!list.contains("Words first"));

    let titled = with(untitled, &[("title", "Autosaved draft")]);
    let (status, answer) = autosave(&app, &author, "/admin/posts", &titled).await;
    assert_eq!(status, StatusCode::CREATED, "{answer}");
    let edit = answer["edit_url"].as_str().unwrap().to_string();
    assert_eq!(answer["autosave_url"], format!("{edit}/autosave"));
    let saved = editor_fields(&app, &author, &edit).await;
    assert_eq!(value(&saved, "title"), "Autosaved draft");
    assert_eq!(value(&saved, "version"), answer["version"].to_string());
    // A draft: nobody else reads it.
    assert_eq!(
        app.get("/autosaved-draft/").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn autosaves_that_may_not_happen_keep_nothing() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let path = write(&app, &editor, "Guarded", "guarded", "save").await;
    let fields = editor_fields(&app, &editor, &path).await;
    let typed = with(fields.clone(), &[("markdown", "Forged words.")]);

    // Someone else's post, for an author.
    let author = app.signed_in_as("au@example.com", Role::Author).await;
    let token = app.csrf_token(&author, "/admin/posts/new").await;
    let forged = with(typed.clone(), &[("csrf_token", &token)]);
    let (status, answer) = autosave(&app, &author, &path, &forged).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{answer}");
    assert!(answer["error"].is_string());

    // Signed out: sent to sign in (the script says so and keeps the text in the page).
    let stranger = browser();
    let response = post(&app, &stranger, &format!("{path}/autosave"), &typed).await;
    assert!(
        response.status().is_redirection() || response.status() == StatusCode::FORBIDDEN,
        "{}",
        response.status()
    );

    // A form without its token, a post that does not exist, a version that is no number.
    let tokenless: Vec<_> = typed
        .iter()
        .filter(|(n, _)| n != "csrf_token")
        .cloned()
        .collect();
    assert_eq!(
        autosave(&app, &editor, &path, &tokenless).await.0,
        StatusCode::FORBIDDEN
    );
    let (status, answer) = autosave(&app, &editor, "/admin/posts/999999", &typed).await;
    assert_eq!(status, StatusCode::GONE);
    assert!(answer["error"].as_str().unwrap().contains("deleted"));
    let garbled = with(typed.clone(), &[("version", "many")]);
    assert_eq!(
        autosave(&app, &editor, &path, &garbled).await.0,
        StatusCode::BAD_REQUEST
    );

    // None of it left a working copy behind.
    let doc = app.page_as(&editor, &path).await;
    assert!(select(&doc, ".notice--restored").is_empty());
    assert_eq!(text_of(&doc, "#f-markdown"), "Some *words*.");
}

#[tokio::test]
async fn the_preview_tab_gets_the_text_rendered_as_readers_will_see_it() {
    let app = spawn_app().await;
    let author = app.signed_in_as("au@example.com", Role::Author).await;
    let token = app.csrf_token(&author, "/admin/posts/new").await;
    let send = |markdown: String, token: String| {
        let author = author.clone();
        let url = app.url("/admin/posts/preview-text");
        async move {
            let response = author
                .post(url)
                .form(&[("csrf_token", token), ("markdown", markdown)])
                .send()
                .await
                .unwrap();
            let status = response.status();
            let json: serde_json::Value = response.json().await.unwrap_or_default();
            (status, json)
        }
    };
    let (status, answer) = send(
        "Some *words* and <script>alert(1)</script> a [link](https://example.com).".into(),
        token.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    let html = answer["html"].as_str().unwrap();
    assert!(html.contains("<em>words</em>"), "{html}");
    assert!(
        !html.contains("<script"),
        "sanitised as the published page is: {html}"
    );
    assert!(answer["words"].as_u64().unwrap() >= 5, "{answer}");

    // Text the renderer refuses says why, as a save would.
    let (status, answer) = send(">".repeat(200) + " deep", token.clone()).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(answer["error"].as_str().unwrap().contains("levels deep"));

    // Without the form's token, or for a member, nothing is rendered.
    let (status, _) = send("x".into(), "forged".into()).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    let member = app.signed_in_as("member@example.com", Role::Member).await;
    let token = app.csrf_token(&member, "/account/").await;
    let response = member
        .post(app.url("/admin/posts/preview-text"))
        .form(&[("csrf_token", token.as_str()), ("markdown", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}
