//! Tags through the admin API (`posts:write`): list with their post counts, read, create,
//! update the fields sent, delete. Through `domain::tags`, as the admin's tag pages.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{Caller, not_allowed, read_json, refused, reply};
use crate::clock::now;
use crate::domain::integrations::Scope;
use crate::domain::tags::{self, Tag, TagInput, TagOrder};
use crate::state::AppState;
use crate::web::api::error::{ApiError, ApiResult};
use crate::web::api::params::Params;

pub fn resources(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/tags/")
            .route(web::get().to(list))
            .route(web::head().to(list))
            .route(web::post().to(create))
            .default_service(web::to(|| not_allowed("GET, HEAD, POST"))),
    )
    .service(
        web::resource("/tags/{id}/")
            .route(web::get().to(read))
            .route(web::head().to(read))
            .route(web::put().to(update))
            .route(web::delete().to(delete))
            .default_service(web::to(|| not_allowed("GET, HEAD, PUT, DELETE"))),
    );
}

/// A tag as staff see it, with how many posts and pages carry it.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AdminTag {
    id: i64,
    name: String,
    slug: String,
    description: String,
    meta_title: Option<String>,
    meta_description: Option<String>,
    /// Posts and pages carrying it (drafts and the trash included), when listed.
    posts: Option<i64>,
}

impl AdminTag {
    fn new(tag: Tag, posts: Option<i64>) -> AdminTag {
        AdminTag {
            id: tag.id,
            name: tag.name,
            slug: tag.slug,
            description: tag.description,
            meta_title: tag.meta_title,
            meta_description: tag.meta_description,
            posts,
        }
    }
}

/// Tags, in the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AdminTags {
    tags: Vec<AdminTag>,
    meta: Option<crate::web::api::content::Meta>,
}

/// A tag as a program sends it; on update, what is left out keeps its value.
#[derive(Deserialize, Debug, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TagBody {
    name: Option<String>,
    /// Made from the name when left out.
    slug: Option<String>,
    description: Option<String>,
    meta_title: Option<String>,
    meta_description: Option<String>,
}

impl TagBody {
    fn apply(self, mut input: TagInput) -> TagInput {
        let TagBody {
            name,
            slug,
            description,
            meta_title,
            meta_description,
        } = self;
        input.name = name.unwrap_or(input.name);
        input.slug = slug.unwrap_or(input.slug);
        input.description = description.unwrap_or(input.description);
        input.meta_title = meta_title.unwrap_or(input.meta_title);
        input.meta_description = meta_description.unwrap_or(input.meta_description);
        input
    }
}

fn one(tag: AdminTag) -> serde_json::Value {
    serde_json::json!({ "tags": [tag] })
}

async fn open(state: &AppState, id: &str) -> ApiResult<Tag> {
    let not_found = || ApiError::not_found(format!("no tag has the id '{id}'"));
    let id: i64 = id.parse().map_err(|_| not_found())?;
    state
        .db
        .run(move |conn| tags::by_id(conn, id))
        .await?
        .ok_or_else(not_found)
}

/// Every tag, by name, with how many posts carry it.
#[utoipa::path(get, path = "/api/v1/admin/tags/", operation_id = "admin_list_tags", tag = "admin", security(("admin_key" = [])),
    params(super::WindowParams),
    responses(
        (status = 200, description = "A page of tags", body = AdminTags),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the posts:write scope", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn list(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::PostsWrite)?;
    let window = Params::parse(req.query_string(), &["limit", "page"])?.window()?;
    let now = now();
    let (found, total) = state
        .db
        .run(move |conn| tags::counted(conn, ("", TagOrder::Name), window.page, window.limit, now))
        .await?;
    let items: Vec<AdminTag> = found
        .into_iter()
        .map(|counted| AdminTag::new(counted.tag, Some(counted.posts)))
        .collect();
    let body = serde_json::json!({
        "tags": items,
        "meta": {"pagination": super::pagination(window, total)},
    });
    Ok(reply(StatusCode::OK, &body))
}

