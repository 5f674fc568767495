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
