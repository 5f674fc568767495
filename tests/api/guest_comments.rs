//! Guests' comments, where the site takes them: the form, the confirmation mail and its
//! link, the hidden field that catches robots, what nobody sees before confirmation, bad
//! input, and the moderation queue's live stream.

use std::time::{Duration, Instant};

use diesel::prelude::*;
use quire::db::schema::{comments, guest_comments};
use quire::domain::comments::Who;
use quire::domain::users::Role;

use crate::helpers::*;

const GUEST: &str = "guest@example.org";

fn welcome_guests(app: &TestApp, first_needs_approval: bool) {
    app.update_settings(|s| {
        s.comments.who = Who::Guests;
        s.comments.first_needs_approval = first_needs_approval;
    });
}

fn waiting_rows(app: &TestApp) -> i64 {
    app.db
        .run_blocking(|conn| guest_comments::table.count().get_result::<i64>(conn))
        .unwrap()
}

fn comment_rows(app: &TestApp) -> Vec<(String, String, String, Option<i64>)> {
    app.db
        .run_blocking(|conn| {
            comments::table
                .order(comments::id)
                .select((
                    comments::author_name,
                    comments::author_email,
                    comments::status,
                    comments::user_id,
                ))
                .load::<(String, String, String, Option<i64>)>(conn)
        })
        .unwrap()
}

/// Sends the guest form from `/comments/new` (the page that gives the form its token).
async fn send_guest(
    app: &TestApp,
    client: &reqwest::Client,
    post_id: i64,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let page = format!("/comments/new?post_id={post_id}");
    let post_id = post_id.to_string();
    let mut form = vec![("post_id", post_id.as_str())];
    form.extend_from_slice(fields);
    app.submit(client, &page, "/comments/guest", &form).await
}

fn guest_fields(text: &str) -> Vec<(&str, &str)> {
    vec![
        ("display_name", "Grace Guest"),
        ("email", GUEST),
        ("website", "https://grace.example.org/"),
        ("text", text),
    ]
}

fn mails_to(app: &TestApp, to: &str) -> usize {
    app.outbox().iter().filter(|m| m.recipient == to).count()
}

#[tokio::test]
async fn a_guest_comment_is_published_once_its_address_is_confirmed() {
    let app = spawn_app().await;
    welcome_guests(&app, false);
    let post = app.seed(SeedPost::published("open", "Open to all"));

    // The cached post page links to the guest form; the form asks who they are.
    let doc = app.page("/open/", 200).await;
    let link = attr_of(&doc, "#respond a[href^='/comments/new']", "href");
    assert_eq!(link, format!("/comments/new?post_id={}", post.id));
    let client = browser();
    let form = app.page(&link, 200).await;
    for name in ["display_name", "email", "website", "text", "homepage"] {
        assert_eq!(
            select(
                &form,
                &format!("form[action='/comments/guest'] [name={name}]")
            )
            .len(),
            1,
            "{name}"
        );
    }
    assert_eq!(
        attr_of(&form, ".field--trap", "aria-hidden"),
        "true",
        "the trap is hidden from people"
    );

    let response = send_guest(
        &app,
        &client,
        post.id,
        &guest_fields("Hello from *outside*"),
    )
    .await;
    assert_eq!(response.status(), 200);
    let sent = parse_html(&response.text().await.unwrap());
    assert_eq!(text_of(&sent, "h1"), "Check your email");
    assert!(text_of(&sent, "[role=status]").contains(GUEST));

    // Nobody sees it yet: not readers, not the queue.
    assert!(comment_rows(&app).is_empty());
    let doc = app.page("/open/", 200).await;
    assert!(select(&doc, "li.comment").is_empty());
    let mail = app
        .outbox()
        .into_iter()
        .find(|m| m.recipient == GUEST)
        .expect("a confirmation mail");
    assert!(
        mail.subject.starts_with("Confirm your comment"),
        "{}",
        mail.subject
    );
    assert!(mail.body.contains("Open to all"), "{}", mail.body);

    // The link's page shows the comment and asks; a scanner opening it publishes nothing.
    let link = app.mailed_link(GUEST, "/comments/confirm");
    let confirm = app.page(&link, 200).await;
    assert!(text_of(&confirm, "blockquote").contains("Hello from outside"));
    assert!(comment_rows(&app).is_empty());
    let action = attr_of(&confirm, "form[method=post]", "action");
    let another_browser = browser();
    let response = another_browser.post(app.url(&action)).send().await.unwrap();
    assert_eq!(response.status(), 303);
    let permalink = location(&response);
    assert!(permalink.starts_with("/open/#comment-"), "{permalink}");

    let rows = comment_rows(&app);
    assert_eq!(
        rows,
        vec![("Grace Guest".into(), GUEST.into(), "approved".into(), None)]
    );
    assert_eq!(waiting_rows(&app), 0);
    let doc = app.page("/open/", 200).await;
    assert_eq!(text_of(&doc, ".comment__author"), "Grace Guest");
    assert_eq!(attr_of(&doc, ".comment__author a", "rel"), "ugc nofollow");
    assert_eq!(text_of(&doc, ".comment__text em"), "outside");
    assert!(
        !doc.html().contains(GUEST),
        "a guest's address is never shown"
    );

    // The link works once.
    let again = another_browser.post(app.url(&action)).send().await.unwrap();
    assert_eq!(again.status(), 200);
    let again = parse_html(&again.text().await.unwrap());
    assert!(text_of(&again, "[role=status]").contains("used already"));
    assert_eq!(comment_rows(&app).len(), 1);
}

