//! The admin's doors: first-run setup, staff invitations, and the role matrix over every
//! admin route.

use quire::domain::users::Role;
use reqwest::{Method, StatusCode};

use crate::helpers::{
    PASSWORD, TestApp, attr_of, browser, location, parse_html, select, spawn_app, text_of,
};

/// The setup form's fields with `changes` applied.
fn setup_fields<'a>(changes: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("title", "Field Notes"),
        ("description", "Notes from the field."),
        ("email", "owner@example.com"),
        ("display_name", "Olive Owner"),
        ("password", PASSWORD),
        ("start", "empty"),
    ];
    for (name, value) in changes {
        fields.retain(|(n, _)| n != name);
        fields.push((name, value));
    }
    fields
}

#[tokio::test]
async fn a_new_site_leads_its_first_visitor_to_setup() {
    let app = spawn_app().await;
    let client = browser();
    // The sign-in form would lead nowhere: the admin and sign-in lead to setup.
    let login = client.get(app.url("/account/login")).send().await.unwrap();
    assert_eq!(login.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&login), "/admin/setup");
    let admin = client.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(admin.status(), StatusCode::SEE_OTHER);
    let to_login = location(&admin);
    assert!(to_login.starts_with("/account/login"), "{to_login}");
    let next = client.get(app.url(&to_login)).send().await.unwrap();
    assert_eq!(location(&next), "/admin/setup");
    let setup = app.page("/admin/setup", 200).await;
    for name in [
        "title",
        "description",
        "email",
        "display_name",
        "password",
        "start",
    ] {
        assert_eq!(
            select(&setup, &format!("form [name={name}]")).len(),
            1,
            "{name}"
        );
    }
    // The welcome post says where to go.
    let welcome = app.page("/welcome/", 200).await;
    assert!(text_of(&welcome, ".content").contains("/admin/setup"));

    // Once there are accounts, the sign-in form is there again, and setup needs the key
    // from the start-up log: nobody claims a site with people on it by finding the page.
    app.user_with_password("member@example.com", Role::Member, PASSWORD);
    let login = app.page("/account/login", 200).await;
    assert!(select(&login, "a[href^='/admin/setup']").is_empty());
    app.page("/admin/setup", 403).await;
    app.page("/admin/setup?key=owner.forged", 403).await;
    let keyed = app.setup_with_key();
    let page = app.page(&keyed, 200).await;
    let key = attr_of(&page, "form input[name=key]", "value");
    let stranger = browser();
    let refused = app
        .submit(
            &stranger,
            "/account/signup",
            "/admin/setup",
            &setup_fields(&[]),
        )
        .await;
    assert_eq!(refused.status(), StatusCode::FORBIDDEN);
    let mut fields = setup_fields(&[]);
    fields.push(("key", key.as_str()));
    let claimed = app.submit(&stranger, &keyed, "/admin/setup", &fields).await;
    assert_eq!(location(&claimed), "/admin");
    app.page(&keyed, 404).await;
}

