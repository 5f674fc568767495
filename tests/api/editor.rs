//! Writing in the admin: the editor saves, previews, publishes and schedules; slugs move
//! with a redirect; stale forms meet a conflict page; and every role rule holds on the
//! server even when the form is forged.

use quire::domain::users::Role;
use reqwest::StatusCode;

use std::sync::atomic::Ordering;

use crate::helpers::{
    SeedPost, TestApp, attr_of, location, parse_html, select, spawn_app, text_of,
};

/// The editor form's fields at `path` (hidden ones included, unchecked boxes and radio
/// buttons and file inputs left out).
pub async fn editor_fields(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
) -> Vec<(String, String)> {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    let doc = parse_html(&response.text().await.unwrap());
    let mut fields = Vec::new();
    let selected = scraper::Selector::parse("option[selected]").unwrap();
    for input in select(
        &doc,
        "form.form input[name], form.form textarea[name], form.form select[name]",
    ) {
        let element = input.value();
        let name = element.attr("name").unwrap().to_string();
        let value = if element.name() == "textarea" {
            input.text().collect::<String>()
        } else if element.name() == "select" {
            input
                .select(&selected)
                .next()
                .and_then(|o| o.value().attr("value"))
                .unwrap_or("")
                .to_string()
        } else if element.attr("type") == Some("checkbox") {
            if element.attr("checked").is_none() {
                continue;
            }
            "on".to_string()
        } else if element.attr("type") == Some("radio") {
            if element.attr("checked").is_none() {
                continue;
            }
            element.attr("value").unwrap_or("").to_string()
        } else if element.attr("type") == Some("file") {
            continue;
        } else {
            element.attr("value").unwrap_or("").to_string()
        };
        fields.push((name, value));
    }
    fields
}

pub fn with(mut fields: Vec<(String, String)>, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    for (name, value) in changes {
        fields.retain(|(n, _)| n != name);
        fields.push((name.to_string(), value.to_string()));
    }
    fields
}

pub async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    fields: &[(String, String)],
) -> reqwest::Response {
    client
        .post(app.url(path))
        .form(fields)
        .send()
        .await
        .unwrap()
}

/// Creates a post through the editor; returns its editor path.
pub async fn write(
    app: &TestApp,
    client: &reqwest::Client,
    title: &str,
    slug: &str,
    action: &str,
) -> String {
    write_tagged(app, client, (title, slug, ""), action).await
}

/// Creates a post with `tags` (comma-separated) through the editor; returns its editor
/// path. New tag names are created: only editors and above may.
pub async fn write_tagged(
    app: &TestApp,
    client: &reqwest::Client,
    (title, slug, tags): (&str, &str, &str),
    action: &str,
) -> String {
    let fields = editor_fields(app, client, "/admin/posts/new").await;
    let fields = with(
        fields,
        &[
            ("title", title),
            ("slug", slug),
            ("markdown", "Some *words*."),
            ("tags", tags),
            ("action", action),
        ],
    );
    let response = post(app, client, "/admin/posts/new", &fields).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER, "{title}");
    location(&response)
}

