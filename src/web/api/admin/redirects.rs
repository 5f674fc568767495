//! Redirects through the admin API (`settings:manage`): list, add, change and remove 301
//! and 302 redirects, with the admin's checks (a loop or a redirect to itself is refused).

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{Caller, not_allowed, read_json, refused, reply};
use crate::clock::now;
use crate::domain::integrations::Scope;
use crate::domain::redirects::{self, Redirect, RedirectOrder, Target};
use crate::state::AppState;
use crate::web::api::error::{ApiError, ApiResult};
use crate::web::api::params::Params;

pub fn resources(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/redirects/")
            .route(web::get().to(list))
            .route(web::head().to(list))
            .route(web::post().to(create))
            .default_service(web::to(|| not_allowed("GET, HEAD, POST"))),
    )
    .service(
        web::resource("/redirects/{id}/")
            .route(web::get().to(read))
            .route(web::head().to(read))
            .route(web::put().to(update))
            .route(web::delete().to(delete))
            .default_service(web::to(|| not_allowed("GET, HEAD, PUT, DELETE"))),
    );
}

/// An old address and where it leads.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AdminRedirect {
    id: i64,
    /// A path on this site.
    from: String,
    /// A path on this site, or an http(s) URL.
    to: String,
    /// 301 (moved for good) or 302 (for now).
    code: i32,
}

impl From<Redirect> for AdminRedirect {
    fn from(r: Redirect) -> AdminRedirect {
        AdminRedirect {
            id: r.id,
            from: r.from_path,
            to: r.to_path,
            code: r.code,
        }
    }
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AdminRedirects {
    redirects: Vec<AdminRedirect>,
    meta: Option<crate::web::api::content::Meta>,
}

/// A redirect as a program sends it; on update, what is left out keeps its value.
#[derive(Deserialize, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RedirectBody {
    from: Option<String>,
    to: Option<String>,
    /// 301 when left out on create.
    code: Option<i32>,
}

/// The form's field names, as the API calls them.
const FIELD_NAMES: &[(&str, &str)] = &[("from_path", "from"), ("to_path", "to")];

fn one(redirect: Redirect) -> serde_json::Value {
    serde_json::json!({ "redirects": [AdminRedirect::from(redirect)] })
}

async fn open(state: &AppState, id: &str) -> ApiResult<Redirect> {
    let not_found = || ApiError::not_found(format!("no redirect has the id '{id}'"));
    let id: i64 = id.parse().map_err(|_| not_found())?;
    state
        .db
        .run(move |conn| redirects::by_id(conn, id))
        .await?
        .ok_or_else(not_found)
}

fn target(base_url: &str, from: &str, to: &str, code: i32) -> ApiResult<Target> {
    Target::parse_on(base_url, from, to, &code.to_string())
        .map_err(|errors| refused(errors.into(), FIELD_NAMES))
}

/// Every redirect, by the address it leads from.
#[utoipa::path(get, path = "/api/v1/admin/redirects/", operation_id = "admin_list_redirects",
    tag = "admin", security(("admin_key" = [])), params(super::WindowParams),
    responses(
        (status = 200, description = "A page of redirects", body = AdminRedirects),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the settings:manage scope", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::SettingsManage)?;
    let window = Params::parse(req.query_string(), &["limit", "page"])?.window()?;
    let (found, total) = state
        .db
        .run(move |conn| {
            redirects::page(conn, ("", RedirectOrder::From), window.page, window.limit)
        })
        .await?;
    let items: Vec<AdminRedirect> = found.into_iter().map(AdminRedirect::from).collect();
    let body = serde_json::json!({
        "redirects": items,
        "meta": {"pagination": super::pagination(window, total)},
    });
    Ok(reply(StatusCode::OK, &body))
}

