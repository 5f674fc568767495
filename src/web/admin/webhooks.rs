//! Webhooks in the admin: an integration's webhooks (add one: an address and the events it
//! wants), and each webhook's page: its signing secret, its settings, a test event, and its
//! latest deliveries with status, answer, duration, attempts and next try, each of which
//! can be sent again. Owners and admins only.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::clock::now;
use crate::domain::integrations::{self, Integration};
use crate::domain::webhooks::{self, Delivery, DeliveryStatus, Event, Webhook};
use crate::domain::write::{Actor, WriteError};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::admin::confirm::{self, Question};
use crate::web::admin::frame::admin_layout;
use crate::web::forms::{Empty, Errors};
use crate::web::respond::{invalid, ok, see_other, set_notice, take_notice, use_case};
use crate::web::views::{DateView, Layout};

/// How many deliveries a webhook's page lists.
const DELIVERIES_SHOWN: i64 = 50;

/// The webhook form as posted: `target_url`, and `event` once per box ticked.
type Posted = Vec<(String, String)>;

struct Typed {
    target_url: String,
    events: Vec<String>,
}

impl Typed {
    fn from_posted(posted: &Posted) -> Typed {
        let value = |name: &str| {
            posted
                .iter()
                .find(|(k, _)| k == name)
                .map(|(_, v)| v.clone())
                .unwrap_or_default()
        };
        Typed {
            target_url: value("target_url"),
            events: posted
                .iter()
                .filter(|(k, _)| k == "event")
                .map(|(_, v)| v.clone())
                .collect(),
        }
    }

    fn of(hook: &Webhook) -> Typed {
        Typed {
            target_url: hook.target_url.clone(),
            events: hook
                .events()
                .iter()
                .map(|e| e.as_str().to_string())
                .collect(),
        }
    }
}

/// One event's box on the form.
struct EventBox {
    name: &'static str,
    id: String,
    label: &'static str,
    checked: bool,
}

/// The boxes of one kind of object's events.
struct EventGroup {
    label: &'static str,
    boxes: Vec<EventBox>,
}

/// The form's fields, with what was typed and what was wrong.
struct WebhookForm {
    target_url: String,
    target_error: Option<String>,
    groups: Vec<EventGroup>,
    events_error: Option<String>,
}

fn group_label(event: Event) -> &'static str {
    match event.as_str().split('.').next() {
        Some("post") => "Posts",
        Some("page") => "Pages",
        Some("tag") => "Tags",
        Some("member") => "Members",
        Some("comment") => "Comments",
        _ => "Site",
    }
}

impl WebhookForm {
    fn new(typed: &Typed, errors: &Errors) -> WebhookForm {
        let mut groups: Vec<EventGroup> = Vec::new();
        for event in Event::subscribable() {
            let event_box = EventBox {
                name: event.as_str(),
                id: format!("event-{}", event.as_str().replace('.', "-")),
                label: event.describe(),
                checked: typed.events.iter().any(|e| e == event.as_str()),
            };
            let label = group_label(event);
            match groups.last_mut() {
                Some(group) if group.label == label => group.boxes.push(event_box),
                _ => groups.push(EventGroup {
                    label,
                    boxes: vec![event_box],
                }),
            }
        }
        WebhookForm {
            target_url: typed.target_url.clone(),
            target_error: errors.get("target_url"),
            groups,
            events_error: errors.get("events"),
        }
    }
}

struct HookRow {
    id: i64,
    target_url: String,
    events: Vec<&'static str>,
    off: Option<String>,
}

#[derive(Template)]
#[template(path = "admin/webhooks.html")]
struct WebhooksPage {
    layout: Layout,
    notice: Option<String>,
    csrf: String,
    integration: Integration,
    hooks: Vec<HookRow>,
    form: WebhookForm,
}

struct DeliveryRow {
    id: i64,
    event: String,
    message_id: String,
    created: DateView,
    status: &'static str,
    response_code: Option<i32>,
    duration_ms: Option<i32>,
    attempts: i32,
    next_try: Option<DateView>,
    error: Option<String>,
    payload: String,
    can_send_again: bool,
}

#[derive(Template)]
#[template(path = "admin/webhook.html")]
struct WebhookPage {
    layout: Layout,
    notice: Option<String>,
    csrf: String,
    integration: Integration,
    hook: Webhook,
    previous_until: Option<DateView>,
    failing_since: Option<DateView>,
    form: WebhookForm,
    deliveries: Vec<DeliveryRow>,
}

fn status_label(status: DeliveryStatus, attempts: i32) -> &'static str {
    match status {
        DeliveryStatus::Pending if attempts > 0 => "Will retry",
        DeliveryStatus::Pending => "Sending",
        DeliveryStatus::Delivered => "Delivered",
        DeliveryStatus::Failed => "Failed",
    }
}

/// The body as sent, indented for people.
fn pretty(payload: &str) -> String {
    serde_json::from_str::<serde_json::Value>(payload)
        .and_then(|v| serde_json::to_string_pretty(&v))
        .unwrap_or_else(|_| payload.to_string())
}

