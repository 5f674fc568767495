//! Tags: named groups of posts with their own page. Managing them (create, edit, delete,
//! merge) is for editors and above; each is one use case with its audit entry.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::permissions::Permission;
use crate::db::DbConn;
use crate::db::schema::{post_tags, posts, tags};
use crate::domain::audit::Object;
use crate::domain::changes::Touched;
use crate::domain::input::FieldErrors;
use crate::domain::posts::PostStatus;
use crate::domain::webhooks::{self, Event};
use crate::domain::write::{self, Actor, Tx, WriteError};
use crate::domain::{gone, redirects};
use crate::render::{self, Slug};

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = tags)]
pub struct Tag {
    pub id: i64,
    pub slug: String,
    pub name: String,
    pub description: String,
    pub updated_at: NaiveDateTime,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
}

impl Tag {
    /// The tag as webhooks carry it.
    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "id": self.id,
            "name": self.name,
            "slug": self.slug,
            "description": self.description,
            "meta_title": self.meta_title,
            "meta_description": self.meta_description,
            "url": self.path(),
            "updated_at": crate::clock::moment(self.updated_at),
        })
    }

    pub fn path(&self) -> String {
        format!("/tag/{}/", self.slug)
    }
}

/// A tag as the admin's form sets it, checked.
#[derive(Debug, Clone)]
pub struct TagFields {
    pub slug: Slug,
    pub name: String,
    pub description: String,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
}

pub const MAX_NAME: usize = 100;
pub const MAX_DESCRIPTION: usize = 500;

/// A tag as typed in the admin or read from a file.
#[derive(Debug, Clone, Default)]
pub struct TagInput {
    pub name: String,
    /// Empty: made from the name.
    pub slug: String,
    pub description: String,
    pub meta_title: String,
    pub meta_description: String,
}

/// The one parser for a tag, whoever sends it.
pub fn parse(input: &TagInput) -> Result<TagFields, FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = errors.text("name", "The name", &input.name, MAX_NAME);
    if name.is_empty() && errors.get("name").is_none() {
        errors.add("name", "Give the tag a name.");
    }
    let slug_source = match input.slug.trim() {
        "" => render::slugify(&name),
        typed => typed.to_string(),
    };
    let slug = errors.check("slug", Slug::parse(&slug_source));
    let description = errors.paragraphs(
        "description",
        "The description",
        &input.description,
        MAX_DESCRIPTION,
    );
    let (meta_title, meta_description) =
        errors.search_engine_fields(&input.meta_title, &input.meta_description);
    match slug {
        Some(slug) if errors.is_empty() => Ok(TagFields {
            slug,
            name,
            description,
            meta_title,
            meta_description,
        }),
        _ => Err(errors),
    }
}

fn slug_taken(slug: &Slug) -> WriteError {
    WriteError::invalid(
        "slug",
        format!("The slug “{slug}” is already used by another tag."),
    )
}

/// A line of the admin's list: the tag and how many posts and pages carry it, and how many
/// of those readers can see.
pub struct Counted {
    pub tag: Tag,
    pub posts: i64,
    pub published: i64,
}

pub fn by_id(conn: &mut DbConn, id: i64) -> QueryResult<Option<Tag>> {
    tags::table
        .find(id)
        .select(Tag::as_select())
        .first(conn)
        .optional()
}

/// The orders the tag list offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TagOrder {
    Name,
    /// Most posts first.
    Posts,
}

/// A page of tags whose name contains `text` (all when empty), with their post counts, and
/// how many match in all.
pub fn counted(
    conn: &mut DbConn,
    (text, order): (&str, TagOrder),
    page: i64,
    per_page: i64,
    now: NaiveDateTime,
) -> QueryResult<(Vec<Counted>, i64)> {
    let matching = || {
        let mut query = tags::table.into_boxed();
        if !text.trim().is_empty() {
            query = query.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("lower(name) LIKE ")
                    .bind::<diesel::sql_types::Text, _>(crate::db::like_pattern(text.trim()))
                    .sql(" ESCAPE '\\'"),
            );
        }
        query
    };
    let total: i64 = matching().count().get_result(conn)?;
    let query = match order {
        TagOrder::Name => matching().order((tags::name, tags::id)),
        TagOrder::Posts => matching().order((
            diesel::dsl::sql::<diesel::sql_types::BigInt>(
                "(SELECT COUNT(*) FROM post_tags WHERE post_tags.tag_id = tags.id)",
            )
            .desc(),
            tags::name,
            tags::id,
        )),
    };
    let page_tags: Vec<Tag> = query
        .limit(per_page)
        .offset((page - 1) * per_page)
        .select(Tag::as_select())
        .load(conn)?;
    let ids: Vec<i64> = page_tags.iter().map(|t| t.id).collect();
    let links: Vec<(
        i64,
        PostStatus,
        Option<NaiveDateTime>,
        Option<NaiveDateTime>,
    )> = post_tags::table
        .inner_join(posts::table)
        .filter(post_tags::tag_id.eq_any(&ids))
        .select((
            post_tags::tag_id,
            posts::status,
            posts::published_at,
            posts::deleted_at,
        ))
        .load(conn)?;
    let mut counts: HashMap<i64, (i64, i64)> = HashMap::new();
    for (tag_id, status, published_at, deleted_at) in links {
        let count = counts.entry(tag_id).or_default();
        count.0 += 1;
        let live = crate::domain::posts::write::is_visible(status, published_at, deleted_at, now);
        count.1 += i64::from(live);
    }
    Ok((
        page_tags
            .into_iter()
            .map(|tag| {
                let (posts, published) = counts.get(&tag.id).copied().unwrap_or_default();
                Counted {
                    tag,
                    posts,
                    published,
                }
            })
            .collect(),
        total,
    ))
}

