//! The Import page (owners and admins): upload a WordPress or Ghost export, a Quire export,
//! or a zip of a Markdown folder; it is checked first by default (a dry run), then imported
//! by a job, with its progress on the page while it runs and its report when done.

use crate::web::admin::frame::admin_layout;
use std::path::{Path, PathBuf};

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use futures_util::TryStreamExt;
use tokio::io::AsyncWriteExt;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::clock::now;
use crate::domain::imports::{self, ImportRow, ImportStatus, NewImport};
use crate::domain::settings;
use crate::error::{AppError, AppResult};
use crate::jobs::{JobStatus, queue};
use crate::state::AppState;
use crate::transfer::archive::unpack_zip;
use crate::web::forms::{Empty, check_multipart_token};
use crate::web::respond::{ok, private, see_other, take_notice, use_case};
use crate::web::views::{DateView, Layout};

const RECENT: i64 = 20;
/// While an import runs, its page asks to be loaded again this often.
const REFRESH_SECONDS: u32 = 2;

#[derive(Template)]
#[template(path = "admin/import.html")]
struct ImportPage {
    layout: Layout,
    notice: Option<String>,
    problem: Option<String>,
    csrf: String,
    limit_mb: usize,
    imports: Vec<ImportView>,
}

#[derive(Template)]
#[template(path = "admin/import_run.html")]
struct RunPage {
    layout: Layout,
    csrf: String,
    run: ImportView,
}

struct ImportView {
    id: i64,
    file_name: String,
    dry_run: bool,
    strict: bool,
    status: &'static str,
    running: bool,
    done_count: i64,
    total: i64,
    format: String,
    /// The report's opening lines (what was, or would be, imported).
    summary: Vec<String>,
    /// The rest of the report, by kind: what was left out, skipped, noted.
    details: Vec<Detail>,
    error: String,
    started: DateView,
    /// A finished check that found something to import: it can be run for real.
    can_run: bool,
}

impl ImportView {
    fn new(row: ImportRow, tz: chrono_tz::Tz) -> ImportView {
        let status = match row.status {
            ImportStatus::Queued => "Waiting to start",
            ImportStatus::Running => "Running",
            ImportStatus::Done if row.dry_run => "Checked",
            ImportStatus::Done => "Imported",
            // The file's fault, recorded by the run: it was refused.
            ImportStatus::Failed => "Refused",
        };
        ImportView {
            id: row.id,
            file_name: row.file_name,
            dry_run: row.dry_run,
            strict: row.strict,
            status,
            running: matches!(row.status, ImportStatus::Queued | ImportStatus::Running),
            done_count: row.done,
            total: row.total,
            format: row.format.unwrap_or_default(),
            summary: Vec::new(),
            details: Vec::new(),
            error: row.error.unwrap_or_default(),
            started: DateView::with_time(row.created_at, tz),
            can_run: row.dry_run && row.status == ImportStatus::Done,
        }
        .with_report(row.report.as_deref().unwrap_or_default())
    }

    /// The report's lines sorted under headings, each without its prefix.
    fn with_report(mut self, report: &str) -> ImportView {
        const KINDS: [(&str, &str); 5] = [
            ("Skipped ", "Skipped"),
            ("Not imported: ", "Not imported"),
            (
                "Image not brought in (its old address stays): ",
                "Images left at their old addresses",
            ),
            ("Note: ", "Notes"),
            (
                "Already here, left as they are: ",
                "People already here, left as they are",
            ),
        ];
        for line in report.lines().filter(|l| !l.trim().is_empty()) {
            match KINDS.iter().find(|(prefix, _)| line.starts_with(prefix)) {
                Some((prefix, heading)) => {
                    let item = line[prefix.len()..].to_string();
                    match self.details.iter_mut().find(|d| d.heading == *heading) {
                        Some(detail) => detail.items.push(item),
                        None => self.details.push(Detail {
                            heading,
                            items: vec![item],
                        }),
                    }
                }
                None if line.starts_with("Format: ") => {}
                None => self.summary.push(line.to_string()),
            }
        }
        self
    }
}

