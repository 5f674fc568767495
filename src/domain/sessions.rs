//! Server-side sessions: the rows behind the `quire_session` cookie.
//!
//! A row is keyed by the SHA-256 of the cookie's session key. Its expiry is decided here, not
//! by the cookie: an idle limit (renewed as the session is used) and an absolute one (from
//! when the session started), both longer for a "remember me" login.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{sessions, users};

/// How long a session lives, by what it carries.
pub struct Lifetime {
    pub idle: Duration,
    pub absolute: Duration,
}

impl Lifetime {
    pub fn of(signed_in: bool, remember: bool) -> Lifetime {
        match (signed_in, remember) {
            // A form's CSRF token, before anyone signs in.
            (false, _) => Lifetime {
                idle: Duration::hours(2),
                absolute: Duration::hours(12),
            },
            (true, false) => Lifetime {
                idle: Duration::hours(12),
                absolute: Duration::days(7),
            },
            (true, true) => Lifetime {
                idle: Duration::days(14),
                absolute: REMEMBERED,
            },
        }
    }
}

/// How long a "remember me" session (and its cookie) lasts at most.
pub const REMEMBERED: Duration = Duration::days(30);

/// What a session row stores besides its state, taken from that state.
pub struct SessionFacts {
    pub user_id: Option<i64>,
    pub handle: String,
    pub device: String,
    pub remember: bool,
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id: String,
    pub user_id: Option<i64>,
    pub handle: String,
    pub state: String,
    pub device: String,
    pub remember: bool,
    pub created_at: NaiveDateTime,
    pub last_seen_at: NaiveDateTime,
    pub idle_expires_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
}

/// The live session with this id hash, if any.
pub fn find_live(
    conn: &mut DbConn,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<SessionRow>> {
    sessions::table
        .find(id)
        .filter(sessions::idle_expires_at.gt(now))
        .filter(sessions::expires_at.gt(now))
        .select(SessionRow::as_select())
        .first(conn)
        .optional()
}

pub fn insert(
    conn: &mut DbConn,
    id: &str,
    state: &str,
    facts: &SessionFacts,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let lifetime = Lifetime::of(facts.user_id.is_some(), facts.remember);
    diesel::insert_into(sessions::table)
        .values((
            sessions::id.eq(id),
            sessions::user_id.eq(facts.user_id),
            sessions::handle.eq(&facts.handle),
            sessions::state.eq(state),
            sessions::device.eq(&facts.device),
            sessions::remember.eq(facts.remember),
            sessions::created_at.eq(now),
            sessions::last_seen_at.eq(now),
            sessions::idle_expires_at.eq(now + lifetime.idle),
            sessions::expires_at.eq(now + lifetime.absolute),
        ))
        .execute(conn)
        .map(drop)
}

/// Stores a live session's new state; false when the session is gone (revoked or expired).
pub fn update(
    conn: &mut DbConn,
    id: &str,
    state: &str,
    facts: &SessionFacts,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let lifetime = Lifetime::of(facts.user_id.is_some(), facts.remember);
    let updated = diesel::update(
        sessions::table
            .find(id)
            .filter(sessions::idle_expires_at.gt(now))
            .filter(sessions::expires_at.gt(now)),
    )
    .set((
        sessions::user_id.eq(facts.user_id),
        sessions::handle.eq(&facts.handle),
        sessions::state.eq(state),
        sessions::device.eq(&facts.device),
        sessions::remember.eq(facts.remember),
        sessions::last_seen_at.eq(now),
        sessions::idle_expires_at.eq(now + lifetime.idle),
    ))
    .execute(conn)?;
    Ok(updated == 1)
}

/// How long a session's "last seen" may lag: it is written at most this often.
pub fn seen_every() -> Duration {
    Duration::minutes(1)
}

/// Marks a session as used now, pushing back its idle expiry. Writes at most once a minute
/// per session, so a busy reader does not turn every page view into a database write.
/// Returns when the session was last seen afterwards (`None`: no such live session).
pub fn touch(
    conn: &mut DbConn,
    id: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<NaiveDateTime>> {
    let Some(row) = find_live(conn, id, now)? else {
        return Ok(None);
    };
    if now - row.last_seen_at < seen_every() {
        return Ok(Some(row.last_seen_at));
    }
    let lifetime = Lifetime::of(row.user_id.is_some(), row.remember);
    diesel::update(sessions::table.find(id))
        .set((
            sessions::last_seen_at.eq(now),
            sessions::idle_expires_at.eq(now + lifetime.idle),
        ))
        .execute(conn)?;
    Ok(Some(now))
}

pub fn delete(conn: &mut DbConn, id: &str) -> QueryResult<()> {
    diesel::delete(sessions::table.find(id))
        .execute(conn)
        .map(drop)
}

/// A user's live sessions, most recently used first.
pub fn of_user(
    conn: &mut DbConn,
    user_id: i64,
    now: NaiveDateTime,
) -> QueryResult<Vec<SessionRow>> {
    sessions::table
        .filter(sessions::user_id.eq(user_id))
        .filter(sessions::idle_expires_at.gt(now))
        .filter(sessions::expires_at.gt(now))
        .order(sessions::last_seen_at.desc())
        .select(SessionRow::as_select())
        .load(conn)
}

/// Ends one of a user's sessions, named by its handle; someone else's is left alone.
pub fn revoke(conn: &mut DbConn, user_id: i64, handle: &str) -> QueryResult<bool> {
    diesel::delete(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::handle.eq(handle)),
    )
    .execute(conn)
    .map(|n| n == 1)
}

/// Ends every session of a user except the one with handle `keep` (the current one), and
/// moves the account to a new session epoch so that no session started before survives,
/// even one whose request was under way. Returns the new epoch, which the kept session
/// must take (`identity::keep_after_ending_others`). Call inside a write transaction.
pub fn end_all(conn: &mut DbConn, user_id: i64, keep: Option<&str>) -> QueryResult<i32> {
    let mine = sessions::table.filter(sessions::user_id.eq(user_id));
    match keep {
        Some(keep) => diesel::delete(mine.filter(sessions::handle.ne(keep))).execute(conn)?,
        None => diesel::delete(mine).execute(conn)?,
    };
    diesel::update(users::table.find(user_id))
        .set(users::session_epoch.eq(users::session_epoch + 1))
        .returning(users::session_epoch)
        .get_result(conn)
}

/// Deletes expired sessions; returns how many.
pub fn purge_expired(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        sessions::table.filter(
            sessions::idle_expires_at
                .le(now)
                .or(sessions::expires_at.le(now)),
        ),
    )
    .execute(conn)
}
