//! What the admin's lists share: column headers that sort the list (with `aria-sort` on the
//! current one), and shelves (a status each, with its count) above them.

use crate::web::pager::query_url;

/// How a list may be sorted: its query-string key, its header, and whether it runs A to Z
/// (else newest or most first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SortKey {
    pub key: &'static str,
    pub label: &'static str,
    pub ascending: bool,
}

impl SortKey {
    pub const fn new(key: &'static str, label: &'static str, ascending: bool) -> SortKey {
        SortKey {
            key,
            label,
            ascending,
        }
    }

    /// The sort a query string asks for among `keys`; the first (the default) for anything
    /// else, so an old or edited link still shows the list.
    pub fn pick(keys: &[SortKey], raw: &str) -> SortKey {
        keys.iter()
            .copied()
            .find(|k| k.key == raw)
            .unwrap_or(keys[0])
    }

    /// The value to put in links: none for the default.
    pub fn param(self, keys: &[SortKey]) -> &'static str {
        if self == keys[0] { "" } else { self.key }
    }
}

/// A column header; a link when the list sorts by it.
pub struct Column {
    pub label: &'static str,
    pub url: Option<String>,
    /// `ascending` or `descending` while the list is sorted by this column.
    pub sorted: Option<&'static str>,
}

/// The headers of a list at `path` with `filters`, in order: `(label, sorts by)`. Sorting
/// goes back to page 1.
pub fn columns(
    path: &str,
    filters: &[(&str, &str)],
    headers: &[(&'static str, Option<SortKey>)],
    keys: &[SortKey],
    current: SortKey,
) -> Vec<Column> {
    headers
        .iter()
        .map(|&(label, sorts)| Column {
            label,
            url: sorts.map(|key| {
                let mut pairs = filters.to_vec();
                pairs.push(("sort", key.param(keys)));
                query_url(path, &pairs, 1)
            }),
            sorted: sorts
                .filter(|key| *key == current)
                .map(|key| match key.ascending {
                    true => "ascending",
                    false => "descending",
                }),
        })
        .collect()
}

/// One status of a list, with how many it holds.
pub struct Shelf {
    pub label: String,
    pub url: String,
    pub count: i64,
    pub current: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    const KEYS: [SortKey; 2] = [
        SortKey::new("name", "Name", true),
        SortKey::new("joined", "Joined", false),
    ];

    #[test]
    fn unknown_sorts_fall_back_to_the_default() {
        assert_eq!(SortKey::pick(&KEYS, "joined"), KEYS[1]);
        assert_eq!(SortKey::pick(&KEYS, "'; drop"), KEYS[0]);
        assert_eq!(SortKey::pick(&KEYS, ""), KEYS[0]);
    }

    #[test]
    fn headers_link_to_their_sort_and_mark_the_current_one() {
        let headers = [
            ("Name", Some(KEYS[0])),
            ("Email", None),
            ("Joined", Some(KEYS[1])),
        ];
        let columns = columns("/admin/members", &[("q", "ann")], &headers, &KEYS, KEYS[1]);
        assert_eq!(columns[0].url.as_deref(), Some("/admin/members?q=ann"));
        assert_eq!(columns[0].sorted, None);
        assert!(columns[1].url.is_none());
        assert_eq!(
            columns[2].url.as_deref(),
            Some("/admin/members?q=ann&sort=joined")
        );
        assert_eq!(columns[2].sorted, Some("descending"));
    }
}
