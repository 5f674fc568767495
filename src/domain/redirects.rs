//! Redirects kept in the database: old URLs pointing at new ones. They apply where nothing
//! else answers (a 404 or a 410), so a redirect never hides a live page.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::auth::permissions::Permission;
use crate::db::DbConn;
use crate::db::schema::redirects;
use crate::domain::audit::Object;
use crate::domain::input::FieldErrors;
use crate::domain::write::{self, Actor, WriteError};

/// Hops followed when checking a new redirect for a loop; a longer chain is refused too.
const MAX_CHAIN: usize = 20;
pub const MAX_PATH: usize = 2000;

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = redirects)]
pub struct Redirect {
    pub id: i64,
    pub from_path: String,
    pub to_path: String,
    pub code: i32,
}

/// A redirect as typed in the admin, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Target {
    pub from_path: String,
    pub to_path: String,
    pub code: i32,
}

#[derive(Debug, thiserror::Error)]
pub enum RedirectError {
    #[error("Enter an address on this site starting with /, such as /old-post/.")]
    BadFrom,
    #[error("Enter an address on this site starting with /, or a full https:// address.")]
    BadTo,
    #[error("A redirect cannot point at its own address.")]
    ToItself,
    #[error("This would make a loop: {0} already leads back here.")]
    Loop(String),
    #[error("There is already a redirect from this address.")]
    FromTaken,
    #[error("Choose 301 (moved for good) or 302 (moved for now).")]
    BadCode,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

fn plain_path(raw: &str) -> bool {
    raw.starts_with('/')
        && !raw.starts_with("//")
        && raw.len() <= MAX_PATH
        && !raw
            .chars()
            .any(|c| c.is_whitespace() || c.is_control() || matches!(c, '#' | '\\'))
}

/// A path as it arrives in a request: non-ASCII characters percent-encoded, so a redirect
/// typed as `/café/` matches the request for `/caf%C3%A9/`.
fn as_requested(path: &str) -> String {
    url::Url::parse("http://quire.invalid")
        .and_then(|base| base.join(path))
        .map(|url| url.path().to_string())
        .unwrap_or_else(|_| path.to_string())
}

/// An address a moved site used, as an import redirects it: a path with an optional query
/// (`/2012/01/03/hello/`, `/?p=123`), matched exactly as requested. `None` when it could
/// not be a request's address.
pub fn old_address(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let (path, query) = match raw.split_once('?') {
        Some((path, query)) => (path, Some(query)),
        None => (raw, None),
    };
    if !plain_path(path) || query.is_some_and(|q| q.is_empty() || !plain_query(q)) {
        return None;
    }
    let path = as_requested(path);
    Some(match query {
        Some(query) => format!("{path}?{query}"),
        None => path,
    })
}

fn plain_query(query: &str) -> bool {
    query.len() <= MAX_PATH
        && query
            .chars()
            .all(|c| c.is_ascii_graphic() && !matches!(c, '#' | '\\'))
}

impl Target {
    /// The one parser for a redirect, whoever sends it: `from` a path on this site, `to` a
    /// path or an http(s) URL. An address typed with this site's own origin (`base_url`)
    /// counts as a path.
    pub fn parse_on(
        base_url: &str,
        from: &str,
        to: &str,
        code: &str,
    ) -> Result<Target, FieldErrors> {
        let base = base_url.trim_end_matches('/');
        let local = |raw: &str| match raw.trim().strip_prefix(base) {
            Some(rest) if !base.is_empty() && rest.starts_with('/') => rest.to_string(),
            _ => raw.trim().to_string(),
        };
        Target::parse(&local(from), &local(to), code).map_err(|problems| {
            let mut errors = FieldErrors::default();
            for (field, problem) in problems {
                errors.add(field, problem);
            }
            errors
        })
    }

