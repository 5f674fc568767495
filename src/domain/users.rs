//! People: staff and members, with their validated email, role and password.

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::users;
use crate::db::{DbConn, stored_as_text, write_transaction};
use crate::error::AppError;
use crate::render::slugify;

stored_as_text! {
    /// What someone may do; stored as text. Ordered from most to least powerful.
    #[derive(PartialOrd, Ord)]
    pub enum Role {
        Owner => "owner",
        Admin => "admin",
        Editor => "editor",
        Author => "author",
        Contributor => "contributor",
        Member => "member",
    }
}

impl Role {
    /// A role as a person types it (on the command line, in an import): any case.
    pub fn from_input(raw: &str) -> Result<Role, UserError> {
        Role::ALL
            .iter()
            .copied()
            .find(|role| role.as_str().eq_ignore_ascii_case(raw.trim()))
            .ok_or_else(|| UserError::UnknownRole(raw.to_string()))
    }

    /// Whether this role stands above `other` (and so may manage them).
    pub fn outranks(self, other: Role) -> bool {
        self < other
    }

    /// Everyone but members uses the admin and may be named as an author.
    pub fn is_staff(self) -> bool {
        self != Role::Member
    }
}

/// A syntactically valid email address, trimmed, with its domain lowercased.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, UserError> {
        let trimmed = raw.trim();
        let invalid = || UserError::InvalidEmail(raw.to_string());
        // Only the bare address: a display name (`Name <a@b>`) would let one account be
        // written many ways, and quoted local parts with spaces are never worth that.
        if trimmed.len() > 254
            || trimmed.contains(['<', '>', '"'])
            || trimmed.contains(char::is_whitespace)
        {
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

/// Passwords too common to protect anything, shipped with Quire (most common first).
const COMMON_PASSWORDS: &str = include_str!("common-passwords.txt");

fn is_common(password: &str) -> bool {
    static LIST: std::sync::OnceLock<std::collections::HashSet<&'static str>> =
        std::sync::OnceLock::new();
    let list = LIST.get_or_init(|| {
        COMMON_PASSWORDS
            .lines()
            .filter(|line| !line.starts_with('#') && !line.is_empty())
            .collect()
    });
    list.contains(password.to_lowercase().as_str())
}

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

    /// A password someone chooses for an account: within bounds, not on the list of common
    /// passwords, and not the account's own email address.
    pub fn choose(raw: String, email: &str) -> Result<Password, UserError> {
        let password = Password::parse(raw)?;
        if is_common(&password.0) {
            return Err(UserError::PasswordCommon);
        }
        if password.0.trim().eq_ignore_ascii_case(email.trim()) {
            return Err(UserError::PasswordIsEmail);
        }
        // No keyboard types them, and some systems a password may one day be moved to
        // cannot hold them (a NUL ends a C string). Only new passwords are checked.
        if password.0.chars().any(char::is_control) {
            return Err(UserError::PasswordHasControls);
        }
        Ok(password)
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
    #[error("this password is too common; choose one that is harder to guess")]
    PasswordCommon,
    #[error("the password cannot be your email address")]
    PasswordIsEmail,
    #[error("the password cannot contain control characters such as NUL or tab")]
    PasswordHasControls,
    #[error("the name cannot contain control or text-direction characters")]
    NameHasControls,
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

/// A display name: trimmed, not empty, at most 100 characters, and free of control and
/// bidirectional-override characters (which could make a name display as something else).
pub fn parse_display_name(raw: &str) -> Result<String, UserError> {
    let name = raw.trim();
    if name.is_empty() {
        return Err(UserError::EmptyName);
    }
    if name.chars().any(is_hidden_control) {
        return Err(UserError::NameHasControls);
    }
    if name.chars().count() > 100 {
        return Err(UserError::NameTooLong);
    }
    Ok(name.to_string())
}

/// Control characters, and the Unicode marks that reorder or hide text.
pub fn is_hidden_control(c: char) -> bool {
    c.is_control()
        || matches!(c, '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}' | '\u{FEFF}')
}

stored_as_text! {
    /// Whether someone can use their account: `pending` until the emailed link is followed
    /// (or the invitation accepted), `suspended` by staff.
    pub enum Status {
        Pending => "pending",
        Active => "active",
        Suspended => "suspended",
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = users)]
pub struct User {
    pub id: i64,
    pub email: String,
    pub display_name: String,
    pub slug: String,
    pub role: Role,
    pub bio: String,
    pub website: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub status: Status,
    /// Sessions started under another value are over (see `sessions::end_all`).
    pub session_epoch: i32,
}

impl User {
    pub fn role(&self) -> Role {
        self.role
    }

    pub fn status(&self) -> Status {
        self.status
    }

    pub fn is_active(&self) -> bool {
        self.status == Status::Active
    }
}

pub struct NewUser {
    pub status: Status,
    pub email: Email,
    pub display_name: String,
    pub role: Role,
    pub bio: String,
    pub website: String,
    /// An argon2id PHC string, or `None` for an account that cannot log in yet.
    pub password_hash: Option<String>,
}

/// Creates a user with a unique slug made from the name. A duplicate email (compared
/// case-insensitively) is refused and nothing is written. Call inside the use case's
/// transaction (`accounts`, `people`).
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
                role: new.role,
                bio: new.bio,
                website: new.website,
                password_hash: new.password_hash,
            },
            now,
        )?;
        let user: User = users::table
            .filter(users::slug.eq(&slug))
            .select(User::as_select())
            .first(conn)?;
        if new.status != Status::Active {
            set_status(conn, user.id, new.status, now)?;
            return Ok(by_id(conn, user.id)?.expect("the user was just created"));
        }
        Ok(user)
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
    pub role: Role,
    pub bio: String,
    pub website: String,
    pub password_hash: Option<String>,
}

