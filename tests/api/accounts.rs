//! Members' flows end to end: sign up, confirm (following the mailed link), sign in and out,
//! sessions, password changes and resets, email changes, export and deletion.

use quire::domain::users::Role;
use reqwest::StatusCode;

use crate::helpers::{
    PASSWORD, TestApp, attr_of, browser, location, now, parse_html, select, spawn_app, text_of,
};

async fn sign_up(
    app: &TestApp,
    client: &reqwest::Client,
    email: &str,
    name: &str,
) -> reqwest::Response {
    app.submit(
        client,
        "/account/signup",
        "/account/signup",
        &[
            ("email", email),
            ("display_name", name),
            ("password", PASSWORD),
        ],
    )
    .await
}

/// Signs up and confirms in the same browser; returns the signed-in client.
async fn member(app: &TestApp, email: &str) -> reqwest::Client {
    let client = browser();
    sign_up(app, &client, email, "Reader").await;
    let link = app.mailed_link(email, "/account/confirm");
    let response = app
        .submit(
            &client,
            &link,
            "/account/confirm",
            &[("token", token_of(&link))],
        )
        .await;
    assert_eq!(location(&response), "/account/");
    client
}

fn token_of(link: &str) -> &str {
    link.split("token=").nth(1).unwrap()
}

async fn account_page(app: &TestApp, client: &reqwest::Client) -> reqwest::Response {
    client.get(app.url("/account/")).send().await.unwrap()
}

