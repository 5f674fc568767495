//! The findings of an attacker's probe, each reproduced and shown refused: account takeover
//! through the people page, revived sessions, rate limits dodged with another spelling of an
//! address, decompression bombs, NUL bytes, unlimited re-authentication and empty 500s.

use quire::domain::users::Role;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, TestApp, browser, location, spawn_app, spawn_app_with};

async fn account_status(app: &TestApp, client: &reqwest::Client) -> StatusCode {
    client
        .get(app.url("/account/"))
        .send()
        .await
        .unwrap()
        .status()
}

// ---- Sessions ended while their requests are under way stay ended ----

#[tokio::test]
async fn a_session_ended_during_its_requests_stays_dead() {
    // Twenty sign-ins to one account from one address: more than the limit allows.
    let app = spawn_app_with(|config| {
        config.rate_limit_account = quire::config::RateLimit::per_minutes(100, 10);
    })
    .await;
    app.user_with_password("victim@example.com", Role::Editor, PASSWORD);
    let victim = browser();
    app.sign_in(&victim, "victim@example.com", PASSWORD).await;
    // Each round: a thief holding a second session of the account keeps requests that
    // change its session in flight while the victim signs out everywhere.
    for round in 0..10 {
        let thief = browser();
        let signed_in = app.sign_in(&thief, "victim@example.com", PASSWORD).await;
        assert_eq!(signed_in.status(), StatusCode::SEE_OTHER, "round {round}");
        let token = app.csrf_token(&thief, "/account/").await;
        let requests: Vec<_> = (0..12)
            .map(|i| {
                let (thief, url, token) = (thief.clone(), app.url("/account/"), token.clone());
                tokio::spawn(async move {
                    let name = format!("Thief {i}");
                    thief
                        .post(url)
                        .form(&[
                            ("display_name", name.as_str()),
                            ("bio", ""),
                            ("website", ""),
                            ("csrf_token", token.as_str()),
                        ])
                        .send()
                        .await
                        .map(|r| r.status())
                })
            })
            .collect();
        tokio::task::yield_now().await;
        let revoke_token = app.csrf_token(&victim, "/account/").await;
        let revoked = victim
            .post(app.url("/account/sessions/revoke-all"))
            .form(&[("csrf_token", revoke_token.as_str())])
            .send()
            .await
            .unwrap();
        assert_eq!(location(&revoked), "/account/login");
        for request in requests {
            let _ = request.await.unwrap();
        }
        // Whatever cookie the thief's jar holds now, it opens nothing.
        assert_eq!(
            account_status(&app, &thief).await,
            StatusCode::SEE_OTHER,
            "round {round}: the thief's session came back"
        );
        let again = app.sign_in(&victim, "victim@example.com", PASSWORD).await;
        assert_eq!(again.status(), StatusCode::SEE_OTHER);
    }
}

#[tokio::test]
async fn a_session_from_before_the_account_ended_its_sessions_is_refused() {
    let app = spawn_app().await;
    let user = app.user_with_password("epoch@example.com", Role::Member, PASSWORD);
    let client = browser();
    app.sign_in(&client, "epoch@example.com", PASSWORD).await;
    assert_eq!(account_status(&app, &client).await, StatusCode::OK);
    // The session's row survives (as it would if it had been written back by a request in
    // flight), but the account has moved on.
    app.db
        .run_blocking(|conn| {
            use diesel::prelude::*;
            use quire::db::schema::users;
            diesel::update(users::table.find(user.id))
                .set(users::session_epoch.eq(users::session_epoch + 1))
                .execute(conn)
        })
        .unwrap();
    assert_eq!(account_status(&app, &client).await, StatusCode::SEE_OTHER);
}

// ---- Rate limits count the account, however its address is written ----

/// A browser whose requests come from `ip` (any address of the loopback range).
fn browser_from(ip: &str) -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .cookie_store(true)
        .local_address(ip.parse::<std::net::IpAddr>().unwrap())
        .build()
        .unwrap()
}