/// One tag.
#[utoipa::path(get, path = "/api/v1/admin/tags/{id}/", operation_id = "admin_read_tag", tag = "admin", security(("admin_key" = [])),
    params(("id" = i64, Path, description = "The tag's id")),
    responses(
        (status = 200, description = "The tag", body = AdminTags),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the posts:write scope", body = crate::web::api::error::Errors),
        (status = 404, description = "No such tag", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::PostsWrite)?;
    let tag = open(&state, &id).await?;
    Ok(reply(StatusCode::OK, &one(AdminTag::new(tag, None))))
}

/// Create a tag.
#[utoipa::path(post, path = "/api/v1/admin/tags/", operation_id = "admin_create_tag", tag = "admin", security(("admin_key" = [])),
    request_body = TagBody,
    responses(
        (status = 201, description = "The tag as saved", body = AdminTags),
        (status = 400, description = "The body is not JSON", body = crate::web::api::error::Errors),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the posts:write scope", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 413, description = "The body is too large", body = crate::web::api::error::Errors),
        (status = 415, description = "The body is not sent as JSON", body = crate::web::api::error::Errors),
        (status = 422, description = "A field the tag form would refuse", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn create(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::PostsWrite)?;
    let body: TagBody = read_json(&req, payload).await?;
    let fields = tags::parse(&body.apply(TagInput::default()))
        .map_err(|errors| refused(errors.into(), &[]))?;
    let actor = caller.actor();
    let tag = state
        .db
        .run(move |conn| Ok::<_, diesel::result::Error>(tags::add(conn, &actor, &fields, now())))
        .await?
        .map_err(|e| refused(e, &[]))?;
    Ok(reply(StatusCode::CREATED, &one(AdminTag::new(tag, None))))
}

/// Change the fields sent.
#[utoipa::path(put, path = "/api/v1/admin/tags/{id}/", operation_id = "admin_update_tag", tag = "admin", security(("admin_key" = [])),
    params(("id" = i64, Path, description = "The tag's id")),
    request_body = TagBody,
    responses(
        (status = 200, description = "The tag as saved", body = AdminTags),
        (status = 400, description = "The body is not JSON", body = crate::web::api::error::Errors),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the posts:write scope", body = crate::web::api::error::Errors),
        (status = 404, description = "No such tag", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 413, description = "The body is too large", body = crate::web::api::error::Errors),
        (status = 415, description = "The body is not sent as JSON", body = crate::web::api::error::Errors),
        (status = 422, description = "A field the tag form would refuse", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::PostsWrite)?;
    let current = open(&state, &id).await?;
    let body: TagBody = read_json(&req, payload).await?;
    let input = TagInput {
        name: current.name.clone(),
        slug: current.slug.clone(),
        description: current.description.clone(),
        meta_title: current.meta_title.clone().unwrap_or_default(),
        meta_description: current.meta_description.clone().unwrap_or_default(),
    };
    let fields = tags::parse(&body.apply(input)).map_err(|errors| refused(errors.into(), &[]))?;
    let (actor, tag_id) = (caller.actor(), current.id);
    let tag = state
        .db
        .run(move |conn| {
            Ok::<_, diesel::result::Error>(tags::update(conn, &actor, tag_id, &fields, now()))
        })
        .await?
        .map_err(|e| refused(e, &[]))?;
    Ok(reply(StatusCode::OK, &one(AdminTag::new(tag, None))))
}

/// Delete a tag (its posts keep their other tags; its address answers 410).
#[utoipa::path(delete, path = "/api/v1/admin/tags/{id}/", operation_id = "admin_delete_tag", tag = "admin", security(("admin_key" = [])),
    params(("id" = i64, Path, description = "The tag's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the posts:write scope", body = crate::web::api::error::Errors),
        (status = 404, description = "No such tag", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn delete(
    state: web::Data<AppState>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::PostsWrite)?;
    let current = open(&state, &id).await?;
    let (actor, tag_id) = (caller.actor(), current.id);
    state
        .db
        .run(move |conn| Ok::<_, diesel::result::Error>(tags::delete(conn, &actor, tag_id, now())))
        .await?
        .map_err(|e| refused(e, &[]))?;
    Ok(HttpResponse::NoContent().finish())
}
