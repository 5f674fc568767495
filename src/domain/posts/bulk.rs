//! Bulk actions on the admin's lists: publish, unpublish, trash, restore or tag several
//! posts at once. Each post goes through the same use case as its editor (the role rules,
//! the version check, the audit entry, the cache's change tracking), in its own
//! transaction: one refusal is reported and leaves the others to go ahead.

use chrono::NaiveDateTime;

use super::editing::{self, Opened};
use super::input::{self, Intent, MAX_TAGS};
use super::write::{self as post_write, may_change};
use super::{PostKind, PostStatus};
use crate::db::DbConn;
use crate::domain::write::{Actor, WriteError};

/// The most posts one action takes (the lists show 30 a page).
pub const MAX_ITEMS: usize = 100;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Action {
    Publish,
    Unpublish,
    Trash,
    Restore,
    /// Adds the tag of this name (created if new, for those who may create tags).
    AddTag(String),
}

impl Action {
    /// The action a form names, with the tag typed beside it for "add tag".
    pub fn parse(raw: &str, tag: &str) -> Result<Action, String> {
        match raw {
            "publish" => Ok(Action::Publish),
            "unpublish" => Ok(Action::Unpublish),
            "trash" => Ok(Action::Trash),
            "restore" => Ok(Action::Restore),
            "tag" => {
                let tag = tag.trim();
                match tag.chars().count() {
                    0 => Err("Type the name of the tag to add.".into()),
                    n if n > 100 => Err("A tag's name can be at most 100 characters.".into()),
                    _ if tag.contains(',') => Err("Add one tag at a time (no commas).".into()),
                    _ => Ok(Action::AddTag(tag.to_string())),
                }
            }
            _ => Err("Choose what to do with the selected posts.".into()),
        }
    }

    pub fn as_str(&self) -> &'static str {
        match self {
            Action::Publish => "publish",
            Action::Unpublish => "unpublish",
            Action::Trash => "trash",
            Action::Restore => "restore",
            Action::AddTag(_) => "tag",
        }
    }

    /// What was done, for the notice after it ("Published: 3 posts.").
    pub fn done(&self) -> String {
        match self {
            Action::Publish => "Published".into(),
            Action::Unpublish => "Back to drafts".into(),
            Action::Trash => "Moved to the trash".into(),
            Action::Restore => "Restored".into(),
            Action::AddTag(name) => format!("Tagged “{name}”"),
        }
    }

    /// What the action does, for the confirmation page's heading ("Publish 3 posts").
    pub fn verb(&self) -> String {
        match self {
            Action::Publish => "Publish".into(),
            Action::Unpublish => "Unpublish (back to drafts)".into(),
            Action::Trash => "Move to the trash".into(),
            Action::Restore => "Restore from the trash".into(),
            Action::AddTag(name) => format!("Add the tag “{name}” to"),
        }
    }
}

/// A post chosen in a list, with the version the list showed (so a change made since is a
/// conflict, not overwritten).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Item {
    pub id: i64,
    pub version: i32,
}

impl Item {
    /// `ID:VERSION`, as the list's checkboxes send it.
    pub fn parse(raw: &str) -> Option<Item> {
        let (id, version) = raw.split_once(':')?;
        Some(Item {
            id: id.trim().parse().ok()?,
            version: version.trim().parse().ok()?,
        })
    }

    pub fn as_value(self) -> String {
        format!("{}:{}", self.id, self.version)
    }
}

/// What the action will do, or did, to one post.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub item: Item,
    /// The post's title, when it exists.
    pub title: String,
    /// What changes ("Published now", "Scheduled for …" is the caller's to word), or why
    /// nothing does.
    pub result: Result<&'static str, String>,
}

/// Checks each post against the action without writing anything: what the confirmation
/// page lists.
pub fn plan(
    conn: &mut DbConn,
    actor: &Actor,
    (kind, action): (PostKind, &Action),
    items: &[Item],
    now: NaiveDateTime,
) -> Result<Vec<Outcome>, WriteError> {
    let mut planned = Vec::with_capacity(items.len());
    for &item in items {
        let outcome = match editing::open(conn, item.id)? {
            None => Outcome {
                item,
                title: format!("Post {}", item.id),
                result: Err("It no longer exists.".into()),
            },
            // A list of posts acts on posts only, a list of pages on pages.
            Some(current) if current.post.kind != kind => Outcome {
                item,
                title: current.post.title.clone(),
                result: Err(format!("It is a {}, not a {kind}.", current.post.kind)),
            },
            Some(current) => Outcome {
                item,
                title: current.post.title.clone(),
                result: check(actor, action, &current, item, now),
            },
        };
        planned.push(outcome);
    }
    Ok(planned)
}

/// Applies the action to each post, each in its own transaction.
pub fn apply(
    conn: &mut DbConn,
    actor: &Actor,
    (kind, action): (PostKind, &Action),
    items: &[Item],
    now: NaiveDateTime,
) -> Result<Vec<Outcome>, WriteError> {
    let mut done = Vec::with_capacity(items.len());
    for outcome in plan(conn, actor, (kind, action), items, now)? {
        let result = match outcome.result {
            // Each post stands alone: a failure (even the database's) is that row's, and
            // the page still says what was done to the others.
            Ok(change) => match apply_one(conn, actor, action, outcome.item, now) {
                Ok(()) => Ok(change),
                Err(refused) => {
                    if let WriteError::Database(error) = &refused {
                        tracing::error!(post = outcome.item.id, %error, "a bulk action failed");
                    }
                    Err(refusal(refused))
                }
            },
            refused => refused,
        };
        done.push(Outcome { result, ..outcome });
    }
    Ok(done)
}

