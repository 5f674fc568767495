//! The media library: upload images (multipart, checked and re-encoded by `images`), list
//! and find them, edit their alt text, and delete them (with a warning when posts use them).
//! Files live in the media directory under generated names and are served at `/media/`.

use crate::web::admin::frame::admin_layout;
use std::path::{Path, PathBuf};

use actix_multipart::Multipart;
use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use futures_util::TryStreamExt;
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::domain::input::search_text;
use crate::domain::media::{self, Media, MediaOrder, NewMedia};
use crate::domain::write::{Actor, WriteError};
use crate::error::{AppError, AppResult};
use crate::images::{self, MediaError};
use crate::state::AppState;
use crate::web::admin::confirm::{self, Question};
use crate::web::forms::{Empty, check_multipart_token, pair_value};
use crate::web::forms::{Errors, Field};
use crate::web::pager::{Pagination, page_param};
use crate::web::respond::{ok, private, see_other, set_notice, take_notice, use_case, wants_json};
use crate::web::views::Layout;

const PER_PAGE: i64 = 40;
const MAX_ALT: usize = 300;
/// The most fields a multipart form may have (the editor's has a few dozen).
const MAX_FIELDS: usize = 200;

// ---- The library ----

#[derive(Template)]
#[template(path = "admin/media.html")]
struct LibraryPage {
    layout: Layout,
    notice: Option<String>,
    problem: Option<String>,
    csrf: String,
    text: String,
    items: Vec<ItemView>,
    /// How many images the search matches in all.
    total: i64,
    /// The order shown, and the orders offered as (key, label).
    sort: &'static str,
    sorts: Vec<(&'static str, &'static str)>,
    pagination: Pagination,
    file_error: Option<String>,
    alt: Vec<Field>,
    limit_mb: usize,
    max_megapixels: u64,
}

struct ItemView {
    id: i64,
    thumbnail: String,
    width: i32,
    height: i32,
    alt: String,
    name: String,
    size: String,
}

impl ItemView {
    fn new(item: Media) -> ItemView {
        let (thumbnail, width, height) = item.thumbnail();
        ItemView {
            id: item.id,
            thumbnail,
            width,
            height,
            size: human_size(item.bytes),
            alt: item.alt,
            name: item.original_name,
        }
    }
}

