//! First-run setup: creates the owner's account. Once an owner exists, the page is gone.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::sign_in;
use crate::db::write_transaction;
use crate::domain::users::{self, Email, NewUser, Password, Role, Status, parse_display_name};
use crate::error::{AppError, AppResult};
use crate::state::{AppState, now};
use crate::web::account::{FormPage, hash_password, invalid, layout, ok, see_other};
use crate::web::forms::{Errors, Field};
use crate::web::views::Layout;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct SetupForm {
    email: String,
    display_name: String,
    password: String,
}

fn setup_page(layout: Layout, csrf: String, form: &SetupForm, errors: &Errors) -> FormPage {
    let mut page = FormPage::new(layout, "Set up your publication", "/admin/setup", csrf);
    page.intro = Some(
        "Create the owner's account. The owner can do everything, and invites everyone else."
            .into(),
    );
    page.fields = vec![
        Field::email("email", "Email")
            .value(&form.email)
            .error(errors.get("email")),
        Field::display_name()
            .value(&form.display_name)
            .error(errors.get("display_name")),
        Field::new_password("password", "Password").error(errors.get("password")),
    ];
    page.submit = "Create the owner account";
    page
}

async fn refuse_once_owned(state: &AppState) -> AppResult<()> {
    if state.db.run(users::owner_exists).await? {
        return Err(AppError::NotFound);
    }
    Ok(())
}

pub async fn show_setup(state: web::Data<AppState>, session: Session) -> AppResult<HttpResponse> {
    refuse_once_owned(&state).await?;
    let layout = layout(&state, "/admin/setup", "Set up").await?;
    ok(&setup_page(
        layout,
        csrf::token(&session)?,
        &SetupForm::default(),
        &Errors::default(),
    ))
}

pub async fn setup(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<SetupForm>,
) -> AppResult<HttpResponse> {
    refuse_once_owned(&state).await?;
    let mut errors = Errors::default();
    let email = errors.check("email", Email::parse(&form.email));
    let name = errors.check("display_name", parse_display_name(&form.display_name));
    let password = errors.check(
        "password",
        Password::choose(form.password.clone(), form.email.trim()),
    );
    let (Some(email), Some(name), Some(password)) = (email, name, password) else {
        let layout = layout(&state, "/admin/setup", "Set up").await?;
        return invalid(&setup_page(layout, csrf::token(&session)?, &form, &errors));
    };
    let hash = hash_password(password).await?;
    let owner = state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                // Checked again inside the transaction: two racing set-ups make one owner.
                if users::owner_exists(conn)? {
                    return Err(AppError::NotFound);
                }
                let new = NewUser {
                    status: Status::Active,
                    email,
                    display_name: name,
                    role: Role::Owner,
                    bio: String::new(),
                    website: String::new(),
                    password_hash: Some(hash),
                };
                Ok(users::create(conn, new, now())?)
            })
        })
        .await;
    let owner = match owner {
        Ok(owner) => owner,
        Err(AppError::BadRequest(message)) => {
            // The address belongs to an existing (imported or member) account.
            errors.add("email", message);
            let layout = layout(&state, "/admin/setup", "Set up").await?;
            return invalid(&setup_page(layout, csrf::token(&session)?, &form, &errors));
        }
        Err(other) => return Err(other),
    };
    sign_in(&session, &owner, false, &crate::web::account::device(&req))?;
    Ok(see_other("/admin"))
}
