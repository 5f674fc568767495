//! The `jobs` table: enqueuing, claiming under a lease, finishing, and what the admin's
//! jobs page reads and does.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Integer, Text, Timestamp};

use super::worker::Job;
use crate::db::schema::jobs;
use crate::db::{self, DbConn, stored_as_text};

stored_as_text! {
    pub enum JobStatus {
        Queued => "queued",
        Running => "running",
        Done => "done",
        Failed => "failed",
    }
}

/// How many times a job of an unregistered kind may be tried (the registry sets each kind's
/// own).
pub const DEFAULT_ATTEMPTS: i32 = 8;

/// Puts a job in the queue, due now; inside the transaction of the change that causes it.
/// A key already queued (or run) is left as it is, so enqueuing is idempotent.
pub fn enqueue<J: Job>(
    conn: &mut DbConn,
    job: &J,
    key: &str,
    now: NaiveDateTime,
) -> QueryResult<()> {
    enqueue_at(conn, job, key, now, now)
}

/// `enqueue`, due at `due` rather than now (what a scheduled post does when it goes live).
pub fn enqueue_at<J: Job>(
    conn: &mut DbConn,
    job: &J,
    key: &str,
    due: NaiveDateTime,
    now: NaiveDateTime,
) -> QueryResult<()> {
    let payload = serde_json::to_string(job)
        .map_err(|e| diesel::result::Error::SerializationError(e.into()))?;
    let (kind, attempts) = (J::KIND, J::ATTEMPTS);
    diesel::sql_query(
        "INSERT INTO jobs (kind, payload, idempotency_key, status, run_after, attempts, \
         max_attempts, created_at) VALUES ($1, $2, $3, 'queued', $4, 0, $5, $6) \
         ON CONFLICT (idempotency_key) DO NOTHING",
    )
    .bind::<Text, _>(kind)
    .bind::<Text, _>(&payload)
    .bind::<Text, _>(key)
    .bind::<Timestamp, _>(due)
    .bind::<Integer, _>(attempts)
    .bind::<Timestamp, _>(now)
    .execute(conn)?;
    db::notify(conn, db::channels::JOBS)
}

/// A job a worker holds.
#[derive(Debug, Clone, QueryableByName)]
pub struct Claimed {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Text)]
    pub kind: String,
    #[diesel(sql_type = Text)]
    pub payload: String,
    #[diesel(sql_type = Text)]
    pub idempotency_key: String,
    /// Counting this run.
    #[diesel(sql_type = Integer)]
    pub attempts: i32,
    #[diesel(sql_type = Integer)]
    pub max_attempts: i32,
}

/// Takes the next due job of one of `kinds` for `worker` until `now + lease`: a queued job
/// whose time has come, or a running one whose lease ran out (its worker died).
pub fn claim(
    conn: &mut DbConn,
    kinds: &[&'static str],
    worker: &str,
    lease: Duration,
    now: NaiveDateTime,
) -> QueryResult<Option<Claimed>> {
    if kinds.is_empty() {
        return Ok(None);
    }
    // SQLite numbers `$n` parameters in the order they first appear in the text, while
    // diesel binds by position: they must appear in order, $1 first.
    let placeholders: Vec<String> = (0..kinds.len()).map(|i| format!("${}", i + 4)).collect();
    let sql = format!(
        "UPDATE jobs SET status = 'running', attempts = attempts + 1, lease_until = $1, \
         leased_by = $2 \
         WHERE id = (SELECT id FROM jobs \
           WHERE ((status = 'queued' AND run_after <= $3) \
               OR (status = 'running' AND lease_until < $3)) \
             AND kind IN ({}) AND attempts < max_attempts \
           ORDER BY run_after, id LIMIT 1{}) \
         RETURNING id, kind, payload, idempotency_key, attempts, max_attempts",
        placeholders.join(", "),
        db::skip_locked(conn),
    );
    let mut query = diesel::sql_query(sql)
        .into_boxed()
        .bind::<Timestamp, _>(now + lease)
        .bind::<Text, _>(worker.to_string())
        .bind::<Timestamp, _>(now);
    for kind in kinds {
        query = query.bind::<Text, _>(*kind);
    }
    query.get_result(conn).optional()
}

/// How a run ended.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finish {
    Done,
    /// Try again at `at`.
    Retry {
        error: String,
        at: NaiveDateTime,
    },
    /// No more tries: it rests as failed.
    Failed(String),
}

/// Records how `job`'s run by `worker` ended; false when the job is no longer theirs (its
/// lease ran out and another worker took it), in which case nothing is written.
pub fn finish(
    conn: &mut DbConn,
    job: &Claimed,
    worker: &str,
    finish: &Finish,
    now: NaiveDateTime,
) -> QueryResult<bool> {
    let ours = jobs::table
        .filter(jobs::id.eq(job.id))
        .filter(jobs::status.eq(JobStatus::Running))
        .filter(jobs::leased_by.eq(worker))
        .filter(jobs::attempts.eq(job.attempts));
    let updated = match finish {
        Finish::Done => diesel::update(ours)
            .set((
                jobs::status.eq(JobStatus::Done),
                jobs::finished_at.eq(Some(now)),
                jobs::lease_until.eq(None::<NaiveDateTime>),
                jobs::last_error.eq(None::<String>),
            ))
            .execute(conn)?,
        Finish::Retry { error, at } => diesel::update(ours)
            .set((
                jobs::status.eq(JobStatus::Queued),
                jobs::run_after.eq(*at),
                jobs::lease_until.eq(None::<NaiveDateTime>),
                jobs::leased_by.eq(None::<String>),
                jobs::last_error.eq(Some(error)),
            ))
            .execute(conn)?,
        Finish::Failed(error) => diesel::update(ours)
            .set((
                jobs::status.eq(JobStatus::Failed),
                jobs::finished_at.eq(Some(now)),
                jobs::lease_until.eq(None::<NaiveDateTime>),
                jobs::last_error.eq(Some(error)),
            ))
            .execute(conn)?,
    };
    Ok(updated == 1)
}

