//! The content API's resources: posts, pages, tags, authors, settings and search. Each
//! handler reads its parameters, asks `domain::browse`, and answers JSON in Ghost's shape.

use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;
use serde_json::Value;

use super::error::{ApiError, ApiResult};
use super::params::Params;
use super::views::{
    AUTHOR_FIELDS, AuthorView, Formats, POST_FIELDS, PostView, SettingsView, TAG_FIELDS, TagView,
    with_fields,
};
use super::{json_ok, resource};
use crate::clock::now;
use crate::domain::browse::{self, Key, Paged, Window};
use crate::domain::changes::Touched;
use crate::domain::posts::PostKind;
use crate::state::AppState;

pub fn resources(cfg: &mut web::ServiceConfig) {
    cfg.service(resource("/posts/", browse_posts))
        .service(resource("/posts/slug/{slug}/", read_post_by_slug))
        .service(resource("/posts/{id}/", read_post))
        .service(resource("/pages/", browse_pages))
        .service(resource("/pages/slug/{slug}/", read_page_by_slug))
        .service(resource("/pages/{id}/", read_page))
        .service(resource("/tags/", browse_tags))
        .service(resource("/tags/slug/{slug}/", read_tag_by_slug))
        .service(resource("/tags/{id}/", read_tag))
        .service(resource("/authors/", browse_authors))
        .service(resource("/authors/slug/{slug}/", read_author_by_slug))
        .service(resource("/authors/{id}/", read_author))
        .service(resource("/settings/", read_settings))
        .service(resource("/search/", search))
        .service(resource("/openapi.json", contract));
}

/// The envelope of a list: the items under the resource's name, and how to page on.
#[derive(Serialize)]
struct Listed {
    #[serde(flatten)]
    items: serde_json::Map<String, Value>,
    meta: Meta,
}

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct Meta {
    pagination: Pagination,
}

#[derive(Serialize, Debug, PartialEq, Eq, utoipa::ToSchema)]
pub(super) struct Pagination {
    page: i64,
    limit: i64,
    pages: i64,
    total: i64,
    next: Option<i64>,
    prev: Option<i64>,
}

impl Pagination {
    pub(super) fn new(window: Window, total: i64) -> Pagination {
        let pages = ((total + window.limit - 1) / window.limit).max(1);
        Pagination {
            page: window.page,
            limit: window.limit,
            pages,
            total,
            next: (window.page < pages).then_some(window.page + 1),
            prev: (window.page > 1).then(|| (window.page - 1).min(pages)),
        }
    }
}

/// `Link` header: the first, previous, next and last pages, as absolute URLs.
fn link_header(base_url: &str, req: &HttpRequest, params: &Params, pages: &Pagination) -> String {
    let url = |page: i64| format!("{base_url}{}?{}", req.path(), params.with_page(page));
    let mut links = vec![format!("<{}>; rel=\"first\"", url(1))];
    if let Some(prev) = pages.prev {
        links.push(format!("<{}>; rel=\"prev\"", url(prev)));
    }
    if let Some(next) = pages.next {
        links.push(format!("<{}>; rel=\"next\"", url(next)));
    }
    links.push(format!("<{}>; rel=\"last\"", url(pages.pages)));
    links.join(", ")
}

fn listed(name: &str, items: Vec<Value>, pagination: Pagination) -> Listed {
    let mut map = serde_json::Map::new();
    map.insert(name.to_string(), Value::Array(items));
    Listed {
        items: map,
        meta: Meta { pagination },
    }
}

/// A single item, as Ghost sends it: a list of one under the resource's name.
fn single(name: &str, item: Value) -> serde_json::Map<String, Value> {
    let mut map = serde_json::Map::new();
    map.insert(name.to_string(), Value::Array(vec![item]));
    map
}

/// An id from the path; anything else names nothing.
fn id_of(raw: &str, what: &str) -> ApiResult<Key> {
    raw.parse::<i64>()
        .map(Key::Id)
        .map_err(|_| ApiError::not_found(format!("no {what} has the id '{raw}'")))
}

fn slug_of(raw: &str, what: &str) -> ApiResult<Key> {
    if crate::web::public::plausible_slug(raw) {
        Ok(Key::Slug(raw.to_string()))
    } else {
        Err(ApiError::not_found(format!(
            "no {what} has the slug '{raw}'"
        )))
    }
}