#[tokio::test]
async fn a_reader_signs_up_confirms_signs_out_and_back_in() {
    let app = spawn_app().await;
    let client = browser();
    let response = sign_up(&app, &client, "ada@example.com", "Ada Reader").await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/account/signup/sent");

    // Not usable before confirming.
    let response = app.sign_in(&browser(), "ada@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let link = app.mailed_link("ada@example.com", "/account/confirm");
    // Opening the link changes nothing by itself (mail scanners open links).
    let doc = parse_html(
        &client
            .get(app.url(&link))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(text_of(&doc, "h1"), "Confirm your account");
    assert!(
        select(&doc, "input[name=password]").is_empty(),
        "the browser that signed up is not asked again"
    );
    let response = app
        .submit(
            &client,
            &link,
            "/account/confirm",
            &[("token", token_of(&link))],
        )
        .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/account/");

    let doc = parse_html(&account_page(&app, &client).await.text().await.unwrap());
    assert!(text_of(&doc, "main").contains("Your account is confirmed"));
    assert_eq!(
        attr_of(&doc, "input[name=display_name]", "value"),
        "Ada Reader"
    );

    // The link works once.
    let again = client.get(app.url(&link)).send().await.unwrap();
    assert_eq!(again.status(), StatusCode::GONE);

    let token = app.csrf_token(&client, "/account/").await;
    let response = client
        .post(app.url("/account/logout"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(location(&response), "/");
    let response = account_page(&app, &client).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/account/login?next=%2Faccount%2F");

    let response = app.sign_in(&client, "ADA@example.com", PASSWORD).await;
    assert_eq!(
        location(&response),
        "/account/",
        "members land on their account"
    );
    assert_eq!(account_page(&app, &client).await.status(), StatusCode::OK);
}

#[tokio::test]
async fn confirming_in_another_browser_asks_for_the_password() {
    let app = spawn_app().await;
    sign_up(&app, &browser(), "bo@example.com", "Bo").await;
    let link = app.mailed_link("bo@example.com", "/account/confirm");
    let phone = browser();
    let doc = parse_html(
        &phone
            .get(app.url(&link))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(select(&doc, "input[name=password]").len(), 1);

    let token = token_of(&link);
    let wrong = app
        .submit(
            &phone,
            &link,
            "/account/confirm",
            &[("token", token), ("password", "not the one at all")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let right = app
        .submit(
            &phone,
            &link,
            "/account/confirm",
            &[("token", token), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(location(&right), "/account/");
}

#[tokio::test]
async fn signing_up_with_a_registered_address_reveals_nothing() {
    let app = spawn_app().await;
    app.user_with_password("taken@example.com", Role::Member, PASSWORD);
    let before = app.db.run_blocking(quire::domain::users::count).unwrap();

    let taken = sign_up(&app, &browser(), "Taken@Example.com", "Someone").await;
    let fresh = sign_up(&app, &browser(), "fresh@example.com", "Someone").await;
    assert_eq!(taken.status(), fresh.status());
    assert_eq!(location(&taken), location(&fresh));

    let mail = app
        .outbox()
        .into_iter()
        .find(|m| m.recipient == "taken@example.com")
        .expect("the owner of the address is told");
    assert!(
        mail.subject.contains("tried to sign up"),
        "{}",
        mail.subject
    );
    assert!(!mail.body.contains("/account/confirm"));
    let after = app.db.run_blocking(quire::domain::users::count).unwrap();
    assert_eq!(after, before + 1, "only the fresh address got an account");
}

#[tokio::test]
async fn sign_up_errors_sit_next_to_their_fields_and_keep_what_was_typed() {
    let app = spawn_app().await;
    let client = browser();
    let cases: Vec<(Vec<(&str, String)>, &str)> = vec![
        (vec![], "email"),
        (
            vec![
                ("email", "not an email".into()),
                ("display_name", "Ann".into()),
                ("password", PASSWORD.into()),
            ],
            "email",
        ),
        (
            vec![
                ("email", "a@example.com".into()),
                ("display_name", "x".repeat(1_000_000)),
                ("password", PASSWORD.into()),
            ],
            "display_name",
        ),
        (
            vec![
                ("email", "a@example.com".into()),
                ("display_name", "Ann\u{202E}nimda".into()),
                ("password", PASSWORD.into()),
            ],
            "display_name",
        ),
        (
            vec![
                ("email", "a@example.com".into()),
                ("display_name", "Ann\u{0007}".into()),
                ("password", PASSWORD.into()),
            ],
            "display_name",
        ),
        (
            vec![
                ("email", "a@example.com".into()),
                ("display_name", "Ann".into()),
                ("password", "password1".into()),
            ],
            "password",
        ),
        (
            vec![
                ("email", "a@example.com".into()),
                ("display_name", "Ann".into()),
                ("password", "short".into()),
            ],
            "password",
        ),
        (
            vec![
                ("email", "ann.long@example.com".into()),
                ("display_name", "Ann".into()),
                ("password", "ann.long@example.com".into()),
            ],
            "password",
        ),
        (
            vec![
                ("email", "a@example.com".into()),
                ("display_name", "Ann".into()),
                ("password", "p".repeat(1025)),
            ],
            "password",
        ),
    ];
    for (fields, field) in cases {
        let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        let response = app
            .submit(&client, "/account/signup", "/account/signup", &fields)
            .await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}"
        );
        let doc = parse_html(&response.text().await.unwrap());
        let input = format!("#f-{field}");
        assert_eq!(attr_of(&doc, &input, "aria-invalid"), "true", "{field}");
        let described = attr_of(&doc, &input, "aria-describedby");
        let error_id = format!("{field}-error");
        assert!(
            described.split(' ').any(|id| id == error_id),
            "{field}: {described}"
        );
        assert!(!text_of(&doc, &format!("#{error_id}")).is_empty());
        // What was typed is kept, passwords excepted.
        let email = fields
            .iter()
            .find(|(k, _)| *k == "email")
            .map_or("", |(_, v)| *v);
        assert_eq!(attr_of(&doc, "#f-email", "value"), email);
        assert!(
            select(&doc, "#f-password[value]").is_empty(),
            "passwords are never echoed"
        );
    }
    assert!(app.outbox().is_empty(), "nothing was sent");
    assert_eq!(
        app.db.run_blocking(quire::domain::users::count).unwrap(),
        0,
        "nothing was stored"
    );
}

#[tokio::test]
async fn html_and_sql_looking_names_are_stored_and_shown_literally() {
    let app = spawn_app().await;
    let client = member(&app, "lit@example.com").await;
    let name = "<script>alert(1)</script>'; DROP TABLE users;--";
    let response = app
        .submit(
            &client,
            "/account/",
            "/account/",
            &[
                ("display_name", name),
                ("bio", "<b>bold</b>"),
                ("website", ""),
            ],
        )
        .await;
    assert_eq!(location(&response), "/account/");
    let body = account_page(&app, &client).await.text().await.unwrap();
    assert!(!body.contains("<script>alert(1)"), "escaped on output");
    let doc = parse_html(&body);
    assert_eq!(attr_of(&doc, "#f-display_name", "value"), name);
    assert_eq!(text_of(&doc, "#f-bio"), "<b>bold</b>");
    assert!(
        app.db.run_blocking(quire::domain::users::count).unwrap() >= 1,
        "the table is still there"
    );
}

#[tokio::test]
async fn wrong_password_and_unknown_email_get_the_same_answer() {
    let app = spawn_app().await;
    app.user_with_password("known@example.com", Role::Member, PASSWORD);
    let wrong = app
        .sign_in(&browser(), "known@example.com", "the wrong password")
        .await;
    let unknown = app
        .sign_in(&browser(), "nobody@example.com", PASSWORD)
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(unknown.status(), wrong.status());
    let wrong = parse_html(&wrong.text().await.unwrap());
    let unknown = parse_html(&unknown.text().await.unwrap());
    assert_eq!(
        text_of(&wrong, "#form-problem"),
        text_of(&unknown, "#form-problem")
    );
    assert_eq!(
        attr_of(&wrong, "#f-email", "value"),
        "known@example.com",
        "the email is kept"
    );
}

fn session_cookie(response: &reqwest::Response) -> Option<String> {
    response
        .headers()
        .get_all("set-cookie")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .find(|c| c.starts_with("quire_session=") && !c.starts_with("quire_session=;"))
}

#[tokio::test]
async fn signing_in_renews_the_session_and_remember_me_makes_it_last() {
    let app = spawn_app().await;
    app.user_with_password("rem@example.com", Role::Member, PASSWORD);
    let client = browser();
    let form = client.get(app.url("/account/login")).send().await.unwrap();
    let before = session_cookie(&form).expect("the sign-in form starts a session for its token");
    let doc = parse_html(&form.text().await.unwrap());
    let token = attr_of(&doc, "input[name=csrf_token]", "value");

    let response = client
        .post(app.url("/account/login"))
        .form(&[
            ("email", "rem@example.com"),
            ("password", PASSWORD),
            ("csrf_token", &token),
        ])
        .send()
        .await
        .unwrap();
    let after = session_cookie(&response).expect("a new session cookie");
    assert_ne!(
        before.split(';').next(),
        after.split(';').next(),
        "a new session id"
    );
    assert!(
        !after.to_lowercase().contains("max-age"),
        "a browser-session cookie: {after}"
    );
    assert!(
        after.contains("HttpOnly") && after.contains("SameSite=Lax"),
        "{after}"
    );
    assert!(!after.contains("Secure"), "plain http in tests");

    let remembered = app
        .submit(
            &browser(),
            "/account/login",
            "/account/login",
            &[
                ("email", "rem@example.com"),
                ("password", PASSWORD),
                ("remember", "on"),
            ],
        )
        .await;
    let cookie = session_cookie(&remembered).unwrap();
    assert!(cookie.contains("Max-Age=2592000"), "30 days: {cookie}");
}

#[tokio::test]
async fn a_copied_cookie_is_dead_after_signing_out() {
    let app = spawn_app().await;
    app.user_with_password("copy@example.com", Role::Member, PASSWORD);
    let client = browser();
    let response = app.sign_in(&client, "copy@example.com", PASSWORD).await;
    let cookie = session_cookie(&response).unwrap();
    let pair = cookie.split(';').next().unwrap().to_string();

    let thief = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let stolen = |pair: String| {
        let thief = thief.clone();
        let url = app.url("/account/");
        async move {
            thief
                .get(url)
                .header("cookie", pair)
                .send()
                .await
                .unwrap()
                .status()
        }
    };
    assert_eq!(
        stolen(pair.clone()).await,
        StatusCode::OK,
        "the copy works while the session lives"
    );

    let token = app.csrf_token(&client, "/account/").await;
    client
        .post(app.url("/account/logout"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(
        stolen(pair).await,
        StatusCode::SEE_OTHER,
        "signed out on the server"
    );
}

#[tokio::test]
async fn members_see_and_end_their_sessions() {
    let app = spawn_app().await;
    app.user_with_password("many@example.com", Role::Member, PASSWORD);
    let laptop = browser();
    let phone = browser();
    app.sign_in(&laptop, "many@example.com", PASSWORD).await;
    app.sign_in(&phone, "many@example.com", PASSWORD).await;

    let doc = parse_html(&account_page(&app, &laptop).await.text().await.unwrap());
    let sessions = select(&doc, ".sessions__item");
    assert_eq!(sessions.len(), 2);
    assert_eq!(
        select(&doc, ".sessions__item form").len(),
        1,
        "the current one is marked, not revocable"
    );
    let handle = attr_of(&doc, ".sessions__item input[name=handle]", "value");

    let response = app
        .submit(
            &laptop,
            "/account/",
            "/account/sessions/revoke",
            &[("handle", &handle)],
        )
        .await;
    assert_eq!(location(&response), "/account/");
    assert_eq!(
        account_page(&app, &phone).await.status(),
        StatusCode::SEE_OTHER,
        "the phone is signed out"
    );
    assert_eq!(account_page(&app, &laptop).await.status(), StatusCode::OK);

    app.sign_in(&phone, "many@example.com", PASSWORD).await;
    let response = app
        .submit(&laptop, "/account/", "/account/sessions/revoke-all", &[])
        .await;
    assert_eq!(location(&response), "/account/login");
    assert_eq!(
        account_page(&app, &phone).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        account_page(&app, &laptop).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn changing_the_password_ends_every_other_session() {
    let app = spawn_app().await;
    app.user_with_password("pw@example.com", Role::Member, PASSWORD);
    let here = browser();
    let there = browser();
    app.sign_in(&here, "pw@example.com", PASSWORD).await;
    app.sign_in(&there, "pw@example.com", PASSWORD).await;

    let wrong = app
        .submit(
            &here,
            "/account/",
            "/account/password",
            &[
                ("current_password", "not my password"),
                ("new_password", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let doc = parse_html(&wrong.text().await.unwrap());
    assert!(!text_of(&doc, "#current_password-error").is_empty());

    let response = app
        .submit(
            &here,
            "/account/",
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new secret"),
            ],
        )
        .await;
    assert_eq!(location(&response), "/account/");
    assert_eq!(
        account_page(&app, &here).await.status(),
        StatusCode::OK,
        "this session stays"
    );
    assert_eq!(
        account_page(&app, &there).await.status(),
        StatusCode::SEE_OTHER,
        "others end"
    );
    assert_eq!(
        app.sign_in(&browser(), "pw@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
    assert_eq!(
        app.sign_in(&browser(), "pw@example.com", "a brand new secret")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn a_password_reset_works_once_within_the_hour_and_ends_all_sessions() {
    let app = spawn_app().await;
    let signed_in = app.signed_in_as("reset@example.com", Role::Member).await;

    let known = app
        .submit(
            &browser(),
            "/account/reset",
            "/account/reset",
            &[("email", "reset@example.com")],
        )
        .await;
    let unknown = app
        .submit(
            &browser(),
            "/account/reset",
            "/account/reset",
            &[("email", "ghost@example.com")],
        )
        .await;
    assert_eq!(known.status(), unknown.status());
    let known = parse_html(&known.text().await.unwrap());
    let unknown = parse_html(&unknown.text().await.unwrap());
    assert_eq!(
        text_of(&known, "main"),
        text_of(&unknown, "main"),
        "the same answer either way"
    );
    assert_eq!(app.outbox().len(), 1, "only the real account gets mail");

    let link = app.mailed_link("reset@example.com", "/account/reset/new");
    let token = token_of(&link).to_string();
    let client = browser();
    let weak = app
        .submit(
            &client,
            &link,
            "/account/reset/new",
            &[("token", &token), ("password", "12345678")],
        )
        .await;
    assert_eq!(weak.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = app
        .submit(
            &client,
            &link,
            "/account/reset/new",
            &[("token", &token), ("password", "a fresh passphrase")],
        )
        .await;
    assert_eq!(location(&response), "/account/login");
    assert_eq!(
        account_page(&app, &signed_in).await.status(),
        StatusCode::SEE_OTHER,
        "all sessions ended"
    );
    assert_eq!(
        app.sign_in(&browser(), "reset@example.com", "a fresh passphrase")
            .await
            .status(),
        StatusCode::SEE_OTHER
    );

    // Replayed: the token was used.
    let replay = client.get(app.url(&link)).send().await.unwrap();
    assert_eq!(replay.status(), StatusCode::GONE);

    // Expired: an hour later the link is dead.
    app.submit(
        &browser(),
        "/account/reset",
        "/account/reset",
        &[("email", "reset@example.com")],
    )
    .await;
    let link = app.mailed_link("reset@example.com", "/account/reset/new");
    app.db
        .run_blocking(|conn| {
            use diesel::prelude::*;
            use quire::db::schema::account_tokens::dsl::*;
            diesel::update(account_tokens)
                .set(expires_at.eq(now() - chrono::Duration::minutes(1)))
                .execute(conn)
        })
        .unwrap();
    assert_eq!(
        browser().get(app.url(&link)).send().await.unwrap().status(),
        StatusCode::GONE
    );
    let late = app
        .submit(
            &browser(),
            "/account/reset",
            "/account/reset/new",
            &[
                ("token", token_of(&link)),
                ("password", "another good secret"),
            ],
        )
        .await;
    assert_eq!(late.status(), StatusCode::GONE);
}

#[tokio::test]
async fn changing_the_email_waits_for_the_new_address_to_confirm() {
    let app = spawn_app().await;
    let client = member(&app, "old@example.com").await;
    let no_password = app
        .submit(
            &client,
            "/account/",
            "/account/email",
            &[("new_email", "new@example.com"), ("email_password", "")],
        )
        .await;
    assert_eq!(no_password.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let response = app
        .submit(
            &client,
            "/account/",
            "/account/email",
            &[
                ("new_email", "new@example.com"),
                ("email_password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(location(&response), "/account/");
    assert!(
        app.outbox()
            .iter()
            .any(|m| m.recipient == "old@example.com" && m.subject.contains("being changed"))
    );
    let doc = parse_html(&account_page(&app, &client).await.text().await.unwrap());
    assert!(
        text_of(&doc, "main").contains("old@example.com"),
        "not changed yet"
    );

    let link = app.mailed_link("new@example.com", "/account/email/confirm");
    let response = app
        .submit(
            &client,
            &link,
            "/account/email/confirm",
            &[("token", token_of(&link))],
        )
        .await;
    assert_eq!(location(&response), "/account/");
    let doc = parse_html(&account_page(&app, &client).await.text().await.unwrap());
    assert!(text_of(&doc, "main").contains("new@example.com"));
    assert_eq!(
        app.sign_in(&browser(), "new@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn members_download_their_data_and_delete_their_account() {
    let app = spawn_app().await;
    app.has_an_owner();
    let client = member(&app, "leaving@example.com").await;
    let export = client.get(app.url("/account/export")).send().await.unwrap();
    assert_eq!(export.status(), StatusCode::OK);
    assert!(
        export.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .starts_with("attachment")
    );
    let data: serde_json::Value = export.json().await.unwrap();
    assert_eq!(data["account"]["email"], "leaving@example.com");
    assert_eq!(data["sessions"].as_array().unwrap().len(), 1);
    assert!(data["comments"].as_array().unwrap().is_empty());

    let wrong = app
        .submit(
            &client,
            "/account/delete",
            "/account/delete",
            &[("password", "not my password")],
        )
        .await;
    assert_eq!(wrong.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let response = app
        .submit(
            &client,
            "/account/delete",
            "/account/delete",
            &[("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        app.db.run_blocking(quire::domain::users::count).unwrap(),
        1,
        "only the owner is left"
    );
    assert_eq!(
        account_page(&app, &client).await.status(),
        StatusCode::SEE_OTHER
    );
    assert_eq!(
        app.sign_in(&browser(), "leaving@example.com", PASSWORD)
            .await
            .status(),
        StatusCode::UNPROCESSABLE_ENTITY
    );
}

#[tokio::test]
async fn profile_errors_are_shown_beside_the_field() {
    let app = spawn_app().await;
    let client = member(&app, "prof@example.com").await;
    let response = app
        .submit(
            &client,
            "/account/",
            "/account/",
            &[
                ("display_name", "Prof"),
                ("bio", ""),
                ("website", "javascript:alert(1)"),
            ],
        )
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let doc = parse_html(&response.text().await.unwrap());
    assert!(!text_of(&doc, "#website-error").is_empty());
    assert_eq!(
        attr_of(&doc, "#f-website", "value"),
        "javascript:alert(1)",
        "kept to be corrected"
    );
}

/// The signed-in session rows, as (idle expiry, absolute expiry, created).
fn session_times(
    app: &TestApp,
) -> Vec<(
    chrono::NaiveDateTime,
    chrono::NaiveDateTime,
    chrono::NaiveDateTime,
)> {
    app.db
        .run_blocking(|conn| {
            use diesel::prelude::*;
            use quire::db::schema::sessions::dsl::*;
            sessions
                .filter(user_id.is_not_null())
                .select((idle_expires_at, expires_at, created_at))
                .load(conn)
        })
        .unwrap()
}

/// Moves every signed-in session's expiry (idle or absolute) to a minute ago.
fn expire(app: &TestApp, idle: bool) {
    app.db
        .run_blocking(move |conn| {
            use diesel::prelude::*;
            use quire::db::schema::sessions::dsl::*;
            let past = now() - chrono::Duration::minutes(1);
            let signed_in = sessions.filter(user_id.is_not_null());
            if idle {
                diesel::update(signed_in)
                    .set(idle_expires_at.eq(past))
                    .execute(conn)
            } else {
                diesel::update(signed_in)
                    .set(expires_at.eq(past))
                    .execute(conn)
            }
        })
        .unwrap();
}

#[tokio::test]
async fn a_session_ends_when_idle_and_at_its_absolute_limit_however_busy() {
    let app = spawn_app().await;
    let client = app.signed_in_as("busy@example.com", Role::Member).await;
    let [(idle, absolute, created)] = session_times(&app)[..] else {
        panic!("one session")
    };
    // Without "remember me": twelve hours idle, a week at most.
    let hours = |from: chrono::NaiveDateTime, to: chrono::NaiveDateTime| {
        (to - from).num_minutes() as f64 / 60.0
    };
    assert!((hours(created, idle) - 12.0).abs() < 0.1, "idle {idle}");
    assert!(
        (hours(created, absolute) - 168.0).abs() < 0.1,
        "absolute {absolute}"
    );

    // Use renews the idle limit (once "last seen" is a minute old: it is written at most
    // once a minute), never the absolute one.
    seen_ago(&app, chrono::Duration::minutes(2));
    assert_eq!(account_page(&app, &client).await.status(), StatusCode::OK);
    let [(idle_after, absolute_after, _)] = session_times(&app)[..] else {
        panic!("one session")
    };
    assert!(idle_after > idle, "used, so renewed");
    assert_eq!(absolute_after, absolute, "the absolute limit stays");

    // Past the absolute limit, a session in use every minute still ends.
    expire(&app, false);
    assert_eq!(
        account_page(&app, &client).await.status(),
        StatusCode::SEE_OTHER
    );
    assert!(
        session_times(&app).iter().all(|(_, at, _)| *at < now()),
        "not revived"
    );

    // And one left idle ends although its absolute limit is far off.
    let other = app.signed_in_as("idle@example.com", Role::Member).await;
    assert_eq!(account_page(&app, &other).await.status(), StatusCode::OK);
    expire(&app, true);
    assert_eq!(
        account_page(&app, &other).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn expired_sessions_are_purged() {
    let app = spawn_app().await;
    let client = app.signed_in_as("old@example.com", Role::Member).await;
    let purged = app
        .db
        .run_blocking(|conn| {
            quire::domain::sessions::purge_expired(conn, now() + chrono::Duration::days(31))
        })
        .unwrap();
    assert!(purged >= 1);
    assert_eq!(
        account_page(&app, &client).await.status(),
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn members_coming_and_going_leave_the_public_site_unchanged() {
    let app = spawn_app().await;
    let last_modified = |response: reqwest::Response| {
        response.headers()["last-modified"]
            .to_str()
            .unwrap()
            .to_string()
    };
    let before = last_modified(app.get("/").await);
    // Last-Modified has one-second resolution: give a change the chance to show.
    tokio::time::sleep(std::time::Duration::from_millis(1100)).await;
    let client = member(&app, "quiet@example.com").await;
    let response = app
        .submit(
            &client,
            "/account/",
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "another quiet secret"),
            ],
        )
        .await;
    assert_eq!(location(&response), "/account/");
    assert_eq!(last_modified(app.get("/").await), before);
}

/// Sets every signed-in session's "last seen" to `ago` before now; returns the new value
/// as stored (PostgreSQL keeps microseconds only).
fn seen_ago(app: &TestApp, ago: chrono::Duration) -> chrono::NaiveDateTime {
    let at = now() - ago;
    app.db
        .run_blocking(move |conn| {
            use diesel::prelude::*;
            use quire::db::schema::sessions::dsl::*;
            diesel::update(sessions.filter(user_id.is_not_null()))
                .set(last_seen_at.eq(at))
                .execute(conn)
        })
        .unwrap();
    last_seen(app)
}

fn last_seen(app: &TestApp) -> chrono::NaiveDateTime {
    app.db
        .run_blocking(|conn| {
            use diesel::prelude::*;
            use quire::db::schema::sessions::dsl::*;
            sessions
                .filter(user_id.is_not_null())
                .select(last_seen_at)
                .first(conn)
        })
        .unwrap()
}

/// "Last seen" is written at most once a minute, however many pages a reader opens, and
/// again as soon as a minute has passed since the one the database holds.
#[tokio::test]
async fn last_seen_is_written_once_a_minute_at_most() {
    let app = spawn_app().await;
    let client = app.signed_in_as("reader@example.com", Role::Member).await;
    // A first page may change the session itself (its form token), which writes it whole.
    client.get(app.url("/welcome/")).send().await.unwrap();
    let recent = seen_ago(&app, chrono::Duration::seconds(20));
    for _ in 0..3 {
        let page = client.get(app.url("/welcome/")).send().await.unwrap();
        assert_eq!(page.status(), StatusCode::OK);
    }
    assert_eq!(last_seen(&app), recent, "seen 20 s ago: nothing written");
    let old = seen_ago(&app, chrono::Duration::minutes(2));
    let page = client.get(app.url("/welcome/")).send().await.unwrap();
    assert_eq!(page.status(), StatusCode::OK);
    let written = last_seen(&app);
    assert!(
        written > old + chrono::Duration::seconds(100),
        "written now: {written}"
    );
    // Once written, the next pages write nothing until a minute has passed.
    client.get(app.url("/welcome/")).send().await.unwrap();
    assert_eq!(last_seen(&app), written);
}
