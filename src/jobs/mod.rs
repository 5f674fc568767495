//! The durable job queue: work a change causes but that must not run inside it (mail now;
//! webhooks and fetching imported media next), kept in the `jobs` table.
//!
//! - A job is enqueued in the transaction of the change that causes it (`Tx::enqueue`), so
//!   a rolled-back change leaves no job, and a committed one always has its jobs.
//! - Workers in every instance claim one due job at a time (`FOR UPDATE SKIP LOCKED` on
//!   PostgreSQL; SQLite's writers take turns) and hold it under a lease. A job whose
//!   instance died is claimed again once the lease runs out.
//! - The handler runs on the blocking pool with no database connection held; a failure is
//!   retried after an exponential delay with jitter, until the kind's attempts are spent,
//!   and then rests as failed with its last error. A payload that no longer parses fails
//!   at once; a panic is caught and counts as a failure.
//! - Each job carries an idempotency key: enqueuing the same key twice queues it once, and
//!   handlers use the key to make a second run harmless (mail carries it as its
//!   Message-ID), so running at least once has the effect of running once.
//!
//! A new kind of work is a new `Kind` in `registry`, nothing else.

pub mod housekeeping;
pub mod queue;
pub mod webhook;
pub mod worker;

pub use queue::{JobRow, JobStatus, enqueue};
pub use worker::{Job, Registry, Workers};

use chrono::NaiveDateTime;

use crate::auth::permissions::Permission;
use crate::db::DbConn;
use crate::domain::audit::Object;
use crate::domain::write::{self, Actor, WriteError};

/// Queues a failed job again, with all its attempts (the admin's "retry").
pub fn retry(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    actor.require(Permission::ManageJobs, "manage jobs")?;
    write::transaction(conn, actor, now, |tx| {
        let job = queue::find(tx.conn, id)?.ok_or(WriteError::NotFound)?;
        if !queue::requeue(tx.conn, id, now)? {
            return Err(WriteError::invalid(
                "job",
                "Only a failed job can be tried again.",
            ));
        }
        tx.jobs_due();
        tx.audit("retried", (Object::Job, Some(id)), &describe(&job))?;
        Ok(())
    })
}

/// Deletes a queued or failed job (the admin's "discard").
pub fn discard(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    actor.require(Permission::ManageJobs, "manage jobs")?;
    write::transaction(conn, actor, now, |tx| {
        let job = queue::find(tx.conn, id)?.ok_or(WriteError::NotFound)?;
        if !queue::remove(tx.conn, id)? {
            return Err(WriteError::invalid(
                "job",
                "A running or finished job cannot be discarded.",
            ));
        }
        tx.audit("discarded", (Object::Job, Some(id)), &describe(&job))?;
        Ok(())
    })
}

/// A job in a line, for people: what it does, never what its payload hides (mail carries
/// sign-in and reset links, so only its address and subject are shown).
pub fn describe(job: &JobRow) -> String {
    match job.kind.as_str() {
        crate::mail::Mail::KIND => match serde_json::from_str::<crate::mail::Mail>(&job.payload) {
            Ok(mail) => format!("Mail to {}: {}", mail.to, mail.subject),
            Err(_) => "Mail (unreadable)".into(),
        },
        housekeeping::Housekeeping::KIND => "Tidying: sessions, links, old changes and jobs".into(),
        crate::domain::webhooks::Deliver::KIND => {
            match serde_json::from_str::<crate::domain::webhooks::Deliver>(&job.payload) {
                Ok(deliver) => format!("Webhook delivery {}", deliver.delivery),
                Err(_) => "Webhook delivery (unreadable)".into(),
            }
        }
        crate::domain::posts::events::GoesLive::KIND => {
            match serde_json::from_str::<crate::domain::posts::events::GoesLive>(&job.payload) {
                Ok(due) => format!("Tell webhooks when post {} goes live", due.post),
                Err(_) => "A scheduled post going live (unreadable)".into(),
            }
        }
        other => format!("A job of kind {other:?}"),
    }
}

/// Why a job's run failed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum JobError {
    /// Worth another try later (a server that did not answer).
    Retry(String),
    /// Worth another try after the given delay: the kind keeps its own schedule (webhooks),
    /// or the other side said when (`Retry-After`).
    RetryIn(String, chrono::Duration),
    /// Will never succeed (a payload that no longer parses, an address that is not one).
    Permanent(String),
}

impl JobError {
    /// The payload could not be read: no retry will help.
    pub fn unreadable(error: impl std::fmt::Display) -> JobError {
        JobError::Permanent(format!("the payload no longer parses: {error}"))
    }
}
