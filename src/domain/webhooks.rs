//! Webhooks: an integration asks to be told of changes at an address of its own. Each change
//! a use case makes queues one delivery per webhook that wants its event, in the change's
//! own transaction, so a rolled-back change tells no one and a committed one is always told
//! (after a restart too: deliveries are rows, and each is sent by a job).
//!
//! A delivery follows the Standard Webhooks specification: a `webhook-id` that stays the
//! same through retries, a `webhook-timestamp`, and a `webhook-signature` made with the
//! webhook's `whsec_` secret (two signatures for a day after the secret is rotated). The
//! body is `{"type", "timestamp", "data"}`, and `data` holds the changed object and its
//! previous version. Sending is `jobs::webhook`.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::auth::permissions::Permission;
use crate::clock::moment;
use crate::db::schema::{integrations, webhook_deliveries, webhooks};
use crate::db::{DbConn, stored_as_text};
use crate::domain::audit::Object;
use crate::domain::input::FieldErrors;
use crate::domain::posts::PostKind;
use crate::domain::write::{self, Actor, Tx, WriteError};
use crate::jobs::Job;

stored_as_text! {
    /// What a webhook can be told of.
    pub enum Event {
        PostPublished => "post.published",
        PostUpdated => "post.updated",
        PostUnpublished => "post.unpublished",
        PostDeleted => "post.deleted",
        PagePublished => "page.published",
        PageUpdated => "page.updated",
        PageUnpublished => "page.unpublished",
        PageDeleted => "page.deleted",
        TagAdded => "tag.added",
        TagChanged => "tag.changed",
        TagDeleted => "tag.deleted",
        MemberAdded => "member.added",
        MemberChanged => "member.changed",
        MemberDeleted => "member.deleted",
        CommentAdded => "comment.added",
        CommentApproved => "comment.approved",
        SiteChanged => "site.changed",
        /// Sent by "send a test event"; no webhook subscribes to it.
        Test => "webhook.test",
    }
}

impl Event {
    /// The events a webhook may subscribe to.
    pub fn subscribable() -> impl Iterator<Item = Event> {
        Event::ALL.iter().copied().filter(|e| *e != Event::Test)
    }

