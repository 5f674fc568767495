//! Writing posts and pages: every save, status change, trash, restore, deletion and import
//! is one use case here. Each checks the role rules (`auth::permissions`) against the post
//! as it stands inside the transaction, stores the row with its revision, redirect and
//! audit entry, and records what readers' pages it changed.
//!
//! The role rules for posts:
//! - contributors write drafts of their own, without a publication date;
//! - authors also publish their own posts;
//! - editors and above write, publish and delete anyone's posts, name the authors, and are
//!   the only ones who write pages or create tags (others choose among existing tags).

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::editing::{self, Opened};
use super::events;
use super::input::{Cover, Prepared, status_after};
use super::{Post, PostKind, PostStatus, Timestamps};
use crate::auth::permissions::Permission;
use crate::db::DbConn;
use crate::db::schema::{post_authors, post_tags, posts};
use crate::domain::audit::Object;
use crate::domain::changes::Touched;
use crate::domain::input::FieldErrors;
use crate::domain::tags::{self as tag_store, Tag};
use crate::domain::users::{self, Role};
use crate::domain::webhooks::Event;
use crate::domain::write::{self, Actor, Tx, WriteError};
use crate::domain::{gone, media, redirects, revisions};
use crate::render::{self, SafeHtml, Slug};

/// What a save left.
#[derive(Debug, Clone)]
pub struct Saved {
    pub id: i64,
    pub kind: PostKind,
    pub slug: String,
    pub title: String,
    pub status: PostStatus,
    pub published_at: Option<NaiveDateTime>,
}

/// A post's references, checked against the database: who wrote it, its tags, its cover.
struct Resolved {
    author_ids: Vec<i64>,
    tag_ids: Vec<i64>,
    feature_image: Option<String>,
    feature_image_alt: Option<String>,
}

/// Whether readers can see a post with these facts at `now`: the one rule, in Rust. Queries
/// use `super::published` and a date bound, which say the same.
pub fn is_visible(
    status: PostStatus,
    published_at: Option<NaiveDateTime>,
    deleted_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> bool {
    deleted_at.is_none() && status != PostStatus::Draft && published_at.is_some_and(|at| at <= now)
}

/// Creates a post or page.
pub fn create(
    conn: &mut DbConn,
    actor: &Actor,
    prepared: Prepared,
    now: NaiveDateTime,
) -> Result<Saved, WriteError> {
    actor.require(Permission::WriteDrafts, "write posts")?;
    if prepared.kind == PostKind::Page {
        actor.require(Permission::EditAnyPost, "write pages")?;
    }
    let (status, published_at) =
        status_after(prepared.intent, PostStatus::Draft, prepared.publish_at, now);
    check_publishing(actor, true, PostStatus::Draft, status, &prepared)?;
    let html = sized(conn, &prepared.rendered.html)?;
    write::transaction(conn, actor, now, |tx| {
        let resolved = resolve(tx, &prepared, None)?;
        if super::slug_in_use(tx.conn, prepared.slug.as_str())? {
            return Err(slug_taken(&prepared.slug));
        }
        let row = row(
            &prepared,
            &html,
            &resolved,
            (status, published_at),
            Timestamps::at(now),
        );
        diesel::insert_into(posts::table)
            .values(&row)
            .execute(tx.conn)?;
        let id: i64 = posts::table
            .filter(posts::slug.eq(prepared.slug.as_str()))
            .select(posts::id)
            .first(tx.conn)?;
        diesel::update(posts::table.find(id))
            .set(posts::uuid.eq(super::new_uuid()))
            .execute(tx.conn)?;
        link(tx.conn, id, &resolved)?;
        revisions::store(
            tx.conn,
            id,
            actor.id,
            &prepared.title,
            &prepared.markdown,
            now,
        )?;
        let object = (Object::of_kind(prepared.kind), Some(id));
        tx.audit(verb(None, status), object, &prepared.title)?;
        let visible = is_visible(status, published_at, None, now);
        touch(tx, id, false, visible, None)?;
        events::changed(tx, id, prepared.kind, (false, visible), None)?;
        Ok(saved(id, &prepared, status, published_at))
    })
}

/// Saves an edit made on `version` of the post. If someone saved in between, nothing is
/// written: `Conflict`. When a post readers could see changes its slug, the old address
/// answers 301 to the new one. The text is kept as a revision.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    version: i32,
    prepared: Prepared,
    now: NaiveDateTime,
) -> Result<Saved, WriteError> {
    save(conn, actor, (id, version), prepared, now, None)
}