// ---- What the OpenAPI document says of the answers and parameters ----

/// A page of posts.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(super) struct Posts {
    posts: Vec<PostView>,
    /// On lists; a single post comes without.
    meta: Option<Meta>,
}

/// A page of pages.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(super) struct Pages {
    pages: Vec<PostView>,
    meta: Option<Meta>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(super) struct Tags {
    tags: Vec<TagView>,
    meta: Option<Meta>,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub(super) struct Authors {
    authors: Vec<AuthorView>,
    meta: Option<Meta>,
}

/// The parameters of a list (see the README for `filter`'s grammar).
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(super) struct ListParams {
    /// `authors`, `tags`, `count.comments`, `count.likes` (posts); `count.posts` (tags, authors).
    include: Option<String>,
    /// Only these fields of each item, separated by commas.
    fields: Option<String>,
    /// `html` and/or `plaintext` (posts and pages).
    formats: Option<String>,
    /// Ghost's filter syntax: `tag:news+featured:true`, `tags:[a,b]`, `author:-jo`.
    filter: Option<String>,
    /// `field [asc|desc]`, separated by commas.
    order: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    #[param(minimum = 1, maximum = 1_000_000)]
    page: Option<i64>,
    /// A content key; accepted, and needed only when the site asks for one.
    key: Option<String>,
}

/// The parameters of one item.
#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(super) struct ReadParams {
    include: Option<String>,
    fields: Option<String>,
    formats: Option<String>,
    key: Option<String>,
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(super) struct KeyParams {
    key: Option<String>,
}

#[derive(utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
#[allow(dead_code)]
pub(super) struct SearchParams {
    /// The words to find.
    q: String,
    include: Option<String>,
    fields: Option<String>,
    formats: Option<String>,
    #[param(minimum = 1, maximum = 100)]
    limit: Option<i64>,
    #[param(minimum = 1, maximum = 1_000_000)]
    page: Option<i64>,
    key: Option<String>,
}

// ---- Posts and pages ----

const POST_LIST_PARAMS: &[&str] = &[
    "include", "fields", "formats", "filter", "order", "limit", "page",
];
/// Ghost's client repeats a slug it reads by as a parameter; the path decides.
const POST_READ_PARAMS: &[&str] = &["include", "fields", "formats", "slug"];
const POST_INCLUDES: &[&str] = &["authors", "tags", "count.comments", "count.likes"];

/// What to send of each post: `include`, `fields` and `formats`.
struct PostShape {
    include: browse::posts::Include,
    counts: Vec<String>,
    fields: Vec<String>,
    formats: Formats,
}

impl PostShape {
    fn read(params: &Params) -> ApiResult<PostShape> {
        let include = params.names("include", POST_INCLUDES)?;
        let fields = params.names("fields", POST_FIELDS)?;
        if params
            .get("formats")
            .is_some_and(|f| f.split(',').any(|f| f.trim() == "markdown"))
        {
            return Err(ApiError::parameter(
                "formats",
                "the Markdown source is not published; ask for html or plaintext",
            ));
        }
        let formats = params.names("formats", &["html", "plaintext"])?;
        let wants = |format: &str| {
            formats.iter().any(|f| f == format) || fields.iter().any(|f| f == format)
        };
        let counts: Vec<String> = include
            .iter()
            .filter_map(|name| name.strip_prefix("count."))
            .map(str::to_string)
            .collect();
        Ok(PostShape {
            include: browse::posts::Include {
                authors: include.iter().any(|n| n == "authors"),
                tags: include.iter().any(|n| n == "tags"),
                counts: !counts.is_empty(),
            },
            formats: Formats {
                html: formats.is_empty() || wants("html"),
                plaintext: wants("plaintext"),
            },
            counts,
            fields,
        })
    }

    /// The posts as JSON, and what the answer shows (for the page cache).
    fn render(
        &self,
        posts: Vec<crate::domain::posts::Post>,
        related: &browse::posts::Related,
        base_url: &str,
    ) -> (Vec<Value>, Vec<Touched>) {
        let mut shows = Vec::new();
        let items = posts
            .into_iter()
            .map(|post| {
                let id = post.id;
                shows.push(Touched::Post(id));
                let mut view = PostView::new(post, base_url, self.formats);
                if self.include.authors {
                    let authors = related.authors.get(&id).map_or(&[][..], Vec::as_slice);
                    shows.extend(authors.iter().map(|a| Touched::Author(a.id)));
                    view.with_authors(authors, base_url);
                }
                if self.include.tags {
                    let tags = related.tags.get(&id).map_or(&[][..], Vec::as_slice);
                    shows.extend(tags.iter().map(|t| Touched::Tag(t.id)));
                    view.with_tags(tags, base_url);
                }
                if self.include.counts {
                    shows.push(Touched::Conversation(id));
                    for name in &self.counts {
                        let counted = match name.as_str() {
                            "comments" => &related.comments,
                            _ => &related.likes,
                        };
                        view.count
                            .insert(name.clone(), counted.get(&id).copied().unwrap_or(0).into());
                    }
                }
                with_fields(&view, &self.fields)
            })
            .collect();
        (items, shows)
    }
}

/// Published posts, newest first
#[utoipa::path(
    get,
    path = "/api/v1/posts/",
    tag = "content",
    params(ListParams),
    responses(
        (status = 200, description = "Published posts, newest first", body = Posts),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 404, description = "Nothing visible there", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn browse_posts(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    browse_kind(&state, &req, PostKind::Post).await
}

/// Published pages
#[utoipa::path(
    get,
    path = "/api/v1/pages/",
    tag = "content",
    params(ListParams),
    responses(
        (status = 200, description = "Published pages", body = Pages),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 404, description = "Nothing visible there", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn browse_pages(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    browse_kind(&state, &req, PostKind::Page).await
}

fn plural(kind: PostKind) -> &'static str {
    match kind {
        PostKind::Post => "posts",
        PostKind::Page => "pages",
    }
}

async fn browse_kind(
    state: &AppState,
    req: &HttpRequest,
    kind: PostKind,
) -> ApiResult<HttpResponse> {
    let params = Params::parse(req.query_string(), POST_LIST_PARAMS)?;
    let shape = PostShape::read(&params)?;
    let request = browse::posts::Browse {
        kind,
        filter: params.filter(browse::posts::check_filter)?,
        order: params.order(browse::posts::ORDER_FIELDS)?,
        window: params.window()?,
    };
    let include = shape.include;
    let filtered = request.filter.is_some();
    let now = now();
    let (found, related) = state
        .db
        .run(move |conn| {
            let found = browse::posts::browse(conn, &request, now)?;
            let related = browse::posts::related(conn, &found.items, include)?;
            Ok::<_, diesel::result::Error>(((found, request.window), related))
        })
        .await?;
    let ((Paged { items, total }, window), related) = (found, related);
    let base_url = &state.config.base_url;
    let (items, mut shows) = shape.render(items, &related, base_url);
    shows.push(Touched::Listings);
    let pagination = Pagination::new(window, total);
    let link = link_header(base_url, req, &params, &pagination);
    // A filter by a tag's or an author's slug follows renames the listed posts do not show.
    let shows = (!filtered).then_some(shows);
    json_ok(&listed(plural(kind), items, pagination), shows, Some(link))
}

/// One published post
#[utoipa::path(
    get,
    path = "/api/v1/posts/{id}/",
    tag = "content",
    params(ReadParams, ("id" = i64, Path, description = "The item's id")),
    responses(
        (status = 200, description = "One published post", body = Posts),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 404, description = "Nothing visible there", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn read_post(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    read_kind(&state, &req, PostKind::Post, id_of(&id, "post")?).await
}

/// One published post, by slug
#[utoipa::path(
    get,
    path = "/api/v1/posts/slug/{slug}/",
    tag = "content",
    params(ReadParams, ("slug" = String, Path, description = "The item's slug")),
    responses(
        (status = 200, description = "One published post, by slug", body = Posts),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 404, description = "Nothing visible there", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn read_post_by_slug(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> ApiResult<HttpResponse> {
    read_kind(&state, &req, PostKind::Post, slug_of(&slug, "post")?).await
}

/// One published page
#[utoipa::path(
    get,
    path = "/api/v1/pages/{id}/",
    tag = "content",
    params(ReadParams, ("id" = i64, Path, description = "The item's id")),
    responses(
        (status = 200, description = "One published page", body = Pages),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 404, description = "Nothing visible there", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn read_page(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    read_kind(&state, &req, PostKind::Page, id_of(&id, "page")?).await
}

/// One published page, by slug
#[utoipa::path(
    get,
    path = "/api/v1/pages/slug/{slug}/",
    tag = "content",
    params(ReadParams, ("slug" = String, Path, description = "The item's slug")),
    responses(
        (status = 200, description = "One published page, by slug", body = Pages),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 404, description = "Nothing visible there", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn read_page_by_slug(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> ApiResult<HttpResponse> {
    read_kind(&state, &req, PostKind::Page, slug_of(&slug, "page")?).await
}

async fn read_kind(
    state: &AppState,
    req: &HttpRequest,
    kind: PostKind,
    key: Key,
) -> ApiResult<HttpResponse> {
    let params = Params::parse(req.query_string(), POST_READ_PARAMS)?;
    let shape = PostShape::read(&params)?;
    let include = shape.include;
    let now = now();
    let (post, related) = state
        .db
        .run(move |conn| {
            let Some(post) = browse::posts::read(conn, kind, &key, now)? else {
                return Ok(None);
            };
            let related = browse::posts::related(conn, std::slice::from_ref(&post), include)?;
            Ok::<_, diesel::result::Error>(Some((post, related)))
        })
        .await?
        .ok_or_else(|| {
            ApiError::not_found(format!("no published {} is there", &plural(kind)[..4]))
        })?;
    let (mut items, shows) = shape.render(vec![post], &related, &state.config.base_url);
    json_ok(&single(plural(kind), items.remove(0)), Some(shows), None)
}

/// `/search/?q=words`: posts and pages, best match first.
/// Posts and pages matching words, best first
#[utoipa::path(
    get,
    path = "/api/v1/search/",
    tag = "content",
    params(SearchParams),
    responses(
        (status = 200, description = "Posts and pages matching words, best first", body = Posts),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 404, description = "Nothing visible there", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn search(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let params = Params::parse(
        req.query_string(),
        &["q", "include", "fields", "formats", "limit", "page"],
    )?;
    let shape = PostShape::read(&params)?;
    let terms = crate::db::search::Terms::parse(params.get("q").unwrap_or_default());
    if terms.is_empty() {
        return Err(ApiError::parameter("q", "q names the words to search for"));
    }
    let window = params.window()?;
    let include = shape.include;
    let now = now();
    let (found, related) = state
        .db
        .run(move |conn| {
            let found = browse::posts::search(conn, &terms, window, now)?;
            let related = browse::posts::related(conn, &found.items, include)?;
            Ok::<_, diesel::result::Error>((found, related))
        })
        .await?;
    let base_url = &state.config.base_url;
    let (items, _) = shape.render(found.items, &related, base_url);
    let pagination = Pagination::new(window, found.total);
    let link = link_header(base_url, &req, &params, &pagination);
    json_ok(&listed("posts", items, pagination), None, Some(link))
}

// ---- Tags and authors ----

const LIST_PARAMS: &[&str] = &["include", "fields", "filter", "order", "limit", "page"];
const READ_PARAMS: &[&str] = &["include", "fields", "slug"];

/// Tags with published posts
#[utoipa::path(
    get,
    path = "/api/v1/tags/",
    tag = "content",
    params(ListParams),
    responses(
        (status = 200, description = "Tags with published posts", body = Tags),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 404, description = "Nothing visible there", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn browse_tags(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let params = Params::parse(req.query_string(), LIST_PARAMS)?;
    let counted = !params.names("include", &["count.posts"])?.is_empty();
    let fields = params.names("fields", TAG_FIELDS)?;
    let request = browse::tags::Browse {
        filter: params.filter(browse::tags::check_filter)?,
        order: params.order(browse::tags::ORDER_FIELDS)?,
        window: params.window()?,
    };
    let window = request.window;
    let now = now();
    let (found, counts) = state
        .db
        .run(move |conn| {
            let found = browse::tags::browse(conn, &request, now)?;
            let ids: Vec<i64> = found.items.iter().map(|t| t.id).collect();
            let counts = if counted {
                browse::tags::post_counts(conn, &ids, now)?
            } else {
                Default::default()
            };
            Ok::<_, diesel::result::Error>((found, counts))
        })
        .await?;
    let base_url = &state.config.base_url;
    let items = found
        .items
        .into_iter()
        .map(|tag| {
            let posts = counted.then(|| counts.get(&tag.id).copied().unwrap_or(0));
            with_fields(&TagView::new(tag, base_url, posts), &fields)
        })
        .collect();
    let pagination = Pagination::new(window, found.total);
    let link = link_header(base_url, &req, &params, &pagination);
    json_ok(&listed("tags", items, pagination), None, Some(link))
}

/// One tag
#[utoipa::path(
    get,
    path = "/api/v1/tags/{id}/",
    tag = "content",
    params(ReadParams, ("id" = i64, Path, description = "The item's id")),
    responses(
        (status = 200, description = "One tag", body = Tags),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 404, description = "Nothing visible there", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn read_tag(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    read_one_tag(&state, &req, id_of(&id, "tag")?).await
}

/// One tag, by slug
#[utoipa::path(
    get,
    path = "/api/v1/tags/slug/{slug}/",
    tag = "content",
    params(ReadParams, ("slug" = String, Path, description = "The item's slug")),
    responses(
        (status = 200, description = "One tag, by slug", body = Tags),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 404, description = "Nothing visible there", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn read_tag_by_slug(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> ApiResult<HttpResponse> {
    read_one_tag(&state, &req, slug_of(&slug, "tag")?).await
}

async fn read_one_tag(state: &AppState, req: &HttpRequest, key: Key) -> ApiResult<HttpResponse> {
    let params = Params::parse(req.query_string(), READ_PARAMS)?;
    let counted = !params.names("include", &["count.posts"])?.is_empty();
    let fields = params.names("fields", TAG_FIELDS)?;
    let now = now();
    let (tag, posts) = state
        .db
        .run(move |conn| {
            let Some(tag) = browse::tags::read(conn, &key, now)? else {
                return Ok(None);
            };
            let posts = browse::tags::post_counts(conn, &[tag.id], now)?
                .get(&tag.id)
                .copied();
            Ok::<_, diesel::result::Error>(Some((tag, posts.unwrap_or(0))))
        })
        .await?
        .ok_or_else(|| ApiError::not_found("no tag with published posts is there"))?;
    let view = TagView::new(tag, &state.config.base_url, counted.then_some(posts));
    json_ok(&single("tags", with_fields(&view, &fields)), None, None)
}

/// Authors with published posts
#[utoipa::path(
    get,
    path = "/api/v1/authors/",
    tag = "content",
    params(ListParams),
    responses(
        (status = 200, description = "Authors with published posts", body = Authors),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 404, description = "Nothing visible there", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn browse_authors(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    let params = Params::parse(req.query_string(), LIST_PARAMS)?;
    let counted = !params.names("include", &["count.posts"])?.is_empty();
    let fields = params.names("fields", AUTHOR_FIELDS)?;
    let request = browse::authors::Browse {
        filter: params.filter(browse::authors::check_filter)?,
        order: params.order(browse::authors::ORDER_FIELDS)?,
        window: params.window()?,
    };
    let window = request.window;
    let now = now();
    let (found, counts) = state
        .db
        .run(move |conn| {
            let found = browse::authors::browse(conn, &request, now)?;
            let ids: Vec<i64> = found.items.iter().map(|a| a.id).collect();
            let counts = if counted {
                browse::authors::post_counts(conn, &ids, now)?
            } else {
                Default::default()
            };
            Ok::<_, diesel::result::Error>((found, counts))
        })
        .await?;
    let base_url = &state.config.base_url;
    let items = found
        .items
        .into_iter()
        .map(|author| {
            let posts = counted.then(|| counts.get(&author.id).copied().unwrap_or(0));
            with_fields(&AuthorView::new(author, base_url, posts), &fields)
        })
        .collect();
    let pagination = Pagination::new(window, found.total);
    let link = link_header(base_url, &req, &params, &pagination);
    json_ok(&listed("authors", items, pagination), None, Some(link))
}

/// One author
#[utoipa::path(
    get,
    path = "/api/v1/authors/{id}/",
    tag = "content",
    params(ReadParams, ("id" = i64, Path, description = "The item's id")),
    responses(
        (status = 200, description = "One author", body = Authors),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 404, description = "Nothing visible there", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn read_author(
    state: web::Data<AppState>,
    req: HttpRequest,
    id: web::Path<String>,
) -> ApiResult<HttpResponse> {
    read_one_author(&state, &req, id_of(&id, "author")?).await
}

/// One author, by slug
#[utoipa::path(
    get,
    path = "/api/v1/authors/slug/{slug}/",
    tag = "content",
    params(ReadParams, ("slug" = String, Path, description = "The item's slug")),
    responses(
        (status = 200, description = "One author, by slug", body = Authors),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 404, description = "Nothing visible there", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn read_author_by_slug(
    state: web::Data<AppState>,
    req: HttpRequest,
    slug: web::Path<String>,
) -> ApiResult<HttpResponse> {
    read_one_author(&state, &req, slug_of(&slug, "author")?).await
}

async fn read_one_author(state: &AppState, req: &HttpRequest, key: Key) -> ApiResult<HttpResponse> {
    let params = Params::parse(req.query_string(), READ_PARAMS)?;
    let counted = !params.names("include", &["count.posts"])?.is_empty();
    let fields = params.names("fields", AUTHOR_FIELDS)?;
    let now = now();
    let (author, posts) = state
        .db
        .run(move |conn| {
            let Some(author) = browse::authors::read(conn, &key, now)? else {
                return Ok(None);
            };
            let posts = browse::authors::post_counts(conn, &[author.id], now)?
                .get(&author.id)
                .copied();
            Ok::<_, diesel::result::Error>(Some((author, posts.unwrap_or(0))))
        })
        .await?
        .ok_or_else(|| ApiError::not_found("no author with published posts is there"))?;
    let view = AuthorView::new(author, &state.config.base_url, counted.then_some(posts));
    json_ok(&single("authors", with_fields(&view, &fields)), None, None)
}

// ---- The contract ----

/// The OpenAPI document of both APIs.
async fn contract(state: web::Data<AppState>, req: HttpRequest) -> ApiResult<HttpResponse> {
    Params::parse(req.query_string(), &[])?;
    let document = super::openapi::document(&state.config.base_url);
    json_ok(&document, Some(vec![Touched::Site]), None)
}

// ---- Settings ----

#[derive(Serialize, utoipa::ToSchema)]
pub(super) struct SettingsBody {
    settings: SettingsView,
    meta: serde_json::Map<String, Value>,
}

/// The site's public settings
#[utoipa::path(
    get,
    path = "/api/v1/settings/",
    tag = "content",
    params(KeyParams),
    responses(
        (status = 200, description = "The site's public settings", body = SettingsBody),
        (status = 400, description = "A parameter the API cannot use", body = crate::web::api::error::Errors),
        (status = 404, description = "Nothing visible there", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 503, description = "The database is busy; try again", body = crate::web::api::error::Errors),
    )
)]
pub(super) async fn read_settings(
    state: web::Data<AppState>,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    Params::parse(req.query_string(), &[])?;
    let site = Arc::clone(&state.site);
    let now = now();
    let snapshot = state.db.run(move |conn| site.current(conn, now)).await?;
    let body = SettingsBody {
        settings: SettingsView::new(&snapshot.settings, &state.config.base_url),
        meta: serde_json::Map::new(),
    };
    json_ok(&body, Some(vec![Touched::Site]), None)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pagination_names_its_neighbours() {
        let window = |page, limit| Window { page, limit };
        assert_eq!(
            Pagination::new(window(1, 15), 31),
            Pagination {
                page: 1,
                limit: 15,
                pages: 3,
                total: 31,
                next: Some(2),
                prev: None
            }
        );
        assert_eq!(
            Pagination::new(window(3, 15), 31),
            Pagination {
                page: 3,
                limit: 15,
                pages: 3,
                total: 31,
                next: None,
                prev: Some(2)
            }
        );
        // Nothing at all is still one (empty) page; past the end points back to the last.
        assert_eq!(Pagination::new(window(1, 15), 0).pages, 1);
        assert_eq!(Pagination::new(window(9, 15), 31).prev, Some(3));
    }
}
