//! People through the admin API (`users:manage`): list staff or members, read, invite,
//! change (name, address, role, status: suspending is a status), and remove. The admin's
//! rules hold: an integration acts as an administrator, so it never changes the owner or
//! another administrator, and a removed person's posts go to the owner.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{Caller, not_allowed, read_json, refused, reply};
use crate::domain::integrations::Scope;
use crate::domain::people::{self, PersonInput};
use crate::domain::users::{self, MemberOrder, User};
use crate::state::AppState;
use crate::web::api::error::{ApiError, ApiResult};
use crate::web::api::params::Params;
use crate::web::respond::use_case;

pub fn resources(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/users/")
            .route(web::get().to(list))
            .route(web::head().to(list))
            .route(web::post().to(invite))
            .default_service(web::to(|| not_allowed("GET, HEAD, POST"))),
    )
    .service(
        web::resource("/users/{id}/")
            .route(web::get().to(read))
            .route(web::head().to(read))
            .route(web::put().to(update))
            .route(web::delete().to(remove))
            .default_service(web::to(|| not_allowed("GET, HEAD, PUT, DELETE"))),
    );
}

/// A person as the admin sees them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AdminUser {
    id: i64,
    name: String,
    slug: String,
    email: String,
    /// owner, admin, editor, author, contributor or member.
    role: String,
    /// pending (invited), active or suspended.
    status: String,
    bio: String,
    website: String,
    created_at: String,
}

impl From<User> for AdminUser {
    fn from(user: User) -> AdminUser {
        AdminUser {
            id: user.id,
            role: user.role().to_string(),
            status: user.status().to_string(),
            name: user.display_name,
            slug: user.slug,
            email: user.email,
            bio: user.bio,
            website: user.website,
            created_at: crate::web::api::views::moment(user.created_at),
        }
    }
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AdminUsers {
    users: Vec<AdminUser>,
    meta: Option<crate::web::api::content::Meta>,
}

/// An invitation: the address, the role, and optionally the name.
#[derive(Deserialize, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    email: String,
    role: String,
    name: Option<String>,
}

/// Changes to a person; what is left out keeps its value.
#[derive(Deserialize, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserBody {
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(nullable = false)]
    name: Option<String>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(nullable = false)]
    email: Option<String>,
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(nullable = false)]
    role: Option<String>,
    /// `active` or `suspended`.
    #[serde(default, deserialize_with = "super::not_null")]
    #[schema(nullable = false)]
    status: Option<String>,
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct UserListParams {
    /// `staff` (the default) or `members`.
    kind: Option<String>,
    /// Words in a member's name or address.
    q: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    #[param(minimum = 1, maximum = 1_000_000)]
    page: Option<i64>,
}

const FIELD_NAMES: &[(&str, &str)] = &[("display_name", "name")];

fn one(user: User) -> serde_json::Value {
    serde_json::json!({ "users": [AdminUser::from(user)] })
}

async fn open(state: &AppState, id: &str) -> ApiResult<User> {
    let not_found = || ApiError::not_found(format!("no one has the id '{id}'"));
    let id: i64 = id.parse().map_err(|_| not_found())?;
    state
        .db
        .run(move |conn| users::by_id(conn, id))
        .await?
        .ok_or_else(not_found)
}

/// Staff, most powerful first, or a page of members, newest first.
#[utoipa::path(get, path = "/api/v1/admin/users/", operation_id = "admin_list_users",
    tag = "admin", security(("admin_key" = [])), params(UserListParams),
    responses(
        (status = 200, description = "People", body = AdminUsers),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the users:manage scope", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::UsersManage)?;
    let params = Params::parse(req.query_string(), &["kind", "q", "limit", "page"])?;
    let window = params.window()?;
    let text = params.get("q").unwrap_or_default().to_string();
    let members = match params.get("kind") {
        None | Some("") | Some("staff") => false,
        Some("members") => true,
        Some(other) => {
            return Err(ApiError::parameter(
                "kind",
                format!("'{other}' is not one of: staff, members"),
            ));
        }
    };
    let (found, total) = state
        .db
        .run(move |conn| {
            if members {
                users::members(
                    conn,
                    (&text, None, MemberOrder::Joined),
                    window.page,
                    window.limit,
                )
            } else {
                let staff = users::staff(conn)?;
                let total = staff.len() as i64;
                let page = staff
                    .into_iter()
                    .skip(window.offset() as usize)
                    .take(window.limit as usize)
                    .collect();
                Ok((page, total))
            }
        })
        .await?;
    let items: Vec<AdminUser> = found.into_iter().map(AdminUser::from).collect();
    let body = serde_json::json!({
        "users": items,
        "meta": {"pagination": super::pagination(window, total)},
    });
    Ok(reply(StatusCode::OK, &body))
}

