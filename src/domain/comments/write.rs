//! The comment use cases: every way a comment is written, changed or moderated goes
//! through here (the public forms, the admin, imports), inside `write::transaction`.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Timestamp};

use super::notify::{self, Event};
use super::rules::{self, CommentSettings, Judged};
use super::{Comment, Status};
use crate::auth::permissions::Permission;
use crate::db::DbConn;
use crate::db::schema::{comment_bans, comment_reports, comments, posts, site_settings, users};
use crate::domain::audit::Object;
use crate::domain::changes::Touched;
use crate::domain::input::FieldErrors;
use crate::domain::posts::PostStatus;
use crate::domain::posts::write::is_visible;
use crate::domain::settings;
use crate::domain::webhooks;
use crate::domain::write::{self, Actor, WriteError};
use crate::render::{RenderedComment, render_comment};

/// A comment as typed: nothing checked yet.
#[derive(Debug, Clone, Default)]
pub struct NewComment {
    pub post_id: i64,
    pub parent_id: Option<i64>,
    pub text: String,
    /// Mail the author when someone replies.
    pub notify_replies: bool,
}

/// The checked text of a comment, rendered (outside any transaction: see `prepare`).
pub struct Prepared {
    pub markdown: String,
    pub rendered: RenderedComment,
}

/// Checks and renders a comment's text: not empty, at most `rules::MAX_CHARS` characters,
/// no control characters.
pub fn prepare(text: &str) -> Result<Prepared, FieldErrors> {
    let mut errors = FieldErrors::default();
    let markdown = errors.body("text", "The comment", text, 64 * 1024);
    let trimmed = markdown.trim();
    if errors.is_empty() {
        if trimmed.is_empty() {
            errors.add("text", "Write something before sending the comment.");
        } else if trimmed.chars().count() > rules::MAX_CHARS {
            errors.add(
                "text",
                format!(
                    "A comment can be at most {} characters; this one has {}.",
                    rules::MAX_CHARS,
                    trimmed.chars().count()
                ),
            );
        }
    }
    let rendered = render_comment(trimmed);
    errors.into_result(Prepared {
        markdown: trimmed.to_string(),
        rendered,
    })
}

/// What happened to a posted comment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Posted {
    pub id: i64,
    pub status: Status,
    /// Why it waits, when it does.
    pub held_because: Option<&'static str>,
    /// The same text sent twice (a double-submitted form): the first comment is kept.
    pub repeated: bool,
}

/// The post a comment goes under, as far as commenting cares.
struct Target {
    kind_open: bool,
    published_at: Option<NaiveDateTime>,
    live: bool,
}

fn target(conn: &mut DbConn, post_id: i64, now: NaiveDateTime) -> QueryResult<Option<Target>> {
    let row = posts::table
        .find(post_id)
        .select((
            posts::status,
            posts::published_at,
            posts::deleted_at,
            posts::comments_open,
        ))
        .first::<(
            PostStatus,
            Option<NaiveDateTime>,
            Option<NaiveDateTime>,
            bool,
        )>(conn)
        .optional()?;
    Ok(row.map(|(status, published_at, deleted_at, open)| Target {
        kind_open: open,
        published_at,
        live: is_visible(status, published_at, deleted_at, now),
    }))
}

pub(super) fn comment_settings(
    conn: &mut DbConn,
    now: NaiveDateTime,
) -> QueryResult<CommentSettings> {
    Ok(settings::current(conn, now)?.comments)
}

/// Refuses a comment on a post readers cannot see or that takes no comments now.
pub(super) fn check_open(
    tx: &mut write::Tx<'_>,
    rules: &CommentSettings,
    post_id: i64,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    let Some(post) = target(tx.conn, post_id, now)? else {
        return Err(WriteError::NotFound);
    };
    if !post.live {
        return Err(WriteError::NotFound);
    }
    if let Some(reason) = rules::closed_because(rules, post.kind_open, post.published_at, now) {
        return Err(WriteError::invalid("text", reason));
    }
    Ok(())
}