struct Detail {
    heading: &'static str,
    items: Vec<String>,
}

async fn import_page(
    state: &AppState,
    me: &Staff,
    problem: Option<String>,
) -> AppResult<ImportPage> {
    let (rows, settings) = state
        .db
        .run(|conn| {
            Ok::<_, AppError>((
                imports::recent(conn, RECENT)?,
                settings::current(conn, now())?,
            ))
        })
        .await?;
    Ok(ImportPage {
        layout: admin_layout(state, me, "/admin/import", "Import").await?,
        notice: take_notice(me.session()),
        problem,
        csrf: csrf::token(me.session())?,
        limit_mb: state.config.import_limit >> 20,
        imports: rows
            .into_iter()
            .map(|row| ImportView::new(row, settings.timezone))
            .collect(),
    })
}

pub async fn show_import(state: web::Data<AppState>, me: Staff) -> AppResult<HttpResponse> {
    me.require(Permission::ManageSettings)?;
    ok(&import_page(&state, &me, None).await?)
}

/// What the form sent: the file (already on disk) and the choices.
struct Upload {
    file_name: String,
    stored: Option<PathBuf>,
    too_large: bool,
    dry_run: bool,
    strict: bool,
}

/// Where uploads are kept, each in a folder of its own under a random name.
fn upload_folder(state: &AppState) -> PathBuf {
    state.config.data_dir.join("imports").join("uploads").join(
        crate::auth::tokens::random_token()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(20)
            .collect::<String>(),
    )
}

/// Reads the form, streaming the file to disk (never into memory) up to the limit.
async fn read_upload(
    me: &Staff,
    mut payload: Multipart,
    folder: &Path,
    limit: usize,
) -> AppResult<Upload> {
    let bad = |_| AppError::BadRequest("The upload could not be read; try again.".into());
    check_multipart_token(me.session(), &mut payload).await?;
    let mut upload = Upload {
        file_name: String::new(),
        stored: None,
        too_large: false,
        dry_run: false,
        strict: false,
    };
    let store = |e: std::io::Error| AppError::internal(e);
    while let Some(mut field) = payload.try_next().await.map_err(bad)? {
        match field.name().unwrap_or_default() {
            "file" => {
                let name: String = field
                    .content_disposition()
                    .and_then(|d| d.get_filename())
                    .unwrap_or("upload")
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(200)
                    .collect();
                tokio::fs::create_dir_all(folder).await.map_err(store)?;
                // The file keeps no part of its name on disk: no user input reaches the
                // file system.
                let path = folder.join("upload");
                let mut file = tokio::fs::File::create(&path).await.map_err(store)?;
                let mut written = 0usize;
                while let Some(chunk) = field.try_next().await.map_err(bad)? {
                    written += chunk.len();
                    if written > limit {
                        upload.too_large = true;
                        while field.try_next().await.map_err(bad)?.is_some() {}
                        break;
                    }
                    file.write_all(&chunk).await.map_err(store)?;
                }
                file.flush().await.map_err(store)?;
                upload.file_name = name;
                upload.stored = (written > 0 && !upload.too_large).then_some(path);
            }
            other => {
                let other = other.to_string();
                let mut value = Vec::new();
                while let Some(chunk) = field.try_next().await.map_err(bad)? {
                    if value.len() < 64 {
                        value.extend_from_slice(&chunk);
                    }
                }
                let checked = !value.is_empty();
                match other.as_str() {
                    "dry_run" => upload.dry_run = checked,
                    "strict" => upload.strict = checked,
                    _ => {}
                }
            }
        }
    }
    Ok(upload)
}

fn is_zip(path: &Path) -> bool {
    let mut head = [0u8; 4];
    std::fs::File::open(path)
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut head))
        .is_ok()
        && head == *b"PK\x03\x04"
}

