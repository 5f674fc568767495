//! Accounts as their holders use them: signing up and confirming, asking for mailed links,
//! resetting a password, accepting an invitation, changing one's profile, address and
//! password, ending one's sessions and deleting the account. Each is one use case; the web
//! layer only hashes passwords first (never inside a transaction) and shows the outcome.
//!
//! Answers that could tell a stranger whether an address has an account are the same either
//! way; what differs goes by mail to the address itself.

use chrono::NaiveDateTime;

use crate::db::DbConn;
use crate::domain::changes::Touched;
use crate::domain::input::FieldErrors;
use crate::domain::people;
use crate::domain::posts;
use crate::domain::sessions;
use crate::domain::tokens::{self, Purpose};
use crate::domain::users::{
    self, Email, NewUser, Password, Profile, Role, Status, User, UserError,
};
use crate::domain::webhooks::Event;
use crate::domain::write::{self, Actor, WriteError};
use crate::mail::{Letterhead, messages};

/// The longest bio and website accepted.
pub const MAX_BIO: usize = 2000;
pub const MAX_WEBSITE: usize = 500;

/// A new account's address, name and password, checked (the password is hashed next, by the
/// caller, outside any transaction).
pub fn parse_new_account(
    email: &str,
    name: &str,
    password: &str,
) -> Result<(Email, String, Password), FieldErrors> {
    let mut errors = FieldErrors::default();
    let email_typed = email.trim();
    let email = errors.check("email", Email::parse(email));
    let name = errors.check("display_name", users::parse_display_name(name));
    let password = errors.check("password", Password::choose(password.into(), email_typed));
    match (email, name, password) {
        (Some(email), Some(name), Some(password)) if errors.is_empty() => {
            Ok((email, name, password))
        }
        _ => Err(errors),
    }
}

/// Signs someone up: a pending member with the mailed confirmation link. An address waiting
/// for confirmation starts over with these details; an address with an account gets a note
/// instead, and nobody else learns anything.
pub fn sign_up(
    conn: &mut DbConn,
    head: &Letterhead,
    email: Email,
    display_name: String,
    password_hash: String,
) -> Result<(), WriteError> {
    write::transaction(conn, &Actor::visitor(), head.now, |tx| {
        let now = tx.now;
        let mail = match users::by_email(tx.conn, &email)? {
            Some((user, _)) if user.status != Status::Pending => {
                messages::signup_attempt_on_existing(head, &user.email)
            }
            Some((user, _)) => {
                users::set_password_hash(tx.conn, user.id, &password_hash, now)?;
                let token = tokens::issue(tx.conn, user.id, Purpose::Confirm, "", now)?;
                messages::confirm_account(head, &user.email, &token)
            }
            None => {
                let user = users::create(
                    tx.conn,
                    NewUser {
                        status: Status::Pending,
                        email,
                        display_name,
                        role: Role::Member,
                        bio: String::new(),
                        website: String::new(),
                        password_hash: Some(password_hash),
                    },
                    now,
                )
                .map_err(user_error)?;
                let token = tokens::issue(tx.conn, user.id, Purpose::Confirm, "", now)?;
                messages::confirm_account(head, &user.email, &token)
            }
        };
        tx.mail(&mail)
    })
}

/// Confirms the sign-up a link is for; `None` when the link is unknown, used or expired.
pub fn confirm(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
) -> Result<Option<User>, WriteError> {
    write::transaction(conn, &Actor::visitor(), now, |tx| {
        let Some(found) = tokens::redeem(tx.conn, token, Purpose::Confirm, now)? else {
            return Ok(None);
        };
        users::set_status(tx.conn, found.user_id, Status::Active, now)?;
        let user = users::by_id(tx.conn, found.user_id)?;
        people::member_told(tx, Event::MemberAdded, user.as_ref(), None)?;
        Ok(user)
    })
}

/// Mails a fresh link for `purpose` to the account with this address when `wanted` accepts
/// it (a reset for any account not suspended, a confirmation for a pending one). Nothing
/// happens otherwise, and the caller answers the same.
pub fn mail_link(
    conn: &mut DbConn,
    head: &Letterhead,
    email: &Email,
    purpose: Purpose,
    wanted: fn(&User) -> bool,
) -> Result<(), WriteError> {
    write::transaction(conn, &Actor::visitor(), head.now, |tx| {
        let Some((user, _)) = users::by_email(tx.conn, email)? else {
            return Ok(());
        };
        if !wanted(&user) {
            return Ok(());
        }
        let token = tokens::issue(tx.conn, user.id, purpose, "", tx.now)?;
        let mail = match purpose {
            Purpose::Reset => messages::reset_password(head, &user.email, &token),
            _ => messages::confirm_account(head, &user.email, &token),
        };
        tx.mail(&mail)
    })
}