#[tokio::test]
async fn a_first_guest_comment_waits_for_a_moderator_after_confirmation() {
    let app = spawn_app().await;
    welcome_guests(&app, true);
    let post = app.seed(SeedPost::published("held", "Held"));
    let client = browser();
    let response = send_guest(&app, &client, post.id, &guest_fields("First words")).await;
    assert_eq!(response.status(), 200);
    let link = app.mailed_link(GUEST, "/comments/confirm");
    let response = browser().post(app.url(&link)).send().await.unwrap();
    assert_eq!(response.status(), 200);
    let page = parse_html(&response.text().await.unwrap());
    assert!(
        text_of(&page, "[role=status]").contains("waits for a moderator"),
        "{}",
        page.html()
    );
    assert_eq!(comment_rows(&app)[0].2, "pending");

    // The moderators see it now, and it reaches readers once approved.
    let moderator = app.signed_in_as("mod@example.com", Role::Editor).await;
    let queue = moderator
        .get(app.url("/admin/comments"))
        .send()
        .await
        .unwrap();
    let queue = parse_html(&queue.text().await.unwrap());
    assert!(text_of(&queue, ".moderation__list").contains("First words"));
    assert!(text_of(&queue, ".moderation__list").contains(GUEST));
}

#[tokio::test]
async fn robots_filling_the_hidden_field_are_shown_the_same_page_and_dropped() {
    let app = spawn_app().await;
    welcome_guests(&app, false);
    let post = app.seed(SeedPost::published("trap", "Trap"));
    let mut fields = guest_fields("Buy now");
    fields.push(("homepage", "https://spam.example/"));
    let response = send_guest(&app, &browser(), post.id, &fields).await;
    assert_eq!(response.status(), 200);
    let page = parse_html(&response.text().await.unwrap());
    assert_eq!(text_of(&page, "h1"), "Check your email");
    assert_eq!(waiting_rows(&app), 0);
    assert_eq!(mails_to(&app, GUEST), 0);
}

#[tokio::test]
async fn a_guest_form_sent_twice_is_one_comment_and_one_mail() {
    let app = spawn_app().await;
    welcome_guests(&app, false);
    let post = app.seed(SeedPost::published("twice", "Twice"));
    let client = browser();
    for _ in 0..2 {
        let response = send_guest(&app, &client, post.id, &guest_fields("Once")).await;
        assert_eq!(response.status(), 200);
    }
    assert_eq!(waiting_rows(&app), 1);
    assert_eq!(mails_to(&app, GUEST), 1);

    // A different comment at once is flood.
    let response = send_guest(&app, &client, post.id, &guest_fields("Again, quickly")).await;
    assert_eq!(response.status(), 422);
    let page = parse_html(&response.text().await.unwrap());
    assert!(text_of(&page, ".field__error").contains("moment ago"));
    assert_eq!(attr_of(&page, "textarea[name=text]", "name"), "text");
    assert_eq!(text_of(&page, "textarea[name=text]"), "Again, quickly");
}

