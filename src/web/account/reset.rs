//! Forgotten passwords: a single-use link, valid for an hour, that ends every session.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::link_expired;
use super::signup::TokenQuery;
use crate::auth::csrf::{self, CsrfForm};
use crate::auth::password::hash_off_thread;
use crate::auth::rate_limit::Action;
use crate::clock::now;
use crate::domain::accounts;
use crate::domain::tokens::{self, Purpose};
use crate::domain::users::{self, Email, Password, Status};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{Errors, Field, Hidden};
use crate::web::pages::{FormPage, link, message};
use crate::web::respond::{invalid, layout, ok, see_other, set_notice, use_case};

pub async fn show_request(state: web::Data<AppState>, session: Session) -> AppResult<HttpResponse> {
    let layout = layout(&state, "/account/reset", "Reset your password").await?;
    let mut page = FormPage::new(
        layout,
        "Reset your password",
        "/account/reset",
        csrf::token(&session)?,
    );
    page.intro = Some(
        "Enter your account's email address and we will send you a link to choose a new password."
            .into(),
    );
    page.fields = vec![Field::email("email", "Email")];
    page.submit = "Send the link";
    ok(&page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RequestForm {
    email: String,
}

pub async fn request(
    state: web::Data<AppState>,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<RequestForm>,
) -> AppResult<HttpResponse> {
    super::limit_attempt(&state, &req, Action::Reset, &form.email)?;
    if let Ok(email) = Email::parse(&form.email) {
        let not_suspended = |user: &users::User| user.status != Status::Suspended;
        use_case(&state, move |conn, head| {
            accounts::mail_link(conn, head, &email, Purpose::Reset, not_suspended)
        })
        .await??;
    }
    message(
        &state,
        "/account/reset",
        "Check your email",
        vec!["If an account uses that address, a link to choose a new password is on its way. It works once, within an hour.".into()],
        vec![link("/account/login", "Back to sign in")],
    )
    .await
}

fn new_password_page(
    layout: crate::web::views::Layout,
    csrf: String,
    token: String,
    errors: &Errors,
) -> FormPage {
    let mut page = FormPage::new(layout, "Choose a new password", "/account/reset/new", csrf);
    page.intro = Some("Choosing a new password signs you out everywhere.".into());
    page.hidden = vec![Hidden {
        name: "token",
        value: token,
    }];
    page.fields =
        vec![Field::new_password("password", "New password").error(errors.get("password"))];
    page.submit = "Save the new password";
    page
}

pub async fn show_new_password(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<TokenQuery>,
) -> AppResult<HttpResponse> {
    let token = query.into_inner().token_value();
    let lookup = token.clone();
    let valid = state
        .db
        .run(move |conn| tokens::peek(conn, &lookup, Purpose::Reset, now()))
        .await?
        .is_some();
    if !valid {
        return link_expired(&state, Purpose::Reset).await;
    }
    let layout = layout(&state, "/account/reset/new", "Choose a new password").await?;
    ok(&new_password_page(
        layout,
        csrf::token(&session)?,
        token,
        &Errors::default(),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewPasswordForm {
    token: String,
    password: String,
}

pub async fn set_new_password(
    state: web::Data<AppState>,
    session: Session,
    CsrfForm(form): CsrfForm<NewPasswordForm>,
) -> AppResult<HttpResponse> {
    let lookup = form.token.clone();
    let owner = state
        .db
        .run(move |conn| {
            let Some(found) = tokens::peek(conn, &lookup, Purpose::Reset, now())? else {
                return Ok::<_, AppError>(None);
            };
            Ok(users::by_id(conn, found.user_id)?)
        })
        .await?;
    let Some(user) = owner else {
        return link_expired(&state, Purpose::Reset).await;
    };
    let mut errors = Errors::default();
    let Some(password) = errors.check("password", Password::choose(form.password, &user.email))
    else {
        let layout = layout(&state, "/account/reset/new", "Choose a new password").await?;
        return invalid(&new_password_page(
            layout,
            csrf::token(&session)?,
            form.token,
            &errors,
        ));
    };
    let hash = hash_off_thread(password).await?;
    let token = form.token;
    let changed = use_case(&state, move |conn, head| {
        accounts::reset_password(conn, &token, &hash, head.now)
    })
    .await??;
    if changed.is_none() {
        return link_expired(&state, Purpose::Reset).await;
    }
    // Whatever this browser held is over; a new anonymous session carries the notice.
    session.clear();
    session.renew();
    set_notice(
        &session,
        "Your password has been changed. Sign in with the new one.",
    );
    Ok(see_other("/account/login"))
}
