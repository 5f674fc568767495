//! Mail delivery over SMTP, against a small SMTP server run by the test.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

use crate::helpers::{TestApp, browser, spawn_app, spawn_app_with};

/// How the test's SMTP server behaves.
#[derive(Clone, Copy, PartialEq)]
pub enum Smtp {
    /// Accepts every message.
    Accepts,
    /// Refuses every sender with 451 (try again later).
    Refuses,
    /// Greets, then says nothing more and hangs up after the pause: a server that died
    /// mid-conversation.
    Stalls(Duration),
}

/// An SMTP server on a free port that keeps what it receives.
pub async fn fake_smtp(behaviour: Smtp) -> (u16, Arc<Mutex<Vec<String>>>) {
    let refuse = behaviour == Smtp::Refuses;
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = Arc::new(Mutex::new(Vec::new()));
    let store = Arc::clone(&received);
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                write.write_all(b"220 fake ESMTP\r\n").await.unwrap();
                if let Smtp::Stalls(pause) = behaviour {
                    tokio::time::sleep(pause).await;
                    return;
                }
                while let Ok(Some(line)) = lines.next_line().await {
                    let command = line.to_ascii_uppercase();
                    let reply: &[u8] = if command.starts_with("EHLO") || command.starts_with("HELO")
                    {
                        b"250 fake\r\n"
                    } else if command.starts_with("MAIL") && refuse {
                        b"451 try again later\r\n"
                    } else if command.starts_with("DATA") {
                        write.write_all(b"354 go ahead\r\n").await.unwrap();
                        let mut message = String::new();
                        while let Ok(Some(line)) = lines.next_line().await {
                            if line == "." {
                                break;
                            }
                            message.push_str(&line);
                            message.push('\n');
                        }
                        store.lock().unwrap().push(message);
                        b"250 queued\r\n"
                    } else if command.starts_with("QUIT") {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        break;
                    } else {
                        b"250 ok\r\n"
                    };
                    if write.write_all(reply).await.is_err() {
                        break;
                    }
                }
            });
        }
    });
    (port, received)
}

async fn request_reset(app: &TestApp, email: &str) {
    app.submit(
        &browser(),
        "/account/reset",
        "/account/reset",
        &[("email", email)],
    )
    .await;
}

/// Waits (up to 10 s) for the outbox's newest message to satisfy `done`.
async fn wait_for(
    app: &TestApp,
    done: impl Fn(&quire::mail::Queued) -> bool,
) -> quire::mail::Queued {
    for _ in 0..100 {
        if let Some(message) = app.outbox().into_iter().next().filter(|m| done(m)) {
            return message;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!(
        "the outbox did not reach the expected state: {:?}",
        app.outbox()
    );
}

#[tokio::test]
async fn with_smtp_configured_mail_is_delivered() {
    let (port, received) = fake_smtp(Smtp::Accepts).await;
    let app =
        spawn_app_with(|config| config.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    app.user_with_password(
        "mail@example.com",
        quire::domain::users::Role::Member,
        crate::helpers::PASSWORD,
    );
    request_reset(&app, "mail@example.com").await;
    let sent = wait_for(&app, |m| m.sent_at.is_some()).await;
    assert_eq!(sent.attempts, 1);
    let received = received.lock().unwrap().clone();
    assert_eq!(received.len(), 1);
    assert!(
        received[0].contains("To: mail@example.com"),
        "{}",
        received[0]
    );
    assert!(
        received[0].contains("/account/reset/new?token="),
        "{}",
        received[0]
    );
}

#[tokio::test]
async fn failed_deliveries_are_retried_later() {
    let (port, received) = fake_smtp(Smtp::Refuses).await;
    let app =
        spawn_app_with(|config| config.smtp_url = Some(format!("smtp://127.0.0.1:{port}"))).await;
    app.user_with_password(
        "later@example.com",
        quire::domain::users::Role::Member,
        crate::helpers::PASSWORD,
    );
    request_reset(&app, "later@example.com").await;
    // Claimed (attempts counts the run) and then put back to wait: not merely running.
    let failed = wait_for(&app, |m| {
        m.attempts == 1 && m.status == quire::jobs::JobStatus::Queued && m.last_error.is_some()
    })
    .await;
    assert!(failed.sent_at.is_none());
    assert!(
        failed.last_error.as_deref().unwrap_or("").contains("451"),
        "{:?}",
        failed.last_error
    );
    assert!(received.lock().unwrap().is_empty());
    let due_at = app
        .db
        .run_blocking(|conn| {
            use diesel::prelude::*;
            use quire::db::schema::jobs::dsl::*;
            jobs.filter(kind.eq("mail"))
                .select(run_after)
                .first::<chrono::NaiveDateTime>(conn)
        })
        .unwrap();
    assert!(
        due_at > crate::helpers::now() + chrono::Duration::seconds(20),
        "backed off (30 s, give or take a fifth): {due_at}"
    );
}

#[tokio::test]
async fn without_smtp_mail_is_written_to_the_log_and_kept() {
    let app = spawn_app().await;
    app.user_with_password(
        "kept@example.com",
        quire::domain::users::Role::Member,
        crate::helpers::PASSWORD,
    );
    request_reset(&app, "kept@example.com").await;
    // Handed to the log at once (no server to wait for), and kept in the queue.
    let logged = wait_for(&app, |m| m.sent_at.is_some()).await;
    assert_eq!(logged.recipient, "kept@example.com");
    assert_eq!(logged.attempts, 1);
    assert!(logged.body.contains("/account/reset/new?token="));
    assert_eq!(app.outbox().len(), 1);
}
