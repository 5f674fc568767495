//! Readers' comments under posts and pages: threaded, moderated, rendered once when saved.
//!
//! `rules` holds the settings and the judgement of a new comment, `write` the use cases
//! (posting, editing, deleting, reporting, moderating), and this module what is read: a
//! post's conversation a page of threads at a time, and the moderation queue.

pub mod guests;
pub mod notify;
pub mod rules;
pub mod write;

use std::collections::HashMap;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use crate::db::schema::{comment_bans, comments, posts};
use crate::db::{DbConn, stored_as_text};

pub use rules::{CommentSettings, Order, Who};

stored_as_text! {
    /// Where a comment stands. Only approved comments are public; a deleted one keeps its
    /// place (without its text) while it has replies.
    pub enum Status {
        Pending => "pending",
        Approved => "approved",
        Spam => "spam",
        Trash => "trash",
        Deleted => "deleted",
    }
}

impl Status {
    pub fn label(self) -> &'static str {
        match self {
            Status::Pending => "Waiting",
            Status::Approved => "Approved",
            Status::Spam => "Spam",
            Status::Trash => "Trash",
            Status::Deleted => "Deleted by its author",
        }
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = comments)]
pub struct Comment {
    pub id: i64,
    pub post_id: i64,
    pub parent_id: Option<i64>,
    pub thread_id: Option<i64>,
    pub depth: i32,
    pub user_id: Option<i64>,
    pub author_name: String,
    pub author_email: String,
    pub author_url: String,
    pub staff: bool,
    pub status: Status,
    pub reports: i32,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    pub edited_at: Option<NaiveDateTime>,
    pub markdown: String,
    pub html: String,
    /// Its author asked to hear about replies to it.
    pub notify_replies: bool,
}

impl Comment {
    /// Whether `user_id` wrote it and may still change its text.
    pub fn editable_by(&self, user_id: i64, now: NaiveDateTime) -> bool {
        self.user_id == Some(user_id)
            && matches!(self.status, Status::Approved | Status::Pending)
            && now - self.created_at <= chrono::Duration::minutes(rules::EDIT_MINUTES)
    }
}

pub fn by_id(conn: &mut DbConn, id: i64) -> QueryResult<Option<Comment>> {
    comments::table
        .find(id)
        .select(Comment::as_select())
        .first(conn)
        .optional()
}

/// Who is reading a conversation: staff see what waits, members their own waiting comments.
#[derive(Debug, Clone, Copy, Default)]
pub struct Viewer {
    pub user_id: Option<i64>,
    pub moderator: bool,
}

/// One page of a post's conversation: its threads, in order, every comment in each.
#[derive(Debug, Default)]
pub struct Conversation {
    /// Approved comments on the whole post.
    pub approved: i64,
    /// Pages of threads (at least 1).
    pub pages: i64,
    pub page: i64,
    /// The comments of this page's threads, each thread in reply order.
    pub comments: Vec<Comment>,
}

type Boxed<'a> = comments::BoxedQuery<'a, crate::db::MultiBackend>;

/// The comments `viewer` may see on `post_id`: with `placeholders`, also deleted ones
/// (shown as such while replies hang from them).
fn visible_to(post_id: i64, viewer: Viewer, placeholders: bool) -> Boxed<'static> {
    let query = comments::table
        .filter(comments::post_id.eq(post_id))
        .into_boxed();
    let mut shown = vec![Status::Approved];
    if placeholders {
        shown.push(Status::Deleted);
    }
    if viewer.moderator {
        shown.push(Status::Pending);
        query.filter(comments::status.eq_any(shown))
    } else if let Some(user) = viewer.user_id {
        query.filter(
            comments::status.eq_any(shown).or(comments::status
                .eq(Status::Pending)
                .and(comments::user_id.eq(user))),
        )
    } else {
        query.filter(comments::status.eq_any(shown))
    }
}

/// How many approved comments each post has.
pub fn approved_count(conn: &mut DbConn, post_id: i64) -> QueryResult<i64> {
    comments::table
        .filter(comments::post_id.eq(post_id))
        .filter(comments::status.eq(Status::Approved))
        .count()
        .get_result(conn)
}

/// How many comments a post has, whatever their state.
fn comment_count(conn: &mut DbConn, post_id: i64) -> QueryResult<i64> {
    comments::table
        .filter(comments::post_id.eq(post_id))
        .count()
        .get_result(conn)
}

