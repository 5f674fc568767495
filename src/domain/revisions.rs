//! Revisions: the title and text of a post as each save left it, so nothing written is lost.
//! A save that changes neither adds no revision; a post keeps its newest `KEPT` revisions.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::{post_revisions, users};

/// How many revisions a post keeps; older ones are dropped as new ones arrive.
pub const KEPT: i64 = 50;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = post_revisions)]
pub struct Revision {
    pub id: i64,
    pub post_id: i64,
    pub author_id: Option<i64>,
    pub created_at: NaiveDateTime,
    pub title: String,
    pub markdown: String,
}

/// A revision with the name of whoever saved it (`None` once their account is gone).
pub struct Listed {
    pub revision: Revision,
    pub author_name: Option<String>,
}

/// Stores a post's title and text as `saved_by` saved them, unless they equal the newest
/// revision. Call inside the save's transaction.
pub fn store(
    conn: &mut DbConn,
    post_id: i64,
    saved_by: Option<i64>,
    title: &str,
    markdown: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    if is_newest(conn, post_id, title, markdown)? {
        return Ok(());
    }
    diesel::insert_into(post_revisions::table)
        .values((
            post_revisions::post_id.eq(post_id),
            post_revisions::author_id.eq(saved_by),
            post_revisions::created_at.eq(now),
            post_revisions::title.eq(title),
            post_revisions::markdown.eq(markdown),
        ))
        .execute(conn)?;
    let oldest_kept: Option<i64> = post_revisions::table
        .filter(post_revisions::post_id.eq(post_id))
        .order(post_revisions::id.desc())
        .offset(KEPT - 1)
        .select(post_revisions::id)
        .first(conn)
        .optional()?;
    if let Some(oldest_kept) = oldest_kept {
        diesel::delete(
            post_revisions::table
                .filter(post_revisions::post_id.eq(post_id))
                .filter(post_revisions::id.lt(oldest_kept)),
        )
        .execute(conn)?;
    }
    Ok(())
}

/// Whether `title` and `markdown` are what the post's newest revision holds.
fn is_newest(conn: &mut DbConn, post_id: i64, title: &str, markdown: &str) -> QueryResult<bool> {
    let newest: Option<(String, String)> = post_revisions::table
        .filter(post_revisions::post_id.eq(post_id))
        .order(post_revisions::id.desc())
        .select((post_revisions::title, post_revisions::markdown))
        .first(conn)
        .optional()?;
    Ok(newest.is_some_and(|(t, m)| t == title && m == markdown))
}

/// A post's revisions, newest first.
pub fn of_post(conn: &mut DbConn, post_id: i64) -> QueryResult<Vec<Listed>> {
    let rows: Vec<(Revision, Option<String>)> = post_revisions::table
        .left_join(users::table)
        .filter(post_revisions::post_id.eq(post_id))
        .order(post_revisions::id.desc())
        .select((Revision::as_select(), users::display_name.nullable()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(revision, author_name)| Listed {
            revision,
            author_name,
        })
        .collect())
}

/// One revision of one post, with the name of whoever saved it.
pub fn find(conn: &mut DbConn, post_id: i64, id: i64) -> QueryResult<Option<Listed>> {
    let row: Option<(Revision, Option<String>)> = post_revisions::table
        .left_join(users::table)
        .filter(post_revisions::post_id.eq(post_id))
        .filter(post_revisions::id.eq(id))
        .select((Revision::as_select(), users::display_name.nullable()))
        .first(conn)
        .optional()?;
    Ok(row.map(|(revision, author_name)| Listed {
        revision,
        author_name,
    }))
}

/// A revision with its post's slug and its author's, for an export.
pub struct Exported {
    pub revision: Revision,
    pub post_slug: String,
    pub author_slug: Option<String>,
}

/// Revisions after `after` (by id), `limit` at a time, oldest first.
pub fn exported_after(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Vec<Exported>> {
    use crate::db::schema::posts;
    let rows: Vec<(Revision, String, Option<String>)> = post_revisions::table
        .inner_join(posts::table)
        .left_join(users::table)
        .filter(post_revisions::id.gt(after))
        .order(post_revisions::id)
        .limit(limit)
        .select((Revision::as_select(), posts::slug, users::slug.nullable()))
        .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|(revision, post_slug, author_slug)| Exported {
            revision,
            post_slug,
            author_slug,
        })
        .collect())
}

/// Brings in a revision from an export, unless the post already has it (the same moment,
/// title and text, or the same words as its newest), so importing twice keeps one.
pub fn save_imported(
    conn: &mut DbConn,
    post_id: i64,
    author_id: Option<i64>,
    title: &str,
    markdown: &str,
    created_at: NaiveDateTime,
) -> QueryResult<()> {
    let known: bool = diesel::select(diesel::dsl::exists(
        post_revisions::table
            .filter(post_revisions::post_id.eq(post_id))
            .filter(post_revisions::created_at.eq(created_at))
            .filter(post_revisions::title.eq(title))
            .filter(post_revisions::markdown.eq(markdown)),
    ))
    .get_result(conn)?;
    // Nor when it is what the post already says last (a site's own copy of it).
    if !known && !is_newest(conn, post_id, title, markdown)? {
        diesel::insert_into(post_revisions::table)
            .values((
                post_revisions::post_id.eq(post_id),
                post_revisions::author_id.eq(author_id),
                post_revisions::created_at.eq(created_at),
                post_revisions::title.eq(title),
                post_revisions::markdown.eq(markdown),
            ))
            .execute(conn)?;
    }
    Ok(())
}
