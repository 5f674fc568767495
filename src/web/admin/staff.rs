//! Staff: who they are, and inviting more.

use crate::web::admin::frame::admin_layout;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::domain::people;
use crate::domain::users::{self, Role, User};
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::admin::listing::{Column, Shelf, SortKey, columns};
use crate::web::forms::{Errors, Field};
use crate::web::pager::query_url;
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
    shelves: Vec<Shelf>,
    columns: Vec<Column>,
}

/// The staff list's orders: by role, most powerful first (the default), or by name.
const SORTS: [SortKey; 2] = [
    SortKey::new("role", "Role", true),
    SortKey::new("name", "Name", true),
];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StaffParams {
    role: String,
    sort: String,
}

/// Which of the staff the list shows, in which order.
struct Listing {
    role: Option<Role>,
    sort: SortKey,
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
    listing: Listing,
    form: &InviteForm,
    errors: &Errors,
) -> AppResult<StaffPage> {
    // A site has a handful of staff: all of them, counted and sorted here.
    let everyone = state.db.run(users::staff).await?;
    let sort = listing.sort.param(&SORTS);
    let mut shelves = vec![Shelf {
        label: "Everyone".into(),
        url: query_url("/admin/staff", &[("sort", sort)], 1),
        count: everyone.len() as i64,
        current: listing.role.is_none(),
    }];
    for &role in Role::ALL.iter().filter(|r| **r != Role::Member) {
        let count = everyone.iter().filter(|u| u.role == role).count() as i64;
        if count > 0 {
            shelves.push(Shelf {
                label: role.to_string(),
                url: query_url(
                    "/admin/staff",
                    &[("role", role.as_str()), ("sort", sort)],
                    1,
                ),
                count,
                current: listing.role == Some(role),
            });
        }
    }
    let mut staff: Vec<User> = everyone
        .into_iter()
        .filter(|u| listing.role.is_none_or(|role| u.role == role))
        .collect();
    if listing.sort.key == "name" {
        staff.sort_by_key(|u| u.display_name.to_lowercase());
    }
    let role_param = listing.role.map(Role::as_str).unwrap_or_default();
    let headers = [
        ("Name", Some(SORTS[1])),
        ("Email", None),
        ("Role", Some(SORTS[0])),
        ("Status", None),
    ];
    Ok(StaffPage {
        layout: admin_layout(state, me, "/admin/staff", "Staff").await?,
        notice: take_notice(&me.0.session),
        csrf: csrf::token(&me.0.session)?,
        staff,
        shelves,
        columns: columns(
            "/admin/staff",
            &[("role", role_param)],
            &headers,
            &SORTS,
            listing.sort,
        ),
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

pub async fn show_staff(
    state: web::Data<AppState>,
    me: Staff,
    params: web::Query<StaffParams>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ManageStaff)?;
    let role = match params.role.as_str() {
        "" => None,
        raw => Some(
            Role::parse(raw)
                .filter(|role| *role != Role::Member)
                .ok_or_else(|| AppError::BadRequest("Choose a role from the list.".into()))?,
        ),
    };
    let listing = Listing {
        role,
        sort: SortKey::pick(&SORTS, &params.sort),
    };
    let (form, errors) = (InviteForm::default(), Errors::default());
    ok(&staff_page(&state, &me, listing, &form, &errors).await?)
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
            let listing = Listing {
                role: None,
                sort: SORTS[0],
            };
            return invalid(&staff_page(&state, &me, listing, &form, &errors).await?);
        }
        Err(refused) => return Err(refused.into()),
    };
    set_notice(&me.0.session, &format!("Invitation sent to {invited}."));
    Ok(see_other("/admin/staff"))
}
