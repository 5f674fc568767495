//! Webhooks: deliveries signed as Standard Webhooks says (checked with its reference
//! library), carrying the changed object and its previous version, retried on schedule
//! with `Retry-After` honoured and across a restart, never to private addresses unless
//! allowed, never following redirects, turned off after a 410; and the admin's pages.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use quire::domain::integrations::{self, Scope};
use quire::domain::users::Role;
use quire::domain::webhooks::{self, DeliveryStatus, Event, Webhook};
use quire::domain::write::Actor;
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

use crate::helpers::*;

/// What a receiver answers to one request.
#[derive(Clone)]
enum Answer {
    Status(u16, &'static [(&'static str, &'static str)]),
    /// Says nothing until the sender gives up.
    Hang,
}

#[derive(Clone)]
struct Received {
    headers: reqwest::header::HeaderMap,
    body: String,
    at: Instant,
}

impl Received {
    fn json(&self) -> Value {
        serde_json::from_str(&self.body).expect("a JSON body")
    }

    fn header(&self, name: &str) -> String {
        self.headers[name].to_str().unwrap().to_string()
    }
}

/// A webhook receiver on 127.0.0.1: answers each request with the next scripted answer
/// (200 once they run out) and keeps what it received.
struct Receiver {
    url: String,
    got: Arc<Mutex<Vec<Received>>>,
}

impl Receiver {
    async fn start(script: Vec<Answer>) -> Receiver {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}/hooks", listener.local_addr().unwrap());
        let got = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(VecDeque::from(script)));
        let kept = Arc::clone(&got);
        tokio::spawn(async move {
            while let Ok((mut socket, _)) = listener.accept().await {
                let (kept, script) = (Arc::clone(&kept), Arc::clone(&script));
                tokio::spawn(async move {
                    let Some(received) = read_request(&mut socket).await else {
                        return;
                    };
                    kept.lock().unwrap().push(received);
                    let answer = script
                        .lock()
                        .unwrap()
                        .pop_front()
                        .unwrap_or(Answer::Status(200, &[]));
                    match answer {
                        Answer::Hang => tokio::time::sleep(Duration::from_secs(30)).await,
                        Answer::Status(code, headers) => {
                            let mut reply = format!(
                                "HTTP/1.1 {code} Scripted\r\ncontent-length: 0\r\nconnection: close\r\n"
                            );
                            for (name, value) in headers {
                                reply.push_str(&format!("{name}: {value}\r\n"));
                            }
                            reply.push_str("\r\n");
                            let _ = socket.write_all(reply.as_bytes()).await;
                        }
                    }
                });
            }
        });
        Receiver { url, got }
    }

    fn received(&self) -> Vec<Received> {
        self.got.lock().unwrap().clone()
    }

    /// Waits until `count` requests have arrived (failing after `limit`).
    async fn wait_for(&self, count: usize, limit: Duration) -> Vec<Received> {
        let start = Instant::now();
        loop {
            let got = self.received();
            if got.len() >= count {
                return got;
            }
            assert!(
                start.elapsed() < limit,
                "{} of {count} deliveries arrived in {limit:?}",
                got.len()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

async fn read_request(socket: &mut tokio::net::TcpStream) -> Option<Received> {
    let mut buffer = Vec::new();
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            return None;
        }
        buffer.extend_from_slice(&chunk[..n]);
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).to_string();
    let mut headers = reqwest::header::HeaderMap::new();
    for line in head.lines().skip(1).filter(|l| !l.is_empty()) {
        let (name, value) = line.split_once(':')?;
        headers.append(
            reqwest::header::HeaderName::from_bytes(name.trim().as_bytes()).ok()?,
            value.trim().parse().ok()?,
        );
    }
    let length: usize = headers
        .get("content-length")
        .and_then(|v| v.to_str().ok()?.parse().ok())
        .unwrap_or(0);
    while buffer.len() < head_end + length {
        let n = socket.read(&mut chunk).await.ok()?;
        if n == 0 {
            break;
        }
        buffer.extend_from_slice(&chunk[..n]);
    }
    Some(Received {
        headers,
        body: String::from_utf8_lossy(&buffer[head_end..]).to_string(),
        at: Instant::now(),
    })
}

/// An app that may send webhooks to this machine, as the receivers here need.
async fn app_reaching_loopback() -> TestApp {
    spawn_app_with(|config| config.webhooks_allow_private = true).await
}

fn hook(app: &TestApp, url: &str, events: &[Event]) -> Webhook {
    let (made, _) = app
        .db
        .run_blocking(|conn| {
            integrations::create(
                conn,
                &Actor::command_line(),
                ("Receiver", &[Scope::ContentRead]),
                now(),
            )
        })
        .expect("an integration");
    let (url, events) = (url.to_string(), events.to_vec());
    app.db
        .run_blocking(move |conn| {
            webhooks::create(
                conn,
                &Actor::command_line(),
                made.id,
                (&url, &events),
                now(),
            )
        })
        .expect("a webhook")
}

fn reload(app: &TestApp, id: i64) -> Webhook {
    app.db
        .run_blocking(move |conn| webhooks::by_id(conn, id))
        .unwrap()
        .expect("the webhook")
}

fn deliveries(app: &TestApp, hook: &Webhook) -> Vec<webhooks::Delivery> {
    let id = hook.id;
    app.db
        .run_blocking(move |conn| webhooks::deliveries(conn, id, 100))
        .unwrap()
}

/// Checks the signature with the Standard Webhooks reference library, as a receiver does.
fn verify(secret: &str, received: &Received) {
    standardwebhooks::Webhook::new(secret)
        .unwrap()
        .verify(received.body.as_bytes(), &received.headers)
        .unwrap_or_else(|e| panic!("the signature holds: {e:?}"));
}

#[tokio::test]
async fn a_post_s_life_is_delivered_signed_with_each_previous_version() {
    let app = app_reaching_loopback().await;
    let receiver = Receiver::start(vec![]).await;
    let hook = hook(
        &app,
        &receiver.url,
        &Event::of_post(quire::domain::posts::PostKind::Post),
    );

    let post = app.seed(SeedPost::published("first-light", "First light"));
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    verify(&hook.secret, &got[0]);
    let body = got[0].json();
    assert_eq!(body["type"], "post.published");
    assert!(body["timestamp"].as_str().unwrap().ends_with('Z'));
    let current = &body["data"]["post"]["current"];
    assert_eq!(current["title"], "First light");
    assert_eq!(current["status"], "published");
    assert_eq!(
        current["url"],
        app.url("/first-light/"),
        "addresses are absolute"
    );
    assert!(body["data"]["post"]["previous"].is_null());
    assert_eq!(got[0].header("content-type"), "application/json");
    assert!(got[0].header("webhook-id").starts_with("msg_"));

    let opened = app
        .db
        .run_blocking(move |conn| quire::domain::posts::editing::open(conn, post.id))
        .unwrap()
        .unwrap();
    let mut input = opened.to_input();
    input.title = "First light, revised".into();
    let prepared = quire::domain::posts::input::prepare(input).unwrap();
    let version = opened.post.version;
    app.db
        .run_blocking(move |conn| {
            quire::domain::posts::write::update(
                conn,
                &Actor::command_line(),
                post.id,
                version,
                prepared,
                now(),
            )
        })
        .unwrap();
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    let body = got[1].json();
    assert_eq!(body["type"], "post.updated");
    assert_eq!(
        body["data"]["post"]["current"]["title"],
        "First light, revised"
    );
    assert_eq!(body["data"]["post"]["previous"]["title"], "First light");
    assert_ne!(got[0].header("webhook-id"), got[1].header("webhook-id"));

    app.trash(post.id);
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;
    let body = got[2].json();
    assert_eq!(body["type"], "post.unpublished");
    assert_eq!(body["data"]["post"]["current"]["trashed"], true);
    assert!(body["data"]["post"]["current"]["url"].is_null());

    app.db
        .run_blocking(move |conn| {
            quire::domain::posts::write::delete_forever(
                conn,
                &Actor::command_line(),
                post.id,
                now(),
            )
        })
        .unwrap();
    let got = receiver.wait_for(4, Duration::from_secs(10)).await;
    let body = got[3].json();
    assert_eq!(body["type"], "post.deleted");
    assert!(body["data"]["post"]["current"].is_null());
    assert_eq!(
        body["data"]["post"]["previous"]["title"],
        "First light, revised"
    );
    for received in &got {
        verify(&hook.secret, received);
    }

    // Pages are other events: this webhook did not ask for them.
    app.seed(SeedPost::page("about", "About"));
    tokio::time::sleep(Duration::from_millis(1500)).await;
    assert_eq!(receiver.received().len(), 4);
    let recorded = deliveries(&app, &hook);
    assert_eq!(recorded.len(), 4);
    assert!(
        recorded
            .iter()
            .all(|d| d.status == DeliveryStatus::Delivered
                && d.response_code == Some(200)
                && d.attempts == 1)
    );
}

#[tokio::test]
async fn a_failed_delivery_is_tried_again_after_retry_after_with_the_same_id() {
    let app = app_reaching_loopback().await;
    let receiver = Receiver::start(vec![Answer::Status(503, &[("retry-after", "7")])]).await;
    let hook = hook(&app, &receiver.url, &[Event::TagAdded]);
    app.tag("rivers", "Rivers");

    let got = receiver.wait_for(2, Duration::from_secs(20)).await;
    let waited = got[1].at - got[0].at;
    assert!(
        waited >= Duration::from_millis(6800),
        "Retry-After: 7 was honoured: {waited:?}"
    );
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    assert_eq!(got[0].body, got[1].body, "the same message");
    verify(&hook.secret, &got[1]);
    assert_eq!(got[1].json()["data"]["tag"]["current"]["slug"], "rivers");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let recorded = deliveries(&app, &hook);
    assert_eq!(recorded[0].status, DeliveryStatus::Delivered);
    assert_eq!(recorded[0].attempts, 2);
    assert!(
        reload(&app, hook.id).failing_since.is_none(),
        "a success ends the streak"
    );
}

#[tokio::test]
async fn a_delivery_survives_a_restart_between_attempts() {
    let first = app_reaching_loopback().await;
    let receiver = Receiver::start(vec![Answer::Status(500, &[])]).await;
    let hook = hook(&first, &receiver.url, &[Event::TagAdded]);
    first.tag("lakes", "Lakes");
    receiver.wait_for(1, Duration::from_secs(10)).await;
    // Once the failure is recorded and the retry queued, this instance dies.
    let start = Instant::now();
    loop {
        let queued: i64 = first
            .db
            .run_blocking(|conn| {
                use quire::db::schema::jobs;
                jobs::table
                    .filter(jobs::kind.eq("webhook"))
                    .filter(jobs::status.eq("queued"))
                    .filter(jobs::attempts.eq(1))
                    .count()
                    .get_result::<i64>(conn)
            })
            .unwrap();
        if queued == 1 {
            break;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the retry is queued"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    first.jobs.stop();
    let second = first
        .another_instance(|config| config.webhooks_allow_private = true)
        .await;
    let got = receiver.wait_for(2, Duration::from_secs(20)).await;
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));
    verify(&hook.secret, &got[1]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert_eq!(
        deliveries(&second, &hook)[0].status,
        DeliveryStatus::Delivered
    );
}

#[tokio::test]
async fn targets_on_private_addresses_are_refused_unless_allowed() {
    let app = spawn_app().await;
    let receiver = Receiver::start(vec![]).await;
    // Written out, the address is refused when the webhook is made.
    let refused = webhooks::parse(&receiver.url, &["tag.added".into()], false).unwrap_err();
    assert!(refused.get("target_url").unwrap().contains("private"));
    assert!(webhooks::parse(&receiver.url, &["tag.added".into()], true).is_ok());
    // A name that resolves to this machine is refused when each delivery resolves it.
    let by_name = receiver.url.replace("127.0.0.1", "localhost");
    let hook = hook(&app, &by_name, &[Event::TagAdded]);
    app.tag("hills", "Hills");
    let start = Instant::now();
    let delivery = loop {
        let found = deliveries(&app, &hook);
        if let Some(d) = found.into_iter().find(|d| d.attempts > 0) {
            break d;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the delivery is tried"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert!(
        receiver.received().is_empty(),
        "nothing reached the loopback address"
    );
    assert_eq!(
        delivery.status,
        DeliveryStatus::Pending,
        "it is tried again later"
    );
    assert!(delivery.response_code.is_none());
    let error = delivery.error.unwrap();
    assert!(error.contains("no public address"), "{error}");
    assert!(delivery.next_try_at.is_some());
}

#[tokio::test]
async fn redirects_are_not_followed_and_a_target_that_hangs_times_out() {
    let app = spawn_app_with(|config| {
        config.webhooks_allow_private = true;
        config.webhook_timeout = Duration::from_secs(1);
    })
    .await;
    let elsewhere = Receiver::start(vec![]).await;
    let location: &'static str = Box::leak(elsewhere.url.clone().into_boxed_str());
    let redirecting = Receiver::start(vec![Answer::Status(
        307,
        vec![("location", location)].leak(),
    )])
    .await;
    let hanging = Receiver::start(vec![Answer::Hang]).await;
    let moved = hook(&app, &redirecting.url, &[Event::TagAdded]);
    let slow = hook(&app, &hanging.url, &[Event::TagAdded]);
    app.tag("valleys", "Valleys");
    redirecting.wait_for(1, Duration::from_secs(10)).await;
    hanging.wait_for(1, Duration::from_secs(10)).await;
    let start = Instant::now();
    let (moved, slow) = loop {
        let (a, b) = (deliveries(&app, &moved), deliveries(&app, &slow));
        if a[0].attempts > 0 && b[0].attempts > 0 {
            break (a.remove_first(), b.remove_first());
        }
        assert!(start.elapsed() < Duration::from_secs(10), "both are tried");
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    assert_eq!(moved.response_code, Some(307));
    assert_eq!(moved.status, DeliveryStatus::Pending);
    assert!(
        elsewhere.received().is_empty(),
        "the redirect was not followed"
    );
    assert_eq!(slow.error.as_deref(), Some("no answer in time"));
    assert!(slow.duration_ms.unwrap() >= 900);
}

trait First<T> {
    fn remove_first(self) -> T;
}

impl<T> First<T> for Vec<T> {
    fn remove_first(mut self) -> T {
        self.remove(0)
    }
}

#[tokio::test]
async fn a_410_turns_the_webhook_off_and_tells_the_owner() {
    let app = app_reaching_loopback().await;
    app.user_with_password("owner@example.com", Role::Owner, PASSWORD);
    let receiver = Receiver::start(vec![Answer::Status(410, &[])]).await;
    let hook = hook(&app, &receiver.url, &[Event::TagAdded, Event::TagChanged]);
    app.tag("coasts", "Coasts");
    receiver.wait_for(1, Duration::from_secs(10)).await;
    let start = Instant::now();
    while reload(&app, hook.id).is_on() {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "the webhook is turned off"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let off = reload(&app, hook.id);
    assert!(off.disabled_reason.unwrap().contains("410"));
    assert_eq!(deliveries(&app, &hook)[0].status, DeliveryStatus::Failed);
    let told = app
        .outbox()
        .into_iter()
        .find(|m| m.subject == "A webhook was turned off")
        .expect("the owner is told");
    assert_eq!(told.recipient, "owner@example.com");
    assert!(told.body.contains(&receiver.url));
    // Nothing more is queued for it.
    app.tag("capes", "Capes");
    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(deliveries(&app, &hook).len(), 1);
    assert_eq!(receiver.received().len(), 1);
}

#[tokio::test]
async fn tags_members_and_settings_are_told_with_what_they_were() {
    let app = app_reaching_loopback().await;
    let receiver = Receiver::start(vec![]).await;
    let events: Vec<Event> = Event::subscribable().collect();
    let hook = hook(&app, &receiver.url, &events);

    let tag = app.tag("forests", "Forests");
    let fields = quire::domain::tags::parse(&quire::domain::tags::TagInput {
        name: "Woods".into(),
        slug: "woods".into(),
        description: "Trees, mostly.".into(),
        ..Default::default()
    })
    .expect("tag fields");
    app.db
        .run_blocking(move |conn| {
            quire::domain::tags::update(conn, &Actor::command_line(), tag.id, &fields, now())
        })
        .unwrap();
    app.db
        .run_blocking(move |conn| {
            quire::domain::tags::delete(conn, &Actor::command_line(), tag.id, now())
        })
        .unwrap();
    // Each delivery is its own job, so they may arrive in any order, as the specification
    // allows; each names its event.
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;
    let of = |kind: &str| {
        got.iter()
            .map(Received::json)
            .find(|body| body["type"] == kind)
            .unwrap_or_else(|| panic!("a {kind} delivery"))
    };
    assert_eq!(of("tag.added")["data"]["tag"]["current"]["name"], "Forests");
    assert_eq!(
        of("tag.changed")["data"]["tag"]["previous"]["name"],
        "Forests"
    );
    assert_eq!(of("tag.changed")["data"]["tag"]["current"]["name"], "Woods");
    assert_eq!(
        of("tag.deleted")["data"]["tag"]["previous"]["slug"],
        "woods"
    );
    assert!(of("tag.deleted")["data"]["tag"]["current"].is_null());

    // Staff are not members: making an editor tells no one; a member is told of.
    for (email, role) in [
        ("editor@example.com", Role::Editor),
        ("reader@example.com", Role::Member),
    ] {
        let email = quire::domain::users::Email::parse(email).unwrap();
        app.db
            .run_blocking(move |conn| {
                quire::domain::people::create(
                    conn,
                    &Actor::command_line(),
                    email,
                    "Someone".into(),
                    role,
                    "not a real hash".into(),
                    now(),
                )
            })
            .unwrap();
    }
    let got = receiver.wait_for(4, Duration::from_secs(10)).await;
    let member = got[3].json();
    assert_eq!(member["type"], "member.added");
    assert_eq!(
        member["data"]["member"]["current"]["email"],
        "reader@example.com"
    );

    app.update_settings(|settings| settings.title = "The Field Notes".into());
    let got = receiver.wait_for(5, Duration::from_secs(10)).await;
    let site = got[4].json();
    assert_eq!(site["type"], "site.changed");
    assert_eq!(
        site["data"]["settings"]["current"]["title"],
        "The Field Notes"
    );
    assert_ne!(
        site["data"]["settings"]["previous"]["title"],
        "The Field Notes"
    );
    for received in &got {
        verify(&hook.secret, received);
    }
}

#[tokio::test]
async fn a_scheduled_post_is_published_to_webhooks_when_its_time_comes() {
    let app = app_reaching_loopback().await;
    let receiver = Receiver::start(vec![]).await;
    hook(
        &app,
        &receiver.url,
        &[Event::PostPublished, Event::PostUpdated],
    );
    let at = now() + chrono::Duration::seconds(2);
    let saved = Instant::now();
    app.seed(SeedPost::published("dawn", "Dawn").scheduled_at(at));
    let got = receiver.wait_for(2, Duration::from_secs(15)).await;
    assert_eq!(got[0].json()["type"], "post.updated", "saved for later");
    assert_eq!(
        got[0].json()["data"]["post"]["current"]["status"],
        "scheduled"
    );
    let live = got[1].json();
    assert_eq!(live["type"], "post.published");
    assert_eq!(live["data"]["post"]["current"]["status"], "published");
    assert!(
        got[1].at - saved >= Duration::from_millis(1500),
        "not before its time"
    );
}

#[tokio::test]
async fn an_import_tells_no_webhook() {
    let app = app_reaching_loopback().await;
    let receiver = Receiver::start(vec![]).await;
    let hook = hook(
        &app,
        &receiver.url,
        &Event::subscribable().collect::<Vec<_>>(),
    );
    let export = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/ghost-theme-unit-test.json");
    let report = quire::transfer::import(
        &app.db,
        &export,
        quire::transfer::Options::default(),
        now(),
        &mut |_| {},
    )
    .expect("the import");
    assert!(report.posts > 0);
    tokio::time::sleep(Duration::from_millis(1000)).await;
    assert!(deliveries(&app, &hook).is_empty());
    assert!(receiver.received().is_empty());
}

async fn form(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    page: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = app.csrf_token(client, page).await;
    let mut body: Vec<(&str, &str)> = vec![("csrf_token", &token)];
    body.extend_from_slice(fields);
    client.post(app.url(path)).form(&body).send().await.unwrap()
}

#[tokio::test]
async fn admins_add_webhooks_send_tests_and_send_again_from_the_admin() {
    let app = app_reaching_loopback().await;
    let receiver = Receiver::start(vec![]).await;
    let (integration, _) = app
        .db
        .run_blocking(|conn| {
            integrations::create(
                conn,
                &Actor::command_line(),
                ("Chat", &[Scope::ContentRead]),
                now(),
            )
        })
        .unwrap();
    let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
    let list = format!("/admin/integrations/{}/webhooks", integration.id);

    // Bad input: the form again, with each field's problem, and nothing made.
    let response = form(
        &app,
        &admin,
        &list,
        &list,
        &[("target_url", "ftp://x"), ("event", "post.eaten")],
    )
    .await;
    assert_eq!(response.status(), 422);
    let doc = parse_html(&response.text().await.unwrap());
    assert!(text_of(&doc, "#target_url-error").contains("https://"));
    assert!(text_of(&doc, "#events-error").contains("post.eaten"));
    assert_eq!(attr_of(&doc, "#f-target_url", "value"), "ftp://x");

    let response = form(
        &app,
        &admin,
        &list,
        &list,
        &[
            ("target_url", &receiver.url),
            ("event", "post.published"),
            ("event", "tag.added"),
        ],
    )
    .await;
    assert_eq!(response.status(), 303);
    let page = response.headers()["location"].to_str().unwrap().to_string();
    let doc = app.page_as(&admin, &page).await;
    let secret = text_of(&doc, "details.secret code.key");
    assert!(secret.starts_with("whsec_"));
    assert!(
        doc.select(&scraper::Selector::parse("#event-tag-added[checked]").unwrap())
            .next()
            .is_some()
    );
    assert!(
        doc.select(&scraper::Selector::parse("#event-tag-changed[checked]").unwrap())
            .next()
            .is_none()
    );

    let hook_id: i64 = page.rsplit('/').next().unwrap().parse().unwrap();
    let response = form(&app, &admin, &format!("{page}/test"), &page, &[]).await;
    assert_eq!(response.status(), 303);
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    assert_eq!(got[0].json()["type"], "webhook.test");
    verify(&secret, &got[0]);
    tokio::time::sleep(Duration::from_millis(300)).await;
    let doc = app.page_as(&admin, &page).await;
    assert_eq!(text_of(&doc, "td[data-label=Status] .badge"), "Delivered");
    assert!(text_of(&doc, "td[data-label=Answer]").contains("200"));

    // Sent again, it keeps its id, so the receiver can tell it is the same message.
    let again = attr_of(&doc, "form[action$='/again']", "action");
    let response = form(&app, &admin, &again, &page, &[]).await;
    assert_eq!(response.status(), 303);
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    assert_eq!(got[0].header("webhook-id"), got[1].header("webhook-id"));

    // A new secret: for a day, deliveries carry both signatures.
    let response = form(
        &app,
        &admin,
        &format!("{page}/rotate"),
        &format!("{page}/rotate"),
        &[],
    )
    .await;
    assert_eq!(response.status(), 303);
    let rotated = reload(&app, hook_id);
    assert_ne!(rotated.secret, secret);
    let response = form(&app, &admin, &format!("{page}/test"), &page, &[]).await;
    assert_eq!(response.status(), 303);
    let got = receiver.wait_for(3, Duration::from_secs(10)).await;
    assert_eq!(got[2].header("webhook-signature").split(' ').count(), 2);
    verify(&secret, &got[2]);
    verify(&rotated.secret, &got[2]);

    // Editors may not see or change webhooks.
    let editor = app.signed_in_as("editor@example.com", Role::Editor).await;
    assert_eq!(
        editor.get(app.url(&page)).send().await.unwrap().status(),
        403
    );
    assert_eq!(
        editor.get(app.url(&list)).send().await.unwrap().status(),
        403
    );

    let response = form(
        &app,
        &admin,
        &format!("{page}/delete"),
        &format!("{page}/delete"),
        &[],
    )
    .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        admin.get(app.url(&page)).send().await.unwrap().status(),
        404
    );
}

#[tokio::test]
async fn comments_are_told_when_they_arrive_and_when_they_are_approved() {
    use quire::domain::comments::write::{self as comment_write, Moderation, NewComment};
    let app = app_reaching_loopback().await;
    let receiver = Receiver::start(vec![]).await;
    let hook = hook(
        &app,
        &receiver.url,
        &[Event::CommentAdded, Event::CommentApproved],
    );
    let post = app.seed(SeedPost::published("tides", "Tides"));
    let member = app.user_with_password("reader@example.com", Role::Member, PASSWORD);
    let prepared = comment_write::prepare("Lovely *tides*.").unwrap();
    let actor = Actor::of(&member);
    let posted = app
        .db
        .run_blocking(move |conn| {
            let new = NewComment {
                post_id: post.id,
                parent_id: None,
                text: String::new(),
                notify_replies: false,
            };
            comment_write::post(conn, &actor, &new, &prepared, now())
        })
        .expect("the comment is taken");
    let got = receiver.wait_for(1, Duration::from_secs(10)).await;
    let added = got[0].json();
    assert_eq!(added["type"], "comment.added");
    let comment = &added["data"]["comment"]["current"];
    assert_eq!(comment["status"], "pending", "a first comment waits");
    assert_eq!(comment["markdown"], "Lovely *tides*.");
    assert_eq!(
        comment["url"],
        app.url(&format!("/tides/#comment-{}", posted.id))
    );
    assert!(
        comment.get("author_email").is_none(),
        "the address stays private"
    );

    let id = posted.id;
    app.db
        .run_blocking(move |conn| {
            comment_write::moderate(
                conn,
                &Actor::command_line(),
                &[id],
                Moderation::Approve,
                now(),
            )
        })
        .unwrap();
    let got = receiver.wait_for(2, Duration::from_secs(10)).await;
    let approved = got[1].json();
    assert_eq!(approved["type"], "comment.approved");
    assert_eq!(approved["data"]["comment"]["current"]["status"], "approved");
    verify(&hook.secret, &got[1]);
}

async fn api(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: &str,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new()
        .request(method, app.url(path))
        .bearer_auth(key);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    (status, serde_json::from_str(&text).unwrap_or(Value::Null))
}

#[tokio::test]
async fn integrations_manage_their_own_webhooks_through_the_admin_api() {
    use reqwest::Method;
    use serde_json::json;
    let app = spawn_app().await;
    let make = |name: &'static str| {
        app.db
            .run_blocking(move |conn| {
                integrations::create(
                    conn,
                    &Actor::command_line(),
                    (name, &[Scope::ContentRead]),
                    now(),
                )
            })
            .unwrap()
            .1
            .admin_key
    };
    let (mine, theirs) = (make("Search index"), make("Chat"));

    let body = json!({"target_url": "https://hooks.example.com/in", "events": ["post.published", "tag.added"]});
    let (status, made) = api(
        &app,
        Method::POST,
        "/api/v1/admin/webhooks/",
        &mine,
        Some(body),
    )
    .await;
    assert_eq!(status, 201, "{made}");
    let hook = &made["webhooks"][0];
    assert_eq!(hook["events"], json!(["post.published", "tag.added"]));
    assert!(hook["secret"].as_str().unwrap().starts_with("whsec_"));
    let path = format!("/api/v1/admin/webhooks/{}/", hook["id"]);

    // Another integration neither sees nor touches it.
    let (status, listed) = api(&app, Method::GET, "/api/v1/admin/webhooks/", &theirs, None).await;
    assert_eq!(
        (status, listed["webhooks"].as_array().unwrap().len()),
        (200, 0)
    );
    let (status, _) = api(&app, Method::DELETE, &path, &theirs, None).await;
    assert_eq!(status, 404);

    let (status, changed) = api(
        &app,
        Method::PUT,
        &path,
        &mine,
        Some(json!({"events": ["site.changed"]})),
    )
    .await;
    assert_eq!(status, 200, "{changed}");
    assert_eq!(changed["webhooks"][0]["events"], json!(["site.changed"]));
    assert_eq!(
        changed["webhooks"][0]["target_url"],
        "https://hooks.example.com/in"
    );

    // The form's checks, as 422 with the field named.
    for body in [
        json!({"target_url": "http://127.0.0.1:9/", "events": ["tag.added"]}),
        json!({"target_url": "gopher://x", "events": ["tag.added"]}),
        json!({"target_url": "https://hooks.example.com/in", "events": ["post.eaten"]}),
        json!({"target_url": "https://hooks.example.com/in", "events": []}),
    ] {
        let (status, refused) = api(
            &app,
            Method::POST,
            "/api/v1/admin/webhooks/",
            &mine,
            Some(body.clone()),
        )
        .await;
        assert_eq!(status, 422, "{body}: {refused}");
    }
    let (status, _) = api(
        &app,
        Method::POST,
        "/api/v1/admin/webhooks/",
        &mine,
        Some(json!({"url": "x"})),
    )
    .await;
    assert_eq!(status, 422, "an unknown field");

    let (status, _) = api(&app, Method::DELETE, &path, &mine, None).await;
    assert_eq!(status, 204);
    let (status, _) = api(&app, Method::GET, &path, &mine, None).await;
    assert_eq!(status, 404);
}

#[tokio::test]
async fn an_import_asked_to_tell_webhooks_tells_what_it_published() {
    let app = app_reaching_loopback().await;
    let receiver = Receiver::start(vec![]).await;
    let hook = hook(
        &app,
        &receiver.url,
        &Event::subscribable().collect::<Vec<_>>(),
    );
    let export = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/data/ghost-theme-unit-test.json");
    let options = quire::transfer::Options {
        webhooks: true,
        ..Default::default()
    };
    let live = |at: chrono::NaiveDateTime| {
        app.db
            .run_blocking(move |conn| {
                use quire::db::schema::posts;
                posts::table
                    .filter(posts::published_at.le(at))
                    .filter(posts::status.ne("draft"))
                    .filter(posts::deleted_at.is_null())
                    .count()
                    .get_result::<i64>(conn)
            })
            .unwrap()
    };
    let at = now();
    let before = live(at);
    quire::transfer::import(&app.db, &export, options, at, &mut |_| {}).expect("the import");
    let live = live(at) - before;
    let recorded = deliveries(&app, &hook);
    assert!(live > 0);
    assert_eq!(
        recorded.len() as i64,
        live,
        "one delivery per post it published"
    );
    assert!(
        recorded
            .iter()
            .all(|d| d.event == "post.published" || d.event == "page.published")
    );
}