/// `update`, with the audit entry's verb and summary given (a restored revision says so).
fn save(
    conn: &mut DbConn,
    actor: &Actor,
    (id, version): (i64, i32),
    prepared: Prepared,
    now: NaiveDateTime,
    audited_as: Option<(&str, String)>,
) -> Result<Saved, WriteError> {
    let html = sized(conn, &prepared.rendered.html)?;
    write::transaction(conn, actor, now, |tx| {
        let current = open_for_writing(tx, actor, id)?;
        let post = &current.post;
        if prepared.kind != post.kind {
            return Err(WriteError::invalid(
                "kind",
                "A post cannot become a page, nor a page a post.",
            ));
        }
        // The editor shows times to the minute; an unchanged minute keeps the stored seconds.
        let typed = keep_seconds(prepared.publish_at, post.published_at);
        let (status, published_at) = status_after(prepared.intent, post.status, typed, now);
        let is_author = actor.id.is_some_and(|me| current.author_ids.contains(&me));
        let re_dated = status != PostStatus::Draft && published_at != post.published_at;
        if (status != post.status || re_dated) && !actor.role.can_publish(is_author) {
            return Err(WriteError::forbidden("publish"));
        }
        check_publishing(actor, is_author, post.status, status, &prepared)?;
        let resolved = resolve(tx, &prepared, Some(&current))?;
        let moved = post.slug != prepared.slug.as_str();
        if moved && super::slug_in_use(tx.conn, prepared.slug.as_str())? {
            return Err(slug_taken(&prepared.slug));
        }
        // After the checks of the input itself: those need fixing whoever saved meanwhile.
        if post.version != version {
            return Err(WriteError::Conflict);
        }
        let was_visible = post.is_live(now);
        let before = neighbours_of(tx, id, was_visible, now)?;
        let previous = events::before(tx, &current)?;
        let times = Timestamps {
            created_at: post.created_at,
            updated_at: now,
            deleted_at: post.deleted_at,
        };
        let row = row(&prepared, &html, &resolved, (status, published_at), times);
        diesel::update(posts::table.find(id))
            .set((&row, posts::version.eq(posts::version + 1)))
            .execute(tx.conn)?;
        diesel::delete(post_authors::table.filter(post_authors::post_id.eq(id)))
            .execute(tx.conn)?;
        diesel::delete(post_tags::table.filter(post_tags::post_id.eq(id))).execute(tx.conn)?;
        link(tx.conn, id, &resolved)?;
        revisions::store(
            tx.conn,
            id,
            actor.id,
            &prepared.title,
            &prepared.markdown,
            now,
        )?;
        // What the saver's script autosaved is in this save now.
        if let Some(me) = actor.id {
            super::working_copy::discard(tx.conn, id, me)?;
        }
        if moved && was_visible {
            let (from, to) = (format!("/{}/", post.slug), format!("/{}/", prepared.slug));
            redirects::follow_move(tx.conn, &from, &to, now)?;
        }
        let object = (Object::of_kind(post.kind), Some(id));
        match &audited_as {
            Some((verb, summary)) => tx.audit(verb, object, summary)?,
            None => tx.audit(verb(Some(post.status), status), object, &prepared.title)?,
        }
        let visible = is_visible(status, published_at, post.deleted_at, now);
        touch(tx, id, was_visible, visible, Some(before))?;
        events::changed(tx, id, post.kind, (was_visible, visible), previous)?;
        Ok(saved(id, &prepared, status, published_at))
    })
}

