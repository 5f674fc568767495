//! The conversation under a post as its page shows it: comments arranged as nested threads
//! (`SHOWN_DEPTH` levels, deeper replies flat under their thread, as WordPress does), with
//! what the reader may do to each.

use std::collections::HashMap;

use chrono::NaiveDateTime;
use chrono_tz::Tz;

use crate::domain::comments::rules::{self, SHOWN_DEPTH};
use crate::domain::comments::{Comment, Conversation, Status, Viewer};
use crate::render::SafeHtml;
use crate::web::views::DateView;

/// The comments section of a post's page.
pub struct CommentsSection {
    /// "3 comments"
    pub heading: String,
    pub count: i64,
    /// In document order; see `CommentItem::closes`.
    pub items: Vec<CommentItem>,
    /// Why no new comments are taken, when they are not.
    pub closed: Option<&'static str>,
    /// The form, for a signed-in reader when comments are open.
    pub form: Option<CommentForm>,
    /// Where an anonymous reader signs in to comment.
    pub sign_in: Option<String>,
    /// Where a guest comments with their email address, where guests may.
    pub guest: Option<String>,
    /// The signed-in reader's form token (for reports and moderation).
    pub csrf: Option<String>,
    pub newer_page: Option<String>,
    pub older_page: Option<String>,
    pub page: i64,
    pub pages: i64,
    /// This page's address, for forms that come back here.
    pub here: String,
    /// The post, for the page's live stream.
    pub post_id: i64,
}

pub struct CommentForm {
    pub csrf: String,
    pub post_id: i64,
}

pub struct CommentItem {
    pub id: i64,
    pub author: String,
    /// Their website, linked with `rel="ugc nofollow"`.
    pub author_url: Option<String>,
    pub staff: bool,
    pub html: SafeHtml,
    pub deleted: bool,
    pub pending: bool,
    pub edited: bool,
    pub date: DateView,
    /// "3 days ago", at day precision (a script keeps it current on cached pages).
    pub ago: String,
    pub permalink: String,
    /// Shown flat below its thread's deepest level: names whom it answers.
    pub in_reply_to: Option<String>,
    /// Its replies follow inside it (`<ol>` opened after it, closed by a later item).
    pub opens_replies: bool,
    /// How many reply lists (with their parent items) close after it.
    pub closes: usize,
    pub can_reply: bool,
    pub can_edit: bool,
    pub can_delete: bool,
    pub can_report: bool,
    pub can_moderate: bool,
}

impl CommentItem {
    pub fn anchor(&self) -> String {
        format!("comment-{}", self.id)
    }

    pub fn closing(&self) -> std::ops::Range<usize> {
        0..self.closes
    }
}

/// The address of page `page` of the conversation under `/{slug}/`.
pub fn page_url(slug: &str, page: i64) -> String {
    if page <= 1 {
        format!("/{slug}/")
    } else {
        format!("/{slug}/comments/{page}/")
    }
}

/// Day-precision words for how long ago `at` was.
pub fn ago(at: NaiveDateTime, now: NaiveDateTime) -> String {
    let days = (now.date() - at.date()).num_days();
    match days {
        i64::MIN..=0 => "today".into(),
        1 => "yesterday".into(),
        2..=30 => format!("{days} days ago"),
        31..=364 => match days / 30 {
            1 => "a month ago".into(),
            n => format!("{n} months ago"),
        },
        _ => match days / 365 {
            1 => "a year ago".into(),
            n => format!("{n} years ago"),
        },
    }
}

/// What the section needs besides the conversation itself.
pub struct Context<'a> {
    pub slug: &'a str,
    pub viewer: Viewer,
    pub tz: Tz,
    pub now: NaiveDateTime,
    pub closed: Option<&'static str>,
    pub csrf: Option<String>,
    pub post_id: i64,
    /// The site takes comments from guests who confirm their address.
    pub guests: bool,
}

pub fn section(conversation: &Conversation, cx: &Context<'_>) -> CommentsSection {
    let items = arrange(&conversation.comments, cx);
    let page = conversation.page;
    let signed_in = cx.viewer.user_id.is_some();
    let open = cx.closed.is_none();
    CommentsSection {
        heading: match conversation.approved {
            0 => "Comments".into(),
            1 => "1 comment".into(),
            n => format!("{n} comments"),
        },
        count: conversation.approved,
        items,
        closed: cx.closed,
        form: match (&cx.csrf, open) {
            (Some(csrf), true) if signed_in => Some(CommentForm {
                csrf: csrf.clone(),
                post_id: cx.post_id,
            }),
            _ => None,
        },
        sign_in: (open && !signed_in)
            .then(|| crate::auth::identity::sign_in_url(&format!("/{}/#respond", cx.slug))),
        guest: (open && !signed_in && cx.guests)
            .then(|| format!("/comments/new?post_id={}", cx.post_id)),
        csrf: cx.csrf.clone(),
        newer_page: (page > 1).then(|| page_url(cx.slug, page - 1)),
        older_page: (page < conversation.pages).then(|| page_url(cx.slug, page + 1)),
        page,
        pages: conversation.pages,
        here: page_url(cx.slug, page),
        post_id: cx.post_id,
    }
}

