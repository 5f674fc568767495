//! What each write touched, kept in the database in the write's own transaction, so that
//! every instance, and the command line, sees every change the same way.
//!
//! A write records the parts of the public site it touched (`Touched`): the whole site
//! (settings), the lists of posts (home, archives, feeds, sitemaps), or one post, tag or
//! author (their own pages and the pages that show them). Each instance's `Feed` reads the
//! rows after the last one it saw, one range read of the primary key, and tells its caches
//! what to drop. It reads at once after a write of its own (`db::AfterCommit`), every second
//! for the others' (woken at once by NOTIFY on PostgreSQL), and keeps the due time of the
//! next scheduled post, so that post going live is a change like any other.

use std::collections::HashSet;
use std::sync::atomic::{AtomicBool, AtomicI64, AtomicU64, Ordering};
use std::sync::{Mutex, RwLock, Weak};

use chrono::NaiveDateTime;
use diesel::dsl::{max, min};
use diesel::prelude::*;

use crate::db::schema::{changes, posts};
use crate::db::{self, DbConn, stored_as_text};
use crate::domain::posts::published_posts;

/// A part of the public site a write changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Touched {
    /// Everything: settings, navigation, the site's identity.
    Site,
    /// Every list of posts: home, tag and author archives, feeds, the sitemap index.
    Listings,
    /// One post or page: its own page and the pages showing it (neighbours, lists).
    Post(i64),
    Tag(i64),
    /// A member of staff as readers see them: bylines and their author page.
    Author(i64),
    /// The conversation under one post or page: only that post's own pages show it.
    Conversation(i64),
    /// The comments moderators see (a new comment waiting, one moderated): no page shows
    /// it; open moderation queues follow it.
    Moderation,
}

stored_as_text! {
    /// How a `Touched` is stored: its kind, beside the object's id.
    pub enum Scope {
        Site => "site",
        Listings => "listings",
        Post => "post",
        Tag => "tag",
        Author => "author",
        Conversation => "conversation",
        Moderation => "moderation",
    }
}

impl Touched {
    fn row(self) -> (Scope, Option<i64>) {
        match self {
            Touched::Site => (Scope::Site, None),
            Touched::Listings => (Scope::Listings, None),
            Touched::Post(id) => (Scope::Post, Some(id)),
            Touched::Tag(id) => (Scope::Tag, Some(id)),
            Touched::Author(id) => (Scope::Author, Some(id)),
            Touched::Conversation(id) => (Scope::Conversation, Some(id)),
            Touched::Moderation => (Scope::Moderation, None),
        }
    }

    fn from_row(scope: Scope, id: Option<i64>) -> Touched {
        match (scope, id) {
            (Scope::Post, Some(id)) => Touched::Post(id),
            (Scope::Tag, Some(id)) => Touched::Tag(id),
            (Scope::Author, Some(id)) => Touched::Author(id),
            (Scope::Conversation, Some(id)) => Touched::Conversation(id),
            (Scope::Listings, _) => Touched::Listings,
            (Scope::Moderation, _) => Touched::Moderation,
            // A row that names no object counts as touching everything.
            _ => Touched::Site,
        }
    }
}

/// Records what a write touched; the last thing its transaction does (see
/// `domain::write::transaction`).
pub fn record(conn: &mut DbConn, touched: &[Touched], now: NaiveDateTime) -> QueryResult<()> {
    if touched.is_empty() {
        return Ok(());
    }
    db::serialise_change_records(conn)?;
    for what in touched {
        let (scope, object_id) = what.row();
        diesel::insert_into(changes::table)
            .values((
                changes::scope.eq(scope),
                changes::object_id.eq(object_id),
                changes::at.eq(now),
            ))
            .execute(conn)?;
    }
    db::notify(conn, db::channels::CHANGES)
}

/// The newest change's id (0 when there is none).
pub fn latest_id(conn: &mut DbConn) -> QueryResult<i64> {
    Ok(changes::table
        .select(max(changes::id))
        .first::<Option<i64>>(conn)?
        .unwrap_or(0))
}

/// Forgets changes older than `before`, keeping the newest so ids never go back.
pub fn prune(conn: &mut DbConn, before: NaiveDateTime) -> QueryResult<usize> {
    let newest = latest_id(conn)?;
    // The newest change readers can see stays too: `last_change` reads it after a restart.
    let newest_seen: Option<i64> = changes::table
        .filter(changes::scope.ne(Scope::Moderation))
        .select(max(changes::id))
        .first(conn)?;
    diesel::delete(
        changes::table
            .filter(changes::at.lt(before))
            .filter(changes::id.lt(newest))
            .filter(changes::id.ne(newest_seen.unwrap_or(newest))),
    )
    .execute(conn)
}

