//! Periodic tidying, as a job: expired sessions, used or expired mailed tokens, changes every
//! instance has read, finished jobs, and jobs abandoned by an instance that went away.
//! Every instance offers the job every ten minutes under that window's idempotency key, so
//! the site runs it once per window however many instances there are.

use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::{Duration, NaiveDateTime, Timelike};
use serde::{Deserialize, Serialize};

use super::{Job, JobError, queue};
use crate::auth::rate_limit::RateLimits;
use crate::clock::now;
use crate::db::{self, Db};
use crate::domain::{changes, sessions, tokens};

const EVERY: StdDuration = StdDuration::from_secs(600);

/// Changes older than this have been read by every running instance long ago.
const KEEP_CHANGES: i64 = 24;

#[derive(Debug, Default, Serialize, Deserialize)]
pub struct Housekeeping {}

impl Job for Housekeeping {
    const KIND: &'static str = "housekeeping";
    const ATTEMPTS: i32 = 3;
}

/// The job's key for the ten-minute window `at` falls in.
fn key(at: NaiveDateTime) -> String {
    let window = at
        .with_minute(at.minute() / 10 * 10)
        .and_then(|t| t.with_second(0))
        .unwrap_or(at);
    format!("housekeeping:{}", window.format("%Y-%m-%dT%H:%M"))
}

/// The handler: one pass over everything worth tidying.
pub fn tidy(db: &Db) -> Result<(), JobError> {
    let now = now();
    let tidied = db.run_blocking(|conn| {
        Ok::<_, diesel::result::Error>([
            sessions::purge_expired(conn, now)?,
            tokens::purge(conn, now)?,
            changes::prune(conn, now - Duration::hours(KEEP_CHANGES))?,
            queue::purge(conn, now)?,
            queue::sweep_abandoned(conn, now)?,
            crate::domain::comments::guests::prune(conn, now)?,
        ])
    });
    match tidied {
        Ok(counts) => {
            if counts.iter().any(|n| *n > 0) {
                let [sessions, tokens, changes, jobs, abandoned, unconfirmed] = counts;
                tracing::info!(
                    sessions,
                    tokens,
                    changes,
                    jobs,
                    abandoned,
                    unconfirmed,
                    "tidied"
                );
            }
            Ok(())
        }
        Err(error) => Err(JobError::Retry(error.to_string())),
    }
}

/// Offers the job every ten minutes, and lets the rate limiter forget addresses that calmed
/// down (that memory is this process's own).
pub fn spawn_schedule(db: Db, limits: Arc<RateLimits>) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(EVERY);
        loop {
            ticker.tick().await;
            limits.forget_idle();
            let offered = db
                .run(|conn| {
                    let now = now();
                    db::write_transaction(conn, |conn| {
                        queue::enqueue(conn, &Housekeeping::default(), &key(now), now)
                    })
                })
                .await;
            if let Err(error) = offered {
                tracing::warn!(%error, "could not queue housekeeping");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::key;

    #[test]
    fn one_key_per_ten_minutes() {
        let at = |s: &str| chrono::NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap();
        assert_eq!(
            key(at("2026-12-02 09:41:07")),
            "housekeeping:2026-12-02T09:40"
        );
        assert_eq!(
            key(at("2026-12-02 09:49:59")),
            key(at("2026-12-02 09:40:00"))
        );
        assert_ne!(
            key(at("2026-12-02 09:50:00")),
            key(at("2026-12-02 09:49:59"))
        );
    }
}