/// How many approved comments each of these posts has (those with none are left out).
pub fn approved_counts(conn: &mut DbConn, post_ids: &[i64]) -> QueryResult<HashMap<i64, i64>> {
    Ok(comments::table
        .filter(comments::post_id.eq_any(post_ids))
        .filter(comments::status.eq(Status::Approved))
        .group_by(comments::post_id)
        .select((comments::post_id, diesel::dsl::count_star()))
        .load::<(i64, i64)>(conn)?
        .into_iter()
        .collect())
}

/// Page `page` (from 1) of a post's conversation as `viewer` sees it; `None` past the last.
///
/// A thread is on show while any comment in it is: threads are counted and paged by the
/// comments the viewer sees, in the order they began, so a thread whose first comment was
/// removed keeps its replies (under a placeholder) and a deleted comment alone takes no
/// place.
pub fn conversation(
    conn: &mut DbConn,
    post_id: i64,
    order: Order,
    page: i64,
    viewer: Viewer,
) -> QueryResult<Option<Conversation>> {
    let approved = approved_count(conn, post_id)?;
    // Most posts have no conversation: two prepared counts say so, instead of the thread
    // queries below, which SQLite would have to plan afresh (their lists of ids keep them
    // out of the statement cache).
    let anonymous = viewer.user_id.is_none() && !viewer.moderator;
    if approved == 0 && (anonymous || comment_count(conn, post_id)? == 0) {
        return Ok((page == 1).then(|| Conversation {
            approved: 0,
            pages: 1,
            page: 1,
            comments: Vec::new(),
        }));
    }
    let threads = visible_to(post_id, viewer, false)
        .select(diesel::dsl::count(comments::thread_id).aggregate_distinct())
        .get_result::<i64>(conn)?;
    let pages = ((threads + rules::THREADS_PER_PAGE - 1) / rules::THREADS_PER_PAGE).max(1);
    if page < 1 || page > pages {
        return Ok(None);
    }
    let tops = visible_to(post_id, viewer, false)
        .select(comments::thread_id)
        .distinct();
    let tops = match order {
        Order::Oldest => tops.order(comments::thread_id.asc()),
        Order::Newest => tops.order(comments::thread_id.desc()),
    };
    let top_ids: Vec<i64> = tops
        .limit(rules::THREADS_PER_PAGE)
        .offset((page - 1) * rules::THREADS_PER_PAGE)
        .load::<Option<i64>>(conn)?
        .into_iter()
        .flatten()
        .collect();
    let mut loaded: Vec<Comment> = visible_to(post_id, viewer, true)
        .filter(comments::thread_id.eq_any(&top_ids))
        .order((comments::created_at.asc(), comments::id.asc()))
        .select(Comment::as_select())
        .load(conn)?;
    // A thread whose first comment is not on show (held, removed) keeps its place under a
    // placeholder that says nothing of what it was.
    let missing: Vec<i64> = top_ids
        .iter()
        .copied()
        .filter(|id| !loaded.iter().any(|c| c.id == *id))
        .collect();
    if !missing.is_empty() {
        for mut top in comments::table
            .filter(comments::id.eq_any(&missing))
            .select(Comment::as_select())
            .load::<Comment>(conn)?
        {
            top.status = Status::Deleted;
            top.markdown.clear();
            top.html.clear();
            top.author_name.clear();
            top.author_email.clear();
            top.author_url.clear();
            loaded.push(top);
        }
    }
    // Threads in the page's order, each thread's comments oldest first.
    let rank: HashMap<i64, usize> = top_ids.iter().enumerate().map(|(i, id)| (*id, i)).collect();
    loaded.sort_by_key(|c| {
        (
            c.thread_id.and_then(|t| rank.get(&t).copied()),
            c.parent_id.is_some(),
            c.created_at,
            c.id,
        )
    });
    Ok(Some(Conversation {
        approved,
        pages,
        page,
        comments: loaded,
    }))
}

/// The page of its post's conversation a comment is on, as `viewer` sees it.
pub fn page_of(
    conn: &mut DbConn,
    comment: &Comment,
    order: Order,
    viewer: Viewer,
) -> QueryResult<i64> {
    let Some(thread) = comment.thread_id else {
        return Ok(1);
    };
    let before = visible_to(comment.post_id, viewer, false);
    let before = match order {
        Order::Oldest => before.filter(comments::thread_id.lt(thread)),
        Order::Newest => before.filter(comments::thread_id.gt(thread)),
    };
    let before = before
        .select(diesel::dsl::count(comments::thread_id).aggregate_distinct())
        .get_result::<i64>(conn)?;
    Ok(before / rules::THREADS_PER_PAGE + 1)
}

