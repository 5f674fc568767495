//! Posts and pages as the content API lists them.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::filter::{Expr, FilterError, Op, Term};
use super::{Checked, Condition, Direction, Paged, Window};
use crate::db::DbConn;
use crate::db::schema::{post_authors, post_tags, posts, tags, users};
use crate::domain::posts::{AuthorLink, Post, PostKind, TagLink, authors_of, tags_of, visible};

/// What a term of a post filter asks.
#[derive(Debug, Clone)]
pub enum Check {
    Id(Op, Vec<i64>),
    Slug(Vec<String>),
    /// Carries one of these tags (`primary`: as its first).
    Tag {
        primary: bool,
        slugs: Vec<String>,
    },
    Author {
        primary: bool,
        slugs: Vec<String>,
    },
    Featured(bool),
    PublishedAt(Op, NaiveDateTime),
    UpdatedAt(Op, NaiveDateTime),
    /// `visibility:public` holds for everything readers see; any other value for nothing.
    Always(bool),
}

pub const FILTER_FIELDS: &[&str] = &[
    "id",
    "slug",
    "tag",
    "tags",
    "primary_tag",
    "author",
    "authors",
    "primary_author",
    "featured",
    "published_at",
    "updated_at",
    "visibility",
];

pub type Filter = Checked<Check>;

pub fn check_filter(expr: &Expr) -> Result<Filter, FilterError> {
    Checked::from(expr, &check)
}

fn check(term: &Term) -> Result<Check, FilterError> {
    let slugs = |term: &Term| -> Result<Vec<String>, FilterError> {
        super::equality_only(term)?;
        Ok(term.values.clone())
    };
    Ok(match term.field.as_str() {
        "id" => {
            let ids = super::ids(term)?;
            if term.op != Op::Eq && ids.len() > 1 {
                return Err(FilterError::at(
                    term.position,
                    "compare 'id' with one value",
                ));
            }
            Check::Id(term.op, ids)
        }
        "slug" => Check::Slug(slugs(term)?),
        "tag" | "tags" => Check::Tag {
            primary: false,
            slugs: slugs(term)?,
        },
        "primary_tag" => Check::Tag {
            primary: true,
            slugs: slugs(term)?,
        },
        "author" | "authors" => Check::Author {
            primary: false,
            slugs: slugs(term)?,
        },
        "primary_author" => Check::Author {
            primary: true,
            slugs: slugs(term)?,
        },
        "featured" => Check::Featured(super::boolean(term)?),
        "published_at" => Check::PublishedAt(term.op, super::moment(term)?),
        "updated_at" => Check::UpdatedAt(term.op, super::moment(term)?),
        "visibility" => {
            super::equality_only(term)?;
            Check::Always(term.values.iter().any(|v| v == "public"))
        }
        _ => return Err(super::unknown_field(term, FILTER_FIELDS)),
    })
}

macro_rules! compare {
    ($column:expr, $op:expr, $value:expr) => {
        match $op {
            Op::Eq => Box::new($column.eq($value)) as Condition<posts::table>,
            Op::Gt => Box::new($column.gt($value)),
            Op::Ge => Box::new($column.ge($value)),
            Op::Lt => Box::new($column.lt($value)),
            Op::Le => Box::new($column.le($value)),
        }
    };
}

fn condition(check: &Check) -> Condition<posts::table> {
    match check.clone() {
        Check::Id(Op::Eq, ids) => Box::new(posts::id.eq_any(ids)),
        Check::Id(op, ids) => compare!(posts::id, op, ids.first().copied().unwrap_or_default()),
        Check::Slug(slugs) => Box::new(posts::slug.eq_any(slugs)),
        Check::Tag { primary, slugs } => {
            let linked = post_tags::table
                .inner_join(tags::table)
                .filter(tags::slug.eq_any(slugs))
                .filter(post_tags::sort_order.le(last_place(primary)))
                .select(post_tags::post_id);
            Box::new(posts::id.eq_any(linked))
        }
        Check::Author { primary, slugs } => {
            let linked = post_authors::table
                .inner_join(users::table)
                .filter(users::slug.eq_any(slugs))
                .filter(post_authors::sort_order.le(last_place(primary)))
                .select(post_authors::post_id);
            Box::new(posts::id.eq_any(linked))
        }
        Check::Featured(featured) => Box::new(posts::featured.eq(featured)),
        // Visible posts all have a publication time.
        Check::PublishedAt(op, at) => compare!(posts::published_at.assume_not_null(), op, at),
        Check::UpdatedAt(op, at) => compare!(posts::updated_at, op, at),
        Check::Always(holds) => super::constant(holds),
    }
}

/// The last place in a post's list of tags or authors a term looks at: the first (the
/// primary one), or any.
fn last_place(primary: bool) -> i32 {
    if primary { 0 } else { i32::MAX }
}

