//! What webhooks are told when a post or page changes. A write takes the post's snapshot
//! before it changes (only when some webhook listens), then `changed` compares what readers
//! could see before and after: going live is `published`, coming down `unpublished`, any
//! other save `updated`; deleting for good is `deleted`. A post scheduled for later is
//! `published` when its time comes, by a job queued for that moment (`GoesLive`).

use chrono::NaiveDateTime;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::editing::{self, Opened};
use super::snapshot::{StaffPost, kind_name};
use super::{PostKind, PostStatus};
use crate::db::Db;
use crate::db::schema::posts;
use crate::domain::webhooks::{self, Event};
use crate::domain::write::{self, Actor, Tx, WriteError};
use crate::jobs::{Job, JobError};
use diesel::prelude::*;

/// The post as staff see it, as a webhook carries it.
fn snapshot(opened: Opened, now: NaiveDateTime) -> Value {
    serde_json::to_value(StaffPost::new(opened, now)).unwrap_or(Value::Null)
}

/// The post before a change, when some webhook wants to hear about posts of its kind.
pub fn before(tx: &mut Tx<'_>, opened: &Opened) -> Result<Option<Value>, WriteError> {
    let kind = opened.post.kind;
    if !webhooks::listening(tx.conn, &Event::of_post(kind))? {
        return Ok(None);
    }
    Ok(Some(snapshot(opened.clone(), tx.now)))
}

/// After post `id` was written: tells the webhooks listening, and queues the moment a
/// scheduled post goes live. `previous` is `before`'s answer (`None` for a new post, or
/// when no one listened then).
pub fn changed(
    tx: &mut Tx<'_>,
    id: i64,
    kind: PostKind,
    (was_visible, visible): (bool, bool),
    previous: Option<Value>,
) -> Result<(), WriteError> {
    schedule(tx, id)?;
    let [published, updated, unpublished, _] = Event::of_post(kind);
    let event = match (was_visible, visible) {
        (false, true) => published,
        (true, false) => unpublished,
        _ => updated,
    };
    if !webhooks::listening(tx.conn, &[event])? {
        return Ok(());
    }
    let Some(opened) = editing::open(tx.conn, id)? else {
        return Ok(());
    };
    let current = snapshot(opened, tx.now);
    webhooks::emit_change(tx, event, kind_name(kind), Some(current), previous)
}

/// After an import wrote post `id`: tells the webhooks listening that it is published, if
/// it is live (an import asked to tell webhooks; drafts and scheduled posts tell no one).
pub fn imported(tx: &mut Tx<'_>, id: i64) -> Result<(), WriteError> {
    let Some(opened) = editing::open(tx.conn, id)? else {
        return Ok(());
    };
    if !opened.post.is_live(tx.now) {
        return Ok(());
    }
    let kind = opened.post.kind;
    let [published, ..] = Event::of_post(kind);
    if !webhooks::listening(tx.conn, &[published])? {
        return Ok(());
    }
    let current = snapshot(opened, tx.now);
    webhooks::emit_change(tx, published, kind_name(kind), Some(current), None)
}

/// After post `previous` was deleted for good.
pub fn deleted(tx: &mut Tx<'_>, kind: PostKind, previous: Option<Value>) -> Result<(), WriteError> {
    let [.., deleted] = Event::of_post(kind);
    if previous.is_none() {
        return Ok(());
    }
    webhooks::emit_change(tx, deleted, kind_name(kind), None, previous)
}

/// A published post with a date to come goes live then: a job waits for that moment.
fn schedule(tx: &mut Tx<'_>, id: i64) -> Result<(), WriteError> {
    let (status, published_at, deleted_at): (
        PostStatus,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    ) = posts::table
        .find(id)
        .select((posts::status, posts::published_at, posts::deleted_at))
        .first(tx.conn)?;
    let Some(at) = published_at.filter(|at| *at > tx.now) else {
        return Ok(());
    };
    if status == PostStatus::Draft || deleted_at.is_some() {
        return Ok(());
    }
    let job = GoesLive { post: id, at };
    let key = format!("goes-live:{id}:{}", at.and_utc().timestamp_micros());
    tx.enqueue_at(&job, &key, at)
}

/// The moment a scheduled post goes live.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct GoesLive {
    pub post: i64,
    pub at: NaiveDateTime,
}

impl Job for GoesLive {
    const KIND: &'static str = "goes-live";
}

/// Tells the webhooks that a scheduled post went live, if it still did: unchanged date,
/// not unpublished or trashed since.
pub fn went_live(db: &Db, job: &GoesLive) -> Result<(), JobError> {
    let actor = Actor {
        id: None,
        name: "Schedule".into(),
        role: crate::domain::users::Role::Owner,
    };
    let now = crate::clock::now();
    db.run_blocking(|conn| {
        write::transaction(conn, &actor, now, |tx| {
            let Some(opened) = editing::open(tx.conn, job.post)? else {
                return Ok(());
            };
            if opened.post.published_at != Some(job.at) || !opened.post.is_live(now) {
                return Ok(());
            }
            let kind = opened.post.kind;
            let [published, ..] = Event::of_post(kind);
            if !webhooks::listening(tx.conn, &[published])? {
                return Ok(());
            }
            let current = snapshot(opened, now);
            webhooks::emit_change(tx, published, kind_name(kind), Some(current), None)
        })
    })
    .map_err(|e| JobError::Retry(e.to_string()))
}
