//! Posts and pages as staff see them: the admin's list, and one post as the editor opens it.
//! Saving is `posts::write`'s.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use super::input::{Cover, Intent, PostInput};
use super::{PostKind, PostStatus};
use crate::db::schema::{post_authors, post_tags, posts, tags};
use crate::db::{DbConn, MultiBackend};

/// Which posts the admin's list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shelf {
    All,
    Drafts,
    Scheduled,
    Published,
    Trash,
}

impl Shelf {
    pub const ALL: [Shelf; 5] = [
        Shelf::All,
        Shelf::Drafts,
        Shelf::Scheduled,
        Shelf::Published,
        Shelf::Trash,
    ];

    pub fn parse(raw: &str) -> Shelf {
        Shelf::ALL
            .into_iter()
            .find(|shelf| shelf.as_str() == raw)
            .unwrap_or(Shelf::All)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Shelf::All => "all",
            Shelf::Drafts => "drafts",
            Shelf::Scheduled => "scheduled",
            Shelf::Published => "published",
            Shelf::Trash => "trash",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Shelf::All => "All",
            Shelf::Drafts => "Drafts",
            Shelf::Scheduled => "Scheduled",
            Shelf::Published => "Published",
            Shelf::Trash => "Trash",
        }
    }
}

/// A line of the admin's list.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct Entry {
    pub id: i64,
    pub kind: PostKind,
    pub slug: String,
    pub title: String,
    pub status: PostStatus,
    pub published_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
    pub version: i32,
}

/// The order of the admin's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Most recently changed first (the default).
    Changed,
    /// Newest publication date first; drafts without one last.
    Published,
    Title,
}

impl Sort {
    pub const ALL: [Sort; 3] = [Sort::Changed, Sort::Published, Sort::Title];

    pub fn parse(raw: &str) -> Sort {
        Sort::ALL
            .into_iter()
            .find(|sort| sort.as_str() == raw)
            .unwrap_or(Sort::Changed)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Changed => "changed",
            Sort::Published => "published",
            Sort::Title => "title",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Changed => "Last changed",
            Sort::Published => "Publication date",
            Sort::Title => "Title",
        }
    }
}

pub struct ListQuery {
    pub kind: PostKind,
    pub shelf: Shelf,
    /// Matched case-insensitively anywhere in the title.
    pub text: String,
    /// Only posts with this author, or this tag.
    pub author_id: Option<i64>,
    pub tag_id: Option<i64>,
    pub sort: Sort,
    pub page: i64,
    pub per_page: i64,
}

/// How many posts the list's filters match, on every page.
pub fn count(conn: &mut DbConn, query: &ListQuery, now: NaiveDateTime) -> QueryResult<i64> {
    matching(query, now).count().get_result(conn)
}

/// How many posts or pages stand on each shelf (whatever the other filters).
pub fn shelf_counts(
    conn: &mut DbConn,
    kind: PostKind,
    now: NaiveDateTime,
) -> QueryResult<Vec<(Shelf, i64)>> {
    Shelf::ALL
        .into_iter()
        .map(|shelf| {
            let query = ListQuery {
                kind,
                shelf,
                text: String::new(),
                author_id: None,
                tag_id: None,
                sort: Sort::Changed,
                page: 1,
                per_page: 1,
            };
            Ok((shelf, count(conn, &query, now)?))
        })
        .collect()
}

/// The posts the list's shelf and filters match, in no order.
fn matching(query: &ListQuery, now: NaiveDateTime) -> posts::BoxedQuery<'static, MultiBackend> {
    let mut select = posts::table.filter(posts::kind.eq(query.kind)).into_boxed();
    select = match query.shelf {
        Shelf::Trash => select.filter(posts::deleted_at.is_not_null()),
        Shelf::Drafts => select
            .filter(posts::deleted_at.is_null())
            .filter(posts::status.eq(PostStatus::Draft)),
        Shelf::Scheduled => select
            .filter(super::published_posts())
            .filter(posts::published_at.gt(now)),
        Shelf::Published => select
            .filter(super::published_posts())
            .filter(posts::published_at.le(now)),
        _ => select.filter(posts::deleted_at.is_null()),
    };
    let text = query.text.trim();
    if !text.is_empty() {
        select = select.filter(
            diesel::dsl::sql::<Bool>("lower(title) LIKE ")
                .bind::<Text, _>(crate::db::like_pattern(text))
                .sql(" ESCAPE '\\'"),
        );
    }
    if let Some(author) = query.author_id {
        select = select.filter(
            posts::id.eq_any(
                post_authors::table
                    .filter(post_authors::user_id.eq(author))
                    .select(post_authors::post_id),
            ),
        );
    }
    if let Some(tag) = query.tag_id {
        select = select.filter(
            posts::id.eq_any(
                post_tags::table
                    .filter(post_tags::tag_id.eq(tag))
                    .select(post_tags::post_id),
            ),
        );
    }
    select
}