/// What posts can be ordered by.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderBy {
    PublishedAt,
    UpdatedAt,
    CreatedAt,
    Title,
    Slug,
    Id,
    Featured,
}

pub const ORDER_FIELDS: &[(&str, OrderBy)] = &[
    ("published_at", OrderBy::PublishedAt),
    ("updated_at", OrderBy::UpdatedAt),
    ("created_at", OrderBy::CreatedAt),
    ("title", OrderBy::Title),
    ("slug", OrderBy::Slug),
    ("id", OrderBy::Id),
    ("featured", OrderBy::Featured),
];

/// A request for posts or pages.
#[derive(Debug, Clone)]
pub struct Browse {
    pub kind: PostKind,
    pub filter: Option<Filter>,
    /// Newest first when empty; the id breaks ties either way.
    pub order: Vec<(OrderBy, Direction)>,
    pub window: Window,
}

pub fn browse(conn: &mut DbConn, request: &Browse, now: NaiveDateTime) -> QueryResult<Paged<Post>> {
    let matching = || {
        let query = visible(request.kind, now);
        match &request.filter {
            Some(filter) => query.filter(filter.condition(&condition)),
            None => query,
        }
    };
    let total: i64 = matching().count().get_result(conn)?;
    let mut query = matching();
    let order = if request.order.is_empty() {
        &[(OrderBy::PublishedAt, Direction::Desc)][..]
    } else {
        &request.order
    };
    for (field, direction) in order {
        query = ordered(query, *field, *direction);
    }
    let tie = order.last().map_or(Direction::Desc, |(_, d)| *d);
    query = ordered(query, OrderBy::Id, tie);
    let items = query
        .limit(request.window.limit)
        .offset(request.window.offset())
        .select(Post::as_select())
        .load(conn)?;
    Ok(Paged { items, total })
}

type PostQuery = posts::BoxedQuery<'static, crate::db::MultiBackend>;

fn ordered(query: PostQuery, field: OrderBy, direction: Direction) -> PostQuery {
    macro_rules! by {
        ($column:expr) => {
            match direction {
                Direction::Asc => query.then_order_by($column.asc()),
                Direction::Desc => query.then_order_by($column.desc()),
            }
        };
    }
    match field {
        OrderBy::PublishedAt => by!(posts::published_at),
        OrderBy::UpdatedAt => by!(posts::updated_at),
        OrderBy::CreatedAt => by!(posts::created_at),
        OrderBy::Title => by!(posts::title),
        OrderBy::Slug => by!(posts::slug),
        OrderBy::Id => by!(posts::id),
        OrderBy::Featured => by!(posts::featured),
    }
}

/// A visible post or page of `kind` by id or slug.
pub fn read(
    conn: &mut DbConn,
    kind: PostKind,
    key: &super::Key,
    now: NaiveDateTime,
) -> QueryResult<Option<Post>> {
    let query = visible(kind, now);
    let query = match key {
        super::Key::Id(id) => query.filter(posts::id.eq(*id)),
        super::Key::Slug(slug) => query.filter(posts::slug.eq(slug.clone())),
    };
    query.select(Post::as_select()).first(conn).optional()
}

/// What may come with each post.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Include {
    pub authors: bool,
    pub tags: bool,
    /// Approved comments and likes.
    pub counts: bool,
}

/// Each post's authors, tags and counts, as `include` asked.
#[derive(Debug, Default)]
pub struct Related {
    pub authors: HashMap<i64, Vec<AuthorLink>>,
    pub tags: HashMap<i64, Vec<TagLink>>,
    pub comments: HashMap<i64, i64>,
    pub likes: HashMap<i64, i64>,
}

pub fn related(conn: &mut DbConn, posts: &[Post], include: Include) -> QueryResult<Related> {
    let ids: Vec<i64> = posts.iter().map(|p| p.id).collect();
    let mut related = Related::default();
    if ids.is_empty() {
        return Ok(related);
    }
    if include.authors {
        related.authors = authors_of(conn, &ids)?;
    }
    if include.tags {
        related.tags = tags_of(conn, &ids)?;
    }
    if include.counts {
        related.comments = crate::domain::comments::approved_counts(conn, &ids)?;
        related.likes = crate::domain::likes::counts(conn, &ids)?;
    }
    Ok(related)
}

/// One page of search results, best first, and how many match.
pub fn search(
    conn: &mut DbConn,
    terms: &crate::db::search::Terms,
    window: Window,
    now: NaiveDateTime,
) -> QueryResult<Paged<Post>> {
    let total = crate::db::search::count(conn, terms, now)?;
    let ids = crate::db::search::matching(conn, terms, now, window.offset(), window.limit)?;
    let mut items: Vec<Post> = posts::table
        .filter(posts::id.eq_any(&ids))
        .select(Post::as_select())
        .load(conn)?;
    items.sort_by_key(|post| ids.iter().position(|id| *id == post.id));
    Ok(Paged { items, total })
}
