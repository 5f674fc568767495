//! Staff: who they are, and inviting more.

use crate::web::admin::frame::admin_layout;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::domain::people;
use crate::domain::users::{self, User};
use crate::domain::write::WriteError;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::forms::{Errors, Field};
use crate::web::respond::{invalid, ok, see_other, set_notice, take_notice, use_case};
use crate::web::views::Layout;

#[derive(Template)]
#[template(path = "admin/staff.html")]
struct StaffPage {
    layout: Layout,
    notice: Option<String>,
    csrf: String,
    staff: Vec<User>,
    invite: Vec<Field>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct InviteForm {
    email: String,
    role: String,
}

const INVITABLE: [(&str, &str); 4] = [
    ("contributor", "Contributor: writes drafts"),
    ("author", "Author: writes and publishes their own posts"),
    ("editor", "Editor: edits and publishes everything"),
    ("admin", "Administrator: runs the whole site"),
];

async fn staff_page(
    state: &AppState,
    me: &Staff,
    form: &InviteForm,
    errors: &Errors,
) -> AppResult<StaffPage> {
    let staff = state.db.run(users::staff).await?;
    Ok(StaffPage {
        layout: admin_layout(state, me, "/admin/staff", "Staff").await?,
        notice: take_notice(&me.0.session),
        csrf: csrf::token(&me.0.session)?,
        staff,
        invite: vec![
            Field::email("email", "Email")
                .value(&form.email)
                .error(errors.get("email")),
            Field::new("role", "Role", "select")
                .options(INVITABLE.to_vec())
                .value(if form.role.is_empty() {
                    "author"
                } else {
                    &form.role
                })
                .error(errors.get("role")),
        ],
    })
}

pub async fn show_staff(state: web::Data<AppState>, me: Staff) -> AppResult<HttpResponse> {
    me.require(Permission::ManageStaff)?;
    ok(&staff_page(&state, &me, &InviteForm::default(), &Errors::default()).await?)
}

pub async fn invite(
    state: web::Data<AppState>,
    me: Staff,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ManageStaff)?;
    let actor = me.actor();
    let (email, role) = (form.email.clone(), form.role.clone());
    let invited = use_case(&state, move |conn, head| {
        people::invite(conn, head, &actor, &email, None, &role)
    })
    .await?;
    let invited = match invited {
        Ok(user) => user.email,
        Err(WriteError::Invalid(errors)) => {
            return invalid(&staff_page(&state, &me, &form, &errors).await?);
        }
        Err(refused) => return Err(refused.into()),
    };
    set_notice(&me.0.session, &format!("Invitation sent to {invited}."));
    Ok(see_other("/admin/staff"))
}