/// Where a reply to `parent_id` goes: its parent, thread and depth (a top-level comment
/// has none and depth 0). Only a live comment on the same post can be answered.
pub(super) fn place(
    tx: &mut write::Tx<'_>,
    post_id: i64,
    parent_id: Option<i64>,
) -> Result<(Option<i64>, Option<i64>, i32), WriteError> {
    let Some(parent_id) = parent_id else {
        return Ok((None, None, 0));
    };
    let parent = super::by_id(tx.conn, parent_id)?
        .filter(|p| p.post_id == post_id && p.status == Status::Approved)
        .ok_or_else(|| {
            WriteError::invalid("text", "The comment you reply to is not there any more.")
        })?;
    if parent.depth + 1 > rules::MAX_DEPTH {
        return Err(WriteError::invalid(
            "text",
            "This conversation is as deep as replies go; reply further up instead.",
        ));
    }
    Ok((Some(parent.id), parent.thread_id, parent.depth + 1))
}

/// A comment being written into the conversation, judged already.
pub(super) struct Row<'a> {
    pub post_id: i64,
    pub place: (Option<i64>, Option<i64>, i32),
    pub user_id: Option<i64>,
    pub name: &'a str,
    pub email: &'a str,
    pub website: &'a str,
    pub staff: bool,
    pub status: Status,
    pub markdown: &'a str,
    pub html: &'a str,
    pub notify_replies: bool,
    pub created_at: NaiveDateTime,
}

/// Writes a judged comment, tells the caches and moderators, and queues its notices.
pub(super) fn insert(tx: &mut write::Tx<'_>, row: &Row<'_>) -> Result<i64, WriteError> {
    let (parent_id, thread_id, depth) = row.place;
    let id: i64 = diesel::insert_into(comments::table)
        .values((
            comments::post_id.eq(row.post_id),
            comments::parent_id.eq(parent_id),
            comments::thread_id.eq(thread_id),
            comments::depth.eq(depth),
            comments::user_id.eq(row.user_id),
            comments::author_name.eq(row.name),
            comments::author_email.eq(row.email),
            comments::author_url.eq(row.website),
            comments::staff.eq(row.staff),
            comments::status.eq(row.status),
            comments::created_at.eq(row.created_at),
            comments::updated_at.eq(row.created_at),
            comments::markdown.eq(row.markdown),
            comments::html.eq(row.html),
            comments::notify_replies.eq(row.notify_replies),
        ))
        .returning(comments::id)
        .get_result(tx.conn)?;
    if thread_id.is_none() {
        diesel::update(comments::table.find(id))
            .set(comments::thread_id.eq(Some(id)))
            .execute(tx.conn)?;
    }
    tx.touch(Touched::Moderation);
    match row.status {
        Status::Approved => {
            tx.touch(Touched::Conversation(row.post_id));
            notify::queue(tx, id, Event::Approved)?;
        }
        Status::Pending => notify::queue(tx, id, Event::Waiting)?,
        _ => {}
    }
    if matches!(row.status, Status::Approved | Status::Pending) {
        told(tx, webhooks::Event::CommentAdded, id)?;
    }
    Ok(id)
}

/// Tells the webhooks listening about comment `id` as it now stands. The commenter's
/// address stays private; their member id and name are given.
fn told(tx: &mut write::Tx<'_>, event: webhooks::Event, id: i64) -> Result<(), WriteError> {
    if !webhooks::listening(tx.conn, &[event])? {
        return Ok(());
    }
    let Some(comment) = super::by_id(tx.conn, id)? else {
        return Ok(());
    };
    let slug: Option<String> = crate::db::schema::posts::table
        .find(comment.post_id)
        .select(crate::db::schema::posts::slug)
        .first(tx.conn)
        .optional()?;
    let current = serde_json::json!({
        "id": comment.id,
        "post_id": comment.post_id,
        "parent_id": comment.parent_id,
        "member_id": comment.user_id,
        "author_name": comment.author_name,
        "author_url": comment.author_url,
        "staff": comment.staff,
        "status": comment.status.as_str(),
        "markdown": comment.markdown,
        "html": comment.html,
        "created_at": crate::clock::moment(comment.created_at),
        "url": slug.map(|slug| format!("/{slug}/#comment-{}", comment.id)),
    });
    webhooks::emit_change(tx, event, "comment", Some(current), None)
}

pub(super) fn flooded() -> WriteError {
    WriteError::invalid(
        "text",
        format!(
            "You commented a moment ago. Wait {} seconds between comments, then send this one again.",
            rules::FLOOD_SECONDS
        ),
    )
}

