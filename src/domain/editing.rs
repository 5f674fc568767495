//! Posts and pages as staff see them: the admin's list, the editor's view of one post, and
//! saving an edit (with a conflict check and a redirect when a live post's slug changes).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use diesel::sql_types::{Bool, Text};

use super::posts::{
    NewPost, Post, PostError, PostKind, PostStatus, Timestamps, link_authors_and_tags, row,
    slug_in_use, validate,
};
use crate::db::schema::{post_authors, post_tags, posts, tags};
use crate::db::{DbConn, write_transaction};
use crate::domain::tags::{self as tag_store, Tag};
use crate::domain::{gone, revisions};
use crate::render::{self, Slug};

/// Which posts the admin's list shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shelf {
    All,
    Drafts,
    Scheduled,
    Published,
    Trash,
}

impl Shelf {
    pub const ALL: [Shelf; 5] = [
        Shelf::All,
        Shelf::Drafts,
        Shelf::Scheduled,
        Shelf::Published,
        Shelf::Trash,
    ];

    pub fn parse(raw: &str) -> Shelf {
        Shelf::ALL
            .into_iter()
            .find(|shelf| shelf.as_str() == raw)
            .unwrap_or(Shelf::All)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Shelf::All => "all",
            Shelf::Drafts => "drafts",
            Shelf::Scheduled => "scheduled",
            Shelf::Published => "published",
            Shelf::Trash => "trash",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Shelf::All => "All",
            Shelf::Drafts => "Drafts",
            Shelf::Scheduled => "Scheduled",
            Shelf::Published => "Published",
            Shelf::Trash => "Trash",
        }
    }
}

/// A line of the admin's list.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct Entry {
    pub id: i64,
    pub kind: PostKind,
    pub slug: String,
    pub title: String,
    pub status: PostStatus,
    pub published_at: Option<NaiveDateTime>,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

/// The order of the admin's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sort {
    /// Most recently changed first (the default).
    Changed,
    /// Newest publication date first; drafts without one last.
    Published,
    Title,
}

impl Sort {
    pub const ALL: [Sort; 3] = [Sort::Changed, Sort::Published, Sort::Title];

    pub fn parse(raw: &str) -> Sort {
        Sort::ALL
            .into_iter()
            .find(|sort| sort.as_str() == raw)
            .unwrap_or(Sort::Changed)
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Sort::Changed => "changed",
            Sort::Published => "published",
            Sort::Title => "title",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Sort::Changed => "Last changed",
            Sort::Published => "Publication date",
            Sort::Title => "Title",
        }
    }
}

pub struct ListQuery {
    pub kind: PostKind,
    pub shelf: Shelf,
    /// Matched case-insensitively anywhere in the title.
    pub text: String,
    /// Only posts with this author, or this tag.
    pub author_id: Option<i64>,
    pub tag_id: Option<i64>,
    pub sort: Sort,
    pub page: i64,
    pub per_page: i64,
}

/// One page of the admin's list, most recently changed first; also whether more follow.
pub fn list(
    conn: &mut DbConn,
    query: &ListQuery,
    now: NaiveDateTime,
) -> QueryResult<(Vec<Entry>, bool)> {
    let mut select = posts::table.filter(posts::kind.eq(query.kind)).into_boxed();
    select = match query.shelf {
        Shelf::Trash => select.filter(posts::deleted_at.is_not_null()),
        other => {
            let live = select.filter(posts::deleted_at.is_null());
            match other {
                Shelf::Drafts => live.filter(posts::status.eq(PostStatus::Draft)),
                Shelf::Scheduled => live
                    .filter(posts::status.ne(PostStatus::Draft))
                    .filter(posts::published_at.gt(now)),
                Shelf::Published => live
                    .filter(posts::status.ne(PostStatus::Draft))
                    .filter(posts::published_at.le(now)),
                _ => live,
            }
        }
    };
    let text = query.text.trim();
    if !text.is_empty() {
        select = select.filter(
            diesel::dsl::sql::<Bool>("lower(title) LIKE ")
                .bind::<Text, _>(crate::db::like_pattern(text))
                .sql(" ESCAPE '\\'"),
        );
    }
    if let Some(author) = query.author_id {
        select = select.filter(
            posts::id.eq_any(
                post_authors::table
                    .filter(post_authors::user_id.eq(author))
                    .select(post_authors::post_id),
            ),
        );
    }
    if let Some(tag) = query.tag_id {
        select = select.filter(
            posts::id.eq_any(
                post_tags::table
                    .filter(post_tags::tag_id.eq(tag))
                    .select(post_tags::post_id),
            ),
        );
    }
    select = match query.sort {
        Sort::Changed => select.order((posts::updated_at.desc(), posts::id.desc())),
        Sort::Published => select.order((
            posts::published_at.is_null(),
            posts::published_at.desc(),
            posts::id.desc(),
        )),
        Sort::Title => select.order((posts::title.asc(), posts::id.asc())),
    };
    let mut entries: Vec<Entry> = select
        .limit(query.per_page + 1)
        .offset((query.page - 1) * query.per_page)
        .select(Entry::as_select())
        .load(conn)?;
    let more = entries.len() as i64 > query.per_page;
    entries.truncate(query.per_page as usize);
    Ok((entries, more))
}

