//! People: staff and members, with their validated email, role and password.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::{DbConn, write_transaction};
use crate::error::AppError;
use crate::render::slugify;

/// What someone may do; stored as text. Ordered from most to least powerful.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Role {
    Owner,
    Admin,
    Editor,
    Author,
    Contributor,
    Member,
}

impl Role {
    pub const ALL: [Role; 6] = [
        Role::Owner,
        Role::Admin,
        Role::Editor,
        Role::Author,
        Role::Contributor,
        Role::Member,
    ];

    pub fn parse(raw: &str) -> Result<Role, UserError> {
        Role::ALL
            .into_iter()
            .find(|role| role.as_str().eq_ignore_ascii_case(raw.trim()))
            .ok_or_else(|| UserError::UnknownRole(raw.to_string()))
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Owner => "owner",
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Author => "author",
            Role::Contributor => "contributor",
            Role::Member => "member",
        }
    }
}

/// A syntactically valid email address, trimmed, with its domain lowercased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, UserError> {
        let trimmed = raw.trim();
        let invalid = || UserError::InvalidEmail(raw.to_string());
        if trimmed.len() > 254 {
            return Err(invalid());
        }
        let parsed: email_address::EmailAddress = trimmed.parse().map_err(|_| invalid())?;
        let (local, domain) = (parsed.local_part(), parsed.domain());
        // Internationalised domains are accepted; a dotless domain is almost always a typo.
        if !domain.contains('.') || domain.starts_with('[') {
            return Err(invalid());
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A password within the accepted length. Never printed.
pub struct Password(String);

pub const MIN_PASSWORD_CHARS: usize = 8;
pub const MAX_PASSWORD_CHARS: usize = 1024;

impl Password {
    pub fn parse(raw: String) -> Result<Password, UserError> {
        let length = raw.chars().count();
        if length < MIN_PASSWORD_CHARS {
            return Err(UserError::PasswordTooShort);
        }
        if length > MAX_PASSWORD_CHARS {
            return Err(UserError::PasswordTooLong);
        }
        Ok(Password(raw))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for Password {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Password(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UserError {
    #[error("'{0}' is not a valid email address")]
    InvalidEmail(String),
    #[error("an account with this email address already exists")]
    EmailTaken,
    #[error("unknown role '{0}' (use one of: owner, admin, editor, author, contributor, member)")]
    UnknownRole(String),
    #[error("the name cannot be empty")]
    EmptyName,
    #[error("the name can be at most 100 characters")]
    NameTooLong,
    #[error("the password must be at least {MIN_PASSWORD_CHARS} characters")]
    PasswordTooShort,
    #[error("the password can be at most {MAX_PASSWORD_CHARS} characters")]
    PasswordTooLong,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl From<UserError> for AppError {
    fn from(error: UserError) -> AppError {
        match error {
            UserError::Database(e) => e.into(),
            other => AppError::BadRequest(other.to_string()),
        }
    }
}

/// A display name: trimmed, not empty, at most 100 characters.
pub fn parse_display_name(raw: &str) -> Result<String, UserError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(UserError::EmptyName);
    }
    if name.chars().count() > 100 {
        return Err(UserError::NameTooLong);
    }
    Ok(name.to_string())
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub slug: String,
    pub role: String,
    pub bio: String,
    pub website: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

pub struct NewUser {
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    pub bio: String,
    pub website: String,
    /// An argon2id PHC string, or `None` for an account that cannot log in yet.
    pub password_hash: Option<String>,
}

/// Creates a user with a unique slug made from the name. A duplicate email (compared
/// case-insensitively) is refused and nothing is written.
pub fn create(conn: &mut DbConn, new: NewUser, now: NaiveDateTime) -> Result<User, UserError> {
    write_transaction(conn, |conn| {
        if email_exists(conn, &new.email)? {
            return Err(UserError::EmailTaken);
        }
        let slug = unique_slug(conn, &slugify(&new.display_name))?;
        insert(
            conn,
            &UserRecord {
                email: new.email.as_str().to_string(),
                display_name: new.display_name,
                slug: slug.clone(),
                role: new.role.as_str().to_string(),
                bio: new.bio,
                website: new.website,
                password_hash: new.password_hash,
            },
            now,
        )?;
        Ok(users::table
            .filter(users::slug.eq(&slug))
            .select(User::as_select())
            .first(conn)?)
    })
}

fn email_exists(conn: &mut DbConn, email: &Email) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = lower(")
                .bind::<diesel::sql_types::Text, _>(email.as_str().to_string())
                .sql(")"),
        ),
    ))
    .get_result(conn)
}

fn unique_slug(conn: &mut DbConn, base: &str) -> QueryResult<String> {
    let taken: Vec<String> = users::table
        .filter(users::slug.like(format!("{base}%")))
        .select(users::slug)
        .load(conn)?;
    let mut candidate = base.to_string();
    let mut n = 2;
    while taken.contains(&candidate) {
        candidate = format!("{base}-{n}");
        n += 1;
    }
    Ok(candidate)
}

/// A user as an export carries them, password hash included.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct UserRecord {
    pub email: String,
    pub display_name: String,
    pub slug: String,
    pub role: String,
    pub bio: String,
    pub website: String,
    pub password_hash: Option<String>,
}

pub fn all_records(conn: &mut DbConn) -> QueryResult<Vec<UserRecord>> {
    users::table
        .order(users::id)
        .select(UserRecord::as_select())
        .load(conn)
}

/// Stores an imported user: updates the one with the same slug or email, else creates it.
/// Returns the user's id. Call inside the import's write transaction.
pub fn save_imported(
    conn: &mut DbConn,
    record: &UserRecord,
    now: NaiveDateTime,
) -> QueryResult<i64> {
    let existing: Option<i64> = users::table
        .filter(
            users::slug
                .eq(&record.slug)
                .or(
                    diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = lower(")
                        .bind::<diesel::sql_types::Text, _>(record.email.clone())
                        .sql(")"),
                ),
        )
        .select(users::id)
        .first(conn)
        .optional()?;
    match existing {
        Some(id) => {
            diesel::update(users::table.filter(users::id.eq(id)))
                .set((
                    users::display_name.eq(&record.display_name),
                    users::role.eq(&record.role),
                    users::bio.eq(&record.bio),
                    users::website.eq(&record.website),
                    users::updated_at.eq(now),
                ))
                .execute(conn)?;
            if record.password_hash.is_some() {
                diesel::update(users::table.filter(users::id.eq(id)))
                    .set(users::password_hash.eq(&record.password_hash))
                    .execute(conn)?;
            }
            Ok(id)
        }
        None => {
            insert(conn, record, now)?;
            users::table
                .filter(users::slug.eq(&record.slug))
                .select(users::id)
                .first(conn)
        }
    }
}

fn insert(conn: &mut DbConn, record: &UserRecord, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::insert_into(users::table)
        .values((
            users::email.eq(&record.email),
            users::display_name.eq(&record.display_name),
            users::slug.eq(&record.slug),
            users::role.eq(&record.role),
            users::bio.eq(&record.bio),
            users::website.eq(&record.website),
            users::password_hash.eq(&record.password_hash),
            users::created_at.eq(now),
            users::updated_at.eq(now),
        ))
        .execute(conn)
}

pub fn by_slug(conn: &mut DbConn, slug: &str) -> QueryResult<Option<User>> {
    users::table
        .filter(users::slug.eq(slug))
        .select(User::as_select())
        .first(conn)
        .optional()
}

pub fn count(conn: &mut DbConn) -> QueryResult<i64> {
    users::table.count().get_result(conn)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn emails_are_normalised_and_validated() {
        assert_eq!(
            Email::parse("  Ada@Example.COM ").unwrap().as_str(),
            "Ada@example.com"
        );
        assert!(
            Email::parse("ada@bücher.example").is_ok(),
            "IDN domains are accepted"
        );
        for bad in [
            "",
            "ada",
            "ada@",
            "@example.com",
            "ada@localhost",
            "a b@example.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn roles_parse_case_insensitively() {
        assert_eq!(Role::parse("Owner").unwrap(), Role::Owner);
        assert!(matches!(
            Role::parse("king"),
            Err(UserError::UnknownRole(_))
        ));
    }

    #[test]
    fn passwords_have_bounds_and_hide_themselves() {
        assert!(matches!(
            Password::parse("short".into()),
            Err(UserError::PasswordTooShort)
        ));
        assert!(matches!(
            Password::parse("x".repeat(1025)),
            Err(UserError::PasswordTooLong)
        ));
        let ok = Password::parse("long enough".into()).unwrap();
        assert_eq!(format!("{ok:?}"), "Password(***)");
    }
}
