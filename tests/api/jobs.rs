//! The job queue in the database: claiming under a lease, retrying with backoff, resting as
//! failed, transactions that roll back, payloads that no longer parse, and the admin's jobs
//! page.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use quire::db::DbConn;
use quire::domain::users::Role;
use quire::domain::write::{self, Actor, WriteError};
use quire::jobs::queue::{self, Finish};
use quire::jobs::{Job, JobRow, JobStatus};
use quire::mail::Mail;
use reqwest::StatusCode;
use serde::{Deserialize, Serialize};

use crate::helpers::{TestApp, browser, location, now, parse_html, select, spawn_app, text_of};

/// A kind no instance runs, so only the test claims it.
#[derive(Serialize, Deserialize)]
struct Probe {
    n: i32,
}

impl Job for Probe {
    const KIND: &'static str = "probe";
    const ATTEMPTS: i32 = 2;
}

const PROBES: &[&str] = &[Probe::KIND];
const LEASE: chrono::Duration = chrono::Duration::seconds(60);

fn job(app: &TestApp, id: i64) -> JobRow {
    app.db
        .run_blocking(move |conn| queue::find(conn, id))
        .unwrap()
        .expect("the job exists")
}

fn claim(app: &TestApp, worker: &'static str, at: NaiveDateTime) -> Option<queue::Claimed> {
    app.db
        .run_blocking(move |conn| queue::claim(conn, PROBES, worker, LEASE, at))
        .unwrap()
}

fn finish(app: &TestApp, job: &queue::Claimed, worker: &'static str, how: Finish) -> bool {
    let job = job.clone();
    app.db
        .run_blocking(move |conn| queue::finish(conn, &job, worker, &how, now()))
        .unwrap()
}

