//! Guests' comments, on a site that takes them from "anyone with a confirmed email": a
//! guest's comment waits in `guest_comments`, seen by nobody (not even moderators), until
//! the link mailed to its address is opened; then it is judged and posted like a member's.
//! An address confirmed once is not trusted with the next comment: each one is confirmed,
//! since the address is all that says who wrote it.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use super::rules::{self, Judged, Who};
use super::write::{self as comment_write, NewComment, Prepared, Row};
use super::{Comment, Status};
use crate::auth::signed;
use crate::db::DbConn;
use crate::db::schema::{comments, guest_comments};
use crate::domain::accounts::parse_profile;
use crate::domain::input::FieldErrors;
use crate::domain::users::Email;
use crate::domain::write::{self, Actor, WriteError};
use crate::mail::{Letterhead, Mail};

/// How long a confirmation link works.
pub const CONFIRM_HOURS: i64 = 48;
/// Comments one address may have waiting for confirmation at once.
const MAX_WAITING: i64 = 3;
const PURPOSE: &str = "comment-confirm";

/// A guest's name, address and website, as typed.
#[derive(Debug, Clone, Default)]
pub struct GuestInput {
    pub name: String,
    pub email: String,
    pub website: String,
}

/// A guest as checked: a display name, a well-formed address, a website or nothing.
#[derive(Debug, Clone)]
pub struct Guest {
    pub name: String,
    pub email: Email,
    pub website: String,
}

/// The one parser for who a guest says they are (the same rules as a member's profile).
pub fn check(input: &GuestInput) -> Result<Guest, FieldErrors> {
    let (profile, mut errors) = match parse_profile(&input.name, "", &input.website) {
        Ok(profile) => (Some(profile), FieldErrors::default()),
        Err(errors) => (None, errors),
    };
    let email = errors.check(
        "email",
        Email::parse(&input.email).map_err(|_| {
            "Enter your email address, like name@example.com: the link that publishes your comment goes there."
        }),
    );
    match (profile, email) {
        (Some(profile), Some(email)) if errors.is_empty() => Ok(Guest {
            name: profile.display_name,
            email,
            website: profile.website,
        }),
        _ => Err(errors),
    }
}

/// A guest's comment as it waits for its address to be confirmed.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = guest_comments)]
pub struct Unconfirmed {
    pub id: i64,
    pub post_id: i64,
    pub parent_id: Option<i64>,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub markdown: String,
    pub html: String,
    pub notify_replies: bool,
    pub created_at: NaiveDateTime,
}

/// A guest's comment taken in: it waits for the link mailed to its address.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub id: i64,
    /// The same comment sent twice (a double-submitted form): no second mail.
    pub repeated: bool,
}

/// The link that confirms waiting comment `id`.
pub fn confirm_link(base_url: &str, secret: &[u8], id: i64) -> String {
    format!(
        "{}/comments/confirm?token={}",
        base_url.trim_end_matches('/'),
        signed::sign(secret, PURPOSE, &id.to_string())
    )
}

/// The waiting comment a confirmation token names, if Quire made it.
pub fn confirmed_id(secret: &[u8], token: &str) -> Option<i64> {
    signed::verify(secret, PURPOSE, token.trim())?.parse().ok()
}

/// Takes a guest's comment in and mails the link that confirms it. Nothing is shown to
/// anyone until then.
pub fn receive(
    conn: &mut DbConn,
    guest: &Guest,
    new: &NewComment,
    prepared: &Prepared,
    (head, secret): (&Letterhead, &[u8]),
) -> Result<Received, WriteError> {
    let now = head.now;
    // One mailbox, however its name is capitalised: the limits below count per mailbox.
    let email = guest.email.as_str().to_lowercase();
    write::transaction(conn, &Actor::visitor(), now, |tx| {
        let rules = comment_write::comment_settings(tx.conn, now)?;
        if rules.who != Who::Guests {
            return Err(WriteError::Forbidden("Sign in to comment.".into()));
        }
        // Two forms sent at once from one mailbox: the second waits, then finds the first.
        crate::db::one_at_a_time_for_key(tx.conn, mailbox_key(&email))?;
        refuse_barred(tx.conn, &guest.email)?;
        comment_write::check_open(tx, &rules, new.post_id, now)?;
        let (parent_id, _, _) = comment_write::place(tx, new.post_id, new.parent_id)?;
        prune(tx.conn, now)?;
        let waiting: Vec<Unconfirmed> = guest_comments::table
            .filter(guest_comments::author_email.eq(&email))
            .order(guest_comments::id.desc())
            .select(Unconfirmed::as_select())
            .load(tx.conn)?;
        if let Some(same) = waiting.iter().find(|w| {
            w.post_id == new.post_id && w.parent_id == parent_id && w.markdown == prepared.markdown
        }) {
            return Ok(Received {
                id: same.id,
                repeated: true,
            });
        }
        let latest_posted: Option<NaiveDateTime> = comments::table
            .filter(comments::author_email.eq(&email))
            .filter(comments::user_id.is_null())
            .select(diesel::dsl::max(comments::created_at))
            .first(tx.conn)?;
        let latest = waiting.first().map(|w| w.created_at).max(latest_posted);
        if latest.is_some_and(|at| now - at < Duration::seconds(rules::FLOOD_SECONDS)) {
            return Err(comment_write::flooded());
        }
        if waiting.len() as i64 >= MAX_WAITING {
            return Err(WriteError::invalid(
                "email",
                "Comments from this address are already waiting for it to be confirmed: open the links we mailed, then comment again.",
            ));
        }
        let id: i64 = diesel::insert_into(guest_comments::table)
            .values((
                guest_comments::post_id.eq(new.post_id),
                guest_comments::parent_id.eq(parent_id),
                guest_comments::author_name.eq(&guest.name),
                guest_comments::author_email.eq(&email),
                guest_comments::author_url.eq(&guest.website),
                guest_comments::markdown.eq(&prepared.markdown),
                guest_comments::html.eq(prepared.rendered.html.as_str()),
                guest_comments::notify_replies.eq(new.notify_replies),
                guest_comments::created_at.eq(now),
            ))
            .returning(guest_comments::id)
            .get_result(tx.conn)?;
        let title = crate::domain::posts::by_id(tx.conn, new.post_id)?.title;
        tx.mail(&confirm_mail(
            head,
            &email,
            &title,
            &confirm_link(&head.base_url, secret, id),
        ))?;
        Ok(Received {
            id,
            repeated: false,
        })
    })
}