pub fn is_barred(conn: &mut DbConn, user_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        comment_bans::table.filter(comment_bans::user_id.eq(user_id)),
    ))
    .get_result(conn)
}

// ---- The moderation queue ----

/// Which comments the queue shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Queue {
    Status(Status),
    /// Live comments readers reported.
    Reported,
}

#[derive(Debug, Clone, Default)]
pub struct QueueFilter {
    pub post_id: Option<i64>,
    pub user_id: Option<i64>,
}

/// A comment in the queue, with the post it is under.
#[derive(Debug, Clone)]
pub struct QueueItem {
    pub comment: Comment,
    pub post_title: String,
    pub post_slug: String,
}

fn in_queue(queue: Queue, filter: &QueueFilter) -> Boxed<'static> {
    let mut query = comments::table.into_boxed();
    query = match queue {
        Queue::Status(status) => query.filter(comments::status.eq(status)),
        Queue::Reported => query
            .filter(comments::reports.gt(0))
            .filter(comments::status.eq_any([Status::Approved, Status::Pending])),
    };
    if let Some(post) = filter.post_id {
        query = query.filter(comments::post_id.eq(post));
    }
    if let Some(user) = filter.user_id {
        query = query.filter(comments::user_id.eq(user));
    }
    query
}

/// A page of the queue, newest first, and whether more follow.
pub fn queue(
    conn: &mut DbConn,
    queue: Queue,
    filter: &QueueFilter,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<QueueItem>, bool)> {
    let mut rows: Vec<Comment> = in_queue(queue, filter)
        .order((comments::created_at.desc(), comments::id.desc()))
        .limit(per_page + 1)
        .offset((page - 1).max(0) * per_page)
        .select(Comment::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    let post_ids: Vec<i64> = rows.iter().map(|c| c.post_id).collect();
    let titles: HashMap<i64, (String, String)> = posts::table
        .filter(posts::id.eq_any(&post_ids))
        .select((posts::id, posts::title, posts::slug))
        .load::<(i64, String, String)>(conn)?
        .into_iter()
        .map(|(id, title, slug)| (id, (title, slug)))
        .collect();
    let items = rows
        .into_iter()
        .map(|comment| {
            let (post_title, post_slug) = titles.get(&comment.post_id).cloned().unwrap_or_default();
            QueueItem {
                comment,
                post_title,
                post_slug,
            }
        })
        .collect();
    Ok((items, more))
}

/// How many comments each queue holds (for its tab and the dashboard).
pub fn queue_counts(conn: &mut DbConn, filter: &QueueFilter) -> QueryResult<Vec<(Queue, i64)>> {
    let mut counts = Vec::new();
    for queue in [
        Queue::Status(Status::Pending),
        Queue::Reported,
        Queue::Status(Status::Approved),
        Queue::Status(Status::Spam),
        Queue::Status(Status::Trash),
    ] {
        let n: i64 = in_queue(queue, filter).count().get_result(conn)?;
        counts.push((queue, n));
    }
    Ok(counts)
}

/// The comments under some posts (deleted ones aside), oldest first, by post.
pub fn of_posts(conn: &mut DbConn, post_ids: &[i64]) -> QueryResult<HashMap<i64, Vec<Comment>>> {
    let mut by_post: HashMap<i64, Vec<Comment>> = HashMap::new();
    for comment in comments::table
        .filter(comments::post_id.eq_any(post_ids))
        .filter(comments::status.ne(Status::Deleted))
        .order(comments::id.asc())
        .select(Comment::as_select())
        .load(conn)?
    {
        by_post.entry(comment.post_id).or_default().push(comment);
    }
    Ok(by_post)
}

/// One person's comments (deleted ones aside), newest first, with their posts' slugs.
pub fn by_author(conn: &mut DbConn, user_id: i64) -> QueryResult<Vec<(Comment, String)>> {
    comments::table
        .inner_join(posts::table)
        .filter(comments::user_id.eq(user_id))
        .filter(comments::status.ne(Status::Deleted))
        .order(comments::id.desc())
        .select((Comment::as_select(), posts::slug))
        .load(conn)
}

/// Every comment with its post's slug, in the order written (a reply after the comment it
/// answers), a chunk at a time (for exports).
pub fn exported_after(
    conn: &mut DbConn,
    after: i64,
    limit: i64,
) -> QueryResult<Vec<(Comment, String)>> {
    comments::table
        .inner_join(posts::table)
        .filter(comments::id.gt(after))
        .order(comments::id.asc())
        .limit(limit)
        .select((Comment::as_select(), posts::slug))
        .load(conn)
}
