//! The list of posts and of pages: by status, filtered by title, author and tag, in the
//! order asked for, a page at a time.

use crate::web::admin::frame::admin_layout;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::describe_status;
use crate::auth::identity::Staff;
use crate::clock::now;
use crate::domain::input::search_text;
use crate::domain::posts::PostKind;
use crate::domain::posts::editing::{self, ListQuery, Shelf, Sort};
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
    sorts: Vec<(&'static str, &'static str)>,
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
}

struct ShelfLink {
    url: String,
    label: &'static str,
    current: bool,
}

struct EntryView {
    id: i64,
    title: String,
    status: &'static str,
    changed: DateView,
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
    let (settings, (entries, more), staff, tag_names) = state
        .db
        .run(move |conn| {
            Ok::<_, AppError>((
                settings::current(conn, now)?,
                editing::list(conn, &query, now)?,
                users::staff(conn)?,
                tags::names(conn)?,
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
    let filters = |shelf: Shelf| {
        [
            ("status", shelf.as_str()),
            ("q", text.as_str()),
            ("author", author.as_str()),
            ("tag", tag.as_str()),
            ("sort", sort_param),
        ]
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
        sorts: Sort::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
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
                url: query_url(base, &filters(s), 1),
                label: s.label(),
                current: s == shelf,
            })
            .collect(),
        entries: entries
            .into_iter()
            .map(|entry| EntryView {
                id: entry.id,
                status: describe_status(entry.status, entry.published_at, entry.deleted_at, now),
                title: entry.title,
                changed: DateView::new(entry.updated_at, settings.timezone),
            })
            .collect(),
        pagination: Pagination::by_query(base, &filters(shelf), page, more),
        text,
    };
    private(StatusCode::OK, &page_view)
}
