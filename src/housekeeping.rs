//! Periodic tidying: expired sessions and used or expired mailed tokens are deleted, and the
//! rate limiter forgets addresses that have calmed down.

use std::sync::Arc;
use std::time::Duration;

use crate::auth::rate_limit::RateLimits;
use crate::clock::now;
use crate::db::Db;
use crate::domain::{sessions, tokens};

const EVERY: Duration = Duration::from_secs(600);

pub fn spawn(db: Db, limits: Arc<RateLimits>) {
    tokio::spawn(async move {
        let mut ticker = tokio::time::interval(EVERY);
        loop {
            ticker.tick().await;
            limits.forget_idle();
            let purged = db
                .run(|conn| {
                    let now = now();
                    Ok::<_, diesel::result::Error>((
                        sessions::purge_expired(conn, now)?,
                        tokens::purge(conn, now)?,
                    ))
                })
                .await;
            match purged {
                Ok((0, 0)) => {}
                Ok((sessions, tokens)) => tracing::info!(sessions, tokens, "purged expired rows"),
                Err(error) => tracing::warn!(%error, "housekeeping failed"),
            }
        }
    });
}
