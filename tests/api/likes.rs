//! Likes: a plain form or JSON for the page's script, one per member per post however they
//! press, and the page cache touching only what shows the count.

use std::sync::atomic::Ordering;

use diesel::prelude::*;
use quire::domain::users::Role;

use crate::helpers::*;

fn likes_in_db(app: &TestApp, post_id: i64) -> i64 {
    app.db
        .run_blocking(move |conn| quire::domain::likes::count(conn, post_id))
        .unwrap()
}

async fn like(
    app: &TestApp,
    client: &reqwest::Client,
    post_id: i64,
    liked: &str,
) -> reqwest::Response {
    app.submit(
        client,
        "/account/",
        &format!("/likes/{post_id}"),
        &[("liked", liked)],
    )
    .await
}

#[tokio::test]
async fn a_member_likes_and_takes_it_back() {
    let app = spawn_app().await;
    let post = app.seed(SeedPost::published("liked", "Liked"));
    let member = app.signed_in_as("li@example.com", Role::Member).await;

    // Readers see the count and a way to sign in.
    let doc = app.page("/liked/", 200).await;
    assert_eq!(text_of(&doc, "#likes .like-count"), "0 likes");
    assert!(attr_of(&doc, "#likes a.like-button", "href").starts_with("/account/login?next="));

    let response = like(&app, &member, post.id, "yes").await;
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/liked/#likes");
    assert_eq!(likes_in_db(&app, post.id), 1);
    let mine = parse_html(
        &member
            .get(app.url("/liked/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(attr_of(&mine, "#likes button", "aria-pressed"), "true");
    assert_eq!(attr_of(&mine, "#likes input[name=liked]", "value"), "no");
    let doc = app.page("/liked/", 200).await;
    assert_eq!(text_of(&doc, "#likes .like-count"), "1 like");
    let home = app.page("/", 200).await;
    assert_eq!(text_of(&home, ".card__likes"), "1 like");

    // The page's script asks for JSON.
    let token = app.csrf_token(&member, "/account/").await;
    let response = member
        .post(app.url(&format!("/likes/{}", post.id)))
        .header("accept", "application/json")
        .form(&[("liked", "no"), ("csrf_token", &token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let state: serde_json::Value = response.json().await.unwrap();
    assert_eq!(state, serde_json::json!({ "liked": false, "count": 0 }));
    assert_eq!(likes_in_db(&app, post.id), 0);
}

#[tokio::test]
async fn one_like_per_member_however_often_they_press() {
    let app = spawn_app().await;
    let post = app.seed(SeedPost::published("popular", "Popular"));
    let member = app.signed_in_as("many@example.com", Role::Member).await;
    let token = app.csrf_token(&member, "/account/").await;
    let press = || {
        let (client, url, token) = (
            member.clone(),
            app.url(&format!("/likes/{}", post.id)),
            token.clone(),
        );
        async move {
            client
                .post(url)
                .form(&[("liked", "yes"), ("csrf_token", token.as_str())])
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    // Twenty at once, then two hundred in a loop.
    let statuses = futures_util::future::join_all((0..20).map(|_| press())).await;
    assert!(statuses.iter().all(|s| *s == 303), "{statuses:?}");
    for _ in 0..200 {
        assert_eq!(press().await, 303);
    }
    assert_eq!(likes_in_db(&app, post.id), 1);
    let rows = app
        .db
        .run_blocking(|conn| {
            quire::db::schema::post_likes::table
                .count()
                .get_result::<i64>(conn)
        })
        .unwrap();
    assert_eq!(rows, 1);
}

#[tokio::test]
async fn likes_refuse_what_they_cannot_be() {
    let app = spawn_app().await;
    let post = app.seed(SeedPost::published("here", "Here"));
    let draft = app.seed(SeedPost::published("not-yet", "Not yet").draft());
    let member = app.signed_in_as("no@example.com", Role::Member).await;
    assert_eq!(like(&app, &member, post.id, "maybe").await.status(), 400);
    assert_eq!(like(&app, &member, 999_999, "yes").await.status(), 404);
    assert_eq!(like(&app, &member, draft.id, "yes").await.status(), 404);
    let response = member
        .post(app.url(&format!("/likes/{}", post.id)))
        .form(&[("liked", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403, "no form token");
    let response = member
        .post(app.url("/likes/abc"))
        .form(&[("liked", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);
    assert_eq!(likes_in_db(&app, post.id), 0);

    // Anonymous: sent to sign in, and brought back to the post.
    let anonymous = browser();
    let response = anonymous
        .post(app.url(&format!("/likes/{}", post.id)))
        .form(&[("liked", "yes")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    let to = location(&response);
    assert!(to.starts_with("/account/login?next="), "{to}");
    let response = anonymous
        .get(app.url(&format!("/likes/{}", post.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert_eq!(location(&response), "/here/#likes");
}

#[tokio::test]
async fn a_like_refreshes_its_post_and_the_cards_showing_it_only() {
    let app = spawn_app().await;
    let bees = app.tag("bees", "Bees");
    let a = app.seed(SeedPost::published("post-a", "A").hours_ago(2));
    app.seed(
        SeedPost::published("post-b", "B")
            .hours_ago(1)
            .tags(&[&bees]),
    );
    let member = app.signed_in_as("li@example.com", Role::Member).await;
    let cache = app.cache.as_ref().unwrap();
    for path in ["/post-a/", "/post-b/", "/", "/tag/bees/"] {
        app.get(path).await;
        assert!(cache.holds(path), "{path} is cached");
    }
    let before = cache.stats.invalidations.load(Ordering::Relaxed);
    assert_eq!(like(&app, &member, a.id, "yes").await.status(), 303);
    assert!(!cache.holds("/post-a/"));
    assert!(!cache.holds("/"));
    assert!(cache.holds("/post-b/"));
    assert!(cache.holds("/tag/bees/"));
    assert_eq!(
        cache.stats.invalidations.load(Ordering::Relaxed),
        before + 2
    );
    // Liking it again changes nothing, so nothing is dropped.
    app.get("/post-a/").await;
    assert_eq!(like(&app, &member, a.id, "yes").await.status(), 303);
    assert!(cache.holds("/post-a/"));
}

#[tokio::test]
async fn a_members_data_holds_their_comments_and_likes_and_leaves_with_them() {
    let app = spawn_app().await;
    app.update_settings(|s| s.comments.first_needs_approval = false);
    let post = app.seed(SeedPost::published("kept", "Kept"));
    let member = app.signed_in_as("leaving@example.com", Role::Member).await;
    assert_eq!(like(&app, &member, post.id, "yes").await.status(), 303);
    let response = app
        .submit(
            &member,
            "/account/",
            "/comments",
            &[("post_id", &post.id.to_string()), ("text", "Goodbye, all")],
        )
        .await;
    assert_eq!(response.status(), 303);

    let data: serde_json::Value = member
        .get(app.url("/account/export"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(data["comments"][0]["markdown"], "Goodbye, all");
    assert_eq!(data["comments"][0]["post"], "/kept/");
    assert_eq!(data["likes"][0]["post"], "/kept/");

    app.get("/kept/").await;
    let response = app
        .submit(
            &member,
            "/account/delete",
            "/account/delete",
            &[("password", PASSWORD)],
        )
        .await;
    assert_eq!(response.status(), 200);
    assert!(
        !app.cache.as_ref().unwrap().holds("/kept/"),
        "the post's page is made again"
    );
    let doc = app.page("/kept/", 200).await;
    assert!(!doc.html().contains("Goodbye, all"));
    assert!(select(&doc, "li.comment").is_empty());
    assert_eq!(text_of(&doc, "#likes .like-count"), "0 likes");
}
