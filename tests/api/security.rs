//! The security model from the outside: CSRF, origins, rate limits, headers, cookies and
//! redirects.

use quire::domain::users::Role;
use reqwest::StatusCode;

use crate::helpers::{PASSWORD, browser, location, parse_html, spawn_app, spawn_app_with, text_of};

#[tokio::test]
async fn forms_without_a_valid_csrf_token_are_refused() {
    let app = spawn_app().await;
    app.user_with_password("csrf@example.com", Role::Member, PASSWORD);
    let client = browser();
    let _ = app.csrf_token(&client, "/account/login").await;
    for token in [None, Some("forged"), Some("")] {
        let mut form = vec![("email", "csrf@example.com"), ("password", PASSWORD)];
        if let Some(token) = token {
            form.push(("csrf_token", token));
        }
        let response = client
            .post(app.url("/account/login"))
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{token:?}");
        let doc = parse_html(&response.text().await.unwrap());
        assert!(text_of(&doc, "main").contains("expired"));
    }
    // A token from another browser's session is no good either.
    let other = app.csrf_token(&browser(), "/account/login").await;
    let response = client
        .post(app.url("/account/login"))
        .form(&[
            ("email", "csrf@example.com"),
            ("password", PASSWORD),
            ("csrf_token", &other),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // Signed-in forms too.
    app.sign_in(&client, "csrf@example.com", PASSWORD).await;
    let response = client
        .post(app.url("/account/logout"))
        .form(&[("csrf_token", "forged")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        client
            .get(app.url("/account/"))
            .send()
            .await
            .unwrap()
            .status(),
        StatusCode::OK,
        "still signed in"
    );
}

#[tokio::test]
async fn cross_site_posts_are_refused_even_with_a_token() {
    let app = spawn_app().await;
    let client = browser();
    let token = app.csrf_token(&client, "/account/signup").await;
    let form = [
        ("email", "x@example.com"),
        ("display_name", "X"),
        ("password", PASSWORD),
        ("csrf_token", &token),
    ];
    for (name, value) in [
        ("origin", "https://evil.example"),
        ("origin", "null"),
        ("sec-fetch-site", "cross-site"),
        ("sec-fetch-site", "same-site"),
    ] {
        let response = client
            .post(app.url("/account/signup"))
            .header(name, value)
            .form(&form)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{name}: {value}");
        // The refusal is the site's error page, not a bare line of text.
        assert!(
            response.headers()["content-type"]
                .to_str()
                .unwrap()
                .starts_with("text/html"),
            "{name}: {value}"
        );
        let doc = crate::helpers::parse_html(&response.text().await.unwrap());
        assert_eq!(crate::helpers::text_of(&doc, "h1"), "Not allowed");
    }
    let response = client
        .post(app.url("/account/signup"))
        .header("origin", app.base.as_str())
        .header("sec-fetch-site", "same-origin")
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "same origin is fine"
    );
}

#[tokio::test]
async fn next_only_leads_to_local_paths() {
    let app = spawn_app().await;
    app.user_with_password("next@example.com", Role::Member, PASSWORD);
    for (next, expected) in [
        ("//evil.example", "/account/"),
        ("https://evil.example", "/account/"),
        ("/\\evil.example", "/account/"),
        ("/account/export", "/account/export"),
    ] {
        let response = app
            .submit(
                &browser(),
                "/account/login",
                "/account/login",
                &[
                    ("email", "next@example.com"),
                    ("password", PASSWORD),
                    ("next", next),
                ],
            )
            .await;
        assert_eq!(location(&response), expected, "{next}");
    }
    // The sign-in page does not even carry a foreign `next` in its form.
    let doc = app
        .page("/account/login?next=%2F%2Fevil.example", 200)
        .await;
    assert!(crate::helpers::select(&doc, "input[name=next]").is_empty());
}

#[tokio::test]
async fn login_bursts_are_limited_with_a_friendly_429() {
    let app = spawn_app_with(|config| {
        config.rate_limit_ip = quire::config::RateLimit::per_minutes(100, 10);
        config.rate_limit_account = quire::config::RateLimit::per_minutes(3, 10);
    })
    .await;
    app.has_an_owner();
    let client = browser();
    for _ in 0..3 {
        let response = app
            .sign_in(&client, "victim@example.com", "guess guess guess")
            .await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    }
    let response = app
        .sign_in(&client, "Victim@example.com", "guess guess guess")
        .await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=600).contains(&wait), "{wait}");
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/html")
    );
    let doc = parse_html(&response.text().await.unwrap());
    assert!(text_of(&doc, "h1").contains("Too many"));

    // Another account from the same address is still fine (the per-address limit is higher).
    let other = app
        .sign_in(&client, "other@example.com", "guess guess guess")
        .await;
    assert_eq!(other.status(), StatusCode::UNPROCESSABLE_ENTITY);
}