    /// What the event means, for the admin's form.
    pub fn describe(self) -> &'static str {
        match self {
            Event::PostPublished => "A post goes live (also when its scheduled time comes)",
            Event::PostUpdated => "A post is saved without going live or coming down",
            Event::PostUnpublished => "A live post is taken down or moved to the trash",
            Event::PostDeleted => "A post is deleted for good",
            Event::PagePublished => "A page goes live",
            Event::PageUpdated => "A page is saved without going live or coming down",
            Event::PageUnpublished => "A live page is taken down or moved to the trash",
            Event::PageDeleted => "A page is deleted for good",
            Event::TagAdded => "A tag is created",
            Event::TagChanged => "A tag is renamed or described",
            Event::TagDeleted => "A tag is deleted or merged into another",
            Event::MemberAdded => "A member confirms their sign-up or invitation",
            Event::MemberChanged => "A member's account is changed",
            Event::MemberDeleted => "A member's account is removed",
            Event::CommentAdded => "A comment is posted (live or waiting)",
            Event::CommentApproved => "A waiting comment is approved",
            Event::SiteChanged => "The site's settings change",
            Event::Test => "A test event sent from the admin",
        }
    }

    /// The events of a post or page going live, being saved, coming down, being deleted.
    pub fn of_post(kind: PostKind) -> [Event; 4] {
        match kind {
            PostKind::Post => [
                Event::PostPublished,
                Event::PostUpdated,
                Event::PostUnpublished,
                Event::PostDeleted,
            ],
            PostKind::Page => [
                Event::PagePublished,
                Event::PageUpdated,
                Event::PageUnpublished,
                Event::PageDeleted,
            ],
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhooks)]
pub struct Webhook {
    pub id: i64,
    pub integration_id: i64,
    pub target_url: String,
    events: String,
    pub secret: String,
    pub previous_secret: Option<String>,
    pub previous_until: Option<NaiveDateTime>,
    pub disabled_reason: Option<String>,
    pub failing_since: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl Webhook {
    pub fn events(&self) -> Vec<Event> {
        self.events
            .split_whitespace()
            .filter_map(Event::parse)
            .collect()
    }

    pub fn wants(&self, event: Event) -> bool {
        self.events.split_whitespace().any(|e| e == event.as_str())
    }

    pub fn is_on(&self) -> bool {
        self.disabled_reason.is_none()
    }

    /// The secrets that sign a delivery at `now`: the current one, and the previous one
    /// during the day after a rotation, so receivers can switch without missing one.
    pub fn signing_secrets(&self, now: NaiveDateTime) -> Vec<&str> {
        let mut secrets = vec![self.secret.as_str()];
        if let (Some(previous), Some(until)) = (&self.previous_secret, self.previous_until)
            && until > now
        {
            secrets.push(previous);
        }
        secrets
    }
}

stored_as_text! {
    pub enum DeliveryStatus {
        Pending => "pending",
        Delivered => "delivered",
        Failed => "failed",
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = webhook_deliveries)]
pub struct Delivery {
    pub id: i64,
    pub webhook_id: i64,
    pub message_id: String,
    pub event: String,
    pub payload: String,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub response_code: Option<i32>,
    pub duration_ms: Option<i32>,
    pub error: Option<String>,
    pub next_try_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub last_attempt_at: Option<NaiveDateTime>,
}

/// The job that sends a delivery: one run is one attempt. `from` is the delivery's attempts
/// before this round began ("send again" starts a new round), which says where in the
/// retry schedule an attempt is.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deliver {
    pub delivery: i64,
    pub from: i32,
}

/// How long after each failed attempt the next one comes: 5 seconds, 5 minutes, 30 minutes,
/// 2, 5, 10, 14, 20 and 24 hours (the first attempt is at once). About three days in all.
pub const SCHEDULE: [i64; 9] = [
    5,
    5 * 60,
    30 * 60,
    2 * 3600,
    5 * 3600,
    10 * 3600,
    14 * 3600,
    20 * 3600,
    24 * 3600,
];

impl Job for Deliver {
    const KIND: &'static str = "webhook";
    const ATTEMPTS: i32 = SCHEDULE.len() as i32 + 1;
}

/// A webhook that keeps failing this long is turned off, and the owner told.
pub fn failing_limit() -> Duration {
    Duration::days(3)
}

/// How long the previous secret still signs after a rotation.
pub fn rotation_grace() -> Duration {
    Duration::hours(24)
}

pub const MAX_URL: usize = 2000;

/// A target address and events as typed, checked. A private address written out is
/// refused here unless `allow_private`; a name is checked when each delivery resolves it.
pub fn parse(
    target_url: &str,
    events: &[String],
    allow_private: bool,
) -> Result<(String, Vec<Event>), FieldErrors> {
    let mut errors = FieldErrors::default();
    let target = target_url.trim();
    match url::Url::parse(target) {
        _ if target.is_empty() => errors.add("target_url", "Give the address to send events to."),
        _ if target.len() > MAX_URL => errors.add(
            "target_url",
            format!("The address is longer than {MAX_URL} characters."),
        ),
        Ok(url) if !matches!(url.scheme(), "http" | "https") || url.host().is_none() => errors.add(
            "target_url",
            "The address must start with https:// (or http://) and name a host.",
        ),
        Ok(url) if !allow_private && !crate::net::literal_host_allowed(&url, &[]) => errors.add(
            "target_url",
            "That is a private or local address; webhooks go to public addresses only.",
        ),
        Ok(_) => {}
        Err(_) => errors.add(
            "target_url",
            "That is not a web address, such as https://example.com/hooks/quire.",
        ),
    }
    let mut chosen = Vec::new();
    for raw in events {
        match Event::parse(raw.trim()).filter(|e| *e != Event::Test) {
            Some(event) if !chosen.contains(&event) => chosen.push(event),
            Some(_) => {}
            None => {
                let names: Vec<&str> = Event::subscribable().map(|e| e.as_str()).collect();
                errors.add(
                    "events",
                    format!("'{raw}' is not an event; choose from {}.", names.join(", ")),
                );
            }
        }
    }
    if chosen.is_empty() && errors.get("events").is_none() {
        errors.add("events", "Choose at least one event to be told of.");
    }
    chosen.sort_by_key(|e| Event::ALL.iter().position(|a| a == e));
    errors.into_result((target.to_string(), chosen))
}