/// Orders the page's comments as nested threads and works out the markup's nesting.
fn arrange(comments: &[Comment], cx: &Context<'_>) -> Vec<CommentItem> {
    let by_id: HashMap<i64, &Comment> = comments.iter().map(|c| (c.id, c)).collect();
    let mut children: HashMap<i64, Vec<&Comment>> = HashMap::new();
    let mut tops: Vec<&Comment> = Vec::new();
    for comment in comments {
        match comment.parent_id {
            None => tops.push(comment),
            // A reply whose parent is not shown (held, removed) joins its thread's top.
            Some(parent) if by_id.contains_key(&parent) => {
                children.entry(parent).or_default().push(comment)
            }
            Some(_) => {
                if let Some(top) = comment.thread_id.filter(|t| by_id.contains_key(t)) {
                    children.entry(top).or_default().push(comment)
                }
            }
        }
    }
    // A deleted comment is shown (as deleted) only while replies hang from it.
    fn has_visible(id: i64, children: &HashMap<i64, Vec<&Comment>>) -> bool {
        children.get(&id).is_some_and(|kids| {
            kids.iter()
                .any(|k| k.status != Status::Deleted || has_visible(k.id, children))
        })
    }
    let mut out: Vec<CommentItem> = Vec::new();
    // Depth-first, iteratively: (comment, shown depth, flattened-under name).
    let mut stack: Vec<(&Comment, i32, Option<String>)> =
        tops.iter().rev().map(|c| (*c, 0, None)).collect();
    let mut open_lists: Vec<i32> = Vec::new();
    while let Some((comment, depth, in_reply_to)) = stack.pop() {
        if comment.status == Status::Deleted && !has_visible(comment.id, &children) {
            continue;
        }
        // Close the reply lists this item is not inside.
        while open_lists.last().is_some_and(|d| *d >= depth) {
            open_lists.pop();
            if let Some(last) = out.last_mut() {
                last.closes += 1;
            }
        }
        let kids = children.get(&comment.id).cloned().unwrap_or_default();
        let nests = depth + 1 < SHOWN_DEPTH;
        let mut item = item(comment, cx, in_reply_to);
        if nests
            && kids
                .iter()
                .any(|k| k.status != Status::Deleted || has_visible(k.id, &children))
        {
            item.opens_replies = true;
            open_lists.push(depth);
        }
        out.push(item);
        if nests {
            for kid in kids.iter().rev() {
                stack.push((kid, depth + 1, None));
            }
        } else {
            // At the deepest shown level the rest of the subthread follows flat, in time order.
            let mut flat = Vec::new();
            let mut todo: Vec<&Comment> = kids.clone();
            while let Some(next) = todo.pop() {
                flat.push(next);
                todo.extend(children.get(&next.id).cloned().unwrap_or_default());
            }
            flat.sort_by_key(|c| (c.created_at, c.id));
            for reply in flat.into_iter().rev() {
                let parent = reply
                    .parent_id
                    .and_then(|p| by_id.get(&p))
                    .map(|p| p.author_name.clone());
                // Flattened replies carry no replies of their own in the markup.
                stack.push((reply, depth, parent));
                children.remove(&reply.id);
            }
        }
    }
    // Whatever is still open closes at the end.
    if let Some(last) = out.last_mut() {
        last.closes += open_lists.len();
    }
    out
}

