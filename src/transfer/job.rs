//! Running an import started from the admin: the job, and unpacking what was uploaded.

use std::path::Path;

use chrono::Duration;

use super::import::{Options, import};
use crate::clock::now;
use crate::db::Db;
use crate::domain::imports::{self, ImportStatus, RunImport};
use crate::jobs::JobError;
use crate::jobs::queue;

/// Runs an import job: marks it running, imports (keeping its progress and the job's lease
/// up to date), and records the report or why it failed. A refused file is an outcome, not
/// a failure of the job: trying again would be refused the same way. The database failing
/// is one: the job is tried again.
pub fn run(
    db: &Db,
    job: RunImport,
    key: &str,
    lease: Duration,
    media_dir: &Path,
) -> Result<(), JobError> {
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
        media_dir: Some(media_dir.to_path_buf()),
        // The admin's import page tells no webhook; `quire import --webhooks` can.
        webhooks: false,
    };
    let key = key.to_string();
    let mut progress = |progress: super::Progress| {
        // The page shows posts: checked so far while checking, then written out of all.
        let (done, total) = match progress {
            super::Progress::Checking { posts, .. } => (posts, 0),
            super::Progress::Writing { done, of } => (done, of),
        };
        let key = key.clone();
        // Progress is for people watching; a failure to note it does not stop the import.
        let _ = db.run_blocking(move |conn| {
            imports::progress(conn, id, done as i64, total as i64)?;
            queue::extend_lease(conn, &key, now() + lease)
        });
    };
    let outcome = match import(
        db,
        Path::new(&row.stored_path),
        options,
        now(),
        &mut progress,
    ) {
        Ok(report) => Ok((report.format.clone(), report.to_text())),
        // The database failing is no fault of the file: the job tries again later (and
        // the import, matched by slug, picks up where it was).
        Err(super::ImportError::Database(error)) => {
            return Err(JobError::Retry(error.to_string()));
        }
        Err(refused) => Err(refused.to_string()),
    };
    db.run_blocking(move |conn| imports::finish(conn, id, outcome, now()))
        .map_err(|e| JobError::Retry(e.to_string()))?;
    Ok(())
}
