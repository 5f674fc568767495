//! The list of posts and of pages: by status, filtered by title, author and tag, in the
//! order asked for, a page at a time.

use crate::web::admin::frame::admin_layout;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::describe_status;
use crate::auth::csrf;
use crate::auth::identity::Staff;
use crate::clock::now;
use crate::domain::input::search_text;
use crate::domain::posts::bulk::Item;
use crate::domain::posts::editing::{self, ListQuery, Shelf, Sort};
use crate::domain::posts::{PostKind, PostStatus};
use crate::domain::{settings, tags, users};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::pager::{Pagination, page_param, query_url};
use crate::web::respond::{private, take_notice};
use crate::web::views::{DateView, Layout};

const PER_PAGE: i64 = 30;

#[derive(Template)]
#[template(path = "admin/posts.html")]
struct ListPage {
    layout: Layout,
    heading: &'static str,
    authors: Vec<(String, String)>,
    tags: Vec<(String, String)>,
    author: String,
    tag: String,
    sort: &'static str,
    notice: Option<String>,
    kind: &'static str,
    base: &'static str,
    shelf: &'static str,
    shelves: Vec<ShelfLink>,
    text: String,
    entries: Vec<EntryView>,
    pagination: Pagination,
    total: i64,
    columns: Vec<SortLink>,
    /// The bulk actions this shelf offers, as (value, label).
    actions: Vec<(&'static str, &'static str)>,
    csrf: String,
    /// This list's own address, filters and page included (bulk actions come back to it).
    here: String,
}

struct ShelfLink {
    url: String,
    label: &'static str,
    count: i64,
    current: bool,
}

/// A column header that sorts the list by it.
struct SortLink {
    label: &'static str,
    url: String,
    current: bool,
}

struct EntryView {
    id: i64,
    /// What the bulk form's checkbox sends: the post as the list shows it.
    item: String,
    title: String,
    status: &'static str,
    published: Option<DateView>,
    changed: DateView,
    /// The public page, while it is live.
    live_url: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListParams {
    status: String,
    q: String,
    author: String,
    tag: String,
    sort: String,
    page: String,
}

/// A filter's id from the query string: empty is none, anything but a number is refused.
fn filter_id(raw: &str) -> AppResult<Option<i64>> {
    match raw.trim() {
        "" => Ok(None),
        raw => raw
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::BadRequest("Choose a filter from the lists.".into())),
    }
}

pub async fn list_posts(
    state: web::Data<AppState>,
    me: Staff,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    list(&state, &me, PostKind::Post, params.into_inner()).await
}

pub async fn list_pages(
    state: web::Data<AppState>,
    me: Staff,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    list(&state, &me, PostKind::Page, params.into_inner()).await
}

async fn list(
    state: &AppState,
    me: &Staff,
    kind: PostKind,
    params: ListParams,
) -> AppResult<HttpResponse> {
    let (heading, base) = match kind {
        PostKind::Post => ("Posts", "/admin/posts"),
        PostKind::Page => ("Pages", "/admin/pages"),
    };
    let shelf = Shelf::parse(&params.status);
    let page = page_param(&params.page)?;
    let text = search_text(&params.q, 200).map_err(AppError::BadRequest)?;
    let (author_id, tag_id) = (filter_id(&params.author)?, filter_id(&params.tag)?);
    let sort = Sort::parse(&params.sort);
    let query = ListQuery {
        kind,
        shelf,
        text: text.clone(),
        author_id,
        tag_id,
        sort,
        page,
        per_page: PER_PAGE,
    };
    let now = now();
    let (settings, (entries, more), staff, tag_names, (total, counts)) = state
        .db
        .run(move |conn| {
            Ok::<_, AppError>((
                settings::current(conn, now)?,
                editing::list(conn, &query, now)?,
                users::staff(conn)?,
                tags::names(conn)?,
                (
                    editing::count(conn, &query, now)?,
                    editing::shelf_counts(conn, kind, now)?,
                ),
            ))
        })
        .await?;
    let (author, tag) = (
        author_id.map(|id| id.to_string()).unwrap_or_default(),
        tag_id.map(|id| id.to_string()).unwrap_or_default(),
    );
    let sort_param = if sort == Sort::Changed {
        ""
    } else {
        sort.as_str()
    };
    let filters = |shelf: Shelf, sort: &'static str| {
        [
            ("status", shelf.as_str()),
            ("q", text.as_str()),
            ("author", author.as_str()),
            ("tag", tag.as_str()),
            ("sort", sort),
        ]
    };
    let columns = [Sort::Title, Sort::Published, Sort::Changed]
        .into_iter()
        .map(|s| SortLink {
            label: match s {
                Sort::Published => "Published",
                other => other.label(),
            },
            url: query_url(
                base,
                &filters(shelf, if s == Sort::Changed { "" } else { s.as_str() }),
                1,
            ),
            current: s == sort,
        })
        .collect();
    let actions = match shelf {
        Shelf::Trash => vec![("restore", "Restore from the trash")],
        _ => vec![
            ("publish", "Publish"),
            ("unpublish", "Unpublish (back to drafts)"),
            ("trash", "Move to the trash"),
            ("tag", "Add a tag…"),
        ],
    };
    let page_view = ListPage {
        layout: admin_layout(state, me, base, heading).await?,
        heading,
        authors: staff
            .into_iter()
            .map(|u| (u.id.to_string(), u.display_name))
            .collect(),
        tags: tag_names
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect(),
        author: author.clone(),
        tag: tag.clone(),
        sort: sort.as_str(),
        notice: take_notice(me.session()),
        kind: kind.as_str(),
        base,
        shelf: shelf.as_str(),
        shelves: Shelf::ALL
            .into_iter()
            .map(|s| ShelfLink {
                url: query_url(base, &filters(s, sort_param), 1),
                label: s.label(),
                count: counts.iter().find(|(c, _)| *c == s).map_or(0, |c| c.1),
                current: s == shelf,
            })
            .collect(),
        entries: entries
            .into_iter()
            .map(|entry| {
                let status =
                    describe_status(entry.status, entry.published_at, entry.deleted_at, now);
                EntryView {
                    id: entry.id,
                    item: Item {
                        id: entry.id,
                        version: entry.version,
                    }
                    .as_value(),
                    live_url: (status == "Published").then(|| format!("/{}/", entry.slug)),
                    status,
                    title: entry.title,
                    published: entry
                        .published_at
                        .filter(|_| entry.status != PostStatus::Draft)
                        .map(|at| DateView::new(at, settings.timezone)),
                    changed: DateView::new(entry.updated_at, settings.timezone),
                }
            })
            .collect(),
        pagination: Pagination::by_query(base, &filters(shelf, sort_param), page, more)
            .counting(total, PER_PAGE),
        here: query_url(base, &filters(shelf, sort_param), page),
        total,
        columns,
        actions,
        csrf: csrf::token(me.session())?,
        text,
    };
    private(StatusCode::OK, &page_view)
}