#[tokio::test]
async fn sign_up_reset_and_resend_are_limited_per_address() {
    let app = spawn_app_with(|config| {
        config.rate_limit_ip = quire::config::RateLimit::per_minutes(2, 10);
    })
    .await;
    for (page, action, fields) in [
        (
            "/account/signup",
            "/account/signup",
            vec![
                ("email", "s@example.com"),
                ("display_name", "S"),
                ("password", "x"),
            ],
        ),
        (
            "/account/reset",
            "/account/reset",
            vec![("email", "r@example.com")],
        ),
        (
            "/account/signup/sent",
            "/account/confirm/resend",
            vec![("email", "r@example.com")],
        ),
    ] {
        let client = browser();
        let mut statuses = Vec::new();
        for _ in 0..3 {
            statuses.push(app.submit(&client, page, action, &fields).await.status());
        }
        assert_ne!(statuses[1], StatusCode::TOO_MANY_REQUESTS, "{action}");
        assert_eq!(statuses[2], StatusCode::TOO_MANY_REQUESTS, "{action}");
    }
}

fn assert_security_headers(response: &reqwest::Response, path: &str) {
    let headers = response.headers();
    let csp = headers["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{path}: {csp}"
    );
    assert!(csp.contains("frame-ancestors 'none'"), "{path}");
    assert_eq!(headers["x-content-type-options"], "nosniff", "{path}");
    assert!(headers.contains_key("referrer-policy"), "{path}");
    assert!(headers.contains_key("permissions-policy"), "{path}");
}

#[tokio::test]
async fn every_kind_of_response_carries_the_security_headers() {
    let app = spawn_app().await;
    let client = app.signed_in_as("head@example.com", Role::Owner).await;
    for path in [
        "/",
        "/welcome/",
        "/account/login",
        "/account/",
        "/admin",
        "/admin/staff",
        "/nowhere/",
    ] {
        let response = client.get(app.url(path)).send().await.unwrap();
        assert_security_headers(&response, path);
    }
    assert!(
        !browser()
            .get(app.url("/"))
            .send()
            .await
            .unwrap()
            .headers()
            .contains_key("strict-transport-security")
    );
}

#[tokio::test]
async fn https_sites_get_hsts_and_secure_cookies() {
    let app = spawn_app_with(|config| config.base_url = "https://quire.example".into()).await;
    app.has_an_owner();
    let response = browser()
        .get(app.url("/account/login"))
        .send()
        .await
        .unwrap();
    assert!(
        response.headers()["strict-transport-security"]
            .to_str()
            .unwrap()
            .contains("max-age=")
    );
    let cookie = response.headers()["set-cookie"].to_str().unwrap();
    assert!(
        cookie.contains("Secure") && cookie.contains("HttpOnly"),
        "{cookie}"
    );
}

#[tokio::test]
async fn anonymous_readers_get_no_cookie() {
    let app = spawn_app().await;
    let client = browser();
    for path in [
        "/",
        "/welcome/",
        "/rss/",
        "/sitemap.xml",
        "/robots.txt",
        "/nowhere/",
    ] {
        let response = client.get(app.url(path)).send().await.unwrap();
        assert!(!response.headers().contains_key("set-cookie"), "{path}");
    }
}

#[tokio::test]
async fn a_member_opening_the_admin_is_refused() {
    let app = spawn_app().await;
    let client = app.signed_in_as("member@example.com", Role::Member).await;
    for path in ["/admin", "/admin/staff"] {
        let response = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{path}");
    }
    let response = app
        .submit(
            &client,
            "/account/",
            "/admin/staff/invite",
            &[("email", "x@example.com"), ("role", "admin")],
        )
        .await;
    assert_eq!(
        response.status(),
        StatusCode::FORBIDDEN,
        "a forged form is refused too"
    );
    assert!(app.outbox().is_empty());
}
