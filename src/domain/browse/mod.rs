//! What programs may read: the public posts, pages, tags and authors, filtered, ordered and
//! paged as the content API asks. Only what the public site shows is ever returned: the
//! visibility rule is `posts::visible`, the same one the pages use.

pub mod authors;
pub mod filter;
mod listing;
pub mod posts;
pub mod tags;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::dsl;
use diesel::expression::BoxableExpression;
use diesel::sql_types::Bool;

use crate::db::MultiBackend;
use filter::{Expr, FilterError, Op, Term};

/// Which page of how many items.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Window {
    /// From 1.
    pub page: i64,
    pub limit: i64,
}

impl Window {
    pub fn offset(&self) -> i64 {
        (self.page - 1).saturating_mul(self.limit)
    }
}

/// One page of results, and how many match in all.
#[derive(Debug, Clone)]
pub struct Paged<T> {
    pub items: Vec<T>,
    pub total: i64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    Asc,
    Desc,
}

/// `field [asc|desc], field [asc|desc]…`, with the fields `known` offers (by name).
pub fn parse_order<F: Copy>(
    text: &str,
    known: &[(&str, F)],
) -> Result<Vec<(F, Direction)>, String> {
    let mut order = Vec::new();
    for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
        let mut words = part.split_whitespace();
        let name = words.next().unwrap_or_default();
        let field = known
            .iter()
            .find(|(known, _)| known.eq_ignore_ascii_case(name))
            .map(|(_, field)| *field)
            .ok_or_else(|| {
                let names: Vec<&str> = known.iter().map(|(n, _)| *n).collect();
                format!("cannot order by '{name}'; use one of: {}", names.join(", "))
            })?;
        let direction = match words.next().map(str::to_ascii_lowercase).as_deref() {
            None | Some("asc") => Direction::Asc,
            Some("desc") => Direction::Desc,
            Some(other) => return Err(format!("'{other}' is not a direction; use asc or desc")),
        };
        if let Some(extra) = words.next() {
            return Err(format!("unexpected '{extra}' after '{name}'"));
        }
        order.push((field, direction));
        if order.len() > 4 {
            return Err("order by at most four fields".into());
        }
    }
    Ok(order)
}

/// A boolean condition on the rows of `T`, built from a filter.
pub type Condition<T> = Box<dyn BoxableExpression<T, MultiBackend, SqlType = Bool>>;

/// A filter checked against one resource's fields: `Check` is what a term asks, once its
/// field is known and its values are parsed.
#[derive(Debug, Clone)]
pub enum Checked<C> {
    And(Vec<Checked<C>>),
    Or(Vec<Checked<C>>),
    Term { negated: bool, check: C },
}

impl<C> Checked<C> {
    /// Checks every term of `expr` with `check`, keeping the shape.
    pub fn from(
        expr: &Expr,
        check: &impl Fn(&Term) -> Result<C, FilterError>,
    ) -> Result<Checked<C>, FilterError> {
        Ok(match expr {
            Expr::And(parts) => Checked::And(
                parts
                    .iter()
                    .map(|p| Checked::from(p, check))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Or(parts) => Checked::Or(
                parts
                    .iter()
                    .map(|p| Checked::from(p, check))
                    .collect::<Result<_, _>>()?,
            ),
            Expr::Term(term) => Checked::Term {
                negated: term.negated,
                check: check(term)?,
            },
        })
    }

    /// The SQL condition, each check made by `condition`.
    pub fn condition<T: 'static>(&self, condition: &impl Fn(&C) -> Condition<T>) -> Condition<T>
    where
        dsl::not<Condition<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
        dsl::And<Condition<T>, Condition<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
        dsl::Or<Condition<T>, Condition<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
    {
        use diesel::BoolExpressionMethods;
        match self {
            Checked::Term { negated, check } => {
                let inner = condition(check);
                if *negated {
                    Box::new(dsl::not(inner))
                } else {
                    inner
                }
            }
            Checked::And(parts) => join(parts, condition, |a, b| Box::new(a.and(b))),
            Checked::Or(parts) => join(parts, condition, |a, b| Box::new(a.or(b))),
        }
    }
}

fn join<C, T: 'static>(
    parts: &[Checked<C>],
    condition: &impl Fn(&C) -> Condition<T>,
    combine: impl Fn(Condition<T>, Condition<T>) -> Condition<T>,
) -> Condition<T>
where
    dsl::not<Condition<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
    dsl::And<Condition<T>, Condition<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
    dsl::Or<Condition<T>, Condition<T>>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
{
    let mut conditions = parts.iter().map(|p| p.condition(condition));
    let first = conditions.next().expect("a group has at least two parts");
    conditions.fold(first, combine)
}