fn human_size(bytes: i64) -> String {
    match bytes {
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / f64::from(1 << 20)),
        b => format!("{} KB", (b + 1023) / 1024),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LibraryParams {
    q: String,
    sort: String,
    page: String,
}

/// The library's orders, for its sort menu (a grid has no column headers): the first is the
/// default.
const SORTS: [(&str, &str, MediaOrder); 4] = [
    ("newest", "Newest first", MediaOrder::Newest),
    ("oldest", "Oldest first", MediaOrder::Oldest),
    ("name", "By file name", MediaOrder::Name),
    ("size", "Largest first", MediaOrder::Size),
];

/// The sort a query string asks for; the default for anything else.
fn pick_sort(raw: &str) -> (&'static str, &'static str, MediaOrder) {
    SORTS
        .into_iter()
        .find(|(key, _, _)| *key == raw)
        .unwrap_or(SORTS[0])
}

fn alt_field(alt: &str, errors: &Errors) -> Vec<Field> {
    vec![
        Field::new("alt", "Alt text", "text")
            .value(alt)
            .max(MAX_ALT)
            .hint("What the image shows, for people who cannot see it.")
            .error(errors.get("alt")),
    ]
}

async fn library_page(
    state: &AppState,
    me: &Staff,
    (text, sort, page): (String, &'static str, i64),
    alt: &str,
    errors: &Errors,
) -> AppResult<LibraryPage> {
    let query = text.clone();
    let (_, _, order) = pick_sort(sort);
    let (items, total) = state
        .db
        .run(move |conn| media::page(conn, (&query, order), page, PER_PAGE))
        .await?;
    let sort_param = if sort == SORTS[0].0 { "" } else { sort };
    Ok(LibraryPage {
        layout: admin_layout(state, me, "/admin/media", "Media").await?,
        notice: take_notice(me.session()),
        problem: (!errors.is_empty()).then(|| "The image was not added; see below.".into()),
        csrf: csrf::token(me.session())?,
        items: items.into_iter().map(ItemView::new).collect(),
        pagination: Pagination::by_query(
            "/admin/media",
            &[("q", &text), ("sort", sort_param)],
            page,
            page * PER_PAGE < total,
        )
        .counting(total, PER_PAGE),
        total,
        sort,
        sorts: SORTS.iter().map(|(key, label, _)| (*key, *label)).collect(),
        file_error: errors.get("file"),
        alt: alt_field(alt, errors),
        limit_mb: state.config.upload_limit >> 20,
        max_megapixels: state.config.image_limit.max_pixels / 1_000_000,
        text,
    })
}

pub async fn show_library(
    state: web::Data<AppState>,
    me: Staff,
    params: web::Query<LibraryParams>,
) -> AppResult<HttpResponse> {
    me.require(Permission::UploadMedia)?;
    let text = search_text(&params.q, 200).map_err(AppError::BadRequest)?;
    let page = page_param(&params.page)?;
    let (sort, _, _) = pick_sort(&params.sort);
    let listing = (text, sort, page);
    ok(&library_page(&state, &me, listing, "", &Errors::default()).await?)
}

/// A multipart form as sent: its text fields and its one file.
#[derive(Default)]
pub struct Upload {
    pub fields: Vec<(String, String)>,
    pub file_name: String,
    pub bytes: Vec<u8>,
    pub too_large: bool,
}

/// Reads a multipart form, keeping at most `file_limit` bytes of the file field `file_field`
/// (and noting if there was more) and at most `text_limit` bytes of all other fields
/// together (more is refused). The CSRF token must come first (the forms put it there), so
/// a forged upload is refused before its file is read.
pub async fn read_upload(
    session: &Session,
    mut payload: Multipart,
    file_field: &str,
    limits: (usize, usize),
) -> AppResult<Upload> {
    check_multipart_token(session, &mut payload).await?;
    read_fields(payload, file_field, limits).await
}

/// The fields of a multipart body: the file in `file_field` (up to `file_limit` bytes, else
/// marked too large) and the text fields (up to `text_limit` in all).
pub async fn read_fields(
    mut payload: Multipart,
    file_field: &str,
    (file_limit, text_limit): (usize, usize),
) -> AppResult<Upload> {
    let bad = |_| AppError::BadRequest("The upload could not be read; try again.".into());
    let mut upload = Upload::default();
    let mut text_left = text_limit;
    let mut fields = 0;
    while let Some(mut field) = payload.try_next().await.map_err(bad)? {
        let name = field.name().unwrap_or_default().to_string();
        // Names count against the limit too, and no form has this many fields.
        fields += 1;
        if fields > MAX_FIELDS || name.len() > text_left {
            return Err(AppError::BadRequest(
                "The form is too large to read.".into(),
            ));
        }
        text_left -= name.len();
        let is_file = name == file_field;
        let cap = if is_file { file_limit } else { text_left };
        let mut bytes = Vec::new();
        while let Some(chunk) = field.try_next().await.map_err(bad)? {
            if bytes.len() + chunk.len() > cap {
                if !is_file {
                    return Err(AppError::BadRequest(
                        "The form is too large to read.".into(),
                    ));
                }
                upload.too_large = true;
                // Drain the rest without keeping it.
                while field.try_next().await.map_err(bad)?.is_some() {}
                break;
            }
            bytes.extend_from_slice(&chunk);
        }
        if is_file {
            upload.file_name = field
                .content_disposition()
                .and_then(|d| d.get_filename())
                .unwrap_or("image")
                .chars()
                .filter(|c| !c.is_control())
                .take(200)
                .collect();
            upload.bytes = bytes;
        } else {
            text_left -= bytes.len();
            upload
                .fields
                .push((name, String::from_utf8_lossy(&bytes).into_owned()));
        }
    }
    Ok(upload)
}

/// A random name for an upload's files: no user input reaches the file system.
fn new_stem() -> String {
    let token = crate::auth::tokens::random_token();
    token
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(20)
        .collect::<String>()
        .to_lowercase()
}

fn write_files(dir: &Path, stem: &str, files: &[images::Output]) -> std::io::Result<()> {
    for file in files {
        std::fs::write(dir.join(format!("{stem}{}", file.suffix)), &file.bytes)?;
    }
    Ok(())
}

fn remove_files(dir: &Path, names: &[String]) {
    for name in names {
        if let Err(error) = std::fs::remove_file(dir.join(name))
            && error.kind() != std::io::ErrorKind::NotFound
        {
            tracing::warn!(%error, file = %name, "could not remove a media file");
        }
    }
}

/// An image just added to the library.
pub struct Stored {
    pub id: i64,
    pub url: String,
    pub alt: String,
}

impl Stored {
    /// The image as Markdown, with `placeholder` for alt text when it has none.
    pub fn markdown(&self, placeholder: &str) -> String {
        let alt = match markdown_alt(&self.alt) {
            alt if alt.is_empty() => placeholder.to_string(),
            alt => alt,
        };
        format!("![{alt}]({})", self.url)
    }
}

/// Checks, re-encodes and stores an uploaded image with its alt text. `Err` holds the answer's
/// status and the problems, under `file` and `alt`.
pub async fn store(
    state: &AppState,
    (actor, uploaded_by): (Actor, Option<i64>),
    upload: Upload,
    raw_alt: &str,
) -> AppResult<Result<Stored, (StatusCode, Errors)>> {
    let limit = state.config.upload_limit;
    let mut errors = Errors::default();
    let alt = errors.text("alt", "The alt text", raw_alt, MAX_ALT);
    let processed = if upload.too_large {
        Err(MediaError::TooLarge {
            limit_mb: (limit >> 20) as u64,
        })
    } else {
        state.images.process(upload.bytes).await
    };
    let processed = match processed {
        Ok(processed) if errors.is_empty() => processed,
        outcome => {
            if let Err(problem) = outcome {
                errors.add("file", problem);
            }
            let status = if upload.too_large {
                StatusCode::PAYLOAD_TOO_LARGE
            } else {
                StatusCode::UNPROCESSABLE_ENTITY
            };
            return Ok(Err((status, errors)));
        }
    };

    let dir: PathBuf = state.config.media_dir();
    let stem = new_stem();
    let new = NewMedia {
        stem: stem.clone(),
        extension: processed.extension.to_string(),
        original_name: upload.file_name,
        width: processed.width as i32,
        height: processed.height as i32,
        bytes: processed.files.iter().map(|f| f.bytes.len() as i64).sum(),
        variants: processed.variants.clone(),
        crops: processed.crops.clone(),
        alt,
        uploaded_by,
    };
    let names: Vec<String> = processed
        .files
        .iter()
        .map(|f| format!("{stem}{}", f.suffix))
        .collect();
    let (write_dir, write_stem) = (dir.clone(), stem.clone());
    web::block(move || write_files(&write_dir, &write_stem, &processed.files))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::internal)?;
    let (url, alt) = (format!("/media/{stem}.{}", new.extension), new.alt.clone());
    let stored = use_case(state, move |conn, head| {
        media::add(conn, &actor, &new, head.now)
    })
    .await
    .and_then(|added| added.map_err(AppError::from));
    match stored {
        Ok(id) => Ok(Ok(Stored { id, url, alt })),
        Err(error) => {
            // Nothing refers to the files yet: take them away again.
            remove_files(&dir, &names);
            Err(error)
        }
    }
}

/// Adds an image to the library. A plain form lands on the image's page; the editor's
/// script (asking for JSON) gets the image's address and the Markdown to insert, or the
/// problem in words.
pub async fn upload(
    state: web::Data<AppState>,
    me: Staff,
    req: HttpRequest,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    let json = wants_json(&req);
    me.require(Permission::UploadMedia)?;
    let limits = (state.config.upload_limit, 16 * 1024);
    let upload = read_upload(me.session(), payload, "file", limits).await?;
    let alt = pair_value(&upload.fields, "alt").to_string();
    let uploader = (me.actor(), Some(me.user().id));
    match store(&state, uploader, upload, &alt).await? {
        Ok(stored) if json => Ok(HttpResponse::Created()
            .insert_header((CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({
                "id": stored.id,
                "url": stored.url,
                "alt": stored.alt,
                "markdown": stored.markdown(""),
            }))),
        Ok(stored) => {
            set_notice(me.session(), "Image added to the library.");
            Ok(see_other(&format!("/admin/media/{}", stored.id)))
        }
        Err((status, errors)) if json => Ok(HttpResponse::build(status)
            .insert_header((CACHE_CONTROL, "no-store"))
            .json(serde_json::json!({ "error": errors.to_string() }))),
        Err((status, errors)) => {
            let page =
                library_page(&state, &me, (String::new(), SORTS[0].0, 1), &alt, &errors).await?;
            private(status, &page)
        }
    }
}

/// Alt text as Markdown image text: brackets and backslashes escaped, on one line.
pub fn markdown_alt(alt: &str) -> String {
    alt.split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
        .replace('\\', "\\\\")
        .replace('[', "\\[")
        .replace(']', "\\]")
}

// ---- One image ----

#[derive(Template)]
#[template(path = "admin/media_item.html")]
struct ItemPage {
    layout: Layout,
    notice: Option<String>,
    csrf: String,
    item: Media,
    original_srcset: String,
    webp_srcset: String,
    size: String,
    used_by: Vec<String>,
    fields: Vec<Field>,
}

/// Loads an image `me` may change: editors and above any, others their own uploads.
async fn open_item(state: &AppState, me: &Staff, id: i64) -> AppResult<Media> {
    me.require(Permission::UploadMedia)?;
    let item = state
        .db
        .run(move |conn| media::by_id(conn, id))
        .await?
        .ok_or(AppError::NotFound)?;
    media::may_change(&me.actor(), &item)?;
    Ok(item)
}

async fn item_page(
    state: &AppState,
    me: &Staff,
    item: Media,
    alt: &str,
    errors: &Errors,
) -> AppResult<ItemPage> {
    let lookup = item.clone();
    let used_by = state
        .db
        .run(move |conn| media::used_by(conn, &lookup))
        .await?;
    let (original_srcset, webp_srcset) = item.srcsets();
    Ok(ItemPage {
        layout: admin_layout(state, me, &format!("/admin/media/{}", item.id), "Image").await?,
        notice: take_notice(me.session()),
        csrf: csrf::token(me.session())?,
        original_srcset,
        webp_srcset,
        size: human_size(item.bytes),
        used_by,
        fields: vec![Field::new("alt", "Alt text", "text")
            .value(alt)
            .max(MAX_ALT)
            .hint("What the image shows, for people who cannot see it. Used wherever the image appears without its own.")
            .error(errors.get("alt"))],
        item,
    })
}

pub async fn show_item(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let item = open_item(&state, &me, id.into_inner()).await?;
    let alt = item.alt.clone();
    ok(&item_page(&state, &me, item, &alt, &Errors::default()).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AltForm {
    alt: String,
}

pub async fn save_item(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<AltForm>,
) -> AppResult<HttpResponse> {
    let item = open_item(&state, &me, id.into_inner()).await?;
    let (id, actor, typed) = (item.id, me.actor(), form.alt.clone());
    let saved = use_case(&state, move |conn, head| {
        let alt = media::parse_alt(&typed)?;
        media::set_alt(conn, &actor, id, &alt, head.now)
    })
    .await?;
    match saved {
        Ok(()) => {}
        Err(WriteError::Invalid(errors)) => {
            let page = item_page(&state, &me, item, &form.alt, &errors).await?;
            return private(StatusCode::UNPROCESSABLE_ENTITY, &page);
        }
        Err(refused) => return Err(refused.into()),
    }
    set_notice(me.session(), "Saved.");
    Ok(see_other(&format!("/admin/media/{id}")))
}

pub async fn confirm_delete_item(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let item = open_item(&state, &me, id.into_inner()).await?;
    let lookup = item.clone();
    let used_by = state
        .db
        .run(move |conn| media::used_by(conn, &lookup))
        .await?;
    let mut explanation = vec![format!(
        "{} and its resized copies will be deleted. This cannot be undone.",
        item.original_name
    )];
    if !used_by.is_empty() {
        explanation.push(format!(
            "Warning: it is in use by {} ({}). Those pages will show a missing image until you change them.",
            if used_by.len() == 1 { "1 post or page".to_string() } else { format!("{} posts and pages", used_by.len()) },
            used_by.join(", ")
        ));
    }
    confirm::ask(
        &state,
        &me,
        Question {
            heading: format!("Delete {}?", item.original_name),
            explanation,
            action: format!("/admin/media/{}/delete", item.id),
            hidden: Vec::new(),
            button: "Delete the image".into(),
            cancel: format!("/admin/media/{}", item.id),
        },
    )
    .await
}

pub async fn delete_item(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let item = open_item(&state, &me, id.into_inner()).await?;
    let (id, actor) = (item.id, me.actor());
    let deleted = use_case(&state, move |conn, head| {
        media::remove(conn, &actor, id, head.now)
    })
    .await??;
    let (dir, names) = (state.config.media_dir(), deleted.file_names());
    web::block(move || remove_files(&dir, &names))
        .await
        .map_err(AppError::internal)?;
    set_notice(me.session(), "Image deleted.");
    Ok(see_other("/admin/media"))
}