/// Whether the action can go ahead on `current`, and what it changes.
fn check(
    actor: &Actor,
    action: &Action,
    current: &Opened,
    item: Item,
    now: NaiveDateTime,
) -> Result<&'static str, String> {
    may_change(actor, current).map_err(refusal)?;
    let post = &current.post;
    if post.version != item.version {
        return Err(refusal(WriteError::Conflict));
    }
    let is_author = actor.id.is_some_and(|me| current.author_ids.contains(&me));
    let trashed = post.deleted_at.is_some();
    let may_publish = actor.role.can_publish(is_author);
    match action {
        Action::Restore if !trashed => Err("It is not in the trash.".into()),
        Action::Restore => Ok("Comes back from the trash"),
        _ if trashed => Err("It is in the trash: restore it first.".into()),
        Action::Trash if post.is_live(now) && !may_publish => {
            Err(refusal(WriteError::forbidden("take this post down")))
        }
        Action::Trash => Ok("Goes to the trash; its address answers “gone”"),
        Action::Publish | Action::Unpublish if !may_publish => {
            Err(refusal(WriteError::forbidden("publish")))
        }
        Action::Publish if post.status() != PostStatus::Draft => {
            Err("It is published or scheduled already.".into())
        }
        Action::Publish => Ok(match post.published_at {
            Some(at) if at > now => "Scheduled for its publication date",
            _ => "Goes live now",
        }),
        Action::Unpublish if post.status() == PostStatus::Draft => {
            Err("It is a draft already.".into())
        }
        Action::Unpublish => Ok("Becomes a draft; its address answers “gone”"),
        Action::AddTag(name) => {
            // Tags are one per address: "Field Notes" and "field-notes" are the same tag.
            let slug = crate::render::slugify(name);
            if current
                .tag_names
                .iter()
                .any(|t| crate::render::slugify(t) == slug)
            {
                Err("It has this tag already.".into())
            } else if current.tag_names.len() >= MAX_TAGS {
                Err(format!("It has {MAX_TAGS} tags, the most a post can have."))
            } else {
                Ok("Gets the tag")
            }
        }
    }
}

fn apply_one(
    conn: &mut DbConn,
    actor: &Actor,
    action: &Action,
    item: Item,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    let current = editing::open(conn, item.id)?.ok_or(WriteError::NotFound)?;
    let edit = |intent: Intent, tag: Option<&str>| -> Result<input::Prepared, WriteError> {
        let mut input = current.to_input();
        input.intent = intent;
        if let Some(tag) = tag {
            input.tags.push(tag.to_string());
        }
        Ok(input::prepare(input)?)
    };
    match action {
        Action::Trash | Action::Restore => {
            let trashed = *action == Action::Trash;
            post_write::set_trashed_at(conn, actor, item, trashed, now)?;
        }
        Action::Publish => {
            let prepared = edit(Intent::Publish, None)?;
            post_write::update(conn, actor, item.id, item.version, prepared, now)?;
        }
        Action::Unpublish => {
            let prepared = edit(Intent::Unpublish, None)?;
            post_write::update(conn, actor, item.id, item.version, prepared, now)?;
        }
        Action::AddTag(name) => {
            let prepared = edit(Intent::Save, Some(name))?;
            post_write::update(conn, actor, item.id, item.version, prepared, now)?;
        }
    }
    Ok(())
}

/// A refusal in words, for one line of the list.
fn refusal(error: WriteError) -> String {
    match error {
        WriteError::Conflict => {
            "It was changed by someone else since the list was shown; look again.".into()
        }
        WriteError::NotFound => "It no longer exists.".into(),
        WriteError::Forbidden(why) => why,
        WriteError::Invalid(errors) => errors
            .iter()
            .map(|(_, message)| message.to_string())
            .collect::<Vec<_>>()
            .join(" "),
        WriteError::Database(_) => "The database refused it; try again.".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn forms_name_actions_and_items_or_are_refused() {
        assert_eq!(Action::parse("publish", ""), Ok(Action::Publish));
        assert_eq!(
            Action::parse("tag", "  Field notes "),
            Ok(Action::AddTag("Field notes".into()))
        );
        assert!(Action::parse("tag", " ").is_err());
        assert!(Action::parse("tag", "a, b").is_err());
        assert!(Action::parse("tag", &"x".repeat(101)).is_err());
        assert!(Action::parse("delete", "").is_err());
        assert_eq!(Item::parse("12:3"), Some(Item { id: 12, version: 3 }));
        for bad in ["12", "x:1", "1:y", "", ":"] {
            assert_eq!(Item::parse(bad), None, "{bad}");
        }
        assert_eq!(Item { id: 4, version: 2 }.as_value(), "4:2");
    }
}