/// Posts a signed-in person's comment, judged by the site's rules.
pub fn post(
    conn: &mut DbConn,
    actor: &Actor,
    new: &NewComment,
    prepared: &Prepared,
    now: NaiveDateTime,
) -> Result<Posted, WriteError> {
    let Some(user_id) = actor.id else {
        return Err(WriteError::Forbidden("Sign in to comment.".into()));
    };
    write::transaction(conn, actor, now, |tx| {
        // A form sent twice at once: the second waits, then finds the first.
        crate::db::one_at_a_time_for(tx.conn, user_id)?;
        let rules = comment_settings(tx.conn, now)?;
        check_open(tx, &rules, new.post_id, now)?;
        let (name, email, website, status) = users::table
            .find(user_id)
            .select((
                users::display_name,
                users::email,
                users::website,
                users::status,
            ))
            .first::<(String, String, String, String)>(tx.conn)?;
        if status != "active" {
            return Err(WriteError::Forbidden("Sign in to comment.".into()));
        }
        if super::is_barred(tx.conn, user_id)? {
            return Err(WriteError::Forbidden(
                "Your account may not comment on this site.".into(),
            ));
        }
        let place = place(tx, new.post_id, new.parent_id)?;
        // The same text from the same person in the same place: a form sent twice.
        let recent: Vec<Comment> = comments::table
            .filter(comments::user_id.eq(user_id))
            .filter(comments::created_at.gt(now - Duration::minutes(10)))
            .order(comments::id.desc())
            .limit(20)
            .select(Comment::as_select())
            .load(tx.conn)?;
        if let Some(same) = recent.iter().find(|c| {
            c.post_id == new.post_id && c.parent_id == place.0 && c.markdown == prepared.markdown
        }) {
            return Ok(Posted {
                id: same.id,
                status: same.status,
                held_because: None,
                repeated: true,
            });
        }
        if !actor.role.is_staff()
            && recent
                .first()
                .is_some_and(|c| now - c.created_at < Duration::seconds(rules::FLOOD_SECONDS))
        {
            return Err(flooded());
        }
        let trusted: bool = diesel::select(diesel::dsl::exists(
            comments::table
                .filter(comments::user_id.eq(user_id))
                .filter(comments::status.eq(Status::Approved)),
        ))
        .get_result(tx.conn)?;
        let staff = actor.role.is_staff();
        let (status, held_because) = rules::judge(
            &rules,
            &Judged {
                staff,
                trusted,
                links: prepared.rendered.links,
                said: &[&prepared.markdown, &name, &email, &website],
            },
        );
        let id = insert(
            tx,
            &Row {
                post_id: new.post_id,
                place,
                user_id: Some(user_id),
                name: &name,
                email: &email,
                website: &website,
                staff,
                status,
                markdown: &prepared.markdown,
                html: prepared.rendered.html.as_str(),
                notify_replies: new.notify_replies,
                created_at: now,
            },
        )?;
        Ok(Posted {
            id,
            status,
            held_because,
            repeated: false,
        })
    })
}

/// Changes the text of one's own comment, within `rules::EDIT_MINUTES` of posting it. The
/// new text is judged again (links and word lists), trusting the author as before.
pub fn edit(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    prepared: &Prepared,
    now: NaiveDateTime,
) -> Result<Status, WriteError> {
    write::transaction(conn, actor, now, |tx| {
        let comment = super::by_id(tx.conn, id)?.ok_or(WriteError::NotFound)?;
        let mine = actor.id.is_some_and(|me| comment.user_id == Some(me));
        if !mine {
            return Err(WriteError::Forbidden(
                "Only its author can edit a comment.".into(),
            ));
        }
        if !comment.editable_by(comment.user_id.unwrap_or_default(), now) {
            return Err(WriteError::invalid(
                "text",
                format!(
                    "A comment can be edited for {} minutes after it is posted; this one can only be deleted now.",
                    rules::EDIT_MINUTES
                ),
            ));
        }
        let rules = comment_settings(tx.conn, now)?;
        let trusted: bool = diesel::select(diesel::dsl::exists(
            comments::table
                .filter(comments::user_id.eq(comment.user_id))
                .filter(comments::status.eq(Status::Approved)),
        ))
        .get_result(tx.conn)?;
        let (judged, _) = rules::judge(
            &rules,
            &Judged {
                staff: comment.staff,
                trusted,
                links: prepared.rendered.links,
                said: &[
                    &prepared.markdown,
                    &comment.author_name,
                    &comment.author_email,
                    &comment.author_url,
                ],
            },
        );
        // A comment waiting for a moderator keeps waiting: an edit never approves it.
        let judged = if comment.status == Status::Pending {
            Status::Pending
        } else {
            judged
        };
        diesel::update(comments::table.find(id))
            .set((
                comments::markdown.eq(&prepared.markdown),
                comments::html.eq(prepared.rendered.html.as_str()),
                comments::status.eq(judged),
                comments::edited_at.eq(Some(now)),
                comments::updated_at.eq(now),
            ))
            .execute(tx.conn)?;
        if comment.status == Status::Approved || judged == Status::Approved {
            tx.touch(Touched::Conversation(comment.post_id));
        }
        tx.touch(Touched::Moderation);
        Ok(judged)
    })
}

