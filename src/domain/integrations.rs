//! Integrations: the programs that use the API. Each has a name, the scopes an owner or
//! admin granted it, a content key (26 hex digits, the form Ghost's clients expect) and an
//! admin key (`quire_` and 48 hex digits) sent as `Authorization: Bearer …`. Keys are shown
//! once, when made or rotated, and stored only as SHA-256 hashes: they are long and random,
//! so there is nothing to guess from a hash, and a lookup by hash is one indexed read.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::permissions::Permission;
use crate::auth::tokens::hash_token;
use crate::db::schema::integrations;
use crate::db::{DbConn, stored_as_text};
use crate::domain::audit::Object;
use crate::domain::changes::Touched;
use crate::domain::input::FieldErrors;
use crate::domain::users::Role;
use crate::domain::write::{self, Actor, WriteError};

stored_as_text! {
    /// What an integration may do through the API.
    pub enum Scope {
        /// Read the content API when the site asks for a key.
        ContentRead => "content:read",
        /// Create, edit, publish and delete posts, pages and tags.
        PostsWrite => "posts:write",
        /// Upload images to the media library.
        MediaWrite => "media:write",
        /// List, invite, change and remove staff and members.
        UsersManage => "users:manage",
        /// Read and change the site's settings and redirects.
        SettingsManage => "settings:manage",
    }
}

impl Scope {
    /// What a role must be allowed to use this scope through a personal token.
    pub fn permission(self) -> Permission {
        match self {
            Scope::ContentRead => Permission::UseAdmin,
            Scope::PostsWrite => Permission::WriteDrafts,
            Scope::MediaWrite => Permission::UploadMedia,
            Scope::UsersManage => Permission::ManageStaff,
            Scope::SettingsManage => Permission::ManageSettings,
        }
    }

    /// What the scope allows, for the admin's form.
    pub fn describe(self) -> &'static str {
        match self {
            Scope::ContentRead => "Read published content",
            Scope::PostsWrite => "Write, publish and delete posts, pages and tags",
            Scope::MediaWrite => "Upload images",
            Scope::UsersManage => "Manage staff and members",
            Scope::SettingsManage => "Change settings and redirects",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = integrations)]
pub struct Integration {
    pub id: i64,
    pub name: String,
    scopes: String,
    pub admin_key_hint: String,
    pub created_at: NaiveDateTime,
    pub rotated_at: Option<NaiveDateTime>,
    pub last_used_at: Option<NaiveDateTime>,
    pub revoked_at: Option<NaiveDateTime>,
    /// The member of staff a personal token acts as; `None` for an integration.
    pub user_id: Option<i64>,
}

impl Integration {
    pub fn scopes(&self) -> Vec<Scope> {
        self.scopes
            .split_whitespace()
            .filter_map(Scope::parse)
            .collect()
    }

    pub fn allows(&self, scope: Scope) -> bool {
        self.scopes().contains(&scope)
    }

    pub fn is_revoked(&self) -> bool {
        self.revoked_at.is_some()
    }

    /// Who the integration is in the audit log and to the use cases: an admin's powers,
    /// narrowed by its scopes before any use case is called.
    pub fn actor(&self) -> Actor {
        Actor {
            id: None,
            name: format!("Integration: {}", self.name),
            role: Role::Admin,
        }
    }
}

/// A new pair of keys, to show once.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Keys {
    pub content_key: String,
    pub admin_key: String,
}

impl Keys {
    fn generate() -> Keys {
        let random = |bytes: usize| {
            let mut buffer = vec![0u8; bytes];
            getrandom::fill(&mut buffer).expect("the operating system's random source");
            hex::encode(buffer)
        };
        Keys {
            content_key: random(13),
            admin_key: format!("quire_{}", random(24)),
        }
    }

    fn hint(&self) -> String {
        self.admin_key[self.admin_key.len() - 4..].to_string()
    }
}

pub const MAX_NAME: usize = 80;

/// A name and scopes as typed, checked.
pub fn parse(name: &str, scopes: &[String]) -> Result<(String, Vec<Scope>), FieldErrors> {
    let mut errors = FieldErrors::default();
    let name = errors.text("name", "The name", name, MAX_NAME);
    if name.is_empty() && errors.get("name").is_none() {
        errors.add(
            "name",
            "Give the integration a name, such as the program that uses it.",
        );
    }
    let mut chosen = Vec::new();
    for raw in scopes {
        match Scope::parse(raw.trim()) {
            Some(scope) if !chosen.contains(&scope) => chosen.push(scope),
            Some(_) => {}
            None => {
                let names: Vec<&str> = Scope::ALL.iter().map(|s| s.as_str()).collect();
                errors.add(
                    "scopes",
                    format!("'{raw}' is not a scope; choose from {}.", names.join(", ")),
                );
            }
        }
    }
    if chosen.is_empty() && errors.get("scopes").is_none() {
        errors.add(
            "scopes",
            "Choose at least one thing the integration may do.",
        );
    }
    chosen.sort_by_key(|s| Scope::ALL.iter().position(|a| a == s));
    errors.into_result((name, chosen))
}

