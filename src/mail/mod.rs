//! Mail: every message goes into the `outbox` table first, in the same transaction as the
//! change it announces. With `QUIRE_SMTP_URL` set, a background task delivers due messages
//! over SMTP, retrying failures with growing delays; without it, messages stay in the outbox
//! and are written to the log, so a local install can still follow its links.

pub mod messages;

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use lettre::message::{Mailbox, header::ContentType};
use lettre::{SmtpTransport, Transport};
use tokio::sync::Notify;

use crate::clock::now;
use crate::db::schema::outbox;
use crate::db::{Db, DbConn};

/// A message to send: plain text, one recipient.
#[derive(Debug, Clone)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
}

/// What every message is written with: the site's name, its address, and the time.
pub struct Letterhead {
    pub site: String,
    pub base_url: String,
    pub now: NaiveDateTime,
}

/// Puts a message in the outbox; delivery happens after the surrounding transaction commits.
pub fn queue(conn: &mut DbConn, mail: &Mail, now: NaiveDateTime) -> QueryResult<()> {
    diesel::insert_into(outbox::table)
        .values((
            outbox::recipient.eq(&mail.to),
            outbox::subject.eq(&mail.subject),
            outbox::body.eq(&mail.body),
            outbox::created_at.eq(now),
            outbox::next_attempt_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = outbox)]
pub struct Queued {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub created_at: NaiveDateTime,
    pub attempts: i32,
    pub sent_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
}

/// The outbox, newest first (for tests and operators).
pub fn outbox(conn: &mut DbConn) -> QueryResult<Vec<Queued>> {
    outbox::table
        .order(outbox::id.desc())
        .select(Queued::as_select())
        .load(conn)
}

/// After this many failed attempts a message is given up on (it stays, with its error).
const MAX_ATTEMPTS: i32 = 8;

fn due(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Vec<Queued>> {
    outbox::table
        .filter(outbox::sent_at.is_null())
        .filter(outbox::next_attempt_at.le(now))
        .filter(outbox::attempts.lt(MAX_ATTEMPTS))
        .order(outbox::id)
        .limit(50)
        .select(Queued::as_select())
        .load(conn)
}

fn mark_sent(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<()> {
    diesel::update(outbox::table.find(id))
        .set((
            outbox::sent_at.eq(now),
            outbox::attempts.eq(outbox::attempts + 1),
        ))
        .execute(conn)
        .map(drop)
}

/// Waits 1, 2, 4 … minutes after each failure, at most an hour.
pub fn backoff(attempts: i32) -> chrono::Duration {
    chrono::Duration::minutes(1i64 << attempts.clamp(0, 6)).min(chrono::Duration::hours(1))
}

fn mark_failed(
    conn: &mut DbConn,
    message: &Queued,
    error: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(outbox::table.find(message.id))
        .set((
            outbox::attempts.eq(message.attempts + 1),
            outbox::next_attempt_at.eq(now + backoff(message.attempts)),
            outbox::last_error.eq(error),
        ))
        .execute(conn)
        .map(drop)
}

/// Hands queued mail to the delivery task, or to the log when there is no SMTP server.
#[derive(Clone)]
pub struct Mailer {
    transport: Option<Arc<SmtpTransport>>,
    from: Mailbox,
    wake: Arc<Notify>,
}

impl Mailer {
    pub fn new(smtp_url: Option<&str>, from: &str) -> anyhow::Result<Mailer> {
        let transport = smtp_url
            .map(|url| {
                SmtpTransport::from_url(url)
                    .map(|builder| Arc::new(builder.timeout(Some(Duration::from_secs(20))).build()))
                    .map_err(|e| anyhow::anyhow!("QUIRE_SMTP_URL: {e}"))
            })
            .transpose()?;
        let from = from
            .parse()
            .map_err(|e| anyhow::anyhow!("QUIRE_MAIL_FROM: {e}"))?;
        Ok(Mailer {
            transport,
            from,
            wake: Arc::new(Notify::new()),
        })
    }

    /// Call after committing a transaction that queued mail.
    pub fn queued(&self, mail: &Mail) {
        match &self.transport {
            Some(_) => self.wake.notify_one(),
            None => tracing::info!(
                to = %mail.to,
                subject = %mail.subject,
                body = %mail.body,
                "mail kept in the outbox (QUIRE_SMTP_URL is not set)"
            ),
        }
    }

    /// Delivers due mail until the runtime stops: when woken, and every 30 seconds for retries.
    pub fn spawn_delivery(&self, db: Db) {
        let Some(transport) = self.transport.clone() else {
            return;
        };
        let mailer = self.clone();
        tokio::spawn(async move {
            loop {
                let _ = tokio::time::timeout(Duration::from_secs(30), mailer.wake.notified()).await;
                let transport = Arc::clone(&transport);
                let from = mailer.from.clone();
                let outcome = db
                    .run(move |conn| deliver_due(conn, &transport, &from, now()))
                    .await;
                if let Err(error) = outcome {
                    tracing::warn!(%error, "mail delivery round failed");
                }
            }
        });
    }
}

/// Sends every due message; returns how many were sent.
pub fn deliver_due(
    conn: &mut DbConn,
    transport: &SmtpTransport,
    from: &Mailbox,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let mut sent = 0;
    for message in due(conn, now)? {
        match send_one(transport, from, &message) {
            Ok(()) => {
                mark_sent(conn, message.id, now)?;
                sent += 1;
            }
            Err(error) => {
                tracing::warn!(id = message.id, attempts = message.attempts + 1, %error, "mail delivery failed");
                mark_failed(conn, &message, &error, now)?;
            }
        }
    }
    Ok(sent)
}

fn send_one(transport: &SmtpTransport, from: &Mailbox, message: &Queued) -> Result<(), String> {
    let to: Mailbox = message
        .recipient
        .parse()
        .map_err(|e| format!("bad recipient: {e}"))?;
    let email = lettre::Message::builder()
        .from(from.clone())
        .to(to)
        .subject(&message.subject)
        .header(ContentType::TEXT_PLAIN)
        .body(message.body.clone())
        .map_err(|e| e.to_string())?;
    transport.send(&email).map(drop).map_err(|e| e.to_string())
}

#[cfg(test)]
mod tests {
    use super::backoff;

    #[test]
    fn retries_back_off_to_an_hour() {
        assert_eq!(backoff(0).num_minutes(), 1);
        assert_eq!(backoff(1).num_minutes(), 2);
        assert_eq!(backoff(3).num_minutes(), 8);
        assert_eq!(backoff(10).num_minutes(), 60);
    }
}
