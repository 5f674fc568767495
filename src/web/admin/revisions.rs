//! A post's revisions: every saved version of its title and text, each shown as a diff
//! against the current text, and any of them restorable (which itself saves a revision, so a
//! restore can be undone the same way).

use std::time::Duration;

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;
use similar::{ChangeTag, TextDiff};

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::domain::posts::editing::Opened;
use crate::domain::posts::write;
use crate::domain::revisions::{self, Listed};
use crate::domain::settings;
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::admin::frame::admin_layout;
use crate::web::admin::posts::open_for;
use crate::web::respond::{private, see_other, set_notice, take_notice, use_case};
use crate::web::views::{DateView, Layout};

/// Lines of unchanged text shown around each change.
const CONTEXT_LINES: usize = 3;
/// A diff of two very different long texts is cut short rather than keep the server busy.
const DIFF_TIME_LIMIT: Duration = Duration::from_millis(300);

#[derive(Template)]
#[template(path = "admin/revisions.html")]
struct RevisionsPage {
    layout: Layout,
    notice: Option<String>,
    post_id: i64,
    title: String,
    revisions: Vec<RevisionView>,
}

struct RevisionView {
    url: String,
    saved: DateView,
    by: String,
    title: String,
    is_current: bool,
}

fn author_name(name: Option<String>) -> String {
    // No account: saved by an import, the demo or the command line, or by someone whose
    // account was removed since (the link is cleared then).
    name.unwrap_or_else(|| "an import, the command line or a removed account".into())
}

pub async fn list_revisions(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (opened, settings) = open_for(&state, &me, id.into_inner()).await?;
    let post_id = opened.post.id;
    let listed = state
        .db
        .run(move |conn| revisions::of_post(conn, post_id))
        .await?;
    let page = RevisionsPage {
        layout: admin_layout(
            &state,
            &me,
            &format!("/admin/posts/{post_id}/revisions"),
            "Revisions",
        )
        .await?,
        notice: take_notice(me.session()),
        post_id,
        revisions: listed
            .into_iter()
            .map(|listed| {
                let r = listed.revision;
                RevisionView {
                    url: format!("/admin/posts/{post_id}/revisions/{}", r.id),
                    saved: DateView::with_time(r.created_at, settings.timezone),
                    by: author_name(listed.author_name),
                    is_current: r.title == opened.post.title && r.markdown == opened.post.markdown,
                    title: r.title,
                }
            })
            .collect(),
        title: opened.post.title,
    };
    private(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "admin/revision.html")]
struct RevisionPage {
    layout: Layout,
    notice: Option<String>,
    csrf: String,
    post_id: i64,
    revision_id: i64,
    version: i32,
    saved: DateView,
    by: String,
    title_change: Option<(String, String)>,
    hunks: Vec<Hunk>,
    markdown: String,
}

/// A run of changed lines with their context, as rows of the current text beside the
/// revision's.
pub struct Hunk {
    pub rows: Vec<DiffRow>,
}

/// One row of the comparison: a line of the current text and the revision's line it
/// becomes (either may be missing, where a line was only removed or only added).
pub struct DiffRow {
    pub current: Option<DiffLine>,
    pub revision: Option<DiffLine>,
}

pub struct DiffLine {
    /// "removed", "added" or "same": also the CSS class.
    pub kind: &'static str,
    /// What a screen reader announces before the line.
    pub sign: &'static str,
    /// The line's text in pieces; the changed words within a changed line are marked.
    pub pieces: Vec<(bool, String)>,
}

impl DiffLine {
    pub fn text(&self) -> String {
        self.pieces.iter().map(|(_, text)| text.as_str()).collect()
    }
}

/// The changes from `old` to `new`, line by line, grouped with a little context; within a
/// changed line, the words that changed. Past the time limit the diff is still correct,
/// only less minimal.
pub fn diff(old: &str, new: &str) -> Vec<Hunk> {
    // One deadline for the lines and every changed line's words: a text with thousands of
    // changed lines still answers in about twice the limit, not half a second a line.
    let deadline = std::time::Instant::now() + 2 * DIFF_TIME_LIMIT;
    let diff = TextDiff::configure()
        .timeout(DIFF_TIME_LIMIT)
        .diff_lines(old, new);
    diff.grouped_ops(CONTEXT_LINES)
        .iter()
        .map(|group| {
            let mut rows = Vec::new();
            for op in group {
                let (mut removed, mut added) = (Vec::new(), Vec::new());
                for change in diff.iter_inline_changes_deadline(op, Some(deadline)) {
                    let (kind, sign) = match change.tag() {
                        ChangeTag::Delete => ("removed", "−"),
                        ChangeTag::Insert => ("added", "+"),
                        ChangeTag::Equal => ("same", " "),
                    };
                    let mut pieces: Vec<(bool, String)> = change
                        .iter_strings_lossy()
                        .map(|(marked, text)| (marked, text.into_owned()))
                        .collect();
                    if let Some((_, last)) = pieces.last_mut() {
                        let trimmed = last.trim_end_matches(['\n', '\r']).len();
                        last.truncate(trimmed);
                    }
                    let line = DiffLine { kind, sign, pieces };
                    match change.tag() {
                        ChangeTag::Delete => removed.push(line),
                        ChangeTag::Insert => added.push(line),
                        ChangeTag::Equal => rows.push(DiffRow {
                            current: Some(DiffLine {
                                kind,
                                sign,
                                pieces: line.pieces.clone(),
                            }),
                            revision: Some(line),
                        }),
                    }
                }
                // A replaced block: its lines side by side, in order.
                let len = removed.len().max(added.len());
                let (mut removed, mut added) = (removed.into_iter(), added.into_iter());
                for _ in 0..len {
                    rows.push(DiffRow {
                        current: removed.next(),
                        revision: added.next(),
                    });
                }
            }
            Hunk { rows }
        })
        .collect()
}

