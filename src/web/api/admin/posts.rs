//! Posts and pages through the admin API: list (every status), read, create, update with
//! the version for conflict detection (publishing, scheduling and unpublishing are updates
//! of `status` and `published_at`), trash, restore and delete for good. Every write goes
//! through `domain::posts::write`, as the editor's do.

use actix_web::http::header::LOCATION;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono::NaiveDateTime;
use serde::{Deserialize, Deserializer};

use super::{Caller, not_allowed, read_json, refused};
use crate::clock::now;
use crate::domain::integrations::Scope;
use crate::domain::posts::editing::{self, ListQuery, Opened, Shelf, Sort};
use crate::domain::posts::input::{self, Cover, Intent, PostInput};
use crate::domain::posts::snapshot::{StaffPost, kind_name};
use crate::domain::posts::{PostKind, write};
use crate::domain::write::WriteError;
use crate::state::AppState;
use crate::web::api::error::{ApiError, ApiResult};
use crate::web::api::params::Params;

pub fn resources(cfg: &mut web::ServiceConfig) {
    for (base, kind) in [("/posts", PostKind::Post), ("/pages", PostKind::Page)] {
        let kind = web::Data::new(kind);
        cfg.service(
            web::resource(format!("{base}/"))
                .app_data(kind.clone())
                .route(web::get().to(list))
                .route(web::head().to(list))
                .route(web::post().to(create))
                .default_service(web::to(|| not_allowed("GET, HEAD, POST"))),
        )
        .service(
            web::resource(format!("{base}/{{id}}/"))
                .app_data(kind.clone())
                .route(web::get().to(read))
                .route(web::head().to(read))
                .route(web::put().to(update))
                .route(web::delete().to(delete))
                .default_service(web::to(|| not_allowed("GET, HEAD, PUT, DELETE"))),
        )
        .service(
            web::resource(format!("{base}/{{id}}/trash/"))
                .app_data(kind.clone())
                .route(web::post().to(trash))
                .default_service(web::to(|| not_allowed("POST"))),
        )
        .service(
            web::resource(format!("{base}/{{id}}/restore/"))
                .app_data(kind)
                .route(web::post().to(restore))
                .default_service(web::to(|| not_allowed("POST"))),
        );
    }
}

/// Admin posts or pages, in the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AdminPosts {
    posts: Vec<StaffPost>,
    meta: Option<crate::web::api::content::Meta>,
}

/// A refusal: each field's problem, and on a conflict what is saved now.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct Refusal {
    errors: Vec<crate::web::api::error::Problem>,
    saved: Option<StaffPost>,
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub struct AdminListParams {
    /// `all`, `draft`, `scheduled`, `published` or `trashed`.
    status: Option<String>,
    /// Words in the title.
    q: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    #[param(minimum = 1, maximum = 1_000_000)]
    page: Option<i64>,
}

/// The editor's field names, as the API calls them.
const FIELD_NAMES: &[(&str, &str)] = &[
    ("publish_at", "published_at"),
    ("author_1", "authors"),
    ("cover", "feature_image"),
    ("cover_alt", "feature_image_alt"),
    ("post", "id"),
];

fn plural(kind: PostKind) -> &'static str {
    match kind {
        PostKind::Post => "posts",
        PostKind::Page => "pages",
    }
}

/// A value given as `null` (`Some(None)`), apart from one left out (`None`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

#[derive(Deserialize, Clone, Copy, PartialEq, Eq, Debug, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
enum Status {
    Draft,
    Published,
}