/// Deletes one's own comment: its text goes at once; it keeps its place while it has
/// replies, shown as deleted.
pub fn delete_own(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<i64, WriteError> {
    write::transaction(conn, actor, now, |tx| {
        let comment = super::by_id(tx.conn, id)?.ok_or(WriteError::NotFound)?;
        if actor.id.is_none_or(|me| comment.user_id != Some(me)) {
            return Err(WriteError::Forbidden(
                "Only its author can delete a comment.".into(),
            ));
        }
        match comment.status {
            Status::Deleted => return Ok(comment.post_id),
            // What a moderator removed stays as they left it.
            Status::Spam | Status::Trash => return Err(WriteError::NotFound),
            Status::Approved | Status::Pending => {}
        }
        diesel::update(comments::table.find(id))
            .set((
                comments::status.eq(Status::Deleted),
                comments::markdown.eq(""),
                comments::html.eq(""),
                comments::updated_at.eq(now),
            ))
            .execute(tx.conn)?;
        if comment.status == Status::Approved {
            tx.touch(Touched::Conversation(comment.post_id));
        }
        tx.touch(Touched::Moderation);
        Ok(comment.post_id)
    })
}

/// A member reports a live comment to the moderators; once per member per comment.
pub fn report(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    let Some(user_id) = actor.id else {
        return Err(WriteError::Forbidden("Sign in to report a comment.".into()));
    };
    write::transaction(conn, actor, now, |tx| {
        let comment = super::by_id(tx.conn, id)?
            .filter(|c| c.status == Status::Approved)
            .ok_or(WriteError::NotFound)?;
        // The key decides, not a check before inserting: two reports at once count once.
        let inserted = diesel::sql_query(
            "INSERT INTO comment_reports (comment_id, user_id, created_at) VALUES ($1, $2, $3) \
             ON CONFLICT (comment_id, user_id) DO NOTHING",
        )
        .bind::<BigInt, _>(comment.id)
        .bind::<BigInt, _>(user_id)
        .bind::<Timestamp, _>(now)
        .execute(tx.conn)?;
        if inserted > 0 {
            diesel::update(comments::table.find(id))
                .set(comments::reports.eq(comments::reports + 1))
                .execute(tx.conn)?;
            tx.touch(Touched::Moderation);
        }
        Ok(())
    })
}

/// What a moderator does to comments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Moderation {
    Approve,
    /// Back to the queue of waiting comments.
    Hold,
    Spam,
    Trash,
    /// Reports read and dismissed: the comment stays as it is.
    Dismiss,
}

impl Moderation {
    pub fn parse(raw: &str) -> Option<Moderation> {
        Some(match raw {
            "approve" => Moderation::Approve,
            "hold" => Moderation::Hold,
            "spam" => Moderation::Spam,
            "trash" => Moderation::Trash,
            "dismiss" => Moderation::Dismiss,
            _ => return None,
        })
    }

    fn past_tense(self) -> &'static str {
        match self {
            Moderation::Approve => "approved",
            Moderation::Hold => "held",
            Moderation::Spam => "marked as spam",
            Moderation::Trash => "trashed",
            Moderation::Dismiss => "dismissed the reports on",
        }
    }
}

