//! People in the admin: changing roles and status, removing accounts (never the owner),
//! handing over ownership, and members' full life cycle with search and pagination.

use quire::domain::users::{self, Email, NewUser, Role, Status};
use reqwest::StatusCode;

use crate::helpers::{
    PASSWORD, SeedPost, TestApp, attr_of, browser, location, now, parse_html, select, spawn_app,
    text_of,
};

async fn html(app: &TestApp, client: &reqwest::Client, path: &str) -> scraper::Html {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    parse_html(&response.text().await.unwrap())
}

fn role_of(app: &TestApp, id: i64) -> (String, String) {
    let user = app
        .db
        .run_blocking(move |conn| users::by_id(conn, id))
        .unwrap()
        .expect("user exists");
    (user.role.to_string(), user.status.to_string())
}

async fn save_person(
    app: &TestApp,
    client: &reqwest::Client,
    id: i64,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let path = format!("/admin/people/{id}");
    app.submit(client, &path, &path, fields).await
}

#[tokio::test]
async fn an_admin_changes_roles_and_suspension_signs_the_person_out() {
    let app = spawn_app().await;
    let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
    let author = app.user_with_password("au@example.com", Role::Author, PASSWORD);
    let author_browser = browser();
    app.sign_in(&author_browser, "au@example.com", PASSWORD)
        .await;

    let page = html(&app, &admin, &format!("/admin/people/{}", author.id)).await;
    let roles: Vec<&str> = select(&page, "#f-role option")
        .iter()
        .map(|o| o.value().attr("value").unwrap())
        .collect();
    assert!(!roles.contains(&"owner"), "{roles:?}");

    let base = [("display_name", "Au Thor"), ("email", "au@example.com")];
    let response = save_person(
        &app,
        &admin,
        author.id,
        &[base[0], base[1], ("role", "editor"), ("status", "active")],
    )
    .await;
    assert_eq!(location(&response), format!("/admin/people/{}", author.id));
    assert_eq!(role_of(&app, author.id), ("editor".into(), "active".into()));

    // A forged role is refused and nothing changes.
    let response = save_person(
        &app,
        &admin,
        author.id,
        &[base[0], base[1], ("role", "owner"), ("status", "active")],
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(role_of(&app, author.id).0, "editor");

    // Bad input is explained beside the field.
    let response = save_person(
        &app,
        &admin,
        author.id,
        &[
            ("display_name", " "),
            ("email", "not-an-email"),
            ("role", "editor"),
            ("status", "active"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let doc = parse_html(&response.text().await.unwrap());
    assert_eq!(attr_of(&doc, "#f-email", "aria-invalid"), "true");
    assert_eq!(attr_of(&doc, "#f-display_name", "aria-invalid"), "true");
    let response = save_person(
        &app,
        &admin,
        author.id,
        &[
            base[0],
            ("email", "admin@example.com"),
            ("role", "editor"),
            ("status", "active"),
        ],
    )
    .await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "address taken"
    );

    // Suspending ends their sessions at once.
    assert_eq!(
        author_browser
            .get(app.url("/admin"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK
    );
    save_person(
        &app,
        &admin,
        author.id,
        &[
            base[0],
            base[1],
            ("role", "editor"),
            ("status", "suspended"),
        ],
    )
    .await;
    let response = author_browser.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(location(&response).starts_with("/account/login"));
    let response = app.sign_in(&browser(), "au@example.com", PASSWORD).await;
    assert_ne!(
        response.status(),
        StatusCode::SEE_OTHER,
        "a suspended account cannot sign in"
    );

    // The log says who did it.
    let log = html(&app, &admin, "/admin/audit?object=user").await;
    assert!(text_of(&log, "tbody").contains("suspended user"));
    assert!(text_of(&log, "tbody").contains("changed the role of user"));
}

#[tokio::test]
async fn the_owner_is_never_removed_and_nobody_removes_themselves_here() {
    let app = spawn_app().await;
    let owner = app.user_with_password("owner@example.com", Role::Owner, PASSWORD);
    let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
    let page = html(&app, &admin, &format!("/admin/people/{}", owner.id)).await;
    assert!(
        select(&page, "#f-role").is_empty(),
        "the owner's role is fixed"
    );
    assert!(select(&page, "a[href$='/delete']").is_empty());
    for path in [format!("/admin/people/{}/delete", owner.id)] {
        let response = admin.get(app.url(&path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN);
    }
    // A forged role for the owner is ignored: the role stays.
    save_person(
        &app,
        &admin,
        owner.id,
        &[
            ("display_name", "The Owner"),
            ("email", "owner@example.com"),
            ("role", "member"),
        ],
    )
    .await;
    assert_eq!(role_of(&app, owner.id).0, "owner");

    let me = app
        .db
        .run_blocking(|conn| users::by_email(conn, &Email::parse("admin@example.com").unwrap()))
        .unwrap()
        .unwrap()
        .0;
    let response = admin
        .get(app.url(&format!("/admin/people/{}/delete", me.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "their own account page is the way"
    );
}

#[tokio::test]
async fn removing_someone_credits_their_posts_to_the_remover() {
    let app = spawn_app().await;
    let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
    let writer = app.author("Wren Writer");
    app.seed(SeedPost::published("kept", "Kept").authors(&[&writer]));
    let path = format!("/admin/people/{}/delete", writer.id);
    let confirm = html(&app, &admin, &path).await;
    assert!(text_of(&confirm, "main").contains("credited to you"));
    let response = app.submit(&admin, &path, &path, &[]).await;
    assert_eq!(location(&response), "/admin/staff");
    let post = app.page("/kept/", 200).await;
    assert!(
        text_of(&post, "main").contains("admin"),
        "credited to the admin"
    );
    assert_eq!(
        app.get("/author/wren-writer/").await.status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn the_owner_hands_the_site_to_an_admin() {
    let app = spawn_app().await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    let editor = app.user_with_password("ed@example.com", Role::Editor, PASSWORD);
    let heir = app.user_with_password("heir@example.com", Role::Admin, PASSWORD);

    let response = owner
        .get(app.url(&format!("/admin/people/{}/transfer", editor.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::BAD_REQUEST,
        "only to an administrator"
    );

    let path = format!("/admin/people/{}/transfer", heir.id);
    let response = app.submit(&owner, &path, &path, &[]).await;
    assert_eq!(location(&response), "/admin/staff");
    assert_eq!(role_of(&app, heir.id).0, "owner");
    let old = app
        .db
        .run_blocking(|conn| users::by_email(conn, &Email::parse("owner@example.com").unwrap()))
        .unwrap()
        .unwrap()
        .0;
    assert_eq!(old.role, Role::Admin);
    // No longer the owner, they cannot do it again.
    let response = owner.get(app.url(&path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn members_are_added_found_paged_and_managed() {
    let app = spawn_app().await;
    let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
    app.db
        .run_blocking(|conn| {
            for n in 0..55 {
                users::create(
                    conn,
                    NewUser {
                        status: Status::Active,
                        email: Email::parse(&format!("reader{n}@example.com")).unwrap(),
                        display_name: format!("Reader {n}"),
                        role: Role::Member,
                        bio: String::new(),
                        website: String::new(),
                        password_hash: None,
                    },
                    now(),
                )?;
            }
            Ok::<_, users::UserError>(())
        })
        .unwrap();
    let first = html(&app, &admin, "/admin/members").await;
    assert_eq!(select(&first, "tbody tr").len(), 50);
    let next = attr_of(&first, "a[rel=next]", "href");
    let second = html(&app, &admin, &next).await;
    assert_eq!(select(&second, "tbody tr").len(), 5);
    let found = html(&app, &admin, "/admin/members?q=READER5").await;
    assert_eq!(select(&found, "tbody tr").len(), 6, "5, 50…54");
    let none = html(&app, &admin, "/admin/members?q=%25").await;
    assert!(
        select(&none, "tbody tr").is_empty(),
        "wildcards are literal"
    );
    let response = admin
        .get(app.url("/admin/members?page=abc"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Adding a member invites them; the link lets them choose a password and sign in.
    let response = app
        .submit(
            &admin,
            "/admin/members",
            "/admin/members",
            &[("email", "new@example.com"), ("display_name", "New Reader")],
        )
        .await;
    assert_eq!(location(&response), "/admin/members");
    let taken = app
        .submit(
            &admin,
            "/admin/members",
            "/admin/members",
            &[("email", "NEW@example.com"), ("display_name", "Again")],
        )
        .await;
    assert_eq!(taken.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let link = app.mailed_link("new@example.com", "/account/invite");
    let token = link.split("token=").nth(1).unwrap().to_string();
    let reader = browser();
    let response = app
        .submit(
            &reader,
            &link,
            "/account/invite",
            &[
                ("token", &token),
                ("display_name", "New Reader"),
                ("password", "a reader's secret"),
            ],
        )
        .await;
    assert_eq!(location(&response), "/account/");
    let response = reader.get(app.url("/admin")).send().await.unwrap();
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "members stay out of the admin"
    );

    // Edit, then delete through the confirmation page.
    let found = html(&app, &admin, "/admin/members?q=new%40example").await;
    let person = attr_of(&found, "tbody a", "href");
    let response = app
        .submit(
            &admin,
            &person,
            &person,
            &[
                ("display_name", "Renamed Reader"),
                ("email", "new@example.com"),
                ("role", "member"),
                ("status", "active"),
            ],
        )
        .await;
    assert_eq!(location(&response), person);
    let delete = format!("{person}/delete");
    let response = app.submit(&admin, &delete, &delete, &[]).await;
    assert_eq!(location(&response), "/admin/members");
    let response = admin.get(app.url(&person)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);

    // Editors manage neither members nor staff.
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    for path in ["/admin/members", &person] {
        let response = editor.get(app.url(path)).send().await.unwrap();
        assert!(
            matches!(
                response.status(),
                StatusCode::FORBIDDEN | StatusCode::NOT_FOUND
            ),
            "{path}"
        );
    }
}

#[tokio::test]
async fn the_database_itself_keeps_one_owner() {
    let app = spawn_app().await;
    let first = app.user_with_password("first@example.com", Role::Owner, crate::helpers::PASSWORD);
    let second = app.db.run_blocking(|conn| {
        quire::domain::users::create(
            conn,
            quire::domain::users::NewUser {
                status: quire::domain::users::Status::Active,
                email: quire::domain::users::Email::parse("second@example.com").unwrap(),
                display_name: "Second".into(),
                role: Role::Owner,
                bio: String::new(),
                website: String::new(),
                password_hash: None,
            },
            quire::clock::now(),
        )
    });
    assert!(second.is_err(), "a second owner is refused by the database");
    assert_eq!(app.user("first@example.com").role, Role::Owner);
    assert_eq!(app.user("first@example.com").id, first.id);
}