/// Moves a post to the trash (its address answers 410) or back out of it. Taking a live
/// post down is unpublishing it, which needs the right to publish it.
pub fn set_trashed(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    trashed: bool,
    now: NaiveDateTime,
) -> Result<Saved, WriteError> {
    trash(conn, actor, (id, None), trashed, now)
}

/// `set_trashed` for the post as it stood at a version a list showed: changed since, it is
/// a `Conflict`.
pub fn set_trashed_at(
    conn: &mut DbConn,
    actor: &Actor,
    item: super::bulk::Item,
    trashed: bool,
    now: NaiveDateTime,
) -> Result<Saved, WriteError> {
    trash(conn, actor, (item.id, Some(item.version)), trashed, now)
}

fn trash(
    conn: &mut DbConn,
    actor: &Actor,
    (id, version): (i64, Option<i32>),
    trashed: bool,
    now: NaiveDateTime,
) -> Result<Saved, WriteError> {
    write::transaction(conn, actor, now, |tx| {
        let current = open_for_writing(tx, actor, id)?;
        let post = &current.post;
        if version.is_some_and(|v| v != post.version) {
            return Err(WriteError::Conflict);
        }
        let is_author = actor.id.is_some_and(|me| current.author_ids.contains(&me));
        let was_visible = post.is_live(now);
        if was_visible && !actor.role.can_publish(is_author) {
            return Err(WriteError::forbidden("take this post down"));
        }
        let before = neighbours_of(tx, id, was_visible, now)?;
        let previous = events::before(tx, &current)?;
        diesel::update(posts::table.find(id))
            .set((
                posts::deleted_at.eq(trashed.then_some(now)),
                posts::updated_at.eq(now),
                posts::version.eq(posts::version + 1),
            ))
            .execute(tx.conn)?;
        let verb = if trashed { "trashed" } else { "restored" };
        tx.audit(verb, (Object::of_kind(post.kind), Some(id)), &post.title)?;
        let deleted_at = trashed.then_some(now);
        let visible = is_visible(post.status, post.published_at, deleted_at, now);
        touch(tx, id, was_visible, visible, Some(before))?;
        events::changed(tx, id, post.kind, (was_visible, visible), previous)?;
        Ok(Saved {
            id,
            kind: post.kind,
            slug: post.slug.clone(),
            title: post.title.clone(),
            status: post.status,
            published_at: post.published_at,
        })
    })
}

/// Deletes a post from the trash for good; its address answers 410 from then on. Editors
/// and above may, or its author when they may publish it.
pub fn delete_forever(
    conn: &mut DbConn,
    actor: &Actor,
    id: i64,
    now: NaiveDateTime,
) -> Result<Saved, WriteError> {
    write::transaction(conn, actor, now, |tx| {
        let current = open_for_deletion(tx, actor, id)?;
        let post = &current.post;
        let previous = events::before(tx, &current)?;
        gone::mark(tx.conn, &format!("/{}/", post.slug), now)?;
        diesel::delete(posts::table.find(id)).execute(tx.conn)?;
        tx.audit(
            "deleted",
            (Object::of_kind(post.kind), Some(id)),
            &post.title,
        )?;
        tx.touch(Touched::Post(id));
        events::deleted(tx, post.kind, previous)?;
        Ok(Saved {
            id,
            kind: post.kind,
            slug: post.slug.clone(),
            title: post.title.clone(),
            status: post.status,
            published_at: post.published_at,
        })
    })
}

/// The post `actor` may delete for good: in the trash, and theirs to publish.
pub fn open_for_deletion(tx: &mut Tx<'_>, actor: &Actor, id: i64) -> Result<Opened, WriteError> {
    let current = open_for_writing(tx, actor, id)?;
    if current.post.deleted_at.is_none() {
        return Err(WriteError::invalid(
            "post",
            "Only posts in the trash can be deleted for good. Move it to the trash first.",
        ));
    }
    let is_author = actor.id.is_some_and(|me| current.author_ids.contains(&me));
    if !actor.role.can_publish(is_author) {
        return Err(WriteError::forbidden("delete posts for good"));
    }
    Ok(current)
}

