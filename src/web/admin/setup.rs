//! First-run setup: creates the owner's account. Once an owner exists, the page is gone.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::sign_in;
use crate::auth::password::hash_off_thread;
use crate::domain::people;
use crate::domain::users;
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{Errors, NewAccountForm};
use crate::web::pages::FormPage;
use crate::web::respond::{invalid, layout, ok, see_other, use_case};
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
    let (email, name, password) = match form.parse() {
        Ok(parsed) => parsed,
        Err(errors) => {
            let layout = layout(&state, "/admin/setup", "Set up").await?;
            return invalid(&setup_page(layout, csrf::token(&session)?, &form, &errors));
        }
    };
    let hash = hash_off_thread(password).await?;
    let owner = match use_case(&state, move |conn, head| {
        people::create_owner(conn, email, name, hash, head.now)
    })
    .await?
    {
        Ok(owner) => owner,
        // The address belongs to an existing (imported or member) account.
        Err(WriteError::Invalid(errors)) => {
            let layout = layout(&state, "/admin/setup", "Set up").await?;
            return invalid(&setup_page(layout, csrf::token(&session)?, &form, &errors));
        }
        Err(refused) => return Err(refused.into()),
    };
    sign_in(&session, &owner, false, &crate::web::session::device(&req))?;
    Ok(see_other("/admin"))
}
