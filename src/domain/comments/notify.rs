//! Mail about comments, as jobs: a post's authors hear when a comment arrives or waits for
//! a moderator (unless they turned it off), and a commenter who asked hears when someone
//! replies, with a link that stops it without signing in (RFC 8058's one-click header too).
//!
//! A notice is queued in the transaction that makes the comment live or waiting; its job
//! decides who hears and queues their mail, each under a key of its own, so running twice
//! sends nothing twice.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use super::{Comment, Status};
use crate::auth::signed;
use crate::db::schema::{mail_opt_outs, post_authors, posts, users};
use crate::db::{Db, DbConn};
use crate::domain::write::{self, Actor, Tx, WriteError};
use crate::jobs::{Job, JobError};
use crate::mail::{Letterhead, Mail};

/// What happened to a comment, for the people who hear about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Event {
    /// Live on the post.
    Approved,
    /// Waiting for a moderator.
    Waiting,
}

/// The job: tell whoever should hear about `comment`.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct CommentNotice {
    pub comment: i64,
    pub event: Event,
}

impl Job for CommentNotice {
    const KIND: &'static str = "comment-notice";
}

/// The kind of opt-out for mail about comments on one's posts.
pub const ALERTS: &str = "comment-alerts";
/// What an unsubscribe token is for.
const UNSUBSCRIBE: &str = "unsubscribe-replies";

/// Queues the notice for a comment that went live or is waiting; call in its transaction.
pub fn queue(tx: &mut Tx<'_>, comment: i64, event: Event) -> Result<(), WriteError> {
    let key = format!("comment-notice:{comment}:{event:?}");
    tx.enqueue(&CommentNotice { comment, event }, &key)
}

/// The link that stops reply mail about one comment, without signing in.
pub fn unsubscribe_link(base_url: &str, secret: &[u8], comment: i64) -> String {
    let token = signed::sign(secret, UNSUBSCRIBE, &comment.to_string());
    format!(
        "{}/comments/unsubscribe?token={token}",
        base_url.trim_end_matches('/')
    )
}

/// The comment a token from `unsubscribe_link` names, if the token holds.
pub fn unsubscribed_comment(secret: &[u8], token: &str) -> Option<i64> {
    signed::verify(secret, UNSUBSCRIBE, token)?.parse().ok()
}

/// Stops reply mail about a comment (a second time changes nothing).
pub fn stop_replies(conn: &mut DbConn, comment: i64, now: NaiveDateTime) -> Result<(), WriteError> {
    use crate::db::schema::comments;
    write::transaction(conn, &Actor::visitor(), now, |tx| {
        diesel::update(comments::table.find(comment))
            .set(comments::notify_replies.eq(false))
            .execute(tx.conn)?;
        Ok(())
    })
}

/// Whether a member of staff hears about comments on their posts.
pub fn alerts_on(conn: &mut DbConn, user_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::not(diesel::dsl::exists(
        mail_opt_outs::table
            .filter(mail_opt_outs::user_id.eq(user_id))
            .filter(mail_opt_outs::kind.eq(ALERTS)),
    )))
    .get_result(conn)
}

/// Turns mail about comments on one's posts on or off.
pub fn set_alerts(
    conn: &mut DbConn,
    actor: &Actor,
    on: bool,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    let Some(user_id) = actor.id else {
        return Err(WriteError::NotFound);
    };
    write::transaction(conn, actor, now, |tx| {
        diesel::delete(
            mail_opt_outs::table
                .filter(mail_opt_outs::user_id.eq(user_id))
                .filter(mail_opt_outs::kind.eq(ALERTS)),
        )
        .execute(tx.conn)?;
        if !on {
            diesel::insert_into(mail_opt_outs::table)
                .values((
                    mail_opt_outs::user_id.eq(user_id),
                    mail_opt_outs::kind.eq(ALERTS),
                ))
                .execute(tx.conn)?;
        }
        Ok(())
    })
}