/// The post with `id`, refused unless `actor` may change it.
pub fn open_for_writing(tx: &mut Tx<'_>, actor: &Actor, id: i64) -> Result<Opened, WriteError> {
    let current = editing::open(tx.conn, id)?.ok_or(WriteError::NotFound)?;
    may_change(actor, &current)?;
    Ok(current)
}

/// Refuses unless `actor` may change this post at all (see the module's comment).
pub fn may_change(actor: &Actor, current: &Opened) -> Result<(), WriteError> {
    let is_author = actor.id.is_some_and(|me| current.author_ids.contains(&me));
    let published = current.post.status != PostStatus::Draft;
    if !actor.role.can_edit_post(is_author, published) {
        return Err(WriteError::forbidden("change this post"));
    }
    if current.post.kind == PostKind::Page && !actor.can(Permission::EditAnyPost) {
        return Err(WriteError::forbidden("change pages"));
    }
    Ok(())
}

/// Stores an imported post: updates the one with the same slug (so importing twice never
/// duplicates), else creates it, keeping the file's dates. The importer checks every item
/// with `input::prepare` first; this is one item's write, inside the batch's transaction.
pub fn import(
    tx: &mut Tx<'_>,
    prepared: &Prepared,
    status: PostStatus,
    times: Timestamps,
    history: History,
) -> Result<i64, WriteError> {
    let now = tx.now;
    let published_at = match status {
        PostStatus::Draft => prepared.publish_at,
        PostStatus::Published => Some(prepared.publish_at.unwrap_or(now)),
        PostStatus::Scheduled => Some(prepared.publish_at.ok_or_else(|| {
            WriteError::invalid("published_at", "A scheduled post needs a publication date.")
        })?),
    };
    let html = sized(tx.conn, &prepared.rendered.html)?;
    let resolved = resolve(tx, prepared, None)?;
    let row = row(prepared, &html, &resolved, (status, published_at), times);
    let existing: Option<i64> = posts::table
        .filter(posts::slug.eq(prepared.slug.as_str()))
        .select(posts::id)
        .first(tx.conn)
        .optional()?;
    let id = match existing {
        Some(id) => {
            diesel::update(posts::table.find(id))
                .set((&row, posts::version.eq(posts::version + 1)))
                .execute(tx.conn)?;
            diesel::delete(post_authors::table.filter(post_authors::post_id.eq(id)))
                .execute(tx.conn)?;
            diesel::delete(post_tags::table.filter(post_tags::post_id.eq(id))).execute(tx.conn)?;
            id
        }
        None => {
            diesel::insert_into(posts::table)
                .values(&row)
                .execute(tx.conn)?;
            let id = posts::table
                .filter(posts::slug.eq(prepared.slug.as_str()))
                .select(posts::id)
                .first(tx.conn)?;
            diesel::update(posts::table.find(id))
                .set(posts::uuid.eq(super::new_uuid()))
                .execute(tx.conn)?;
            id
        }
    };
    link(tx.conn, id, &resolved)?;
    if history == History::Starts {
        revisions::store(
            tx.conn,
            id,
            tx.actor.id,
            &prepared.title,
            &prepared.markdown,
            now,
        )?;
    }
    tx.touch(Touched::Post(id));
    tx.touch(Touched::Listings);
    Ok(id)
}

/// Whether an imported text starts its post's history (kept as its first revision, so the
/// first edit loses nothing), or the post's revisions come with it (a Quire export).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum History {
    Starts,
    Comes,
}