/// The latest moment anything a reader can see changed: the newest change, or a scheduled
/// post going live since.
pub fn last_change(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<NaiveDateTime> {
    // The moderation queue is staff's alone: its changes leave readers' pages as they were.
    let recorded: Option<NaiveDateTime> = changes::table
        .filter(changes::scope.ne(Scope::Moderation))
        .order(changes::id.desc())
        .select(changes::at)
        .first(conn)
        .optional()?;
    let went_live: Option<NaiveDateTime> = posts::table
        .filter(published_posts())
        .filter(posts::published_at.le(now))
        .select(max(posts::published_at))
        .first(conn)?;
    Ok(recorded.max(went_live).unwrap_or(now))
}

/// When the next scheduled post goes live, if one is waiting.
pub fn next_scheduled(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Option<NaiveDateTime>> {
    posts::table
        .filter(published_posts())
        .filter(posts::published_at.gt(now))
        .select(min(posts::published_at))
        .first(conn)
}

/// What a cache learns from the feed.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    /// Drop everything (the site changed, a scheduled post went live, or the feed lost
    /// track).
    pub everything: bool,
    pub touched: HashSet<Touched>,
}

impl Batch {
    pub fn everything() -> Batch {
        Batch {
            everything: true,
            touched: HashSet::new(),
        }
    }

    /// Whether something that depends on `parts` must go.
    pub fn affects(&self, parts: &[Touched]) -> bool {
        self.everything
            || self.touched.contains(&Touched::Site)
            || parts.iter().any(|part| self.touched.contains(part))
    }
}

/// Something kept in memory that must follow the changes.
pub trait Listener: Send + Sync {
    fn changed(&self, batch: &Batch);
}

/// How many changes one read takes; a longer backlog is read in turns.
const BATCH_ROWS: i64 = 500;

/// One instance's view of the changes table (see the module's comment).
pub struct Feed {
    /// The id of the last change read, under the lock that keeps batches in order.
    last_seen: Mutex<i64>,
    listeners: RwLock<Vec<Weak<dyn Listener>>>,
    /// The newest moment a reader could see a change (see `micros`).
    last_change: AtomicI64,
    /// When the next scheduled post goes live (see `micros`; 0 for none).
    next_scheduled: AtomicI64,
    /// Set when a scheduled post went live: the next one is looked up on the next tick.
    schedule_stale: AtomicBool,
    /// Bumped with every batch: whoever loads something to keep can tell whether a change
    /// arrived while they loaded it.
    generation: AtomicU64,
}

/// Moments kept in atomics, as microseconds since the epoch (the database's precision:
/// two changes within a second still differ).
fn micros(at: NaiveDateTime) -> i64 {
    at.and_utc().timestamp_micros()
}

fn from_micros(at: i64) -> NaiveDateTime {
    chrono::DateTime::from_timestamp_micros(at)
        .unwrap_or_default()
        .naive_utc()
}

impl Feed {
    /// Starts from the newest change: what happened before is already in the database that
    /// the caches (still empty) will read.
    pub fn start(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Feed> {
        Ok(Feed {
            last_seen: Mutex::new(latest_id(conn)?),
            listeners: RwLock::new(Vec::new()),
            last_change: AtomicI64::new(micros(last_change(conn, now)?)),
            next_scheduled: AtomicI64::new(next_scheduled(conn, now)?.map_or(0, micros)),
            schedule_stale: AtomicBool::new(false),
            generation: AtomicU64::new(0),
        })
    }

    /// A feed that reads no database: for caches in unit tests, which call `changed` on
    /// their own.
    pub fn detached() -> Feed {
        Feed {
            last_seen: Mutex::new(0),
            listeners: RwLock::new(Vec::new()),
            last_change: AtomicI64::new(0),
            next_scheduled: AtomicI64::new(0),
            schedule_stale: AtomicBool::new(false),
            generation: AtomicU64::new(0),
        }
    }

    pub fn subscribe(&self, listener: Weak<dyn Listener>) {
        self.listeners
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .push(listener);
    }

    /// The latest moment anything a reader can see changed, for `Last-Modified`.
    pub fn last_change(&self) -> NaiveDateTime {
        from_micros(self.last_change.load(Ordering::Acquire))
    }

    /// The newest change this instance has heard of: instances whose `seen` equals
    /// `latest_id` have caught up (operators and tests compare them).
    pub fn seen(&self) -> i64 {
        *self.last_seen.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Reads the changes committed since the last read and passes them on. Cheap when there
    /// are none: one range read of the primary key.
    pub fn catch_up(&self, conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<()> {
        let mut last_seen = self.last_seen.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let rows: Vec<(i64, Scope, Option<i64>, NaiveDateTime)> = changes::table
                .filter(changes::id.gt(*last_seen))
                .order(changes::id)
                .limit(BATCH_ROWS)
                .select((changes::id, changes::scope, changes::object_id, changes::at))
                .load(conn)?;
            let Some(&(newest, ..)) = rows.last() else {
                return Ok(());
            };
            let mut batch = Batch::default();
            let mut latest = self.last_change.load(Ordering::Acquire);
            for (_, scope, id, at) in &rows {
                batch.touched.insert(Touched::from_row(*scope, *id));
                if *scope != Scope::Moderation {
                    latest = latest.max(micros(*at));
                }
            }
            self.last_change.store(latest, Ordering::Release);
            if batch.touched.iter().any(|t| matches!(t, Touched::Post(_))) {
                // A post was scheduled, re-dated or unscheduled: the next due time may move.
                let next = next_scheduled(conn, now)?.map_or(0, micros);
                self.next_scheduled.store(next, Ordering::Release);
            }
            *last_seen = newest;
            self.publish(&batch);
            if (rows.len() as i64) < BATCH_ROWS {
                return Ok(());
            }
        }
    }

    /// When a scheduled post's time has come, everything made before is out of date. A check
    /// of two numbers in memory: cache hits make it on every request.
    pub fn check_schedule(&self, now: NaiveDateTime) {
        let due = self.next_scheduled.load(Ordering::Acquire);
        let now = micros(now);
        if due != 0
            && now >= due
            && self
                .next_scheduled
                .compare_exchange(due, 0, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            self.last_change.fetch_max(due, Ordering::AcqRel);
            self.schedule_stale.store(true, Ordering::Release);
            self.publish(&Batch::everything());
        }
    }

    /// Looks up the next scheduled post again if one just went live (the watcher calls this
    /// every tick; it reads nothing otherwise).
    pub fn refresh_schedule(&self, conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<()> {
        if self.schedule_stale.swap(false, Ordering::AcqRel) {
            let next = next_scheduled(conn, now)?.map_or(0, micros);
            self.next_scheduled.store(next, Ordering::Release);
        }
        Ok(())
    }

    /// Drops everything and starts again from the newest change: after the feed lost track
    /// (a reconnect on which notifications may have been missed, ids that went back after
    /// a restore).
    pub fn reset(&self, conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<()> {
        let mut last_seen = self.last_seen.lock().unwrap_or_else(|e| e.into_inner());
        *last_seen = latest_id(conn)?;
        self.last_change
            .store(micros(last_change(conn, now)?), Ordering::Release);
        let next = next_scheduled(conn, now)?.map_or(0, micros);
        self.next_scheduled.store(next, Ordering::Release);
        self.publish(&Batch::everything());
        Ok(())
    }

    /// Whether the table's ids went back behind what this feed has read (a restore).
    pub fn rewound(&self, conn: &mut DbConn) -> QueryResult<bool> {
        let last_seen = *self.last_seen.lock().unwrap_or_else(|e| e.into_inner());
        Ok(latest_id(conn)? < last_seen)
    }

    fn publish(&self, batch: &Batch) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let listeners = self.listeners.read().unwrap_or_else(|e| e.into_inner());
        for listener in listeners.iter().filter_map(Weak::upgrade) {
            listener.changed(batch);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_affects_what_depends_on_it() {
        let mut batch = Batch::default();
        batch.touched.insert(Touched::Post(7));
        assert!(batch.affects(&[Touched::Post(7), Touched::Tag(1)]));
        assert!(!batch.affects(&[Touched::Post(8), Touched::Listings]));
        batch.touched.insert(Touched::Site);
        assert!(
            batch.affects(&[Touched::Post(8)]),
            "the site is in everything"
        );
        assert!(Batch::everything().affects(&[]));
    }

    #[test]
    fn rows_read_back_what_was_written() {
        for touched in [
            Touched::Site,
            Touched::Listings,
            Touched::Post(3),
            Touched::Tag(4),
            Touched::Author(5),
            Touched::Conversation(6),
        ] {
            let (scope, id) = touched.row();
            assert_eq!(Touched::from_row(scope, id), touched);
        }
    }
}
