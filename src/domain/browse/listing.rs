//! The listing shared by tags and authors: the content API lists those with at least one
//! post readers can see, as the site does (an empty tag, or staff who published nothing,
//! have no page). The two differ only in their table, link table and name column, so one
//! macro writes both modules' code.

/// Expands to a module's filters, ordering, paging, reading and post counts for `$table`
/// (rows of `$row`, named by `$name`), linked to posts through `$link`'s `$owner` column.
macro_rules! public_listing {
    (table: $table:ident, link: $link:ident, owner: $owner:ident, row: $row:ty, name: $name:ident $(,)?) => {
        use std::collections::HashMap;

        use chrono::NaiveDateTime;
        use diesel::dsl::count_star;
        use diesel::prelude::*;

        use super::filter::{Expr, FilterError, Term};
        use super::{Checked, Condition, Direction, Key, Paged, Window};
        use crate::db::DbConn;
        use crate::db::schema::{posts, $link, $table};
        use crate::domain::posts::{PostKind, published_posts};

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

        fn condition(check: &Check) -> Condition<$table::table> {
            match check.clone() {
                Check::Id(ids) => Box::new($table::id.eq_any(ids)),
                Check::Slug(slugs) => Box::new($table::slug.eq_any(slugs)),
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

        type Query = $table::BoxedQuery<'static, crate::db::MultiBackend>;

        /// Those with a post readers can see at `now`.
        fn public(now: NaiveDateTime) -> Query {
            let in_use = $link::table
                .inner_join(posts::table)
                .filter(posts::kind.eq(PostKind::Post))
                .filter(published_posts())
                .filter(posts::published_at.le(now))
                .select($link::$owner);
            $table::table.filter($table::id.eq_any(in_use)).into_boxed()
        }

        pub fn browse(
            conn: &mut DbConn,
            request: &Browse,
            now: NaiveDateTime,
        ) -> QueryResult<Paged<$row>> {
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
                    (OrderBy::Name, Direction::Asc) => query.then_order_by($table::$name.asc()),
                    (OrderBy::Name, Direction::Desc) => query.then_order_by($table::$name.desc()),
                    (OrderBy::Slug, Direction::Asc) => query.then_order_by($table::slug.asc()),
                    (OrderBy::Slug, Direction::Desc) => query.then_order_by($table::slug.desc()),
                    (OrderBy::Id, Direction::Asc) => query.then_order_by($table::id.asc()),
                    (OrderBy::Id, Direction::Desc) => query.then_order_by($table::id.desc()),
                };
            }
            let items = query
                .limit(request.window.limit)
                .offset(request.window.offset())
                .select(<$row>::as_select())
                .load(conn)?;
            Ok(Paged { items, total })
        }

        pub fn read(conn: &mut DbConn, key: &Key, now: NaiveDateTime) -> QueryResult<Option<$row>> {
            let query = match key {
                Key::Id(id) => public(now).filter($table::id.eq(*id)),
                Key::Slug(slug) => public(now).filter($table::slug.eq(slug.clone())),
            };
            query.select(<$row>::as_select()).first(conn).optional()
        }

        /// How many posts readers can see each of these has.
        pub fn post_counts(
            conn: &mut DbConn,
            owner_ids: &[i64],
            now: NaiveDateTime,
        ) -> QueryResult<HashMap<i64, i64>> {
            Ok($link::table
                .inner_join(posts::table)
                .filter($link::$owner.eq_any(owner_ids))
                .filter(posts::kind.eq(PostKind::Post))
                .filter(published_posts())
                .filter(posts::published_at.le(now))
                .group_by($link::$owner)
                .select(($link::$owner, count_star()))
                .load::<(i64, i64)>(conn)?
                .into_iter()
                .collect())
        }
    };
}

pub(crate) use public_listing;