fn slug_in_use(conn: &mut DbConn, slug: &Slug, other_than: Option<i64>) -> QueryResult<bool> {
    Ok(by_slug(conn, slug.as_str())?.is_some_and(|t| Some(t.id) != other_than))
}

fn save_fields(
    conn: &mut DbConn,
    id: i64,
    fields: &TagFields,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(tags::table.find(id))
        .set((
            tags::slug.eq(fields.slug.as_str()),
            tags::name.eq(fields.name.trim()),
            tags::description.eq(fields.description.trim()),
            tags::meta_title.eq(&fields.meta_title),
            tags::meta_description.eq(&fields.meta_description),
            tags::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Creates a tag from the admin.
pub fn add(
    conn: &mut DbConn,
    actor: &Actor,
    fields: &TagFields,
    now: NaiveDateTime,
) -> Result<Tag, WriteError> {
    actor.require(Permission::ManageTags, "manage tags")?;
    write::transaction(conn, actor, now, |tx| {
        if slug_in_use(tx.conn, &fields.slug, None)? {
            return Err(slug_taken(&fields.slug));
        }
        let tag = create(
            tx.conn,
            &fields.slug,
            &fields.name,
            &fields.description,
            now,
        )?;
        save_fields(tx.conn, tag.id, fields, now)?;
        tx.audit("created", (Object::Tag, Some(tag.id)), &tag.name)?;
        tx.touch(Touched::Tag(tag.id));
        let tag = by_id(tx.conn, tag.id)?.unwrap_or(tag);
        told(tx, Event::TagAdded, Some(&tag), None)?;
        Ok(tag)
    })
}

/// Saves a tag's fields. A new slug moves its page: the old address answers 301.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    fields: &TagFields,
    now: NaiveDateTime,
) -> Result<Tag, WriteError> {
    actor.require(Permission::ManageTags, "manage tags")?;
    write::transaction(conn, actor, now, |tx| {
        let current = by_id(tx.conn, id)?.ok_or(WriteError::NotFound)?;
        if slug_in_use(tx.conn, &fields.slug, Some(id))? {
            return Err(slug_taken(&fields.slug));
        }
        save_fields(tx.conn, id, fields, now)?;
        let updated = by_id(tx.conn, id)?.ok_or(WriteError::NotFound)?;
        if current.slug != updated.slug {
            redirects::follow_move(tx.conn, &current.path(), &updated.path(), now)?;
        }
        tx.audit("updated", (Object::Tag, Some(id)), &updated.name)?;
        // Its name is on its posts' pages and cards.
        tx.touch(Touched::Tag(id));
        tx.touch(Touched::Listings);
        told(tx, Event::TagChanged, Some(&updated), Some(&current))?;
        Ok(updated)
    })
}

/// Deletes a tag; the posts lose the link, and its page answers 410.
pub fn delete(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<Tag, WriteError> {
    actor.require(Permission::ManageTags, "manage tags")?;
    write::transaction(conn, actor, now, |tx| {
        let tag = by_id(tx.conn, id)?.ok_or(WriteError::NotFound)?;
        diesel::delete(post_tags::table.filter(post_tags::tag_id.eq(id))).execute(tx.conn)?;
        diesel::delete(tags::table.find(id)).execute(tx.conn)?;
        gone::mark(tx.conn, &tag.path(), now)?;
        tx.audit("deleted", (Object::Tag, Some(id)), &tag.name)?;
        tx.touch(Touched::Tag(id));
        tx.touch(Touched::Listings);
        told(tx, Event::TagDeleted, None, Some(&tag))?;
        Ok(tag)
    })
}

/// Tells the webhooks listening that a tag changed.
pub fn told(
    tx: &mut Tx<'_>,
    event: Event,
    current: Option<&Tag>,
    previous: Option<&Tag>,
) -> Result<(), WriteError> {
    if !webhooks::listening(tx.conn, &[event])? {
        return Ok(());
    }
    let (current, previous) = (current.map(Tag::snapshot), previous.map(Tag::snapshot));
    webhooks::emit_change(tx, event, "tag", current, previous)
}

/// Merges tag `from` into `into`: every post tagged `from` is tagged `into` (keeping its
/// place in the post's order), `from` is deleted, and its page answers 301 to `into`'s.
pub fn merge(
    conn: &mut DbConn,
    actor: &Actor,
    from: i64,
    into: i64,
    now: NaiveDateTime,
) -> Result<(Tag, Tag), WriteError> {
    actor.require(Permission::ManageTags, "manage tags")?;
    if from == into {
        return Err(WriteError::invalid(
            "into",
            "A tag cannot be merged into itself.",
        ));
    }
    write::transaction(conn, actor, now, |tx| {
        let conn = &mut *tx.conn;
        let source = by_id(conn, from)?.ok_or(WriteError::NotFound)?;
        let target = by_id(conn, into)?.ok_or_else(|| {
            WriteError::invalid("into", "The tag to merge into no longer exists.")
        })?;
        let already: Vec<i64> = post_tags::table
            .filter(post_tags::tag_id.eq(into))
            .select(post_tags::post_id)
            .load(conn)?;
        diesel::delete(
            post_tags::table
                .filter(post_tags::tag_id.eq(from))
                .filter(post_tags::post_id.eq_any(&already)),
        )
        .execute(conn)?;
        diesel::update(post_tags::table.filter(post_tags::tag_id.eq(from)))
            .set(post_tags::tag_id.eq(into))
            .execute(conn)?;
        diesel::delete(tags::table.find(from)).execute(conn)?;
        diesel::update(tags::table.find(into))
            .set(tags::updated_at.eq(now))
            .execute(conn)?;
        redirects::follow_move(conn, &source.path(), &target.path(), now)?;
        let summary = format!("{} into {}", source.name, target.name);
        tx.audit("merged", (Object::Tag, Some(into)), &summary)?;
        for id in [from, into] {
            tx.touch(Touched::Tag(id));
        }
        tx.touch(Touched::Listings);
        told(tx, Event::TagDeleted, None, Some(&source))?;
        Ok((source, target))
    })
}

/// Every tag's id and name, by name, for choosing one.
pub fn names(conn: &mut DbConn) -> QueryResult<Vec<(i64, String)>> {
    tags::table
        .order((tags::name, tags::id))
        .select((tags::id, tags::name))
        .load(conn)
}

/// Stores a new tag; call inside a use case's transaction (`add`, a post naming a new tag).
pub(crate) fn create(
    conn: &mut DbConn,
    slug: &Slug,
    name: &str,
    description: &str,
    now: NaiveDateTime,
) -> QueryResult<Tag> {
    insert(conn, slug, name, description, now)?;
    tags::table
        .filter(tags::slug.eq(slug.as_str()))
        .select(Tag::as_select())
        .first(conn)
}

/// The tag with `slug`, made now unless another writer made it first, and whether this
/// call made it. Two saves naming the same new tag at once (on PostgreSQL, where writers do
/// not queue) would otherwise collide on the unique slug and fail: the insert runs in a
/// savepoint, and on that collision the other writer's tag is used.
pub(crate) fn find_or_create(
    conn: &mut DbConn,
    slug: &Slug,
    name: &str,
    now: NaiveDateTime,
) -> QueryResult<(Tag, bool)> {
    if let Some(tag) = by_slug(conn, slug.as_str())? {
        return Ok((tag, false));
    }
    let made = match conn.transaction(|conn| insert(conn, slug, name, "", now)) {
        Ok(_) => true,
        Err(diesel::result::Error::DatabaseError(
            diesel::result::DatabaseErrorKind::UniqueViolation,
            _,
        )) => false,
        Err(other) => return Err(other),
    };
    let tag = by_slug(conn, slug.as_str())?.ok_or(diesel::result::Error::NotFound)?;
    Ok((tag, made))
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
/// id. Call inside the import's write transaction (which records the change).
pub fn save_imported(
    conn: &mut DbConn,
    fields: &TagFields,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let id = match by_slug(conn, fields.slug.as_str())? {
        Some(tag) => tag.id,
        None => create(conn, &fields.slug, &fields.name, &fields.description, now)?.id,
    };
    save_fields(conn, id, fields, now)?;
    Ok(id)
}
