//! The calling integration's own webhooks through the admin API: list, add, read, change
//! and remove them, with the admin form's checks. An integration sees only its own; a
//! personal token needs its owner to be allowed to change the settings.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{Caller, not_allowed, read_json, refused, reply};
use crate::clock::{moment, now};
use crate::domain::webhooks::{self, Event, Webhook};
use crate::state::AppState;
use crate::web::api::error::{ApiError, ApiResult};

pub fn resources(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/webhooks/")
            .route(web::get().to(list))
            .route(web::head().to(list))
            .route(web::post().to(create))
            .default_service(web::to(|| not_allowed("GET, HEAD, POST"))),
    )
    .service(
        web::resource("/webhooks/{id}/")
            .route(web::get().to(read))
            .route(web::head().to(read))
            .route(web::put().to(update))
            .route(web::delete().to(delete))
            .default_service(web::to(|| not_allowed("GET, HEAD, PUT, DELETE"))),
    );
}

/// Where an integration is told of changes.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AdminWebhook {
    id: i64,
    target_url: String,
    events: Vec<&'static str>,
    /// Signs each delivery (Standard Webhooks).
    secret: String,
    /// Why deliveries stopped (a 410, or three days of failures); `null` while on.
    disabled_reason: Option<String>,
    created_at: String,
}

impl From<Webhook> for AdminWebhook {
    fn from(hook: Webhook) -> AdminWebhook {
        AdminWebhook {
            events: hook.events().iter().map(|e| e.as_str()).collect(),
            id: hook.id,
            target_url: hook.target_url,
            secret: hook.secret,
            disabled_reason: hook.disabled_reason,
            created_at: moment(hook.created_at),
        }
    }
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AdminWebhooks {
    webhooks: Vec<AdminWebhook>,
}

/// A webhook as a program sends it; on update, what is left out keeps its value (and
/// saving turns a webhook that was turned off back on).
#[derive(Deserialize, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookBody {
    target_url: Option<String>,
    /// Event names, such as `post.published`.
    events: Option<Vec<String>>,
}

fn one(hook: Webhook) -> serde_json::Value {
    serde_json::json!({ "webhooks": [AdminWebhook::from(hook)] })
}

/// One of the caller's webhooks.
async fn open(state: &AppState, caller: &Caller, id: &str) -> ApiResult<Webhook> {
    let not_found = || ApiError::not_found(format!("no webhook of yours has the id '{id}'"));
    let id: i64 = id.parse().map_err(|_| not_found())?;
    state
        .db
        .run(move |conn| webhooks::by_id(conn, id))
        .await?
        .filter(|hook| hook.integration_id == caller.integration.id)
        .ok_or_else(not_found)
}

fn parse(state: &AppState, target: &str, events: &[String]) -> ApiResult<(String, Vec<Event>)> {
    webhooks::parse(target, events, state.config.webhooks_allow_private)
        .map_err(|errors| refused(errors.into(), &[]))
}