fn events_text(events: &[Event]) -> String {
    events
        .iter()
        .map(|e| e.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// A new signing secret: `whsec_` and 32 random bytes in base64, as the specification
/// writes them.
fn new_secret() -> String {
    use base64::Engine;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    format!(
        "whsec_{}",
        base64::engine::general_purpose::STANDARD.encode(bytes)
    )
}

fn new_message_id() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    format!("msg_{}", hex::encode(bytes))
}

/// Adds a webhook to a live integration.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    integration_id: i64,
    (target_url, events): (&str, &[Event]),
    now: NaiveDateTime,
) -> Result<Webhook, WriteError> {
    actor.require(Permission::ManageSettings, "manage integrations")?;
    write::transaction(conn, actor, now, |tx| {
        let integration = live_integration(tx.conn, integration_id)?;
        let id: i64 = diesel::insert_into(webhooks::table)
            .values((
                webhooks::integration_id.eq(integration_id),
                webhooks::target_url.eq(target_url),
                webhooks::events.eq(events_text(events)),
                webhooks::secret.eq(new_secret()),
                webhooks::created_at.eq(now),
                webhooks::updated_at.eq(now),
            ))
            .returning(webhooks::id)
            .get_result(tx.conn)?;
        let summary = format!("{} → {target_url}", integration.name);
        tx.audit(
            "added a webhook to",
            (Object::Integration, Some(integration_id)),
            &summary,
        )?;
        by_id(tx.conn, id)?.ok_or(WriteError::NotFound)
    })
}

/// Changes where a webhook sends and what it is told of. Saving turns a webhook that was
/// turned off back on.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    (target_url, events): (&str, &[Event]),
    now: NaiveDateTime,
) -> Result<Webhook, WriteError> {
    actor.require(Permission::ManageSettings, "manage integrations")?;
    write::transaction(conn, actor, now, |tx| {
        let current = live(tx.conn, id)?;
        diesel::update(webhooks::table.find(id))
            .set((
                webhooks::target_url.eq(target_url),
                webhooks::events.eq(events_text(events)),
                webhooks::disabled_reason.eq(None::<String>),
                webhooks::failing_since.eq(None::<NaiveDateTime>),
                webhooks::updated_at.eq(now),
            ))
            .execute(tx.conn)?;
        let summary = format!("{} → {target_url}", current.target_url);
        let object = (Object::Integration, Some(current.integration_id));
        tx.audit("changed a webhook of", object, &summary)?;
        by_id(tx.conn, id)?.ok_or(WriteError::NotFound)
    })
}