/// One redirect.
#[utoipa::path(get, path = "/api/v1/admin/redirects/{id}/", operation_id = "admin_read_redirect",
    tag = "admin", security(("admin_key" = [])),
    params(("id" = i64, Path, description = "The redirect's id")),
    responses(
        (status = 200, description = "The redirect", body = AdminRedirects),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the settings:manage scope", body = crate::web::api::error::Errors),
        (status = 404, description = "No such redirect", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::SettingsManage)?;
    let redirect = open(&state, &id).await?;
    Ok(reply(StatusCode::OK, &one(redirect)))
}

/// Add a redirect.
#[utoipa::path(post, path = "/api/v1/admin/redirects/", operation_id = "admin_create_redirect",
    tag = "admin", security(("admin_key" = [])), request_body = RedirectBody,
    responses(
        (status = 201, description = "The redirect as saved", body = AdminRedirects),
        (status = 400, description = "The body is not JSON", body = crate::web::api::error::Errors),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the settings:manage scope", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 413, description = "The body is too large", body = crate::web::api::error::Errors),
        (status = 415, description = "The body is not sent as JSON", body = crate::web::api::error::Errors),
        (status = 422, description = "A field the redirect form would refuse", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::SettingsManage)?;
    let body: RedirectBody = read_json(&req, payload).await?;
    let target = target(
        &state.config.base_url,
        body.from.as_deref().unwrap_or_default(),
        body.to.as_deref().unwrap_or_default(),
        body.code.unwrap_or(301),
    )?;
    let actor = caller.actor();
    let id = state
        .db
        .run(move |conn| {
            Ok::<_, diesel::result::Error>(redirects::add(conn, &actor, &target, now()))
        })
        .await?
        .map_err(|e| refused(e, FIELD_NAMES))?;
    let saved = open(&state, &id.to_string()).await?;
    Ok(reply(StatusCode::CREATED, &one(saved)))
}

/// Change the fields sent.
#[utoipa::path(put, path = "/api/v1/admin/redirects/{id}/", operation_id = "admin_update_redirect",
    tag = "admin", security(("admin_key" = [])), request_body = RedirectBody,
    params(("id" = i64, Path, description = "The redirect's id")),
    responses(
        (status = 200, description = "The redirect as saved", body = AdminRedirects),
        (status = 400, description = "The body is not JSON", body = crate::web::api::error::Errors),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the settings:manage scope", body = crate::web::api::error::Errors),
        (status = 404, description = "No such redirect", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 413, description = "The body is too large", body = crate::web::api::error::Errors),
        (status = 415, description = "The body is not sent as JSON", body = crate::web::api::error::Errors),
        (status = 422, description = "A field the redirect form would refuse", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::SettingsManage)?;
    let current = open(&state, &id).await?;
    let body: RedirectBody = read_json(&req, payload).await?;
    let target = target(
        &state.config.base_url,
        body.from.as_deref().unwrap_or(&current.from_path),
        body.to.as_deref().unwrap_or(&current.to_path),
        body.code.unwrap_or(current.code),
    )?;
    let (actor, redirect_id) = (caller.actor(), current.id);
    state
        .db
        .run(move |conn| {
            Ok::<_, diesel::result::Error>(redirects::change(
                conn,
                &actor,
                redirect_id,
                &target,
                now(),
            ))
        })
        .await?
        .map_err(|e| refused(e, FIELD_NAMES))?;
    let saved = open(&state, &id).await?;
    Ok(reply(StatusCode::OK, &one(saved)))
}

/// Remove a redirect.
#[utoipa::path(delete, path = "/api/v1/admin/redirects/{id}/", operation_id = "admin_delete_redirect",
    tag = "admin", security(("admin_key" = [])),
    params(("id" = i64, Path, description = "The redirect's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the settings:manage scope", body = crate::web::api::error::Errors),
        (status = 404, description = "No such redirect", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::SettingsManage)?;
    let current = open(&state, &id).await?;
    let (actor, redirect_id) = (caller.actor(), current.id);
    state
        .db
        .run(move |conn| {
            Ok::<_, diesel::result::Error>(redirects::remove(conn, &actor, redirect_id, now()))
        })
        .await?
        .map_err(|e| refused(e, FIELD_NAMES))?;
    Ok(HttpResponse::NoContent().finish())
}