/// Applies a moderator's decision to some comments; returns how many changed.
pub fn moderate(
    conn: &mut DbConn,
    actor: &Actor,
    ids: &[i64],
    action: Moderation,
    now: NaiveDateTime,
) -> Result<usize, WriteError> {
    actor.require(Permission::ModerateComments, "moderate comments")?;
    write::transaction(conn, actor, now, |tx| {
        let found: Vec<Comment> = comments::table
            .filter(comments::id.eq_any(ids))
            .filter(comments::status.ne(Status::Deleted))
            .select(Comment::as_select())
            .load(tx.conn)?;
        let mut changed = 0;
        let mut first_changed: Option<&Comment> = None;
        for comment in &found {
            let status = match action {
                Moderation::Approve => Status::Approved,
                Moderation::Hold => Status::Pending,
                Moderation::Spam => Status::Spam,
                Moderation::Trash => Status::Trash,
                Moderation::Dismiss => comment.status,
            };
            let reports = if action == Moderation::Approve || action == Moderation::Dismiss {
                0
            } else {
                comment.reports
            };
            if status == comment.status && reports == comment.reports {
                continue;
            }
            diesel::update(comments::table.find(comment.id))
                .set((
                    comments::status.eq(status),
                    comments::reports.eq(reports),
                    comments::updated_at.eq(now),
                ))
                .execute(tx.conn)?;
            if reports == 0 {
                diesel::delete(
                    comment_reports::table.filter(comment_reports::comment_id.eq(comment.id)),
                )
                .execute(tx.conn)?;
            }
            if status != comment.status
                && (status == Status::Approved || comment.status == Status::Approved)
            {
                tx.touch(Touched::Conversation(comment.post_id));
            }
            if status == Status::Approved && comment.status != Status::Approved {
                notify::queue(tx, comment.id, Event::Approved)?;
                told(tx, webhooks::Event::CommentApproved, comment.id)?;
            }
            changed += 1;
            first_changed.get_or_insert(comment);
        }
        if changed > 0 {
            tx.touch(Touched::Moderation);
            let summary = match (changed, first_changed) {
                (1, Some(c)) => format!("{} comment by {}", action.past_tense(), c.author_name),
                (n, _) => format!("{} {n} comments", action.past_tense()),
            };
            tx.audit(
                "moderated",
                (Object::Comment, first_changed.map(|c| c.id)),
                &summary,
            )?;
        }
        Ok(changed)
    })
}

/// Bars a member from commenting, or lifts the bar.
pub fn bar(
    conn: &mut DbConn,
    actor: &Actor,
    user_id: i64,
    barred: bool,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    actor.require(Permission::ModerateComments, "bar members from commenting")?;
    write::transaction(conn, actor, now, |tx| {
        let (name, role): (String, String) = users::table
            .find(user_id)
            .select((users::display_name, users::role))
            .first(tx.conn)
            .optional()?
            .ok_or(WriteError::NotFound)?;
        if role != crate::domain::users::Role::Member.as_str() {
            return Err(WriteError::Forbidden(
                "Staff cannot be barred from commenting; change their role first.".into(),
            ));
        }
        if barred {
            diesel::sql_query(
                "INSERT INTO comment_bans (user_id, created_at) VALUES ($1, $2) \
                 ON CONFLICT (user_id) DO NOTHING",
            )
            .bind::<BigInt, _>(user_id)
            .bind::<Timestamp, _>(now)
            .execute(tx.conn)?;
        } else {
            diesel::delete(comment_bans::table.find(user_id)).execute(tx.conn)?;
        }
        let action = if barred {
            "barred from commenting"
        } else {
            "allowed to comment again"
        };
        tx.audit(action, (Object::User, Some(user_id)), &name)?;
        Ok(())
    })
}

/// Saves the comment settings. Every post page shows whether it takes comments.
pub fn save_settings(
    conn: &mut DbConn,
    actor: &Actor,
    settings: &CommentSettings,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    actor.require(Permission::ManageSettings, "change the comment settings")?;
    write::transaction(conn, actor, now, |tx| {
        // The settings row exists once the site is set up; make sure it does.
        let current = settings::current(tx.conn, now)?;
        settings::save_row(tx.conn, &current)?;
        let json = serde_json::to_string(settings).unwrap_or_else(|_| "{}".into());
        diesel::update(site_settings::table.filter(site_settings::id.eq(1)))
            .set(site_settings::comments.eq(json))
            .execute(tx.conn)?;
        tx.audit("updated", (Object::Settings, None), "Comment settings")?;
        tx.touch(Touched::Site);
        Ok(())
    })
}

/// Where a written comment sits, for the replies that follow it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placed {
    pub id: i64,
    pub post_id: i64,
    pub depth: i32,
    pub thread_id: i64,
}

