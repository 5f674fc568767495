//! Posts and pages: creating them through the render pipeline, and the queries that decide
//! what a reader can see.
//!
//! A post is visible when it is not a draft, its `published_at` has passed and it is not in the
//! trash. A scheduled post therefore appears at its time with no job or restart.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl;
use diesel::prelude::*;

use crate::db::schema::{post_authors, post_tags, posts, tags, users};
use crate::db::{DbConn, MultiBackend, stored_as_text};
use crate::render::{self, TocEntry};

pub mod bulk;
pub mod editing;
pub mod events;
pub mod input;
pub mod snapshot;
pub mod working_copy;
pub mod write;

stored_as_text! {
    /// A dated post, or a page that stands outside the stream of posts.
    pub enum PostKind {
        Post => "post",
        Page => "page",
    }
}

stored_as_text! {
    /// Where a post stands. A scheduled or published post is visible once its time has come.
    pub enum PostStatus {
        Draft => "draft",
        Scheduled => "scheduled",
        Published => "published",
    }
}

/// A whole post row, for the post page.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct Post {
    pub id: i64,
    pub kind: PostKind,
    pub slug: String,
    pub title: String,
    pub custom_excerpt: Option<String>,
    pub excerpt: String,
    pub html: String,
    pub toc: String,
    pub reading_minutes: i32,
    pub word_count: i32,
    pub status: PostStatus,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub featured: bool,
    pub feature_image: Option<String>,
    pub feature_image_alt: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
    pub noindex: bool,
    /// Whether readers may comment (the site's rules permitting).
    pub comments_open: bool,
    /// Random and lasting, as Ghost front ends expect.
    pub uuid: Option<String>,
}

/// A new random UUID (version 4), for a new post.
pub fn new_uuid() -> String {
    let mut bytes = [0u8; 16];
    getrandom::fill(&mut bytes).expect("the operating system's random source");
    bytes[6] = (bytes[6] & 0x0f) | 0x40;
    bytes[8] = (bytes[8] & 0x3f) | 0x80;
    let hex = hex::encode(bytes);
    format!(
        "{}-{}-{}-{}-{}",
        &hex[0..8],
        &hex[8..12],
        &hex[12..16],
        &hex[16..20],
        &hex[20..32]
    )
}

impl Post {
    pub fn is_page(&self) -> bool {
        self.kind == PostKind::Page
    }

    pub fn summary(&self) -> &str {
        summary(&self.custom_excerpt, &self.excerpt)
    }

    pub fn table_of_contents(&self) -> Vec<TocEntry> {
        serde_json::from_str(&self.toc).unwrap_or_default()
    }
}

/// The columns a listing needs (no body), for home, tag and author pages.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct PostCard {
    pub id: i64,
    pub slug: String,
    pub title: String,
    pub custom_excerpt: Option<String>,
    pub excerpt: String,
    pub reading_minutes: i32,
    pub published_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    pub featured: bool,
    pub feature_image: Option<String>,
    pub feature_image_alt: Option<String>,
}

impl PostCard {
    pub fn summary(&self) -> &str {
        summary(&self.custom_excerpt, &self.excerpt)
    }
}

/// The excerpt to show: the author's own, else the automatic one.
fn summary<'a>(custom: &'a Option<String>, automatic: &'a str) -> &'a str {
    custom
        .as_deref()
        .filter(|s| !s.trim().is_empty())
        .unwrap_or(automatic)
}

/// Everything stored about a post, for exports.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct PostRecord {
    pub id: i64,
    pub kind: PostKind,
    pub slug: String,
    pub title: String,
    pub custom_excerpt: Option<String>,
    pub markdown: String,
    pub status: PostStatus,
    pub published_at: Option<NaiveDateTime>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub featured: bool,
    pub feature_image: Option<String>,
    pub feature_image_alt: Option<String>,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
    pub noindex: bool,
    pub deleted_at: Option<NaiveDateTime>,
    pub comments_open: bool,
}

/// A chunk of post records with each one's authors and tags.
pub struct Records {
    pub posts: Vec<PostRecord>,
    pub authors: HashMap<i64, Vec<AuthorLink>>,
    pub tags: HashMap<i64, Vec<TagLink>>,
}