/// Keeps a long job's lease (an import) from running out while it is still at work, so
/// no other worker takes it up meanwhile.
pub fn extend_lease(conn: &mut DbConn, key: &str, until: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        jobs::table
            .filter(jobs::idempotency_key.eq(key))
            .filter(jobs::status.eq(JobStatus::Running)),
    )
    .set(jobs::lease_until.eq(until))
    .execute(conn)
}

/// Running jobs whose worker died with no attempts left rest as failed.
pub fn sweep_abandoned(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::update(
        jobs::table
            .filter(jobs::status.eq(JobStatus::Running))
            .filter(jobs::lease_until.lt(now))
            .filter(jobs::attempts.ge(jobs::max_attempts)),
    )
    .set((
        jobs::status.eq(JobStatus::Failed),
        jobs::finished_at.eq(Some(now)),
        jobs::lease_until.eq(None::<NaiveDateTime>),
        jobs::last_error.eq(Some(
            "stopped while running (its instance went away), with no attempts left",
        )),
    ))
    .execute(conn)
}

/// Forgets finished jobs: done ones after a week, failed ones after a month.
pub fn purge(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    let done = diesel::delete(
        jobs::table
            .filter(jobs::status.eq(JobStatus::Done))
            .filter(jobs::finished_at.lt(now - Duration::days(7))),
    )
    .execute(conn)?;
    let failed = diesel::delete(
        jobs::table
            .filter(jobs::status.eq(JobStatus::Failed))
            .filter(jobs::finished_at.lt(now - Duration::days(30))),
    )
    .execute(conn)?;
    Ok(done + failed)
}

/// A job as the admin's jobs page shows it.
#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = jobs)]
pub struct JobRow {
    pub id: i64,
    pub kind: String,
    pub payload: String,
    pub idempotency_key: String,
    pub status: JobStatus,
    pub run_after: NaiveDateTime,
    pub attempts: i32,
    pub max_attempts: i32,
    pub lease_until: Option<NaiveDateTime>,
    pub leased_by: Option<String>,
    pub last_error: Option<String>,
    pub created_at: NaiveDateTime,
    pub finished_at: Option<NaiveDateTime>,
}

/// One page of jobs in `status`, newest first; also whether more follow.
pub fn list(
    conn: &mut DbConn,
    status: JobStatus,
    page: i64,
    per_page: i64,
) -> QueryResult<(Vec<JobRow>, bool)> {
    let mut rows: Vec<JobRow> = jobs::table
        .filter(jobs::status.eq(status))
        .order(jobs::id.desc())
        .limit(per_page + 1)
        .offset((page - 1) * per_page)
        .select(JobRow::as_select())
        .load(conn)?;
    let more = rows.len() as i64 > per_page;
    rows.truncate(per_page as usize);
    Ok((rows, more))
}

/// How many jobs are in each status: queued, running, failed.
pub fn counts(conn: &mut DbConn) -> QueryResult<(i64, i64, i64)> {
    let count = |conn: &mut DbConn, status| {
        jobs::table
            .filter(jobs::status.eq(status))
            .count()
            .get_result::<i64>(conn)
    };
    Ok((
        count(conn, JobStatus::Queued)?,
        count(conn, JobStatus::Running)?,
        count(conn, JobStatus::Failed)?,
    ))
}

pub fn find(conn: &mut DbConn, id: i64) -> QueryResult<Option<JobRow>> {
    jobs::table
        .find(id)
        .select(JobRow::as_select())
        .first(conn)
        .optional()
}

/// The job with idempotency key `key`, if any.
pub fn by_key(conn: &mut DbConn, key: &str) -> QueryResult<Option<JobRow>> {
    jobs::table
        .filter(jobs::idempotency_key.eq(key))
        .select(JobRow::as_select())
        .first(conn)
        .optional()
}

/// Queues a failed job again with all its attempts; false if it is not failed.
pub fn requeue(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> QueryResult<bool> {
    let updated = diesel::update(
        jobs::table
            .find(id)
            .filter(jobs::status.eq(JobStatus::Failed)),
    )
    .set((
        jobs::status.eq(JobStatus::Queued),
        jobs::attempts.eq(0),
        jobs::run_after.eq(now),
        jobs::finished_at.eq(None::<NaiveDateTime>),
        jobs::leased_by.eq(None::<String>),
    ))
    .execute(conn)?;
    if updated == 1 {
        db::notify(conn, db::channels::JOBS)?;
    }
    Ok(updated == 1)
}

/// Deletes a queued or failed job; false if it is running or done.
pub fn remove(conn: &mut DbConn, id: i64) -> QueryResult<bool> {
    let deleted = diesel::delete(
        jobs::table
            .find(id)
            .filter(jobs::status.eq_any([JobStatus::Queued, JobStatus::Failed])),
    )
    .execute(conn)?;
    Ok(deleted == 1)
}

/// Every job of `kind`, newest first (for tests and operators).
pub fn of_kind(conn: &mut DbConn, kind: &str) -> QueryResult<Vec<JobRow>> {
    jobs::table
        .filter(jobs::kind.eq(kind))
        .order(jobs::id.desc())
        .select(JobRow::as_select())
        .load(conn)
}
