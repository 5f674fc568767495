//! Two-factor sign-in: enrolling an app, the step after the password and after a mailed
//! link, codes used once, recovery codes, turning it off, and staff required to have it.

use quire::domain::users::Role;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::helpers::*;

/// The code an app holding `secret` shows at `steps` steps from now.
fn code(secret: &str, steps: i64) -> String {
    let totp = TOTP::new(
        Algorithm::SHA1,
        6,
        1,
        30,
        Secret::Encoded(secret.to_string()).to_bytes().unwrap(),
        Some("test".into()),
        "test".into(),
    )
    .unwrap();
    let now = chrono::Utc::now().timestamp() + steps * 30;
    totp.generate(now as u64)
}

async fn html(client: &reqwest::Client, url: String) -> (u16, scraper::Html) {
    let response = client.get(url).send().await.unwrap();
    let status = response.status().as_u16();
    (status, parse_html(&response.text().await.unwrap()))
}

/// Turns two-factor sign-in on for the signed-in `client`; returns the secret and codes.
async fn enrol(app: &TestApp, client: &reqwest::Client) -> (String, Vec<String>) {
    let (status, page) = html(client, app.url("/account/two-factor")).await;
    assert_eq!(status, 200);
    assert!(
        !select(&page, ".qr svg").is_empty(),
        "a QR code drawn on the server"
    );
    let secret = text_of(&page, "code.secret");
    let response = app
        .submit(
            client,
            "/account/two-factor",
            "/account/two-factor/enable",
            &[("code", &code(&secret, 0))],
        )
        .await;
    assert_eq!(response.status(), 200);
    let page = parse_html(&response.text().await.unwrap());
    let codes: Vec<String> = select(&page, ".recovery-codes code")
        .iter()
        .map(|c| c.text().collect())
        .collect();
    assert_eq!(codes.len(), 10);
    (secret, codes)
}

async fn second_step(app: &TestApp, client: &reqwest::Client, code: &str) -> reqwest::Response {
    app.submit(
        client,
        "/account/login/two-factor",
        "/account/login/two-factor",
        &[("code", code)],
    )
    .await
}

#[tokio::test]
async fn a_second_factor_is_asked_after_the_password_and_each_code_works_once() {
    let app = spawn_app().await;
    let member = app.signed_in_as("two@example.com", Role::Member).await;
    // A wrong code does not turn it on.
    let response = app
        .submit(
            &member,
            "/account/two-factor",
            "/account/two-factor/enable",
            &[("code", "000000")],
        )
        .await;
    assert_eq!(response.status(), 422);
    let (secret, recovery) = enrol(&app, &member).await;

    // The password alone is not enough now.
    let client = browser();
    let response = app.sign_in(&client, "two@example.com", PASSWORD).await;
    assert_eq!(location(&response), "/account/login/two-factor");
    assert_eq!(
        client
            .get(app.url("/account/"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    assert_eq!(second_step(&app, &client, "123456").await.status(), 422);
    // The code that turned it on is spent; the next one works.
    assert_eq!(
        second_step(&app, &client, &code(&secret, 0)).await.status(),
        422
    );
    let response = second_step(&app, &client, &code(&secret, 1)).await;
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

    // A recovery code works once.
    let other = browser();
    app.sign_in(&other, "two@example.com", PASSWORD).await;
    assert_eq!(second_step(&app, &other, &recovery[0]).await.status(), 303);
    let third = browser();
    app.sign_in(&third, "two@example.com", PASSWORD).await;
    assert_eq!(second_step(&app, &third, &recovery[0]).await.status(), 422);

    // A mailed sign-in link stands for the password, not for the second factor.
    let by_link = browser();
    app.submit(
        &by_link,
        "/account/login/link/new",
        "/account/login/link",
        &[("email", "two@example.com")],
    )
    .await;
    let link = app.mailed_link("two@example.com", "/account/login/link");
    let token = link.split("token=").nth(1).unwrap().to_string();
    let response = app
        .submit(
            &by_link,
            "/account/login",
            "/account/login/link/use",
            &[("token", &token)],
        )
        .await;
    assert_eq!(location(&response), "/account/login/two-factor");
    assert_eq!(
        second_step(&app, &by_link, &recovery[1]).await.status(),
        303
    );

    // Turning it off takes the password and a code.
    let (_, page) = html(&client, app.url("/account/two-factor")).await;
    assert!(text_of(&page, "main").contains("Recovery codes left: 8"));
    let response = app
        .submit(
            &client,
            "/account/two-factor",
            "/account/two-factor/disable",
            &[("password", "wrong password"), ("code", &recovery[2])],
        )
        .await;
    assert_eq!(response.status(), 422);
    let response = app
        .submit(
            &client,
            "/account/two-factor",
            "/account/two-factor/disable",
            &[("password", PASSWORD), ("code", &recovery[3])],
        )
        .await;
    assert_eq!(response.status(), 303);
    let response = app.sign_in(&browser(), "two@example.com", PASSWORD).await;
    assert_eq!(location(&response), "/account/");
}

#[tokio::test]
async fn the_step_needs_a_first_factor_and_guesses_are_limited() {
    let app = spawn_app().await;
    // No password given: nothing to finish.
    let nobody = browser();
    assert_eq!(
        nobody
            .get(app.url("/account/login/two-factor"))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );
    let member = app.signed_in_as("guess@example.com", Role::Member).await;
    enrol(&app, &member).await;
    let client = browser();
    app.sign_in(&client, "guess@example.com", PASSWORD).await;
    let mut limited = false;
    for _ in 0..40 {
        if second_step(&app, &client, "000000").await.status() == 429 {
            limited = true;
            break;
        }
    }
    assert!(limited, "guessing codes is limited like guessing passwords");
}

#[tokio::test]
async fn staff_without_a_second_factor_are_sent_to_set_one_up() {
    let app = spawn_app().await;
    app.update_settings(|s| s.staff_two_factor = true);
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let response = editor.get(app.url("/admin/posts")).send().await.unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/account/two-factor");
    let (secret, _) = enrol(&app, &editor).await;
    let _ = secret;
    assert_eq!(
        editor
            .get(app.url("/admin/posts"))
            .send()
            .await
            .unwrap()
            .status(),
        200
    );
}