/// Up to `limit` posts with ids above `after`, in id order, with their authors and tags.
pub fn records_after(conn: &mut DbConn, after: i64, limit: i64) -> QueryResult<Records> {
    let records: Vec<PostRecord> = posts::table
        .filter(posts::id.gt(after))
        .order(posts::id)
        .limit(limit)
        .select(PostRecord::as_select())
        .load(conn)?;
    let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
    Ok(Records {
        authors: authors_of(conn, &ids)?,
        tags: tags_of(conn, &ids)?,
        posts: records,
    })
}

/// The id of the post or page with `slug`, whatever its status (trash included).
pub fn by_slug_any(conn: &mut DbConn, slug: &str) -> QueryResult<Option<i64>> {
    posts::table
        .filter(posts::slug.eq(slug))
        .select(posts::id)
        .first(conn)
        .optional()
}

/// The id of the post or page with `slug`, unless it is in the trash.
pub fn by_slug_kept(conn: &mut DbConn, slug: &str) -> QueryResult<Option<i64>> {
    posts::table
        .filter(posts::slug.eq(slug))
        .filter(posts::deleted_at.is_null())
        .select(posts::id)
        .first(conn)
        .optional()
}

/// Whether posts with these slugs exist, for validating imports against the site.
pub fn existing_slugs(conn: &mut DbConn, slugs: &[String]) -> QueryResult<Vec<String>> {
    posts::table
        .filter(posts::slug.eq_any(slugs))
        .select(posts::slug)
        .load(conn)
}

/// A link to a neighbouring post.
#[derive(Debug, Clone, Queryable)]
pub struct PostLink {
    pub id: i64,
    pub slug: String,
    pub title: String,
}

/// An author as shown in a byline.
#[derive(Debug, Clone, Queryable)]
pub struct AuthorLink {
    pub id: i64,
    pub slug: String,
    pub display_name: String,
}

/// A tag as shown under a post.
#[derive(Debug, Clone, Queryable)]
pub struct TagLink {
    pub id: i64,
    pub slug: String,
    pub name: String,
}

/// One page of a listing, whether an older page follows, and each card's byline and tags.
#[derive(Debug, Clone)]
pub struct Listing {
    pub cards: Vec<PostCard>,
    pub has_more: bool,
    pub authors: HashMap<i64, Vec<AuthorLink>>,
    pub tags: HashMap<i64, Vec<TagLink>>,
    /// Likes and approved comments, by post (those with none are left out).
    pub likes: HashMap<i64, i64>,
    pub comments: HashMap<i64, i64>,
}

impl Listing {
    fn load(conn: &mut DbConn, cards: Vec<PostCard>, has_more: bool) -> QueryResult<Listing> {
        let ids: Vec<i64> = cards.iter().map(|c| c.id).collect();
        Ok(Listing {
            authors: authors_of(conn, &ids)?,
            tags: tags_of(conn, &ids)?,
            likes: crate::domain::likes::counts(conn, &ids)?,
            comments: crate::domain::comments::approved_counts(conn, &ids)?,
            cards,
            has_more,
        })
    }

    /// What a page showing this listing shows: the lists, and each card's counts.
    pub fn shows(&self) -> Vec<crate::domain::changes::Touched> {
        use crate::domain::changes::Touched;
        std::iter::once(Touched::Listings)
            .chain(self.cards.iter().map(|c| Touched::Conversation(c.id)))
            .collect()
    }
}

/// The largest Markdown body accepted, from the editor or an import.
pub const MAX_MARKDOWN_BYTES: usize = 2 * 1024 * 1024;

/// Every column of a post but its id, as written on create and on import.
#[derive(Insertable, AsChangeset)]
#[diesel(table_name = posts, treat_none_as_null = true)]
pub(super) struct PostRow<'a> {
    kind: PostKind,
    slug: &'a str,
    title: &'a str,
    custom_excerpt: Option<&'a str>,
    excerpt: &'a str,
    markdown: &'a str,
    html: &'a str,
    toc: String,
    reading_minutes: i32,
    word_count: i32,
    status: PostStatus,
    published_at: Option<NaiveDateTime>,
    created_at: NaiveDateTime,
    updated_at: NaiveDateTime,
    featured: bool,
    feature_image: Option<&'a str>,
    feature_image_alt: Option<&'a str>,
    meta_title: Option<&'a str>,
    meta_description: Option<&'a str>,
    canonical_url: Option<&'a str>,
    noindex: bool,
    deleted_at: Option<NaiveDateTime>,
    comments_open: bool,
}