async fn live_integration(state: &AppState, me: &Staff, id: i64) -> AppResult<Integration> {
    me.require(Permission::ManageSettings)?;
    state
        .db
        .run(move |conn| integrations::by_id(conn, id))
        .await?
        .filter(|i| !i.is_revoked())
        .ok_or(AppError::NotFound)
}

async fn open_hook(state: &AppState, me: &Staff, id: i64) -> AppResult<(Integration, Webhook)> {
    me.require(Permission::ManageSettings)?;
    let hook = state
        .db
        .run(move |conn| webhooks::by_id(conn, id))
        .await?
        .ok_or(AppError::NotFound)?;
    let integration = live_integration(state, me, hook.integration_id).await?;
    Ok((integration, hook))
}

async fn webhooks_page(
    state: &AppState,
    me: &Staff,
    integration: Integration,
    typed: &Typed,
    errors: &Errors,
) -> AppResult<WebhooksPage> {
    let id = integration.id;
    let hooks = state
        .db
        .run(move |conn| webhooks::of_integration(conn, id))
        .await?
        .into_iter()
        .map(|hook| HookRow {
            id: hook.id,
            events: hook.events().iter().map(|e| e.as_str()).collect(),
            off: hook.disabled_reason.clone(),
            target_url: hook.target_url,
        })
        .collect();
    let path = format!("/admin/integrations/{id}/webhooks");
    let title = format!("Webhooks of {}", integration.name);
    Ok(WebhooksPage {
        layout: admin_layout(state, me, &path, &title).await?,
        notice: take_notice(me.session()),
        csrf: csrf::token(me.session())?,
        integration,
        hooks,
        form: WebhookForm::new(typed, errors),
    })
}

pub async fn list(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let integration = live_integration(&state, &me, id.into_inner()).await?;
    let typed = Typed {
        target_url: String::new(),
        events: Vec::new(),
    };
    ok(&webhooks_page(&state, &me, integration, &typed, &Errors::default()).await?)
}

pub async fn create(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(posted): CsrfForm<Posted>,
) -> AppResult<HttpResponse> {
    let integration = live_integration(&state, &me, id.into_inner()).await?;
    let typed = Typed::from_posted(&posted);
    let (actor, allow_private) = (me.actor(), state.config.webhooks_allow_private);
    let (target, events, integration_id) = (
        typed.target_url.clone(),
        typed.events.clone(),
        integration.id,
    );
    let made = use_case(&state, move |conn, head| {
        let (target, events) = webhooks::parse(&target, &events, allow_private)?;
        webhooks::create(conn, &actor, integration_id, (&target, &events), head.now)
    })
    .await?;
    match made {
        Ok(hook) => {
            set_notice(
                me.session(),
                "The webhook is on. Give its signing secret, below, to the program that receives it.",
            );
            Ok(see_other(&format!(
                "/admin/integrations/webhooks/{}",
                hook.id
            )))
        }
        Err(WriteError::Invalid(errors)) => {
            invalid(&webhooks_page(&state, &me, integration, &typed, &errors).await?)
        }
        Err(refused) => Err(refused.into()),
    }
}

async fn webhook_page(
    state: &AppState,
    me: &Staff,
    (integration, hook): (Integration, Webhook),
    typed: &Typed,
    errors: &Errors,
) -> AppResult<WebhookPage> {
    let (site, id) = (std::sync::Arc::clone(&state.site), hook.id);
    let (deliveries, tz) = state
        .db
        .run(move |conn| {
            let tz = site.current(conn, now())?.settings.timezone;
            Ok::<_, AppError>((webhooks::deliveries(conn, id, DELIVERIES_SHOWN)?, tz))
        })
        .await?;
    let on = hook.is_on();
    let row = |d: Delivery| DeliveryRow {
        id: d.id,
        created: DateView::with_time(d.created_at, tz),
        status: status_label(d.status, d.attempts),
        response_code: d.response_code,
        duration_ms: d.duration_ms,
        attempts: d.attempts,
        next_try: d
            .next_try_at
            .filter(|_| d.status == DeliveryStatus::Pending)
            .map(|at| DateView::with_time(at, tz)),
        error: d.error,
        payload: pretty(&d.payload),
        can_send_again: on && d.status != DeliveryStatus::Pending,
        event: d.event,
        message_id: d.message_id,
    };
    let path = format!("/admin/integrations/webhooks/{id}");
    Ok(WebhookPage {
        layout: admin_layout(state, me, &path, "Webhook").await?,
        notice: take_notice(me.session()),
        csrf: csrf::token(me.session())?,
        previous_until: hook
            .previous_until
            .filter(|until| *until > now())
            .map(|at| DateView::with_time(at, tz)),
        failing_since: hook.failing_since.map(|at| DateView::with_time(at, tz)),
        deliveries: deliveries.into_iter().map(row).collect(),
        form: WebhookForm::new(typed, errors),
        integration,
        hook,
    })
}

