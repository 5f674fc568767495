//! Imports started from the admin: each a row that the job running it keeps up to date
//! (queued, running with its progress, done with its report, or failed with the reason).

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::permissions::Permission;
use crate::db::schema::imports;
use crate::db::{DbConn, stored_as_text};
use crate::domain::audit::Object;
use crate::domain::write::{self, Actor, WriteError};

stored_as_text! {
    pub enum ImportStatus {
        Queued => "queued",
        Running => "running",
        Done => "done",
        Failed => "failed",
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = imports)]
pub struct ImportRow {
    pub id: i64,
    pub file_name: String,
    pub stored_path: String,
    pub dry_run: bool,
    pub strict: bool,
    pub status: ImportStatus,
    pub done: i64,
    pub total: i64,
    pub format: Option<String>,
    pub report: Option<String>,
    pub error: Option<String>,
    pub created_by: Option<i64>,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

/// The job that runs an import.
#[derive(Debug, Serialize, Deserialize)]
pub struct RunImport {
    pub import: i64,
}

impl crate::jobs::Job for RunImport {
    const KIND: &'static str = "import";
    // A run cut short (the instance stopped) is taken up again; an import run twice
    // changes nothing the first did not.
    const ATTEMPTS: i32 = 3;
}

/// A file to import, as uploaded.
pub struct NewImport {
    pub file_name: String,
    pub stored_path: String,
    pub dry_run: bool,
    pub strict: bool,
}

/// Queues an import of an uploaded file; owners and admins only (it can change anything).
pub fn start(
    conn: &mut DbConn,
    actor: &Actor,
    new: &NewImport,
    now: NaiveDateTime,
) -> Result<i64, WriteError> {
    actor.require(Permission::ManageSettings, "import a site")?;
    write::transaction(conn, actor, now, |tx| {
        let id: i64 = diesel::insert_into(imports::table)
            .values((
                imports::file_name.eq(&new.file_name),
                imports::stored_path.eq(&new.stored_path),
                imports::dry_run.eq(new.dry_run),
                imports::strict.eq(new.strict),
                imports::status.eq(ImportStatus::Queued),
                imports::created_by.eq(actor.id),
                imports::created_at.eq(now),
            ))
            .returning(imports::id)
            .get_result(tx.conn)?;
        tx.enqueue(&RunImport { import: id }, &format!("import:{id}"))?;
        let what = if new.dry_run {
            "started a check of an import of"
        } else {
            "started an import of"
        };
        tx.audit(what, (Object::Import, Some(id)), &new.file_name)?;
        Ok(id)
    })
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<ImportRow>> {
    imports::table
        .find(id)
        .select(ImportRow::as_select())
        .first(conn)
        .optional()
}

/// The latest imports, newest first.
pub fn recent(conn: &mut DbConn, limit: i64) -> QueryResult<Vec<ImportRow>> {
    imports::table
        .order(imports::id.desc())
        .limit(limit)
        .select(ImportRow::as_select())
        .load(conn)
}

pub fn mark_running(conn: &mut DbConn, id: i64) -> QueryResult<usize> {
    diesel::update(imports::table.find(id))
        .set((
            imports::status.eq(ImportStatus::Running),
            imports::done.eq(0),
        ))
        .execute(conn)
}

pub fn progress(conn: &mut DbConn, id: i64, done: i64, total: i64) -> QueryResult<usize> {
    diesel::update(imports::table.find(id))
        .set((imports::done.eq(done), imports::total.eq(total)))
        .execute(conn)
}

/// Records how an import ended: its report, or why it could not run.
pub fn finish(
    conn: &mut DbConn,
    id: i64,
    outcome: Result<(String, String), String>,
    now: NaiveDateTime,
) -> QueryResult<usize> {
    let (status, format, report, error) = match outcome {
        Ok((format, report)) => (ImportStatus::Done, Some(format), Some(report), None),
        Err(error) => (ImportStatus::Failed, None, None, Some(error)),
    };
    diesel::update(imports::table.find(id))
        .set((
            imports::status.eq(status),
            imports::format.eq(format),
            imports::report.eq(report),
            imports::error.eq(error),
            imports::finished_at.eq(now),
        ))
        .execute(conn)
}