/// When a post was written, last changed and (if it is in the trash) deleted.
#[derive(Debug, Clone, Copy)]
pub struct Timestamps {
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

impl Timestamps {
    pub fn at(now: NaiveDateTime) -> Timestamps {
        Timestamps {
            created_at: now,
            updated_at: now,
            deleted_at: None,
        }
    }
}

impl<'a> PostRow<'a> {
    /// The row for a prepared post with the status and dates its save decided.
    pub(super) fn new(
        prepared: &'a input::Prepared,
        html: &'a render::SafeHtml,
        status: PostStatus,
        published_at: Option<NaiveDateTime>,
        times: Timestamps,
        (feature_image, feature_image_alt): (Option<&'a str>, Option<&'a str>),
    ) -> PostRow<'a> {
        let rendered = &prepared.rendered;
        PostRow {
            kind: prepared.kind,
            slug: prepared.slug.as_str(),
            title: &prepared.title,
            custom_excerpt: prepared.custom_excerpt.as_deref(),
            excerpt: &rendered.excerpt,
            markdown: &prepared.markdown,
            html: html.as_str(),
            toc: serde_json::to_string(&rendered.toc).unwrap_or_else(|_| "[]".into()),
            reading_minutes: rendered.reading_minutes as i32,
            word_count: rendered.word_count.min(i32::MAX as usize) as i32,
            status,
            published_at,
            created_at: times.created_at,
            updated_at: times.updated_at,
            featured: prepared.featured,
            feature_image,
            feature_image_alt,
            meta_title: prepared.meta_title.as_deref(),
            meta_description: prepared.meta_description.as_deref(),
            canonical_url: prepared.canonical_url.as_deref(),
            noindex: prepared.noindex,
            deleted_at: times.deleted_at,
            comments_open: prepared.comments_open,
        }
    }
}

pub(super) fn slug_in_use(conn: &mut DbConn, slug: &str) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        posts::table.filter(posts::slug.eq(slug)),
    ))
    .get_result(conn)
}

// ---- Visible to readers: the one rule ----
//
// A post or page is visible to readers when it is published (not a draft, not in the trash)
// and its publication time has come. The rule is written once in each form a query needs:
// `published_posts` (diesel, with a date bound beside it), `published_sql` (raw SQL), and
// `write::is_visible` (Rust, for a post in hand). Scheduled posts are published posts whose
// time has not come.

pub type PublishedPosts =
    dsl::And<dsl::NotEq<posts::status, PostStatus>, dsl::IsNull<posts::deleted_at>>;

/// Published posts and pages of any kind, whatever their date: add
/// `published_at <= now` for visible ones, `> now` for scheduled ones.
pub fn published_posts() -> PublishedPosts {
    posts::status
        .ne(PostStatus::Draft)
        .and(posts::deleted_at.is_null())
}

/// `published_posts` for raw SQL, over the posts table named `table` (or its alias).
pub fn published_sql(table: &str) -> String {
    format!("{table}.status <> 'draft' AND {table}.deleted_at IS NULL")
}

/// Posts of `kind` that are published, whatever their date: `visible` adds "and their time
/// has come". Listings that take the date bound from elsewhere (an index on a link table, a
/// neighbour's own date) filter by this alone.
type Published = dsl::And<dsl::Eq<posts::kind, PostKind>, PublishedPosts>;

fn published(kind: PostKind) -> Published {
    posts::kind.eq(kind).and(published_posts())
}

/// Posts of `kind` a reader may see at `now`, as a query to refine further.
pub fn visible(kind: PostKind, now: NaiveDateTime) -> posts::BoxedQuery<'static, MultiBackend> {
    posts::table
        .filter(published(kind))
        .filter(posts::published_at.le(now))
        .into_boxed()
}

/// What a reader finds at a post's or page's slug.
#[derive(Debug)]
pub enum SlugLookup {
    Visible(Box<Post>),
    /// The content existed and was deleted: the URL answers 410.
    Deleted,
    Missing,
}