/// When each person's profile last changed, by slug (for an export).
pub fn updated_times(
    conn: &mut DbConn,
) -> QueryResult<std::collections::HashMap<String, NaiveDateTime>> {
    Ok(users::table
        .select((users::slug, users::updated_at))
        .load::<(String, NaiveDateTime)>(conn)?
        .into_iter()
        .collect())
}

pub fn all_records(conn: &mut DbConn) -> QueryResult<Vec<UserRecord>> {
    users::table
        .order(users::id)
        .select(UserRecord::as_select())
        .load(conn)
}

/// What an import did with a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Imported {
    /// Someone with this slug or address has an account: it is theirs, left as it is (role,
    /// password and profile included).
    Existing(i64),
    /// A new account; `demoted` when the file made them owner and the site has one, so they
    /// came in as an administrator.
    Created { id: i64, demoted: bool },
}

/// Stores an imported person: never changes an existing account, never makes a second
/// owner. Call inside the import's write transaction.
pub fn save_imported(
    conn: &mut DbConn,
    record: &UserRecord,
    now: NaiveDateTime,
) -> QueryResult<Imported> {
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
    if let Some(id) = existing {
        return Ok(Imported::Existing(id));
    }
    let demoted = record.role == Role::Owner && owner_exists(conn)?;
    let record = UserRecord {
        role: if demoted { Role::Admin } else { record.role },
        ..record.clone()
    };
    insert(conn, &record, now)?;
    let id = users::table
        .filter(users::slug.eq(&record.slug))
        .select(users::id)
        .first(conn)?;
    Ok(Imported::Created { id, demoted })
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

pub fn by_id(conn: &mut DbConn, id: i64) -> QueryResult<Option<User>> {
    users::table
        .find(id)
        .select(User::as_select())
        .first(conn)
        .optional()
}

/// The user with this email (compared case-insensitively) and their password hash.
pub fn by_email(conn: &mut DbConn, email: &Email) -> QueryResult<Option<(User, Option<String>)>> {
    users::table
        .filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("lower(email) = lower(")
                .bind::<diesel::sql_types::Text, _>(email.as_str().to_string())
                .sql(")"),
        )
        .select((User::as_select(), users::password_hash))
        .first(conn)
        .optional()
}

pub fn password_hash(conn: &mut DbConn, id: i64) -> QueryResult<Option<String>> {
    users::table
        .find(id)
        .select(users::password_hash)
        .first(conn)
}

