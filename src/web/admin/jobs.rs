//! The job queue as owners and admins see it: what is waiting, running and failed, with the
//! last error of each; a failed job can be tried again, a waiting or failed one discarded.
//! A job's payload is never shown (mail carries sign-in links): `jobs::describe` says what
//! it is for.

use crate::web::admin::frame::admin_layout;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::clock::now;
use crate::domain::settings;
use crate::error::{AppError, AppResult};
use crate::jobs::{self, JobRow, JobStatus, queue};
use crate::state::AppState;
use crate::web::admin::confirm::{self, Question};
use crate::web::forms::Empty;
use crate::web::pager::{Pagination, page_param, query_url};
use crate::web::respond::{ok, see_other, set_notice, take_notice, use_case};
use crate::web::views::{DateView, Layout};

const PER_PAGE: i64 = 50;
/// Errors can be long (a whole SMTP transcript); the list shows their start.
const ERROR_SHOWN: usize = 300;

/// The tabs, in the order shown.
const TABS: [(JobStatus, &str, &str); 3] = [
    (JobStatus::Queued, "queued", "Waiting"),
    (JobStatus::Running, "running", "Running"),
    (JobStatus::Failed, "failed", "Failed"),
];

#[derive(Template)]
#[template(path = "admin/jobs.html")]
struct JobsPage {
    layout: Layout,
    notice: Option<String>,
    csrf: String,
    tabs: Vec<Tab>,
    status: &'static str,
    /// What the date column holds on this list.
    when_heading: &'static str,
    jobs: Vec<JobView>,
    pagination: Pagination,
}

struct Tab {
    url: String,
    label: &'static str,
    count: i64,
    current: bool,
}

struct JobView {
    id: i64,
    what: String,
    attempts: String,
    /// When it runs next (waiting), its lease ends (running), or it failed.
    when: Option<DateView>,
    worker: Option<String>,
    error: Option<String>,
    can_retry: bool,
    can_discard: bool,
}

impl JobView {
    fn new(job: JobRow, tz: chrono_tz::Tz) -> JobView {
        let when = match job.status {
            JobStatus::Queued => Some(job.run_after),
            JobStatus::Running => job.lease_until,
            JobStatus::Done | JobStatus::Failed => job.finished_at,
        };
        JobView {
            id: job.id,
            what: jobs::describe(&job),
            attempts: format!("{} of {}", job.attempts, job.max_attempts),
            when: when.map(|at| DateView::with_time(at, tz)),
            worker: job.leased_by.clone(),
            error: job.last_error.as_deref().map(shorten),
            can_retry: job.status == JobStatus::Failed,
            can_discard: matches!(job.status, JobStatus::Queued | JobStatus::Failed),
        }
    }
}

fn shorten(error: &str) -> String {
    match error.char_indices().nth(ERROR_SHOWN) {
        Some((cut, _)) => format!("{}…", &error[..cut]),
        None => error.to_string(),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListParams {
    status: String,
    page: String,
}

fn parse_status(raw: &str) -> AppResult<JobStatus> {
    match raw {
        "" => Ok(JobStatus::Queued),
        raw => TABS
            .iter()
            .find(|(_, name, _)| *name == raw)
            .map(|(status, _, _)| *status)
            .ok_or_else(|| AppError::BadRequest("No such list of jobs.".into())),
    }
}

fn status_name(status: JobStatus) -> &'static str {
    TABS.iter()
        .find(|(s, _, _)| *s == status)
        .map_or("queued", |(_, name, _)| name)
}

pub async fn list_jobs(
    state: web::Data<AppState>,
    me: Staff,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ManageJobs)?;
    let status = parse_status(&params.status)?;
    let page = page_param(&params.page)?;
    let ((jobs, more), counts, settings) = state
        .db
        .run(move |conn| {
            Ok::<_, AppError>((
                queue::list(conn, status, page, PER_PAGE)?,
                queue::counts(conn)?,
                settings::current(conn, now())?,
            ))
        })
        .await?;
    let (queued, running, failed) = counts;
    let filters = |status| [("status", status_name(status))];
    let view = JobsPage {
        layout: admin_layout(&state, &me, "/admin/jobs", "Jobs").await?,
        notice: take_notice(me.session()),
        csrf: csrf::token(me.session())?,
        tabs: TABS
            .iter()
            .zip([queued, running, failed])
            .map(|(&(tab, _, label), count)| Tab {
                url: query_url("/admin/jobs", &filters(tab), 1),
                label,
                count,
                current: tab == status,
            })
            .collect(),
        status: status_name(status),
        when_heading: match status {
            JobStatus::Queued => "Runs",
            JobStatus::Running => "Lease ends",
            JobStatus::Done | JobStatus::Failed => "Failed",
        },
        jobs: jobs
            .into_iter()
            .map(|job| JobView::new(job, settings.timezone))
            .collect(),
        pagination: Pagination::by_query("/admin/jobs", &filters(status), page, more),
    };
    ok(&view)
}

async fn open_job(state: &AppState, me: &Staff, id: i64) -> AppResult<JobRow> {
    me.require(Permission::ManageJobs)?;
    state
        .db
        .run(move |conn| queue::find(conn, id))
        .await?
        .ok_or(AppError::NotFound)
}

/// Where to go back to after acting on `job`: the list it was on.
fn list_of(job: &JobRow) -> String {
    query_url("/admin/jobs", &[("status", status_name(job.status))], 1)
}

pub async fn retry_job(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let job = open_job(&state, &me, id.into_inner()).await?;
    let (id, actor) = (job.id, me.actor());
    use_case(&state, move |conn, head| {
        jobs::retry(conn, &actor, id, head.now)
    })
    .await??;
    set_notice(me.session(), "The job will be tried again shortly.");
    Ok(see_other(&list_of(&job)))
}

pub async fn confirm_discard_job(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let job = open_job(&state, &me, id.into_inner()).await?;
    confirm::ask(
        &state,
        &me,
        Question {
            heading: "Discard this job?".into(),
            explanation: vec![
                jobs::describe(&job),
                "It will never run. This cannot be undone; whatever it was to do must then be done again by hand (a reset link, for example, asked for again).".into(),
            ],
            action: format!("/admin/jobs/{}/discard", job.id),
            hidden: Vec::new(),
            button: "Discard the job".into(),
            cancel: list_of(&job),
        },
    )
    .await
}

pub async fn discard_job(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let job = open_job(&state, &me, id.into_inner()).await?;
    let (id, actor) = (job.id, me.actor());
    use_case(&state, move |conn, head| {
        jobs::discard(conn, &actor, id, head.now)
    })
    .await??;
    set_notice(me.session(), "Job discarded.");
    Ok(see_other(&list_of(&job)))
}