pub fn find_by_slug(conn: &mut DbConn, slug: &str, now: NaiveDateTime) -> QueryResult<SlugLookup> {
    let row: Option<(Post, Option<NaiveDateTime>)> = posts::table
        .filter(posts::slug.eq(slug))
        .select((Post::as_select(), posts::deleted_at))
        .first(conn)
        .optional()?;
    Ok(match row {
        None if super::gone::was_deleted(conn, &format!("/{slug}/"))? => SlugLookup::Deleted,
        None => SlugLookup::Missing,
        Some((_, Some(_))) => SlugLookup::Deleted,
        Some((post, None)) => {
            let live =
                post.status != PostStatus::Draft && post.published_at.is_some_and(|at| at <= now);
            if live {
                SlugLookup::Visible(Box::new(post))
            } else {
                SlugLookup::Missing
            }
        }
    })
}

/// Which posts a listing or feed draws from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope {
    /// Every post: the home page (featured first) and the site's feeds.
    Site,
    Tag(i64),
    Author(i64),
}

/// The visible posts linked to one tag or author through `$link` (`post_tags` or
/// `post_authors`), newest first. The order is read straight from the link table's
/// `(owner, published_at, post_id)` index, whose dates triggers copy from the posts, so a
/// page costs the same however many posts the tag has.
macro_rules! linked_newest {
    ($link:ident, $owner:ident, $owner_id:expr, $now:expr) => {
        $link::table
            .inner_join(posts::table.on(posts::id.eq($link::post_id)))
            .filter($link::$owner.eq($owner_id))
            .filter($link::published_at.le($now))
            .filter(published(PostKind::Post))
            .order(($link::published_at.desc(), $link::post_id.desc()))
    };
}

/// Page `page` of a listing with each card's byline and tags. The home page shows featured
/// posts first; archives are newest first.
pub fn list(
    conn: &mut DbConn,
    scope: Scope,
    now: NaiveDateTime,
    page: i64,
    per_page: i64,
) -> QueryResult<Listing> {
    // One card more than a page says whether an older page exists, without counting every
    // post (a count costs a scan of the whole index on a large site).
    let offset = (page - 1) * per_page;
    let limit = per_page + 1;
    let mut cards: Vec<PostCard> = match scope {
        Scope::Site => featured_first(conn, now, offset, limit)?,
        Scope::Tag(tag_id) => linked_newest!(post_tags, tag_id, tag_id, now)
            .limit(limit)
            .offset(offset)
            .select(PostCard::as_select())
            .load(conn)?,
        Scope::Author(user_id) => linked_newest!(post_authors, user_id, user_id, now)
            .limit(limit)
            .offset(offset)
            .select(PostCard::as_select())
            .load(conn)?,
    };
    let has_more = cards.len() as i64 > per_page;
    cards.truncate(per_page as usize);
    Listing::load(conn, cards, has_more)
}

fn newest(
    query: posts::BoxedQuery<'static, MultiBackend>,
    offset: i64,
    limit: i64,
    conn: &mut DbConn,
) -> QueryResult<Vec<PostCard>> {
    query
        .order((posts::published_at.desc(), posts::id.desc()))
        .limit(limit)
        .offset(offset)
        .select(PostCard::as_select())
        .load(conn)
}

