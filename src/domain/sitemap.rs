//! What the sitemaps list: indexable public content, read in chunks by id so memory stays
//! flat however large the site is.

use chrono::NaiveDateTime;
use diesel::dsl::{count_star, max};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Nullable, Text, Timestamp};

use crate::db::schema::posts;
use crate::db::{DbConn, MultiBackend};
use crate::domain::posts::{PostKind, published_posts, published_sql};

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
        .filter(published_posts())
        .filter(posts::published_at.le(now))
        .filter(posts::noindex.eq(false))
        .filter(
            posts::canonical_url
                .is_null()
                .or(posts::canonical_url.eq("")),
        )
        .into_boxed()
}

fn of_kind(kind: PostKind, now: NaiveDateTime) -> posts::BoxedQuery<'static, MultiBackend> {
    indexable(now).filter(posts::kind.eq(kind))
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
    first_page: i64,
) -> QueryResult<(i64, Option<NaiveDateTime>)> {
    if let Some(kind) = kind_of(section) {
        return of_kind(kind, now)
            .select((count_star(), max(posts::updated_at)))
            .first(conn);
    }
    // Tags and authors: one URL per owner of at least one indexable post.
    let entries = chunk(conn, section, now, first_page, 0, i64::MAX)?;
    let lastmod = entries.iter().filter_map(|e| e.lastmod).max();
    Ok((entries.len() as i64, lastmod))
}

/// The id just before the `offset`-th entry of a section, where a numbered sitemap starts.
pub fn start_after(
    conn: &mut DbConn,
    section: Section,
    now: NaiveDateTime,
    first_page: i64,
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
        None => Ok(chunk(conn, section, now, first_page, 0, offset)?
            .last()
            .map(|e| e.id)),
    }
}

/// Up to `limit` entries with ids above `after`, in id order. `first_page` is how many posts
/// a tag's or author's page shows: their newest change dates the page.
pub fn chunk(
    conn: &mut DbConn,
    section: Section,
    now: NaiveDateTime,
    first_page: i64,
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
        Section::Tags => owners(conn, Owners::Tags, now, first_page, after, limit),
        Section::Authors => owners(conn, Owners::Authors, now, first_page, after, limit),
    }
}

/// Tags or authors, the owners of listing pages.
#[derive(Clone, Copy)]
enum Owners {
    Tags,
    Authors,
}

impl Owners {
    /// `(owner table, link table, the link's owner column, path prefix)`; fixed strings only.
    fn tables(self) -> (&'static str, &'static str, &'static str, &'static str) {
        match self {
            Owners::Tags => ("tags", "post_tags", "tag_id", "/tag/"),
            Owners::Authors => ("users", "post_authors", "user_id", "/author/"),
        }
    }
}

/// The owners with a page, that is with at least one visible post, each dated by its own
/// last edit or the newest change among the posts its first page shows, whichever is later.
/// Each owner costs one short read of the link table's `(owner, published_at, post_id)`
/// index, however many posts it has.
fn owners(
    conn: &mut DbConn,
    owners: Owners,
    now: NaiveDateTime,
    first_page: i64,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<Entry>> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = BigInt)]
        id: i64,
        #[diesel(sql_type = Text)]
        slug: String,
        #[diesel(sql_type = Timestamp)]
        updated_at: NaiveDateTime,
        #[diesel(sql_type = Nullable<Timestamp>)]
        shown_changed: Option<NaiveDateTime>,
    }
    let (owner, link, owner_id, prefix) = owners.tables();
    let published = published_sql("posts");
    let rows: Vec<Row> = diesel::sql_query(format!(
        "SELECT id, slug, updated_at, shown_changed FROM ( \
           SELECT o.id, o.slug, o.updated_at, ( \
             SELECT MAX(shown.updated_at) FROM ( \
               SELECT posts.updated_at FROM {link} AS l \
               JOIN posts ON posts.id = l.post_id \
               WHERE l.{owner_id} = o.id AND l.published_at <= $1 \
                 AND posts.kind = 'post' AND {published} \
               ORDER BY l.published_at DESC, l.post_id DESC LIMIT $2 \
             ) AS shown \
           ) AS shown_changed \
           FROM {owner} AS o WHERE o.id > $3 \
         ) AS listed \
         WHERE shown_changed IS NOT NULL ORDER BY id LIMIT $4"
    ))
    .bind::<Timestamp, _>(now)
    .bind::<BigInt, _>(first_page)
    .bind::<BigInt, _>(after)
    .bind::<BigInt, _>(limit)
    .load(conn)?;
    Ok(rows
        .into_iter()
        .map(|row| Entry {
            id: row.id,
            path: format!("{prefix}{}/", row.slug),
            lastmod: row.shown_changed.max(Some(row.updated_at)),
            image: None,
        })
        .collect())
}
