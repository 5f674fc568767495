//! The audit log as owners and admins read it: newest first, filtered by person or by kind
//! of object, a page at a time.

use crate::web::admin::frame::admin_layout;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::clock::now;
use crate::domain::audit::{self, Filter, Object};
use crate::domain::settings;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::respond::ok;
use crate::web::views::{DateView, Layout};

const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "admin/audit.html")]
struct AuditPage {
    layout: Layout,
    actors: Vec<(String, String)>,
    objects: Vec<&'static str>,
    actor: String,
    object: String,
    entries: Vec<EntryView>,
    /// How many entries the filters match in all.
    total: i64,
    first_page_url: Option<String>,
    older_url: Option<String>,
}

pub struct EntryView {
    pub at: DateView,
    pub actor: String,
    pub action: String,
    pub object: String,
    pub link: Option<String>,
    pub summary: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AuditParams {
    actor: String,
    object: String,
    before: String,
}

impl EntryView {
    pub fn new(entry: audit::Entry, tz: chrono_tz::Tz) -> EntryView {
        EntryView {
            at: DateView::with_time(entry.created_at, tz),
            link: link_to(entry.object_type, entry.object_id),
            actor: entry.actor_name,
            action: entry.action,
            object: entry.object_type.to_string(),
            summary: entry.summary,
        }
    }
}

/// Where an entry's object can be seen now, if anywhere.
fn link_to(object: Object, id: Option<i64>) -> Option<String> {
    let id = id?;
    match object {
        Object::Post | Object::Page => Some(format!("/admin/posts/{id}")),
        Object::Tag => Some(format!("/admin/tags/{id}")),
        Object::User => Some(format!("/admin/people/{id}")),
        Object::Redirect => Some(format!("/admin/redirects/{id}")),
        Object::Settings => Some("/admin/settings".into()),
        Object::Media => Some(format!("/admin/media/{id}")),
        Object::Job => Some("/admin/jobs".into()),
        Object::Import => Some(format!("/admin/import/{id}")),
        Object::Comment => Some(format!("/admin/comments/{id}")),
        Object::Integration => Some("/admin/integrations".into()),
    }
}

/// A query-string number, or none when empty; anything else is a bad request.
fn optional_id(raw: &str, what: &str) -> AppResult<Option<i64>> {
    match raw.trim() {
        "" => Ok(None),
        raw => raw
            .parse::<i64>()
            .ok()
            .filter(|n| *n > 0)
            .map(Some)
            .ok_or_else(|| AppError::BadRequest(format!("The {what} must be a positive number."))),
    }
}

pub async fn show_audit_log(
    state: web::Data<AppState>,
    me: Staff,
    params: web::Query<AuditParams>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ViewAuditLog)?;
    let params = params.into_inner();
    let filter = Filter {
        actor_id: optional_id(&params.actor, "person")?,
        object: match params.object.as_str() {
            "" => None,
            raw => Some(Object::parse(raw).ok_or_else(|| {
                AppError::BadRequest("Choose one of the kinds of object listed.".into())
            })?),
        },
        before: optional_id(&params.before, "page cursor")?,
    };
    let query = filter.clone();
    let (settings, actors, (entries, more), total) = state
        .db
        .run(move |conn| {
            Ok::<_, AppError>((
                settings::current(conn, now())?,
                audit::actors(conn)?,
                audit::list(conn, &query, PER_PAGE)?,
                audit::count(conn, &query)?,
            ))
        })
        .await?;
    let url = |before: Option<i64>| {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        if let Some(actor) = filter.actor_id {
            pairs.append_pair("actor", &actor.to_string());
        }
        if let Some(object) = filter.object {
            pairs.append_pair("object", object.as_str());
        }
        if let Some(before) = before {
            pairs.append_pair("before", &before.to_string());
        }
        format!("/admin/audit?{}", pairs.finish())
    };
    let page = AuditPage {
        layout: admin_layout(&state, &me, "/admin/audit", "Audit log").await?,
        actors: actors
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect(),
        objects: Object::ALL.iter().map(|o| o.as_str()).collect(),
        actor: filter.actor_id.map(|id| id.to_string()).unwrap_or_default(),
        object: filter
            .object
            .map(|o| o.as_str().to_string())
            .unwrap_or_default(),
        total,
        first_page_url: filter.before.map(|_| url(None)),
        older_url: more
            .then(|| entries.last().map(|e| url(Some(e.id))))
            .flatten(),
        entries: entries
            .into_iter()
            .map(|e| EntryView::new(e, settings.timezone))
            .collect(),
    };
    ok(&page)
}
