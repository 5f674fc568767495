//! The admin's front page: how the publication stands, and where to go next.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::domain::posts;
use crate::domain::users::{self, Role};
use crate::error::{AppError, AppResult};
use crate::state::{AppState, now};
use crate::web::account::{layout, ok};
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
}

pub async fn show_dashboard(state: web::Data<AppState>, staff: Staff) -> AppResult<HttpResponse> {
    let ((published, scheduled, drafts), members, everyone) = state
        .db
        .run(|conn| {
            Ok::<_, AppError>((
                posts::status_counts(conn, now())?,
                users::count_by_role(conn, Role::Member)?,
                users::count(conn)?,
            ))
        })
        .await?;
    let page = Dashboard {
        layout: layout(&state, "/admin", "Admin").await?,
        name: staff.user().display_name.clone(),
        role: staff.role().as_str(),
        published,
        scheduled,
        drafts,
        members,
        staff: everyone - members,
        can_manage_staff: staff.role().can(Permission::ManageStaff),
    };
    ok(&page)
}