#[tokio::test]
async fn respelling_an_address_does_not_escape_the_account_limit() {
    let app = spawn_app().await;
    app.user_with_password("owner@example.com", Role::Owner, PASSWORD);
    let attacker = browser_from("127.0.0.2");
    let spellings = [
        "owner@example.com",
        "OWNER@example.com",
        "Owner@EXAMPLE.COM",
        " owner@example.com ",
        "x <owner@example.com>",
    ];
    let mut refused = 0;
    for guess in 0..25 {
        let email = spellings[guess % spellings.len()];
        let response = app
            .submit(
                &attacker,
                "/account/login",
                "/account/login",
                &[("email", email), ("password", "guess")],
            )
            .await;
        if response.status() == StatusCode::TOO_MANY_REQUESTS {
            refused += 1;
        } else {
            assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        }
    }
    // Ten guesses at most reach the account; the display-name spelling reaches none.
    assert!(refused >= 10, "only {refused} of 25 guesses were refused");
    // The owner, from their own address, signs in all the same.
    let owner = browser_from("127.0.0.3");
    let response = app.sign_in(&owner, "owner@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

#[tokio::test]
async fn display_names_are_not_addresses() {
    let app = spawn_app().await;
    app.user_with_password("owner@example.com", Role::Owner, PASSWORD);
    let response = app
        .sign_in(&browser(), "x <owner@example.com>", PASSWORD)
        .await;
    assert_eq!(
        response.status(),
        StatusCode::UNPROCESSABLE_ENTITY,
        "not the owner's account"
    );
    let signup = app
        .submit(
            &browser(),
            "/account/signup",
            "/account/signup",
            &[
                ("email", "Someone <someone@example.com>"),
                ("display_name", "Someone"),
                ("password", PASSWORD),
            ],
        )
        .await;
    assert_eq!(signup.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let doc = crate::helpers::parse_html(&signup.text().await.unwrap());
    assert!(!crate::helpers::text_of(&doc, "#email-error").is_empty());
}

#[tokio::test]
async fn reset_mail_to_one_member_is_limited_however_it_is_asked_for() {
    let app = spawn_app().await;
    app.user_with_password("member@example.com", Role::Member, PASSWORD);
    for i in 0..25 {
        let email = match i % 3 {
            0 => "member@example.com".to_string(),
            1 => "MEMBER@example.com".to_string(),
            // Each a different text naming the same mailbox.
            _ => format!("reader {i} <member@example.com>"),
        };
        // From several addresses: the limit is the mailbox's.
        let client = browser_from(&format!("127.0.1.{}", i % 5 + 1));
        let _ = app
            .submit(
                &client,
                "/account/reset",
                "/account/reset",
                &[("email", &email)],
            )
            .await;
    }
    let mails = app
        .outbox()
        .into_iter()
        .filter(|m| m.recipient == "member@example.com")
        .count();
    assert_eq!(mails, 10, "ten reset mails, then the limit");
    assert_eq!(
        app.outbox().len(),
        10,
        "and no mail to a display name's address"
    );
}

#[tokio::test]
async fn re_entering_a_password_is_rate_limited() {
    let app = spawn_app().await;
    let client = app.signed_in_as("stolen@example.com", Role::Member).await;
    let mut statuses = Vec::new();
    for guess in 0..15 {
        let wrong = format!("wrong guess {guess}");
        let (path, fields): (&str, Vec<(&str, &str)>) = match guess % 3 {
            0 => (
                "/account/password",
                vec![
                    ("current_password", wrong.as_str()),
                    ("new_password", "a brand new secret"),
                ],
            ),
            1 => (
                "/account/email",
                vec![
                    ("new_email", "thief@example.com"),
                    ("email_password", wrong.as_str()),
                ],
            ),
            _ => ("/account/delete", vec![("password", wrong.as_str())]),
        };
        let page = if path == "/account/delete" {
            "/account/delete"
        } else {
            "/account/"
        };
        statuses.push(app.submit(&client, page, path, &fields).await.status());
    }
    let refused = statuses
        .iter()
        .filter(|s| **s == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert_eq!(refused, 5, "ten checks, then refusals: {statuses:?}");
    assert!(
        statuses[..10]
            .iter()
            .all(|s| *s == StatusCode::UNPROCESSABLE_ENTITY),
        "{statuses:?}"
    );
}

// ---- Errors are always pages; a busy database is a 503 ----

/// Holds the sessions table locked against writers for `seconds` on another connection.
fn lock_sessions_for(app: &TestApp, seconds: u64) -> std::thread::JoinHandle<()> {
    use diesel::connection::SimpleConnection;
    let db = app.db.clone();
    let (locked, ready) = std::sync::mpsc::channel();
    let holder = std::thread::spawn(move || {
        db.run_blocking(|conn| {
            let lock = match conn {
                quire::db::DbConn::Sqlite(_) => "BEGIN EXCLUSIVE",
                quire::db::DbConn::Postgresql(_) => {
                    "BEGIN; LOCK TABLE sessions IN ACCESS EXCLUSIVE MODE"
                }
            };
            conn.batch_execute(lock)?;
            locked.send(()).unwrap();
            std::thread::sleep(std::time::Duration::from_secs(seconds));
            conn.batch_execute("ROLLBACK")
        })
        .unwrap();
    });
    ready.recv().unwrap();
    holder
}

#[tokio::test]
async fn a_session_that_cannot_be_written_gets_a_503_page_not_an_empty_500() {
    let app = spawn_app().await;
    app.user_with_password("busy@example.com", Role::Member, PASSWORD);
    let client = browser();
    let token = app.csrf_token(&client, "/account/login").await;
    let holder = lock_sessions_for(&app, 7);
    let response = client
        .post(app.url("/account/login"))
        .form(&[
            ("email", "busy@example.com"),
            ("password", PASSWORD),
            ("csrf_token", token.as_str()),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(response.headers().contains_key("retry-after"));
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let doc = crate::helpers::parse_html(&response.text().await.unwrap());
    assert_eq!(
        crate::helpers::text_of(&doc, "h1"),
        "Temporarily unavailable"
    );
    assert!(
        doc.root_element()
            .text()
            .collect::<String>()
            .contains(&request_id),
        "the page gives the reference of the logged failure"
    );
    tokio::task::spawn_blocking(move || holder.join().unwrap())
        .await
        .unwrap();
    // Once the database is free again, the same sign-in works.
    let response = app.sign_in(&browser(), "busy@example.com", PASSWORD).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
}

// ---- Paths out of /static/ and /media/, sent as written ----

#[tokio::test]
async fn dot_dot_paths_reach_nothing_outside_static_and_media() {
    let app = spawn_app().await;
    let secret = std::fs::read(app.data_dir().join("secret.key")).unwrap();
    let manifest = b"[package]";
    for path in [
        &b"/static/../../Cargo.toml"[..],
        b"/static/..%2f..%2fCargo.toml",
        b"/static/%2e%2e/%2e%2e/Cargo.toml",
        b"/static/%2E%2E%2F%2E%2E%2FCargo.toml",
        b"/static/..%5c..%5cCargo.toml",
        b"/static/....//....//Cargo.toml",
        b"/media/../secret.key",
        b"/media/..%2fsecret.key",
        b"/media/%2e%2e/secret.key",
        b"/media/%2e%2e%2fsecret.key",
        b"/media/..%5csecret.key",
        b"/media/.%2e/quire.db",
        b"/media//../secret.key",
    ] {
        let (status, body) = app.raw_get(path).await;
        let shown = String::from_utf8_lossy(path);
        assert!((400..500).contains(&status), "{shown} answered {status}");
        assert!(
            !body.windows(secret.len()).any(|w| w == secret.as_slice()),
            "{shown} leaked the secret key"
        );
        assert!(
            !body.windows(manifest.len()).any(|w| w == manifest),
            "{shown} leaked the manifest"
        );
        assert!(
            !body.starts_with(b"SQLite format"),
            "{shown} leaked the database"
        );
    }
}
