//! Comments: posting and replying through the forms, the rules that hold or refuse them,
//! the conversation in the page a crawler fetches (threads, pages, structured data), the
//! moderation queue, and the page cache touching only the post commented on.

use diesel::prelude::*;
use quire::auth::permissions::Permission;
use quire::domain::comments::write::{self as comment_write, NewComment, prepare};
use quire::domain::comments::{self, Status};
use quire::domain::users::{Role, User};
use quire::domain::write::Actor;
use std::sync::atomic::Ordering;

use crate::helpers::*;

/// Posts a comment through the use case, as `user` (staff skip flood control and waiting).
fn comment_as(app: &TestApp, user: &User, post_id: i64, parent: Option<i64>, text: &str) -> i64 {
    let actor = Actor::of(user);
    let prepared = prepare(text).expect("a valid comment");
    app.db
        .run_blocking(move |conn| {
            comment_write::post(
                conn,
                &actor,
                &NewComment {
                    post_id,
                    parent_id: parent,
                    text: String::new(),
                    notify_replies: false,
                },
                &prepared,
                now(),
            )
        })
        .expect("the comment is accepted")
        .id
}

fn status_of(app: &TestApp, id: i64) -> Status {
    app.db
        .run_blocking(move |conn| comments::by_id(conn, id))
        .unwrap()
        .expect("the comment exists")
        .status
}

/// Moves a comment's time back, as if it was posted `minutes` ago.
fn age(app: &TestApp, id: i64, minutes: i64) {
    let at = now() - chrono::Duration::minutes(minutes);
    app.db
        .run_blocking(move |conn| {
            diesel::update(
                quire::db::schema::comments::table.filter(quire::db::schema::comments::id.eq(id)),
            )
            .set(quire::db::schema::comments::created_at.eq(at))
            .execute(conn)
        })
        .unwrap();
}

fn comment_ids(doc: &scraper::Html) -> Vec<String> {
    select(doc, "li.comment")
        .iter()
        .map(|li| li.value().attr("id").unwrap().to_string())
        .collect()
}

async fn post_comment(
    app: &TestApp,
    client: &reqwest::Client,
    post_id: i64,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let mut form = vec![("post_id", post_id.to_string())];
    form.extend(fields.iter().map(|(k, v)| (*k, v.to_string())));
    let borrowed: Vec<(&str, &str)> = form.iter().map(|(k, v)| (*k, v.as_str())).collect();
    // The session's token, from a page that always has a form (a closed post has none).
    app.submit(client, "/account/", "/comments", &borrowed)
        .await
}

