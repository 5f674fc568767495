//! The admin's front page: how the publication stands, and where to go next.

use crate::web::admin::frame::admin_layout;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::clock::now;
use crate::domain::comments::{self, Queue, Status};
use crate::domain::users::{self, Role};
use crate::domain::{audit, posts, settings};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::admin::audit::EntryView;
use crate::web::respond::{ok, take_notice};
use crate::web::views::Layout;

#[derive(Template)]
#[template(path = "admin/dashboard.html")]
struct Dashboard {
    layout: Layout,
    name: String,
    role: &'static str,
    published: i64,
    scheduled: i64,
    drafts: i64,
    members: i64,
    staff: i64,
    can_manage_staff: bool,
    can_manage_members: bool,
    can_manage_tags: bool,
    can_manage_settings: bool,
    can_view_audit: bool,
    can_manage_jobs: bool,
    failed_jobs: i64,
    can_moderate: bool,
    /// Comments waiting for a moderator, and reported ones.
    waiting_comments: i64,
    reported_comments: i64,
    activity: Vec<EntryView>,
    notice: Option<String>,
    /// While the welcome post is there, the site is new: the first things to do, with the
    /// welcome post's id (deleting it ends the list).
    next_steps: Option<i64>,
}

pub async fn show_dashboard(state: web::Data<AppState>, staff: Staff) -> AppResult<HttpResponse> {
    let can = |permission| staff.role().can(permission);
    let can_view_audit = can(Permission::ViewAuditLog);
    let can_manage_jobs = can(Permission::ManageJobs);
    let can_moderate = can(Permission::ModerateComments);
    let can_manage_settings = can(Permission::ManageSettings);
    let (
        (published, scheduled, drafts),
        members,
        everyone,
        (activity, settings),
        failed_jobs,
        (waiting_comments, reported_comments),
        next_steps,
    ) = state
        .db
        .run(move |conn| {
            let activity = if can_view_audit {
                audit::recent(conn, 10)?
            } else {
                Vec::new()
            };
            Ok::<_, AppError>((
                posts::status_counts(conn, now())?,
                users::count_by_role(conn, Role::Member)?,
                users::count(conn)?,
                (activity, settings::current(conn, now())?),
                if can_manage_jobs {
                    crate::jobs::queue::counts(conn)?.2
                } else {
                    0
                },
                if can_moderate {
                    let counts = comments::queue_counts(conn, &Default::default())?;
                    let count = |q| counts.iter().find(|(k, _)| *k == q).map_or(0, |c| c.1);
                    (
                        count(Queue::Status(Status::Pending)),
                        count(Queue::Reported),
                    )
                } else {
                    (0, 0)
                },
                if can_manage_settings {
                    posts::by_slug_kept(conn, crate::content::WELCOME_SLUG)?
                } else {
                    None
                },
            ))
        })
        .await?;
    let page = Dashboard {
        layout: admin_layout(&state, &staff, "/admin", "Dashboard").await?,
        name: staff.user().display_name.clone(),
        role: staff.role().as_str(),
        published,
        scheduled,
        drafts,
        members,
        staff: everyone - members,
        can_manage_staff: can(Permission::ManageStaff),
        can_manage_members: can(Permission::ManageMembers),
        can_manage_tags: can(Permission::ManageTags),
        can_manage_settings,
        can_view_audit,
        can_manage_jobs,
        failed_jobs,
        can_moderate,
        waiting_comments,
        reported_comments,
        activity: activity
            .into_iter()
            .map(|e| EntryView::new(e, settings.timezone))
            .collect(),
        next_steps,
        notice: take_notice(staff.session()),
    };
    ok(&page)
}
