//! Addresses of content deleted for good: they answer 410 Gone, so search engines drop them
//! sooner than they would a 404, until new content takes the address.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::DbConn;
use crate::db::schema::gone_paths;

/// Records that the content at `path` was deleted. Call inside the deletion's transaction.
pub fn mark(conn: &mut DbConn, path: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(gone_paths::table.filter(gone_paths::path.eq(path))).execute(conn)?;
    diesel::insert_into(gone_paths::table)
        .values((gone_paths::path.eq(path), gone_paths::deleted_at.eq(now)))
        .execute(conn)
        .map(drop)
}

/// Whether content at `path` was deleted for good.
pub fn was_deleted(conn: &mut DbConn, path: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        gone_paths::table.filter(gone_paths::path.eq(path)),
    ))
    .get_result(conn)
}

/// Every address deleted for good, with when (for an export).
pub fn all(conn: &mut DbConn) -> QueryResult<Vec<(String, NaiveDateTime)>> {
    gone_paths::table
        .order(gone_paths::path)
        .select((gone_paths::path, gone_paths::deleted_at))
        .load(conn)
}
