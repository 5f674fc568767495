//! Redirects kept in the database: old URLs pointing at new ones.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::redirects;
use crate::db::{DbConn, write_transaction};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = redirects)]
pub struct Redirect {
    pub id: i64,
    pub from_path: String,
    pub to_path: String,
    pub code: i32,
}

pub fn find(conn: &mut DbConn, path: &str) -> QueryResult<Option<Redirect>> {
    redirects::table
        .filter(redirects::from_path.eq(path))
        .select(Redirect::as_select())
        .first(conn)
        .optional()
}

pub fn create(
    conn: &mut DbConn,
    from_path: &str,
    to_path: &str,
    code: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    write_transaction(conn, |conn| insert(conn, from_path, to_path, code, now))
}

fn insert(
    conn: &mut DbConn,
    from_path: &str,
    to_path: &str,
    code: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(redirects::table)
        .values((
            redirects::from_path.eq(from_path),
            redirects::to_path.eq(to_path),
            redirects::code.eq(code),
            redirects::created_at.eq(now),
        ))
        .execute(conn)
}

pub fn all(conn: &mut DbConn) -> QueryResult<Vec<Redirect>> {
    redirects::table
        .order(redirects::id)
        .select(Redirect::as_select())
        .load(conn)
}

/// Stores an imported redirect, replacing any from the same path. Call inside the import's
/// write transaction.
pub fn save_imported(
    conn: &mut DbConn,
    from_path: &str,
    to_path: &str,
    code: i32,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(redirects::table.filter(redirects::from_path.eq(from_path))).execute(conn)?;
    insert(conn, from_path, to_path, code, now)?;
    Ok(())
}
