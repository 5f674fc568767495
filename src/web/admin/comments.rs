//! Comment moderation in the admin: the queues (waiting, reported, approved, spam, trash)
//! filtered by post or author, decisions on one comment or many at once, barring a member,
//! and the comment settings.

use crate::web::admin::frame::admin_layout;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::{Staff, safe_next};
use crate::auth::permissions::Permission;
use crate::clock::now;
use crate::domain::comments::rules::{self, SettingsInput};
use crate::domain::comments::write::{self as comment_write, Moderation};
use crate::domain::comments::{self, Queue, QueueFilter, QueueItem, Status};
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::render::SafeHtml;
use crate::state::AppState;
use crate::web::forms::{Errors, Field, pair_value};
use crate::web::pager::{Pagination, page_param, query_url};
use crate::web::respond::{
    invalid, ok, see_other, set_notice, take_notice, take_notice_unless_refresh, use_case,
};
use crate::web::views::{DateView, Layout};

const PER_PAGE: i64 = 50;

fn queue_key(queue: Queue) -> &'static str {
    match queue {
        Queue::Status(status) => status.as_str(),
        Queue::Reported => "reported",
    }
}

fn queue_label(queue: Queue) -> &'static str {
    match queue {
        Queue::Status(Status::Pending) => "Waiting",
        Queue::Reported => "Reported",
        Queue::Status(Status::Approved) => "Approved",
        Queue::Status(Status::Spam) => "Spam",
        Queue::Status(Status::Trash) => "Trash",
        Queue::Status(Status::Deleted) => "Deleted",
    }
}

fn parse_queue(raw: &str) -> Option<Queue> {
    match raw {
        "" => Some(Queue::Status(Status::Pending)),
        "reported" => Some(Queue::Reported),
        raw => Status::parse(raw)
            .filter(|s| *s != Status::Deleted)
            .map(Queue::Status),
    }
}

struct Tab {
    label: &'static str,
    count: i64,
    url: String,
    current: bool,
}

struct Row {
    id: i64,
    author: String,
    email: String,
    author_url: String,
    post_title: String,
    post_url: String,
    filter_post_url: String,
    filter_author_url: Option<String>,
    html: SafeHtml,
    date: DateView,
    status: &'static str,
    reports: i32,
    staff: bool,
}

#[derive(Template)]
#[template(path = "admin/comments.html")]
struct QueuePage {
    layout: Layout,
    notice: Option<String>,
    csrf: String,
    tabs: Vec<Tab>,
    rows: Vec<Row>,
    /// What the list is narrowed to, with the link that widens it again.
    filters: Vec<(String, String)>,
    actions: Vec<(&'static str, &'static str)>,
    here: String,
    pagination: Pagination,
    can_settings: bool,
    /// The member the list is narrowed to, who can be barred (staff cannot).
    member: Option<Member>,
}