/// A new secret; the old one also signs for a day, so the receiver can switch in time.
pub fn rotate_secret(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<Webhook, WriteError> {
    actor.require(Permission::ManageSettings, "manage integrations")?;
    write::transaction(conn, actor, now, |tx| {
        let current = live(tx.conn, id)?;
        diesel::update(webhooks::table.find(id))
            .set((
                webhooks::secret.eq(new_secret()),
                webhooks::previous_secret.eq(Some(&current.secret)),
                webhooks::previous_until.eq(Some(now + rotation_grace())),
                webhooks::updated_at.eq(now),
            ))
            .execute(tx.conn)?;
        let object = (Object::Integration, Some(current.integration_id));
        tx.audit(
            "rotated the secret of a webhook of",
            object,
            &current.target_url,
        )?;
        by_id(tx.conn, id)?.ok_or(WriteError::NotFound)
    })
}

/// Deletes a webhook with its deliveries; jobs still queued for them find nothing to send.
pub fn delete(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    actor.require(Permission::ManageSettings, "manage integrations")?;
    write::transaction(conn, actor, now, |tx| {
        let current = by_id(tx.conn, id)?.ok_or(WriteError::NotFound)?;
        diesel::delete(webhook_deliveries::table.filter(webhook_deliveries::webhook_id.eq(id)))
            .execute(tx.conn)?;
        diesel::delete(webhooks::table.find(id)).execute(tx.conn)?;
        let object = (Object::Integration, Some(current.integration_id));
        tx.audit("deleted a webhook of", object, &current.target_url)?;
        Ok(())
    })
}

/// Queues a `webhook.test` delivery to a webhook, whatever events it wants.
pub fn send_test(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<i64, WriteError> {
    actor.require(Permission::ManageSettings, "manage integrations")?;
    write::transaction(conn, actor, now, |tx| {
        let hook = live(tx.conn, id)?;
        let data = json!({ "webhook": { "id": hook.id, "target_url": hook.target_url } });
        queue_delivery(tx, &hook, Event::Test, &data)
    })
}

/// Sends a delivery again, from the start of the schedule: after it failed, or to have a
/// receiver see it once more (it keeps its `webhook-id`).
pub fn send_again(
    conn: &mut DbConn,
    actor: &Actor,
    delivery_id: i64,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    actor.require(Permission::ManageSettings, "manage integrations")?;
    write::transaction(conn, actor, now, |tx| {
        let delivery = delivery(tx.conn, delivery_id)?.ok_or(WriteError::NotFound)?;
        let hook = live(tx.conn, delivery.webhook_id)?;
        if delivery.status == DeliveryStatus::Pending {
            return Err(WriteError::invalid(
                "delivery",
                "This delivery is still being sent; wait for its next try.",
            ));
        }
        if !hook.is_on() {
            return Err(WriteError::invalid(
                "delivery",
                "This webhook is turned off; save it to turn it on first.",
            ));
        }
        diesel::update(webhook_deliveries::table.find(delivery_id))
            .set((
                webhook_deliveries::status.eq(DeliveryStatus::Pending),
                webhook_deliveries::next_try_at.eq(Some(now)),
            ))
            .execute(tx.conn)?;
        let job = Deliver {
            delivery: delivery_id,
            from: delivery.attempts,
        };
        let key = format!("webhook:{}:{}", delivery.message_id, delivery.attempts);
        tx.enqueue(&job, &key)?;
        let object = (Object::Integration, Some(hook.integration_id));
        let summary = format!("{} to {}", delivery.event, hook.target_url);
        tx.audit("sent again a webhook delivery of", object, &summary)?;
        Ok(())
    })
}

fn live_integration(
    conn: &mut DbConn,
    id: i64,
) -> Result<crate::domain::integrations::Integration, WriteError> {
    crate::domain::integrations::by_id(conn, id)?
        .filter(|i| !i.is_revoked())
        .ok_or(WriteError::NotFound)
}

/// A webhook of a live integration.
fn live(conn: &mut DbConn, id: i64) -> Result<Webhook, WriteError> {
    let hook = by_id(conn, id)?.ok_or(WriteError::NotFound)?;
    live_integration(conn, hook.integration_id)?;
    Ok(hook)
}

pub fn by_id(conn: &mut DbConn, id: i64) -> QueryResult<Option<Webhook>> {
    webhooks::table
        .find(id)
        .select(Webhook::as_select())
        .first(conn)
        .optional()
}

/// An integration's webhooks, oldest first.
pub fn of_integration(conn: &mut DbConn, integration_id: i64) -> QueryResult<Vec<Webhook>> {
    webhooks::table
        .filter(webhooks::integration_id.eq(integration_id))
        .order(webhooks::id)
        .select(Webhook::as_select())
        .load(conn)
}

pub fn delivery(conn: &mut DbConn, id: i64) -> QueryResult<Option<Delivery>> {
    webhook_deliveries::table
        .find(id)
        .select(Delivery::as_select())
        .first(conn)
        .optional()
}

/// A webhook's latest deliveries, newest first.
pub fn deliveries(conn: &mut DbConn, webhook_id: i64, limit: i64) -> QueryResult<Vec<Delivery>> {
    webhook_deliveries::table
        .filter(webhook_deliveries::webhook_id.eq(webhook_id))
        .order(webhook_deliveries::id.desc())
        .limit(limit)
        .select(Delivery::as_select())
        .load(conn)
}

/// The webhooks that are on, of integrations that are not revoked.
fn active(conn: &mut DbConn) -> QueryResult<Vec<Webhook>> {
    webhooks::table
        .inner_join(integrations::table)
        .filter(webhooks::disabled_reason.is_null())
        .filter(integrations::revoked_at.is_null())
        .select(Webhook::as_select())
        .load(conn)
}

/// Whether any active webhook wants one of `events`: a use case asks before it builds the
/// snapshots a delivery would carry, so a site without webhooks pays one small query.
pub fn listening(conn: &mut DbConn, events: &[Event]) -> QueryResult<bool> {
    if held() {
        return Ok(false);
    }
    Ok(active(conn)?
        .iter()
        .any(|hook| events.iter().any(|e| hook.wants(*e))))
}

thread_local! {
    static HELD: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
}

/// While one lives, writes on this thread tell no webhook: an import brings in thousands
/// of posts that were published long ago elsewhere, which no receiver wants to hear of.
pub struct Held(());

impl Held {
    pub fn begin() -> Held {
        HELD.with(|held| held.set(held.get() + 1));
        Held(())
    }
}

impl Drop for Held {
    fn drop(&mut self) {
        HELD.with(|held| held.set(held.get().saturating_sub(1)));
    }
}

/// While one lives, writes on this thread tell webhooks even inside a `Held` stretch: an
/// import asked to tell what it publishes.
pub struct Unheld(u32);

impl Unheld {
    pub fn begin() -> Unheld {
        Unheld(HELD.with(|held| held.replace(0)))
    }
}

impl Drop for Unheld {
    fn drop(&mut self) {
        HELD.with(|held| held.set(self.0));
    }
}

fn held() -> bool {
    HELD.with(|held| held.get() > 0)
}

/// Tells every active webhook that wants `event`, with `data` as the body's `data`: one
/// delivery each, sent once the transaction commits.
pub fn emit(tx: &mut Tx<'_>, event: Event, data: &Value) -> Result<(), WriteError> {
    if held() {
        return Ok(());
    }
    for hook in active(tx.conn)?.into_iter().filter(|h| h.wants(event)) {
        queue_delivery(tx, &hook, event, data)?;
    }
    Ok(())
}

/// `emit` for an object that changed: `{"<name>": {"current": …, "previous": …}}`.
pub fn emit_change(
    tx: &mut Tx<'_>,
    event: Event,
    name: &str,
    current: Option<Value>,
    previous: Option<Value>,
) -> Result<(), WriteError> {
    let data = json!({ name: { "current": current, "previous": previous } });
    emit(tx, event, &data)
}

fn queue_delivery(
    tx: &mut Tx<'_>,
    hook: &Webhook,
    event: Event,
    data: &Value,
) -> Result<i64, WriteError> {
    let body = json!({ "type": event.as_str(), "timestamp": moment(tx.now), "data": data });
    let message_id = new_message_id();
    let id: i64 = diesel::insert_into(webhook_deliveries::table)
        .values((
            webhook_deliveries::webhook_id.eq(hook.id),
            webhook_deliveries::message_id.eq(&message_id),
            webhook_deliveries::event.eq(event.as_str()),
            webhook_deliveries::payload.eq(body.to_string()),
            webhook_deliveries::status.eq(DeliveryStatus::Pending),
            webhook_deliveries::next_try_at.eq(Some(tx.now)),
            webhook_deliveries::created_at.eq(tx.now),
        ))
        .returning(webhook_deliveries::id)
        .get_result(tx.conn)?;
    let job = Deliver {
        delivery: id,
        from: 0,
    };
    tx.enqueue(&job, &format!("webhook:{message_id}"))?;
    Ok(id)
}

/// How an attempt went, to record on its delivery.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: NaiveDateTime,
    pub response_code: Option<i32>,
    pub duration_ms: i32,
    /// Why it failed; `None` when the target took it.
    pub error: Option<String>,
    /// When it is tried again; `None` when it is not.
    pub next_try_at: Option<NaiveDateTime>,
}

/// Records an attempt on the delivery and the webhook's failing streak: a success ends it,
/// a failure starts it if none was running. Returns the webhook as it now stands.
pub fn record_attempt(
    conn: &mut DbConn,
    delivery: &Delivery,
    attempt: &Attempt,
) -> QueryResult<Option<Webhook>> {
    crate::db::write_transaction(conn, |conn| {
        let status = match (&attempt.error, attempt.next_try_at) {
            (None, _) => DeliveryStatus::Delivered,
            (Some(_), Some(_)) => DeliveryStatus::Pending,
            (Some(_), None) => DeliveryStatus::Failed,
        };
        diesel::update(webhook_deliveries::table.find(delivery.id))
            .set((
                webhook_deliveries::status.eq(status),
                webhook_deliveries::attempts.eq(webhook_deliveries::attempts + 1),
                webhook_deliveries::response_code.eq(attempt.response_code),
                webhook_deliveries::duration_ms.eq(Some(attempt.duration_ms)),
                webhook_deliveries::error.eq(&attempt.error),
                webhook_deliveries::next_try_at.eq(attempt.next_try_at),
                webhook_deliveries::last_attempt_at.eq(Some(attempt.at)),
            ))
            .execute(conn)?;
        let hook = webhooks::table.find(delivery.webhook_id);
        if attempt.error.is_none() {
            diesel::update(hook)
                .set(webhooks::failing_since.eq(None::<NaiveDateTime>))
                .execute(conn)?;
        } else {
            diesel::update(hook.filter(webhooks::failing_since.is_null()))
                .set(webhooks::failing_since.eq(Some(attempt.at)))
                .execute(conn)?;
        }
        by_id(conn, delivery.webhook_id)
    })
}

/// Turns a webhook off (its target said 410 Gone, or it failed for three days), says why in
/// the audit log, and tells the site's owner by mail. Nothing is sent to it until it is
/// saved again.
pub fn turn_off(
    conn: &mut DbConn,
    id: i64,
    reason: &str,
    notice: impl FnOnce(&Webhook, &str) -> Option<crate::mail::Mail>,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    let actor = Actor {
        id: None,
        name: "Webhooks".into(),
        role: crate::domain::users::Role::Owner,
    };
    write::transaction(conn, &actor, now, |tx| {
        let Some(hook) = by_id(tx.conn, id)? else {
            return Ok(());
        };
        if !hook.is_on() {
            return Ok(());
        }
        diesel::update(webhooks::table.find(id))
            .set((
                webhooks::disabled_reason.eq(Some(reason)),
                webhooks::updated_at.eq(now),
            ))
            .execute(tx.conn)?;
        let summary = format!("{}: {reason}", hook.target_url);
        tx.audit(
            "turned off a webhook of",
            (Object::Integration, Some(hook.integration_id)),
            &summary,
        )?;
        let owner = crate::domain::users::owner_id(tx.conn)?;
        if let Some(owner) = owner
            && let Some(user) = crate::domain::users::by_id(tx.conn, owner)?
            && let Some(mail) = notice(&hook, &user.email)
        {
            tx.mail(&mail)?;
        }
        Ok(())
    })
}