pub async fn upload_import(
    state: web::Data<AppState>,
    me: Staff,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    me.require(Permission::ManageSettings)?;
    let folder = upload_folder(&state);
    let limit = state.config.import_limit;
    let upload = read_upload(&me, payload, &folder, limit).await?;
    let refuse = |problem: String, status: StatusCode| {
        let (state, me, folder) = (state.clone(), &me, folder.clone());
        async move {
            let _ = tokio::fs::remove_dir_all(&folder).await;
            private(status, &import_page(&state, me, Some(problem)).await?)
        }
    };
    if upload.too_large {
        let problem = format!(
            "The file is larger than {} MB; import it with `quire import` on the server instead.",
            limit >> 20
        );
        return refuse(problem, StatusCode::PAYLOAD_TOO_LARGE).await;
    }
    let Some(stored) = upload.stored else {
        let problem = "Choose a file to import.".to_string();
        return refuse(problem, StatusCode::UNPROCESSABLE_ENTITY).await;
    };
    // A zip is a Markdown folder: unpacked beside it, and the folder is what is imported.
    let unpacked = {
        let (stored, folder) = (stored.clone(), folder.clone());
        web::block(move || {
            if is_zip(&stored) {
                unpack_zip(&stored, &folder.join("site")).map(Some)
            } else {
                Ok(None)
            }
        })
        .await
        .map_err(AppError::internal)?
    };
    let source = match unpacked {
        Ok(Some(site)) => site,
        Ok(None) => stored,
        Err(problem) => {
            return refuse(problem.to_string(), StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    let new = NewImport {
        file_name: upload.file_name,
        stored_path: source.display().to_string(),
        dry_run: upload.dry_run,
        strict: upload.strict,
    };
    let actor = me.actor();
    let id = use_case(&state, move |conn, head| {
        imports::start(conn, &actor, &new, head.now)
    })
    .await??;
    Ok(see_other(&format!("/admin/import/{id}")))
}

/// An import, its site's time zone, and whether its job gave up before the run finished.
async fn open_run(
    state: &AppState,
    me: &Staff,
    id: i64,
) -> AppResult<(ImportRow, chrono_tz::Tz, bool)> {
    me.require(Permission::ManageSettings)?;
    state
        .db
        .run(move |conn| {
            let mut row = imports::find(conn, id)?.ok_or(AppError::NotFound)?;
            let mut gave_up = false;
            // A run whose job gave up (every attempt failed) says so, rather than running on.
            if matches!(row.status, ImportStatus::Queued | ImportStatus::Running)
                && let Some(job) = queue::by_key(conn, &format!("import:{id}"))?
                && job.status == JobStatus::Failed
            {
                row.status = ImportStatus::Failed;
                gave_up = true;
                row.error = Some(format!(
                    "The import could not run: {}",
                    job.last_error.unwrap_or_default()
                ));
            }
            Ok::<_, AppError>((row, settings::current(conn, now())?.timezone, gave_up))
        })
        .await
}

pub async fn show_run(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (row, tz, gave_up) = open_run(&state, &me, *id).await?;
    let mut run = ImportView::new(row, tz);
    if gave_up {
        run.status = "Stopped";
    }
    let refresh = run.running;
    let page = RunPage {
        layout: admin_layout(&state, &me, &format!("/admin/import/{}", run.id), "Import").await?,
        csrf: csrf::token(me.session())?,
        run,
    };
    let mut response = ok(&page)?;
    if refresh {
        // Server-rendered progress: the browser loads the page again until it is done.
        response.headers_mut().insert(
            actix_web::http::header::HeaderName::from_static("refresh"),
            actix_web::http::header::HeaderValue::from(REFRESH_SECONDS),
        );
    }
    Ok(response)
}

/// Imports for real a file whose check is done.
pub async fn run_checked(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let (row, _, _) = open_run(&state, &me, *id).await?;
    if !(row.dry_run && row.status == ImportStatus::Done) {
        return Err(AppError::BadRequest(
            "Only a finished check can be imported.".into(),
        ));
    }
    let new = NewImport {
        file_name: row.file_name,
        stored_path: row.stored_path,
        dry_run: false,
        strict: row.strict,
    };
    let actor = me.actor();
    let id = use_case(&state, move |conn, head| {
        imports::start(conn, &actor, &new, head.now)
    })
    .await??;
    Ok(see_other(&format!("/admin/import/{id}")))
}
