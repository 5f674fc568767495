//! Several instances of one site on one database behave as one site: a session made on one
//! is good on the others, an edit through one is served fresh by the others, and the job
//! queue runs each job once however many workers watch it — even when the instance running
//! a job dies.

use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use quire::domain::users::Role;
use quire::domain::write::{self, Actor};
use quire::jobs::JobStatus;
use quire::mail::Mail;
use reqwest::StatusCode;

use crate::editor::{editor_fields, post, with};
use crate::helpers::{SeedPost, TestApp, now, spawn_instances};
use crate::mail::{Smtp, fake_smtp};

fn hits(app: &TestApp) -> u64 {
    app.cache
        .as_ref()
        .unwrap()
        .stats
        .hits
        .load(Ordering::Relaxed)
}

/// Requests `path` until it comes from `app`'s page cache.
async fn cached(app: &TestApp, path: &str) {
    for _ in 0..20 {
        let before = hits(app);
        assert_eq!(app.get(path).await.status(), StatusCode::OK, "GET {path}");
        if hits(app) > before {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{path} never came from the page cache");
}

/// Waits until `app` has heard of every change in the database.
async fn caught_up(app: &TestApp) {
    let newest = app
        .db
        .run_blocking(quire::domain::changes::latest_id)
        .unwrap();
    for _ in 0..50 {
        if app.feed.seen() >= newest {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the instance never heard of change {newest}");
}

#[tokio::test]
async fn an_edit_through_one_instance_is_served_fresh_by_the_other() {
    let instances = spawn_instances(2, |_, _| {}).await;
    let (a, b) = (&instances[0], &instances[1]);
    let ada = a.author("Ada Lovelace");
    let edited = a.seed(
        SeedPost::published("harbour", "The harbour")
            .authors(&[&ada])
            .hours_ago(3),
    );
    // The lighthouse is the harbour's neighbour (its page links to it); the pier is not.
    a.seed(SeedPost::published("lighthouse", "The lighthouse").hours_ago(2));
    a.seed(SeedPost::published("pier", "The pier").hours_ago(1));
    caught_up(b).await;
    cached(b, "/harbour/").await;
    cached(b, "/pier/").await;

    // Signed in on A; the same browser's session is good on B.
    let owner = a.signed_in_as("owner@example.com", Role::Owner).await;
    let on_b = owner.get(b.url("/admin/posts")).send().await.unwrap();
    assert_eq!(
        on_b.status(),
        StatusCode::OK,
        "a session is the site's, not an instance's"
    );

    // Saved through A...
    let path = format!("/admin/posts/{}", edited.id);
    let fields = editor_fields(a, &owner, &path).await;
    let saved = post(
        a,
        &owner,
        &path,
        &with(
            fields,
            &[("title", "The harbour at dusk"), ("action", "save")],
        ),
    )
    .await;
    let status = saved.status();
    assert_eq!(
        status,
        StatusCode::SEE_OTHER,
        "{}",
        saved.text().await.unwrap()
    );
    // ...and served fresh by B within two seconds.
    let since = Instant::now();
    loop {
        let page = b.get("/harbour/").await.text().await.unwrap();
        if page.contains("The harbour at dusk") {
            break;
        }
        assert!(
            since.elapsed() < Duration::from_secs(2),
            "B still serves the old page"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    // B dropped only what the edit touched: an unrelated post's page is still in its cache.
    assert!(b.cache.as_ref().unwrap().holds("/pier/"));
    let before = hits(b);
    b.get("/pier/").await;
    assert_eq!(hits(b), before + 1, "the other post's page was kept");

    // Signing out on B ends the session on A too.
    let token = a.csrf_token(&owner, "/account/").await;
    let out = owner
        .post(b.url("/account/logout"))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(out.status(), StatusCode::SEE_OTHER);
    let after = owner.get(a.url("/admin/posts")).send().await.unwrap();
    assert_eq!(after.status(), StatusCode::SEE_OTHER, "sent to sign in");
}

fn letter(n: usize) -> Mail {
    Mail {
        headers: Vec::new(),
        to: format!("reader{n}@example.com"),
        subject: format!("Letter {n}"),
        body: "Hello.".into(),
    }
}

/// Queues `count` letters in one transaction through `app`.
fn queue_letters(app: &TestApp, letters: std::ops::Range<usize>) {
    app.db
        .run_blocking(move |conn| {
            write::transaction(conn, &Actor::command_line(), now(), |tx| {
                for n in letters {
                    tx.enqueue(&letter(n), &format!("letter:{n}"))?;
                }
                Ok(())
            })
        })
        .unwrap();
}

fn mail_statuses(app: &TestApp) -> Vec<(String, JobStatus, i32)> {
    app.outbox()
        .into_iter()
        .map(|m| (m.recipient, m.status, m.attempts))
        .collect()
}

async fn until_all_done(app: &TestApp, count: usize) {
    let since = Instant::now();
    while since.elapsed() < Duration::from_secs(20) {
        let statuses = mail_statuses(app);
        if statuses.len() == count && statuses.iter().all(|(_, s, _)| *s == JobStatus::Done) {
            return;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("not all mail was sent: {:?}", mail_statuses(app));
}

#[tokio::test]
async fn mail_queued_once_is_delivered_once_while_every_instance_works_the_queue() {
    let (port, received) = fake_smtp(Smtp::Accepts).await;
    let instances = spawn_instances(2, |_, config| {
        config.smtp_url = Some(format!("smtp://127.0.0.1:{port}"));
        config.job_workers = 3;
    })
    .await;
    // Queued through both, so both instances' workers are woken at once.
    queue_letters(&instances[0], 0..15);
    queue_letters(&instances[1], 15..30);
    until_all_done(&instances[0], 30).await;
    // Time for a second delivery, were there going to be one.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let received = received.lock().unwrap().clone();
    let mut recipients: Vec<String> = received
        .iter()
        .filter_map(|m| {
            m.lines()
                .find(|l| l.starts_with("To: "))
                .map(str::to_string)
        })
        .collect();
    assert_eq!(received.len(), 30, "one message per job");
    recipients.sort();
    recipients.dedup();
    assert_eq!(recipients.len(), 30, "nobody got a letter twice");
    for (recipient, _, attempts) in mail_statuses(&instances[1]) {
        assert_eq!(attempts, 1, "{recipient}'s letter took one run");
    }
}

#[tokio::test]
async fn a_job_held_by_an_instance_that_died_is_finished_by_another_after_its_lease() {
    // A's mail server stalls mid-conversation; B's works.
    let (stalled, _) = fake_smtp(Smtp::Stalls(Duration::from_secs(4))).await;
    let (working, received) = fake_smtp(Smtp::Accepts).await;
    let lease = chrono::Duration::seconds(1);
    let instances = spawn_instances(1, |_, config| {
        config.smtp_url = Some(format!("smtp://127.0.0.1:{stalled}"));
        config.job_lease = lease;
    })
    .await;
    let a = &instances[0];
    queue_letters(a, 0..1);
    // A claims the letter and is stuck delivering it...
    let since = Instant::now();
    while mail_statuses(a).first().map(|(_, s, _)| *s) != Some(JobStatus::Running) {
        assert!(
            since.elapsed() < Duration::from_secs(5),
            "A never claimed the job"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    // ...when it goes away.
    a.jobs.stop();
    let b = a
        .another_instance(|config| {
            config.smtp_url = Some(format!("smtp://127.0.0.1:{working}"));
            config.job_lease = lease;
        })
        .await;
    until_all_done(&b, 1).await;
    let (_, _, attempts) = mail_statuses(&b)[0].clone();
    assert_eq!(attempts, 2, "A's run and B's");
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    assert!(
        received[0].contains("To: reader0@example.com"),
        "{}",
        received[0]
    );
}
