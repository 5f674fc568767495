//! Working copies: what the editor's script keeps every few seconds while someone writes, so
//! a closed tab or a lost connection never loses text. One copy per post and person, the form
//! as typed (opaque here: the web layer's), against the post's version it started from. A
//! working copy is no revision and no change readers see: keeping one touches no page, and
//! an explicit save (`write::update`) clears the saver's copy in the same transaction.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};

use crate::db::DbConn;
use crate::db::schema::working_copies;
use crate::domain::posts::editing;
use crate::domain::posts::write::may_change;
use crate::domain::write::{self, Actor, WriteError};

/// The largest form kept, in bytes, as JSON: twice the editor's own limit on a save, as
/// escaping newlines and quotes makes a text longer.
pub const MAX_FORM: usize = 32 * 1024 * 1024;

#[derive(Debug, Clone, PartialEq, Eq, Queryable)]
pub struct WorkingCopy {
    pub base_version: i32,
    pub form: String,
    pub saved_at: NaiveDateTime,
}

/// Keeps `form` as `actor`'s working copy of the post, written against `base_version`.
/// Refused when the post was saved by anyone since (`Conflict`: the editor says so rather
/// than keep text that would overwrite theirs), deleted (`NotFound`), or is not the actor's
/// to change.
pub fn keep(
    conn: &mut DbConn,
    actor: &Actor,
    post_id: i64,
    base_version: i32,
    form: &str,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    let Some(user_id) = actor.id else {
        return Err(WriteError::forbidden("autosave"));
    };
    if form.len() > MAX_FORM {
        return Err(WriteError::invalid(
            "markdown",
            "The text is too long to keep.",
        ));
    }
    // In one transaction with the post's row held: a save committing between the version
    // check and the upsert would otherwise leave a copy older than the saved text.
    write::transaction(conn, actor, now, |tx| {
        crate::db::lock_post(tx.conn, post_id)?;
        let current = editing::open(tx.conn, post_id)?.ok_or(WriteError::NotFound)?;
        may_change(actor, &current)?;
        if current.post.version != base_version {
            return Err(WriteError::Conflict);
        }
        diesel::sql_query(
            "INSERT INTO working_copies (post_id, user_id, base_version, form, saved_at) \
             VALUES ($1, $2, $3, $4, $5) \
             ON CONFLICT (post_id, user_id) DO UPDATE SET base_version = excluded.base_version, \
             form = excluded.form, saved_at = excluded.saved_at",
        )
        .bind::<BigInt, _>(post_id)
        .bind::<BigInt, _>(user_id)
        .bind::<Integer, _>(base_version)
        .bind::<Text, _>(form)
        .bind::<Timestamp, _>(now)
        .execute(tx.conn)?;
        Ok(())
    })
}

/// `user_id`'s working copy of the post, if there is one.
pub fn find(conn: &mut DbConn, post_id: i64, user_id: i64) -> QueryResult<Option<WorkingCopy>> {
    working_copies::table
        .filter(working_copies::post_id.eq(post_id))
        .filter(working_copies::user_id.eq(user_id))
        .select((
            working_copies::base_version,
            working_copies::form,
            working_copies::saved_at,
        ))
        .first(conn)
        .optional()
}

/// Throws `user_id`'s working copy of the post away; true when there was one.
pub fn discard(conn: &mut DbConn, post_id: i64, user_id: i64) -> QueryResult<bool> {
    let gone = diesel::delete(
        working_copies::table
            .filter(working_copies::post_id.eq(post_id))
            .filter(working_copies::user_id.eq(user_id)),
    )
    .execute(conn)?;
    Ok(gone > 0)
}