pub async fn show(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let opened = open_hook(&state, &me, id.into_inner()).await?;
    let typed = Typed::of(&opened.1);
    ok(&webhook_page(&state, &me, opened, &typed, &Errors::default()).await?)
}

pub async fn save(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(posted): CsrfForm<Posted>,
) -> AppResult<HttpResponse> {
    let opened = open_hook(&state, &me, id.into_inner()).await?;
    let typed = Typed::from_posted(&posted);
    let (actor, allow_private, id) = (me.actor(), state.config.webhooks_allow_private, opened.1.id);
    let (target, events) = (typed.target_url.clone(), typed.events.clone());
    let saved = use_case(&state, move |conn, head| {
        let (target, events) = webhooks::parse(&target, &events, allow_private)?;
        webhooks::update(conn, &actor, id, (&target, &events), head.now)
    })
    .await?;
    match saved {
        Ok(_) => {
            set_notice(me.session(), "Saved. The webhook is on.");
            Ok(see_other(&format!("/admin/integrations/webhooks/{id}")))
        }
        Err(WriteError::Invalid(errors)) => {
            invalid(&webhook_page(&state, &me, opened, &typed, &errors).await?)
        }
        Err(refused) => Err(refused.into()),
    }
}

/// Runs `act` on a webhook the admin may manage, then back to its page with `notice`.
async fn act_on_hook<T: Send + 'static>(
    state: &AppState,
    me: &Staff,
    id: i64,
    notice: &str,
    act: fn(&mut crate::db::DbConn, &Actor, i64, chrono::NaiveDateTime) -> Result<T, WriteError>,
) -> AppResult<HttpResponse> {
    let (_, hook) = open_hook(state, me, id).await?;
    let (actor, id) = (me.actor(), hook.id);
    use_case(state, move |conn, head| act(conn, &actor, id, head.now)).await??;
    set_notice(me.session(), notice);
    Ok(see_other(&format!("/admin/integrations/webhooks/{id}")))
}

pub async fn send_test(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let notice = "A test event is on its way; its delivery is listed below.";
    act_on_hook(&state, &me, id.into_inner(), notice, webhooks::send_test).await
}

pub async fn send_again(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ManageSettings)?;
    let delivery_id = id.into_inner();
    let delivery = state
        .db
        .run(move |conn| webhooks::delivery(conn, delivery_id))
        .await?
        .ok_or(AppError::NotFound)?;
    let actor = me.actor();
    let sent = use_case(&state, move |conn, head| {
        webhooks::send_again(conn, &actor, delivery_id, head.now)
    })
    .await?;
    let notice = match sent {
        Ok(()) => "The delivery is being sent again.".to_string(),
        Err(WriteError::Invalid(errors)) => errors
            .get("delivery")
            .unwrap_or_else(|| "The delivery could not be sent again.".into()),
        Err(refused) => return Err(refused.into()),
    };
    set_notice(me.session(), &notice);
    Ok(see_other(&format!(
        "/admin/integrations/webhooks/{}",
        delivery.webhook_id
    )))
}

pub async fn confirm_rotate(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (_, hook) = open_hook(&state, &me, id.into_inner()).await?;
    confirm::ask(
        &state,
        &me,
        Question {
            heading: "Make a new signing secret?".into(),
            explanation: vec![
                format!("Deliveries to {} will be signed with a new secret.", hook.target_url),
                "For the next 24 hours they carry a second signature made with the current secret, so the receiver keeps accepting them while you give it the new one.".into(),
            ],
            action: format!("/admin/integrations/webhooks/{}/rotate", hook.id),
            hidden: Vec::new(),
            button: "Make a new secret".into(),
            cancel: format!("/admin/integrations/webhooks/{}", hook.id),
        },
    )
    .await
}

pub async fn rotate(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let notice = "New secret made. The old one also signs for 24 hours.";
    act_on_hook(
        &state,
        &me,
        id.into_inner(),
        notice,
        webhooks::rotate_secret,
    )
    .await
}

pub async fn confirm_delete(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (integration, hook) = open_hook(&state, &me, id.into_inner()).await?;
    confirm::ask(
        &state,
        &me,
        Question {
            heading: "Delete this webhook?".into(),
            explanation: vec![format!(
                "{} stops sending events to {}, and its deliveries are forgotten.",
                integration.name, hook.target_url
            )],
            action: format!("/admin/integrations/webhooks/{}/delete", hook.id),
            hidden: Vec::new(),
            button: "Delete the webhook".into(),
            cancel: format!("/admin/integrations/webhooks/{}", hook.id),
        },
    )
    .await
}

pub async fn delete(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let (integration, hook) = open_hook(&state, &me, id.into_inner()).await?;
    let (actor, id) = (me.actor(), hook.id);
    use_case(&state, move |conn, head| {
        webhooks::delete(conn, &actor, id, head.now)
    })
    .await??;
    set_notice(me.session(), "The webhook is deleted.");
    Ok(see_other(&format!(
        "/admin/integrations/{}/webhooks",
        integration.id
    )))
}
