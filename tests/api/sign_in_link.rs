//! Signing in by a mailed link: single use, fifteen minutes, bound to the browser that
//! asked (another browser is asked first), the same answer for unknown addresses.

use diesel::prelude::*;
use quire::domain::users::{self, Email, NewUser, Role};

use crate::helpers::*;

async fn ask(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    next: &str,
) -> reqwest::Response {
    let page = if next.is_empty() {
        "/account/login/link/new".to_string()
    } else {
        format!("/account/login/link/new?next={next}")
    };
    let mut fields = vec![("email", email)];
    if !next.is_empty() {
        fields.push(("next", next));
    }
    app.submit(client, &page, "/account/login/link", &fields)
        .await
}

fn token_of(link: &str) -> String {
    link.split("token=").nth(1).unwrap().to_string()
}

async fn use_link(app: &TestApp, client: &reqwest::Client, link: &str) -> reqwest::Response {
    let token = token_of(link);
    // The form's token from a page that always has one (a used link's page has none).
    app.submit(
        client,
        "/account/login",
        "/account/login/link/use",
        &[("token", &token)],
    )
    .await
}

/// An active member who never chose a password.
fn passwordless(app: &TestApp, email: &str) {
    let email = Email::parse(email).unwrap();
    app.db
        .run_blocking(|conn| {
            users::create(
                conn,
                NewUser {
                    status: users::Status::Active,
                    email,
                    display_name: "No Password".into(),
                    role: Role::Member,
                    bio: String::new(),
                    website: String::new(),
                    password_hash: None,
                },
                now(),
            )
        })
        .unwrap();
}

#[tokio::test]
async fn a_member_without_a_password_signs_in_by_link_once() {
    let app = spawn_app().await;
    passwordless(&app, "nopass@example.com");
    let login = app.page("/account/login", 200).await;
    assert!(
        select(&login, ".form-links a")
            .iter()
            .any(|a| a.value().attr("href") == Some("/account/login/link/new"))
    );
    let client = browser();
    let response = ask(&app, &client, "nopass@example.com", "").await;
    assert_eq!(response.status(), 200);
    let said = parse_html(&response.text().await.unwrap());
    assert!(text_of(&said, "main").contains("If an account uses that address"));
    let link = app.mailed_link("nopass@example.com", "/account/login/link");

    // Opening it signs nobody in: a button does.
    let page = parse_html(
        &client
            .get(app.url(&link))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(text_of(&page, "main").contains("Sign in as nopass@example.com"));
    assert_eq!(
        client
            .get(app.url("/account/"))
            .send()
            .await
            .unwrap()
            .status(),
        303,
        "not signed in yet"
    );
    let response = use_link(&app, &client, &link).await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/account/");
    assert_eq!(
        client
            .get(app.url("/account/"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );

    // Once only.
    let again = browser();
    assert_eq!(
        again.get(app.url(&link)).send().await.unwrap().status(),
        410
    );
    let token = token_of(&link);
    let response = app
        .submit(
            &again,
            "/account/login",
            "/account/login/link/use",
            &[("token", &token)],
        )
        .await;
    assert_eq!(response.status(), 410);
}

#[tokio::test]
async fn another_browser_is_asked_first_and_unknown_addresses_learn_nothing() {
    let app = spawn_app().await;
    app.user_with_password("member@example.com", Role::Member, PASSWORD);
    let asking = browser();
    let response = ask(&app, &asking, "member@example.com", "/welcome/").await;
    assert_eq!(response.status(), 200);
    let known = response.text().await.unwrap();
    let unknown = ask(&app, &browser(), "nobody@example.com", "")
        .await
        .text()
        .await
        .unwrap();
    let main = |html: &str| text_of(&parse_html(html), "main");
    assert_eq!(main(&known), main(&unknown), "the same answer either way");
    assert!(
        app.outbox()
            .iter()
            .all(|m| m.recipient != "nobody@example.com")
    );

    let link = app.mailed_link("member@example.com", "/account/login/link");
    let elsewhere = browser();
    let page = parse_html(
        &elsewhere
            .get(app.url(&link))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(text_of(&page, "main").contains("asked for in another browser"));
    let response = use_link(&app, &elsewhere, &link).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        location(&response),
        "/account/",
        "elsewhere goes to the account"
    );

    // In the browser that asked, the link goes where it was going.
    ask(&app, &asking, "member@example.com", "/welcome/").await;
    let link = app.mailed_link("member@example.com", "/account/login/link");
    let response = use_link(&app, &asking, &link).await;
    assert_eq!(location(&response), "/welcome/");
}

#[tokio::test]
async fn stale_forged_and_hammered_links_are_refused() {
    let app = spawn_app().await;
    app.user_with_password("member@example.com", Role::Member, PASSWORD);
    let client = browser();
    ask(&app, &client, "member@example.com", "").await;
    let link = app.mailed_link("member@example.com", "/account/login/link");
    app.db
        .run_blocking(|conn| {
            use quire::db::schema::account_tokens;
            diesel::update(account_tokens::table)
                .set(account_tokens::expires_at.eq(now() - chrono::Duration::minutes(1)))
                .execute(conn)
        })
        .unwrap();
    assert_eq!(
        client.get(app.url(&link)).send().await.unwrap().status(),
        410
    );
    assert_eq!(use_link(&app, &client, &link).await.status(), 410);
    for forged in [
        "/account/login/link?token=nothing",
        "/account/login/link?token=",
    ] {
        assert_eq!(
            client.get(app.url(forged)).send().await.unwrap().status(),
            410
        );
    }
    // Asking is limited per account like the other mailed links.
    let mut limited = false;
    for _ in 0..15 {
        if ask(&app, &browser(), "member@example.com", "")
            .await
            .status()
            == 429
        {
            limited = true;
            break;
        }
    }
    assert!(limited, "asking for links again and again is limited");
}