fn confirm_mail(head: &Letterhead, to: &str, title: &str, link: &str) -> Mail {
    let site = &head.site;
    Mail {
        headers: Vec::new(),
        to: to.into(),
        subject: format!("Confirm your comment on {site}"),
        body: format!(
            "You left a comment on \u{201c}{title}\u{201d} at {site}. To publish it, confirm \
             that this address is yours by opening this link within {CONFIRM_HOURS} hours:\n\n\
             {link}\n\n\
             If you did not comment, ignore this message: the comment is deleted unless \
             the link is used.\n"
        ),
    }
}

/// A number naming a mailbox, for the row lock that puts its forms one after another.
fn mailbox_key(email: &str) -> i64 {
    use sha2::{Digest, Sha256};
    let digest = Sha256::digest(email.as_bytes());
    i64::from_be_bytes(digest[..8].try_into().unwrap_or([0; 8]))
}

/// A member barred from commenting cannot come back as a guest with their own address.
fn refuse_barred(conn: &mut DbConn, email: &Email) -> Result<(), WriteError> {
    if let Some((user, _)) = crate::domain::users::by_email(conn, email)?
        && super::is_barred(conn, user.id)?
    {
        return Err(WriteError::Forbidden(
            "This address may not comment on this site.".into(),
        ));
    }
    Ok(())
}

/// Forgets comments whose link has expired.
pub fn prune(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        guest_comments::table
            .filter(guest_comments::created_at.lt(now - Duration::hours(CONFIRM_HOURS))),
    )
    .execute(conn)
}

/// The comment a confirmation link is for, while it waits (for the page that asks).
pub fn waiting(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<Option<Unconfirmed>> {
    Ok(guest_comments::table
        .find(id)
        .select(Unconfirmed::as_select())
        .first(conn)
        .optional()?
        .filter(|w| now - w.created_at <= Duration::hours(CONFIRM_HOURS)))
}

/// What confirming a guest's comment did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Confirmed {
    /// Posted: `status` says whether it is live or waits for a moderator.
    Posted {
        comment: i64,
        status: Status,
        held_because: Option<&'static str>,
    },
    /// The link was used already, or has expired.
    Used,
}

/// Confirms a guest's address: their comment is judged and joins the conversation. The
/// waiting row goes in the same transaction, so a link works once.
pub fn confirm(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> Result<Confirmed, WriteError> {
    write::transaction(conn, &Actor::visitor(), now, |tx| {
        let Some(waiting) = waiting(tx.conn, id, now)? else {
            return Ok(Confirmed::Used);
        };
        let gone = diesel::delete(guest_comments::table.find(id)).execute(tx.conn)?;
        if gone == 0 {
            // Confirmed at the same moment by another request.
            return Ok(Confirmed::Used);
        }
        let rules = comment_write::comment_settings(tx.conn, now)?;
        if rules.who != Who::Guests {
            return Err(WriteError::Forbidden(
                "This site no longer takes comments from guests.".into(),
            ));
        }
        comment_write::check_open(tx, &rules, waiting.post_id, now)?;
        if let Ok(email) = Email::parse(&waiting.author_email) {
            refuse_barred(tx.conn, &email)?;
        }
        let place = comment_write::place(tx, waiting.post_id, waiting.parent_id)?;
        let trusted: bool = diesel::select(diesel::dsl::exists(
            comments::table
                .filter(comments::author_email.eq(&waiting.author_email))
                .filter(comments::status.eq(Status::Approved)),
        ))
        .get_result(tx.conn)?;
        let links = crate::render::render_comment(&waiting.markdown).links;
        let (status, held_because) = rules::judge(
            &rules,
            &Judged {
                staff: false,
                trusted,
                links,
                said: &[
                    &waiting.markdown,
                    &waiting.author_name,
                    &waiting.author_email,
                    &waiting.author_url,
                ],
            },
        );
        let comment = comment_write::insert(
            tx,
            &Row {
                post_id: waiting.post_id,
                place,
                user_id: None,
                name: &waiting.author_name,
                email: &waiting.author_email,
                website: &waiting.author_url,
                staff: false,
                status,
                markdown: &waiting.markdown,
                html: &waiting.html,
                notify_replies: waiting.notify_replies,
                // Its place in the conversation is when it was written.
                created_at: waiting.created_at,
            },
        )?;
        Ok(Confirmed::Posted {
            comment,
            status,
            held_because,
        })
    })
}

/// Whether a guest comment's author is the same person as `other`'s (by address, as a
/// guest has nothing else).
pub fn same_author(a: &Comment, b: &Comment) -> bool {
    match (a.user_id, b.user_id) {
        (Some(x), Some(y)) => x == y,
        (None, None) => !a.author_email.is_empty() && a.author_email == b.author_email,
        _ => false,
    }
}
