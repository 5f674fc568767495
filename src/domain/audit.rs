//! The audit log: who did what to which object, and when. Every admin action records one
//! entry inside the transaction that makes the change, so the log and the data never
//! disagree. The actor's name is copied into the entry so it outlives their account.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::audit_log;
use crate::db::{DbConn, stored_as_text};
use crate::domain::posts::PostKind;
use crate::domain::write::Actor;

stored_as_text! {
    /// What an entry is about.
    pub enum Object {
        Post => "post",
        Page => "page",
        Tag => "tag",
        User => "user",
        Settings => "settings",
        Redirect => "redirect",
        Media => "image",
        Job => "job",
        Import => "import",
        Comment => "comment",
        Integration => "integration",
    }
}

impl Object {
    /// A post's or page's kind as an audited object.
    pub fn of_kind(kind: PostKind) -> Object {
        match kind {
            PostKind::Page => Object::Page,
            PostKind::Post => Object::Post,
        }
    }
}

/// Records that `actor` did `action` (a past-tense verb: "published", "changed the role of")
/// to an object, with a line describing it. Call inside the change's transaction.
pub fn record(
    conn: &mut DbConn,
    actor: &Actor,
    action: &str,
    object: (Object, Option<i64>),
    summary: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::insert_into(audit_log::table)
        .values((
            audit_log::actor_id.eq(actor.id),
            audit_log::actor_name.eq(&actor.name),
            audit_log::action.eq(action),
            audit_log::object_type.eq(object.0),
            audit_log::object_id.eq(object.1),
            audit_log::summary.eq(truncate(summary, 300)),
            audit_log::created_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

fn truncate(text: &str, max: usize) -> String {
    match text.char_indices().nth(max) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_string(),
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct Entry {
    pub id: i64,
    pub actor_id: Option<i64>,
    pub actor_name: String,
    pub action: String,
    pub object_type: Object,
    pub object_id: Option<i64>,
    pub summary: String,
    pub created_at: NaiveDateTime,
}

#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub actor_id: Option<i64>,
    pub object: Option<Object>,
    /// Entries older than this id (the next page's cursor).
    pub before: Option<i64>,
}

/// Newest first, `limit` entries matching `filter`; also whether more follow. Pages by id
/// (a keyset), so the thousandth page costs what the first does.
pub fn list(conn: &mut DbConn, filter: &Filter, limit: i64) -> QueryResult<(Vec<Entry>, bool)> {
    let mut query = audit_log::table.into_boxed();
    if let Some(actor) = filter.actor_id {
        query = query.filter(audit_log::actor_id.eq(actor));
    }
    if let Some(object) = filter.object {
        query = query.filter(audit_log::object_type.eq(object));
    }
    if let Some(before) = filter.before {
        query = query.filter(audit_log::id.lt(before));
    }
    let mut entries: Vec<Entry> = query
        .order(audit_log::id.desc())
        .limit(limit + 1)
        .select(Entry::as_select())
        .load(conn)?;
    let more = entries.len() as i64 > limit;
    entries.truncate(limit as usize);
    Ok((entries, more))
}

/// How many entries `filter` matches in all (its cursor aside).
pub fn count(conn: &mut DbConn, filter: &Filter) -> QueryResult<i64> {
    let mut query = audit_log::table.into_boxed();
    if let Some(actor) = filter.actor_id {
        query = query.filter(audit_log::actor_id.eq(actor));
    }
    if let Some(object) = filter.object {
        query = query.filter(audit_log::object_type.eq(object));
    }
    query.count().get_result(conn)
}

/// The newest entries, for the dashboard's recent activity.
pub fn recent(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<Entry>> {
    list(conn, &Filter::default(), limit).map(|(entries, _)| entries)
}

/// Everyone who appears in the log, for the filter's choices: (id, name), by name.
pub fn actors(conn: &mut DbConn) -> QueryResult<Vec<(i64, String)>> {
    let mut actors: Vec<(Option<i64>, String)> = audit_log::table
        .filter(audit_log::actor_id.is_not_null())
        .select((audit_log::actor_id, audit_log::actor_name))
        .distinct()
        .load(conn)?;
    actors.sort_by_key(|(_, name)| name.to_lowercase());
    let mut seen = std::collections::HashSet::new();
    Ok(actors
        .into_iter()
        .filter_map(|(id, name)| id.map(|id| (id, name)))
        .filter(|(id, _)| seen.insert(*id))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_summaries_are_cut_on_a_character() {
        assert_eq!(truncate("short", 300), "short");
        let long = "é".repeat(400);
        let cut = truncate(&long, 300);
        assert_eq!(cut.chars().count(), 301);
        assert!(cut.ends_with('…'));
    }

    #[test]
    fn objects_read_back_what_they_write() {
        for object in Object::ALL {
            assert_eq!(Object::parse(object.as_str()), Some(*object));
        }
        assert_eq!(Object::parse("nonsense"), None);
        assert_eq!(Object::of_kind(PostKind::Page), Object::Page);
    }
}