#[tokio::test]
async fn setup_names_the_site_creates_the_owner_once_and_lists_next_steps() {
    let app = spawn_app().await;
    let client = browser();
    let bad = app
        .submit(
            &client,
            "/admin/setup",
            "/admin/setup",
            &setup_fields(&[
                ("title", "  "),
                ("email", "not an address"),
                ("display_name", ""),
            ]),
        )
        .await;
    assert_eq!(bad.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let doc = parse_html(&bad.text().await.unwrap());
    for field in ["title", "email", "display_name"] {
        assert_eq!(
            attr_of(&doc, &format!("#f-{field}"), "aria-invalid"),
            "true",
            "{field}"
        );
    }
    // What was typed stays; nothing was written.
    assert_eq!(attr_of(&doc, "#f-email", "value"), "not an address");
    assert_eq!(text_of(&doc, "#f-description"), "Notes from the field.");
    assert_eq!(
        client
            .get(app.url("/account/login"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::SEE_OTHER
    );

    let response = app
        .submit(&client, "/admin/setup", "/admin/setup", &setup_fields(&[]))
        .await;
    assert_eq!(location(&response), "/admin");
    let dashboard = client.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(dashboard.status(), StatusCode::OK);
    let doc = parse_html(&dashboard.text().await.unwrap());
    assert!(text_of(&doc, "main").contains("Olive Owner"));
    assert_eq!(text_of(&doc, ".notice"), "Your site is set up.");
    assert_eq!(
        text_of(&doc, ".stats div:first-child dd"),
        "1",
        "the welcome post is published"
    );
    let steps: Vec<String> = select(&doc, ".next-steps a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    for href in [
        "/admin/posts/new",
        "/admin/import",
        "/admin/staff",
        "/admin/settings",
    ] {
        assert!(steps.iter().any(|s| s == href), "{href} in {steps:?}");
    }
    // The site has its name.
    let home = app.page("/", 200).await;
    assert_eq!(text_of(&home, "title"), "Field Notes");
    assert!(text_of(&home, "main").contains("Welcome to Quire"));

    // Trashing the welcome post ends the list.
    let welcome = steps
        .iter()
        .find(|s| {
            s.starts_with("/admin/posts/")
                && s.trim_start_matches("/admin/posts/").parse::<i64>().is_ok()
        })
        .unwrap()
        .clone();
    let token = app.csrf_token(&client, &welcome).await;
    let trashed = client
        .post(app.url(&format!("{welcome}/trash")))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(trashed.status(), StatusCode::SEE_OTHER);
    let doc = parse_html(
        &client
            .get(app.url("/admin"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(select(&doc, ".next-steps").is_empty());

    // Now that there is an owner, the page is gone, for anyone.
    assert_eq!(
        browser()
            .get(app.url("/admin/setup"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::NOT_FOUND
    );
    let token = app.csrf_token(&client, "/account/").await;
    let mut again = setup_fields(&[("email", "second@example.com")]);
    again.push(("csrf_token", &token));
    let again = client
        .post(app.url("/admin/setup"))
        .form(&again)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn setup_can_start_with_the_demo_publication() {
    let app = spawn_app().await;
    let client = browser();
    let response = app
        .submit(
            &client,
            "/admin/setup",
            "/admin/setup",
            &setup_fields(&[("start", "demo"), ("title", "My Margin")]),
        )
        .await;
    assert_eq!(location(&response), "/admin");
    // The demo's posts, tags and pages, under the name the owner chose.
    let home = app.page("/", 200).await;
    assert_eq!(text_of(&home, "title"), "My Margin");
    assert!(select(&home, ".card").len() > 1);
    app.page("/tag/guides/", 200).await;
    app.page("/about/", 200).await;
    let dashboard = parse_html(
        &client
            .get(app.url("/admin"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(text_of(&dashboard, "main").contains("Olive Owner"));
    assert!(
        text_of(&dashboard, ".stats div:first-child dd")
            .parse::<i64>()
            .unwrap()
            > 1
    );
}

#[tokio::test]
async fn staff_are_invited_by_mail_and_land_in_the_admin() {
    let app = spawn_app().await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;

    let refused = app
        .submit(
            &owner,
            "/admin/staff",
            "/admin/staff/invite",
            &[("email", "ed@example.com"), ("role", "owner")],
        )
        .await;
    assert_eq!(
        refused.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "nobody is invited as owner"
    );
    let response = app
        .submit(
            &owner,
            "/admin/staff",
            "/admin/staff/invite",
            &[("email", "ed@example.com"), ("role", "editor")],
        )
        .await;
    assert_eq!(location(&response), "/admin/staff");
    let doc = parse_html(
        &owner
            .get(app.url("/admin/staff"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(text_of(&doc, "table").contains("ed@example.com"));

    let link = app.mailed_link("ed@example.com", "/account/invite");
    let token = link.split("token=").nth(1).unwrap().to_string();
    let invitee = browser();
    let doc = parse_html(
        &invitee
            .get(app.url(&link))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(text_of(&doc, "main").contains("editor"));
    let response = app
        .submit(
            &invitee,
            &link,
            "/account/invite",
            &[
                ("token", &token),
                ("display_name", "Ed Itor"),
                ("password", "an editor's secret"),
            ],
        )
        .await;
    assert_eq!(location(&response), "/admin");
    assert_eq!(
        invitee
            .get(app.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );

    // The link is spent; staff sign in through the same form and land in the admin.
    assert_eq!(
        browser().get(app.url(&link)).send().await.unwrap().status(),
        StatusCode::GONE
    );
    let response = app
        .sign_in(&browser(), "ed@example.com", "an editor's secret")
        .await;
    assert_eq!(location(&response), "/admin");
}

/// Who may do what, over every admin route: the server decides, whatever the page shows.
#[tokio::test]
async fn the_permission_matrix_holds_on_every_admin_route() {
    let app = spawn_app().await;
    let roles = [
        Role::Owner,
        Role::Admin,
        Role::Editor,
        Role::Author,
        Role::Contributor,
        Role::Member,
    ];
    let mut clients = Vec::new();
    for role in roles {
        let email = format!("{}@example.com", role.as_str());
        let client = app.signed_in_as(&email, role).await;
        clients.push((Some(role), client));
    }
    clients.push((None, browser()));

    // (method, path, who may: owner, admin, editor, author, contributor, member)
    let tag = app.tag("craft", "Craft");
    let tag_path = format!("/admin/tags/{}", tag.id);
    let owner = app
        .db
        .run_blocking(|conn| {
            quire::domain::users::by_email(
                conn,
                &quire::domain::users::Email::parse("owner@example.com").unwrap(),
            )
        })
        .unwrap()
        .unwrap()
        .0;
    let owner_page = format!("/admin/people/{}", owner.id);
    let staff_only = [true, true, true, true, true, false];
    let editors = [true, true, true, false, false, false];
    let admins = [true, true, false, false, false, false];
    let routes: Vec<(Method, &str, [bool; 6])> = vec![
        (Method::GET, "/admin/tags", editors),
        (Method::GET, &tag_path, editors),
        (Method::GET, "/admin/members", admins),
        (Method::GET, "/admin/settings", admins),
        (Method::GET, "/admin/redirects", admins),
        (Method::GET, "/admin/audit", admins),
        (Method::GET, "/admin/jobs", admins),
        (Method::GET, "/admin/posts?status=trash", staff_only),
        (Method::GET, "/admin/media", staff_only),
        (Method::GET, &owner_page, admins),
        (
            Method::GET,
            "/admin/posts",
            [true, true, true, true, true, false],
        ),
        (
            Method::GET,
            "/admin/pages",
            [true, true, true, true, true, false],
        ),
        (
            Method::GET,
            "/admin/posts/new",
            [true, true, true, true, true, false],
        ),
        (Method::GET, "/admin", [true, true, true, true, true, false]),
        (
            Method::GET,
            "/admin/",
            [true, true, true, true, true, false],
        ),
        (
            Method::GET,
            "/admin/staff",
            [true, true, false, false, false, false],
        ),
        (
            Method::POST,
            "/admin/staff/invite",
            [true, true, false, false, false, false],
        ),
    ];
    for (method, path, allowed) in routes {
        for (n, (role, client)) in clients.iter().enumerate() {
            let status = request(&app, client, &method, path, n).await;
            let expected = match role {
                None => StatusCode::SEE_OTHER,
                Some(_) if allowed[n] => {
                    if method == Method::POST {
                        StatusCode::SEE_OTHER
                    } else {
                        StatusCode::OK
                    }
                }
                Some(_) => StatusCode::FORBIDDEN,
            };
            assert_eq!(status, expected, "{method} {path} as {role:?}");
        }
    }
}

async fn request(
    app: &TestApp,
    client: &reqwest::Client,
    method: &Method,
    path: &str,
    n: usize,
) -> StatusCode {
    if method == Method::GET {
        return client.get(app.url(path)).send().await.unwrap().status();
    }
    // A valid token from the session's own account page (anonymous: the sign-in page).
    let page = if n == 6 {
        "/account/login"
    } else {
        "/account/"
    };
    let token = app.csrf_token(client, page).await;
    let email = format!("invitee{n}@example.com");
    client
        .post(app.url(path))
        .form(&[
            ("email", email.as_str()),
            ("role", "contributor"),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap()
        .status()
}

#[tokio::test]
async fn the_sign_in_page_keeps_its_form_accessible() {
    let app = spawn_app().await;
    app.has_an_owner();
    let doc = app.page("/account/login", 200).await;
    for input in select(&doc, "form input:not([type=hidden])") {
        let id = input.value().attr("id").expect("every control has an id");
        let label = format!("label[for='{id}']");
        assert_eq!(select(&doc, &label).len(), 1, "{id} has a label");
    }
    assert_eq!(attr_of(&doc, "#f-email", "type"), "email");
    assert!(select(&doc, "#f-email[required]").len() == 1);
    assert_eq!(attr_of(&doc, "meta[name=robots]", "content"), "noindex");
}

#[tokio::test]
async fn every_admin_page_has_the_frame_with_the_sections_the_role_may_use() {
    let app = spawn_app().await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    let author = app.signed_in_as("author@example.com", Role::Author).await;
    let sections = |doc: &scraper::Html| -> Vec<String> {
        select(doc, ".admin-side nav[aria-label=Admin] li a")
            .iter()
            .map(|a| a.text().collect::<String>())
            .collect()
    };
    for (path, current) in [
        ("/admin", "Dashboard"),
        ("/admin/posts", "Posts"),
        ("/admin/posts/new", "Posts"),
        ("/admin/tags", "Tags"),
        ("/admin/comments/settings", "Comments"),
        ("/admin/settings", "Settings"),
        ("/admin/audit", "Audit log"),
        ("/admin/integrations", "Integrations"),
    ] {
        let response = owner.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
        let doc = parse_html(&response.text().await.unwrap());
        assert_eq!(sections(&doc).len(), 14, "{path}");
        assert_eq!(
            text_of(&doc, ".admin-side a[aria-current=page]"),
            current,
            "{path}"
        );
        // The same sections fold into a menu on phones, with the way back and out.
        assert_eq!(select(&doc, "details.admin-menu nav a").len(), 14);
        assert_eq!(attr_of(&doc, ".admin-person a[href='/']", "href"), "/");
        assert_eq!(
            attr_of(&doc, ".admin-person form", "action"),
            "/account/logout"
        );
        assert!(select(&doc, ".site-footer").is_empty(), "{path}");
        // The admin's own stylesheet, after the public one.
        let sheets: Vec<String> = select(&doc, "link[rel=stylesheet]")
            .iter()
            .map(|l| l.value().attr("href").unwrap().to_string())
            .collect();
        assert!(
            sheets.first().unwrap().starts_with("/static/site."),
            "{sheets:?}"
        );
        assert!(
            sheets.last().unwrap().starts_with("/static/admin."),
            "{sheets:?}"
        );
    }
    let response = author.get(app.url("/admin/posts")).send().await.unwrap();
    let doc = parse_html(&response.text().await.unwrap());
    assert_eq!(
        sections(&doc),
        vec!["Dashboard", "Posts", "Pages", "Media"],
        "an author sees only what they may use"
    );
    assert!(!text_of(&doc, ".admin-person a[href='/account/']").is_empty());
    // Public pages keep the public frame, and readers never load the admin's stylesheet.
    let home = app.page("/", 200).await;
    assert!(select(&home, ".admin-shell").is_empty());
    assert!(select(&home, "link[href^='/static/admin.']").is_empty());
    let sheet = attr_of(&doc, "link[href^='/static/admin.']", "href");
    let served = app.get(&sheet).await;
    assert_eq!(served.status(), 200);
    assert!(served.text().await.unwrap().contains(".admin-shell"));
}
