//! Live updates: an open post page's stream hears its conversation change, on this
//! instance and on others, picks up after a break, and is bounded per address.

use std::time::Duration;

use quire::domain::comments::write::{self as comment_write, NewComment, prepare};
use quire::domain::users::{Role, User};
use quire::domain::write::Actor;

use crate::helpers::*;

fn approved_comment(app: &TestApp, user: &User, post_id: i64, text: &str) {
    let actor = Actor::of(user);
    let prepared = prepare(text).unwrap();
    app.db
        .run_blocking(move |conn| {
            comment_write::post(
                conn,
                &actor,
                &NewComment {
                    post_id,
                    parent_id: None,
                    text: String::new(),
                    notify_replies: false,
                },
                &prepared,
                now(),
            )
        })
        .unwrap();
}

async fn open(app: &TestApp, post_id: i64) -> reqwest::Response {
    browser()
        .get(app.url(&format!("/comments/live/{post_id}")))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn an_open_page_hears_its_comments_and_likes_and_no_others() {
    let app = spawn_app().await;
    let post = app.seed(SeedPost::published("open", "Open"));
    let other = app.seed(SeedPost::published("other", "Other"));
    let staff = app.user_with_password("staff@example.com", Role::Editor, PASSWORD);
    let mut stream = open(&app, post.id).await;
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    assert_eq!(stream.headers()["cache-control"], "no-store");
    hear(&mut stream, "retry: 3000", Duration::from_secs(2)).await;

    // Another post's comment says nothing here; this post's does, at once.
    approved_comment(&app, &staff, other.id, "Elsewhere");
    approved_comment(&app, &staff, post.id, "Here");
    let heard = hear(&mut stream, "event: conversation", Duration::from_secs(2)).await;
    assert!(
        heard.contains(&format!("data: {{\"post\":{}}}", post.id)),
        "{heard}"
    );
    assert_eq!(heard.matches("event: conversation").count(), 1, "{heard}");

    // A like too.
    let member = app.signed_in_as("li@example.com", Role::Member).await;
    let response = app
        .submit(
            &member,
            "/account/",
            &format!("/likes/{}", post.id),
            &[("liked", "yes")],
        )
        .await;
    assert_eq!(response.status(), 303);
    hear(&mut stream, "event: conversation", Duration::from_secs(2)).await;

    // Nothing for posts readers cannot see, or that do not exist.
    let draft = app.seed(SeedPost::published("hidden", "Hidden").draft());
    assert_eq!(open(&app, draft.id).await.status(), 404);
    assert_eq!(open(&app, 999_999).await.status(), 404);
    assert_eq!(
        browser()
            .get(app.url("/comments/live/abc"))
            .send()
            .await
            .unwrap()
            .status(),
        404
    );
}

#[tokio::test]
async fn a_comment_on_one_instance_reaches_a_page_open_on_another() {
    let instances = spawn_instances(2, |_, _| {}).await;
    let (a, b) = (&instances[0], &instances[1]);
    let post = a.seed(SeedPost::published("shared", "Shared"));
    let staff = a.user_with_password("staff@example.com", Role::Editor, PASSWORD);
    let mut stream = open(b, post.id).await;
    hear(&mut stream, "retry: 3000", Duration::from_secs(2)).await;
    approved_comment(a, &staff, post.id, "Through A");
    hear(&mut stream, "event: conversation", Duration::from_secs(2)).await;
    drop(stream);
}

#[tokio::test]
async fn a_reader_back_after_a_break_hears_what_they_missed() {
    let app = spawn_app().await;
    let post = app.seed(SeedPost::published("back", "Back"));
    let staff = app.user_with_password("staff@example.com", Role::Editor, PASSWORD);
    approved_comment(&app, &staff, post.id, "While you were away");
    let mut stream = browser()
        .get(app.url(&format!("/comments/live/{}", post.id)))
        .header("Last-Event-ID", "0")
        .send()
        .await
        .unwrap();
    hear(&mut stream, "event: conversation", Duration::from_secs(2)).await;
    drop(stream);
}

#[tokio::test]
async fn streams_are_bounded_per_address() {
    let app = spawn_app().await;
    let post = app.seed(SeedPost::published("busy", "Busy"));
    let mut held = Vec::new();
    for _ in 0..quire::web::live::PER_ADDRESS {
        let stream = open(&app, post.id).await;
        assert_eq!(stream.status(), 200);
        held.push(stream);
    }
    let refused = open(&app, post.id).await;
    assert_eq!(refused.status(), 503);
    assert!(refused.headers().contains_key("retry-after"));
    // Other posts' pages are counted against the same address.
    let other = app.seed(SeedPost::published("calm", "Calm"));
    assert_eq!(open(&app, other.id).await.status(), 503);
    drop(held);
}