/// The caller's webhooks, oldest first.
#[utoipa::path(get, path = "/api/v1/admin/webhooks/", operation_id = "admin_list_webhooks",
    tag = "admin", security(("admin_key" = [])),
    responses(
        (status = 200, description = "The caller's webhooks", body = AdminWebhooks),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn list(state: web::Data<AppState>, caller: Caller) -> ApiResult<HttpResponse> {
    let id = caller.integration.id;
    let hooks = state
        .db
        .run(move |conn| webhooks::of_integration(conn, id))
        .await?;
    let items: Vec<AdminWebhook> = hooks.into_iter().map(AdminWebhook::from).collect();
    Ok(reply(
        StatusCode::OK,
        &serde_json::json!({ "webhooks": items }),
    ))
}

/// One of the caller's webhooks.
#[utoipa::path(get, path = "/api/v1/admin/webhooks/{id}/", operation_id = "admin_read_webhook",
    tag = "admin", security(("admin_key" = [])),
    params(("id" = i64, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "The webhook", body = AdminWebhooks),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 404, description = "No such webhook of the caller's", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let hook = open(&state, &caller, &id).await?;
    Ok(reply(StatusCode::OK, &one(hook)))
}

/// Add a webhook for the caller.
#[utoipa::path(post, path = "/api/v1/admin/webhooks/", operation_id = "admin_create_webhook",
    tag = "admin", security(("admin_key" = [])), request_body = WebhookBody,
    responses(
        (status = 201, description = "The webhook, with its secret", body = AdminWebhooks),
        (status = 400, description = "The body is not JSON", body = crate::web::api::error::Errors),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "A personal token whose owner may not change the settings", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 413, description = "The body is too large", body = crate::web::api::error::Errors),
        (status = 415, description = "The body is not sent as JSON", body = crate::web::api::error::Errors),
        (status = 422, description = "An address or events the webhook form would refuse", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let body: WebhookBody = read_json(&req, payload).await?;
    let (target, events) = parse(
        &state,
        body.target_url.as_deref().unwrap_or_default(),
        &body.events.unwrap_or_default(),
    )?;
    let (actor, integration) = (caller.actor(), caller.integration.id);
    let hook = state
        .db
        .run(move |conn| {
            Ok::<_, diesel::result::Error>(webhooks::create(
                conn,
                &actor,
                integration,
                (&target, &events),
                now(),
            ))
        })
        .await?
        .map_err(|e| refused(e, &[]))?;
    Ok(reply(StatusCode::CREATED, &one(hook)))
}

/// Change the fields sent.
#[utoipa::path(put, path = "/api/v1/admin/webhooks/{id}/", operation_id = "admin_update_webhook",
    tag = "admin", security(("admin_key" = [])), request_body = WebhookBody,
    params(("id" = i64, Path, description = "The webhook's id")),
    responses(
        (status = 200, description = "The webhook as saved", body = AdminWebhooks),
        (status = 400, description = "The body is not JSON", body = crate::web::api::error::Errors),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "A personal token whose owner may not change the settings", body = crate::web::api::error::Errors),
        (status = 404, description = "No such webhook of the caller's", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 413, description = "The body is too large", body = crate::web::api::error::Errors),
        (status = 415, description = "The body is not sent as JSON", body = crate::web::api::error::Errors),
        (status = 422, description = "An address or events the webhook form would refuse", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    let current = open(&state, &caller, &id).await?;
    let body: WebhookBody = read_json(&req, payload).await?;
    let kept: Vec<String> = current
        .events()
        .iter()
        .map(|e| e.as_str().to_string())
        .collect();
    let (target, events) = parse(
        &state,
        body.target_url.as_deref().unwrap_or(&current.target_url),
        &body.events.unwrap_or(kept),
    )?;
    let (actor, hook_id) = (caller.actor(), current.id);
    let hook = state
        .db
        .run(move |conn| {
            Ok::<_, diesel::result::Error>(webhooks::update(
                conn,
                &actor,
                hook_id,
                (&target, &events),
                now(),
            ))
        })
        .await?
        .map_err(|e| refused(e, &[]))?;
    Ok(reply(StatusCode::OK, &one(hook)))
}

/// Remove a webhook and its deliveries.
#[utoipa::path(delete, path = "/api/v1/admin/webhooks/{id}/", operation_id = "admin_delete_webhook",
    tag = "admin", security(("admin_key" = [])),
    params(("id" = i64, Path, description = "The webhook's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "A personal token whose owner may not change the settings", body = crate::web::api::error::Errors),
        (status = 404, description = "No such webhook of the caller's", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    let current = open(&state, &caller, &id).await?;
    let (actor, hook_id) = (caller.actor(), current.id);
    state
        .db
        .run(move |conn| {
            Ok::<_, diesel::result::Error>(webhooks::delete(conn, &actor, hook_id, now()))
        })
        .await?
        .map_err(|e| refused(e, &[]))?;
    Ok(HttpResponse::NoContent()
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .finish())
}
