//! Who may change what, over every state-changing admin route: the owner reads each real
//! form, then every role (and a visitor) submits it with a CSRF token of their own. Those
//! below the route's role are refused with a 403 and change nothing; the first role allowed
//! succeeds, which proves the form was a good one.

use image::ImageFormat;
use quire::domain::users::Role;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::editor::{editor_fields, post, with};
use crate::helpers::*;
use crate::media::{picture, upload};

/// Least to most trusted: each route is refused to a prefix of this list.
const ROLES: [Role; 6] = [
    Role::Member,
    Role::Contributor,
    Role::Author,
    Role::Editor,
    Role::Admin,
    Role::Owner,
];

struct People {
    clients: Vec<(Role, reqwest::Client)>,
}

impl People {
    fn owner(&self) -> &reqwest::Client {
        &self.clients.last().unwrap().1
    }
}

fn audited(app: &TestApp) -> usize {
    app.db
        .run_blocking(|conn| quire::domain::audit::recent(conn, 100_000))
        .unwrap()
        .len()
}

/// The fields of the form posting to `action` on `page`, as the owner sees them.
async fn real_form(
    app: &TestApp,
    people: &People,
    page: &str,
    action: &str,
    changes: &[(&str, &str)],
) -> Vec<(String, String)> {
    let fields = form_controls(app, people.owner(), page, action)
        .await
        .into_iter()
        .map(|(name, _, value)| (name, value))
        .collect();
    with(fields, changes)
}

/// Submits `fields` to `action` as a visitor and as every role from the least trusted up to
/// `first_allowed`, each with a token from their own session.
async fn only_from(
    app: &TestApp,
    people: &People,
    action: &str,
    fields: Vec<(String, String)>,
    first_allowed: Role,
) {
    let visitor = browser();
    let token = app.csrf_token(&visitor, "/account/login").await;
    let response = visitor
        .post(app.url(action))
        .form(&with(fields.clone(), &[("csrf_token", &token)]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{action} as a visitor"
    );
    assert!(
        location(&response).starts_with("/account/login"),
        "{action}: sign in first"
    );

    let before = audited(app);
    for (role, client) in &people.clients {
        let token = app.csrf_token(client, "/account/").await;
        let response = client
            .post(app.url(action))
            .form(&with(fields.clone(), &[("csrf_token", &token)]))
            .send()
            .await
            .unwrap();
        if *role == first_allowed {
            assert_eq!(
                response.status(),
                StatusCode::SEE_OTHER,
                "{action} as {role:?}: {}",
                response.text().await.unwrap()
            );
            assert!(audited(app) > before, "{action} as {role:?} did something");
            return;
        }
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{action} as {role:?}"
        );
        assert_eq!(audited(app), before, "{action} as {role:?} changed nothing");
    }
    panic!("{first_allowed:?} is not among the roles");
}

async fn people(app: &TestApp) -> People {
    let mut clients = Vec::new();
    for role in ROLES {
        let email = format!("{}@example.com", role.as_str());
        clients.push((role, app.signed_in_as(&email, role).await));
    }
    People { clients }
}

fn owner_of(app: &TestApp) -> quire::domain::users::User {
    app.db
        .run_blocking(|conn| {
            quire::domain::users::by_email(
                conn,
                &quire::domain::users::Email::parse("owner@example.com").unwrap(),
            )
        })
        .unwrap()
        .unwrap()
        .0
}

#[tokio::test]
async fn tags_settings_redirects_and_people_are_guarded_on_every_write() {
    let app = spawn_app().await;
    let people = people(&app).await;

    // Tags: editors and above.
    let fields = real_form(
        &app,
        &people,
        "/admin/tags",
        "/admin/tags",
        &[("name", "Fresh")],
    )
    .await;
    only_from(&app, &people, "/admin/tags", fields, Role::Editor).await;
    let tag = app.tag("craft", "Craft");
    let path = format!("/admin/tags/{}", tag.id);
    let fields = real_form(&app, &people, &path, &path, &[("name", "Crafts")]).await;
    only_from(&app, &people, &path, fields, Role::Editor).await;
    let other = app.tag("making", "Making");
    let merge = format!("/admin/tags/{}/merge", tag.id);
    let ask = format!("{merge}?into={}", other.id);
    let fields = real_form(&app, &people, &ask, &merge, &[]).await;
    only_from(&app, &people, &merge, fields, Role::Editor).await;
    let doomed = app.tag("doomed", "Doomed");
    let delete = format!("/admin/tags/{}/delete", doomed.id);
    let fields = real_form(&app, &people, &delete, &delete, &[]).await;
    only_from(&app, &people, &delete, fields, Role::Editor).await;

    // Settings and redirects: admins and the owner.
    let fields = real_form(
        &app,
        &people,
        "/admin/settings",
        "/admin/settings",
        &[("title", "Renamed")],
    )
    .await;
    only_from(&app, &people, "/admin/settings", fields, Role::Admin).await;
    let fields = real_form(
        &app,
        &people,
        "/admin/redirects",
        "/admin/redirects",
        &[("from_path", "/was/"), ("to_path", "/is/")],
    )
    .await;
    only_from(&app, &people, "/admin/redirects", fields, Role::Admin).await;
    app.redirect("/old/", "/new/", 301);
    let id = app
        .db
        .run_blocking(|conn| {
            quire::domain::redirects::page(
                conn,
                ("", quire::domain::redirects::RedirectOrder::From),
                1,
                10,
            )
        })
        .unwrap()
        .0
        .into_iter()
        .find(|r| r.from_path == "/old/")
        .unwrap()
        .id;
    let path = format!("/admin/redirects/{id}");
    let fields = real_form(&app, &people, &path, &path, &[("to_path", "/newer/")]).await;
    only_from(&app, &people, &path, fields, Role::Admin).await;
    let delete = format!("{path}/delete");
    let fields = real_form(&app, &people, &delete, &delete, &[]).await;
    only_from(&app, &people, &delete, fields, Role::Admin).await;

    // Members and staff: admins and the owner.
    let fields = real_form(
        &app,
        &people,
        "/admin/members",
        "/admin/members",
        &[("email", "joined@example.com"), ("display_name", "Joined")],
    )
    .await;
    only_from(&app, &people, "/admin/members", fields, Role::Admin).await;
    let fields = real_form(
        &app,
        &people,
        "/admin/staff",
        "/admin/staff/invite",
        &[
            ("email", "invited@example.com"),
            ("display_name", "Invited"),
        ],
    )
    .await;
    only_from(&app, &people, "/admin/staff/invite", fields, Role::Admin).await;
    let member = app.user_with_password("someone@example.com", Role::Member, PASSWORD);
    let path = format!("/admin/people/{}", member.id);
    let fields = real_form(
        &app,
        &people,
        &path,
        &path,
        &[("display_name", "Someone Else")],
    )
    .await;
    only_from(&app, &people, &path, fields, Role::Admin).await;
    let delete = format!("{path}/delete");
    let fields = real_form(&app, &people, &delete, &delete, &[]).await;
    only_from(&app, &people, &delete, fields, Role::Admin).await;

    // Handing the site over: the owner alone (last, as it changes who the owner is).
    let heir = app.user_with_password("heir@example.com", Role::Admin, PASSWORD);
    let transfer = format!("/admin/people/{}/transfer", heir.id);
    let fields = real_form(&app, &people, &transfer, &transfer, &[]).await;
    only_from(&app, &people, &transfer, fields, Role::Owner).await;
}