/// A post as a program sends it. On create, what is left out takes the editor's defaults;
/// on update, it keeps its value. `null` clears an optional field.
#[derive(Deserialize, Default, Debug, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PostBody {
    title: Option<String>,
    slug: Option<String>,
    markdown: Option<String>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    custom_excerpt: Option<Option<String>>,
    /// Tag names, the primary first; new names make new tags.
    tags: Option<Vec<String>>,
    /// Author ids, the primary first; a new post's is the owner when left out.
    authors: Option<Vec<i64>>,
    featured: Option<bool>,
    noindex: Option<bool>,
    comments_open: Option<bool>,
    /// `published` publishes (at `published_at`, scheduling it when that is to come);
    /// `draft` takes a post down.
    status: Option<Status>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    published_at: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    meta_title: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    meta_description: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    canonical_url: Option<Option<String>>,
    /// An image's address (`/media/…` or `https://…`).
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    feature_image: Option<Option<String>>,
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<String>)]
    feature_image_alt: Option<Option<String>>,
    /// The version read; required on update.
    version: Option<i32>,
}

impl PostBody {
    /// `input` with this body's fields put in.
    fn apply(self, mut input: PostInput, was_published: bool) -> ApiResult<PostInput> {
        let text = |value: Option<String>| value.unwrap_or_default();
        if let Some(title) = self.title {
            input.title = title;
        }
        if let Some(slug) = self.slug {
            input.slug = slug;
        }
        if let Some(markdown) = self.markdown {
            input.markdown = markdown;
        }
        if let Some(excerpt) = self.custom_excerpt {
            input.custom_excerpt = text(excerpt);
        }
        if let Some(tags) = self.tags {
            input.tags = tags;
        }
        if let Some(authors) = self.authors {
            input.authors = Some(authors);
        }
        if let Some(featured) = self.featured {
            input.featured = featured;
        }
        if let Some(noindex) = self.noindex {
            input.noindex = noindex;
        }
        if let Some(open) = self.comments_open {
            input.comments_open = open;
        }
        if let Some(at) = self.published_at {
            input.publish_at = match at {
                None => None,
                Some(raw) => Some(parse_moment(&raw)?),
            };
        }
        if let Some(value) = self.meta_title {
            input.meta_title = text(value);
        }
        if let Some(value) = self.meta_description {
            input.meta_description = text(value);
        }
        if let Some(value) = self.canonical_url {
            input.canonical_url = text(value);
        }
        if let Some(image) = self.feature_image {
            input.cover = match image {
                None => Cover::None,
                Some(address) if address.trim().is_empty() => Cover::None,
                Some(address) => Cover::Address(address.trim().to_string()),
            };
        }
        if let Some(alt) = self.feature_image_alt {
            input.cover_alt = text(alt);
        }
        input.intent = match self.status {
            Some(Status::Published) => Intent::Publish,
            Some(Status::Draft) if was_published => Intent::Unpublish,
            _ => Intent::Save,
        };
        Ok(input)
    }
}

/// RFC 3339 (`2024-01-31T10:00:00Z`, or with an offset), to UTC.
fn parse_moment(raw: &str) -> ApiResult<NaiveDateTime> {
    chrono::DateTime::parse_from_rfc3339(raw.trim())
        .map(|at| at.naive_utc())
        .map_err(|_| {
            ApiError::invalid_fields(vec![(
                "published_at".into(),
                format!("'{raw}' is not a date and time such as 2024-01-31T10:00:00Z"),
            )])
        })
}

/// Checks and renders the post (off the async workers: a long text takes a while).
async fn prepare(input: PostInput) -> ApiResult<input::Prepared> {
    web::block(move || input::prepare(input))
        .await
        .map_err(|e| crate::error::AppError::internal(anyhow::anyhow!("{e}")))?
        .map_err(|errors| refused(WriteError::Invalid(errors), FIELD_NAMES))
}

/// The post with `id`, of the kind this address is for.
async fn open(state: &AppState, kind: PostKind, id: &str) -> ApiResult<Opened> {
    let not_found = || ApiError::not_found(format!("no {} has the id '{id}'", kind_name(kind)));
    let id: i64 = id.parse().map_err(|_| not_found())?;
    state
        .db
        .run(move |conn| editing::open(conn, id))
        .await?
        .filter(|opened| opened.post.kind == kind)
        .ok_or_else(not_found)
}

