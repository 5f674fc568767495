//! Images through the admin API (`media:write`): a `multipart/form-data` upload with the
//! picture in `file` and its description in `alt`, checked, re-encoded and stored exactly as
//! the media library's form does, answered with the image's address.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Serialize;

use super::{Caller, not_allowed, refused, reply, require_body_type};
use crate::domain::integrations::Scope;
use crate::domain::write::WriteError;
use crate::state::AppState;
use crate::web::admin::media;
use crate::web::api::error::{ApiError, ApiResult};
use crate::web::forms::pair_value;
use crate::web::views::absolute;

pub fn resources(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/images/")
            .route(web::post().to(upload))
            .default_service(web::to(|| not_allowed("POST"))),
    );
}

/// An image in the media library.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AdminImage {
    id: i64,
    /// Where the image is served, for `feature_image` or the Markdown of a post.
    url: String,
    alt: String,
}

#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AdminImages {
    images: Vec<AdminImage>,
}

/// The upload's form, as the document describes it.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ImageUpload {
    /// A PNG, JPEG, GIF or WebP picture.
    #[schema(value_type = String, format = Binary)]
    file: Vec<u8>,
    /// What the picture shows, for people who cannot see it.
    alt: Option<String>,
}

/// Adds an image to the media library.
#[utoipa::path(post, path = "/api/v1/admin/images/", operation_id = "admin_upload_image",
    tag = "admin", security(("admin_key" = [])),
    request_body(content = ImageUpload, content_type = "multipart/form-data"),
    responses(
        (status = 201, description = "The image as stored", body = AdminImages),
        (status = 400, description = "A body that cannot be read", body = crate::web::api::error::Errors),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the media:write scope", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 413, description = "A file larger than the upload limit", body = crate::web::api::error::Errors),
        (status = 415, description = "A body that is not multipart/form-data", body = crate::web::api::error::Errors),
        (status = 422, description = "No file, not a picture, or alt text too long", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn upload(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::MediaWrite)?;
    require_body_type(
        &req,
        "multipart/form-data",
        "send the image as multipart/form-data, the picture in `file`",
    )?;
    let payload = Multipart::new(req.headers(), payload.into_inner());
    let upload =
        media::read_fields(payload, "file", (state.config.upload_limit, 16 * 1024)).await?;
    if upload.bytes.is_empty() && !upload.too_large {
        return Err(refused(
            WriteError::invalid("file", "Send the picture in the `file` field."),
            &[],
        ));
    }
    let alt = pair_value(&upload.fields, "alt").to_string();
    match media::store(&state, (caller.actor(), None), upload, &alt).await? {
        Ok(stored) => {
            let image = AdminImage {
                id: stored.id,
                url: absolute(&state.config.base_url, &stored.url),
                alt: stored.alt,
            };
            Ok(reply(
                StatusCode::CREATED,
                &serde_json::json!({ "images": [image] }),
            ))
        }
        Err((status, errors)) if status == StatusCode::PAYLOAD_TOO_LARGE => Err(ApiError::body(
            status,
            "payload_too_large",
            errors.get("file").unwrap_or_else(|| errors.to_string()),
        )),
        Err((_, errors)) => Err(refused(WriteError::Invalid(errors), &[])),
    }
}
