//! What the sitemaps list: indexable public content, read in chunks by id so memory stays
//! flat however large the site is.

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, max};
use diesel::prelude::*;

use crate::db::schema::{post_authors, post_tags, posts, tags, users};
use crate::db::{DbConn, MultiBackend};
use crate::domain::posts::{PostKind, PostStatus};

/// One URL of a sitemap.
#[derive(Debug, Clone)]
pub struct Entry {
    /// Position for keyset paging.
    pub id: i64,
    /// The site path, e.g. `/my-post/`.
    pub path: String,
    pub lastmod: Option<NaiveDateTime>,
    pub image: Option<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Section {
    Posts,
    Pages,
    Tags,
    Authors,
}

impl Section {
    pub const ALL: [Section; 4] = [
        Section::Posts,
        Section::Pages,
        Section::Tags,
        Section::Authors,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Section::Posts => "posts",
            Section::Pages => "pages",
            Section::Tags => "tags",
            Section::Authors => "authors",
        }
    }

    pub fn parse(name: &str) -> Option<Section> {
        Section::ALL.into_iter().find(|s| s.name() == name)
    }
}

/// Posts that belong in search results: visible, not noindex, and not canonical elsewhere.
fn indexable(now: NaiveDateTime) -> posts::BoxedQuery<'static, MultiBackend> {
    posts::table
        .filter(posts::status.ne(PostStatus::Draft.as_str()))
        .filter(posts::published_at.le(now))
        .filter(posts::deleted_at.is_null())
        .filter(posts::noindex.eq(false))
        .filter(
            posts::canonical_url
                .is_null()
                .or(posts::canonical_url.eq("")),
        )
        .into_boxed()
}

fn of_kind(kind: PostKind, now: NaiveDateTime) -> posts::BoxedQuery<'static, MultiBackend> {
    indexable(now).filter(posts::kind.eq(kind.as_str()))
}

fn kind_of(section: Section) -> Option<PostKind> {
    match section {
        Section::Posts => Some(PostKind::Post),
        Section::Pages => Some(PostKind::Page),
        Section::Tags | Section::Authors => None,
    }
}

/// How many URLs a section has, and when the newest of them changed.
pub fn summary(
    conn: &mut DbConn,
    section: Section,
    now: NaiveDateTime,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    if let Some(kind) = kind_of(section) {
        return of_kind(kind, now)
            .select((count_star(), max(posts::updated_at)))
            .first(conn);
    }
    // Tags and authors: one URL per owner of at least one indexable post.
    let entries = chunk(conn, section, now, 0, i64::MAX)?;
    let lastmod = entries.iter().filter_map(|e| e.lastmod).max();
    Ok((entries.len() as i64, lastmod))
}

/// The id just before the `offset`-th entry of a section, where a numbered sitemap starts.
pub fn start_after(
    conn: &mut DbConn,
    section: Section,
    now: NaiveDateTime,
    offset: i64,
) -> QueryResult<Option<i64>> {
    if offset == 0 {
        return Ok(Some(0));
    }
    match kind_of(section) {
        Some(kind) => of_kind(kind, now)
            .order(posts::id)
            .offset(offset - 1)
            .select(posts::id)
            .first(conn)
            .optional(),
        None => Ok(chunk(conn, section, now, 0, offset)?.last().map(|e| e.id)),
    }
}

/// Up to `limit` entries with ids above `after`, in id order.
pub fn chunk(
    conn: &mut DbConn,
    section: Section,
    now: NaiveDateTime,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    match section {
        Section::Posts | Section::Pages => {
            let kind = kind_of(section).expect("a post section");
            let rows: Vec<(i64, String, NaiveDateTime, Option<String>)> = of_kind(kind, now)
                .filter(posts::id.gt(after))
                .order(posts::id)
                .limit(limit)
                .select((
                    posts::id,
                    posts::slug,
                    posts::updated_at,
                    posts::feature_image,
                ))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(id, slug, updated, image)| Entry {
                    id,
                    path: format!("/{slug}/"),
                    lastmod: Some(updated),
                    image: image.filter(|i| !i.is_empty()),
                })
                .collect())
        }
        Section::Tags => {
            // A tag is listed when its page exists: it has at least one visible post.
            let rows: Vec<(i64, String, NaiveDateTime, Option<NaiveDateTime>)> = tags::table
                .inner_join(post_tags::table.on(post_tags::tag_id.eq(tags::id)))
                .inner_join(posts::table.on(posts::id.eq(post_tags::post_id)))
                .filter(posts::kind.eq(PostKind::Post.as_str()))
                .filter(posts::status.ne(PostStatus::Draft.as_str()))
                .filter(posts::published_at.le(now))
                .filter(posts::deleted_at.is_null())
                .filter(tags::id.gt(after))
                .group_by((tags::id, tags::slug, tags::updated_at))
                .order(tags::id)
                .limit(limit)
                .select((
                    tags::id,
                    tags::slug,
                    tags::updated_at,
                    max(posts::updated_at),
                ))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(id, slug, own, posts)| Entry {
                    id,
                    path: format!("/tag/{slug}/"),
                    lastmod: posts.max(Some(own)),
                    image: None,
                })
                .collect())
        }
        Section::Authors => {
            // Likewise an author with at least one visible post.
            let rows: Vec<(i64, String, NaiveDateTime, Option<NaiveDateTime>)> = users::table
                .inner_join(post_authors::table.on(post_authors::user_id.eq(users::id)))
                .inner_join(posts::table.on(posts::id.eq(post_authors::post_id)))
                .filter(posts::kind.eq(PostKind::Post.as_str()))
                .filter(posts::status.ne(PostStatus::Draft.as_str()))
                .filter(posts::published_at.le(now))
                .filter(posts::deleted_at.is_null())
                .filter(users::id.gt(after))
                .group_by((users::id, users::slug, users::updated_at))
                .order(users::id)
                .limit(limit)
                .select((
                    users::id,
                    users::slug,
                    users::updated_at,
                    max(posts::updated_at),
                ))
                .load(conn)?;
            Ok(rows
                .into_iter()
                .map(|(id, slug, own, posts)| Entry {
                    id,
                    path: format!("/author/{slug}/"),
                    lastmod: posts.max(Some(own)),
                    image: None,
                })
                .collect())
        }
    }
}