/// The home page's order, featured posts first, read as two newest-first lists so each is
/// served in order by the `posts_featured_listing` index instead of sorting every post.
fn featured_first(
    conn: &mut DbConn,
    now: NaiveDateTime,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<PostCard>> {
    let featured = || visible(PostKind::Post, now).filter(posts::featured.eq(true));
    let featured_total: i64 = featured().count().get_result(conn)?;
    let mut cards = if offset < featured_total {
        newest(featured(), offset, limit, conn)?
    } else {
        Vec::new()
    };
    let wanted = limit - cards.len() as i64;
    if wanted > 0 {
        let rest = visible(PostKind::Post, now).filter(posts::featured.eq(false));
        let skip = (offset - featured_total).max(0);
        cards.extend(newest(rest, skip, wanted, conn)?);
    }
    Ok(cards)
}

/// One page of site search results, best first; also whether more follow.
pub fn search(
    conn: &mut DbConn,
    terms: &crate::db::search::Terms,
    now: NaiveDateTime,
    page: i64,
    per_page: i64,
) -> QueryResult<Listing> {
    let mut ids =
        crate::db::search::matching(conn, terms, now, (page - 1) * per_page, per_page + 1)?;
    let has_more = ids.len() as i64 > per_page;
    ids.truncate(per_page as usize);
    let mut cards: Vec<PostCard> = posts::table
        .filter(posts::id.eq_any(&ids))
        .select(PostCard::as_select())
        .load(conn)?;
    cards.sort_by_key(|card| ids.iter().position(|id| *id == card.id));
    Listing::load(conn, cards, has_more)
}

/// The newest posts in `scope` with their bodies, for feeds.
pub struct FeedItems {
    pub posts: Vec<Post>,
    pub authors: HashMap<i64, Vec<AuthorLink>>,
    pub tags: HashMap<i64, Vec<TagLink>>,
}

pub fn feed(
    conn: &mut DbConn,
    scope: Scope,
    now: NaiveDateTime,
    limit: i64,
) -> QueryResult<FeedItems> {
    let posts: Vec<Post> = match scope {
        Scope::Site => visible(PostKind::Post, now)
            .order((posts::published_at.desc(), posts::id.desc()))
            .limit(limit)
            .select(Post::as_select())
            .load(conn)?,
        Scope::Tag(tag_id) => linked_newest!(post_tags, tag_id, tag_id, now)
            .limit(limit)
            .select(Post::as_select())
            .load(conn)?,
        Scope::Author(user_id) => linked_newest!(post_authors, user_id, user_id, now)
            .limit(limit)
            .select(Post::as_select())
            .load(conn)?,
    };
    let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    Ok(FeedItems {
        authors: authors_of(conn, &ids)?,
        tags: tags_of(conn, &ids)?,
        posts,
    })
}

/// The most recent visible posts (for the 404 page and the like).
pub fn recent(conn: &mut DbConn, now: NaiveDateTime, limit: i64) -> QueryResult<Vec<PostLink>> {
    visible(PostKind::Post, now)
        .order((posts::published_at.desc(), posts::id.desc()))
        .limit(limit)
        .select((posts::id, posts::slug, posts::title))
        .load(conn)
}

/// The visible posts just older and just newer than `post`, by publication time.
pub fn neighbours(
    conn: &mut DbConn,
    post: &Post,
    now: NaiveDateTime,
) -> QueryResult<(Option<PostLink>, Option<PostLink>)> {
    match (post.kind, post.published_at) {
        (PostKind::Post, Some(at)) => neighbours_at(conn, post.id, at, now),
        _ => Ok((None, None)),
    }
}

/// The ids of the visible posts just older and just newer than post `id` (which links to
/// them, and they to it); none for a page.
pub fn neighbour_ids(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<Vec<i64>> {
    let stored: Option<(PostKind, Option<NaiveDateTime>)> = posts::table
        .find(id)
        .select((posts::kind, posts::published_at))
        .first(conn)
        .optional()?;
    let Some((PostKind::Post, Some(at))) = stored else {
        return Ok(Vec::new());
    };
    let (older, newer) = neighbours_at(conn, id, at, now)?;
    Ok(older.into_iter().chain(newer).map(|link| link.id).collect())
}

fn neighbours_at(
    conn: &mut DbConn,
    id: i64,
    at: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<(Option<PostLink>, Option<PostLink>)> {
    // Listings order posts by (published_at, id). "Older" is at most as old as the post and,
    // at the same moment, created before it; "newer" the mirror image. Each side is one short
    // range read of the `posts_listing` index starting at the post, on both backends.
    let listed = posts::table.filter(published(PostKind::Post));
    // The post is visible, so what is older is in the past: bounding it by `now` as well
    // would only offer the planner a looser range to start from.
    let older = listed
        .filter(posts::published_at.le(at))
        .filter(posts::published_at.lt(at).or(posts::id.lt(id)))
        .order((posts::published_at.desc(), posts::id.desc()))
        .select((posts::id, posts::slug, posts::title))
        .first(conn)
        .optional()?;
    let newer = listed
        .filter(posts::published_at.ge(at))
        .filter(posts::published_at.gt(at).or(posts::id.gt(id)))
        .filter(posts::published_at.le(now))
        .order((posts::published_at.asc(), posts::id.asc()))
        .select((posts::id, posts::slug, posts::title))
        .first(conn)
        .optional()?;
    Ok((older, newer))
}

/// One post's authors, primary first (a query the connection keeps prepared, unlike
/// `authors_of`'s list of ids).
pub fn authors_of_post(conn: &mut DbConn, post_id: i64) -> QueryResult<Vec<AuthorLink>> {
    post_authors::table
        .inner_join(users::table)
        .filter(post_authors::post_id.eq(post_id))
        .order(post_authors::sort_order)
        .select((users::id, users::slug, users::display_name))
        .load(conn)
}

/// One post's tags, primary first.
pub fn tags_of_post(conn: &mut DbConn, post_id: i64) -> QueryResult<Vec<TagLink>> {
    post_tags::table
        .inner_join(tags::table)
        .filter(post_tags::post_id.eq(post_id))
        .order(post_tags::sort_order)
        .select((tags::id, tags::slug, tags::name))
        .load(conn)
}

/// Authors of each post, primary first.
pub fn authors_of(
    conn: &mut DbConn,
    post_ids: &[i64],
) -> QueryResult<HashMap<i64, Vec<AuthorLink>>> {
    let rows: Vec<(i64, AuthorLink)> = post_authors::table
        .inner_join(users::table)
        .filter(post_authors::post_id.eq_any(post_ids))
        .order((post_authors::post_id, post_authors::sort_order))
        .select((
            post_authors::post_id,
            (users::id, users::slug, users::display_name),
        ))
        .load(conn)?;
    Ok(group_by_post(rows))
}

/// Tags of each post, primary first.
pub fn tags_of(conn: &mut DbConn, post_ids: &[i64]) -> QueryResult<HashMap<i64, Vec<TagLink>>> {
    let rows: Vec<(i64, TagLink)> = post_tags::table
        .inner_join(tags::table)
        .filter(post_tags::post_id.eq_any(post_ids))
        .order((post_tags::post_id, post_tags::sort_order))
        .select((post_tags::post_id, (tags::id, tags::slug, tags::name)))
        .load(conn)?;
    Ok(group_by_post(rows))
}

/// Gathers `(post id, item)` rows into each post's list, keeping their order.
fn group_by_post<T>(rows: Vec<(i64, T)>) -> HashMap<i64, Vec<T>> {
    let mut by_post: HashMap<i64, Vec<T>> = HashMap::new();
    for (post_id, item) in rows {
        by_post.entry(post_id).or_default().push(item);
    }
    by_post
}

/// A post by id, whatever its status.
/// The slug of a post or page readers can see now; `None` for drafts, scheduled posts not
/// yet live, the trash, and ids that name nothing.
pub fn live_slug(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<Option<String>> {
    posts::table
        .find(id)
        .filter(published_posts())
        .filter(posts::published_at.le(now))
        .select(posts::slug)
        .first(conn)
        .optional()
}

pub fn by_id(conn: &mut DbConn, id: i64) -> QueryResult<Post> {
    posts::table.find(id).select(Post::as_select()).first(conn)
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    posts::table.count().get_result(conn)
}

/// How many posts and pages (trashed ones included) name this user as an author.
pub fn count_by_author(conn: &mut DbConn, user_id: i64) -> QueryResult<i64> {
    post_authors::table
        .filter(post_authors::user_id.eq(user_id))
        .count()
        .get_result(conn)
}

/// Posts (not pages, not trashed) by status, for the admin dashboard: published, scheduled,
/// drafts. A scheduled post whose time has come counts as published.
pub fn status_counts(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<(i64, i64, i64)> {
    let live = posts::table
        .filter(published(PostKind::Post))
        .filter(posts::published_at.le(now))
        .count()
        .get_result(conn)?;
    let scheduled = posts::table
        .filter(published(PostKind::Post))
        .filter(posts::published_at.gt(now))
        .count()
        .get_result(conn)?;
    let drafts = posts::table
        .filter(posts::kind.eq(PostKind::Post))
        .filter(posts::deleted_at.is_null())
        .filter(posts::status.eq(PostStatus::Draft))
        .count()
        .get_result(conn)?;
    Ok((live, scheduled, drafts))
}
