//! Pages of a list: reading the page number from a URL and linking to the pages around it.
//! Public listings put the number in the path (`/tag/x/page/2/`, so each page is its own
//! document for crawlers); the admin and search put it in the query string beside the
//! filters, which links to neighbouring pages keep.

use crate::error::{AppError, AppResult};

/// A page number from a URL: a positive integer written plainly, else there is no such page.
pub fn page_number(raw: &str) -> AppResult<i64> {
    match raw.parse::<i64>() {
        Ok(n) if n >= 1 && raw.len() <= 9 && !raw.starts_with('0') => Ok(n),
        _ => Err(AppError::NotFound),
    }
}

/// A `?page=` parameter: absent or empty is the first page, else as `page_number`.
pub fn page_param(raw: &str) -> AppResult<i64> {
    match raw {
        "" => Ok(1),
        raw => page_number(raw),
    }
}

/// The path of page `n` of the listing at `base` (which ends in `/`).
pub fn page_path(base: &str, n: i64) -> String {
    if n <= 1 {
        base.to_string()
    } else {
        format!("{base}page/{n}/")
    }
}

/// `path?filters&page=n`: the filters in the order given, empty ones left out, and no
/// `page` on the first page (so page 1 has one address).
pub fn query_url(path: &str, filters: &[(&str, &str)], n: i64) -> String {
    let mut pairs = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in filters.iter().filter(|(_, value)| !value.is_empty()) {
        pairs.append_pair(name, value);
    }
    if n > 1 {
        pairs.append_pair("page", &n.to_string());
    }
    match pairs.finish() {
        query if query.is_empty() => path.to_string(),
        query => format!("{path}?{query}"),
    }
}

/// Links between the pages of a list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pagination {
    pub current: i64,
    pub newer_url: Option<String>,
    pub older_url: Option<String>,
    /// How many pages there are, where the list counts them.
    pub of: Option<i64>,
}

impl Pagination {
    /// Page 1 at `base`, page N at `base/page/N/`.
    pub fn by_path(base: &str, current: i64, has_more: bool) -> Pagination {
        Pagination::linking(current, has_more, |n| page_path(base, n))
    }

    /// Pages as `query_url` addresses them.
    pub fn by_query(
        path: &str,
        filters: &[(&str, &str)],
        current: i64,
        has_more: bool,
    ) -> Pagination {
        Pagination::linking(current, has_more, |n| query_url(path, filters, n))
    }

    fn linking(current: i64, has_more: bool, url: impl Fn(i64) -> String) -> Pagination {
        Pagination {
            current,
            newer_url: (current > 1).then(|| url(current - 1)),
            older_url: has_more.then(|| url(current + 1)),
            of: None,
        }
    }

    /// The same, saying how many pages `total` items make at `per_page`.
    pub fn counting(mut self, total: i64, per_page: i64) -> Pagination {
        self.of = Some(((total + per_page - 1) / per_page).max(1));
        self
    }

    /// Whether there is more than this one page.
    pub fn is_needed(&self) -> bool {
        self.newer_url.is_some() || self.older_url.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn page_numbers_are_written_plainly() {
        assert_eq!(page_param("").unwrap(), 1);
        assert_eq!(page_param("7").unwrap(), 7);
        for bad in ["0", "-1", "07", "1e3", "9999999999", " 2", "2\0", "x"] {
            assert!(page_param(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn query_pages_keep_their_filters() {
        let pages = Pagination::by_query("/admin/media", &[("q", "a b&c"), ("tag", "")], 2, true);
        assert_eq!(pages.newer_url.as_deref(), Some("/admin/media?q=a+b%26c"));
        assert_eq!(
            pages.older_url.as_deref(),
            Some("/admin/media?q=a+b%26c&page=3")
        );
        let first = Pagination::by_query("/admin/tags", &[], 1, false);
        assert!(!first.is_needed());
        assert_eq!(query_url("/admin/tags", &[], 2), "/admin/tags?page=2");
    }

    #[test]
    fn path_pages_start_at_the_base() {
        let pages = Pagination::by_path("/tag/rust/", 2, false);
        assert_eq!(pages.newer_url.as_deref(), Some("/tag/rust/"));
        assert_eq!(pages.older_url, None);
        assert_eq!(page_path("/", 3), "/page/3/");
    }
}