#[tokio::test]
async fn bad_guest_input_is_refused_with_the_text_kept() {
    let app = spawn_app().await;
    welcome_guests(&app, false);
    let post = app.seed(SeedPost::published("bad", "Bad"));
    let client = browser();
    let long = "x".repeat(5_001);
    let cases: Vec<(Vec<(&str, &str)>, &str)> = vec![
        (
            vec![("display_name", ""), ("email", GUEST), ("text", "Hi")],
            "display_name",
        ),
        (
            vec![
                ("display_name", "G"),
                ("email", "not-an-address"),
                ("text", "Hi"),
            ],
            "email",
        ),
        (
            vec![
                ("display_name", "G"),
                ("email", GUEST),
                ("website", "javascript:alert(1)"),
                ("text", "Hi"),
            ],
            "website",
        ),
        (
            vec![("display_name", "G"), ("email", GUEST), ("text", "   ")],
            "text",
        ),
        (
            vec![("display_name", "G"), ("email", GUEST), ("text", &long)],
            "text",
        ),
    ];
    for (fields, field) in cases {
        let response = send_guest(&app, &client, post.id, &fields).await;
        assert_eq!(response.status(), 422, "{field}");
        let page = parse_html(&response.text().await.unwrap());
        assert_eq!(
            attr_of(&page, &format!("[name={field}]"), "aria-invalid"),
            "true",
            "{field}"
        );
        assert!(
            !text_of(&page, &format!("#{field}-error")).is_empty(),
            "{field}"
        );
        let text = fields.iter().find(|(k, _)| *k == "text").unwrap().1;
        assert_eq!(text_of(&page, "textarea[name=text]"), text.trim_end());
    }
    assert_eq!(waiting_rows(&app), 0);
    assert_eq!(mails_to(&app, GUEST), 0);

    // A forged or mangled confirmation link is refused.
    for token in ["1.abc", "", "nonsense"] {
        let response = browser()
            .post(app.url(&format!("/comments/confirm?token={token}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 400, "{token}");
    }
    // A post that does not exist, or a form without its token.
    let mut forged = guest_fields("Hi");
    forged.push(("post_id", "999999"));
    let page = format!("/comments/new?post_id={}", post.id);
    let response = app.submit(&client, &page, "/comments/guest", &forged).await;
    assert_eq!(response.status(), 404);
    let response = client
        .post(app.url("/comments/guest"))
        .form(&[("post_id", post.id.to_string())])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn where_only_members_comment_guests_are_sent_to_sign_in() {
    let app = spawn_app().await;
    app.has_an_owner();
    let post = app.seed(SeedPost::published("members", "Members"));
    let doc = app.page("/members/", 200).await;
    assert!(select(&doc, "#respond a[href^='/comments/new']").is_empty());
    let client = browser();
    let response = client
        .get(app.url(&format!("/comments/new?post_id={}", post.id)))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 303);
    assert!(location(&response).starts_with("/account/login"));

    // A form sent anyway is refused, and nothing is mailed.
    let token = app.csrf_token(&client, "/account/login").await;
    let id = post.id.to_string();
    let mut form = guest_fields("Let me in");
    form.push(("post_id", &id));
    form.push(("csrf_token", &token));
    let response = client
        .post(app.url("/comments/guest"))
        .form(&form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 403);
    assert_eq!(mails_to(&app, GUEST), 0);
}

#[tokio::test]
async fn a_guest_hears_of_replies_and_can_reply_as_a_guest() {
    let app = spawn_app().await;
    welcome_guests(&app, false);
    let post = app.seed(SeedPost::published("talk", "Talk"));
    let client = browser();
    let mut fields = guest_fields("Tell me when you answer");
    fields.push(("notify", "on"));
    send_guest(&app, &client, post.id, &fields).await;
    let link = app.mailed_link(GUEST, "/comments/confirm");
    let response = browser().post(app.url(&link)).send().await.unwrap();
    let anchor = location(&response);
    let guest_comment: i64 = anchor.rsplit('-').next().unwrap().parse().unwrap();

    // Another guest replies through the reply link, which offers the guest form.
    let reply_page = format!("/comments/{guest_comment}/reply");
    let form = app.page(&reply_page, 200).await;
    assert_eq!(
        attr_of(&form, "form.comment-form", "action"),
        "/comments/guest"
    );
    let other = "other@example.org";
    let parent = guest_comment.to_string();
    let id = post.id.to_string();
    let response = app
        .submit(
            &browser(),
            &reply_page,
            "/comments/guest",
            &[
                ("post_id", &id),
                ("parent_id", &parent),
                ("display_name", "Otto"),
                ("email", other),
                ("text", "Here is my answer"),
            ],
        )
        .await;
    assert_eq!(response.status(), 200);
    let link = app.mailed_link(other, "/comments/confirm");
    let response = browser().post(app.url(&link)).send().await.unwrap();
    assert_eq!(response.status(), 303);

    // The first guest is told (by the job), with a one-click way out.
    let deadline = Instant::now() + Duration::from_secs(5);
    let reply_mail = loop {
        if let Some(mail) = app
            .outbox()
            .into_iter()
            .find(|m| m.recipient == GUEST && m.body.contains("Here is my answer"))
        {
            break mail;
        }
        assert!(Instant::now() < deadline, "no reply mail to the guest");
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    assert!(
        reply_mail
            .headers
            .iter()
            .any(|(name, _)| name == "List-Unsubscribe-Post")
    );
    let doc = app.page("/talk/", 200).await;
    assert_eq!(select(&doc, "li.comment").len(), 2);
    assert!(text_of(&doc, ".comment__to, .comment-list--replies").contains("Otto"));
}

#[tokio::test]
async fn the_moderation_queue_hears_new_and_moderated_comments() {
    let app = spawn_app().await;
    let post = app.seed(SeedPost::published("queue", "Queue"));
    let moderator = app.signed_in_as("mod@example.com", Role::Editor).await;

    // Only moderators may listen.
    let member = app.signed_in_as("member@example.com", Role::Member).await;
    let refused = member
        .get(app.url("/admin/comments/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 403);
    let anonymous = browser()
        .get(app.url("/admin/comments/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), 303);
    assert!(location(&anonymous).starts_with("/account/login"));

    let mut stream = moderator
        .get(app.url("/admin/comments/live"))
        .send()
        .await
        .unwrap();
    assert_eq!(stream.status(), 200);
    assert_eq!(stream.headers()["content-type"], "text/event-stream");
    hear(&mut stream, "queue live", Duration::from_secs(2)).await;

    // A member's first comment waits: the queue hears it within two seconds.
    let id = post.id.to_string();
    let response = app
        .submit(
            &member,
            "/account/",
            "/comments",
            &[("post_id", &id), ("text", "Please approve me")],
        )
        .await;
    assert_eq!(response.status(), 303);
    let heard = hear(&mut stream, "event: queue", Duration::from_secs(2)).await;
    assert!(heard.contains("id: "), "{heard}");

    // The queue page carries the stream's address and the script that follows it.
    let page = moderator
        .get(app.url("/admin/comments"))
        .send()
        .await
        .unwrap();
    let page = parse_html(&page.text().await.unwrap());
    assert_eq!(
        attr_of(&page, "#queue", "data-live"),
        "/admin/comments/live"
    );
    assert!(attr_of(&page, "script[src*=moderation]", "src").ends_with(".js"));
}

#[tokio::test]
async fn one_mailbox_is_one_guest_however_it_is_capitalised_and_a_barred_member_stays_out() {
    let app = spawn_app().await;
    welcome_guests(&app, false);
    let post = app.seed(SeedPost::published("caps", "Caps"));
    let client = browser();
    let first = [
        ("display_name", "V"),
        ("email", "Victim@example.org"),
        ("text", "One"),
    ];
    assert_eq!(
        send_guest(&app, &client, post.id, &first).await.status(),
        200
    );
    let second = [
        ("display_name", "V"),
        ("email", "vICTIM@example.org"),
        ("text", "Two"),
    ];
    let response = send_guest(&app, &client, post.id, &second).await;
    assert_eq!(response.status(), 422, "the same mailbox a moment later");
    assert_eq!(waiting_rows(&app), 1);

    // A member barred from commenting cannot come back as a guest with their address.
    let member = app.user_with_password("barred@example.com", Role::Member, PASSWORD);
    let member_id = member.id;
    app.db
        .run_blocking(move |conn| {
            diesel::insert_into(quire::db::schema::comment_bans::table)
                .values((
                    quire::db::schema::comment_bans::user_id.eq(member_id),
                    quire::db::schema::comment_bans::created_at.eq(now()),
                ))
                .execute(conn)
        })
        .unwrap();
    let barred = [
        ("display_name", "B"),
        ("email", "BARRED@example.com"),
        ("text", "Back again"),
    ];
    let response = send_guest(&app, &browser(), post.id, &barred).await;
    assert_eq!(response.status(), 403);
    assert_eq!(mails_to(&app, "barred@example.com"), 0);
}
