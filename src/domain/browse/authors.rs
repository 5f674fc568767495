//! Authors as the content API lists them: staff with at least one post readers can see, as on
//! the site (nobody else has an author page).

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::dsl::count_star;
use diesel::prelude::*;

use super::filter::{Expr, FilterError, Term};
use super::{Checked, Condition, Direction, Key, Paged, Window};
use crate::db::DbConn;
use crate::db::schema::{post_authors, posts, users};
use crate::domain::posts::{PostKind, published_posts};
use crate::domain::users::User;

#[derive(Debug, Clone)]
pub enum Check {
    Id(Vec<i64>),
    Slug(Vec<String>),
    Always(bool),
}

pub const FILTER_FIELDS: &[&str] = &["id", "slug", "visibility"];

pub type Filter = Checked<Check>;

pub fn check_filter(expr: &Expr) -> Result<Filter, FilterError> {
    Checked::from(expr, &|term: &Term| {
        super::equality_only(term)?;
        Ok(match term.field.as_str() {
            "id" => Check::Id(super::ids(term)?),
            "slug" => Check::Slug(term.values.clone()),
            "visibility" => Check::Always(term.values.iter().any(|v| v == "public")),
            _ => return Err(super::unknown_field(term, FILTER_FIELDS)),
        })
    })
}

fn condition(check: &Check) -> Condition<users::table> {
    match check.clone() {
        Check::Id(ids) => Box::new(users::id.eq_any(ids)),
        Check::Slug(slugs) => Box::new(users::slug.eq_any(slugs)),
        Check::Always(holds) => super::constant(holds),
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OrderBy {
    Name,
    Slug,
    Id,
}

pub const ORDER_FIELDS: &[(&str, OrderBy)] = &[
    ("name", OrderBy::Name),
    ("slug", OrderBy::Slug),
    ("id", OrderBy::Id),
];

#[derive(Debug, Clone)]
pub struct Browse {
    pub filter: Option<Filter>,
    /// By name when empty.
    pub order: Vec<(OrderBy, Direction)>,
    pub window: Window,
}

type AuthorQuery = users::BoxedQuery<'static, crate::db::MultiBackend>;

/// Staff with a post readers can see at `now`.
fn public(now: NaiveDateTime) -> AuthorQuery {
    let in_use = post_authors::table
        .inner_join(posts::table)
        .filter(posts::kind.eq(PostKind::Post))
        .filter(published_posts())
        .filter(posts::published_at.le(now))
        .select(post_authors::user_id);
    users::table.filter(users::id.eq_any(in_use)).into_boxed()
}

pub fn browse(conn: &mut DbConn, request: &Browse, now: NaiveDateTime) -> QueryResult<Paged<User>> {
    let matching = || match &request.filter {
        Some(filter) => public(now).filter(filter.condition(&condition)),
        None => public(now),
    };
    let total: i64 = matching().count().get_result(conn)?;
    let mut query = matching();
    let order = if request.order.is_empty() {
        &[(OrderBy::Name, Direction::Asc)][..]
    } else {
        &request.order
    };
    for (field, direction) in order.iter().chain(&[(OrderBy::Id, Direction::Asc)]) {
        query = match (field, direction) {
            (OrderBy::Name, Direction::Asc) => query.then_order_by(users::display_name.asc()),
            (OrderBy::Name, Direction::Desc) => query.then_order_by(users::display_name.desc()),
            (OrderBy::Slug, Direction::Asc) => query.then_order_by(users::slug.asc()),
            (OrderBy::Slug, Direction::Desc) => query.then_order_by(users::slug.desc()),
            (OrderBy::Id, Direction::Asc) => query.then_order_by(users::id.asc()),
            (OrderBy::Id, Direction::Desc) => query.then_order_by(users::id.desc()),
        };
    }
    let items = query
        .limit(request.window.limit)
        .offset(request.window.offset())
        .select(User::as_select())
        .load(conn)?;
    Ok(Paged { items, total })
}

pub fn read(conn: &mut DbConn, key: &Key, now: NaiveDateTime) -> QueryResult<Option<User>> {
    let query = match key {
        Key::Id(id) => public(now).filter(users::id.eq(*id)),
        Key::Slug(slug) => public(now).filter(users::slug.eq(slug.clone())),
    };
    query.select(User::as_select()).first(conn).optional()
}

/// How many posts readers can see each of these people wrote.
pub fn post_counts(
    conn: &mut DbConn,
    user_ids: &[i64],
    now: NaiveDateTime,
) -> QueryResult<HashMap<i64, i64>> {
    Ok(post_authors::table
        .inner_join(posts::table)
        .filter(post_authors::user_id.eq_any(user_ids))
        .filter(posts::kind.eq(PostKind::Post))
        .filter(published_posts())
        .filter(posts::published_at.le(now))
        .group_by(post_authors::user_id)
        .select((post_authors::user_id, count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}
