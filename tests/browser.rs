//! Browser tests: Debian's headless Chromium driven through chromedriver (WebDriver), for
//! what a person does and sees. They need programs `cargo test` alone does not, so they are
//! ignored by default; run them with `cargo test --test browser -- --ignored`.

#[allow(dead_code)]
#[path = "api/helpers.rs"]
mod helpers;

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use fantoccini::{Client, ClientBuilder, Locator, key::Key};
use helpers::{TestApp, now, spawn_app};
use serde_json::json;

/// chromedriver on a free port, stopped when the test ends.
struct Driver {
    process: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

fn start_driver() -> Driver {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let binary = std::env::var("CHROMEDRIVER").unwrap_or_else(|_| "chromedriver".into());
    let process = Command::new(&binary)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {binary} (install chromium-driver): {e}"));
    let driver = Driver {
        process,
        url: format!("http://127.0.0.1:{port}"),
    };
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "chromedriver did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    driver
}

/// A fresh chromedriver and a Chromium session on it. Starting a session can fail while a
/// just-started driver settles, so a refused connection is retried with a new driver.
async fn browser(width: u32, extra_args: &[&str]) -> (Driver, Client) {
    let mut args = vec![
        "--headless=new".to_string(),
        "--no-sandbox".into(),
        "--disable-gpu".into(),
        "--disable-quic".into(),
        "--no-first-run".into(),
        "--disable-background-networking".into(),
        "--disable-component-update".into(),
        "--disable-sync".into(),
        "--hide-scrollbars".into(),
        // Smooth scrolling would move links while WebDriver clicks them.
        "--force-prefers-reduced-motion".into(),
        format!("--window-size={width},900"),
    ];
    args.extend(extra_args.iter().map(|a| a.to_string()));
    let mut options = json!({ "args": args });
    if let Ok(binary) = std::env::var("CHROMIUM") {
        options["binary"] = json!(binary);
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".into(), options);
    let mut attempt = 1;
    loop {
        let driver = start_driver();
        match ClientBuilder::native()
            .capabilities(capabilities.clone())
            .connect(&driver.url)
            .await
        {
            Ok(client) => return (driver, client),
            Err(error) if attempt < 3 => {
                eprintln!("chromedriver session attempt {attempt} failed: {error}");
                attempt += 1;
                tokio::time::sleep(Duration::from_millis(500)).await;
            }
            Err(error) => panic!("chromedriver session: {error}"),
        }
    }
}

async fn demo_app() -> TestApp {
    let app = spawn_app().await;
    app.db
        .run_blocking(|conn| quire::content::fill_demo(conn, now()))
        .unwrap();
    app
}

async fn heading(client: &Client) -> String {
    client
        .find(Locator::Css("h1"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap()
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn a_reader_follows_links_from_home_to_post_to_tag_and_author() {
    let app = demo_app().await;
    let (_driver, client) = browser(1200, &[]).await;

    client.goto(&app.url("/")).await.unwrap();
    assert_eq!(heading(&client).await, "The Margin");
    client
        .find(Locator::LinkText("The anatomy of a fast web page"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(heading(&client).await, "The anatomy of a fast web page");
    assert_eq!(
        client.current_url().await.unwrap().path(),
        "/the-anatomy-of-a-fast-web-page/"
    );

    // The table of contents jumps to its heading.
    client
        .find(Locator::Css(".toc a[href='#measure-on-a-small-machine']"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(
        client.current_url().await.unwrap().fragment(),
        Some("measure-on-a-small-machine")
    );

    client
        .find(Locator::Css(".post__footer .tags a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(heading(&client).await, "Technology");

    client
        .find(Locator::Css(".card .byline a"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert!(
        client
            .current_url()
            .await
            .unwrap()
            .path()
            .starts_with("/author/")
    );

    client
        .find(Locator::LinkText("About"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    assert_eq!(heading(&client).await, "About The Margin");
    client.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn pages_fit_a_320px_screen_without_sideways_scrolling() {
    let app = demo_app().await;
    let (_driver, client) = browser(320, &[]).await;
    for path in [
        "/",
        "/the-anatomy-of-a-fast-web-page/",
        "/a-style-guide-writers-actually-read/",
        "/tag/guides/",
        "/no-such-page/",
    ] {
        client.goto(&app.url(path)).await.unwrap();
        let widths = client
            .execute(
                "return [document.documentElement.scrollWidth, window.innerWidth];",
                vec![],
            )
            .await
            .unwrap();
        let (scroll, inner) = (widths[0].as_i64().unwrap(), widths[1].as_i64().unwrap());
        assert!(
            scroll <= inner,
            "{path}: content {scroll}px wide in a {inner}px window"
        );
    }
    client.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn the_skip_link_comes_first_and_shows_on_focus() {
    let app = demo_app().await;
    let (_driver, client) = browser(1200, &[]).await;
    client.goto(&app.url("/")).await.unwrap();
    let body = client.find(Locator::Css("body")).await.unwrap();
    body.send_keys(&Key::Tab.to_string()).await.unwrap();
    let focused = client
        .execute(
            "const a = document.activeElement; const r = a.getBoundingClientRect(); \
             return [a.getAttribute('href'), r.top >= 0 && r.bottom <= window.innerHeight, \
                     getComputedStyle(a).outlineStyle];",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(focused[0], "#main", "first Tab reaches the skip link");
    assert_eq!(focused[1], true, "the focused skip link is on screen");
    assert_ne!(focused[2], "none", "focus is visible");
    client.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn dark_mode_follows_the_system_preference() {
    let app = demo_app().await;
    let light = body_background(&app.url("/"), &[]).await;
    let dark = body_background(&app.url("/"), &["--blink-settings=preferredColorScheme=0"]).await;
    assert_ne!(light, dark, "dark mode changes the page's colours");
    assert_eq!(light, "rgb(253, 252, 249)");
}

async fn body_background(url: &str, args: &[&str]) -> String {
    let (_driver, client) = browser(1200, args).await;
    client.goto(url).await.unwrap();
    let value = client
        .execute(
            "return getComputedStyle(document.body).backgroundColor;",
            vec![],
        )
        .await
        .unwrap();
    client.close().await.unwrap();
    value.as_str().unwrap().to_string()
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn a_reader_signs_up_confirms_signs_out_and_signs_in_again() {
    let app = spawn_app().await;
    let (_driver, client) = browser(1200, &[]).await;
    let fill = |css: &'static str, text: &'static str| {
        let client = client.clone();
        async move {
            client
                .find(Locator::Css(css))
                .await
                .unwrap()
                .send_keys(text)
                .await
                .unwrap();
        }
    };
    let press = |css: &'static str| {
        let client = client.clone();
        async move {
            client
                .find(Locator::Css(css))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
    };

    client.goto(&app.url("/account/signup")).await.unwrap();
    fill("#f-email", "reader@example.com").await;
    fill("#f-display_name", "Rea Der").await;
    fill("#f-password", "a tidy margin of error").await;
    press("form.form button[type=submit]").await;
    arrive(&client, "/account/signup/sent", "Check your email").await;

    // Follow the mailed link, as the reader would.
    let link = app.mailed_link("reader@example.com", "/account/confirm");
    client.goto(&app.url(&link)).await.unwrap();
    arrive(&client, "/account/confirm", "Confirm your account").await;
    press("form.form button[type=submit]").await;
    arrive(&client, "/account/", "Your account").await;

    press("form[action='/account/logout'] button").await;
    arrive(&client, "/", "Quire").await;
    // Signed out, so the account page sends the reader to sign in.
    client.goto(&app.url("/account/")).await.unwrap();
    arrive(&client, "/account/login", "Sign in").await;

    fill("#f-email", "reader@example.com").await;
    fill("#f-password", "a tidy margin of error").await;
    press("form.form button[type=submit]").await;
    arrive(&client, "/account/", "Your account").await;
    client.close().await.unwrap();
}

/// Waits (up to 10 s) for a click's navigation to reach `path`, showing a heading that starts
/// with `heading`: a click returns before the next page has loaded.
async fn arrive(client: &Client, path: &str, heading_start: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let here = client.current_url().await.unwrap().path().to_string();
        let title = match client.find(Locator::Css("h1")).await {
            Ok(h1) => h1.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        if here == path && title.starts_with(heading_start) {
            return;
        }
        assert!(
            Instant::now() < deadline,
            "expected {path} ({heading_start}), still at {here} ({title})"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Where screenshots go, for CI to keep as artifacts.
fn screenshot_path(name: &str) -> std::path::PathBuf {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    dir.join(name)
}

async fn set_value(client: &Client, css: &str, value: &str) {
    // Typing into date and time inputs depends on the browser's locale; set them directly.
    client
        .execute(
            "document.querySelector(arguments[0]).value = arguments[1];",
            vec![json!(css), json!(value)],
        )
        .await
        .unwrap();
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn the_owner_writes_previews_publishes_schedules_and_unpublishes() {
    let app = spawn_app().await;
    app.user_with_password(
        "owner@example.com",
        quire::domain::users::Role::Owner,
        helpers::PASSWORD,
    );
    let (_driver, client) = browser(1200, &[]).await;
    let find = |css: &'static str| {
        let client = client.clone();
        async move { client.find(Locator::Css(css)).await.unwrap() }
    };

    sign_in_with(&client, &app, "owner@example.com").await;
    arrive(&client, "/admin", "Dashboard").await;

    // Write a post with a heading, a table and a code block.
    client.goto(&app.url("/admin/posts/new")).await.unwrap();
    find("#f-title")
        .await
        .send_keys("Tables and code")
        .await
        .unwrap();
    // The helpers suggest the slug and count characters as one types.
    let placeholder = find("#f-slug").await.attr("placeholder").await.unwrap();
    assert_eq!(placeholder.as_deref(), Some("tables-and-code"));
    assert_eq!(
        find("#f-title-count").await.text().await.unwrap(),
        "15 of 255 characters"
    );
    let markdown = "## A heading\n\n| Plan | Price |\n|------|-------|\n| Free | 0 |\n\n```rust\nfn main() {}\n```\n";
    set_value(&client, "#f-markdown", markdown).await;
    find("#f-tags").await.send_keys("Craft").await.unwrap();
    client
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    std::fs::write(
        screenshot_path("editor.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();

    // Preview opens in a new tab, rendered as readers will see it; nothing is saved yet.
    let editor_window = client.window().await.unwrap();
    find("button[value=preview]").await.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let preview_window = loop {
        let windows = client.windows().await.unwrap();
        if let Some(w) = windows.into_iter().find(|w| *w != editor_window) {
            break w;
        }
        assert!(Instant::now() < deadline, "the preview did not open");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    client.switch_to_window(preview_window).await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while heading(&client).await != "Tables and code" {
        assert!(Instant::now() < deadline, "the preview did not render");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(client.find(Locator::Css("main table")).await.is_ok());
    assert!(client.find(Locator::Css("main pre code")).await.is_ok());
    client.close_window().await.unwrap();
    client.switch_to_window(editor_window).await.unwrap();
    assert_eq!(app.get("/tables-and-code/").await.status(), 404);

    // Publish, and read it on the public site.
    find("button[value=publish]").await.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.find(Locator::Css(".notice")).await.is_err() {
        assert!(Instant::now() < deadline, "publishing did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let editor_path = client.current_url().await.unwrap().path().to_string();
    assert!(
        find(".notice")
            .await
            .text()
            .await
            .unwrap()
            .contains("published")
    );
    client.goto(&app.url("/tables-and-code/")).await.unwrap();
    assert_eq!(heading(&client).await, "Tables and code");
    assert_eq!(find("main h2").await.text().await.unwrap(), "A heading");
    assert!(client.find(Locator::Css("main table td")).await.is_ok());
    assert!(client.find(Locator::Css("main pre code")).await.is_ok());
    std::fs::write(
        screenshot_path("published-post.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();

    // Schedule another for next year: saved, but not public yet.
    client.goto(&app.url("/admin/posts/new")).await.unwrap();
    find("#f-title")
        .await
        .send_keys("Coming soon")
        .await
        .unwrap();
    let next_year = (now() + chrono::Duration::days(365))
        .format("%Y-%m-%dT09:30")
        .to_string();
    set_value(&client, "#f-publish_at", &next_year).await;
    find("button[value=publish]").await.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.find(Locator::Css(".notice")).await.is_err() {
        assert!(Instant::now() < deadline, "scheduling did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(
        find(".notice")
            .await
            .text()
            .await
            .unwrap()
            .contains("scheduled")
    );
    assert_eq!(app.get("/coming-soon/").await.status(), 404);

    // Unpublish the first: it leaves the public site.
    client.goto(&app.url(&editor_path)).await.unwrap();
    find("button[value=unpublish]").await.click().await.unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.find(Locator::Css(".notice")).await.is_err() {
        assert!(Instant::now() < deadline, "unpublishing did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(app.get("/tables-and-code/").await.status(), 404);
    client.close().await.unwrap();
}

/// A member comments, then replies to a comment, in a browser with or without JavaScript.
async fn member_holds_a_conversation(javascript: bool) {
    let app = spawn_app().await;
    app.update_settings(|s| s.comments.first_needs_approval = false);
    let post = app.seed(helpers::SeedPost::published("talk", "Let us talk").hours_ago(1));
    let staff = app.user_with_password(
        "staff@example.com",
        quire::domain::users::Role::Editor,
        helpers::PASSWORD,
    );
    let first = staff_comment(&app, &staff, post.id, None, "Welcome, *readers*.");
    app.user_with_password(
        "member@example.com",
        quire::domain::users::Role::Member,
        helpers::PASSWORD,
    );
    let args: &[&str] = if javascript {
        &[]
    } else {
        &["--blink-settings=scriptEnabled=false"]
    };
    let (_driver, client) = browser(1200, args).await;
    let type_into = |css: &'static str, text: &'static str| {
        let client = client.clone();
        async move {
            let field = client.find(Locator::Css(css)).await.unwrap();
            field.send_keys(text).await.unwrap();
        }
    };
    let press = |css: String| {
        let client = client.clone();
        async move {
            client
                .find(Locator::Css(&css))
                .await
                .unwrap()
                .click()
                .await
                .unwrap();
        }
    };

    // Anonymous: the page invites to sign in, and brings the reader back to the form.
    client.goto(&app.url("/talk/")).await.unwrap();
    press("#respond a".into()).await;
    arrive(&client, "/account/login", "Sign in").await;
    type_into("#f-email", "member@example.com").await;
    type_into("#f-password", helpers::PASSWORD).await;
    press("form.form button[type=submit]".into()).await;
    arrive(&client, "/talk/", "Let us talk").await;

    type_into("#f-text", "My **first** thought.").await;
    press(".comment-form button[type=submit]".into()).await;
    arrive(&client, "/talk/", "Let us talk").await;
    let notice = client
        .find(Locator::Css(".comments .notice"))
        .await
        .unwrap();
    assert_eq!(notice.text().await.unwrap(), "Your comment is published.");
    let texts = client
        .find_all(Locator::Css(".comment__text"))
        .await
        .unwrap();
    assert_eq!(texts.len(), 2);
    assert_eq!(texts[1].text().await.unwrap(), "My first thought.");

    // Reply to the first comment on its own page, and land under it.
    press(format!(
        "#comment-{first} .comment__actions a[href$='/reply']"
    ))
    .await;
    arrive(&client, &format!("/comments/{first}/reply"), "Reply to").await;
    let quoted = client.find(Locator::Css(".comment-quote")).await.unwrap();
    assert!(quoted.text().await.unwrap().contains("Welcome"));
    // Past the flood interval, so this is not refused as a second comment in a row.
    app.db
        .run_blocking(|conn| {
            use diesel::prelude::*;
            diesel::update(quire::db::schema::comments::table)
                .set(
                    quire::db::schema::comments::created_at
                        .eq(now() - chrono::Duration::minutes(1)),
                )
                .execute(conn)
        })
        .unwrap();
    type_into("#f-text", "A reply.").await;
    press(".comment-form button[type=submit]".into()).await;
    arrive(&client, "/talk/", "Let us talk").await;
    let nested = client
        .find_all(Locator::Css(&format!(
            "#comment-{first} > ol.comment-list--replies > li.comment .comment__text"
        )))
        .await
        .unwrap();
    assert_eq!(nested.len(), 1);
    assert_eq!(nested[0].text().await.unwrap(), "A reply.");

    // Like the post: in place with JavaScript, through the page again without.
    press("#likes button".into()).await;
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let count = match client.find(Locator::Css("#likes .like-count")).await {
            Ok(count) => count.text().await.unwrap_or_default(),
            Err(_) => String::new(),
        };
        let pressed = match client.find(Locator::Css("#likes button")).await {
            Ok(button) => button.attr("aria-pressed").await.unwrap_or_default(),
            Err(_) => None,
        };
        if count == "1 like" && pressed.as_deref() == Some("true") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the like shows: {count} {pressed:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(
        app.db
            .run_blocking(move |conn| quire::domain::likes::count(conn, post.id))
            .unwrap(),
        1
    );
    // The plain form comes back to the like; the script never leaves the page.
    let fragment = client
        .current_url()
        .await
        .unwrap()
        .fragment()
        .map(str::to_string);
    assert_eq!(
        fragment.as_deref() == Some("likes"),
        !javascript,
        "{fragment:?}"
    );
    client.close().await.unwrap();
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn a_member_comments_and_replies_with_javascript() {
    member_holds_a_conversation(true).await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn a_member_comments_and_replies_without_javascript() {
    member_holds_a_conversation(false).await;
}

#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn a_new_comment_appears_in_an_open_page_without_reloading() {
    let app = spawn_app().await;
    let post = app.seed(helpers::SeedPost::published("live-talk", "Live talk").hours_ago(1));
    let staff = app.user_with_password(
        "staff@example.com",
        quire::domain::users::Role::Editor,
        helpers::PASSWORD,
    );
    let (_driver, client) = browser(1200, &[]).await;
    client.goto(&app.url("/live-talk/")).await.unwrap();
    // A mark that a reload would wipe.
    client
        .execute("window.quireMark = 'still here';", vec![])
        .await
        .unwrap();
    tokio::time::sleep(Duration::from_millis(500)).await;
    staff_comment(&app, &staff, post.id, None, "Fresh from elsewhere");
    let deadline = Instant::now() + Duration::from_secs(5);
    loop {
        let texts = client
            .find_all(Locator::Css(".comment__text"))
            .await
            .unwrap();
        let mut seen = Vec::new();
        for text in texts {
            seen.push(text.text().await.unwrap_or_default());
        }
        if seen.iter().any(|t| t == "Fresh from elsewhere") {
            break;
        }
        assert!(
            Instant::now() < deadline,
            "the comment never appeared: {seen:?}"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let mark = client
        .execute("return window.quireMark;", vec![])
        .await
        .unwrap();
    assert_eq!(mark, json!("still here"), "the page did not reload");
    client.close().await.unwrap();
}

/// Posts an approved comment as `staff` straight through the use case; its id.
fn staff_comment(
    app: &TestApp,
    staff: &quire::domain::users::User,
    post_id: i64,
    parent_id: Option<i64>,
    text: &str,
) -> i64 {
    let prepared = quire::domain::comments::write::prepare(text).unwrap();
    let actor = quire::domain::write::Actor::of(staff);
    app.db
        .run_blocking(move |conn| {
            quire::domain::comments::write::post(
                conn,
                &actor,
                &quire::domain::comments::write::NewComment {
                    post_id,
                    parent_id,
                    text: String::new(),
                    notify_replies: false,
                },
                &prepared,
                now(),
            )
        })
        .unwrap()
        .id
}

/// The axe accessibility engine's violations on the open page (rule: targets).
async fn axe_violations(client: &Client, axe: &str) -> Vec<String> {
    client.execute(axe, vec![]).await.unwrap();
    let found = client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, { resultTypes: ['violations'] })
               .then(r => done(r.violations.map(v => v.id + ': ' +
                 v.nodes.slice(0, 3).map(n => n.target.join(' ')).join(', '))))
               .catch(e => done(['axe failed: ' + e]));",
            vec![],
        )
        .await
        .unwrap();
    serde_json::from_value(found).unwrap()
}

/// axe (axe-core's `axe.min.js`, named by `AXE_JS`) finds nothing on a post with a long
/// threaded conversation, in light and dark mode, nor on the guest and reply forms or the
/// moderation queue.
#[tokio::test]
#[ignore = "needs chromium, chromedriver and axe-core (AXE_JS)"]
async fn a_long_threaded_conversation_passes_axe() {
    let path = std::env::var("AXE_JS").expect("AXE_JS names axe-core's axe.min.js");
    let axe = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"));
    let app = spawn_app().await;
    app.update_settings(|s| s.comments.who = quire::domain::comments::Who::Guests);
    let post = app.seed(helpers::SeedPost::published("long-talk", "A long talk").hours_ago(2));
    let staff = app.user_with_password(
        "staff@example.com",
        quire::domain::users::Role::Editor,
        helpers::PASSWORD,
    );
    // 55 threads (two pages), one of them a chain deeper than replies nest on the page.
    let mut first = 0;
    for thread in 0..55 {
        let top = staff_comment(
            &app,
            &staff,
            post.id,
            None,
            &format!("Thread {thread}: a [link](https://example.org/{thread}) and `code`."),
        );
        if thread == 0 {
            first = top;
            let mut parent = top;
            for depth in 1..8 {
                parent = staff_comment(
                    &app,
                    &staff,
                    post.id,
                    Some(parent),
                    &format!("> quoted\n\nReply at depth {depth}"),
                );
            }
        } else if thread % 5 == 0 {
            staff_comment(&app, &staff, post.id, Some(top), "- one\n- two");
        }
    }
    let pages = [
        "/long-talk/".to_string(),
        "/long-talk/comments/2/".to_string(),
        format!("/comments/new?post_id={}", post.id),
        format!("/comments/{first}/reply"),
    ];
    for args in [&[][..], &["--blink-settings=preferredColorScheme=0"][..]] {
        let (_driver, client) = browser(1200, args).await;
        for page in &pages {
            client.goto(&app.url(page)).await.unwrap();
            let found = axe_violations(&client, &axe).await;
            assert!(found.is_empty(), "{page} {args:?}: {found:#?}");
        }
        client.close().await.unwrap();
    }

    // The moderation queue, signed in.
    let (_driver, client) = browser(1200, &[]).await;
    sign_in_with(&client, &app, "staff@example.com").await;
    // The queue, and the admin's everyday pages: the dashboard, a list, the editor.
    for page in [
        "/admin/comments?queue=approved".to_string(),
        "/admin".to_string(),
        "/admin/posts".to_string(),
        format!("/admin/posts/{}", post.id),
    ] {
        client.goto(&app.url(&page)).await.unwrap();
        let found = axe_violations(&client, &axe).await;
        assert!(found.is_empty(), "{page}: {found:#?}");
    }
    client.close().await.unwrap();
}

/// Signs `client` in as `email` (with the tests' password) and waits to leave the form.
async fn sign_in_with(client: &Client, app: &TestApp, email: &str) {
    client.goto(&app.url("/account/login")).await.unwrap();
    for (css, text) in [("#f-email", email), ("#f-password", helpers::PASSWORD)] {
        client
            .find(Locator::Css(css))
            .await
            .unwrap()
            .send_keys(text)
            .await
            .unwrap();
    }
    client
        .find(Locator::Css("form.form button[type=submit]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.current_url().await.unwrap().path() == "/account/login" {
        assert!(Instant::now() < deadline, "signing in did not finish");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// Clicks the first element matching `css` whose text is `text`.
async fn click_text(client: &Client, css: &str, text: &str) {
    for element in client.find_all(Locator::Css(css)).await.unwrap() {
        if element.text().await.unwrap() == text {
            element.click().await.unwrap();
            return;
        }
    }
    panic!("no {css} reading {text:?}");
}

/// Waits until `css` matches, or fails saying `what`.
async fn wait_for(client: &Client, css: &str, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while client.find(Locator::Css(css)).await.is_err() {
        assert!(Instant::now() < deadline, "{what}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// The editor's script: Ctrl+S saves, a refused save leads the focus to the summary of its
/// problems, and the text grows with what is written. Screenshots of the dashboard, a list
/// and the editor (wide and phone, light and dark) go to target/screenshots.
#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn the_editor_saves_with_ctrl_s_and_leads_to_its_problems() {
    let app = demo_app().await;
    app.has_an_owner();
    let (_driver, client) = browser(1366, &[]).await;
    sign_in_with(&client, &app, "owner@example.com").await;
    for (name, page) in [
        ("dashboard.png", "/admin"),
        ("posts-list.png", "/admin/posts"),
    ] {
        client.goto(&app.url(page)).await.unwrap();
        std::fs::write(screenshot_path(name), client.screenshot().await.unwrap()).unwrap();
    }

    client.goto(&app.url("/admin/posts/new")).await.unwrap();
    client
        .find(Locator::Css("#f-title"))
        .await
        .unwrap()
        .send_keys("Saved by keyboard")
        .await
        .unwrap();
    let body = client.find(Locator::Css("#f-markdown")).await.unwrap();
    let before: f64 = serde_json::from_value(
        client
            .execute(
                "return document.querySelector('#f-markdown').offsetHeight;",
                vec![],
            )
            .await
            .unwrap(),
    )
    .unwrap();
    body.send_keys(&"A line of text.\n".repeat(60))
        .await
        .unwrap();
    let after: f64 = serde_json::from_value(
        client
            .execute(
                "return document.querySelector('#f-markdown').offsetHeight;",
                vec![],
            )
            .await
            .unwrap(),
    )
    .unwrap();
    assert!(after > before, "the text box grows: {before} -> {after}");
    // Control held (U+E009), "s", then released (U+E000).
    body.send_keys("\u{E009}s\u{E000}").await.unwrap();
    wait_for(&client, ".notice", "Ctrl+S did not save").await;
    let path = client.current_url().await.unwrap().path().to_string();
    assert!(
        path.starts_with("/admin/posts/") && path != "/admin/posts/new",
        "{path}"
    );
    let notice = client.find(Locator::Css(".notice")).await.unwrap();
    assert!(
        notice.text().await.unwrap().contains("draft"),
        "saved as a draft"
    );
    client
        .execute("window.scrollTo(0, 0);", vec![])
        .await
        .unwrap();
    std::fs::write(
        screenshot_path("editor-wide.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();

    // An image dropped into the text is uploaded and its Markdown put at the cursor, the
    // alt text selected to be typed over.
    client
        .execute_async(
            "const done = arguments[arguments.length - 1];
             const canvas = document.createElement('canvas');
             canvas.width = 320; canvas.height = 200;
             const ctx = canvas.getContext('2d');
             ctx.fillStyle = '#336699'; ctx.fillRect(0, 0, 320, 200);
             canvas.toBlob(blob => {
               const file = new File([blob], 'dropped.png', { type: 'image/png' });
               const text = document.querySelector('#f-markdown');
               text.focus();
               text.setSelectionRange(0, 0);
               const data = new DataTransfer();
               data.items.add(file);
               text.dispatchEvent(new DragEvent('drop', { dataTransfer: data, bubbles: true, cancelable: true }));
               done(true);
             }, 'image/png');",
            vec![],
        )
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    let inserted = loop {
        let value = client
            .execute(
                "return document.querySelector('#f-markdown').value;",
                vec![],
            )
            .await
            .unwrap();
        let value = value.as_str().unwrap_or_default().to_string();
        if value.contains("](/media/") {
            break value;
        }
        assert!(
            Instant::now() < deadline,
            "the dropped image was not inserted"
        );
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        inserted.starts_with("![Describe the image](/media/"),
        "{inserted}"
    );
    let selected = client
        .execute(
            "const t = document.querySelector('#f-markdown'); return t.value.slice(t.selectionStart, t.selectionEnd);",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(selected, json!("Describe the image"));
    let url = inserted
        .split("](")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap()
        .to_string();
    assert_eq!(app.get(&url).await.status(), 200, "{url} is served");

    // A bad address: the page comes back with the summary focused, linking to the field.
    set_value(&client, "#f-slug", "Not a slug!").await;
    client
        .execute(
            "document.querySelector('form.form').noValidate = true;",
            vec![],
        )
        .await
        .unwrap();
    client
        .find(Locator::Css("[data-save]"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    wait_for(
        &client,
        ".error-summary",
        "the refused save did not come back",
    )
    .await;
    let focused = client
        .execute("return document.activeElement.id;", vec![])
        .await
        .unwrap();
    assert_eq!(focused, json!("form-problem"));
    let link = client.find(Locator::Css(".error-summary a")).await.unwrap();
    assert_eq!(link.attr("href").await.unwrap().as_deref(), Some("#f-slug"));
    std::fs::write(
        screenshot_path("editor-errors.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();
    client.close().await.unwrap();

    // The editor on a phone, and in dark mode.
    for (name, width, args) in [
        ("editor-phone.png", 390, &[][..]),
        (
            "editor-dark.png",
            1366,
            &["--blink-settings=preferredColorScheme=0"][..],
        ),
    ] {
        let (_driver, client) = browser(width, args).await;
        sign_in_with(&client, &app, "owner@example.com").await;
        client.goto(&app.url(&path)).await.unwrap();
        std::fs::write(screenshot_path(name), client.screenshot().await.unwrap()).unwrap();
        client.close().await.unwrap();
    }
}

/// Autosave: a pause in typing keeps the text on the server, the indicator says when, and
/// the editor opened again brings the text back. Leaving with text not yet autosaved asks
/// first.
#[tokio::test]
#[ignore = "needs chromium and chromedriver"]
async fn the_editor_autosaves_and_warns_before_losing_text() {
    let app = demo_app().await;
    app.has_an_owner();
    let (_driver, client) = browser(1366, &[]).await;
    sign_in_with(&client, &app, "owner@example.com").await;

    // A new post: its first autosave creates the draft, and the address follows.
    client.goto(&app.url("/admin/posts/new")).await.unwrap();
    let title = client.find(Locator::Css("#f-title")).await.unwrap();
    title.send_keys("Kept while writing").await.unwrap();
    let body = client.find(Locator::Css("#f-markdown")).await.unwrap();
    body.send_keys("The first paragraph, never saved by hand.")
        .await
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(15);
    loop {
        let shown = client
            .find(Locator::Css("#autosave-status"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if shown.starts_with("Autosaved") {
            break;
        }
        assert!(Instant::now() < deadline, "no autosave shown: {shown:?}");
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    let path = client.current_url().await.unwrap().path().to_string();
    assert!(
        path.starts_with("/admin/posts/") && path != "/admin/posts/new",
        "the address names the new draft: {path}"
    );
    // Every button now sends the form to the draft, not to make another.
    let image_action = client
        .execute(
            "return document.querySelector('[formaction]').getAttribute('formaction');",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(image_action, json!(format!("{path}/image")));

    // More text, autosaved into the working copy after the pause (three seconds); the
    // editor opened again shows it.
    body.send_keys(" A second thought.").await.unwrap();
    tokio::time::sleep(Duration::from_secs(5)).await;
    let shown = client
        .find(Locator::Css("#autosave-status"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(shown.starts_with("Autosaved"), "{shown:?}");
    client.goto(&app.url(&path)).await.unwrap();
    wait_for(
        &client,
        ".notice--restored",
        "the working copy was not restored",
    )
    .await;
    let text = client
        .execute(
            "return document.querySelector('#f-markdown').value;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(
        text,
        json!("The first paragraph, never saved by hand. A second thought.")
    );

    // The Preview tab shows the text rendered by the server in place of the box; Write
    // brings the box back.
    set_value(&client, "#f-markdown", "Some *emphasis* here.").await;
    click_text(&client, ".editor-tabs__tab", "Preview").await;
    wait_for(&client, "#text-preview em", "the preview did not render").await;
    let hidden = client
        .execute(
            "return document.querySelector('#f-markdown').hidden;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(hidden, json!(true));
    std::fs::write(
        screenshot_path("editor-preview.png"),
        client.screenshot().await.unwrap(),
    )
    .unwrap();
    click_text(&client, ".editor-tabs__tab", "Write").await;
    let shown = client
        .execute(
            "return !document.querySelector('#f-markdown').hidden && document.querySelector('#text-preview').hidden;",
            vec![],
        )
        .await
        .unwrap();
    assert_eq!(shown, json!(true));

    // Leaving asks first only while text is not on the server: the page's beforeunload
    // handler cancels the event then (the dialog itself is the browser's).
    let leaving_asks = "const e = new Event('beforeunload', { cancelable: true }); \
                        window.dispatchEvent(e); return e.defaultPrevented;";
    assert_eq!(
        client.execute(leaving_asks, vec![]).await.unwrap(),
        json!(false),
        "nothing typed yet"
    );
    client
        .find(Locator::Css("#f-markdown"))
        .await
        .unwrap()
        .send_keys(" Unsaved.")
        .await
        .unwrap();
    assert_eq!(
        client.execute(leaving_asks, vec![]).await.unwrap(),
        json!(true),
        "typed and not autosaved yet"
    );
    tokio::time::sleep(Duration::from_secs(5)).await;
    assert_eq!(
        client.execute(leaving_asks, vec![]).await.unwrap(),
        json!(false),
        "autosaved: nothing to lose"
    );
    client.close().await.unwrap();
}