/// Runs a notice: works out who hears, and queues their mail in one transaction.
pub fn run(
    db: &Db,
    head: &dyn Fn(&mut DbConn) -> QueryResult<Letterhead>,
    secret: &[u8],
    notice: &CommentNotice,
) -> Result<(), JobError> {
    db.run_blocking(|conn| {
        let head = head(conn)?;
        let Some(comment) = super::by_id(conn, notice.comment)? else {
            return Ok(());
        };
        // A comment changed since (approved after waiting, removed) is told about then.
        let still = match notice.event {
            Event::Approved => comment.status == Status::Approved,
            Event::Waiting => comment.status == Status::Pending,
        };
        if !still {
            return Ok(());
        }
        let (title, slug): (String, String) = posts::table
            .find(comment.post_id)
            .select((posts::title, posts::slug))
            .first(conn)?;
        let mut letters = Vec::new();
        for (author_id, email) in post_authors::table
            .inner_join(users::table)
            .filter(post_authors::post_id.eq(comment.post_id))
            .select((users::id, users::email))
            .load::<(i64, String)>(conn)?
        {
            if comment.user_id == Some(author_id) || !alerts_on(conn, author_id)? {
                continue;
            }
            letters.push((
                format!("alert:{author_id}"),
                to_author(&head, &email, &comment, &title, &slug, notice.event),
            ));
        }
        if notice.event == Event::Approved
            && let Some(parent) = comment
                .parent_id
                .map(|p| super::by_id(conn, p))
                .transpose()?
                .flatten()
            && parent.notify_replies
            && parent.status == Status::Approved
            && !super::guests::same_author(&parent, &comment)
            && let Some(email) = reply_address(conn, &parent)?
        {
            letters.push((
                format!("reply:{}", parent.id),
                to_commenter(&head, secret, &email, &parent, &comment, &title, &slug),
            ));
        }
        write::transaction(conn, &Actor::command_line(), head.now, |tx| {
            for (who, mail) in &letters {
                let key = format!("comment-mail:{}:{:?}:{who}", comment.id, notice.event);
                tx.enqueue(mail, &key)?;
            }
            Ok(())
        })
        .map_err(|e| match e {
            WriteError::Database(e) => e,
            other => diesel::result::Error::QueryBuilderError(other.to_string().into()),
        })
    })
    .map_err(|e| JobError::Retry(e.to_string()))
}

/// Where replies to `parent` are mailed: a member's address now, not when they commented;
/// a guest's confirmed address.
fn reply_address(conn: &mut DbConn, parent: &Comment) -> QueryResult<Option<String>> {
    match parent.user_id {
        Some(id) => users::table
            .find(id)
            .select(users::email)
            .first::<String>(conn)
            .optional(),
        None => Ok(Some(parent.author_email.clone()).filter(|e| !e.is_empty())),
    }
}

fn to_author(
    head: &Letterhead,
    to: &str,
    comment: &Comment,
    title: &str,
    slug: &str,
    event: Event,
) -> Mail {
    let base = head.base_url.trim_end_matches('/');
    let (subject, action) = match event {
        Event::Approved => (
            format!("New comment on “{title}”"),
            format!("Read it: {base}/comments/{}", comment.id),
        ),
        Event::Waiting => (
            format!("A comment waits for a moderator on “{title}”"),
            format!("Approve or remove it: {base}/admin/comments"),
        ),
    };
    Mail {
        to: to.to_string(),
        subject,
        body: format!(
            "{} wrote on “{title}” ({base}/{slug}/):\n\n{}\n\n{action}\n\n\
             You get this because your name is on the post; turn it off on your account \
             page: {base}/account/\n\n— {}\n",
            comment.author_name,
            quote(&comment.markdown),
            head.site
        ),
        headers: Vec::new(),
    }
}

fn to_commenter(
    head: &Letterhead,
    secret: &[u8],
    to: &str,
    parent: &Comment,
    reply: &Comment,
    title: &str,
    slug: &str,
) -> Mail {
    let base = head.base_url.trim_end_matches('/');
    let stop = unsubscribe_link(base, secret, parent.id);
    Mail {
        to: to.to_string(),
        subject: format!("{} replied to your comment on “{title}”", reply.author_name),
        body: format!(
            "{} replied to your comment on “{title}” ({base}/{slug}/):\n\n{}\n\n\
             Read the conversation: {base}/comments/{}\n\n\
             You asked to hear about replies to this comment. To stop, open: {stop}\n\n— {}\n",
            reply.author_name,
            quote(&reply.markdown),
            reply.id,
            head.site
        ),
        headers: vec![
            ("List-Unsubscribe".into(), format!("<{stop}>")),
            (
                "List-Unsubscribe-Post".into(),
                "List-Unsubscribe=One-Click".into(),
            ),
        ],
    }
}

/// A comment's text as a quotation in a plain-text message.
fn quote(markdown: &str) -> String {
    markdown
        .lines()
        .map(|line| format!("> {line}"))
        .collect::<Vec<_>>()
        .join("\n")
}
