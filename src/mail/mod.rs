//! Mail: every message is a `mail` job, queued in the same transaction as the change it
//! announces (`Tx::mail`). With `QUIRE_SMTP_URL` set, a worker delivers it over SMTP,
//! retrying failures with growing delays; without it, the message is written to the log in
//! full (links included), so a local install can still follow them. Either way the job
//! stays in the `jobs` table for a week, which is where tests and operators read it.

pub mod messages;

use std::sync::Arc;
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use lettre::message::Mailbox;
use lettre::message::header::{ContentType, HeaderName, HeaderValue};
use lettre::{SmtpTransport, Transport};
use serde::{Deserialize, Serialize};

use crate::db::DbConn;
use crate::jobs::{Job, JobError, JobStatus, queue};

/// A message to send: plain text, one recipient.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Mail {
    pub to: String,
    pub subject: String,
    pub body: String,
    /// Extra headers (`List-Unsubscribe` on notifications).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub headers: Vec<(String, String)>,
}

impl Job for Mail {
    const KIND: &'static str = "mail";
    /// Over about four hours of growing delays.
    const ATTEMPTS: i32 = 8;
}

/// What every message is written with: the site's name, its address, and the time.
pub struct Letterhead {
    pub site: String,
    pub base_url: String,
    pub now: NaiveDateTime,
}

/// A mail job as operators and tests see it.
#[derive(Debug, Clone)]
pub struct Queued {
    pub id: i64,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub headers: Vec<(String, String)>,
    pub created_at: NaiveDateTime,
    pub attempts: i32,
    /// When it was handed to the SMTP server (or to the log, without one).
    pub sent_at: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub status: JobStatus,
}

/// Every mail job, newest first.
pub fn outbox(conn: &mut DbConn) -> QueryResult<Vec<Queued>> {
    Ok(queue::of_kind(conn, Mail::KIND)?
        .into_iter()
        .filter_map(|job| {
            let mail: Mail = serde_json::from_str(&job.payload).ok()?;
            Some(Queued {
                id: job.id,
                recipient: mail.to,
                subject: mail.subject,
                body: mail.body,
                headers: mail.headers,
                created_at: job.created_at,
                attempts: job.attempts,
                sent_at: job.finished_at.filter(|_| job.status == JobStatus::Done),
                last_error: job.last_error,
                status: job.status,
            })
        })
        .collect())
}

/// Delivers mail jobs: over SMTP when configured, else to the log.
#[derive(Clone)]
pub struct Mailer {
    transport: Option<Arc<SmtpTransport>>,
    from: Mailbox,
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
        Ok(Mailer { transport, from })
    }

    /// Runs one mail job (the `mail` kind's handler). `key` becomes the Message-ID, so a
    /// message delivered twice (its job's run ended before it was recorded) is one message
    /// to the receiving server.
    pub fn deliver(&self, mail: Mail, key: &str) -> Result<(), JobError> {
        let Some(transport) = &self.transport else {
            tracing::info!(
                to = %mail.to,
                subject = %mail.subject,
                body = %mail.body,
                "mail not sent (QUIRE_SMTP_URL is not set)"
            );
            return Ok(());
        };
        let to: Mailbox = mail
            .to
            .parse()
            .map_err(|e| JobError::Permanent(format!("bad recipient: {e}")))?;
        let domain = self.from.email.domain().to_string();
        let id: String = key
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '.' })
            .collect();
        let mut message = lettre::Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(&mail.subject)
            .message_id(Some(format!("<{id}@{domain}>")))
            .header(ContentType::TEXT_PLAIN);
        for (name, value) in &mail.headers {
            let name = HeaderName::new_from_ascii(name.clone())
                .map_err(|e| JobError::Permanent(format!("bad header name: {e}")))?;
            message = message.raw_header(HeaderValue::new(name, value.clone()));
        }
        let message = message
            .body(mail.body)
            .map_err(|e| JobError::Permanent(e.to_string()))?;
        transport.send(&message).map(drop).map_err(|e| {
            if e.is_permanent() {
                JobError::Permanent(e.to_string())
            } else {
                JobError::Retry(e.to_string())
            }
        })
    }
}
