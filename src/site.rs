//! Keeping this instance in step with the database: the settings every public page shares,
//! held in memory until they change, and the watcher that reads the changes other
//! instances and the command line made (see `domain::changes`).

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::QueryResult;
use tokio::sync::Notify;

use crate::clock::now;
use crate::db::{AfterCommit, Committed, Db, DbConn, Heard};
use crate::domain::changes::{Batch, Feed, Listener, Touched};
use crate::domain::settings::{self, SiteSettings};

/// How often the watcher reads the changes table when nothing woke it.
const WATCH_EVERY: Duration = Duration::from_secs(1);
/// Every this many ticks the watcher also checks that the table's ids did not go back.
const REWIND_CHECK_TICKS: u64 = 60;

/// The settings and the site's last change, as of one moment.
#[derive(Debug)]
pub struct Snapshot {
    pub settings: SiteSettings,
    /// For `Last-Modified`: see `changes::last_change`.
    pub last_change: NaiveDateTime,
}

/// Holds the settings until a change touches the whole site.
pub struct Shared {
    feed: Arc<Feed>,
    held: Mutex<Held>,
}

#[derive(Default)]
struct Held {
    settings: Option<SiteSettings>,
    snapshot: Option<(u64, Arc<Snapshot>)>,
}

impl Shared {
    pub fn new(feed: Arc<Feed>) -> Arc<Shared> {
        let shared = Arc::new(Shared {
            feed: Arc::clone(&feed),
            held: Mutex::new(Held::default()),
        });
        let listener: Weak<dyn Listener> = Arc::downgrade(&shared) as Weak<dyn Listener>;
        feed.subscribe(listener);
        shared
    }

    pub fn feed(&self) -> &Arc<Feed> {
        &self.feed
    }

    /// The snapshot held in memory, when nothing changed since it was made: no database
    /// needed. `None` means ask `current`.
    pub fn held(&self) -> Option<Arc<Snapshot>> {
        let generation = self.feed.generation();
        let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        match &held.snapshot {
            Some((made_at, snapshot)) if *made_at == generation => Some(Arc::clone(snapshot)),
            _ => None,
        }
    }

    /// The snapshot for now, from memory unless something changed since it was made.
    pub fn current(&self, conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Arc<Snapshot>> {
        self.feed.check_schedule(now);
        // Read before loading: a change that lands meanwhile moves it on, so what is kept
        // here is never taken for newer than it is.
        let generation = self.feed.generation();
        let settings = {
            let held = self.held.lock().unwrap_or_else(|e| e.into_inner());
            if let Some((made_at, snapshot)) = &held.snapshot
                && *made_at == generation
            {
                return Ok(Arc::clone(snapshot));
            }
            held.settings.clone()
        };
        let settings = match settings {
            Some(settings) => settings,
            None => settings::current(conn, now)?,
        };
        let snapshot = Arc::new(Snapshot {
            settings: settings.clone(),
            last_change: self.feed.last_change(),
        });
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        if self.feed.generation() == generation {
            held.settings = Some(settings);
            held.snapshot = Some((generation, Arc::clone(&snapshot)));
        }
        Ok(snapshot)
    }
}

impl Listener for Shared {
    fn changed(&self, batch: &Batch) {
        let mut held = self.held.lock().unwrap_or_else(|e| e.into_inner());
        held.snapshot = None;
        if batch.everything || batch.touched.contains(&Touched::Site) {
            held.settings = None;
        }
    }
}

/// What runs after this process commits: its caches catch up at once (so a write shows on
/// the very next request), and its workers look for the jobs just queued.
pub struct InProcess {
    pub feed: Arc<Feed>,
    pub jobs: Arc<Notify>,
}

impl AfterCommit for InProcess {
    fn after_commit(&self, conn: &mut DbConn, committed: Committed) {
        if committed.changes
            && let Err(error) = self.feed.catch_up(conn, now())
        {
            // The watcher reads the same rows within a second.
            tracing::warn!(%error, "could not read the changes just made");
        }
        if committed.jobs {
            self.jobs.notify_one();
        }
    }
}

/// Reads the changes others made, every second or as soon as PostgreSQL says there are
/// some, until the feed is dropped.
pub fn spawn_watcher(feed: &Arc<Feed>, db: Db, jobs: Arc<Notify>) {
    let feed: Weak<Feed> = Arc::downgrade(feed);
    let wake = Arc::new(Notify::new());
    let lost = Arc::new(AtomicBool::new(false));
    {
        let (wake, lost, feed) = (Arc::clone(&wake), Arc::clone(&lost), feed.clone());
        crate::db::listen(
            db.url(),
            move || feed.strong_count() > 0,
            move |heard| match heard {
                Heard::Changes => wake.notify_one(),
                Heard::Jobs => jobs.notify_one(),
                // Notifications sent while disconnected are gone: start over.
                Heard::Reconnected => {
                    lost.store(true, Ordering::Release);
                    wake.notify_one();
                }
            },
        );
    }
    tokio::spawn(async move {
        let mut tick: u64 = 0;
        loop {
            let _ = tokio::time::timeout(WATCH_EVERY, wake.notified()).await;
            let Some(feed) = feed.upgrade() else { break };
            tick += 1;
            let (lost, now) = (Arc::clone(&lost), now());
            let watched = db
                .run(move |conn| {
                    let rewound = tick.is_multiple_of(REWIND_CHECK_TICKS) && feed.rewound(conn)?;
                    if lost.swap(false, Ordering::AcqRel) || rewound {
                        feed.reset(conn, now)
                    } else {
                        feed.catch_up(conn, now)?;
                        feed.refresh_schedule(conn, now)
                    }
                })
                .await;
            if let Err(error) = watched {
                tracing::warn!(%error, "could not read the changes table");
            }
        }
    });
}
