//! Site search: the one query written twice, as SQLite's FTS5 and PostgreSQL's text search
//! each want it. Both match every word typed (as a prefix, so "publ" finds "publishing"),
//! rank by relevance with a word in the title counting well above one in the text (FTS5's
//! bm25 weights, PostgreSQL's `setweight` A against the text's default D), and see only what
//! readers may see.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text, Timestamp};

use super::DbConn;
use crate::domain::posts::published_sql;

/// At most this many words are searched for; longer words are cut.
const MAX_TERMS: usize = 8;
const MAX_TERM_CHARS: usize = 40;

/// The words of a search, reduced to letters and digits so no query syntax gets through.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Terms(Vec<String>);

impl Terms {
    pub fn parse(raw: &str) -> Terms {
        Terms(
            raw.split(|c: char| !c.is_alphanumeric())
                .filter(|word| !word.is_empty())
                .map(|word| {
                    word.chars()
                        .take(MAX_TERM_CHARS)
                        .collect::<String>()
                        .to_lowercase()
                })
                .take(MAX_TERMS)
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `"word"* "other"*`: every word, as a prefix.
    fn fts5(&self) -> String {
        self.0
            .iter()
            .map(|word| format!("\"{word}\"*"))
            .collect::<Vec<_>>()
            .join(" ")
    }

    /// `word:* & other:*`.
    fn tsquery(&self) -> String {
        self.0
            .iter()
            .map(|word| format!("{word}:*"))
            .collect::<Vec<_>>()
            .join(" & ")
    }
}

#[derive(QueryableByName)]
struct Hit {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

/// Ids of live posts and pages matching `terms`, best first; `limit` of them after `offset`.
pub fn matching(
    conn: &mut DbConn,
    terms: &Terms,
    now: NaiveDateTime,
    offset: i64,
    limit: i64,
) -> QueryResult<Vec<i64>> {
    if terms.is_empty() {
        return Ok(Vec::new());
    }
    let hits: Vec<Hit> = match conn {
        DbConn::Sqlite(conn) => diesel::sql_query(format!(
            "SELECT p.id FROM posts_search JOIN posts p ON p.id = posts_search.rowid \
             WHERE posts_search MATCH ? AND {} AND p.published_at <= ? \
             ORDER BY bm25(posts_search, 5.0, 1.0), p.id DESC LIMIT ? OFFSET ?",
            published_sql("p")
        ))
        .bind::<Text, _>(terms.fts5())
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(conn)?,
        DbConn::Postgresql(conn) => diesel::sql_query(format!(
            "SELECT id FROM posts \
             WHERE to_tsvector('simple', title || ' ' || markdown) @@ to_tsquery('simple', $1) \
             AND {} AND published_at <= $2 \
             ORDER BY ts_rank(setweight(to_tsvector('simple', title), 'A') \
             || to_tsvector('simple', markdown), to_tsquery('simple', $1)) DESC, id DESC \
             LIMIT $3 OFFSET $4",
            published_sql("posts")
        ))
        .bind::<Text, _>(terms.tsquery())
        .bind::<Timestamp, _>(now)
        .bind::<BigInt, _>(limit)
        .bind::<BigInt, _>(offset)
        .load(conn)?,
    };
    Ok(hits.into_iter().map(|hit| hit.id).collect())
}

/// How many live posts and pages match `terms`.
pub fn count(conn: &mut DbConn, terms: &Terms, now: NaiveDateTime) -> QueryResult<i64> {
    #[derive(QueryableByName)]
    struct Total {
        #[diesel(sql_type = BigInt)]
        total: i64,
    }
    if terms.is_empty() {
        return Ok(0);
    }
    let found: Total = match conn {
        DbConn::Sqlite(conn) => diesel::sql_query(format!(
            "SELECT COUNT(*) AS total FROM posts_search \
             JOIN posts p ON p.id = posts_search.rowid \
             WHERE posts_search MATCH ? AND {} AND p.published_at <= ?",
            published_sql("p")
        ))
        .bind::<Text, _>(terms.fts5())
        .bind::<Timestamp, _>(now)
        .get_result(conn)?,
        DbConn::Postgresql(conn) => diesel::sql_query(format!(
            "SELECT COUNT(*) AS total FROM posts \
             WHERE to_tsvector('simple', title || ' ' || markdown) @@ to_tsquery('simple', $1) \
             AND {} AND published_at <= $2",
            published_sql("posts")
        ))
        .bind::<Text, _>(terms.tsquery())
        .bind::<Timestamp, _>(now)
        .get_result(conn)?,
    };
    Ok(found.total)
}

#[cfg(test)]
mod tests {
    use super::Terms;

    #[test]
    fn only_words_reach_the_query() {
        let terms = Terms::parse(r#"Café "OR" -x* NEAR(a b) </script>"#);
        assert_eq!(
            terms.fts5(),
            r#""café"* "or"* "x"* "near"* "a"* "b"* "script"*"#
        );
        assert_eq!(Terms::parse("fast pages").tsquery(), "fast:* & pages:*");
        assert!(Terms::parse(" -- ** ").is_empty());
        assert_eq!(Terms::parse(&"word ".repeat(50)).0.len(), 8);
    }
}