#[tokio::test]
async fn a_claimed_job_is_leased_retried_with_backoff_and_rests_as_failed() {
    let app = spawn_app().await;
    let start = now();
    app.db
        .run_blocking(move |conn| {
            quire::jobs::enqueue(conn, &Probe { n: 1 }, "probe:1", start)?;
            // The same key again is the same job.
            quire::jobs::enqueue(conn, &Probe { n: 1 }, "probe:1", start)
        })
        .unwrap();
    let first = claim(&app, "a", start).expect("a due job is claimed");
    assert_eq!((first.attempts, first.max_attempts), (1, 2));
    assert_eq!(first.payload, r#"{"n":1}"#);
    assert!(claim(&app, "b", start).is_none(), "one job, leased to a");

    // a goes quiet; once its lease has run out b takes the job, and a's late report is ignored.
    let later = start + LEASE + chrono::Duration::seconds(1);
    let second = claim(&app, "b", later).expect("an expired lease is claimed again");
    assert_eq!((second.id, second.attempts), (first.id, 2));
    assert!(
        !finish(&app, &first, "a", Finish::Done),
        "a no longer holds it"
    );
    assert_eq!(job(&app, first.id).status, JobStatus::Running);

    // b's run fails and is tried again later: not before its time.
    let retry_at = later + chrono::Duration::seconds(30);
    assert!(finish(
        &app,
        &second,
        "b",
        Finish::Retry {
            error: "the server did not answer".into(),
            at: retry_at,
        }
    ));
    let waiting = job(&app, first.id);
    assert_eq!(waiting.status, JobStatus::Queued);
    assert_eq!(
        waiting.last_error.as_deref(),
        Some("the server did not answer")
    );
    assert!(claim(&app, "a", retry_at - chrono::Duration::seconds(1)).is_none());

    // Its attempts are spent: it is never claimed again.
    assert!(
        claim(&app, "a", retry_at + chrono::Duration::seconds(1)).is_none(),
        "two attempts, both used"
    );
    assert!(
        !finish(&app, &second, "b", Finish::Done),
        "a report on a run that already ended changes nothing"
    );

    // A fresh job that fails for good rests as failed with its error.
    app.db
        .run_blocking(move |conn| quire::jobs::enqueue(conn, &Probe { n: 2 }, "probe:2", start))
        .unwrap();
    let doomed = claim(&app, "a", start).unwrap();
    assert!(finish(
        &app,
        &doomed,
        "a",
        Finish::Failed("no such address".into())
    ));
    let failed = job(&app, doomed.id);
    assert_eq!(failed.status, JobStatus::Failed);
    assert_eq!(failed.last_error.as_deref(), Some("no such address"));
    assert!(failed.finished_at.is_some());
    assert!(
        claim(&app, "b", later).is_none(),
        "a failed job stays failed"
    );
}

#[tokio::test]
async fn a_job_whose_worker_died_on_its_last_attempt_is_swept_to_failed() {
    let app = spawn_app().await;
    let start = now();
    app.db
        .run_blocking(move |conn| quire::jobs::enqueue(conn, &Probe { n: 3 }, "probe:3", start))
        .unwrap();
    claim(&app, "a", start).unwrap();
    let lapsed = start + LEASE + chrono::Duration::seconds(1);
    let last = claim(&app, "b", lapsed).unwrap();
    assert_eq!(last.attempts, 2);
    let swept_at = lapsed + LEASE + chrono::Duration::seconds(1);
    let swept = app
        .db
        .run_blocking(move |conn| queue::sweep_abandoned(conn, swept_at))
        .unwrap();
    assert_eq!(swept, 1);
    let row = job(&app, last.id);
    assert_eq!(row.status, JobStatus::Failed);
    assert!(row.last_error.unwrap().contains("stopped while running"));
}

fn mail_to(to: &str) -> Mail {
    Mail {
        headers: Vec::new(),
        to: to.into(),
        subject: "Hello".into(),
        body: "A secret link: https://example.com/account/reset/new?token=SECRET".into(),
    }
}

fn mail_jobs_to(app: &TestApp, to: &'static str) -> Vec<JobRow> {
    app.db
        .run_blocking(|conn| queue::of_kind(conn, Mail::KIND))
        .unwrap()
        .into_iter()
        .filter(|job| job.payload.contains(to))
        .collect()
}

async fn wait_for_job(app: &TestApp, to: &'static str, done: impl Fn(&JobRow) -> bool) -> JobRow {
    for _ in 0..100 {
        if let Some(job) = mail_jobs_to(app, to).into_iter().find(|j| done(j)) {
            return job;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the job to {to} did not reach the expected state: {:?}",
        mail_jobs_to(app, to)
    );
}

fn send_in_transaction(conn: &mut DbConn, to: &str, commit: bool) -> Result<(), WriteError> {
    write::transaction(conn, &Actor::command_line(), now(), |tx| {
        tx.enqueue(&mail_to(to), &format!("test:{to}"))?;
        if commit {
            Ok(())
        } else {
            Err(WriteError::Conflict)
        }
    })
}

#[tokio::test]
async fn a_job_enqueued_in_a_rolled_back_transaction_never_runs() {
    let app = spawn_app().await;
    let refused = app
        .db
        .run_blocking(|conn| {
            Ok::<_, quire::error::AppError>(send_in_transaction(conn, "lost@example.com", false))
        })
        .unwrap();
    assert!(matches!(refused, Err(WriteError::Conflict)));
    app.db
        .run_blocking(|conn| {
            Ok::<_, quire::error::AppError>(send_in_transaction(conn, "kept@example.com", true))
        })
        .unwrap()
        .unwrap();
    // The committed one runs (without SMTP, to the log); by then the other would have too.
    let kept = wait_for_job(&app, "kept@example.com", |j| j.status == JobStatus::Done).await;
    assert_eq!(kept.attempts, 1);
    assert!(mail_jobs_to(&app, "lost@example.com").is_empty());
}

#[tokio::test]
async fn a_payload_that_no_longer_parses_fails_at_once_with_the_reason() {
    let app = spawn_app().await;
    let at = now();
    app.db
        .run_blocking(move |conn| {
            diesel::sql_query(
                "INSERT INTO jobs (kind, payload, idempotency_key, status, run_after, attempts, \
                 max_attempts, created_at) VALUES ('mail', '{\"to\": 7, \"old@example.com\": 1}', 'old', 'queued', $1, 0, 8, $1)",
            )
            .bind::<diesel::sql_types::Timestamp, _>(at)
            .execute(conn)
        })
        .unwrap();
    let failed = wait_for_job(&app, "old@example.com", |j| j.status == JobStatus::Failed).await;
    assert_eq!(failed.attempts, 1, "never retried");
    assert!(
        failed
            .last_error
            .as_deref()
            .unwrap_or("")
            .contains("payload no longer parses"),
        "{:?}",
        failed.last_error
    );
}

/// A mail job that has used all its attempts, as the queue leaves one.
fn failed_mail(app: &TestApp, to: &'static str) -> i64 {
    app.db
        .run_blocking(move |conn| {
            conn.transaction(|conn| {
                quire::jobs::enqueue(conn, &mail_to(to), &format!("failed:{to}"), now())?;
                let id = quire::db::schema::jobs::table
                    .select(quire::db::schema::jobs::id)
                    .order(quire::db::schema::jobs::id.desc())
                    .first::<i64>(conn)?;
                diesel::update(quire::db::schema::jobs::table.find(id))
                    .set((
                        quire::db::schema::jobs::status.eq(JobStatus::Failed),
                        quire::db::schema::jobs::attempts.eq(8),
                        quire::db::schema::jobs::finished_at.eq(Some(now())),
                        quire::db::schema::jobs::last_error
                            .eq(Some("550 5.1.1 no such mailbox here")),
                    ))
                    .execute(conn)?;
                Ok::<_, diesel::result::Error>(id)
            })
        })
        .unwrap()
}

async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> scraper::Html {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    parse_html(&response.text().await.unwrap())
}

async fn post(
    app: &TestApp,
    client: &reqwest::Client,
    path: &str,
    action: &str,
) -> reqwest::Response {
    app.submit(client, path, action, &[]).await
}

#[tokio::test]
async fn admins_see_failed_jobs_without_their_secrets_and_retry_or_discard_them() {
    let app = spawn_app().await;
    let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
    let retried = failed_mail(&app, "bounced@example.com");
    let discarded = failed_mail(&app, "gone@example.com");

    let failed = page(&app, &admin, "/admin/jobs?status=failed").await;
    let rows = text_of(&failed, "tbody");
    assert!(
        rows.contains("Mail to bounced@example.com: Hello"),
        "{rows}"
    );
    assert!(rows.contains("550 5.1.1 no such mailbox here"), "{rows}");
    assert!(rows.contains("8 of 8"), "{rows}");
    let html = failed.html();
    assert!(
        !html.contains("SECRET"),
        "a mail's body (its links) is never shown"
    );
    let tabs: Vec<String> = select(&failed, ".shelves a")
        .iter()
        .map(|a| a.text().collect::<String>())
        .collect();
    assert_eq!(tabs.len(), 3);
    assert_eq!(tabs[2], "Failed (2)", "{tabs:?}");
    let current = select(&failed, ".shelves a[aria-current=page]");
    assert_eq!(current.len(), 1);
    assert!(current[0].text().collect::<String>().starts_with("Failed"));

    // Try again: queued with fresh attempts, then run (to the log, without SMTP).
    let response = post(
        &app,
        &admin,
        "/admin/jobs?status=failed",
        &format!("/admin/jobs/{retried}/retry"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), "/admin/jobs?status=failed");
    let done = wait_for_job(&app, "bounced@example.com", |j| j.status == JobStatus::Done).await;
    assert_eq!(done.attempts, 1);
    // A job that is not failed cannot be retried.
    let again = post(
        &app,
        &admin,
        "/admin/jobs?status=failed",
        &format!("/admin/jobs/{retried}/retry"),
    )
    .await;
    assert_eq!(again.status(), StatusCode::BAD_REQUEST);

    // Discard asks first, then deletes.
    let question = page(&app, &admin, &format!("/admin/jobs/{discarded}/discard")).await;
    assert!(text_of(&question, "main").contains("Mail to gone@example.com"));
    let response = post(
        &app,
        &admin,
        &format!("/admin/jobs/{discarded}/discard"),
        &format!("/admin/jobs/{discarded}/discard"),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert!(mail_jobs_to(&app, "gone@example.com").is_empty());
    let listed = page(&app, &admin, "/admin/jobs?status=failed").await;
    assert!(text_of(&listed, "main").contains("No job has failed."));

    // Both are in the audit log, by the admin.
    let log = page(&app, &admin, "/admin/audit?object=job").await;
    let entries = text_of(&log, "main");
    assert!(entries.contains("retried"), "{entries}");
    assert!(entries.contains("discarded"), "{entries}");

    // Unknown jobs and lists are refused plainly.
    let missing = admin
        .get(app.url("/admin/jobs/999999/discard"))
        .send()
        .await
        .unwrap();
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    let odd = admin
        .get(app.url("/admin/jobs?status=weird"))
        .send()
        .await
        .unwrap();
    assert_eq!(odd.status(), StatusCode::BAD_REQUEST);
    let odd_page = admin
        .get(app.url("/admin/jobs?page=0"))
        .send()
        .await
        .unwrap();
    assert_eq!(odd_page.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn only_owners_and_admins_may_act_on_jobs() {
    let app = spawn_app().await;
    let id = failed_mail(&app, "held@example.com");
    let admin = app.signed_in_as("admin@example.com", Role::Admin).await;
    let token = app.csrf_token(&admin, "/account/").await;
    for role in [Role::Editor, Role::Author, Role::Contributor, Role::Member] {
        let email = format!("{}@example.com", role.as_str());
        let client = app.signed_in_as(&email, role).await;
        let own_token = app.csrf_token(&client, "/account/").await;
        for action in ["retry", "discard"] {
            let response = client
                .post(app.url(&format!("/admin/jobs/{id}/{action}")))
                .form(&[("csrf_token", own_token.as_str())])
                .send()
                .await
                .unwrap();
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{action} as {role:?}"
            );
        }
    }
    let anonymous = browser()
        .post(app.url(&format!("/admin/jobs/{id}/retry")))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(anonymous.status(), StatusCode::SEE_OTHER);
    assert!(
        location(&anonymous).starts_with("/account/login"),
        "sent to sign in"
    );
    assert_eq!(job(&app, id).status, JobStatus::Failed, "nothing changed");
}