/// `old` replaced by `new` where it stands as a whole address — a Markdown link's
/// `(old)`, `(old "title")` or `(<old>)`, an HTML `src="old"` — and nowhere else, so
/// `cat.jpg` does not change `wildcat.jpg`.
fn replace_address(text: &str, old: &str, new: &str) -> String {
    let mut out = text.to_string();
    for (before, after) in [
        ("(", ")"),
        ("(", " "),
        ("(<", ">"),
        ("src=\"", "\""),
        ("src='", "'"),
    ] {
        out = out.replace(
            &format!("{before}{old}{after}"),
            &format!("{before}{new}{after}"),
        );
    }
    out
}

/// Points a post at the media library's copies of its images (an import's, fetched from
/// the old site): each `(old, new)` address in `replaced` is changed in its text, and
/// `cover` (a library image's stem) becomes its cover. Saved like an edit, so the text as
/// imported stays as a revision.
pub fn relink_images(
    conn: &mut DbConn,
    actor: &Actor,
    post_id: i64,
    replaced: &[(String, String)],
    cover: Option<String>,
    now: NaiveDateTime,
) -> Result<Saved, WriteError> {
    let current = editing::open(conn, post_id)?.ok_or(WriteError::NotFound)?;
    let mut input = current.to_input();
    for (old, new) in replaced {
        input.markdown = replace_address(&input.markdown, old, new);
    }
    if let Some(stem) = cover {
        input.cover = super::input::Cover::Library(stem);
        // A cover must be described; an imported one often was not. The title says what
        // the post, and so its picture, is about, until someone writes better.
        if input.cover_alt.trim().is_empty() {
            input.cover_alt = current.post.title.clone();
        }
    }
    let summary = current.post.title.clone();
    let prepared = super::input::prepare(input)?;
    let version = current.post.version;
    let audited_as = Some(("brought in the images of", summary));
    save(conn, actor, (post_id, version), prepared, now, audited_as)
}

/// Restores a revision's title and text, saved like an edit made on `version` (so a stale
/// restore changes nothing and says so); what it replaces becomes a revision too.
pub fn restore_revision(
    conn: &mut DbConn,
    actor: &Actor,
    post_id: i64,
    revision_id: i64,
    version: i32,
    now: NaiveDateTime,
) -> Result<Saved, WriteError> {
    let current = editing::open(conn, post_id)?.ok_or(WriteError::NotFound)?;
    may_change(actor, &current)?;
    let revision = revisions::find(conn, post_id, revision_id)?
        .ok_or(WriteError::NotFound)?
        .revision;
    let summary = format!("{} (revision {revision_id})", revision.title);
    let mut input = current.to_input();
    input.title = revision.title;
    input.markdown = revision.markdown;
    let prepared = super::input::prepare(input)?;
    let audited_as = Some(("restored a revision of", summary));
    save(conn, actor, (post_id, version), prepared, now, audited_as)
}

/// What a preview shows: the post as it would be saved, with its byline, tags and cover,
/// checked like a save but not stored.
pub struct Preview {
    pub post: Post,
    pub authors: Vec<super::AuthorLink>,
    pub tags: Vec<super::TagLink>,
    pub cover: Option<media::Media>,
}

