//! Forgotten passwords: a single-use link, valid for an hour, that ends every session.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::signup::TokenQuery;
use super::{
    FormPage, hash_password, invalid, layout, link, link_expired, mail_link_if, message, ok,
    see_other, set_notice,
};
use crate::auth::csrf::{self, CsrfForm};
use crate::auth::rate_limit::Action;
use crate::clock::now;
use crate::db::private_transaction;
use crate::domain::sessions;
use crate::domain::tokens::{self, Purpose};
use crate::domain::users::{self, Password, Status};
use crate::error::{AppError, AppResult};
use crate::mail::messages;
use crate::state::AppState;
use crate::web::forms::{Errors, Field, Hidden};

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
    let not_suspended = |user: &users::User| user.status() != Status::Suspended;
    mail_link_if(
        &state,
        &form.email,
        Purpose::Reset,
        not_suspended,
        messages::reset_password,
    )
    .await?;
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
    let hash = hash_password(password).await?;
    let token = form.token;
    let changed = state
        .db
        .run(move |conn| {
            let now = now();
            private_transaction(conn, |conn| {
                let Some(found) = tokens::redeem(conn, &token, Purpose::Reset, now)? else {
                    return Ok::<_, AppError>(false);
                };
                users::set_password_hash(conn, found.user_id, &hash, now)?;
                // The link proves the mailbox, which is what confirming would have proved.
                if users::by_id(conn, found.user_id)?.is_some_and(|u| u.status() == Status::Pending)
                {
                    users::set_status(conn, found.user_id, Status::Active, now)?;
                }
                sessions::end_all(conn, found.user_id, None)?;
                Ok(true)
            })
        })
        .await?;
    if !changed {
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