struct Member {
    user_id: i64,
    name: String,
    barred: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct QueueParams {
    queue: String,
    post: String,
    author: String,
    page: String,
}

fn optional_id(raw: &str) -> AppResult<Option<i64>> {
    match raw.trim() {
        "" => Ok(None),
        raw => raw
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(Some)
            .ok_or(AppError::NotFound),
    }
}

pub async fn show_queue(
    req: HttpRequest,
    state: web::Data<AppState>,
    me: Staff,
    params: web::Query<QueueParams>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ModerateComments)?;
    let queue = parse_queue(&params.queue).ok_or(AppError::NotFound)?;
    let page = page_param(&params.page)?;
    let filter = QueueFilter {
        post_id: optional_id(&params.post)?,
        user_id: optional_id(&params.author)?,
    };
    let query_filter = filter.clone();
    let site = std::sync::Arc::clone(&state.site);
    let (counts, (items, more), post_title, member, tz) = state
        .db
        .run(move |conn| {
            let tz = site.current(conn, now())?.settings.timezone;
            let counts = comments::queue_counts(conn, &query_filter)?;
            let listed = comments::queue(conn, queue, &query_filter, page, PER_PAGE)?;
            let post_title = match query_filter.post_id {
                Some(id) => crate::domain::posts::by_id(conn, id).ok().map(|p| p.title),
                None => None,
            };
            let member = match query_filter.user_id {
                Some(id) => match crate::domain::users::by_id(conn, id)? {
                    Some(user) => Some((
                        user.display_name.clone(),
                        (!user.role().is_staff()).then_some(id),
                        comments::is_barred(conn, id)?,
                    )),
                    None => None,
                },
                None => None,
            };
            Ok::<_, AppError>((counts, listed, post_title, member, tz))
        })
        .await?;
    let (post_param, author_param) = (params.post.trim(), params.author.trim());
    let here_with = |queue: &str, post: &str, author: &str, n: i64| {
        query_url(
            "/admin/comments",
            &[("queue", queue), ("post", post), ("author", author)],
            n,
        )
    };
    let key = queue_key(queue);
    let tabs = counts
        .iter()
        .map(|(q, count)| Tab {
            label: queue_label(*q),
            count: *count,
            url: here_with(
                if *q == Queue::Status(Status::Pending) {
                    ""
                } else {
                    queue_key(*q)
                },
                post_param,
                author_param,
                1,
            ),
            current: *q == queue,
        })
        .collect();
    let mut filters = Vec::new();
    if let Some(title) = post_title.filter(|_| filter.post_id.is_some()) {
        filters.push((format!("On “{title}”"), here_with(key, "", author_param, 1)));
    } else if filter.post_id.is_some() {
        filters.push((
            "On a removed post".into(),
            here_with(key, "", author_param, 1),
        ));
    }
    if let Some((name, _, _)) = &member {
        filters.push((format!("By {name}"), here_with(key, post_param, "", 1)));
    }
    let rows = items
        .into_iter()
        .map(
            |QueueItem {
                 comment,
                 post_title,
                 post_slug,
             }| Row {
                id: comment.id,
                author: comment.author_name.clone(),
                email: comment.author_email.clone(),
                author_url: comment.author_url.clone(),
                post_url: if comment.status == Status::Approved {
                    format!("/comments/{}", comment.id)
                } else {
                    format!("/{post_slug}/")
                },
                post_title,
                filter_post_url: here_with(key, &comment.post_id.to_string(), author_param, 1),
                filter_author_url: comment
                    .user_id
                    .map(|u| here_with(key, post_param, &u.to_string(), 1)),
                html: SafeHtml::from_stored(comment.html.clone()),
                date: DateView::with_time(comment.created_at, tz),
                status: comment.status.label(),
                reports: comment.reports,
                staff: comment.staff,
            },
        )
        .collect();
    let actions = match queue {
        Queue::Status(Status::Pending) => {
            vec![("approve", "Approve"), ("spam", "Spam"), ("trash", "Trash")]
        }
        Queue::Reported => vec![
            ("dismiss", "Keep (dismiss reports)"),
            ("hold", "Hold"),
            ("spam", "Spam"),
            ("trash", "Trash"),
        ],
        Queue::Status(Status::Approved) => {
            vec![("hold", "Hold"), ("spam", "Spam"), ("trash", "Trash")]
        }
        _ => vec![("approve", "Approve"), ("hold", "Back to waiting")],
    };
    let here = here_with(key, post_param, author_param, page);
    ok(&QueuePage {
        layout: admin_layout(&state, &me, "/admin/comments", "Comments").await?,
        notice: take_notice_unless_refresh(&req, me.session()),
        csrf: csrf::token(me.session())?,
        tabs,
        rows,
        filters,
        actions,
        pagination: Pagination::by_query(
            "/admin/comments",
            &[
                ("queue", key),
                ("post", post_param),
                ("author", author_param),
            ],
            page,
            more,
        ),
        here,
        can_settings: me.role().can(Permission::ManageSettings),
        member: member.and_then(|(name, user_id, barred)| {
            user_id.map(|user_id| Member {
                user_id,
                name,
                barred,
            })
        }),
    })
}