fn one(kind: PostKind, post: StaffPost) -> serde_json::Value {
    serde_json::json!({ plural(kind): [post] })
}

fn json(status: actix_web::http::StatusCode, body: &serde_json::Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .json(body)
}

/// Posts of every status, most recently changed first
#[utoipa::path(
    get,
    path = "/api/v1/admin/posts/",
    operation_id = "admin_list_posts",
    tag = "admin",
    security(("admin_key" = [])),
    params(AdminListParams),
    responses(
        (status = 200, description = "A page of posts", body = AdminPosts),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the posts:write scope, or the role's rights", body = crate::web::api::error::Errors),
        (status = 404, description = "No such post", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn list(
    state: web::Data<AppState>,
    kind: web::Data<PostKind>,
    caller: Caller,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::PostsWrite)?;
    let params = Params::parse(req.query_string(), &["status", "limit", "page", "q"])?;
    let window = params.window()?;
    let shelf = match params.get("status") {
        None | Some("") | Some("all") => Shelf::All,
        Some("draft") => Shelf::Drafts,
        Some("scheduled") => Shelf::Scheduled,
        Some("published") => Shelf::Published,
        Some("trashed") => Shelf::Trash,
        Some(other) => {
            return Err(ApiError::parameter(
                "status",
                format!("'{other}' is not one of: all, draft, scheduled, published, trashed"),
            ));
        }
    };
    let query = ListQuery {
        kind: **kind,
        shelf,
        text: params.get("q").unwrap_or_default().to_string(),
        author_id: None,
        tag_id: None,
        sort: Sort::Changed,
        page: window.page,
        per_page: window.limit,
    };
    let now = now();
    let (ids, total) = state
        .db
        .run(move |conn| {
            let total = editing::count(conn, &query, now)?;
            let (entries, _) = editing::list(conn, &query, now)?;
            let mut opened = Vec::with_capacity(entries.len());
            for entry in entries {
                opened.extend(editing::open(conn, entry.id)?);
            }
            Ok::<_, diesel::result::Error>((opened, total))
        })
        .await?;
    let base_url = &state.config.base_url;
    let items: Vec<StaffPost> = ids
        .into_iter()
        .map(|o| StaffPost::new(o, now).on_site(base_url))
        .collect();
    let body = serde_json::json!({
        plural(**kind): items,
        "meta": {"pagination": super::pagination(window, total)},
    });
    Ok(json(actix_web::http::StatusCode::OK, &body))
}

/// One post with its Markdown, status and version
#[utoipa::path(
    get,
    path = "/api/v1/admin/posts/{id}/",
    operation_id = "admin_read_post",
    tag = "admin",
    security(("admin_key" = [])),
    params(("id" = i64, Path, description = "The post's id")),
    responses(
        (status = 200, description = "The post", body = AdminPosts),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the posts:write scope, or the role's rights", body = crate::web::api::error::Errors),
        (status = 404, description = "No such post", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn read(
    state: web::Data<AppState>,
    kind: web::Data<PostKind>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::PostsWrite)?;
    let opened = open(&state, **kind, &id).await?;
    let post = StaffPost::new(opened, now()).on_site(&state.config.base_url);
    Ok(json(actix_web::http::StatusCode::OK, &one(**kind, post)))
}

/// Create a post (a draft unless status is published)
#[utoipa::path(
    post,
    path = "/api/v1/admin/posts/",
    operation_id = "admin_create_post",
    tag = "admin",
    security(("admin_key" = [])),
    request_body = PostBody,
    responses(
        (status = 201, description = "The post as saved", body = AdminPosts),
        (status = 400, description = "The body is not JSON", body = crate::web::api::error::Errors),
        (status = 413, description = "The body is too large", body = crate::web::api::error::Errors),
        (status = 415, description = "The body is not sent as JSON", body = crate::web::api::error::Errors),
        (status = 422, description = "A field the editor would refuse", body = Refusal),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the posts:write scope, or the role's rights", body = crate::web::api::error::Errors),
        (status = 404, description = "No such post", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn create(
    state: web::Data<AppState>,
    kind: web::Data<PostKind>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::PostsWrite)?;
    let body: PostBody = read_json(&req, payload).await?;
    if body.version.is_some() {
        return Err(ApiError::invalid_fields(vec![(
            "version".into(),
            "a new post has no version yet; leave it out".into(),
        )]));
    }
    let mut input = body.apply(PostInput::new(**kind), false)?;
    if input.authors.is_none() {
        // A post needs an author to be published; an integration is nobody, so its posts
        // are the owner's unless it names others (as Ghost does).
        let owner = state.db.run(crate::domain::users::owner_id).await?;
        input.authors = owner.map(|id| vec![id]);
    }
    let prepared = prepare(input).await?;
    let actor = caller.actor();
    let saved = state
        .db
        .run(move |conn| {
            Ok::<_, diesel::result::Error>(write::create(conn, &actor, prepared, now()))
        })
        .await?
        .map_err(|e| refused(e, FIELD_NAMES))?;
    let opened = open(&state, **kind, &saved.id.to_string()).await?;
    let location = format!("/api/v1/admin/{}/{}/", plural(**kind), saved.id);
    let post = StaffPost::new(opened, now()).on_site(&state.config.base_url);
    let mut response = json(actix_web::http::StatusCode::CREATED, &one(**kind, post));
    response.headers_mut().insert(
        LOCATION,
        actix_web::http::header::HeaderValue::from_str(&location).expect("an ASCII path"),
    );
    Ok(response)
}

/// Update the fields sent, on the version read; publish, schedule or unpublish with status
#[utoipa::path(
    put,
    path = "/api/v1/admin/posts/{id}/",
    operation_id = "admin_update_post",
    tag = "admin",
    security(("admin_key" = [])),
    request_body = PostBody,
    params(("id" = i64, Path, description = "The post's id")),
    responses(
        (status = 200, description = "The post as saved", body = AdminPosts),
        (status = 400, description = "The body is not JSON", body = crate::web::api::error::Errors),
        (status = 409, description = "Saved by someone else since that version", body = Refusal),
        (status = 413, description = "The body is too large", body = crate::web::api::error::Errors),
        (status = 415, description = "The body is not sent as JSON", body = crate::web::api::error::Errors),
        (status = 422, description = "A field the editor would refuse", body = Refusal),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the posts:write scope, or the role's rights", body = crate::web::api::error::Errors),
        (status = 404, description = "No such post", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn update(
    state: web::Data<AppState>,
    kind: web::Data<PostKind>,
    caller: Caller,
    req: HttpRequest,
    id: web::Path<String>,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::PostsWrite)?;
    let current = open(&state, **kind, &id).await?;
    let body: PostBody = read_json(&req, payload).await?;
    let Some(version) = body.version else {
        return Err(ApiError::invalid_fields(vec![(
            "version".into(),
            "send the version you read, so no one's edit is overwritten".into(),
        )]));
    };
    let was_published = current.post.status() != crate::domain::posts::PostStatus::Draft;
    let mut input = current.to_input();
    input.authors = Some(current.author_ids.clone());
    let prepared = prepare(body.apply(input, was_published)?).await?;
    let (actor, post_id) = (caller.actor(), current.post.id);
    let saved = state
        .db
        .run(move |conn| {
            Ok::<_, diesel::result::Error>(write::update(
                conn,
                &actor,
                post_id,
                version,
                prepared,
                now(),
            ))
        })
        .await?;
    match saved {
        Ok(_) => {}
        Err(WriteError::Conflict) => {
            let now_saved = open(&state, **kind, &id).await?;
            let saved_version = now_saved.post.version;
            let saved = StaffPost::new(now_saved, now()).on_site(&state.config.base_url);
            return Err(ApiError::conflict(
                format!(
                    "this {} was saved by someone else since version {version}; \
                     the saved version is {saved_version}",
                    kind_name(**kind)
                ),
                serde_json::to_value(saved).unwrap_or_default(),
            ));
        }
        Err(other) => return Err(refused(other, FIELD_NAMES)),
    }
    let opened = open(&state, **kind, &id).await?;
    let post = StaffPost::new(opened, now()).on_site(&state.config.base_url);
    Ok(json(actix_web::http::StatusCode::OK, &one(**kind, post)))
}

/// Move a post to the trash
#[utoipa::path(
    post,
    path = "/api/v1/admin/posts/{id}/trash/",
    operation_id = "admin_trash_post",
    tag = "admin",
    security(("admin_key" = [])),
    params(("id" = i64, Path, description = "The post's id")),
    responses(
        (status = 200, description = "The post, trashed", body = AdminPosts),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the posts:write scope, or the role's rights", body = crate::web::api::error::Errors),
        (status = 404, description = "No such post", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn trash(
    state: web::Data<AppState>,
    kind: web::Data<PostKind>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    set_trashed(state, kind, caller, id, true).await
}

/// Take a post out of the trash
#[utoipa::path(
    post,
    path = "/api/v1/admin/posts/{id}/restore/",
    operation_id = "admin_restore_post",
    tag = "admin",
    security(("admin_key" = [])),
    params(("id" = i64, Path, description = "The post's id")),
    responses(
        (status = 200, description = "The post, restored", body = AdminPosts),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the posts:write scope, or the role's rights", body = crate::web::api::error::Errors),
        (status = 404, description = "No such post", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn restore(
    state: web::Data<AppState>,
    kind: web::Data<PostKind>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    set_trashed(state, kind, caller, id, false).await
}

async fn set_trashed(
    state: web::Data<AppState>,
    kind: web::Data<PostKind>,
    caller: Caller,
    id: web::Path<String>,
    trashed: bool,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::PostsWrite)?;
    let current = open(&state, **kind, &id).await?;
    let (actor, post_id) = (caller.actor(), current.post.id);
    state
        .db
        .run(move |conn| {
            Ok::<_, diesel::result::Error>(write::set_trashed(
                conn,
                &actor,
                post_id,
                trashed,
                now(),
            ))
        })
        .await?
        .map_err(|e| refused(e, FIELD_NAMES))?;
    let opened = open(&state, **kind, &id).await?;
    let post = StaffPost::new(opened, now()).on_site(&state.config.base_url);
    Ok(json(actix_web::http::StatusCode::OK, &one(**kind, post)))
}

/// Deletes a post in the trash for good (one not in the trash is refused: trash it first).
/// Delete a post in the trash for good
#[utoipa::path(
    delete,
    path = "/api/v1/admin/posts/{id}/",
    operation_id = "admin_delete_post",
    tag = "admin",
    security(("admin_key" = [])),
    params(("id" = i64, Path, description = "The post's id")),
    responses(
        (status = 204, description = "Deleted"),
        (status = 422, description = "Not in the trash", body = Refusal),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the posts:write scope, or the role's rights", body = crate::web::api::error::Errors),
        (status = 404, description = "No such post", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn delete(
    state: web::Data<AppState>,
    kind: web::Data<PostKind>,
    caller: Caller,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::PostsWrite)?;
    let current = open(&state, **kind, &id).await?;
    let (actor, post_id) = (caller.actor(), current.post.id);
    state
        .db
        .run(move |conn| {
            Ok::<_, diesel::result::Error>(write::delete_forever(conn, &actor, post_id, now()))
        })
        .await?
        .map_err(|e| refused(e, FIELD_NAMES))?;
    Ok(HttpResponse::NoContent().finish())
}