/// A post as the editor opens it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = posts)]
pub struct Editable {
    pub id: i64,
    pub kind: PostKind,
    pub slug: String,
    pub title: String,
    pub markdown: String,
    pub custom_excerpt: Option<String>,
    pub status: PostStatus,
    pub published_at: Option<NaiveDateTime>,
    pub featured: bool,
    pub meta_title: Option<String>,
    pub meta_description: Option<String>,
    pub canonical_url: Option<String>,
    pub noindex: bool,
    pub feature_image: Option<String>,
    pub feature_image_alt: Option<String>,
    pub version: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub deleted_at: Option<NaiveDateTime>,
}

impl Editable {
    pub fn status(&self) -> PostStatus {
        self.status
    }

    /// Whether readers can see it now.
    pub fn is_live(&self, now: NaiveDateTime) -> bool {
        self.deleted_at.is_none()
            && self.status() != PostStatus::Draft
            && self.published_at.is_some_and(|at| at <= now)
    }
}

/// A post with its ordered author ids and tags.
pub struct Opened {
    pub post: Editable,
    pub author_ids: Vec<i64>,
    pub tag_ids: Vec<i64>,
    pub tag_names: Vec<String>,
}

impl Opened {
    /// The post as stored, ready to save again with some of it changed (`None` if its stored
    /// slug is not one Quire would write).
    pub fn to_new_post(&self) -> Option<NewPost> {
        let post = &self.post;
        Some(NewPost {
            kind: post.kind,
            slug: Slug::parse(&post.slug).ok()?,
            title: post.title.clone(),
            markdown: post.markdown.clone(),
            custom_excerpt: post.custom_excerpt.clone(),
            status: post.status(),
            published_at: post.published_at,
            featured: post.featured,
            feature_image: post.feature_image.clone(),
            feature_image_alt: post.feature_image_alt.clone(),
            meta_title: post.meta_title.clone(),
            meta_description: post.meta_description.clone(),
            canonical_url: post.canonical_url.clone(),
            noindex: post.noindex,
            author_ids: self.author_ids.clone(),
            tag_ids: self.tag_ids.clone(),
        })
    }
}

pub fn open(conn: &mut DbConn, id: i64) -> QueryResult<Option<Opened>> {
    let Some(post) = posts::table
        .find(id)
        .select(Editable::as_select())
        .first(conn)
        .optional()?
    else {
        return Ok(None);
    };
    let author_ids = post_authors::table
        .filter(post_authors::post_id.eq(id))
        .order(post_authors::sort_order)
        .select(post_authors::user_id)
        .load(conn)?;
    let tags: Vec<(i64, String)> = post_tags::table
        .inner_join(tags::table)
        .filter(post_tags::post_id.eq(id))
        .order(post_tags::sort_order)
        .select((tags::id, tags::name))
        .load(conn)?;
    let (tag_ids, tag_names) = tags.into_iter().unzip();
    Ok(Some(Opened {
        post,
        author_ids,
        tag_ids,
        tag_names,
    }))
}