/// Mails a sign-in link to the active account with this address (nothing, and the same
/// answer, when there is none). `browser` is a hash of a secret the asking browser keeps:
/// opened there, the link signs in at once; elsewhere it asks first.
pub fn mail_sign_in_link(
    conn: &mut DbConn,
    head: &Letterhead,
    email: &Email,
    browser: &str,
) -> Result<(), WriteError> {
    write::transaction(conn, &Actor::visitor(), head.now, |tx| {
        let Some((user, _)) = users::by_email(tx.conn, email)? else {
            return Ok(());
        };
        if user.status != Status::Active {
            return Ok(());
        }
        let token = tokens::issue(tx.conn, user.id, Purpose::SignIn, browser, tx.now)?;
        tx.mail(&messages::sign_in_link(head, &user.email, &token))
    })
}

/// Uses up a sign-in link: the active account it is for. `None` when the link is no good.
pub fn redeem_sign_in_link(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
) -> Result<Option<User>, WriteError> {
    write::transaction(conn, &Actor::visitor(), now, |tx| {
        let Some(found) = tokens::redeem(tx.conn, token, Purpose::SignIn, now)? else {
            return Ok(None);
        };
        Ok(users::by_id(tx.conn, found.user_id)?.filter(|u| u.status == Status::Active))
    })
}

/// Sets the password a reset link is for, confirms a pending account (the link proves the
/// mailbox) and ends every session of the account. `None` when the link is no good.
pub fn reset_password(
    conn: &mut DbConn,
    token: &str,
    password_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<i64>, WriteError> {
    write::transaction(conn, &Actor::visitor(), now, |tx| {
        let Some(found) = tokens::redeem(tx.conn, token, Purpose::Reset, now)? else {
            return Ok(None);
        };
        let id = found.user_id;
        users::set_password_hash(tx.conn, id, password_hash, now)?;
        if users::by_id(tx.conn, id)?.is_some_and(|u| u.status == Status::Pending) {
            users::set_status(tx.conn, id, Status::Active, now)?;
        }
        sessions::end_all(tx.conn, id, None)?;
        Ok(Some(id))
    })
}

/// Joins with an invitation: the invited account gets its name and password and becomes
/// active. `None` when the link is no good.
pub fn accept_invitation(
    conn: &mut DbConn,
    token: &str,
    display_name: String,
    password_hash: &str,
    now: NaiveDateTime,
) -> Result<Option<User>, WriteError> {
    write::transaction(conn, &Actor::visitor(), now, |tx| {
        let Some(found) = tokens::redeem(tx.conn, token, Purpose::Invite, now)? else {
            return Ok(None);
        };
        let id = found.user_id;
        let profile = Profile {
            display_name,
            bio: String::new(),
            website: String::new(),
        };
        users::update_profile(tx.conn, id, &profile, now)?;
        users::set_password_hash(tx.conn, id, password_hash, now)?;
        users::set_status(tx.conn, id, Status::Active, now)?;
        let user = users::by_id(tx.conn, id)?.ok_or(WriteError::NotFound)?;
        if user.role.is_staff() {
            tx.touch(Touched::Author(id));
        }
        people::member_told(tx, Event::MemberAdded, Some(&user), None)?;
        Ok(Some(user))
    })
}

/// The one parser for a profile, whoever sends it.
pub fn parse_profile(display_name: &str, bio: &str, website: &str) -> Result<Profile, FieldErrors> {
    let mut errors = FieldErrors::default();
    let display_name = errors.check("display_name", users::parse_display_name(display_name));
    let bio = errors.paragraphs("bio", "The bio", bio, MAX_BIO);
    let website = match errors.web_address("website", website, MAX_WEBSITE) {
        Some(raw) => url::Url::parse(&raw).map(|u| u.to_string()).unwrap_or(raw),
        None => String::new(),
    };
    let display_name = display_name.unwrap_or_default();
    errors.into_result(Profile {
        display_name,
        bio,
        website,
    })
}

/// Saves one's own profile. A member of staff's name, bio and website are on public pages
/// (bylines, their author page), so the change is recorded for the caches.
pub fn update_profile(
    conn: &mut DbConn,
    me: &User,
    profile: &Profile,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    write::transaction(conn, &Actor::of(me), now, |tx| {
        users::update_profile(tx.conn, me.id, profile, now)?;
        if me.role.is_staff() {
            tx.touch(Touched::Author(me.id));
            tx.touch(Touched::Listings);
        }
        let updated = users::by_id(tx.conn, me.id)?;
        people::member_told(tx, Event::MemberChanged, updated.as_ref(), Some(me))?;
        Ok(())
    })
}

/// Starts moving one's account to a new address: a link to the new address, which must
/// confirm it, and a word to the old one.
pub fn request_email_change(
    conn: &mut DbConn,
    head: &Letterhead,
    me: &User,
    new_email: &Email,
) -> Result<(), WriteError> {
    write::transaction(conn, &Actor::of(me), head.now, |tx| {
        let taken = new_email.as_str().eq_ignore_ascii_case(&me.email)
            || users::by_email(tx.conn, new_email)?.is_some();
        if taken {
            return Err(WriteError::invalid(
                "new_email",
                "That address cannot be used. Choose another one.",
            ));
        }
        let token = tokens::issue(
            tx.conn,
            me.id,
            Purpose::ChangeEmail,
            new_email.as_str(),
            tx.now,
        )?;
        tx.mail(&messages::confirm_new_email(
            head,
            new_email.as_str(),
            &token,
        ))?;
        tx.mail(&messages::email_change_requested(
            head,
            &me.email,
            new_email.as_str(),
        ))
    })
}

/// How following an email-change link ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum EmailChange {
    Changed,
    /// Another account took the address meanwhile.
    Taken,
    /// The link is unknown, used or expired.
    Expired,
}

