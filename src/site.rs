//! What every public page shares — the settings and the moment the site last changed — kept
//! in memory, and the clock that says when anything held in memory may be out of date.
//!
//! The clock's stamp has two parts:
//! - this process's write generation (`db::write_generation`), bumped by every write
//!   transaction, so an edit made through this process shows on the very next request;
//! - a site generation, bumped by a watcher that checks every second whether the database
//!   changed underneath (another instance, the CLI), and when a scheduled post goes live.
//!
//! The page cache and the shared snapshot both hold data under a stamp and drop it as soon as
//! the stamp moves on, so a cache miss costs no settings query and no "last change" query.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::QueryResult;

use crate::clock::now;
use crate::db::{Db, DbConn, write_generation};
use crate::domain::changes;
use crate::domain::settings::{self, SiteSettings};

/// How often the watcher looks for changes made outside this process.
const WATCH_EVERY: Duration = Duration::from_secs(1);

/// Two equal stamps mean nothing a reader sees has changed in between.
pub type Stamp = (u64, u64);

#[derive(Debug, Default)]
pub struct Clock {
    site_generation: AtomicU64,
    /// When the next scheduled post goes live (seconds since the epoch, 0 for none).
    next_scheduled: AtomicU64,
}

impl Clock {
    pub fn stamp(&self) -> Stamp {
        let due = self.next_scheduled.load(Ordering::Acquire);
        if due != 0 && now().and_utc().timestamp() as u64 >= due {
            // A scheduled post is live now: everything made before is out of date.
            self.next_scheduled.store(0, Ordering::Release);
            self.invalidate();
        }
        (
            write_generation(),
            self.site_generation.load(Ordering::Acquire),
        )
    }

    /// Marks everything held under earlier stamps out of date (a change the write generation
    /// cannot see).
    pub fn invalidate(&self) {
        self.site_generation.fetch_add(1, Ordering::AcqRel);
    }
}

/// Watches the database for changes this process did not make, and for scheduled posts,
/// until the clock is dropped.
pub fn spawn_watcher(clock: &Arc<Clock>, db: Db) {
    let clock: Weak<Clock> = Arc::downgrade(clock);
    tokio::spawn(async move {
        let mut last: Option<changes::Fingerprint> = None;
        let mut ticker = tokio::time::interval(WATCH_EVERY);
        loop {
            ticker.tick().await;
            let Some(clock) = clock.upgrade() else { break };
            let now = now();
            let Ok((fingerprint, next)) = db
                .run(move |conn| {
                    Ok::<_, diesel::result::Error>((
                        changes::fingerprint(conn, now)?,
                        changes::next_scheduled(conn, now)?,
                    ))
                })
                .await
            else {
                continue;
            };
            if last.as_ref().is_some_and(|seen| *seen != fingerprint) {
                clock.invalidate();
            }
            last = Some(fingerprint);
            let due = next.map_or(0, |at| at.and_utc().timestamp().max(1) as u64);
            clock.next_scheduled.store(due, Ordering::Release);
        }
    });
}

/// The settings and the site's last change, as of one stamp.
#[derive(Debug)]
pub struct Snapshot {
    pub settings: SiteSettings,
    /// For `Last-Modified`: see `changes::last_change`.
    pub last_change: NaiveDateTime,
}

/// Holds the current `Snapshot`, reloading it when the clock moves on.
pub struct Shared {
    clock: Arc<Clock>,
    held: Mutex<Option<(Stamp, Arc<Snapshot>)>>,
}

impl Shared {
    pub fn new(clock: Arc<Clock>) -> Shared {
        Shared {
            clock,
            held: Mutex::new(None),
        }
    }

    pub fn clock(&self) -> &Arc<Clock> {
        &self.clock
    }

    /// The snapshot for now, from memory unless something changed since it was loaded.
    pub fn current(&self, conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Arc<Snapshot>> {
        // The stamp is read before loading: a write that lands meanwhile moves the clock on,
        // so what is stored here is never taken for newer than it is.
        let stamp = self.clock.stamp();
        if let Some((held_stamp, snapshot)) = &*self.held.lock().unwrap_or_else(|e| e.into_inner())
            && *held_stamp == stamp
        {
            return Ok(Arc::clone(snapshot));
        }
        let snapshot = Arc::new(Snapshot {
            settings: settings::current(conn, now)?,
            last_change: changes::last_change(conn, now)?,
        });
        *self.held.lock().unwrap_or_else(|e| e.into_inner()) = Some((stamp, Arc::clone(&snapshot)));
        Ok(snapshot)
    }
}