pub fn preview(
    conn: &mut DbConn,
    actor: &Actor,
    prepared: Prepared,
    current: Option<&Opened>,
    now: NaiveDateTime,
) -> Result<Preview, WriteError> {
    let author_ids = chosen_authors(conn, actor, &prepared, current)?;
    let cover = chosen_cover(conn, &prepared, current)?;
    let mut authors = Vec::new();
    for id in author_ids {
        if let Some(user) = users::by_id(conn, id)? {
            authors.push(super::AuthorLink {
                id,
                slug: user.slug,
                display_name: user.display_name,
            });
        }
    }
    let tags = prepared
        .tags
        .iter()
        .map(|name| super::TagLink {
            id: 0,
            slug: render::slugify(name),
            name: name.clone(),
        })
        .collect();
    let library = cover
        .0
        .as_deref()
        .and_then(media::Media::stem_of)
        .map(|stem| media::by_stem(conn, stem))
        .transpose()?
        .flatten();
    let current_status = current.map_or(PostStatus::Draft, |c| c.post.status);
    let (status, published_at) =
        status_after(prepared.intent, current_status, prepared.publish_at, now);
    let rendered = &prepared.rendered;
    let post = Post {
        id: current.map_or(0, |c| c.post.id),
        kind: prepared.kind,
        slug: prepared.slug.to_string(),
        title: prepared.title.clone(),
        custom_excerpt: prepared.custom_excerpt.clone(),
        excerpt: rendered.excerpt.clone(),
        html: sized(conn, &rendered.html)?.into_string(),
        toc: serde_json::to_string(&rendered.toc).unwrap_or_else(|_| "[]".into()),
        reading_minutes: rendered.reading_minutes as i32,
        word_count: rendered.word_count.min(i32::MAX as usize) as i32,
        status,
        published_at: published_at.or(Some(now)),
        created_at: now,
        updated_at: now,
        featured: prepared.featured,
        feature_image: cover.0,
        feature_image_alt: cover.1,
        meta_title: prepared.meta_title.clone(),
        meta_description: prepared.meta_description.clone(),
        canonical_url: prepared.canonical_url.clone(),
        // A preview is never for search engines.
        noindex: true,
        comments_open: prepared.comments_open,
        uuid: None,
    };
    Ok(Preview {
        post,
        authors,
        tags,
        cover: library,
    })
}

/// Contributors never publish and never date their drafts (the editor who publishes does).
fn check_publishing(
    actor: &Actor,
    is_author: bool,
    before: PostStatus,
    after: PostStatus,
    prepared: &Prepared,
) -> Result<(), WriteError> {
    if after != PostStatus::Draft && after != before && !actor.role.can_publish(is_author) {
        return Err(WriteError::forbidden("publish"));
    }
    if actor.role == Role::Contributor && prepared.publish_at.is_some() {
        return Err(WriteError::invalid(
            "publish_at",
            "Contributors do not set the publication date: leave it empty, and an editor sets it when publishing.",
        ));
    }
    Ok(())
}

/// The post's authors, tags and cover, checked; new tags are created here for those who
/// may create them.
fn resolve(
    tx: &mut Tx<'_>,
    prepared: &Prepared,
    current: Option<&Opened>,
) -> Result<Resolved, WriteError> {
    let author_ids = chosen_authors(tx.conn, tx.actor, prepared, current)?;
    let (feature_image, feature_image_alt) = chosen_cover(tx.conn, prepared, current)?;
    let tags = tags_named(tx, &prepared.tags)?;
    Ok(Resolved {
        author_ids,
        tag_ids: tags.iter().map(|t| t.id).collect(),
        feature_image,
        feature_image_alt,
    })
}

/// The ordered authors a save names. Editors and above choose them (each must be an active
/// or invited member of staff); anyone else keeps what the post has (a new post is theirs),
/// and a form naming others is refused.
fn chosen_authors(
    conn: &mut DbConn,
    actor: &Actor,
    prepared: &Prepared,
    current: Option<&Opened>,
) -> Result<Vec<i64>, WriteError> {
    let kept = match current {
        Some(current) => current.author_ids.clone(),
        None => actor.id.into_iter().collect(),
    };
    let Some(asked) = &prepared.authors else {
        return Ok(kept);
    };
    if !actor.can(Permission::EditAnyPost) {
        if *asked != kept {
            return Err(WriteError::forbidden("choose the authors"));
        }
        return Ok(kept);
    }
    let mut ids: Vec<i64> = Vec::new();
    for id in asked {
        let staff = users::by_id(conn, *id)?
            .filter(|u| u.role.is_staff() && u.status != crate::domain::users::Status::Suspended);
        if staff.is_none() {
            return Err(WriteError::invalid(
                "author_1",
                "Choose the authors from the lists.",
            ));
        }
        if !ids.contains(id) {
            ids.push(*id);
        }
    }
    if ids.is_empty() {
        return Err(WriteError::invalid(
            "author_1",
            "Choose at least one author.",
        ));
    }
    Ok(ids)
}