/// One page of the admin's list, in the order asked for; also whether more follow.
pub fn list(
    conn: &mut DbConn,
    query: &ListQuery,
    now: NaiveDateTime,
) -> QueryResult<(Vec<Entry>, bool)> {
    let mut select = matching(query, now);
    select = match query.sort {
        Sort::Changed => select.order((posts::updated_at.desc(), posts::id.desc())),
        Sort::Published => select.order((
            posts::published_at.is_null(),
            posts::published_at.desc(),
            posts::id.desc(),
        )),
        Sort::Title => select.order((posts::title.asc(), posts::id.asc())),
    };
    let mut entries: Vec<Entry> = select
        .limit(query.per_page + 1)
        .offset((query.page - 1) * query.per_page)
        .select(Entry::as_select())
        .load(conn)?;
    let more = entries.len() as i64 > query.per_page;
    entries.truncate(query.per_page as usize);
    Ok((entries, more))
}

/// A post as the editor opens it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct Editable {
    pub id: i64,
    pub kind: PostKind,
    pub slug: String,
    pub title: String,
    pub markdown: String,
    pub custom_excerpt: Option<String>,
    pub status: PostStatus,
    pub published_at: Option<NaiveDateTime>,
    pub featured: bool,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
    pub noindex: bool,
    pub comments_open: bool,
    pub feature_image: Option<String>,
    pub feature_image_alt: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

impl Editable {
    pub fn status(&self) -> PostStatus {
        self.status
    }

    /// Whether readers can see it now.
    pub fn is_live(&self, now: NaiveDateTime) -> bool {
        super::write::is_visible(self.status, self.published_at, self.deleted_at, now)
    }
}

/// A post with its ordered author ids and tags.
#[derive(Debug, Clone)]
pub struct Opened {
    pub post: Editable,
    pub author_ids: Vec<i64>,
    pub tag_ids: Vec<i64>,
    pub tag_names: Vec<String>,
}

impl Opened {
    /// The post as stored, as an input to save again with some of it changed.
    pub fn to_input(&self) -> PostInput {
        let post = &self.post;
        PostInput {
            kind: post.kind,
            title: post.title.clone(),
            slug: post.slug.clone(),
            markdown: post.markdown.clone(),
            custom_excerpt: post.custom_excerpt.clone().unwrap_or_default(),
            tags: self.tag_names.clone(),
            authors: None,
            featured: post.featured,
            noindex: post.noindex,
            comments_open: post.comments_open,
            publish_at: post.published_at,
            meta_title: post.meta_title.clone().unwrap_or_default(),
            meta_description: post.meta_description.clone().unwrap_or_default(),
            canonical_url: post.canonical_url.clone().unwrap_or_default(),
            cover: match post.feature_image {
                Some(_) => Cover::Keep,
                None => Cover::None,
            },
            cover_alt: post.feature_image_alt.clone().unwrap_or_default(),
            intent: Intent::Save,
        }
    }
}

/// Every post's and page's id, oldest first (for tools and tests).
pub fn list_ids(conn: &mut DbConn) -> QueryResult<Vec<i64>> {
    posts::table.order(posts::id).select(posts::id).load(conn)
}

pub fn open(conn: &mut DbConn, id: i64) -> QueryResult<Option<Opened>> {
    let Some(post) = posts::table
        .find(id)
        .select(Editable::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let author_ids = post_authors::table
        .filter(post_authors::post_id.eq(id))
        .order(post_authors::sort_order)
        .select(post_authors::user_id)
        .load(conn)?;
    let tags: Vec<(i64, String)> = post_tags::table
        .inner_join(tags::table)
        .filter(post_tags::post_id.eq(id))
        .order(post_tags::sort_order)
        .select((tags::id, tags::name))
        .load(conn)?;
    let (tag_ids, tag_names) = tags.into_iter().unzip();
    Ok(Some(Opened {
        post,
        author_ids,
        tag_ids,
        tag_names,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_shelves_show_everything() {
        assert_eq!(Shelf::parse("trash"), Shelf::Trash);
        assert_eq!(Shelf::parse("<script>"), Shelf::All);
    }
}