async fn open_revision(
    state: &AppState,
    me: &Staff,
    post_id: i64,
    revision_id: i64,
) -> AppResult<(Opened, Listed, settings::SiteSettings)> {
    let (opened, settings) = open_for(state, me, post_id).await?;
    let revision = state
        .db
        .run(move |conn| revisions::find(conn, post_id, revision_id))
        .await?
        .ok_or(AppError::NotFound)?;
    Ok((opened, revision, settings))
}

pub async fn show_revision(
    state: web::Data<AppState>,
    me: Staff,
    path: web::Path<(i64, i64)>,
) -> AppResult<HttpResponse> {
    let (post_id, revision_id) = path.into_inner();
    let (opened, listed, settings) = open_revision(&state, &me, post_id, revision_id).await?;
    let (revision, by) = (listed.revision, listed.author_name);
    // Diffing takes time in proportion to the texts: off the async workers.
    let (current, earlier) = (opened.post.markdown.clone(), revision.markdown.clone());
    let hunks = web::block(move || diff(&current, &earlier))
        .await
        .map_err(AppError::internal)?;
    let title_change = (revision.title != opened.post.title)
        .then(|| (revision.title.clone(), opened.post.title.clone()));
    let page = RevisionPage {
        layout: admin_layout(
            &state,
            &me,
            &format!("/admin/posts/{post_id}/revisions/{revision_id}"),
            "Revision",
        )
        .await?,
        notice: take_notice(me.session()),
        csrf: csrf::token(me.session())?,
        post_id,
        revision_id,
        version: opened.post.version,
        saved: DateView::with_time(revision.created_at, settings.timezone),
        by: author_name(by),
        title_change,
        hunks,
        markdown: revision.markdown,
    };
    private(StatusCode::OK, &page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RestoreForm {
    /// The post's version when the revision page was opened.
    version: i32,
}

pub async fn restore_revision(
    state: web::Data<AppState>,
    me: Staff,
    path: web::Path<(i64, i64)>,
    CsrfForm(form): CsrfForm<RestoreForm>,
) -> AppResult<HttpResponse> {
    let (post_id, revision_id) = path.into_inner();
    let actor = me.actor();
    let restored = use_case(&state, move |conn, head| {
        write::restore_revision(conn, &actor, post_id, revision_id, form.version, head.now)
    })
    .await?;
    let restored = match restored {
        Ok(_) => true,
        Err(WriteError::Conflict) => false,
        Err(refused) => return Err(refused.into()),
    };
    if !restored {
        set_notice(
            me.session(),
            "The post was saved by someone else meanwhile; nothing was restored. Compare again.",
        );
        return Ok(see_other(&format!(
            "/admin/posts/{post_id}/revisions/{revision_id}"
        )));
    }
    set_notice(
        me.session(),
        "Revision restored. The text it replaced is kept as a revision too.",
    );
    Ok(see_other(&format!("/admin/posts/{post_id}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row as (current kind, current text, revision kind, revision text).
    fn sides(row: &DiffRow) -> (&str, String, &str, String) {
        let side = |line: &Option<DiffLine>| {
            line.as_ref()
                .map_or(("", String::new()), |l| (l.kind, l.text()))
        };
        let (a, b) = (side(&row.current), side(&row.revision));
        (a.0, a.1, b.0, b.1)
    }

    #[test]
    fn a_diff_shows_changed_lines_side_by_side_with_context() {
        let old = "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\n";
        let new = "one\ntwo\nthree\nfour\nFIVE\nsix\nseven\neight\nnine\nten\n";
        let hunks = diff(old, new);
        assert_eq!(hunks.len(), 1);
        let rows: Vec<_> = hunks[0].rows.iter().map(sides).collect();
        let same = |t: &str| ("same", t.to_string(), "same", t.to_string());
        assert_eq!(
            rows,
            vec![
                same("two"),
                same("three"),
                same("four"),
                ("removed", "five".into(), "added", "FIVE".into()),
                same("six"),
                same("seven"),
                same("eight"),
                same("nine"),
                ("", String::new(), "added", "ten".into()),
            ]
        );
    }

    #[test]
    fn within_a_changed_line_the_changed_words_are_marked() {
        let hunks = diff("The quick brown fox jumps.\n", "The quick red fox jumps.\n");
        let row = &hunks[0].rows[0];
        let marked = |line: &Option<DiffLine>| -> Vec<String> {
            line.as_ref()
                .unwrap()
                .pieces
                .iter()
                .filter(|(marked, _)| *marked)
                .map(|(_, text)| text.trim().to_string())
                .collect()
        };
        assert_eq!(marked(&row.current), vec!["brown"]);
        assert_eq!(marked(&row.revision), vec!["red"]);
        assert_eq!(
            row.revision.as_ref().unwrap().text(),
            "The quick red fox jumps."
        );
    }

    #[test]
    fn equal_texts_have_no_hunks() {
        assert!(diff("same\n", "same\n").is_empty());
    }
}
