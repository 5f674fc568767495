//! Staff: who they are, and inviting more.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::domain::tokens::{self, Purpose};
use crate::domain::users::{self, Email, NewUser, Role, Status, User};
use crate::error::AppResult;
use crate::mail::messages;
use crate::state::AppState;
use crate::web::account::{
    invalid, layout, ok, see_other, set_notice, take_notice, write_and_mail,
};
use crate::web::forms::{Errors, Field};
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
        layout: layout(state, "/admin/staff", "Staff").await?,
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
    let mut errors = Errors::default();
    let email = errors.check("email", Email::parse(&form.email));
    let role = match Role::parse(&form.role) {
        Some(role) if me.role().can_assign(role) => Some(role),
        _ => {
            errors.add("role", "Choose one of the roles listed.");
            None
        }
    };
    if let Some(email) = &email {
        let lookup = email.clone();
        if state
            .db
            .run(move |conn| users::by_email(conn, &lookup))
            .await?
            .is_some()
        {
            errors.add("email", "Someone with this address already has an account.");
        }
    }
    let (Some(email), Some(role), true) = (email, role, errors.is_empty()) else {
        return invalid(&staff_page(&state, &me, &form, &errors).await?);
    };
    let inviter = me.user().display_name.clone();
    let invited = email.as_str().to_string();
    // A pending account shows on no public page until its owner writes something.
    write_and_mail(&state, move |conn, head| {
        let name = email
            .as_str()
            .split('@')
            .next()
            .unwrap_or("New colleague")
            .to_string();
        let new = NewUser {
            status: Status::Pending,
            email,
            display_name: name,
            role,
            bio: String::new(),
            website: String::new(),
            password_hash: None,
        };
        let user = users::create(conn, new, head.now)?;
        let token = tokens::issue(conn, user.id, Purpose::Invite, "", head.now)?;
        Ok(vec![messages::invitation(
            head,
            &user.email,
            &inviter,
            role.as_str(),
            &token,
        )])
    })
    .await?;
    set_notice(&me.0.session, &format!("Invitation sent to {invited}."));
    Ok(see_other("/admin/staff"))
}