    /// `parse_on`, for paths already relative; each problem with the field it is about.
    pub fn parse(
        from: &str,
        to: &str,
        code: &str,
    ) -> Result<Target, Vec<(&'static str, RedirectError)>> {
        let (from, to) = (from.trim(), to.trim());
        let mut errors = Vec::new();
        if !plain_path(from) || from.contains('?') {
            errors.push(("from_path", RedirectError::BadFrom));
        }
        let external = url::Url::parse(to)
            .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
        if !(plain_path(to) || (external && to.len() <= MAX_PATH)) {
            errors.push(("to_path", RedirectError::BadTo));
        }
        let code = match code.trim() {
            "301" | "" => 301,
            "302" => 302,
            _ => {
                errors.push(("code", RedirectError::BadCode));
                0
            }
        };
        let from_path = as_requested(from);
        let to_path = if plain_path(to) {
            as_requested(to)
        } else {
            to.to_string()
        };
        // `/a/..//elsewhere` resolves to `//elsewhere`, another site: not a path here.
        if to_path.starts_with("//") {
            errors.push(("to_path", RedirectError::BadTo));
        }
        if errors.is_empty() && from_path == to_path {
            errors.push(("to_path", RedirectError::ToItself));
        }
        if errors.is_empty() {
            Ok(Target {
                from_path,
                to_path,
                code,
            })
        } else {
            Err(errors)
        }
    }
}

pub fn find(conn: &mut DbConn, path: &str) -> QueryResult<Option<Redirect>> {
    redirects::table
        .filter(redirects::from_path.eq(path))
        .select(Redirect::as_select())
        .first(conn)
        .optional()
}

/// The redirect for a request: by its path, else (an imported old address such as
/// `/?p=123`) by its path and query exactly. The flag says the query was part of the match,
/// so it is not carried over to the new address.
pub fn find_for_request(
    conn: &mut DbConn,
    path: &str,
    query: &str,
) -> QueryResult<Option<(Redirect, bool)>> {
    if let Some(found) = find(conn, path)? {
        return Ok(Some((found, false)));
    }
    if query.is_empty() {
        return Ok(None);
    }
    Ok(find(conn, &format!("{path}?{query}"))?.map(|found| (found, true)))
}

pub fn by_id(conn: &mut DbConn, id: i64) -> QueryResult<Option<Redirect>> {
    redirects::table
        .find(id)
        .select(Redirect::as_select())
        .first(conn)
        .optional()
}

/// Refuses `target` if following it would come back to its own address (ignoring the
/// redirect `replacing`, which it will replace).
fn check_chain(
    conn: &mut DbConn,
    target: &Target,
    replacing: Option<i64>,
) -> Result<(), RedirectError> {
    let mut next = target.to_path.clone();
    for _ in 0..MAX_CHAIN {
        if next == target.from_path {
            return Err(RedirectError::Loop(target.to_path.clone()));
        }
        match find(conn, &next)? {
            Some(hop) if Some(hop.id) != replacing => next = hop.to_path,
            _ => return Ok(()),
        }
    }
    Err(RedirectError::Loop(target.to_path.clone()))
}

fn from_taken(conn: &mut DbConn, from: &str, other_than: Option<i64>) -> QueryResult<bool> {
    Ok(find(conn, from)?.is_some_and(|r| Some(r.id) != other_than))
}

/// A redirect's line in the audit log.
fn summary(target: &Target) -> String {
    format!(
        "{} → {} ({})",
        target.from_path, target.to_path, target.code
    )
}

fn refused(error: RedirectError) -> WriteError {
    match error {
        RedirectError::Database(error) => WriteError::Database(error),
        RedirectError::FromTaken => WriteError::invalid("from_path", error),
        other => WriteError::invalid("to_path", other),
    }
}

/// Adds a redirect; returns its id. Redirects answer only where no page does, so no page a
/// cache holds changes.
pub fn add(
    conn: &mut DbConn,
    actor: &Actor,
    target: &Target,
    now: NaiveDateTime,
) -> Result<i64, WriteError> {
    actor.require(Permission::ManageRedirects, "manage redirects")?;
    write::transaction(conn, actor, now, |tx| {
        if from_taken(tx.conn, &target.from_path, None)? {
            return Err(refused(RedirectError::FromTaken));
        }
        check_chain(tx.conn, target, None).map_err(refused)?;
        insert(
            tx.conn,
            &target.from_path,
            &target.to_path,
            target.code,
            now,
        )?;
        let id = find(tx.conn, &target.from_path)?
            .map(|r| r.id)
            .unwrap_or_default();
        tx.audit("created", (Object::Redirect, Some(id)), &summary(target))?;
        Ok(id)
    })
}

pub fn change(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    target: &Target,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    actor.require(Permission::ManageRedirects, "manage redirects")?;
    write::transaction(conn, actor, now, |tx| {
        by_id(tx.conn, id)?.ok_or(WriteError::NotFound)?;
        if from_taken(tx.conn, &target.from_path, Some(id))? {
            return Err(refused(RedirectError::FromTaken));
        }
        check_chain(tx.conn, target, Some(id)).map_err(refused)?;
        diesel::update(redirects::table.find(id))
            .set((
                redirects::from_path.eq(&target.from_path),
                redirects::to_path.eq(&target.to_path),
                redirects::code.eq(target.code),
            ))
            .execute(tx.conn)?;
        tx.audit("updated", (Object::Redirect, Some(id)), &summary(target))?;
        Ok(())
    })
}

pub fn remove(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<Redirect, WriteError> {
    actor.require(Permission::ManageRedirects, "manage redirects")?;
    write::transaction(conn, actor, now, |tx| {
        let redirect = by_id(tx.conn, id)?.ok_or(WriteError::NotFound)?;
        diesel::delete(redirects::table.find(id)).execute(tx.conn)?;
        let target = Target {
            from_path: redirect.from_path.clone(),
            to_path: redirect.to_path.clone(),
            code: redirect.code,
        };
        tx.audit("deleted", (Object::Redirect, Some(id)), &summary(&target))?;
        Ok(redirect)
    })
}

/// An address kept alive without the checks (shipped demo content).
pub(crate) fn create_unchecked(
    conn: &mut DbConn,
    from_path: &str,
    to_path: &str,
    code: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    insert(conn, from_path, to_path, code, now)
}

fn insert(
    conn: &mut DbConn,
    from_path: &str,
    to_path: &str,
    code: i32,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    diesel::insert_into(redirects::table)
        .values((
            redirects::from_path.eq(from_path),
            redirects::to_path.eq(to_path),
            redirects::code.eq(code),
            redirects::created_at.eq(now),
        ))
        .execute(conn)
}

/// Content moved from `from` to `to` (paths): `from` answers 301 to `to`. A redirect away
/// from the new address (the content lived there before) is dropped, so moving back and forth
/// never makes a loop, and earlier moves that led to `from` now lead straight to `to`. Call
/// inside the move's transaction.
pub fn follow_move(conn: &mut DbConn, from: &str, to: &str, now: NaiveDateTime) -> QueryResult<()> {
    diesel::delete(
        redirects::table.filter(
            redirects::from_path
                .eq(to)
                .or(redirects::from_path.eq(from)),
        ),
    )
    .execute(conn)?;
    diesel::update(redirects::table.filter(redirects::to_path.eq(from)))
        .set(redirects::to_path.eq(to))
        .execute(conn)?;
    insert(conn, from, to, 301, now).map(drop)
}

pub fn all(conn: &mut DbConn) -> QueryResult<Vec<Redirect>> {
    redirects::table
        .order(redirects::id)
        .select(Redirect::as_select())
        .load(conn)
}

/// The orders the redirects' list offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedirectOrder {
    From,
    To,
}

/// A page of the redirects whose source or target holds `text` (all when empty), in
/// `order`, and how many match in all.
pub fn page(
    conn: &mut DbConn,
    (text, order): (&str, RedirectOrder),
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<Redirect>, i64)> {
    let matching = || {
        let mut query = redirects::table.into_boxed();
        if !text.trim().is_empty() {
            let pattern = crate::db::like_pattern(text.trim());
            query = query.filter(
                diesel::dsl::sql::<diesel::sql_types::Bool>("(lower(from_path) LIKE ")
                    .bind::<diesel::sql_types::Text, _>(pattern.clone())
                    .sql(" ESCAPE '\\' OR lower(to_path) LIKE ")
                    .bind::<diesel::sql_types::Text, _>(pattern)
                    .sql(" ESCAPE '\\')"),
            );
        }
        query
    };
    let total: i64 = matching().count().get_result(conn)?;
    let query = match order {
        RedirectOrder::From => matching().order((redirects::from_path, redirects::id)),
        RedirectOrder::To => matching().order((redirects::to_path, redirects::from_path)),
    };
    let rows = query
        .limit(per_page)
        .offset((page - 1) * per_page)
        .select(Redirect::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Stores an imported redirect, replacing any from the same path. Call inside the import's
/// write transaction.
pub fn save_imported(
    conn: &mut DbConn,
    from_path: &str,
    to_path: &str,
    code: i32,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::delete(redirects::table.filter(redirects::from_path.eq(from_path))).execute(conn)?;
    insert(conn, from_path, to_path, code, now)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_path_that_resolves_to_another_site_is_refused() {
        assert!(Target::parse("/x/", "/a/..//evil.example/", "301").is_err());
    }

    #[test]
    fn targets_are_paths_here_or_web_addresses() {
        let ok = Target::parse(" /old/ ", "https://example.org/new", "302").unwrap();
        assert_eq!(ok.from_path, "/old/");
        assert_eq!(ok.code, 302);
        assert_eq!(Target::parse("/a/", "/b/", "").unwrap().code, 301);
        let unicode = Target::parse("/café/", "/thé/", "301").unwrap();
        assert_eq!(unicode.from_path, "/caf%C3%A9/");
        assert_eq!(unicode.to_path, "/th%C3%A9/");
        let fields = |from, to, code| {
            Target::parse(from, to, code)
                .unwrap_err()
                .into_iter()
                .map(|(field, _)| field)
                .collect::<Vec<_>>()
        };
        assert_eq!(fields("old", "/b/", "301"), ["from_path"]);
        assert_eq!(fields("//evil.example/", "/b/", "301"), ["from_path"]);
        assert_eq!(fields("/a b/", "/b/", "301"), ["from_path"]);
        assert_eq!(fields("/a/?x=1", "/b/", "301"), ["from_path"]);
        assert_eq!(fields("/a/", "javascript:alert(1)", "301"), ["to_path"]);
        assert_eq!(fields("/a/", "/a/", "301"), ["to_path"]);
        assert_eq!(fields("/a/", "/a/./", "301"), ["to_path"]);
        assert_eq!(fields("/a/", "/b/", "307"), ["code"]);
    }
}
