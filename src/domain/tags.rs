//! Tags: named groups of posts with their own page.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::tags;
use crate::db::{DbConn, write_transaction};
use crate::render::Slug;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub updated_at: NaiveDateTime,
}

pub fn create(
    conn: &mut DbConn,
    slug: &Slug,
    name: &str,
    description: &str,
    now: NaiveDateTime,
) -> QueryResult<Tag> {
    write_transaction(conn, |conn| {
        insert(conn, slug, name, description, now)?;
        tags::table
            .filter(tags::slug.eq(slug.as_str()))
            .select(Tag::as_select())
            .first(conn)
    })
}

fn insert(
    conn: &mut DbConn,
    slug: &Slug,
    name: &str,
    description: &str,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(tags::table)
        .values((
            tags::slug.eq(slug.as_str()),
            tags::name.eq(name.trim()),
            tags::description.eq(description.trim()),
            tags::created_at.eq(now),
            tags::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<Tag>> {
    tags::table
        .filter(tags::slug.eq(slug))
        .select(Tag::as_select())
        .first(conn)
        .optional()
}

pub fn all(conn: &mut DbConn) -> QueryResult<Vec<Tag>> {
    tags::table
        .order(tags::id)
        .select(Tag::as_select())
        .load(conn)
}

/// Stores an imported tag: updates the one with the same slug, else creates it. Returns its
/// id. Call inside the import's write transaction.
pub fn save_imported(
    conn: &mut DbConn,
    slug: &Slug,
    name: &str,
    description: &str,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let updated = diesel::update(tags::table.filter(tags::slug.eq(slug.as_str())))
        .set((
            tags::name.eq(name.trim()),
            tags::description.eq(description.trim()),
            tags::updated_at.eq(now),
        ))
        .execute(conn)?;
    if updated == 0 {
        insert(conn, slug, name, description, now)?;
    }
    tags::table
        .filter(tags::slug.eq(slug.as_str()))
        .select(tags::id)
        .first(conn)
}