#[tokio::test]
async fn an_editor_writes_previews_publishes_and_renames_a_post() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;

    // Preview renders the page as readers will see it, without saving.
    let fields = editor_fields(&app, &editor, "/admin/posts/new").await;
    let preview = post(
        &app,
        &editor,
        "/admin/posts/new",
        &with(
            fields,
            &[
                ("title", "Field notes"),
                ("markdown", "# Heading\n\nBody text."),
                ("action", "preview"),
            ],
        ),
    )
    .await;
    assert_eq!(preview.status(), StatusCode::OK);
    assert_eq!(preview.headers()["x-robots-tag"], "noindex");
    let doc = parse_html(&preview.text().await.unwrap());
    assert_eq!(text_of(&doc, "article h1, main h1"), "Field notes");
    assert_eq!(
        app.get("/field-notes/").await.status(),
        StatusCode::NOT_FOUND,
        "nothing saved"
    );

    let path = write_tagged(&app, &editor, ("Field notes", "", "Craft, Notes"), "save").await;
    assert!(path.starts_with("/admin/posts/"), "{path}");
    assert_eq!(
        app.get("/field-notes/").await.status(),
        StatusCode::NOT_FOUND,
        "a draft is private"
    );

    let fields = editor_fields(&app, &editor, &path).await;
    assert_eq!(
        fields.iter().find(|(n, _)| n == "slug").unwrap().1,
        "field-notes",
        "slug from the title"
    );
    let response = post(
        &app,
        &editor,
        &path,
        &with(fields, &[("action", "publish")]),
    )
    .await;
    assert_eq!(location(&response), path);
    let doc = app.page("/field-notes/", 200).await;
    assert!(text_of(&doc, "main").contains("Some words."));
    assert!(
        !select(&doc, "a[href='/tag/craft/']").is_empty(),
        "tags were created and linked"
    );

    // A new slug for a live post: the old address follows it.
    let fields = editor_fields(&app, &editor, &path).await;
    let response = post(
        &app,
        &editor,
        &path,
        &with(
            fields,
            &[("slug", "notes-from-the-field"), ("action", "save")],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    crate::helpers::assert_redirect(&app, "/field-notes/", "/notes-from-the-field/").await;
    app.page("/notes-from-the-field/", 200).await;
}

#[tokio::test]
async fn a_future_date_schedules_and_unpublish_takes_it_down() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let path = write(&app, &editor, "Later", "later", "save").await;
    let fields = editor_fields(&app, &editor, &path).await;
    let response = post(
        &app,
        &editor,
        &path,
        &with(
            fields,
            &[("publish_at", "2999-01-01T09:00"), ("action", "publish")],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        app.get("/later/").await.status(),
        StatusCode::NOT_FOUND,
        "scheduled, not live"
    );
    let list = parse_html(
        &editor
            .get(app.url("/admin/posts?status=scheduled"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(text_of(&list, "table").contains("Later"));

    let fields = editor_fields(&app, &editor, &path).await;
    post(
        &app,
        &editor,
        &path,
        &with(fields, &[("publish_at", ""), ("action", "publish")]),
    )
    .await;
    assert_eq!(app.get("/later/").await.status(), StatusCode::OK);
    let fields = editor_fields(&app, &editor, &path).await;
    post(
        &app,
        &editor,
        &path,
        &with(fields, &[("action", "unpublish")]),
    )
    .await;
    assert_eq!(app.get("/later/").await.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn a_contributor_cannot_publish_even_with_a_forged_form() {
    let app = spawn_app().await;
    let contributor = app.signed_in_as("co@example.com", Role::Contributor).await;
    let page = parse_html(
        &contributor
            .get(app.url("/admin/posts/new"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(
        select(&page, "button[value=publish]").is_empty(),
        "no publish button"
    );

    // Forged: the publish action on a new post.
    let fields = editor_fields(&app, &contributor, "/admin/posts/new").await;
    let forged = post(
        &app,
        &contributor,
        "/admin/posts/new",
        &with(fields, &[("title", "Sneaky"), ("action", "publish")]),
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(app.get("/sneaky/").await.status(), StatusCode::NOT_FOUND);

    // Forged: publishing their own saved draft.
    let path = write(&app, &contributor, "My draft", "my-draft", "save").await;
    let fields = editor_fields(&app, &contributor, &path).await;
    let forged = post(
        &app,
        &contributor,
        &path,
        &with(fields.clone(), &[("action", "publish")]),
    )
    .await;
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    // Contributors do not date their drafts: the editor who publishes does.
    let dated = post(
        &app,
        &contributor,
        &path,
        &with(
            fields,
            &[("publish_at", "2000-01-01T00:00"), ("action", "save")],
        ),
    )
    .await;
    assert_eq!(dated.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let doc = parse_html(&dated.text().await.unwrap());
    assert!(text_of(&doc, "#publish_at-error").contains("Contributors do not set"));
    assert_eq!(
        attr_of(&doc, "#f-publish_at", "value"),
        "2000-01-01T00:00",
        "kept"
    );
    assert_eq!(
        app.get("/my-draft/").await.status(),
        StatusCode::NOT_FOUND,
        "still a draft"
    );

    // Once an editor publishes it, the contributor can no longer change it.
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let fields = editor_fields(&app, &editor, &path).await;
    post(
        &app,
        &editor,
        &path,
        &with(fields, &[("action", "publish")]),
    )
    .await;
    assert_eq!(
        contributor
            .get(app.url(&path))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::FORBIDDEN
    );
}

#[tokio::test]
async fn an_author_cannot_touch_someone_elses_post() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let path = write(&app, &editor, "Editor's piece", "editors-piece", "publish").await;
    let fields = editor_fields(&app, &editor, &path).await;

    let author = app.signed_in_as("au@example.com", Role::Author).await;
    assert_eq!(
        author.get(app.url(&path)).send().await.unwrap().status(),
        StatusCode::FORBIDDEN
    );
    let token = app.csrf_token(&author, "/account/").await;
    let forged = with(
        fields,
        &[
            ("title", "Defaced"),
            ("csrf_token", &token),
            ("action", "save"),
        ],
    );
    assert_eq!(
        post(&app, &author, &path, &forged).await.status(),
        StatusCode::FORBIDDEN
    );
    let trash = author
        .post(app.url(&format!("{path}/trash")))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(trash.status(), StatusCode::FORBIDDEN);
    let doc = app.page("/editors-piece/", 200).await;
    assert_eq!(text_of(&doc, "main h1"), "Editor's piece", "unchanged");

    // Their own post, they may publish.
    write(&app, &author, "Author's own", "authors-own", "publish").await;
    app.page("/authors-own/", 200).await;
}

#[tokio::test]
async fn a_stale_form_meets_a_conflict_page_that_keeps_the_unsaved_text() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let path = write(&app, &editor, "Shared", "shared", "save").await;
    let mine = editor_fields(&app, &editor, &path).await;
    let theirs = editor_fields(&app, &editor, &path).await;
    post(
        &app,
        &editor,
        &path,
        &with(
            theirs,
            &[("markdown", "Their version."), ("action", "save")],
        ),
    )
    .await;

    let response = post(
        &app,
        &editor,
        &path,
        &with(
            mine,
            &[("markdown", "My unsaved words."), ("action", "save")],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::CONFLICT);
    let doc = parse_html(&response.text().await.unwrap());
    assert_eq!(text_of(&doc, "#theirs"), "Their version.");
    assert_eq!(text_of(&doc, "#f-markdown"), "My unsaved words.");
    let version: i32 = attr_of(&doc, "input[name=version]", "value")
        .parse()
        .unwrap();

    // Nothing was overwritten; saving the merged text against the new version works.
    let fields = editor_fields(&app, &editor, &path).await;
    assert_eq!(
        fields.iter().find(|(n, _)| n == "markdown").unwrap().1,
        "Their version."
    );
    let merged = with(
        fields,
        &[
            ("markdown", "Their version. My unsaved words."),
            ("version", &version.to_string()),
            ("action", "save"),
        ],
    );
    assert_eq!(
        post(&app, &editor, &path, &merged).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn editor_input_errors_are_explained_and_nothing_is_written() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    write(&app, &editor, "Taken", "taken", "save").await;
    let before = app.db.run_blocking(quire::domain::posts::count).unwrap();
    let huge = "x".repeat(5 * 1024 * 1024);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (vec![("title", "   ")], "title"),
        (vec![("title", "Ok"), ("slug", "Not A Slug")], "slug"),
        (vec![("title", "Ok"), ("slug", "admin")], "slug"),
        (vec![("title", "Ok"), ("slug", "taken")], "slug"),
        (
            vec![("title", "Ok"), ("publish_at", "next tuesday")],
            "publish_at",
        ),
        (
            vec![("title", "Ok"), ("canonical_url", "javascript:alert(1)")],
            "canonical_url",
        ),
        (vec![("title", "Ok"), ("markdown", &huge)], "markdown"),
        (vec![("title", "Bad\u{202E}title")], "title"),
    ];
    for (changes, field) in cases {
        let fields = editor_fields(&app, &editor, "/admin/posts/new").await;
        let response = post(&app, &editor, "/admin/posts/new", &with(fields, &changes)).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}"
        );
        let doc = parse_html(&response.text().await.unwrap());
        assert!(
            !text_of(&doc, &format!("#{field}-error")).is_empty(),
            "{field}"
        );
        assert_eq!(
            attr_of(&doc, &format!("#f-{field}"), "aria-invalid"),
            "true",
            "{field}"
        );
    }
    let fields = editor_fields(&app, &editor, "/admin/posts/new").await;
    let odd = post(
        &app,
        &editor,
        "/admin/posts/new",
        &with(fields, &[("title", "Ok"), ("action", "explode")]),
    )
    .await;
    assert_eq!(odd.status(), StatusCode::BAD_REQUEST);
    assert_eq!(
        app.db.run_blocking(quire::domain::posts::count).unwrap(),
        before,
        "nothing was written"
    );
}

#[tokio::test]
async fn trashing_answers_gone_and_restoring_brings_it_back() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let path = write(&app, &editor, "Brief", "brief", "publish").await;
    let token = app.csrf_token(&editor, &path).await;
    let response = editor
        .post(app.url(&format!("{path}/trash")))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/admin/posts");
    assert_eq!(app.get("/brief/").await.status(), StatusCode::GONE);
    let trash = parse_html(
        &editor
            .get(app.url("/admin/posts?status=trash"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(text_of(&trash, "table").contains("Brief"));
    editor
        .post(app.url(&format!("{path}/restore")))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(app.get("/brief/").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn the_list_filters_by_status_and_title() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    write_tagged(&app, &editor, ("Alpha draft", "alpha", "Craft"), "save").await;
    write_tagged(
        &app,
        &editor,
        ("Beta 100% live", "beta", "Craft, Notes"),
        "publish",
    )
    .await;
    let titles = |body: String| {
        let doc = parse_html(&body);
        select(&doc, ".list-table__title > a:first-child")
            .iter()
            .map(|a| a.text().collect::<String>())
            .collect::<Vec<_>>()
    };
    let get = |path: &'static str| {
        let editor = editor.clone();
        let url = app.url(path);
        async move { editor.get(url).send().await.unwrap().text().await.unwrap() }
    };
    assert_eq!(
        titles(get("/admin/posts?status=drafts").await),
        ["Alpha draft"]
    );
    let published = titles(get("/admin/posts?status=published").await);
    assert!(
        published.contains(&"Beta 100% live".to_string())
            && !published.contains(&"Alpha draft".to_string())
    );
    assert_eq!(titles(get("/admin/posts?q=ALPHA").await), ["Alpha draft"]);
    assert_eq!(
        titles(get("/admin/posts?q=100%25").await),
        ["Beta 100% live"],
        "% is literal"
    );
    assert!(
        titles(get("/admin/posts?q=_").await).is_empty(),
        "_ is literal"
    );
    assert_eq!(
        editor
            .get(app.url("/admin/posts?page=0"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    assert_eq!(
        editor
            .get(app.url("/admin/posts?status=%3Cx%3E"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // By author and tag (both made through the editor), and in other orders.
    let other = app.author("Other Writer");
    let craft = app
        .db
        .run_blocking(|c| quire::domain::tags::by_slug(c, "craft"))
        .unwrap()
        .unwrap();
    let mine = app
        .db
        .run_blocking(|c| quire::domain::users::by_slug(c, "ed"))
        .unwrap()
        .unwrap();
    app.seed(crate::helpers::SeedPost::published("gamma", "Gamma elsewhere").authors(&[&other]));
    let by_me = titles(
        get_owned(
            &editor,
            app.url(&format!("/admin/posts?author={}", mine.id)),
        )
        .await,
    );
    assert_eq!(by_me.len(), 2, "{by_me:?}");
    assert!(!by_me.contains(&"Gamma elsewhere".to_string()));
    let tagged = titles(
        get_owned(
            &editor,
            app.url(&format!("/admin/posts?tag={}&sort=title", craft.id)),
        )
        .await,
    );
    assert_eq!(tagged, ["Alpha draft", "Beta 100% live"]);
    let by_date = titles(get("/admin/posts?sort=published").await);
    assert_eq!(
        by_date.last().map(String::as_str),
        Some("Alpha draft"),
        "drafts last"
    );
    assert_eq!(
        editor
            .get(app.url("/admin/posts?author=x"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::BAD_REQUEST
    );
}

async fn get_owned(client: &reqwest::Client, url: String) -> String {
    client.get(url).send().await.unwrap().text().await.unwrap()
}

#[tokio::test]
async fn an_edit_shows_on_the_very_next_request_despite_the_page_cache() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let path = write(&app, &editor, "First title", "story", "publish").await;
    for _ in 0..2 {
        let doc = app.page("/story/", 200).await;
        assert_eq!(text_of(&doc, "main h1"), "First title");
    }
    let fields = editor_fields(&app, &editor, &path).await;
    let response = post(
        &app,
        &editor,
        &path,
        &with(fields, &[("title", "Second title"), ("action", "save")]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let doc = app.page("/story/", 200).await;
    assert_eq!(
        text_of(&doc, "main h1"),
        "Second title",
        "not the cached page"
    );
    let home = app.page("/", 200).await;
    assert!(text_of(&home, "main").contains("Second title"));
}

#[tokio::test]
async fn editors_choose_and_order_the_authors_and_others_cannot() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let first = app.author("Ada First");
    let second = app.author("Bo Second");
    let path = write(&app, &editor, "Joint work", "joint-work", "publish").await;
    let fields = editor_fields(&app, &editor, &path).await;
    let (a, b) = (first.id.to_string(), second.id.to_string());
    let response = post(
        &app,
        &editor,
        &path,
        &with(
            fields.clone(),
            &[("author_1", &b), ("author_2", &a), ("author_3", "")],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let doc = app.page("/joint-work/", 200).await;
    let bylines: Vec<String> = select(&doc, "a[href^='/author/']")
        .iter()
        .map(|a| a.text().collect::<String>())
        .collect();
    assert_eq!(
        bylines[..2],
        ["Bo Second".to_string(), "Ada First".to_string()]
    );

    // Nobody, or someone who is not staff, is refused.
    let response = post(
        &app,
        &editor,
        &path,
        &with(fields.clone(), &[("author_1", ""), ("author_2", "")]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = post(
        &app,
        &editor,
        &path,
        &with(fields, &[("author_1", "999999")]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let doc = parse_html(&response.text().await.unwrap());
    assert!(text_of(&doc, "#author_1-error").contains("Choose the authors"));

    // An author sees no choosers, and a forged choice is refused.
    let author = app.signed_in_as("au@example.com", Role::Author).await;
    let own = write(&app, &author, "Mine", "mine", "save").await;
    let fields = editor_fields(&app, &author, &own).await;
    assert!(!fields.iter().any(|(n, _)| n == "author_1"));
    let response = post(&app, &author, &own, &with(fields, &[("author_1", &a)])).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

/// The "Edit" link on a public post, for whoever may change it and nobody else.
#[tokio::test]
async fn staff_who_may_edit_a_post_see_an_edit_link_on_it_and_nobody_else_does() {
    let app = spawn_app().await;
    let writer = app.signed_in_as("writer@example.com", Role::Author).await;
    let writer_user = app.user("writer@example.com");
    let post = app.seed(SeedPost::published("mine", "Mine").authors(&[&writer_user]));
    let page = app.seed(SeedPost::page("about", "About"));
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let other_author = app.signed_in_as("other@example.com", Role::Author).await;
    let contributor = app
        .signed_in_as("contrib@example.com", Role::Contributor)
        .await;
    let member = app.signed_in_as("member@example.com", Role::Member).await;

    let edit_links = |client: reqwest::Client, path: &'static str| {
        let app = &app;
        async move {
            let response = client.get(app.url(path)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            let doc = parse_html(&response.text().await.unwrap());
            select(&doc, ".post__edit a")
                .iter()
                .map(|a| {
                    format!(
                        "{} {}",
                        a.text().collect::<String>(),
                        a.value().attr("href").unwrap()
                    )
                })
                .collect::<Vec<_>>()
        }
    };
    let to_post = format!("Edit post /admin/posts/{}", post.id);
    assert_eq!(
        edit_links(editor.clone(), "/mine/").await,
        vec![to_post.clone()]
    );
    assert_eq!(edit_links(writer.clone(), "/mine/").await, vec![to_post]);
    assert_eq!(
        edit_links(editor.clone(), "/about/").await,
        vec![format!("Edit page /admin/posts/{}", page.id)]
    );
    // Another author, a contributor (published posts are past them) and a member: no link.
    assert!(edit_links(other_author, "/mine/").await.is_empty());
    assert!(edit_links(contributor, "/mine/").await.is_empty());
    assert!(edit_links(writer, "/about/").await.is_empty());
    assert!(edit_links(member, "/mine/").await.is_empty());
    // The link is followed to the editor.
    let editor_page = editor
        .get(app.url(&format!("/admin/posts/{}", post.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(editor_page.status(), StatusCode::OK);

    // Anonymous readers, before and after staff looked, get the cached page without it.
    let cache_hits = || {
        app.cache
            .as_ref()
            .unwrap()
            .stats
            .hits
            .load(Ordering::Relaxed)
    };
    let doc = app.page("/mine/", 200).await;
    assert!(select(&doc, ".post__edit").is_empty());
    let before = cache_hits();
    let doc = app.page("/mine/", 200).await;
    assert_eq!(cache_hits(), before + 1, "served from the page cache");
    assert!(select(&doc, ".post__edit").is_empty());
    assert_eq!(text_of(&doc, "h1"), "Mine");
}

/// A failed save lists each problem at the top, linked to its field; a saved live post
/// links to its page, and offers one button to update it.
#[tokio::test]
async fn the_editor_sums_up_problems_and_links_to_the_live_post() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;

    let fields = editor_fields(&app, &editor, "/admin/posts/new").await;
    let refused = post(
        &app,
        &editor,
        "/admin/posts/new",
        &with(
            fields,
            &[
                ("title", ""),
                ("slug", "Not a slug!"),
                ("canonical_url", "not a url"),
                ("action", "save"),
            ],
        ),
    )
    .await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let doc = parse_html(&refused.text().await.unwrap());
    let links: Vec<String> = select(&doc, ".error-summary li a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert!(links.len() >= 2, "{links:?}");
    for href in &links {
        // Each link leads to a field of the form, which says what is wrong with it.
        let id = href.trim_start_matches('#');
        assert_eq!(
            attr_of(&doc, &format!("#{id}"), "aria-invalid"),
            "true",
            "{href}"
        );
    }
    assert!(links.contains(&"#f-slug".to_string()), "{links:?}");
    assert_eq!(attr_of(&doc, ".error-summary", "role"), "alert");
    assert!(text_of(&doc, ".error-summary h2").ends_with("fields need attention"));

    // A draft: "Save draft" and "Publish or schedule", and no link to a page not out yet.
    let path = write(&app, &editor, "Out soon", "out-soon", "save").await;
    let page = parse_html(
        &editor
            .get(app.url(&path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    let buttons = |doc: &scraper::Html| -> Vec<String> {
        select(doc, "form.form .editor-actions button")
            .iter()
            .map(|b| b.text().collect::<String>())
            .collect()
    };
    assert_eq!(
        buttons(&page),
        vec!["Save draft", "Publish or schedule", "Preview page"]
    );
    assert!(select(&page, ".editor__links a[href='/out-soon/']").is_empty());

    // Published: the notice and the page link to the post; one button updates it.
    let fields = editor_fields(&app, &editor, &path).await;
    let published = post(
        &app,
        &editor,
        &path,
        &with(fields, &[("action", "publish")]),
    )
    .await;
    assert_eq!(published.status(), StatusCode::SEE_OTHER);
    let page = parse_html(
        &editor
            .get(app.url(&path))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(attr_of(&page, ".notice a", "href"), "/out-soon/");
    assert_eq!(text_of(&page, ".notice a"), "View post");
    assert_eq!(attr_of(&page, ".editor__links a", "href"), "/out-soon/");
    assert_eq!(buttons(&page), vec!["Update", "Unpublish", "Preview page"]);
    assert_eq!(app.get("/out-soon/").await.status(), StatusCode::OK);
}
