//! Organising the site from the admin: tags (list, create, edit, delete, merge) and
//! redirects, each with their failure paths and the public pages following at once.

use quire::domain::users::Role;
use reqwest::StatusCode;

use crate::helpers::{
    SeedPost, TestApp, assert_redirect, attr_of, location, parse_html, select, spawn_app, text_of,
};

async fn html(app: &TestApp, client: &reqwest::Client, path: &str) -> scraper::Html {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    parse_html(&response.text().await.unwrap())
}

/// Names of the tag links on a public post page.
async fn tag_names_on(app: &TestApp, path: &str) -> Vec<String> {
    let doc = app.page(path, 200).await;
    // The page links each tag more than once (above and below the text): keep the first.
    let mut names: Vec<String> = Vec::new();
    for a in select(&doc, "a[href^='/tag/']") {
        let name = a.text().collect::<String>().trim().to_string();
        if !names.contains(&name) {
            names.push(name);
        }
    }
    names
}

#[tokio::test]
async fn tags_are_listed_with_counts_and_created_with_checked_fields() {
    let app = spawn_app().await;
    let craft = app.tag("craft", "Craft");
    app.seed(SeedPost::published("one", "One").tags(&[&craft]));
    app.seed(SeedPost::published("two", "Two").tags(&[&craft]).draft());
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;

    let list = html(&app, &editor, "/admin/tags").await;
    let row = text_of(&list, "tbody tr");
    assert!(
        row.contains("Craft") && row.contains("/tag/craft/"),
        "{row}"
    );
    let cells: Vec<String> = select(&list, "tbody tr td")
        .iter()
        .map(|td| td.text().collect())
        .collect();
    assert_eq!(
        cells[2..],
        ["2".to_string(), "1".to_string()],
        "all, published"
    );

    // Bad input: each explained beside its field, nothing created.
    for (fields, field) in [
        (vec![("name", "  ")], "name"),
        (vec![("name", "Ok"), ("slug", "has/slash")], "slug"),
        (vec![("name", "Ok"), ("slug", "craft")], "slug"),
        (vec![("name", "Bidi \u{202E}name")], "name"),
    ] {
        let response = app
            .submit(&editor, "/admin/tags", "/admin/tags", &fields)
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{fields:?}"
        );
        let doc = parse_html(&response.text().await.unwrap());
        assert_eq!(
            attr_of(&doc, &format!("#f-{field}"), "aria-invalid"),
            "true",
            "{fields:?}"
        );
    }
    let response = app
        .submit(
            &editor,
            "/admin/tags",
            "/admin/tags",
            &[("name", "Café Notes"), ("description", "Short ones.")],
        )
        .await;
    assert_eq!(location(&response), "/admin/tags");
    let list = html(&app, &editor, "/admin/tags").await;
    assert_eq!(select(&list, "tbody tr").len(), 2);
    assert!(text_of(&list, "tbody").contains("/tag/cafe-notes/"));

    // Authors do not manage tags.
    let author = app.signed_in_as("au@example.com", Role::Author).await;
    let response = author.get(app.url("/admin/tags")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn renaming_a_tag_shows_at_once_and_its_old_address_follows() {
    let app = spawn_app().await;
    let craft = app.tag("craft", "Craft");
    app.seed(SeedPost::published("one", "One").tags(&[&craft]));
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    // Warm the page cache with the old name.
    assert_eq!(tag_names_on(&app, "/one/").await, ["Craft"]);
    app.page("/tag/craft/", 200).await;

    let path = format!("/admin/tags/{}", craft.id);
    let response = app
        .submit(
            &editor,
            &path,
            &path,
            &[
                ("name", "Handiwork"),
                ("slug", "handiwork"),
                ("meta_title", "All about handiwork"),
            ],
        )
        .await;
    assert_eq!(location(&response), path);
    assert_eq!(tag_names_on(&app, "/one/").await, ["Handiwork"]);
    assert_redirect(&app, "/tag/craft/", "/tag/handiwork/").await;
    let page = app.page("/tag/handiwork/", 200).await;
    assert!(text_of(&page, "title").starts_with("All about handiwork"));
}

#[tokio::test]
async fn deleting_a_tag_unlinks_its_posts_and_its_page_answers_gone() {
    let app = spawn_app().await;
    let craft = app.tag("craft", "Craft");
    app.seed(SeedPost::published("one", "One").tags(&[&craft]));
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let path = format!("/admin/tags/{}/delete", craft.id);
    let confirm = html(&app, &editor, &path).await;
    assert!(text_of(&confirm, "main").contains("/tag/craft/"));
    let response = app.submit(&editor, &path, &path, &[]).await;
    assert_eq!(location(&response), "/admin/tags");
    assert_eq!(app.get("/tag/craft/").await.status(), StatusCode::GONE);
    assert!(tag_names_on(&app, "/one/").await.is_empty());
    app.page("/one/", 200).await;
}

#[tokio::test]
async fn merging_retags_the_posts_and_redirects_the_old_tag() {
    let app = spawn_app().await;
    let craft = app.tag("craft", "Craft");
    let making = app.tag("making", "Making");
    app.seed(SeedPost::published("one", "One").tags(&[&craft, &making]));
    app.seed(SeedPost::published("two", "Two").tags(&[&craft]));
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;

    let confirm_path = format!("/admin/tags/{}/merge?into={}", craft.id, making.id);
    let confirm = html(&app, &editor, &confirm_path).await;
    assert!(text_of(&confirm, "h1").contains("“Craft” into “Making”"));
    let action = format!("/admin/tags/{}/merge", craft.id);
    let into = making.id.to_string();
    let response = app
        .submit(&editor, &confirm_path, &action, &[("into", &into)])
        .await;
    assert_eq!(location(&response), format!("/admin/tags/{}", making.id));
    assert_eq!(
        tag_names_on(&app, "/one/").await,
        ["Making"],
        "no duplicate"
    );
    assert_eq!(tag_names_on(&app, "/two/").await, ["Making"]);
    assert_redirect(&app, "/tag/craft/", "/tag/making/").await;

    // A tag into itself, or into nothing, is refused.
    for into in [making.id.to_string(), "x".into(), "999999".into()] {
        let path = format!("/admin/tags/{}/merge", making.id);
        let token = app
            .csrf_token(&editor, &format!("/admin/tags/{}", making.id))
            .await;
        let response = editor
            .post(app.url(&path))
            .form(&[("csrf_token", token.as_str()), ("into", &into)])
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{into}");
    }
}

#[tokio::test]
async fn redirects_are_added_edited_and_deleted_and_loops_are_refused() {
    let app = spawn_app().await;
    let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
    app.seed(SeedPost::published("new-home", "New home"));

    let add = |fields: Vec<(&'static str, String)>| {
        let (app, admin) = (&app, &admin);
        async move {
            let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
            app.submit(admin, "/admin/redirects", "/admin/redirects", &fields)
                .await
        }
    };
    let response = add(vec![
        ("from_path", "/old-home/".into()),
        ("to_path", format!("{}/new-home/", app.base)),
        ("code", "301".into()),
    ])
    .await;
    assert_eq!(location(&response), "/admin/redirects");
    assert_redirect(&app, "/old-home/", "/new-home/").await;
    let response = add(vec![
        ("from_path", "/café/".into()),
        ("to_path", "/old-home/".into()),
        ("code", "302".into()),
    ])
    .await;
    assert_eq!(location(&response), "/admin/redirects");
    let response = app.get("/caf%C3%A9/").await;
    assert_eq!(response.status(), StatusCode::FOUND);
    assert_eq!(location(&response), "/old-home/");

    // Refused, each beside its field: a loop, itself, a duplicate, not a path, a bad code.
    for (from, to, code, field) in [
        ("/new-home/", "/café/", "301", "to_path"),
        ("/loop/", "/loop/", "301", "to_path"),
        ("/old-home/", "/elsewhere/", "301", "from_path"),
        ("old-home", "/elsewhere/", "301", "from_path"),
        ("/x/", "javascript:alert(1)", "301", "to_path"),
        ("/x/", "/y/", "307", "code"),
    ] {
        let response = add(vec![
            ("from_path", from.into()),
            ("to_path", to.into()),
            ("code", code.into()),
        ])
        .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{from} {to}"
        );
        let doc = parse_html(&response.text().await.unwrap());
        assert_eq!(
            attr_of(&doc, &format!("#f-{field}"), "aria-invalid"),
            "true",
            "{from} {to}"
        );
        assert_eq!(
            attr_of(&doc, "#f-from_path", "value"),
            from,
            "typed value kept"
        );
    }
    let list = html(&app, &admin, "/admin/redirects").await;
    assert_eq!(select(&list, "tbody tr").len(), 2, "nothing else was added");

    // Edit the first into a 302, then delete it through its confirmation page.
    let edit = select(&list, "tbody a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_string())
        .find(|href| !href.ends_with("/delete"))
        .unwrap();
    let doc = html(&app, &admin, &edit).await;
    let from = attr_of(&doc, "#f-from_path", "value");
    let response = app
        .submit(
            &admin,
            &edit,
            &edit,
            &[
                ("from_path", &from),
                ("to_path", "/new-home/"),
                ("code", "302"),
            ],
        )
        .await;
    assert_eq!(location(&response), "/admin/redirects");
    let delete = format!("{edit}/delete");
    let response = app.submit(&admin, &delete, &delete, &[]).await;
    assert_eq!(location(&response), "/admin/redirects");
    let list = html(&app, &admin, "/admin/redirects").await;
    assert_eq!(select(&list, "tbody tr").len(), 1);

    // Each change is in the audit log: two added, one edited, one deleted.
    let log = html(&app, &admin, "/admin/audit?object=redirect").await;
    let actions: Vec<String> = select(&log, "tbody tr td:nth-child(3)")
        .iter()
        .map(|td| td.text().collect())
        .collect();
    assert_eq!(
        actions,
        [
            "deleted redirect",
            "updated redirect",
            "created redirect",
            "created redirect"
        ]
    );

    // Editors do not manage redirects.
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let response = editor
        .get(app.url("/admin/redirects"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

/// The settings form's fields as the page has them (checked boxes only).
async fn settings_fields(app: &TestApp, client: &reqwest::Client) -> Vec<(String, String)> {
    let doc = html(app, client, "/admin/settings").await;
    let mut fields = Vec::new();
    for input in select(
        &doc,
        "form.form input[name], form.form textarea[name], form.form select[name]",
    ) {
        let element = input.value();
        let name = element.attr("name").unwrap().to_string();
        let value = match element.name() {
            "textarea" => input.text().collect::<String>(),
            "select" => input
                .select(&scraper::Selector::parse("option[selected]").unwrap())
                .next()
                .and_then(|o| o.value().attr("value"))
                .unwrap_or("")
                .to_string(),
            _ if element.attr("type") == Some("checkbox") => {
                if element.attr("checked").is_none() {
                    continue;
                }
                "on".into()
            }
            _ => element.attr("value").unwrap_or("").to_string(),
        };
        fields.push((name, value));
    }
    fields
}

fn set(mut fields: Vec<(String, String)>, changes: &[(&str, &str)]) -> Vec<(String, String)> {
    for (name, value) in changes {
        fields.retain(|(n, _)| n != name);
        fields.push((name.to_string(), value.to_string()));
    }
    fields
}

async fn post_settings(
    app: &TestApp,
    client: &reqwest::Client,
    fields: &[(String, String)],
) -> reqwest::Response {
    client
        .post(app.url("/admin/settings"))
        .form(fields)
        .send()
        .await
        .unwrap()
}

fn menu_labels(doc: &scraper::Html) -> Vec<String> {
    select(doc, ".site-nav a")
        .iter()
        .map(|a| a.text().collect::<String>())
        .collect()
}

#[tokio::test]
async fn settings_change_the_site_at_once_and_bad_values_are_explained() {
    let app = spawn_app().await;
    app.seed(SeedPost::published("hello", "Hello"));
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    app.page("/", 200).await; // cached with the old title

    let fields = settings_fields(&app, &owner).await;
    let response = post_settings(
        &app,
        &owner,
        &set(
            fields,
            &[
                ("title", "The Ledger"),
                ("timezone", "Europe/Paris"),
                ("posts_per_page", "5"),
                ("social_mastodon", "https://social.example/@ledger"),
                ("discourage_search", "on"),
                ("action", "save"),
            ],
        ),
    )
    .await;
    assert_eq!(location(&response), "/admin/settings");
    let home = app.page("/", 200).await;
    assert_eq!(text_of(&home, ".site-title"), "The Ledger");
    assert_eq!(attr_of(&home, "meta[name=robots]", "content"), "noindex");
    assert_eq!(
        attr_of(&home, ".social-links a", "href"),
        "https://social.example/@ledger"
    );
    let robots = app.get("/robots.txt").await.text().await.unwrap();
    assert!(robots.contains("Disallow: /\n"), "{robots}");

    // Bad values: each explained beside its field, nothing saved.
    let fields = settings_fields(&app, &owner).await;
    for (field, value) in [
        ("title", ""),
        ("language", "not a language"),
        ("timezone", "Mars/Olympus"),
        ("posts_per_page", "0"),
        ("feed_items", "many"),
        ("logo_url", "javascript:alert(1)"),
        ("social_github", "github.com/ledger"),
    ] {
        let response = post_settings(&app, &owner, &set(fields.clone(), &[(field, value)])).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}"
        );
        let doc = parse_html(&response.text().await.unwrap());
        assert_eq!(
            attr_of(&doc, &format!("#f-{field}"), "aria-invalid"),
            "true",
            "{field}"
        );
    }
    assert_eq!(
        text_of(&app.page("/", 200).await, ".site-title"),
        "The Ledger"
    );

    // Open to search engines again, with an icon and a logo: the structured data names the
    // publisher's logo and profiles, and every page links the icon.
    let fields = settings_fields(&app, &owner)
        .await
        .into_iter()
        .filter(|(name, _)| name != "discourage_search")
        .collect();
    let response = post_settings(
        &app,
        &owner,
        &set(
            fields,
            &[
                ("icon_url", "/media/icon.png"),
                ("logo_url", "https://cdn.example/logo.png"),
            ],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let home = app.page("/", 200).await;
    assert_eq!(attr_of(&home, "link[rel=icon]", "href"), "/media/icon.png");
    let graph: serde_json::Value =
        serde_json::from_str(&text_of(&home, "script[type='application/ld+json']")).unwrap();
    let organization = graph["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|node| node["@type"] == "Organization")
        .unwrap();
    assert_eq!(organization["sameAs"][0], "https://social.example/@ledger");
    assert_eq!(organization["logo"]["url"], "https://cdn.example/logo.png");
    let log = html(&app, &owner, "/admin/audit?object=settings").await;
    assert_eq!(
        select(&log, "tbody tr").len(),
        2,
        "each save is in the audit log"
    );

    // Editors do not change settings.
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let response = editor.get(app.url("/admin/settings")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn the_menu_is_added_to_reordered_and_trimmed_without_javascript() {
    let app = spawn_app().await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    let start = settings_fields(&app, &owner).await;
    assert!(start.contains(&("nav_label_0".into(), "Home".into())));

    // The blank row adds an item.
    let response = post_settings(
        &app,
        &owner,
        &set(
            start,
            &[
                ("nav_label_1", "About"),
                ("nav_url_1", "/about/"),
                ("action", "save"),
            ],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(menu_labels(&app.page("/", 200).await), ["Home", "About"]);

    // Move the second item up, then remove the (now) second.
    let fields = settings_fields(&app, &owner).await;
    post_settings(&app, &owner, &set(fields, &[("action", "up-1")])).await;
    assert_eq!(menu_labels(&app.page("/", 200).await), ["About", "Home"]);
    let fields = settings_fields(&app, &owner).await;
    post_settings(&app, &owner, &set(fields, &[("action", "remove-1")])).await;
    assert_eq!(menu_labels(&app.page("/", 200).await), ["About"]);

    // A row with a label and no address is explained; an unknown action is refused.
    let fields = settings_fields(&app, &owner).await;
    let response = post_settings(
        &app,
        &owner,
        &set(
            fields.clone(),
            &[("nav_label_1", "Shop"), ("action", "save")],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let doc = parse_html(&response.text().await.unwrap());
    assert_eq!(attr_of(&doc, "#nav-url-1", "aria-invalid"), "true");
    assert_eq!(attr_of(&doc, "#nav-label-1", "value"), "Shop", "kept");
    let response = post_settings(&app, &owner, &set(fields, &[("action", "explode-1")])).await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(menu_labels(&app.page("/", 200).await), ["About"]);
}

/// The logo and the icon are picked from the media library, without typing addresses; an
/// address kept from before stays offered until another is picked.
#[tokio::test]
async fn the_logo_and_icon_are_picked_from_the_media_library() {
    let app = spawn_app().await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    let added = crate::media::upload(
        &app,
        &owner,
        "mark.png",
        crate::media::picture(512, 512, image::ImageFormat::Png),
        "The Ledger's mark",
    )
    .await;
    assert_eq!(added.status(), StatusCode::SEE_OTHER);
    let page = html(&app, &owner, "/admin/settings").await;
    let offered: Vec<(String, String)> = select(&page, "#f-logo_url option")
        .iter()
        .map(|o| {
            (
                o.value().attr("value").unwrap().to_string(),
                o.text().collect::<String>(),
            )
        })
        .collect();
    assert_eq!(offered[0], (String::new(), "No logo".to_string()));
    let (url, label) = offered[1].clone();
    assert!(url.starts_with("/media/") && url.ends_with(".png"), "{url}");
    assert_eq!(label, "mark.png (512×512, The Ledger's mark)");
    assert_eq!(select(&page, "#f-icon_url option").len(), 2);

    let fields = settings_fields(&app, &owner).await;
    let response = post_settings(
        &app,
        &owner,
        &set(
            fields,
            &[("logo_url", url.as_str()), ("icon_url", url.as_str())],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let home = app.page("/", 200).await;
    assert_eq!(attr_of(&home, "link[rel=icon]", "href"), url);
    let page = html(&app, &owner, "/admin/settings").await;
    assert_eq!(attr_of(&page, "#f-logo_url option[selected]", "value"), url);

    // An address from before (an import's) is kept and shown as such.
    app.update_settings(|s| s.logo_url = Some("https://cdn.example/logo.png".into()));
    let page = html(&app, &owner, "/admin/settings").await;
    assert_eq!(
        text_of(&page, "#f-logo_url option[selected]"),
        "The current address: https://cdn.example/logo.png"
    );
}
