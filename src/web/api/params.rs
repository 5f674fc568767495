//! The query parameters the content API reads, each checked with a message naming it.

use super::error::{ApiError, ApiResult};
use crate::domain::browse::filter::{self, Expr, FilterError};
use crate::domain::browse::{Direction, Window, parse_order};

/// Items per page when `limit` is not given, and at most.
pub const DEFAULT_LIMIT: i64 = 15;
pub const MAX_LIMIT: i64 = 100;
/// Pages past this are refused rather than asked of the database.
const MAX_PAGE: i64 = 1_000_000;

/// A request's parameters, each named at most once and all known.
pub struct Params {
    pairs: Vec<(String, String)>,
}

/// What every request may carry besides its own parameters: a content key (Ghost's clients
/// always send one).
const ALWAYS: &[&str] = &["key"];

impl Params {
    pub fn parse(query_string: &str, known: &[&str]) -> ApiResult<Params> {
        let pairs: Vec<(String, String)> = serde_urlencoded::from_str(query_string)
            .map_err(|_| ApiError::parameter("query", "the query string cannot be read"))?;
        for (at, (name, _)) in pairs.iter().enumerate() {
            if !known.contains(&name.as_str()) && !ALWAYS.contains(&name.as_str()) {
                let mut names = known.to_vec();
                names.sort_unstable();
                return Err(ApiError::parameter(
                    name,
                    format!("unknown parameter '{name}'; use: {}", names.join(", ")),
                ));
            }
            if pairs[..at].iter().any(|(earlier, _)| earlier == name) {
                return Err(ApiError::parameter(
                    name,
                    format!("'{name}' is given twice"),
                ));
            }
        }
        Ok(Params { pairs })
    }

    pub fn get(&self, name: &str) -> Option<&str> {
        self.pairs
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.trim())
    }

    /// The same query with `page` set to `page`, for links to other pages.
    pub fn with_page(&self, page: i64) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (name, value) in self.pairs.iter().filter(|(name, _)| name != "page") {
            query.append_pair(name, value);
        }
        query.append_pair("page", &page.to_string());
        query.finish()
    }

    /// `limit` and `page`.
    pub fn window(&self) -> ApiResult<Window> {
        let limit = match self.get("limit") {
            None => DEFAULT_LIMIT,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                Ok(n) if n > MAX_LIMIT => {
                    return Err(ApiError::parameter(
                        "limit",
                        format!(
                            "limit is at most {MAX_LIMIT} (asked for {n}); \
                             read further pages with page=2, 3…"
                        ),
                    ));
                }
                _ if raw == "all" => {
                    return Err(ApiError::parameter(
                        "limit",
                        format!(
                            "limit=all is not offered; read {MAX_LIMIT} at a time with \
                             page=1, 2…"
                        ),
                    ));
                }
                _ => {
                    return Err(ApiError::parameter(
                        "limit",
                        format!("limit is a whole number from 1 to {MAX_LIMIT}, not '{raw}'"),
                    ));
                }
            },
        };
        let page = match self.get("page") {
            None => 1,
            Some(raw) => match raw.parse::<i64>() {
                Ok(n) if (1..=MAX_PAGE).contains(&n) => n,
                _ => {
                    return Err(ApiError::parameter(
                        "page",
                        format!("page is a whole number from 1 to {MAX_PAGE}, not '{raw}'"),
                    ));
                }
            },
        };
        Ok(Window { page, limit })
    }

    /// A comma-separated list of names, each one of `known`.
    pub fn names(&self, name: &str, known: &[&str]) -> ApiResult<Vec<String>> {
        let Some(raw) = self.get(name) else {
            return Ok(Vec::new());
        };
        let mut names = Vec::new();
        for part in raw.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            if !known.contains(&part) {
                return Err(ApiError::parameter(
                    name,
                    format!("'{part}' is not one of: {}", known.join(", ")),
                ));
            }
            if !names.iter().any(|n| n == part) {
                names.push(part.to_string());
            }
        }
        Ok(names)
    }

    /// `filter`, checked against a resource's fields by `check`.
    pub fn filter<F>(
        &self,
        check: impl Fn(&Expr) -> Result<F, FilterError>,
    ) -> ApiResult<Option<F>> {
        let Some(raw) = self.get("filter").filter(|f| !f.is_empty()) else {
            return Ok(None);
        };
        filter::parse(raw)
            .and_then(|expr| check(&expr))
            .map(Some)
            .map_err(|error| ApiError::parameter("filter", format!("filter: {error}")))
    }

    /// `order`, among a resource's fields.
    pub fn order<F: Copy>(&self, known: &[(&str, F)]) -> ApiResult<Vec<(F, Direction)>> {
        match self.get("order") {
            None => Ok(Vec::new()),
            Some(raw) => parse_order(raw, known)
                .map_err(|message| ApiError::parameter("order", format!("order: {message}"))),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field_of(error: ApiError) -> (String, String) {
        let problem = &error.problems()[0];
        (
            problem.field.clone().unwrap_or_default(),
            problem.message.clone(),
        )
    }

    #[test]
    fn limits_and_pages_are_checked_not_clamped() {
        let known = &["limit", "page"];
        let window = |q: &str| Params::parse(q, known).unwrap().window();
        assert_eq!(window("").unwrap(), Window { page: 1, limit: 15 });
        assert_eq!(
            window("limit=100&page=3").unwrap(),
            Window {
                page: 3,
                limit: 100
            }
        );
        for (query, field, message) in [
            ("limit=1000000", "limit", "at most 100"),
            ("limit=all", "limit", "not offered"),
            ("limit=0", "limit", "from 1 to 100"),
            ("limit=ten", "limit", "not 'ten'"),
            ("limit=", "limit", "not ''"),
            ("page=", "page", "not ''"),
            ("page=-1", "page", "not '-1'"),
            ("page=99999999999999999999", "page", "whole number"),
        ] {
            let (f, m) = field_of(window(query).unwrap_err());
            assert_eq!(f, field, "{query}");
            assert!(m.contains(message), "{query}: {m}");
        }
    }

    #[test]
    fn unknown_and_repeated_parameters_are_refused() {
        let (field, message) = field_of(Params::parse("limt=5", &["limit"]).err().unwrap());
        assert_eq!(field, "limt");
        assert!(message.contains("use: limit"), "{message}");
        let (field, _) = field_of(Params::parse("limit=5&limit=6", &["limit"]).err().unwrap());
        assert_eq!(field, "limit");
        assert!(Params::parse("key=0123456789abcdef0123456789", &[]).is_ok());
    }

    #[test]
    fn lists_of_names_are_checked() {
        let params = Params::parse("include=tags,%20authors,tags", &["include"]).unwrap();
        assert_eq!(
            params.names("include", &["authors", "tags"]).unwrap(),
            vec!["tags", "authors"]
        );
        let params = Params::parse("include=tags,comments", &["include"]).unwrap();
        let (field, message) = field_of(params.names("include", &["authors", "tags"]).unwrap_err());
        assert_eq!(field, "include");
        assert!(message.contains("'comments' is not one of"), "{message}");
    }
}