#[tokio::test]
async fn a_first_comment_waits_is_approved_and_then_is_in_the_page() {
    let app = spawn_app().await;
    let post = app.seed(SeedPost::published("talk", "Talk"));
    let member = app.signed_in_as("ada@example.com", Role::Member).await;

    // Anonymous readers are invited to sign in.
    let doc = app.page("/talk/", 200).await;
    assert_eq!(text_of(&doc, "#comments-heading"), "Comments");
    assert!(attr_of(&doc, "#respond a", "href").starts_with("/account/login?next="));

    let response = post_comment(&app, &member, post.id, &[("text", "Hello *there*")]).await;
    assert_eq!(response.status(), 303);
    let to = location(&response);
    assert!(to.starts_with("/talk/#comment-"), "{to}");
    let id: i64 = to.rsplit('-').next().unwrap().parse().unwrap();
    assert_eq!(status_of(&app, id), Status::Pending);

    // The page's own script refreshing it in the background leaves the notice for the page.
    let refreshed = member
        .get(app.url("/talk/"))
        .header("X-Quire-Refresh", "1")
        .send()
        .await
        .unwrap();
    assert_eq!(refreshed.status(), 200);
    let refreshed = parse_html(&refreshed.text().await.unwrap());
    assert!(select(&refreshed, ".notice").is_empty());

    // The member sees it, marked as waiting; readers do not.
    let mine = parse_html(
        &member
            .get(app.url("/talk/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(text_of(&mine, ".notice").contains("waits for a moderator"));
    assert_eq!(comment_ids(&mine), vec![format!("comment-{id}")]);
    assert!(text_of(&mine, ".comment__waiting").contains("Waiting"));
    let public = app.page("/talk/", 200).await;
    assert!(comment_ids(&public).is_empty());

    // An editor approves it from the queue.
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let queue = parse_html(
        &editor
            .get(app.url("/admin/comments"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(text_of(&queue, ".moderation__text").contains("Hello there"));
    let response = app
        .submit(
            &editor,
            "/admin/comments",
            "/admin/comments/moderate",
            &[
                ("ids", &id.to_string()),
                ("action", "approve"),
                ("back", "/admin/comments"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(status_of(&app, id), Status::Approved);

    let doc = app.page("/talk/", 200).await;
    assert_eq!(text_of(&doc, "#comments-heading"), "1 comment");
    assert_eq!(text_of(&doc, ".comment__author"), "ada");
    assert_eq!(
        select(&doc, ".comment__text em")[0]
            .text()
            .collect::<String>(),
        "there"
    );
    assert!(!select(&doc, ".comment time[datetime]").is_empty());
    // Structured data: the count and the comment itself.
    let ld: serde_json::Value =
        serde_json::from_str(&select(&doc, "script[type='application/ld+json']")[0].inner_html())
            .unwrap();
    let posting = ld["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["@type"] == "BlogPosting")
        .unwrap();
    assert_eq!(posting["commentCount"], 1);
    assert_eq!(posting["comment"][0]["@type"], "Comment");
    assert_eq!(posting["comment"][0]["text"], "Hello there");
    assert!(
        posting["comment"][0]["@id"]
            .as_str()
            .unwrap()
            .ends_with(&format!("/talk/#comment-{id}"))
    );
    assert_eq!(posting["comment"][0]["author"]["name"], "ada");

    // Trusted now: the next comment (after the flood interval) goes live at once.
    age(&app, id, 1);
    let response = post_comment(&app, &member, post.id, &[("text", "Again")]).await;
    assert_eq!(response.status(), 303);
    let second: i64 = location(&response)
        .rsplit('-')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert_eq!(status_of(&app, second), Status::Approved);
}

#[tokio::test]
async fn replies_nest_five_deep_then_run_flat_under_their_thread() {
    let app = spawn_app().await;
    let post = app.seed(SeedPost::published("deep", "Deep"));
    let staff = app.user_with_password("staff@example.com", Role::Editor, PASSWORD);
    let top = comment_as(&app, &staff, post.id, None, "level 1");
    let mut parent = top;
    let mut chain = vec![top];
    for level in 2..=7 {
        parent = comment_as(
            &app,
            &staff,
            post.id,
            Some(parent),
            &format!("level {level}"),
        );
        chain.push(parent);
    }
    let other = comment_as(&app, &staff, post.id, None, "another thread");
    let doc = app.page("/deep/", 200).await;
    // Levels 1–5 nest; 6 and 7 are siblings of 5, each saying whom it answers.
    let nested = |depth: usize, id: i64| {
        let selector = format!(
            "#comments > ol{} > li#comment-{id}",
            " > li > ol".repeat(depth)
        );
        select(&doc, &selector).len() == 1
    };
    for (depth, id) in chain.iter().take(5).enumerate() {
        assert!(
            nested(depth, *id),
            "level {} nests at depth {depth}",
            depth + 1
        );
    }
    assert!(nested(4, chain[5]) && nested(4, chain[6]));
    assert_eq!(
        text_of(&doc, &format!("#comment-{} .comment__to", chain[6])),
        "replying to staff"
    );
    assert!(nested(0, other));
    assert_eq!(comment_ids(&doc).len(), 8);
    assert_eq!(text_of(&doc, "#comments-heading"), "8 comments");
    // Staff replies are marked.
    assert!(text_of(&doc, &format!("#comment-{top} .badge")).contains("Staff"));
}

#[tokio::test]
async fn long_conversations_have_pages_of_their_own() {
    let app = spawn_app().await;
    let post = app.seed(SeedPost::published("busy", "Busy"));
    let staff = app.user_with_password("staff@example.com", Role::Editor, PASSWORD);
    let first = comment_as(&app, &staff, post.id, None, "thread 1");
    for n in 2..=51 {
        comment_as(&app, &staff, post.id, None, &format!("thread {n}"));
    }
    let page_one = app.page("/busy/", 200).await;
    assert_eq!(comment_ids(&page_one).len(), 50);
    assert_eq!(comment_ids(&page_one)[0], format!("comment-{first}"));
    assert_eq!(
        attr_of(
            &page_one,
            "nav[aria-label='Pages of comments'] a[rel=next]",
            "href"
        ),
        "/busy/comments/2/#comments"
    );
    let page_two = app.page("/busy/comments/2/", 200).await;
    assert_eq!(comment_ids(&page_two).len(), 1);
    assert!(attr_of(&page_two, "link[rel=canonical]", "href").ends_with("/busy/comments/2/"));
    assert!(text_of(&page_two, "title").contains("comments, page 2"));
    assert_redirect(&app, "/busy/comments/1/", "/busy/").await;
    app.page("/busy/comments/3/", 404).await;
    app.page("/busy/comments/0/", 404).await;
    app.page("/busy/comments/two/", 404).await;
    app.page("/nothing-here/comments/2/", 404).await;
    // A permalink finds the page a comment is on.
    let last = app
        .db
        .run_blocking(|conn| {
            quire::db::schema::comments::table
                .select(diesel::dsl::max(quire::db::schema::comments::id))
                .first::<Option<i64>>(conn)
        })
        .unwrap()
        .unwrap();
    let response = app.get(&format!("/comments/{last}")).await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        location(&response),
        format!("/busy/comments/2/#comment-{last}")
    );
}

#[tokio::test]
async fn comment_text_is_a_safe_subset_with_user_content_links() {
    let app = spawn_app().await;
    let post = app.seed(SeedPost::published("safe", "Safe"));
    let staff = app.user_with_password("staff@example.com", Role::Editor, PASSWORD);
    app.db
        .run_blocking(|conn| {
            diesel::update(quire::db::schema::users::table)
                .set(quire::db::schema::users::website.eq("https://staff.example/"))
                .execute(conn)
        })
        .unwrap();
    let id = comment_as(
        &app,
        &staff,
        post.id,
        None,
        "# Big\n\n<script>alert(1)</script> [site](https://x.example/) ![img](https://x.example/i.png)",
    );
    let doc = app.page("/safe/", 200).await;
    let body = format!("#comment-{id} .comment__text");
    assert!(select(&doc, &format!("{body} script")).is_empty());
    assert!(select(&doc, &format!("{body} h1")).is_empty());
    assert!(select(&doc, &format!("{body} img")).is_empty());
    assert!(text_of(&doc, &body).contains("<script>alert(1)</script>"));
    for link in select(&doc, &format!("{body} a")) {
        assert_eq!(link.value().attr("rel"), Some("ugc nofollow noopener"));
    }
    assert_eq!(
        attr_of(&doc, &format!("#comment-{id} .comment__author a"), "rel"),
        "ugc nofollow"
    );
}

#[tokio::test]
async fn bad_comments_come_back_with_the_reason_and_the_text() {
    let app = spawn_app().await;
    let post = app.seed(SeedPost::published("rules", "Rules"));
    let other = app.seed(SeedPost::published("other", "Other"));
    let draft = app.seed(SeedPost::published("hidden", "Hidden").draft());
    let staff = app.user_with_password("staff@example.com", Role::Editor, PASSWORD);
    let elsewhere = comment_as(&app, &staff, other.id, None, "on another post");
    let member = app.signed_in_as("bo@example.com", Role::Member).await;

    let response = post_comment(&app, &member, post.id, &[("text", "   \n ")]).await;
    assert_eq!(response.status(), 422);
    let doc = parse_html(&response.text().await.unwrap());
    assert!(text_of(&doc, ".field__error").contains("Write something"));

    let long = "x".repeat(5001);
    let response = post_comment(&app, &member, post.id, &[("text", &long)]).await;
    assert_eq!(response.status(), 422);
    let doc = parse_html(&response.text().await.unwrap());
    assert!(text_of(&doc, ".field__error").contains("at most 5000"));
    assert_eq!(
        text_of(&doc, "textarea[name=text]"),
        long,
        "the text is kept"
    );

    // A reply to a comment under another post.
    let response = post_comment(
        &app,
        &member,
        post.id,
        &[("text", "hi"), ("parent_id", &elsewhere.to_string())],
    )
    .await;
    assert_eq!(response.status(), 422);

    for forged in ["999999", "abc", "-1", ""] {
        let response = app
            .submit(
                &member,
                "/rules/",
                "/comments",
                &[("post_id", forged), ("text", "hi")],
            )
            .await;
        assert_eq!(response.status(), 404, "post id {forged:?}");
    }
    let response = post_comment(&app, &member, draft.id, &[("text", "hi")]).await;
    assert_eq!(
        response.status(),
        404,
        "an unpublished post takes no comments"
    );

    // Anonymous visitors are sent to sign in.
    let anonymous = browser();
    let response = anonymous
        .post(app.url("/comments"))
        .form(&[("post_id", post.id.to_string()), ("text", "hi".into())])
        .send()
        .await
        .unwrap();
    assert!(matches!(response.status().as_u16(), 303 | 403));

    // A form sent twice makes one comment; a different one within seconds is refused.
    let first = post_comment(&app, &member, post.id, &[("text", "Once")]).await;
    let again = post_comment(&app, &member, post.id, &[("text", "Once")]).await;
    assert_eq!(first.status(), 303);
    assert_eq!(again.status(), 303);
    assert_eq!(location(&first), location(&again));
    let flood = post_comment(&app, &member, post.id, &[("text", "Twice")]).await;
    assert_eq!(flood.status(), 422);
    assert!(flood.text().await.unwrap().contains("moment ago"));
    let count = app
        .db
        .run_blocking(|conn| {
            quire::db::schema::comments::table
                .filter(quire::db::schema::comments::author_email.eq("bo@example.com"))
                .count()
                .get_result::<i64>(conn)
        })
        .unwrap();
    assert_eq!(count, 1);
}

#[tokio::test]
async fn closed_posts_and_sites_take_no_comments() {
    let app = spawn_app().await;
    let closed =
        app.seed(SeedPost::published("closed", "Closed").with(|p| p.comments_open = false));
    let old = app.seed(SeedPost::published("old", "Old").hours_ago(24 * 40));
    let member = app.signed_in_as("cy@example.com", Role::Member).await;
    let response = post_comment(&app, &member, closed.id, &[("text", "hi")]).await;
    assert_eq!(response.status(), 422);
    assert!(
        response
            .text()
            .await
            .unwrap()
            .contains("closed on this post")
    );
    let doc = app.page("/closed/", 200).await;
    assert!(text_of(&doc, ".comments__closed").contains("closed"));

    app.update_settings(|s| s.comments.close_after_days = 30);
    let response = post_comment(&app, &member, old.id, &[("text", "hi")]).await;
    assert_eq!(response.status(), 422);
    app.update_settings(|s| {
        s.comments.close_after_days = 0;
        s.comments.who = comments::Who::Nobody;
    });
    let response = post_comment(&app, &member, old.id, &[("text", "hi")]).await;
    assert_eq!(response.status(), 422);
}

#[tokio::test]
async fn the_rules_hold_links_and_listed_words_and_bar_members() {
    let app = spawn_app().await;
    let post = app.seed(SeedPost::published("rules", "Rules"));
    app.update_settings(|s| {
        s.comments.first_needs_approval = false;
        s.comments.hold_words = vec!["casino".into()];
        s.comments.block_words = vec!["pills".into()];
    });
    let said = |text: &'static str, email: &'static str| {
        let app = &app;
        async move {
            let member = app.signed_in_as(email, Role::Member).await;
            let response = post_comment(app, &member, post.id, &[("text", text)]).await;
            assert_eq!(response.status(), 303, "{text}");
            let id: i64 = location(&response)
                .rsplit('-')
                .next()
                .unwrap()
                .parse()
                .unwrap();
            status_of(app, id)
        }
    };
    assert_eq!(said("plain words", "a@example.com").await, Status::Approved);
    assert_eq!(
        said(
            "https://a.example https://b.example https://c.example",
            "b@example.com"
        )
        .await,
        Status::Pending
    );
    assert_eq!(
        said("best CASINO here", "c@example.com").await,
        Status::Pending
    );
    assert_eq!(said("cheap pills", "d@example.com").await, Status::Spam);

    // A barred member is refused.
    let barred = app.signed_in_as("e@example.com", Role::Member).await;
    let user_id = app
        .db
        .run_blocking(|conn| {
            quire::db::schema::users::table
                .filter(quire::db::schema::users::email.eq("e@example.com"))
                .select(quire::db::schema::users::id)
                .first::<i64>(conn)
        })
        .unwrap();
    let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
    let page = format!("/admin/comments?author={user_id}");
    let response = app
        .submit(
            &admin,
            &page,
            "/admin/comments/bar",
            &[
                ("user_id", &user_id.to_string()),
                ("barred", "yes"),
                ("back", &page),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let response = post_comment(&app, &barred, post.id, &[("text", "let me in")]).await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn members_edit_for_a_while_delete_and_report() {
    let app = spawn_app().await;
    let post = app.seed(SeedPost::published("mine", "Mine"));
    app.update_settings(|s| s.comments.first_needs_approval = false);
    let member = app.signed_in_as("fi@example.com", Role::Member).await;
    let response = post_comment(&app, &member, post.id, &[("text", "Frist")]).await;
    let id: i64 = location(&response)
        .rsplit('-')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let edit = format!("/comments/{id}/edit");
    let response = app
        .submit(&member, &edit, &edit, &[("text", "First")])
        .await;
    assert_eq!(response.status(), 303);
    let doc = app.page("/mine/", 200).await;
    assert_eq!(text_of(&doc, ".comment__text"), "First");
    assert!(text_of(&doc, ".comment__edited").contains("edited"));

    // Someone else cannot edit it; after fifteen minutes its author cannot either.
    let other = app.signed_in_as("gu@example.com", Role::Member).await;
    let response = other.get(app.url(&edit)).send().await.unwrap();
    assert_eq!(response.status(), 404);
    age(&app, id, 16);
    let response = app
        .submit(&member, &edit, &edit, &[("text", "Changed")])
        .await;
    assert_eq!(response.status(), 422);

    // Reports count once per member and reach the reported queue.
    let reply = {
        let staff = app.user_with_password("st@example.com", Role::Editor, PASSWORD);
        comment_as(&app, &staff, post.id, Some(id), "A reply")
    };
    let report = format!("/comments/{id}/report");
    for _ in 0..2 {
        let response = app.submit(&other, "/mine/", &report, &[]).await;
        assert_eq!(response.status(), 303);
    }
    let reports = app
        .db
        .run_blocking(move |conn| comments::by_id(conn, id))
        .unwrap()
        .unwrap()
        .reports;
    assert_eq!(reports, 1);
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let queue = parse_html(
        &editor
            .get(app.url("/admin/comments?queue=reported"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(text_of(&queue, ".moderation__list").contains("reported 1 time"));

    // Deleted with a reply: its place stays, marked; the reply stays under it.
    let delete = format!("/comments/{id}/delete");
    let response = app.submit(&member, &delete, &delete, &[]).await;
    assert_eq!(response.status(), 303);
    let doc = app.page("/mine/", 200).await;
    assert_eq!(
        text_of(&doc, &format!("#comment-{id} > article")),
        "This comment was removed."
    );
    assert_eq!(
        select(&doc, &format!("#comment-{id} li#comment-{reply}")).len(),
        1
    );
    assert!(!doc.html().contains("First"));
}

#[tokio::test]
async fn only_moderators_reach_the_queue() {
    let app = spawn_app().await;
    let author = app.signed_in_as("au@example.com", Role::Author).await;
    let response = author.get(app.url("/admin/comments")).send().await.unwrap();
    assert_eq!(response.status(), 403);
    assert!(!Role::Author.can(Permission::ModerateComments));
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    for path in [
        "/admin/comments",
        "/admin/comments?queue=spam",
        "/admin/comments?queue=reported",
    ] {
        let response = editor.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "{path}");
    }
    for bad in [
        "/admin/comments?queue=nonsense",
        "/admin/comments?post=abc",
        "/admin/comments?page=0",
    ] {
        let response = editor.get(app.url(bad)).send().await.unwrap();
        assert_eq!(response.status(), 404, "{bad}");
    }
    // Settings are for those who manage the site, and refuse nonsense.
    let response = editor
        .get(app.url("/admin/comments/settings"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    let admin = app.signed_in_as("ad@example.com", Role::Admin).await;
    let response = app
        .submit(
            &admin,
            "/admin/comments/settings",
            "/admin/comments/settings",
            &[
                ("who", "everyone"),
                ("order", "oldest"),
                ("close_after_days", "-3"),
                ("max_links", "2"),
                ("hold_words", ""),
                ("block_words", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), 422);
    let response = app
        .submit(
            &admin,
            "/admin/comments/settings",
            "/admin/comments/settings",
            &[
                ("who", "members"),
                ("order", "newest"),
                ("close_after_days", "30"),
                ("max_links", "1"),
                ("hold_words", "casino\npoker"),
                ("block_words", ""),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    let settings = app
        .db
        .run_blocking(|conn| quire::domain::settings::current(conn, now()))
        .unwrap()
        .comments;
    assert_eq!(settings.order, comments::Order::Newest);
    assert_eq!(settings.hold_words, vec!["casino", "poker"]);
    assert!(!settings.first_needs_approval);
}

#[tokio::test]
async fn a_comment_refreshes_its_post_and_leaves_the_others_cached() {
    let app = spawn_app().await;
    let bees = app.tag("bees", "Bees");
    let a = app.seed(SeedPost::published("post-a", "A").hours_ago(2));
    app.seed(
        SeedPost::published("post-b", "B")
            .hours_ago(1)
            .tags(&[&bees]),
    );
    let staff = app.user_with_password("staff@example.com", Role::Editor, PASSWORD);
    let cache = app.cache.as_ref().unwrap();
    for path in ["/post-a/", "/post-b/", "/", "/tag/bees/"] {
        app.get(path).await;
        assert!(cache.holds(path), "{path} is cached");
    }
    let before = cache.stats.invalidations.load(Ordering::Relaxed);
    comment_as(&app, &staff, a.id, None, "Fresh words");
    assert!(
        !cache.holds("/post-a/"),
        "the post commented on is made again"
    );
    assert!(
        !cache.holds("/"),
        "so is the home page, whose card counts its comments"
    );
    assert!(cache.holds("/post-b/"), "its neighbour stays");
    assert!(cache.holds("/tag/bees/"), "a list without it stays");
    assert_eq!(
        cache.stats.invalidations.load(Ordering::Relaxed),
        before + 2
    );
    let home = app.page("/", 200).await;
    assert_eq!(text_of(&home, ".card__comments"), "1 comment");
    let doc = app.page("/post-a/", 200).await;
    assert!(text_of(&doc, ".comment__text").contains("Fresh words"));
    // A signed-in reader's page is their own and says so.
    let member = app.signed_in_as("me@example.com", Role::Member).await;
    let response = member.get(app.url("/post-a/")).send().await.unwrap();
    assert_eq!(response.headers()["cache-control"], "private, no-cache");
}

/// Waits (up to 10 s) for the notice jobs to queue mail to `to` whose subject has `about`.
async fn mail_to(app: &TestApp, to: &str, about: &str) -> quire::mail::Queued {
    for _ in 0..100 {
        if let Some(mail) = app
            .outbox()
            .into_iter()
            .find(|m| m.recipient == to && m.subject.contains(about))
        {
            return mail;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no mail to {to} about {about:?}: {:?}", app.outbox());
}

/// Waits until every comment notice has run (its mail, if any, is then queued).
async fn notices_done(app: &TestApp) {
    for _ in 0..100 {
        let jobs = app
            .db
            .run_blocking(|conn| quire::jobs::queue::of_kind(conn, "comment-notice"))
            .unwrap();
        if jobs
            .iter()
            .all(|j| j.status == quire::jobs::JobStatus::Done)
        {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("comment notices did not run");
}

fn mails_to(app: &TestApp, to: &str, about: &str) -> usize {
    app.outbox()
        .into_iter()
        .filter(|m| m.recipient == to && m.subject.contains(about))
        .count()
}

#[tokio::test]
async fn authors_hear_of_comments_and_commenters_of_replies_until_they_stop() {
    let app = spawn_app().await;
    app.update_settings(|s| s.comments.first_needs_approval = false);
    let writer = app.user_with_password("writer@example.com", Role::Author, PASSWORD);
    let post = app.seed(SeedPost::published("news", "News").authors(&[&writer]));
    let ada = app.signed_in_as("ada@example.com", Role::Member).await;
    let response = post_comment(&app, &ada, post.id, &[("text", "First!"), ("notify", "on")]).await;
    let first: i64 = location(&response)
        .rsplit('-')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let alert = mail_to(&app, "writer@example.com", "New comment on “News”").await;
    assert!(alert.body.contains("> First!"), "{}", alert.body);

    // A reply reaches the commenter, with a way out that needs no sign-in.
    let bo = app.signed_in_as("bo@example.com", Role::Member).await;
    let reply = [("text", "Second."), ("parent_id", &first.to_string()[..])];
    assert_eq!(post_comment(&app, &bo, post.id, &reply).await.status(), 303);
    let mail = mail_to(&app, "ada@example.com", "replied to your comment").await;
    assert!(mail.body.contains("> Second."));
    let unsubscribe = mail
        .headers
        .iter()
        .find(|(name, _)| name == "List-Unsubscribe")
        .map(|(_, value)| value.trim_matches(|c| c == '<' || c == '>').to_string())
        .expect("a List-Unsubscribe header");
    assert!(
        mail.headers
            .iter()
            .any(|(n, v)| n == "List-Unsubscribe-Post" && v == "List-Unsubscribe=One-Click")
    );
    assert!(mail.body.contains(&unsubscribe));
    let path = unsubscribe.strip_prefix(&app.base).unwrap().to_string();

    // Opening the link asks first; the button (or a mail client's one-click POST) stops it.
    let page = app.page(&path, 200).await;
    assert!(text_of(&page, "main").contains("Stop the mail"));
    let response = browser()
        .post(app.url(&path))
        .form(&[("List-Unsubscribe", "One-Click")])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let cy = app.signed_in_as("cy@example.com", Role::Member).await;
    let again = [("text", "Third."), ("parent_id", &first.to_string()[..])];
    assert_eq!(post_comment(&app, &cy, post.id, &again).await.status(), 303);
    notices_done(&app).await;
    assert_eq!(mails_to(&app, "ada@example.com", "replied"), 1, "no more");

    // A token that was not signed here does nothing.
    let forged = path
        .replace("token=", "token=9")
        .replace(&first.to_string(), "99");
    assert_eq!(app.get(&forged).await.status(), 400);
    let response = browser()
        .post(app.url("/comments/unsubscribe?token=1.AAAA"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}

#[tokio::test]
async fn authors_hear_of_waiting_comments_unless_they_turned_it_off() {
    let app = spawn_app().await;
    let writer = app.user_with_password("writer@example.com", Role::Author, PASSWORD);
    let post = app.seed(SeedPost::published("held", "Held").authors(&[&writer]));
    let member = app.signed_in_as("new@example.com", Role::Member).await;
    assert_eq!(
        post_comment(&app, &member, post.id, &[("text", "Hello")])
            .await
            .status(),
        303
    );
    let mail = mail_to(&app, "writer@example.com", "waits for a moderator").await;
    assert!(mail.body.contains("/admin/comments"));

    // The writer turns it off from their account page.
    let writer_browser = browser();
    assert_eq!(
        app.sign_in(&writer_browser, "writer@example.com", PASSWORD)
            .await
            .status(),
        303
    );
    let response = app
        .submit(&writer_browser, "/account/", "/account/alerts", &[])
        .await;
    assert_eq!(response.status(), 303);
    let page = parse_html(
        &writer_browser
            .get(app.url("/account/"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(select(&page, "#f-comment_alerts[checked]").is_empty());
    let other = app.signed_in_as("other@example.com", Role::Member).await;
    assert_eq!(
        post_comment(&app, &other, post.id, &[("text", "Hi")])
            .await
            .status(),
        303
    );
    notices_done(&app).await;
    assert_eq!(mails_to(&app, "writer@example.com", "waits"), 1);
}

#[tokio::test]
async fn removing_a_thread_s_first_comment_keeps_its_replies_and_hides_it() {
    let app = spawn_app().await;
    let post = app.seed(SeedPost::published("kept", "Kept"));
    let draft = app.seed(SeedPost::published("secret-draft", "Draft").draft());
    let staff = app.user_with_password("staff@example.com", Role::Editor, PASSWORD);
    let top = comment_as(
        &app,
        &staff,
        post.id,
        None,
        "The first word, later regretted",
    );
    let reply = comment_as(&app, &staff, post.id, Some(top), "A reply worth keeping");
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let response = app
        .submit(
            &editor,
            "/account/",
            "/admin/comments/moderate",
            &[("ids", &top.to_string()), ("action", "trash")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let doc = app.page("/kept/", 200).await;
    assert_eq!(
        select(&doc, &format!("#comment-{top} li#comment-{reply}")).len(),
        1,
        "the reply stays, under a placeholder"
    );
    assert_eq!(
        text_of(&doc, &format!("#comment-{top} > article")),
        "This comment was removed."
    );
    assert!(!doc.html().contains("later regretted"));
    assert_eq!(text_of(&doc, "#comments-heading"), "1 comment");

    // What readers may not see is never quoted back, whoever asks.
    let member = app.signed_in_as("nosy@example.com", Role::Member).await;
    let response = post_comment(
        &app,
        &member,
        post.id,
        &[("text", " "), ("parent_id", &top.to_string())],
    )
    .await;
    assert_eq!(response.status(), 422);
    assert!(!response.text().await.unwrap().contains("later regretted"));
    let response = member
        .get(app.url(&format!("/comments/{top}/reply")))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 404);

    // Nor are the addresses of posts readers cannot see.
    assert_eq!(app.get(&format!("/likes/{}", draft.id)).await.status(), 404);
    let response = post_comment(&app, &member, draft.id, &[("text", " ")]).await;
    assert_eq!(response.status(), 404);
    assert!(!response.text().await.unwrap().contains("secret-draft"));

    // An editor moderates members, not the people they work with.
    let owner = app
        .db
        .run_blocking(|conn| {
            quire::db::schema::users::table
                .filter(quire::db::schema::users::email.eq("staff@example.com"))
                .select(quire::db::schema::users::id)
                .first::<i64>(conn)
        })
        .unwrap();
    let response = app
        .submit(
            &editor,
            "/account/",
            "/admin/comments/bar",
            &[("user_id", &owner.to_string()), ("barred", "yes")],
        )
        .await;
    assert_eq!(response.status(), 403);
}
