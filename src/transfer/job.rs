//! Running an import started from the admin: the job, and unpacking what was uploaded.

use std::io::Read;
use std::path::{Path, PathBuf};

use chrono::Duration;

use super::import::{Options, import};
use crate::clock::now;
use crate::db::Db;
use crate::domain::imports::{self, ImportStatus, RunImport};
use crate::jobs::JobError;
use crate::jobs::queue;

/// Runs an import job: marks it running, imports (keeping its progress and the job's lease
/// up to date), and records the report or why it failed. A refused file is an outcome, not
/// a failure of the job: trying again would be refused the same way.
pub fn run(db: &Db, job: RunImport, key: &str, lease: Duration) -> Result<(), JobError> {
    let id = job.import;
    let row = db
        .run_blocking(move |conn| imports::find(conn, id))
        .map_err(|e| JobError::Retry(e.to_string()))?;
    let Some(row) = row else {
        return Ok(());
    };
    if matches!(row.status, ImportStatus::Done | ImportStatus::Failed) {
        return Ok(());
    }
    db.run_blocking(move |conn| imports::mark_running(conn, id))
        .map_err(|e| JobError::Retry(e.to_string()))?;
    let options = Options {
        dry_run: row.dry_run,
        strict: row.strict,
        keep_rendered: None,
        // Files inside an uploaded folder are brought in; the old site is not fetched from.
        media: Default::default(),
    };
    let key = key.to_string();
    let mut progress = |done: usize, total: usize| {
        let key = key.clone();
        // Progress is for people watching; a failure to note it does not stop the import.
        let _ = db.run_blocking(move |conn| {
            imports::progress(conn, id, done as i64, total as i64)?;
            queue::extend_lease(conn, &key, now() + lease)
        });
    };
    let outcome = import(
        db,
        Path::new(&row.stored_path),
        options,
        now(),
        &mut progress,
    )
    .map(|report| (report.format.clone(), report.to_text()))
    .map_err(|e| e.to_string());
    db.run_blocking(move |conn| imports::finish(conn, id, outcome, now()))
        .map_err(|e| JobError::Retry(e.to_string()))?;
    Ok(())
}

/// Files in a zip at most; more is not a site's Markdown folder.
const MAX_ENTRIES: usize = 20_000;
/// Bytes unpacked from one zip at most (a zip bomb stops here).
const MAX_UNPACKED: u64 = 2 << 30;

#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("The zip file cannot be read: {0}")]
    Unreadable(String),
    #[error("The zip file holds more than {MAX_ENTRIES} files.")]
    TooManyFiles,
    #[error("The zip file unpacks to more than 2 GB.")]
    TooBig,
    #[error("The zip file holds a path that leads out of it: {0}")]
    Escapes(String),
    #[error("The upload could not be stored: {0}")]
    Io(#[from] std::io::Error),
}

/// Unpacks the zip at `zip` into the folder `into` (a Markdown folder, usually), refusing
/// paths that lead out of it and stopping at the limits; on error nothing is left behind.
pub fn unpack_zip(zip: &Path, into: &Path) -> Result<PathBuf, UnpackError> {
    let outcome = unpack(zip, into);
    if outcome.is_err() {
        let _ = std::fs::remove_dir_all(into);
    }
    outcome.map(|()| into.to_path_buf())
}

fn unpack(zip: &Path, into: &Path) -> Result<(), UnpackError> {
    let unreadable = |e: zip::result::ZipError| UnpackError::Unreadable(e.to_string());
    let file = std::fs::File::open(zip)?;
    let mut archive = zip::ZipArchive::new(file).map_err(unreadable)?;
    if archive.len() > MAX_ENTRIES {
        return Err(UnpackError::TooManyFiles);
    }
    std::fs::create_dir_all(into)?;
    let mut unpacked = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(unreadable)?;
        let Some(relative) = entry.enclosed_name() else {
            let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
            return Err(UnpackError::Escapes(name));
        };
        let target = into.join(relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&target)?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // The sizes a zip declares can lie: count what actually comes out.
        let room = MAX_UNPACKED.saturating_sub(unpacked);
        let mut out = std::fs::File::create(&target)?;
        let written = std::io::copy(&mut (&mut entry).take(room + 1), &mut out)?;
        unpacked += written;
        if unpacked > MAX_UNPACKED {
            return Err(UnpackError::TooBig);
        }
    }
    Ok(())
}
