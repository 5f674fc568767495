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
use crate::web::admin::listing::{Column, Shelf as ListShelf, SortKey, columns};
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
    shelves: Vec<ListShelf>,
    text: String,
    entries: Vec<EntryView>,
    pagination: Pagination,
    total: i64,
    columns: Vec<Column>,
    /// The bulk actions this shelf offers, as (value, label).
    actions: Vec<(&'static str, &'static str)>,
    csrf: String,
    /// This list's own address, filters and page included (bulk actions come back to it).
    here: String,
    /// Whether every row comes ticked, and the address that ticks them all or none.
    all_selected: bool,
    select_url: String,
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
    /// `all`: every row of the page comes ticked (select-all without a script).
    select: String,
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
    let key = |s: Sort| SortKey::new(s.as_str(), s.label(), s == Sort::Title);
    let keys = [key(Sort::Changed), key(Sort::Published), key(Sort::Title)];
    let headers = [
        ("Title", Some(keys[2])),
        ("Status", None),
        ("Published", Some(keys[1])),
        ("Last changed", Some(keys[0])),
    ];
    let [status, q, author_filter, tag_filter, _] = filters(shelf, "");
    let columns = columns(
        base,
        &[status, q, author_filter, tag_filter],
        &headers,
        &keys,
        key(sort),
    );
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
            .map(|s| ListShelf {
                url: query_url(base, &filters(s, sort_param), 1),
                label: s.label().into(),
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
        all_selected: params.select == "all",
        select_url: {
            let [status, q, author, tag, sort] = filters(shelf, sort_param);
            let select = ("select", if params.select == "all" { "" } else { "all" });
            query_url(base, &[status, q, author, tag, sort, select], page)
        },
        total,
        columns,
        actions,
        csrf: csrf::token(me.session())?,
        text,
    };
    private(StatusCode::OK, &page_view)
}