/// The tags with these names, in order, creating those that do not exist yet.
pub fn tags_named(
    conn: &mut DbConn,
    names: &[String],
    now: NaiveDateTime,
) -> QueryResult<Vec<Tag>> {
    let mut found: Vec<Tag> = Vec::new();
    for name in names {
        let slug = Slug::parse(&render::slugify(name)).expect("slugify makes valid slugs");
        let tag = match tag_store::by_slug(conn, slug.as_str())? {
            Some(tag) => tag,
            None => tag_store::create(conn, &slug, name, "", now)?,
        };
        if !found.iter().any(|t| t.id == tag.id) {
            found.push(tag);
        }
    }
    Ok(found)
}

/// Creates a post written in the admin, with its first revision; returns its id.
pub fn create(
    conn: &mut DbConn,
    new: NewPost,
    saved_by: i64,
    now: NaiveDateTime,
) -> Result<i64, PostError> {
    write_transaction(conn, |conn| {
        let (title, markdown) = (new.title.clone(), new.markdown.clone());
        let post = super::posts::create(conn, new, now)?;
        revisions::store(conn, post.id, Some(saved_by), &title, &markdown, now)?;
        Ok(post.id)
    })
}

/// Saves an edit made on `expected_version` of the post. If someone saved in between, nothing
/// is written and `PostError::Conflict` says so. When a post readers could see changes its
/// slug, the old address answers 301 to the new one. The text is kept as a revision.
pub fn update(
    conn: &mut DbConn,
    id: i64,
    expected_version: i32,
    new: NewPost,
    saved_by: i64,
    now: NaiveDateTime,
) -> Result<Post, PostError> {
    let (title, published_at) = validate(&new, now)?;
    let mut rendered = render::render(&new.markdown)?;
    write_transaction(conn, |conn| {
        rendered.html = super::media::size_images(conn, &rendered.html)?;
        let current: Editable = posts::table
            .find(id)
            .select(Editable::as_select())
            .first(conn)?;
        if current.version != expected_version {
            return Err(PostError::Conflict);
        }
        let moved = current.slug != new.slug.as_str();
        if moved && slug_in_use(conn, new.slug.as_str())? {
            return Err(PostError::SlugTaken(new.slug.to_string()));
        }
        let times = Timestamps {
            created_at: current.created_at,
            updated_at: now,
            deleted_at: current.deleted_at,
        };
        let values = row(&new, &title, published_at, &rendered, times);
        diesel::update(posts::table.find(id))
            .set((&values, posts::version.eq(posts::version + 1)))
            .execute(conn)?;
        diesel::delete(post_authors::table.filter(post_authors::post_id.eq(id))).execute(conn)?;
        diesel::delete(post_tags::table.filter(post_tags::post_id.eq(id))).execute(conn)?;
        link_authors_and_tags(conn, id, &new)?;
        revisions::store(conn, id, Some(saved_by), &title, &new.markdown, now)?;
        if moved && current.is_live(now) {
            let (from, to) = (format!("/{}/", current.slug), format!("/{}/", new.slug));
            super::redirects::follow_move(conn, &from, &to, now)?;
        }
        Ok(posts::table
            .find(id)
            .select(Post::as_select())
            .first(conn)?)
    })
}

/// Moves a post to the trash (its address answers 410) or back out of it.
pub fn set_trashed(
    conn: &mut DbConn,
    id: i64,
    trashed: bool,
    now: NaiveDateTime,
) -> QueryResult<()> {
    write_transaction(conn, |conn| {
        diesel::update(posts::table.find(id))
            .set((
                posts::deleted_at.eq(trashed.then_some(now)),
                posts::updated_at.eq(now),
                posts::version.eq(posts::version + 1),
            ))
            .execute(conn)
            .map(drop)
    })
}

/// Deletes a trashed post for good; its address answers 410 from then on. Returns whether
/// there was such a post (one not in the trash is left alone).
pub fn delete_forever(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    write_transaction(conn, |conn| {
        let Some(slug) = posts::table
            .find(id)
            .filter(posts::deleted_at.is_not_null())
            .select(posts::slug)
            .first::<String>(conn)
            .optional()?
        else {
            return Ok(false);
        };
        gone::mark(conn, &format!("/{slug}/"), now)?;
        diesel::delete(posts::table.find(id)).execute(conn)?;
        Ok(true)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_shelves_show_everything() {
        assert_eq!(Shelf::parse("trash"), Shelf::Trash);
        assert_eq!(Shelf::parse("<script>"), Shelf::All);
    }
}