/// The cover a save sets: (address, alt text). A library image needs alt text (its own
/// serves when none is typed); `Keep` keeps what the post has.
fn chosen_cover(
    conn: &mut DbConn,
    prepared: &Prepared,
    current: Option<&Opened>,
) -> Result<(Option<String>, Option<String>), WriteError> {
    match &prepared.cover {
        Cover::None => Ok((None, None)),
        Cover::Address(address) => Ok((Some(address.clone()), prepared.cover_alt.clone())),
        Cover::Keep => match current.and_then(|c| c.post.feature_image.clone()) {
            Some(image) => Ok((
                Some(image),
                prepared
                    .cover_alt
                    .clone()
                    .or_else(|| current.and_then(|c| c.post.feature_image_alt.clone())),
            )),
            None => Err(WriteError::invalid(
                "cover",
                "Choose an image from the library.",
            )),
        },
        Cover::Library(stem) => {
            let Some(item) = media::by_stem(conn, stem)? else {
                return Err(WriteError::invalid(
                    "cover",
                    "That image is no longer in the library; choose another.",
                ));
            };
            let alt = prepared
                .cover_alt
                .clone()
                .unwrap_or_else(|| item.alt.clone());
            if alt.trim().is_empty() {
                return Err(WriteError::invalid(
                    "cover_alt",
                    "Describe the cover image for people who cannot see it.",
                ));
            }
            Ok((Some(item.url()), Some(alt)))
        }
    }
}

/// The tags with these names, in order. A name no tag has yet creates one for those who may
/// manage tags; anyone else is told which names are not tags.
fn tags_named(tx: &mut Tx<'_>, names: &[String]) -> Result<Vec<Tag>, WriteError> {
    let mut found: Vec<Tag> = Vec::new();
    let mut unknown: Vec<&str> = Vec::new();
    for name in names {
        let slug = Slug::parse(&render::slugify(name)).expect("slugify makes valid slugs");
        let tag = match tag_store::by_slug(tx.conn, slug.as_str())? {
            Some(tag) => tag,
            None if tx.actor.can(Permission::ManageTags) => {
                let (tag, made) = tag_store::find_or_create(tx.conn, &slug, name, tx.now)?;
                if made {
                    tx.audit("created", (Object::Tag, Some(tag.id)), &tag.name)?;
                    tag_store::told(tx, Event::TagAdded, Some(&tag), None)?;
                }
                tag
            }
            None => {
                unknown.push(name);
                continue;
            }
        };
        if !found.iter().any(|t| t.id == tag.id) {
            found.push(tag);
        }
    }
    if !unknown.is_empty() {
        let mut errors = FieldErrors::default();
        errors.add(
            "tags",
            format!(
                "There is no tag named “{}”. Choose existing tags, or ask an editor to create it.",
                unknown.join("”, “")
            ),
        );
        return Err(WriteError::Invalid(errors));
    }
    Ok(found)
}

/// The text's library images with their sizes: a read, done before the write lock.
fn sized(conn: &mut DbConn, html: &SafeHtml) -> Result<SafeHtml, WriteError> {
    Ok(media::size_images(conn, html)?)
}

fn row<'a>(
    prepared: &'a Prepared,
    html: &'a SafeHtml,
    resolved: &'a Resolved,
    (status, published_at): (PostStatus, Option<NaiveDateTime>),
    times: Timestamps,
) -> super::PostRow<'a> {
    let cover = (
        resolved.feature_image.as_deref(),
        resolved.feature_image_alt.as_deref(),
    );
    super::PostRow::new(prepared, html, status, published_at, times, cover)
}