/// A comment brought in by an import, already checked and rendered.
pub struct Imported<'a> {
    pub post_id: i64,
    pub parent: Option<Placed>,
    pub author_name: &'a str,
    pub author_email: &'a str,
    pub author_url: &'a str,
    pub staff: bool,
    pub status: Status,
    pub created_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub markdown: &'a str,
    pub html: &'a str,
}

/// Writes an imported comment (inside the import's transaction), linked to the account
/// with its author's address when there is one, unless the same comment is already here.
pub fn save_imported(conn: &mut DbConn, c: &Imported<'_>) -> QueryResult<Placed> {
    let existing: Option<(i64, i32, Option<i64>)> = comments::table
        .filter(comments::post_id.eq(c.post_id))
        .filter(comments::author_email.eq(c.author_email))
        .filter(comments::created_at.eq(c.created_at))
        .filter(comments::markdown.eq(c.markdown))
        .select((comments::id, comments::depth, comments::thread_id))
        .first(conn)
        .optional()?;
    if let Some((id, depth, thread)) = existing {
        return Ok(Placed {
            id,
            post_id: c.post_id,
            depth,
            thread_id: thread.unwrap_or(id),
        });
    }
    let user = match crate::domain::users::Email::parse(c.author_email) {
        Ok(email) => crate::domain::users::by_email(conn, &email)?.map(|(user, _)| user),
        Err(_) => None,
    };
    let staff = c.staff || user.as_ref().is_some_and(|u| u.role().is_staff());
    let depth = c.parent.map_or(0, |p| (p.depth + 1).min(rules::MAX_DEPTH));
    let id: i64 = diesel::insert_into(comments::table)
        .values((
            comments::post_id.eq(c.post_id),
            comments::parent_id.eq(c.parent.map(|p| p.id)),
            comments::thread_id.eq(c.parent.map(|p| p.thread_id)),
            comments::depth.eq(depth),
            comments::user_id.eq(user.as_ref().map(|u| u.id)),
            comments::author_name.eq(c.author_name),
            comments::author_email.eq(c.author_email),
            comments::author_url.eq(c.author_url),
            comments::staff.eq(staff),
            comments::status.eq(c.status),
            comments::created_at.eq(c.created_at),
            comments::updated_at.eq(c.edited_at.unwrap_or(c.created_at)),
            comments::edited_at.eq(c.edited_at),
            comments::markdown.eq(c.markdown),
            comments::html.eq(c.html),
        ))
        .returning(comments::id)
        .get_result(conn)?;
    let thread_id = match c.parent {
        Some(p) => p.thread_id,
        None => {
            diesel::update(comments::table.find(id))
                .set(comments::thread_id.eq(Some(id)))
                .execute(conn)?;
            id
        }
    };
    Ok(Placed {
        id,
        post_id: c.post_id,
        depth,
        thread_id,
    })
}

/// Takes a deleted account's comments off the site: their text and the author's details
/// go, and each keeps its place only while replies hang from it. Call inside the use case
/// that deletes the account, before the account goes.
pub fn erase_author(tx: &mut write::Tx<'_>, user_id: i64) -> QueryResult<()> {
    let live_under: Vec<i64> = comments::table
        .filter(comments::user_id.eq(user_id))
        .filter(comments::status.eq(Status::Approved))
        .select(comments::post_id)
        .distinct()
        .load(tx.conn)?;
    // What readers saw becomes a placeholder; what a moderator removed stays removed.
    diesel::update(
        comments::table
            .filter(comments::user_id.eq(user_id))
            .filter(comments::status.eq_any([Status::Approved, Status::Pending])),
    )
    .set(comments::status.eq(Status::Deleted))
    .execute(tx.conn)?;
    diesel::update(comments::table.filter(comments::user_id.eq(user_id)))
        .set((
            comments::markdown.eq(""),
            comments::html.eq(""),
            comments::author_name.eq(""),
            comments::author_email.eq(""),
            comments::author_url.eq(""),
            comments::user_id.eq(None::<i64>),
            comments::notify_replies.eq(false),
            comments::updated_at.eq(tx.now),
        ))
        .execute(tx.conn)?;
    for post_id in live_under {
        tx.touch(Touched::Conversation(post_id));
    }
    tx.touch(Touched::Moderation);
    Ok(())
}