fn item(comment: &Comment, cx: &Context<'_>, in_reply_to: Option<String>) -> CommentItem {
    let deleted = comment.status == Status::Deleted;
    let mine = cx.viewer.user_id.is_some() && comment.user_id == cx.viewer.user_id;
    let live = comment.status == Status::Approved;
    let open = cx.closed.is_none();
    CommentItem {
        id: comment.id,
        author: if deleted {
            String::new()
        } else {
            comment.author_name.clone()
        },
        author_url: Some(comment.author_url.clone())
            .filter(|u| !deleted && (u.starts_with("https://") || u.starts_with("http://"))),
        staff: comment.staff,
        html: SafeHtml::from_stored(comment.html.clone()),
        deleted,
        pending: comment.status == Status::Pending,
        edited: comment.edited_at.is_some(),
        date: DateView::with_time(comment.created_at, cx.tz),
        ago: ago(comment.created_at, cx.now),
        permalink: format!("#comment-{}", comment.id),
        in_reply_to,
        opens_replies: false,
        closes: 0,
        can_reply: live && open && comment.depth < rules::MAX_DEPTH,
        can_edit: cx
            .viewer
            .user_id
            .is_some_and(|me| comment.editable_by(me, cx.now)),
        can_delete: mine && !deleted,
        can_report: cx.viewer.user_id.is_some() && !mine && live,
        can_moderate: cx.viewer.moderator && !deleted,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(minute: i64) -> NaiveDateTime {
        chrono::DateTime::from_timestamp(1_800_000_000 + minute * 60, 0)
            .unwrap()
            .naive_utc()
    }

    fn comment(id: i64, parent: Option<(i64, i32)>, thread: i64) -> Comment {
        Comment {
            id,
            post_id: 1,
            parent_id: parent.map(|p| p.0),
            thread_id: Some(thread),
            depth: parent.map_or(0, |p| p.1 + 1),
            user_id: Some(9),
            author_name: format!("Person {id}"),
            author_email: String::new(),
            author_url: String::new(),
            staff: false,
            status: Status::Approved,
            reports: 0,
            created_at: at(id),
            updated_at: at(id),
            edited_at: None,
            markdown: format!("text {id}"),
            html: format!("<p>text {id}</p>"),
            notify_replies: false,
        }
    }

    fn cx() -> Context<'static> {
        Context {
            slug: "post",
            viewer: Viewer::default(),
            tz: Tz::UTC,
            now: at(100),
            closed: None,
            guests: false,
            csrf: None,
            post_id: 1,
        }
    }

    /// The markup's shape: ids with their nesting, as the template writes it.
    fn shape(items: &[CommentItem]) -> String {
        let mut out = String::new();
        for item in items {
            out.push_str(&format!("<{}", item.id));
            if item.opens_replies {
                out.push('[');
            } else {
                out.push('>');
            }
            for _ in 0..item.closes {
                out.push_str("]>");
            }
        }
        out
    }

    #[test]
    fn replies_nest_under_their_parents() {
        let comments = vec![
            comment(1, None, 1),
            comment(2, Some((1, 0)), 1),
            comment(3, None, 3),
            comment(4, Some((2, 1)), 1),
            comment(5, Some((1, 0)), 1),
        ];
        let items = arrange(&comments, &cx());
        assert_eq!(shape(&items), "<1[<2[<4>]><5>]><3>");
    }

    #[test]
    fn deep_replies_are_flat_under_the_deepest_level() {
        // A chain 1 → 2 → … → 8: levels 0..4 nest, 6, 7 and 8 follow 5 flat.
        let mut comments = vec![comment(1, None, 1)];
        for id in 2..=8 {
            comments.push(comment(id, Some((id - 1, (id - 2) as i32)), 1));
        }
        let items = arrange(&comments, &cx());
        assert_eq!(shape(&items), "<1[<2[<3[<4[<5><6><7><8>]>]>]>]>");
        assert_eq!(items[5].in_reply_to.as_deref(), Some("Person 5"));
        assert!(items[3].in_reply_to.is_none());
    }

    #[test]
    fn a_deleted_comment_keeps_its_place_only_with_replies() {
        let mut gone = comment(1, None, 1);
        gone.status = Status::Deleted;
        let mut lonely = comment(3, None, 3);
        lonely.status = Status::Deleted;
        let comments = vec![gone, comment(2, Some((1, 0)), 1), lonely];
        let items = arrange(&comments, &cx());
        assert_eq!(shape(&items), "<1[<2>]>");
        assert!(items[0].deleted && items[0].author.is_empty());
    }

    #[test]
    fn a_reply_to_a_hidden_comment_joins_its_thread() {
        let comments = vec![comment(1, None, 1), comment(3, Some((2, 1)), 1)];
        let items = arrange(&comments, &cx());
        assert_eq!(shape(&items), "<1[<3>]>");
    }

    #[test]
    fn days_read_as_words() {
        assert_eq!(ago(at(0), at(1)), "today");
        assert_eq!(ago(at(0), at(60 * 24)), "yesterday");
        assert_eq!(ago(at(0), at(60 * 24 * 3)), "3 days ago");
        assert_eq!(ago(at(0), at(60 * 24 * 400)), "a year ago");
    }
}