/// A comment named elsewhere (the audit log): its queue, narrowed to its post.
pub async fn show_comment(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ModerateComments)?;
    let id = id.into_inner();
    let comment = state
        .db
        .run(move |conn| comments::by_id(conn, id))
        .await?
        .ok_or(AppError::NotFound)?;
    let queue = match comment.status {
        Status::Pending => "",
        // A deleted comment is in no queue: its post's live ones are the nearest.
        Status::Deleted => Status::Approved.as_str(),
        status => status.as_str(),
    };
    Ok(see_other(&query_url(
        "/admin/comments",
        &[("queue", queue), ("post", &comment.post_id.to_string())],
        1,
    )))
}

/// One decision on the comments ticked (or the one whose button was pressed).
pub async fn moderate(
    state: web::Data<AppState>,
    me: Staff,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ModerateComments)?;
    let value = |name: &str| pair_value(&pairs, name);
    let back = safe_next(Some(value("back"))).unwrap_or_else(|| "/admin/comments".into());
    let action = Moderation::parse(value("action"))
        .ok_or_else(|| AppError::BadRequest("Choose what to do with the comments.".into()))?;
    let ids: Vec<i64> = pairs
        .iter()
        .filter(|(k, _)| k == "ids")
        .filter_map(|(_, v)| v.parse().ok())
        .take(1000)
        .collect();
    if ids.is_empty() {
        set_notice(me.session(), "Tick the comments to act on first.");
        return Ok(see_other(&back));
    }
    let actor = me.actor();
    let changed = use_case(&state, move |conn, head| {
        comment_write::moderate(conn, &actor, &ids, action, head.now)
    })
    .await??;
    set_notice(
        me.session(),
        &match changed {
            0 => "Nothing changed.".to_string(),
            1 => "1 comment changed.".to_string(),
            n => format!("{n} comments changed."),
        },
    );
    Ok(see_other(&back))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct BarForm {
    user_id: String,
    barred: String,
    back: String,
}

/// Bars a member from commenting (or lets them comment again).
pub async fn bar(
    state: web::Data<AppState>,
    me: Staff,
    CsrfForm(form): CsrfForm<BarForm>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ModerateComments)?;
    let user_id = optional_id(&form.user_id)?.ok_or(AppError::NotFound)?;
    let barred = form.barred == "yes";
    let actor = me.actor();
    use_case(&state, move |conn, head| {
        comment_write::bar(conn, &actor, user_id, barred, head.now)
    })
    .await??;
    set_notice(
        me.session(),
        if barred {
            "The member can no longer comment."
        } else {
            "The member can comment again."
        },
    );
    let back = safe_next(Some(&form.back)).unwrap_or_else(|| "/admin/comments".into());
    Ok(see_other(&back))
}

// ---- Settings ----

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct SettingsForm {
    who: String,
    order: String,
    close_after_days: String,
    max_links: String,
    first_needs_approval: Option<String>,
    hold_words: String,
    block_words: String,
}

impl SettingsForm {
    fn input(&self) -> SettingsInput {
        SettingsInput {
            who: self.who.clone(),
            order: self.order.clone(),
            close_after_days: self.close_after_days.clone(),
            max_links: self.max_links.clone(),
            first_needs_approval: self.first_needs_approval.is_some(),
            hold_words: self.hold_words.clone(),
            block_words: self.block_words.clone(),
        }
    }

    fn of(input: SettingsInput) -> SettingsForm {
        SettingsForm {
            who: input.who,
            order: input.order,
            close_after_days: input.close_after_days,
            max_links: input.max_links,
            first_needs_approval: input.first_needs_approval.then(|| "on".into()),
            hold_words: input.hold_words,
            block_words: input.block_words,
        }
    }

