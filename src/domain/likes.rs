//! Likes on posts: one per member per post, kept by the table's key (two presses at once,
//! or a thousand in a loop, make one like). A like changes only its post's page and the
//! cards showing its count (`Touched::Conversation`).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

use crate::db::DbConn;
use crate::db::schema::{post_likes, posts};
use crate::domain::changes::Touched;
use crate::domain::posts::PostStatus;
use crate::domain::posts::write::is_visible;
use crate::domain::write::{self, Actor, WriteError};

/// A post's likes as one reader sees them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Likes {
    pub count: i64,
    /// Whether the reader likes it (false for anonymous readers).
    pub mine: bool,
}

pub fn count(conn: &mut DbConn, post_id: i64) -> QueryResult<i64> {
    post_likes::table
        .filter(post_likes::post_id.eq(post_id))
        .count()
        .get_result(conn)
}

pub fn of(conn: &mut DbConn, post_id: i64, user_id: Option<i64>) -> QueryResult<Likes> {
    let mine = match user_id {
        Some(user) => diesel::select(diesel::dsl::exists(
            post_likes::table
                .filter(post_likes::post_id.eq(post_id))
                .filter(post_likes::user_id.eq(user)),
        ))
        .get_result(conn)?,
        None => false,
    };
    Ok(Likes {
        count: count(conn, post_id)?,
        mine,
    })
}

/// How many likes each of these posts has (those with none are left out).
pub fn counts(conn: &mut DbConn, post_ids: &[i64]) -> QueryResult<HashMap<i64, i64>> {
    Ok(post_likes::table
        .filter(post_likes::post_id.eq_any(post_ids))
        .group_by(post_likes::post_id)
        .select((post_likes::post_id, count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}

/// A signed-in reader likes a live post (`liked`) or takes the like back. Saying the same
/// twice changes nothing. Returns the post's likes afterwards.
pub fn set(
    conn: &mut DbConn,
    actor: &Actor,
    post_id: i64,
    liked: bool,
    now: NaiveDateTime,
) -> Result<Likes, WriteError> {
    let Some(user_id) = actor.id else {
        return Err(WriteError::Forbidden("Sign in to like posts.".into()));
    };
    write::transaction(conn, actor, now, |tx| {
        let post = posts::table
            .find(post_id)
            .select((posts::status, posts::published_at, posts::deleted_at))
            .first::<(PostStatus, Option<NaiveDateTime>, Option<NaiveDateTime>)>(tx.conn)
            .optional()?;
        match post {
            Some((status, published_at, deleted_at))
                if is_visible(status, published_at, deleted_at, now) => {}
            _ => return Err(WriteError::NotFound),
        }
        let changed = if liked {
            diesel::sql_query(
                "INSERT INTO post_likes (post_id, user_id, created_at) VALUES ($1, $2, $3) \
                 ON CONFLICT (post_id, user_id) DO NOTHING",
            )
            .bind::<BigInt, _>(post_id)
            .bind::<BigInt, _>(user_id)
            .bind::<Timestamp, _>(now)
            .execute(tx.conn)?
        } else {
            diesel::delete(
                post_likes::table
                    .filter(post_likes::post_id.eq(post_id))
                    .filter(post_likes::user_id.eq(user_id)),
            )
            .execute(tx.conn)?
        };
        if changed > 0 {
            tx.touch(Touched::Conversation(post_id));
        }
        Ok(Likes {
            count: count(tx.conn, post_id)?,
            mine: liked,
        })
    })
}

/// The posts one person likes, newest like first, by slug (for their data export).
pub fn liked_by(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    post_likes::table
        .inner_join(posts::table)
        .filter(post_likes::user_id.eq(user_id))
        .order(post_likes::created_at.desc())
        .select((posts::slug, post_likes::created_at))
        .load(conn)
}

/// Takes a deleted account's likes off the counts (the rows go with the account; this
/// notes the pages that showed them). Call inside the use case deleting the account.
pub fn forget_member(tx: &mut write::Tx<'_>, user_id: i64) -> QueryResult<()> {
    let liked: Vec<i64> = post_likes::table
        .filter(post_likes::user_id.eq(user_id))
        .select(post_likes::post_id)
        .load(tx.conn)?;
    diesel::delete(post_likes::table.filter(post_likes::user_id.eq(user_id))).execute(tx.conn)?;
    for post_id in liked {
        tx.touch(Touched::Conversation(post_id));
    }
    Ok(())
}