fn scopes_text(scopes: &[Scope]) -> String {
    scopes
        .iter()
        .map(|s| s.as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Makes an integration and its keys.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    (name, scopes): (&str, &[Scope]),
    now: NaiveDateTime,
) -> Result<(Integration, Keys), WriteError> {
    actor.require(Permission::ManageSettings, "manage integrations")?;
    let keys = Keys::generate();
    write::transaction(conn, actor, now, |tx| {
        diesel::insert_into(integrations::table)
            .values((
                integrations::name.eq(name),
                integrations::scopes.eq(scopes_text(scopes)),
                integrations::content_key_hash.eq(hash_token(&keys.content_key)),
                integrations::admin_key_hash.eq(hash_token(&keys.admin_key)),
                integrations::admin_key_hint.eq(keys.hint()),
                integrations::created_by.eq(actor.id),
                integrations::created_at.eq(now),
            ))
            .execute(tx.conn)?;
        let made: Integration = integrations::table
            .filter(integrations::admin_key_hash.eq(hash_token(&keys.admin_key)))
            .select(Integration::as_select())
            .first(tx.conn)?;
        tx.audit("created", (Object::Integration, Some(made.id)), name)?;
        Ok((made, keys.clone()))
    })
}

/// New keys for an integration; the old ones stop working at once.
pub fn rotate(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<Keys, WriteError> {
    actor.require(Permission::ManageSettings, "manage integrations")?;
    let keys = Keys::generate();
    write::transaction(conn, actor, now, |tx| {
        let current = live(tx.conn, id)?;
        // Someone's personal token is theirs alone: its keys are never shown to another.
        if current.user_id.is_some() {
            return Err(WriteError::NotFound);
        }
        diesel::update(integrations::table.find(id))
            .set((
                integrations::content_key_hash.eq(hash_token(&keys.content_key)),
                integrations::admin_key_hash.eq(hash_token(&keys.admin_key)),
                integrations::admin_key_hint.eq(keys.hint()),
                integrations::rotated_at.eq(now),
            ))
            .execute(tx.conn)?;
        tx.audit(
            "rotated the keys of",
            (Object::Integration, Some(id)),
            &current.name,
        )?;
        // Answers the page cache keeps for the old content key must not outlive it.
        tx.touch(Touched::Site);
        Ok(keys.clone())
    })
}

/// Stops an integration's keys for good (the integration stays listed, as revoked).
pub fn revoke(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    actor.require(Permission::ManageSettings, "manage integrations")?;
    write::transaction(conn, actor, now, |tx| {
        let current = live(tx.conn, id)?;
        diesel::update(integrations::table.find(id))
            .set(integrations::revoked_at.eq(now))
            .execute(tx.conn)?;
        tx.audit("revoked", (Object::Integration, Some(id)), &current.name)?;
        tx.touch(Touched::Site);
        Ok(())
    })
}

/// Makes a personal token for the actor: an admin key that acts as them, with their role's
/// rights and no more. Staff only; members have nothing to do through the admin API.
pub fn create_personal(
    conn: &mut DbConn,
    actor: &Actor,
    name: &str,
    now: NaiveDateTime,
) -> Result<(Integration, Keys), WriteError> {
    actor.require(Permission::UseAdmin, "make personal tokens")?;
    let Some(user_id) = actor.id else {
        return Err(WriteError::forbidden("make personal tokens"));
    };
    let keys = Keys::generate();
    write::transaction(conn, actor, now, |tx| {
        diesel::insert_into(integrations::table)
            .values((
                integrations::name.eq(name),
                integrations::scopes.eq(scopes_text(Scope::ALL)),
                integrations::content_key_hash.eq(hash_token(&keys.content_key)),
                integrations::admin_key_hash.eq(hash_token(&keys.admin_key)),
                integrations::admin_key_hint.eq(keys.hint()),
                integrations::created_by.eq(Some(user_id)),
                integrations::created_at.eq(now),
                integrations::user_id.eq(Some(user_id)),
            ))
            .execute(tx.conn)?;
        let made: Integration = integrations::table
            .filter(integrations::admin_key_hash.eq(hash_token(&keys.admin_key)))
            .select(Integration::as_select())
            .first(tx.conn)?;
        tx.audit(
            "made the personal token",
            (Object::Integration, Some(made.id)),
            name,
        )?;
        Ok((made, keys.clone()))
    })
}

/// Someone's personal tokens, live ones first, newest first.
pub fn personal(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<Integration>> {
    integrations::table
        .filter(integrations::user_id.eq(user_id))
        .order((
            integrations::revoked_at.is_not_null(),
            integrations::id.desc(),
        ))
        .select(Integration::as_select())
        .load(conn)
}

/// Revokes one of the actor's own personal tokens.
pub fn revoke_personal(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<Integration, WriteError> {
    write::transaction(conn, actor, now, |tx| {
        let token = live(tx.conn, id)?;
        if token.user_id.is_none() || token.user_id != actor.id {
            return Err(WriteError::NotFound);
        }
        diesel::update(integrations::table.find(id))
            .set(integrations::revoked_at.eq(now))
            .execute(tx.conn)?;
        tx.audit(
            "revoked the personal token",
            (Object::Integration, Some(id)),
            &token.name,
        )?;
        Ok(token)
    })
}

/// An integration that is not revoked.
fn live(conn: &mut DbConn, id: i64) -> Result<Integration, WriteError> {
    by_id(conn, id)?
        .filter(|i| !i.is_revoked())
        .ok_or(WriteError::NotFound)
}

pub fn by_id(conn: &mut DbConn, id: i64) -> QueryResult<Option<Integration>> {
    integrations::table
        .find(id)
        .select(Integration::as_select())
        .first(conn)
        .optional()
}

/// Every integration (not personal tokens), live ones first, newest first.
pub fn list(conn: &mut DbConn) -> QueryResult<Vec<Integration>> {
    integrations::table
        .filter(integrations::user_id.is_null())
        .order((
            integrations::revoked_at.is_not_null(),
            integrations::id.desc(),
        ))
        .select(Integration::as_select())
        .load(conn)
}

/// Which key a request presented.
#[derive(Debug, Clone, Copy)]
pub enum KeyKind {
    Content,
    Admin,
}

/// The live integration whose key this is; `None` for unknown and revoked keys alike.
pub fn authenticate(
    conn: &mut DbConn,
    kind: KeyKind,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<Option<Integration>> {
    let hash = hash_token(key.trim());
    let query = integrations::table
        .filter(integrations::revoked_at.is_null())
        .select(Integration::as_select())
        .into_boxed();
    let query = match kind {
        KeyKind::Content => query.filter(integrations::content_key_hash.eq(hash)),
        KeyKind::Admin => query.filter(integrations::admin_key_hash.eq(hash)),
    };
    let Some(found) = query.first(conn).optional()? else {
        return Ok(None);
    };
    // "Last used" to the minute is enough, and spares a write on most requests.
    if found
        .last_used_at
        .is_none_or(|at| now - at >= Duration::minutes(1))
    {
        diesel::update(integrations::table.find(found.id))
            .set(integrations::last_used_at.eq(now))
            .execute(conn)?;
    }
    Ok(Some(found))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_are_long_random_and_in_the_expected_forms() {
        let (a, b) = (Keys::generate(), Keys::generate());
        assert_eq!(a.content_key.len(), 26);
        assert!(a.content_key.chars().all(|c| c.is_ascii_hexdigit()));
        assert!(a.admin_key.starts_with("quire_") && a.admin_key.len() == 54);
        assert_ne!(a.admin_key, b.admin_key);
        assert_ne!(a.content_key, b.content_key);
        assert_eq!(a.hint(), &a.admin_key[50..]);
    }

    #[test]
    fn names_and_scopes_are_checked() {
        let scopes = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let (name, chosen) = parse(
            " Newsroom ",
            &scopes(&["posts:write", "content:read", "posts:write"]),
        )
        .unwrap();
        assert_eq!(name, "Newsroom");
        assert_eq!(chosen, [Scope::ContentRead, Scope::PostsWrite]);
        let errors = parse("", &scopes(&["root"])).unwrap_err();
        assert!(errors.get("name").is_some());
        assert!(
            errors
                .get("scopes")
                .unwrap()
                .contains("'root' is not a scope")
        );
        assert!(parse("x", &[]).unwrap_err().get("scopes").is_some());
    }
}
