//! When the public site last changed, for `Last-Modified` and sitemap validators.

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, min};
use diesel::prelude::*;
use diesel::sql_types::{Nullable, Timestamp};

use crate::db::DbConn;
use crate::db::schema::{post_authors, post_tags, posts, redirects, tags, users};

/// The latest moment anything a reader can see changed: an edit to a post, tag, member of
/// staff or the settings, or a scheduled post going live. Members' accounts appear on no
/// public page, so their sign-ups and changes do not count. Every public page depends on some of these
/// (bylines, neighbours, navigation), so this one clock serves them all.
pub fn last_change(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<NaiveDateTime> {
    // One round trip; each branch is answered from an index.
    #[derive(QueryableByName)]
    struct Latest {
        #[diesel(sql_type = Nullable<Timestamp>)]
        at: Option<NaiveDateTime>,
    }
    let latest: Latest = diesel::sql_query(
        "SELECT MAX(at) AS at FROM ( \
           SELECT MAX(updated_at) AS at FROM posts \
           UNION ALL SELECT MAX(published_at) FROM posts WHERE published_at <= $1 \
           UNION ALL SELECT MAX(updated_at) FROM tags \
           UNION ALL SELECT MAX(updated_at) FROM users WHERE role <> 'member' \
           UNION ALL SELECT MAX(updated_at) FROM site_settings \
         ) AS changes",
    )
    .bind::<Timestamp, _>(now)
    .get_result(conn)?;
    Ok(latest.at.unwrap_or(now))
}

/// A summary of everything public pages are made from. Two equal fingerprints mean nothing
/// a reader sees has changed, whoever wrote to the database (counts catch deletions, which
/// leave no timestamp behind).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fingerprint {
    last_change: NaiveDateTime,
    rows: [i64; 6],
}

pub fn fingerprint(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Fingerprint> {
    Ok(Fingerprint {
        last_change: last_change(conn, now)?,
        rows: [
            posts::table.select(count_star()).first(conn)?,
            tags::table.select(count_star()).first(conn)?,
            users::table
                .filter(users::role.ne("member"))
                .select(count_star())
                .first(conn)?,
            post_tags::table.select(count_star()).first(conn)?,
            post_authors::table.select(count_star()).first(conn)?,
            redirects::table.select(count_star()).first(conn)?,
        ],
    })
}

/// When the next scheduled post goes live, if one is waiting.
pub fn next_scheduled(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<Option<NaiveDateTime>> {
    posts::table
        .filter(posts::status.ne("draft"))
        .filter(posts::deleted_at.is_null())
        .filter(posts::published_at.gt(now))
        .select(min(posts::published_at))
        .first(conn)
}