    fn fields(&self, errors: &Errors) -> Vec<Field> {
        vec![
            Field::new("who", "Who may comment", "select")
                .options([
                    ("members", "Signed-in members"),
                    (
                        "guests",
                        "Members, and guests who confirm their email address",
                    ),
                    ("nobody", "Nobody (comments closed everywhere)"),
                ])
                .value(&self.who)
                .error(errors.get("who")),
            Field::new("order", "Order of conversations", "select")
                .options([("oldest", "Oldest first"), ("newest", "Newest first")])
                .value(&self.order)
                .error(errors.get("order")),
            Field::new("close_after_days", "Close comments after (days)", "number")
                .value(numeric(&self.close_after_days))
                .hint("Posts published longer ago than this take no new comments. 0 keeps them open.")
                .error(errors.get("close_after_days")),
            Field::new("first_needs_approval", "A member's first comment waits for approval", "checkbox")
                .checked(self.first_needs_approval.is_some())
                .hint("Once one of their comments is approved, later ones go live at once."),
            Field::new("max_links", "Hold comments with more links than", "number")
                .value(numeric(&self.max_links))
                .error(errors.get("max_links")),
            Field::new("hold_words", "Hold comments containing", "textarea")
                .value(&self.hold_words)
                .hint("One word or phrase a line, matched without case in the text, name, email and website.")
                .error(errors.get("hold_words")),
            Field::new("block_words", "Mark as spam comments containing", "textarea")
                .value(&self.block_words)
                .hint("One word or phrase a line, as above.")
                .error(errors.get("block_words")),
        ]
    }
}

/// What a number field can show again: a number input holds numbers only (its message says
/// what was wrong).
fn numeric(raw: &str) -> &str {
    if raw.trim().parse::<i64>().is_ok() {
        raw.trim()
    } else {
        ""
    }
}

#[derive(Template)]
#[template(path = "admin/comment_settings.html")]
struct SettingsPage {
    layout: Layout,
    notice: Option<String>,
    csrf: String,
    fields: Vec<Field>,
    problem: bool,
}

async fn settings_page(
    state: &AppState,
    me: &Staff,
    form: &SettingsForm,
    errors: &Errors,
) -> AppResult<SettingsPage> {
    Ok(SettingsPage {
        layout: admin_layout(state, me, "/admin/comments/settings", "Comment settings").await?,
        notice: take_notice(me.session()),
        csrf: csrf::token(me.session())?,
        fields: form.fields(errors),
        problem: !errors.is_empty(),
    })
}

pub async fn show_settings(state: web::Data<AppState>, me: Staff) -> AppResult<HttpResponse> {
    me.require(Permission::ManageSettings)?;
    let site = std::sync::Arc::clone(&state.site);
    let current = state
        .db
        .run(move |conn| Ok::<_, AppError>(site.current(conn, now())?.settings.comments.clone()))
        .await?;
    let form = SettingsForm::of(SettingsInput::of(&current));
    ok(&settings_page(&state, &me, &form, &Errors::default()).await?)
}

pub async fn save_settings(
    state: web::Data<AppState>,
    me: Staff,
    CsrfForm(form): CsrfForm<SettingsForm>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ManageSettings)?;
    let (actor, input) = (me.actor(), form.input());
    let saved = use_case(&state, move |conn, head| {
        let settings = rules::parse_settings(&input)?;
        comment_write::save_settings(conn, &actor, &settings, head.now)
    })
    .await?;
    match saved {
        Ok(()) => {
            set_notice(me.session(), "Comment settings saved.");
            Ok(see_other("/admin/comments/settings"))
        }
        Err(WriteError::Invalid(errors)) => {
            invalid(&settings_page(&state, &me, &form, &errors).await?)
        }
        Err(refused) => Err(refused.into()),
    }
}