/// Links a post to its authors and tags in order (the first of each is the primary).
fn link(conn: &mut DbConn, post_id: i64, resolved: &Resolved) -> QueryResult<()> {
    // One row at a time: diesel's MultiBackend has no batch insert, and these lists are short.
    for (order, &user_id) in resolved.author_ids.iter().enumerate() {
        diesel::insert_into(post_authors::table)
            .values((
                post_authors::post_id.eq(post_id),
                post_authors::user_id.eq(user_id),
                post_authors::sort_order.eq(order as i32),
            ))
            .execute(conn)?;
    }
    for (order, &tag_id) in resolved.tag_ids.iter().enumerate() {
        diesel::insert_into(post_tags::table)
            .values((
                post_tags::post_id.eq(post_id),
                post_tags::tag_id.eq(tag_id),
                post_tags::sort_order.eq(order as i32),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// The ids of the posts just older and newer than `id` in reading order, when it is visible
/// (their pages link to it by title).
fn neighbours_of(
    tx: &mut Tx<'_>,
    id: i64,
    visible: bool,
    now: NaiveDateTime,
) -> Result<Vec<i64>, WriteError> {
    if !visible {
        return Ok(Vec::new());
    }
    Ok(super::neighbour_ids(tx.conn, id, now)?)
}

/// Records what a write to post `id` changed for readers: its own page always (and with it
/// every page that links to it by title: its neighbours' pages depend on it); when it was or
/// is visible, every list; and when it moved in reading order (published, taken down,
/// re-dated past another post), the pages of its neighbours before and after, whose own
/// neighbours changed. A title edit touches one post, so the rest of the cache stays.
fn touch(
    tx: &mut Tx<'_>,
    id: i64,
    was_visible: bool,
    visible: bool,
    neighbours_before: Option<Vec<i64>>,
) -> Result<(), WriteError> {
    tx.touch(Touched::Post(id));
    if !(was_visible || visible) {
        return Ok(());
    }
    tx.touch(Touched::Listings);
    let now = tx.now;
    let after = neighbours_of(tx, id, visible, now)?;
    let before = neighbours_before.unwrap_or_default();
    if before != after {
        for neighbour in before.into_iter().chain(after) {
            tx.touch(Touched::Post(neighbour));
        }
    }
    Ok(())
}

fn saved(
    id: i64,
    prepared: &Prepared,
    status: PostStatus,
    published_at: Option<NaiveDateTime>,
) -> Saved {
    Saved {
        id,
        kind: prepared.kind,
        slug: prepared.slug.to_string(),
        title: prepared.title.clone(),
        status,
        published_at,
    }
}

fn slug_taken(slug: &Slug) -> WriteError {
    WriteError::invalid(
        "slug",
        format!("The slug “{slug}” is already used by another post or page. Choose another."),
    )
}

/// The editor shows times to the minute; an unchanged minute keeps the stored seconds.
fn keep_seconds(
    typed: Option<NaiveDateTime>,
    stored: Option<NaiveDateTime>,
) -> Option<NaiveDateTime> {
    match (typed, stored) {
        (Some(typed), Some(stored))
            if stored.format("%Y-%m-%dT%H:%M").to_string()
                == typed.format("%Y-%m-%dT%H:%M").to_string() =>
        {
            Some(stored)
        }
        (typed, _) => typed,
    }
}

/// The audit log's verb for a save that took a post from `before` (`None`: new) to `after`.
fn verb(before: Option<PostStatus>, after: PostStatus) -> &'static str {
    match (before, after) {
        (None, PostStatus::Draft) => "created",
        (Some(b), a) if b == a => "updated",
        (_, PostStatus::Draft) => "unpublished",
        (_, PostStatus::Scheduled) => "scheduled",
        (_, PostStatus::Published) => "published",
    }
}

#[cfg(test)]
mod tests {
    use super::replace_address;

    #[test]
    fn an_address_is_replaced_only_where_it_stands_whole() {
        let text = "![Cat](cat.jpg) ![Wild](wildcat.jpg) <img src=\"cat.jpg\"> ![T](cat.jpg \"t\")";
        assert_eq!(
            replace_address(text, "cat.jpg", "/media/x.jpg"),
            "![Cat](/media/x.jpg) ![Wild](wildcat.jpg) <img src=\"/media/x.jpg\"> ![T](/media/x.jpg \"t\")"
        );
    }
}