pub fn confirm_email_change(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
) -> Result<EmailChange, WriteError> {
    write::transaction(conn, &Actor::visitor(), now, |tx| {
        let Some(found) = tokens::redeem(tx.conn, token, Purpose::ChangeEmail, now)? else {
            return Ok(EmailChange::Expired);
        };
        let Ok(email) = Email::parse(&found.payload) else {
            return Ok(EmailChange::Expired);
        };
        let before = users::by_id(tx.conn, found.user_id)?;
        match users::change_email(tx.conn, found.user_id, &email, now) {
            Ok(()) => {
                let after = users::by_id(tx.conn, found.user_id)?;
                people::member_told(tx, Event::MemberChanged, after.as_ref(), before.as_ref())?;
                Ok(EmailChange::Changed)
            }
            Err(UserError::EmailTaken) => Ok(EmailChange::Taken),
            Err(other) => Err(user_error(other)),
        }
    })
}

/// Sets one's new password and ends every other session; returns the account's new session
/// epoch, which the session kept (`keep`) must take.
pub fn change_password(
    conn: &mut DbConn,
    me: &User,
    password_hash: &str,
    keep: Option<&str>,
    now: NaiveDateTime,
) -> Result<i32, WriteError> {
    write::transaction(conn, &Actor::of(me), now, |tx| {
        users::set_password_hash(tx.conn, me.id, password_hash, now)?;
        Ok(sessions::end_all(tx.conn, me.id, keep)?)
    })
}

/// Signs out every session of one's account, this one included.
pub fn end_all_sessions(
    conn: &mut DbConn,
    me: &User,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    write::transaction(conn, &Actor::of(me), now, |tx| {
        sessions::end_all(tx.conn, me.id, None)?;
        Ok(())
    })
}

/// Deletes one's own account. The owner must hand the site over first; staff whose name is
/// on posts must have them credited to someone else first.
pub fn delete_account(conn: &mut DbConn, me: &User, now: NaiveDateTime) -> Result<(), WriteError> {
    if me.role == Role::Owner {
        return Err(WriteError::Forbidden(
            "The owner's account cannot be deleted. Transfer ownership to an administrator first."
                .into(),
        ));
    }
    write::transaction(conn, &Actor::of(me), now, |tx| {
        if posts::count_by_author(tx.conn, me.id)? > 0 {
            return Err(WriteError::Forbidden(
                "Your name is on posts. Ask an administrator to credit them to someone else first."
                    .into(),
            ));
        }
        crate::domain::comments::write::erase_author(tx, me.id)?;
        crate::domain::likes::forget_member(tx, me.id)?;
        users::delete(tx.conn, me.id)?;
        if me.role.is_staff() {
            tx.touch(Touched::Author(me.id));
        }
        people::member_told(tx, Event::MemberDeleted, None, Some(me))?;
        Ok(())
    })
}

/// A person's own account problem as a field's message (the address is taken, say).
pub(crate) fn user_error(error: UserError) -> WriteError {
    match error {
        UserError::Database(error) => WriteError::Database(error),
        UserError::EmailTaken => {
            WriteError::invalid("email", "Another account already uses this address.")
        }
        other => WriteError::invalid(
            "email",
            crate::domain::input::capitalise(&other.to_string()),
        ),
    }
}