pub fn set_password_hash(
    conn: &mut DbConn,
    id: i64,
    hash: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((users::password_hash.eq(hash), users::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

pub fn set_status(
    conn: &mut DbConn,
    id: i64,
    status: Status,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((users::status.eq(status), users::updated_at.eq(now)))
        .execute(conn)
        .map(drop)
}

/// What a person may change about themselves on their account page.
pub struct Profile {
    pub display_name: String,
    pub bio: String,
    pub website: String,
}

pub fn update_profile(
    conn: &mut DbConn,
    id: i64,
    profile: &Profile,
    now: NaiveDateTime,
) -> QueryResult<()> {
    diesel::update(users::table.find(id))
        .set((
            users::display_name.eq(&profile.display_name),
            users::bio.eq(&profile.bio),
            users::website.eq(&profile.website),
            users::updated_at.eq(now),
        ))
        .execute(conn)
        .map(drop)
}

/// Moves the account to a confirmed new address; refused if another account has it. Call
/// inside the use case's transaction.
pub fn change_email(
    conn: &mut DbConn,
    id: i64,
    email: &Email,
    now: NaiveDateTime,
) -> Result<(), UserError> {
    if email_exists(conn, email)? {
        return Err(UserError::EmailTaken);
    }
    diesel::update(users::table.find(id))
        .set((users::email.eq(email.as_str()), users::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// Whether an owner exists yet (the setup page only works until one does).
/// The owner's id, when the site has one.
pub fn owner_id(conn: &mut DbConn) -> QueryResult<Option<i64>> {
    users::table
        .filter(users::role.eq(Role::Owner))
        .select(users::id)
        .first(conn)
        .optional()
}

pub fn owner_exists(conn: &mut DbConn) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        users::table.filter(users::role.eq(Role::Owner)),
    ))
    .get_result(conn)
}

/// Where a site stands with its first-run setup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Setup {
    /// It has an owner.
    Done,
    /// No owner, but accounts (imported, or made from the command line).
    NoOwner,
    /// Nobody at all: a sign-in form would lead nowhere.
    NobodyYet,
}

pub fn setup_state(conn: &mut DbConn) -> QueryResult<Setup> {
    if owner_exists(conn)? {
        return Ok(Setup::Done);
    }
    Ok(if count(conn)? > 0 {
        Setup::NoOwner
    } else {
        Setup::NobodyYet
    })
}

/// Staff (everyone but members), most powerful first.
pub fn staff(conn: &mut DbConn) -> QueryResult<Vec<User>> {
    let mut staff: Vec<User> = users::table
        .filter(users::role.ne(Role::Member))
        .select(User::as_select())
        .load(conn)?;
    staff.sort_by_key(|u| (u.role(), u.display_name.to_lowercase()));
    Ok(staff)
}

pub fn count_by_role(conn: &mut DbConn, role: Role) -> QueryResult<i64> {
    users::table
        .filter(users::role.eq(role))
        .count()
        .get_result(conn)
}

/// Deletes the account. Sessions and tokens go with it (foreign keys cascade). Call inside
/// the use case's transaction.
pub fn delete(conn: &mut DbConn, id: i64) -> QueryResult<()> {
    diesel::delete(users::table.find(id))
        .execute(conn)
        .map(drop)
}

/// The orders the members' list offers.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MemberOrder {
    /// Newest first.
    Joined,
    Name,
}

/// Members whose name or address holds `text` (all when empty).
fn matching_members(text: &str) -> users::BoxedQuery<'static, crate::db::MultiBackend> {
    let mut query = users::table
        .filter(users::role.eq(Role::Member))
        .into_boxed();
    let text = text.trim();
    if !text.is_empty() {
        let pattern = crate::db::like_pattern(text);
        query = query.filter(
            diesel::dsl::sql::<diesel::sql_types::Bool>("(lower(email) LIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern.clone())
                .sql(" ESCAPE '\\' OR lower(display_name) LIKE ")
                .bind::<diesel::sql_types::Text, _>(pattern)
                .sql(" ESCAPE '\\')"),
        );
    }
    query
}

/// A page of the members matching `text` with `status` (any when `None`), in `order`, and
/// how many match in all.
pub fn members(
    conn: &mut DbConn,
    (text, status, order): (&str, Option<Status>, MemberOrder),
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<User>, i64)> {
    let filtered = || {
        let query = matching_members(text);
        match status {
            Some(status) => query.filter(users::status.eq(status)),
            None => query,
        }
    };
    let total: i64 = filtered().count().get_result(conn)?;
    let query = match order {
        MemberOrder::Joined => filtered().order((users::created_at.desc(), users::id.desc())),
        // Case aside, on both databases alike.
        MemberOrder::Name => filtered().order((
            diesel::dsl::sql::<diesel::sql_types::Text>("lower(display_name)"),
            users::id,
        )),
    };
    let rows = query
        .limit(per_page)
        .offset((page - 1) * per_page)
        .select(User::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// How many members matching `text` have each status.
pub fn member_counts(conn: &mut DbConn, text: &str) -> QueryResult<Vec<(Status, i64)>> {
    let mut counts = Vec::new();
    for &status in Status::ALL {
        let count: i64 = matching_members(text)
            .filter(users::status.eq(status))
            .count()
            .get_result(conn)?;
        counts.push((status, count));
    }
    Ok(counts)
}

/// What staff may change about someone from the admin.
pub struct Changes {
    pub display_name: String,
    pub email: Email,
    pub role: Role,
    pub status: Status,
}

/// Applies an admin's changes to an account. Suspending ends the person's sessions. Call
/// inside a write transaction.
pub fn apply_changes(
    conn: &mut DbConn,
    id: i64,
    changes: &Changes,
    now: NaiveDateTime,
) -> Result<(), UserError> {
    let taken = by_email(conn, &changes.email)?.is_some_and(|(other, _)| other.id != id);
    if taken {
        return Err(UserError::EmailTaken);
    }
    diesel::update(users::table.find(id))
        .set((
            users::display_name.eq(&changes.display_name),
            users::email.eq(changes.email.as_str()),
            users::role.eq(changes.role),
            users::status.eq(changes.status),
            users::updated_at.eq(now),
        ))
        .execute(conn)?;
    if changes.status == Status::Suspended {
        super::sessions::end_all(conn, id, None)?;
    }
    Ok(())
}

/// Hands the site from its owner to `heir`, who becomes owner; the old owner becomes an
/// admin. Call inside a write transaction.
pub fn transfer_ownership(
    conn: &mut DbConn,
    owner: i64,
    heir: i64,
    now: NaiveDateTime,
) -> QueryResult<()> {
    // The owner steps down first: the database holds one owner at a time.
    diesel::update(users::table.find(owner))
        .set((users::role.eq(Role::Admin), users::updated_at.eq(now)))
        .execute(conn)?;
    diesel::update(users::table.find(heir))
        .set((users::role.eq(Role::Owner), users::updated_at.eq(now)))
        .execute(conn)?;
    Ok(())
}

/// Removes an account, crediting its posts to `heir` first (where `heir` is not already
/// an author of them), so no post is left without an author. Call inside a write
/// transaction.
pub fn remove(conn: &mut DbConn, id: i64, heir: i64) -> QueryResult<()> {
    use crate::db::schema::post_authors;
    let heir_posts: Vec<i64> = post_authors::table
        .filter(post_authors::user_id.eq(heir))
        .select(post_authors::post_id)
        .load(conn)?;
    diesel::delete(
        post_authors::table
            .filter(post_authors::user_id.eq(id))
            .filter(post_authors::post_id.eq_any(&heir_posts)),
    )
    .execute(conn)?;
    diesel::update(post_authors::table.filter(post_authors::user_id.eq(id)))
        .set(post_authors::user_id.eq(heir))
        .execute(conn)?;
    diesel::delete(users::table.find(id)).execute(conn)?;
    Ok(())
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
            "x <owner@example.com>",
            "<owner@example.com>",
            "\"x y\"@example.com",
            "owner@example.com\u{0}",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
        assert!(Email::parse(&format!("{}@example.com", "a".repeat(250))).is_err());
    }

    #[test]
    fn roles_parse_case_insensitively() {
        assert_eq!(Role::from_input("Owner").unwrap(), Role::Owner);
        assert!(matches!(
            Role::from_input("king"),
            Err(UserError::UnknownRole(_))
        ));
        assert_eq!(Role::parse("Owner"), None, "stored roles are exact");
        assert!(Role::Owner.outranks(Role::Admin));
        assert!(!Role::Admin.outranks(Role::Admin));
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