/// One person.
#[utoipa::path(get, path = "/api/v1/admin/users/{id}/", operation_id = "admin_read_user",
    tag = "admin", security(("admin_key" = [])),
    params(("id" = i64, Path, description = "The person's id")),
    responses(
        (status = 200, description = "The person", body = AdminUsers),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the users:manage scope", body = crate::web::api::error::Errors),
        (status = 404, description = "No such person", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::UsersManage)?;
    let user = open(&state, &id).await?;
    Ok(reply(StatusCode::OK, &one(user)))
}

/// Invite someone: a pending account and a mailed link to join with.
#[utoipa::path(post, path = "/api/v1/admin/users/", operation_id = "admin_invite_user",
    tag = "admin", security(("admin_key" = [])), request_body = InviteBody,
    responses(
        (status = 201, description = "The invited person", body = AdminUsers),
        (status = 400, description = "The body is not JSON", body = crate::web::api::error::Errors),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the scope, or the role may not be given", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 413, description = "The body is too large", body = crate::web::api::error::Errors),
        (status = 415, description = "The body is not sent as JSON", body = crate::web::api::error::Errors),
        (status = 422, description = "A field the invitation form would refuse", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn invite(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::UsersManage)?;
    let body: InviteBody = read_json(&req, payload).await?;
    let actor = caller.actor();
    let user = use_case(&state, move |conn, head| {
        people::invite(
            conn,
            head,
            &actor,
            &body.email,
            body.name.as_deref(),
            &body.role,
        )
    })
    .await?
    .map_err(|e| refused(e, FIELD_NAMES))?;
    Ok(reply(StatusCode::CREATED, &one(user)))
}

/// Change the fields sent: name, address (a new one is told), role, status.
#[utoipa::path(put, path = "/api/v1/admin/users/{id}/", operation_id = "admin_update_user",
    tag = "admin", security(("admin_key" = [])), request_body = UserBody,
    params(("id" = i64, Path, description = "The person's id")),
    responses(
        (status = 200, description = "The person as saved", body = AdminUsers),
        (status = 400, description = "The body is not JSON", body = crate::web::api::error::Errors),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the scope, or this person is not the key's to change", body = crate::web::api::error::Errors),
        (status = 404, description = "No such person", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 413, description = "The body is too large", body = crate::web::api::error::Errors),
        (status = 415, description = "The body is not sent as JSON", body = crate::web::api::error::Errors),
        (status = 422, description = "A field the person form would refuse", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::UsersManage)?;
    let current = open(&state, &id).await?;
    let body: UserBody = read_json(&req, payload).await?;
    let input = PersonInput {
        display_name: body.name.unwrap_or_else(|| current.display_name.clone()),
        email: body.email.unwrap_or_else(|| current.email.clone()),
        role: body.role.unwrap_or_else(|| current.role().to_string()),
        status: body.status.unwrap_or_else(|| current.status().to_string()),
    };
    let (actor, person) = (caller.actor(), current.id);
    let user = use_case(&state, move |conn, head| {
        people::update(conn, head, &actor, person, &input)
    })
    .await?
    .map_err(|e| refused(e, FIELD_NAMES))?;
    Ok(reply(StatusCode::OK, &one(user)))
}

/// Remove someone's account; their posts go to the owner.
#[utoipa::path(delete, path = "/api/v1/admin/users/{id}/", operation_id = "admin_remove_user",
    tag = "admin", security(("admin_key" = [])),
    params(("id" = i64, Path, description = "The person's id")),
    responses(
        (status = 204, description = "Removed"),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the scope, or this person is not the key's to remove", body = crate::web::api::error::Errors),
        (status = 404, description = "No such person", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn remove(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::UsersManage)?;
    let current = open(&state, &id).await?;
    let (actor, person) = (caller.actor(), current.id);
    use_case(&state, move |conn, head| {
        let heir = users::owner_id(conn)?.ok_or_else(|| {
            crate::domain::write::WriteError::Forbidden(
                "The site has no owner yet to credit the posts to.".into(),
            )
        })?;
        people::remove_crediting(conn, &actor, person, heir, head.now)
    })
    .await?
    .map_err(|e| refused(e, FIELD_NAMES))?;
    Ok(HttpResponse::NoContent().finish())
}