#[tokio::test]
async fn posts_revisions_and_media_are_guarded_on_every_write() {
    let app = spawn_app().await;
    let people = people(&app).await;
    let owner = owner_of(&app);
    // Someone else's published post: editors and above may change it.
    let seed = |slug: &str| {
        app.seed(
            SeedPost::published(slug, &format!("Post {slug}"))
                .authors(&[&owner])
                .hours_ago(5),
        )
    };

    let saved = seed("saved");
    let path = format!("/admin/posts/{}", saved.id);
    let fields = with(
        editor_fields(&app, people.owner(), &path).await,
        &[("title", "Saved again"), ("action", "save")],
    );
    only_from(&app, &people, &path, fields, Role::Editor).await;

    let trashed = seed("trashed");
    let path = format!("/admin/posts/{}", trashed.id);
    let trash = format!("{path}/trash");
    let fields = real_form(&app, &people, &path, &trash, &[]).await;
    only_from(&app, &people, &trash, fields, Role::Editor).await;
    let restore = format!("{path}/restore");
    let fields = real_form(&app, &people, &path, &restore, &[]).await;
    only_from(&app, &people, &restore, fields, Role::Editor).await;

    let gone = seed("gone");
    app.trash(gone.id);
    let delete = format!("/admin/posts/{}/delete", gone.id);
    let fields = real_form(&app, &people, &delete, &delete, &[]).await;
    only_from(&app, &people, &delete, fields, Role::Editor).await;

    // A revision restored: edit once so there is an older text to go back to.
    let revised = seed("revised");
    let path = format!("/admin/posts/{}", revised.id);
    let fields = with(
        editor_fields(&app, people.owner(), &path).await,
        &[("markdown", "A second text."), ("action", "save")],
    );
    assert_eq!(
        post(&app, people.owner(), &path, &fields).await.status(),
        StatusCode::SEE_OTHER
    );
    let list = people
        .owner()
        .get(app.url(&format!("{path}/revisions")))
        .send()
        .await
        .unwrap();
    let list = parse_html(&list.text().await.unwrap());
    let older = attr_of(&list, "tbody a", "href");
    let restore = format!("{older}/restore");
    let fields = real_form(&app, &people, &older, &restore, &[]).await;
    only_from(&app, &people, &restore, fields, Role::Editor).await;

    // Images: staff upload; changing someone else's needs an editor.
    let uploaded = upload(
        &app,
        people.owner(),
        "a.png",
        picture(30, 20, ImageFormat::Png),
        "A",
    )
    .await;
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
    let item = location(&uploaded);
    let fields = real_form(&app, &people, &item, &item, &[("alt", "A square")]).await;
    only_from(&app, &people, &item, fields, Role::Editor).await;
    let delete = format!("{item}/delete");
    let fields = real_form(&app, &people, &delete, &delete, &[]).await;
    only_from(&app, &people, &delete, fields, Role::Editor).await;

    // Uploading at all: contributors and above; a member is refused before the file is read.
    for (role, client) in &people.clients[..2] {
        let token = app.csrf_token(client, "/account/").await;
        let form = Form::new()
            .text("csrf_token", token)
            .text("alt", "Mine")
            .part(
                "file",
                Part::bytes(picture(30, 20, ImageFormat::Png)).file_name("m.png"),
            );
        let response = client
            .post(app.url("/admin/media"))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let expected = match role {
            Role::Member => StatusCode::FORBIDDEN,
            _ => StatusCode::SEE_OTHER,
        };
        assert_eq!(response.status(), expected, "upload as {role:?}");
    }
}