/// A condition that always (or never) holds, written so both backends accept it.
pub fn constant<T>(holds: bool) -> Condition<T>
where
    diesel::expression::SqlLiteral<Bool>: BoxableExpression<T, MultiBackend, SqlType = Bool>,
{
    Box::new(dsl::sql::<Bool>(if holds { "1 = 1" } else { "1 = 0" }))
}

// ---- Values, as terms give them ----

/// Only `field:value` (or a list) makes sense for this field.
pub fn equality_only(term: &Term) -> Result<(), FilterError> {
    if term.op == Op::Eq {
        Ok(())
    } else {
        Err(FilterError::at(
            term.position,
            format!("'{}' cannot be compared with < or >", term.field),
        ))
    }
}

pub fn one_value(term: &Term) -> Result<&str, FilterError> {
    match term.values.as_slice() {
        [value] => Ok(value),
        _ => Err(FilterError::at(
            term.position,
            format!("'{}' takes one value, not a list", term.field),
        )),
    }
}

pub fn boolean(term: &Term) -> Result<bool, FilterError> {
    equality_only(term)?;
    match one_value(term)? {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(FilterError::at(
            term.position,
            format!("'{}' is true or false, not '{other}'", term.field),
        )),
    }
}

pub fn ids(term: &Term) -> Result<Vec<i64>, FilterError> {
    term.values
        .iter()
        .map(|value| {
            value.parse::<i64>().map_err(|_| {
                FilterError::at(
                    term.position,
                    format!("'{value}' is not an id (a whole number)"),
                )
            })
        })
        .collect()
}

/// `2024-01-31`, `2024-01-31 10:00:00`, `2024-01-31T10:00:00Z` or with an offset; in UTC.
pub fn moment(term: &Term) -> Result<NaiveDateTime, FilterError> {
    let text = one_value(term)?.trim();
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|at| at.naive_utc())
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(text, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| {
            NaiveDate::parse_from_str(text, "%Y-%m-%d").map(|d| d.and_time(Default::default()))
        })
        .map_err(|_| {
            FilterError::at(
                term.position,
                format!("'{text}' is not a date (2024-01-31, or 2024-01-31 10:00:00 in UTC)"),
            )
        })
}

/// Refuses a field this resource does not know, naming the ones it does.
pub fn unknown_field(term: &Term, known: &[&str]) -> FilterError {
    FilterError::at(
        term.position,
        format!(
            "cannot filter by '{}'; use one of: {}",
            term.field,
            known.join(", ")
        ),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_are_parsed_and_checked() {
        let known = [("title", 1), ("published_at", 2)];
        assert_eq!(
            parse_order("published_at DESC, title", &known).unwrap(),
            vec![(2, Direction::Desc), (1, Direction::Asc)]
        );
        assert!(
            parse_order("body asc", &known)
                .unwrap_err()
                .contains("use one of: title")
        );
        assert!(
            parse_order("title sideways", &known)
                .unwrap_err()
                .contains("not a direction")
        );
        assert!(
            parse_order("title asc now", &known)
                .unwrap_err()
                .contains("unexpected 'now'")
        );
    }

    #[test]
    fn dates_are_read_in_the_usual_forms() {
        let term = |value: &str| Term {
            field: "published_at".into(),
            position: 1,
            negated: false,
            op: Op::Gt,
            values: vec![value.into()],
        };
        let expected = NaiveDate::from_ymd_opt(2024, 1, 31)
            .unwrap()
            .and_hms_opt(10, 0, 0)
            .unwrap();
        for text in [
            "2024-01-31 10:00:00",
            "2024-01-31T10:00:00",
            "2024-01-31T12:00:00+02:00",
        ] {
            assert_eq!(moment(&term(text)).unwrap(), expected, "{text}");
        }
        assert_eq!(
            moment(&term("2024-01-31")).unwrap(),
            expected.date().and_hms_opt(0, 0, 0).unwrap()
        );
        assert!(
            moment(&term("yesterday"))
                .unwrap_err()
                .message
                .contains("not a date")
        );
    }
}

/// How an API request names one item.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Key {
    Id(i64),
    Slug(String),
}
