//! First-run setup: creates the owner's account. Once an owner exists, the page is gone.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::sign_in;
use crate::clock::now;
use crate::db::write_transaction;
use crate::domain::users::{self, NewUser, Role, Status};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::account::signup::NewAccountForm;
use crate::web::account::{FormPage, hash_password, invalid, layout, ok, see_other};
use crate::web::forms::Errors;
use crate::web::views::Layout;

fn setup_page(layout: Layout, csrf: String, form: &NewAccountForm, errors: &Errors) -> FormPage {
    let mut page = FormPage::new(layout, "Set up your publication", "/admin/setup", csrf);
    page.intro = Some(
        "Create the owner's account. The owner can do everything, and invites everyone else."
            .into(),
    );
    page.fields = form.fields(errors);
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
        &NewAccountForm::default(),
        &Errors::default(),
    ))
}

pub async fn setup(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<NewAccountForm>,
) -> AppResult<HttpResponse> {
    refuse_once_owned(&state).await?;
    let mut errors = Errors::default();
    let Some((email, name, password)) = form.validate(&mut errors) else {
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
