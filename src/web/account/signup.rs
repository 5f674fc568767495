//! Signing up: the form, the confirmation link, and resending it. The answers never reveal
//! whether an address already has an account.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::link_expired;
use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::sign_in;
use crate::auth::password::{hash_off_thread, verify_off_thread};
use crate::auth::rate_limit::Action;
use crate::auth::tokens::hash_token;
use crate::clock::now;
use crate::domain::accounts;
use crate::domain::tokens::{self, Purpose};
use crate::domain::users::{self, Email, Status};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{Errors, Field, Hidden, NewAccountForm};
use crate::web::pages::{FormPage, link, message};
use crate::web::respond::{invalid, layout, ok, see_other, set_notice, use_case};

/// Marks the browser that signed up, with a fingerprint of the password it chose: following
/// the link in that browser needs no password, anywhere else it does (see `confirm`).
const SIGNUP_MARK: &str = "signup";

fn signup_page(
    layout: crate::web::views::Layout,
    csrf: String,
    form: &NewAccountForm,
    errors: &Errors,
) -> FormPage {
    let mut page = FormPage::new(layout, "Create your account", "/account/signup", csrf);
    page.fields = form.fields(errors);
    page.submit = "Sign up";
    page.links = vec![link("/account/login", "Already have an account? Sign in")];
    page
}

pub async fn show_signup(state: web::Data<AppState>, session: Session) -> AppResult<HttpResponse> {
    let layout = layout(&state, "/account/signup", "Sign up").await?;
    ok(&signup_page(
        layout,
        csrf::token(&session)?,
        &NewAccountForm::default(),
        &Errors::default(),
    ))
}

pub async fn signup(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<NewAccountForm>,
) -> AppResult<HttpResponse> {
    super::limit_attempt(&state, &req, Action::Signup, &form.email)?;
    let (email, name, password) = match form.parse() {
        Ok(parsed) => parsed,
        Err(errors) => {
            let layout = layout(&state, "/account/signup", "Sign up").await?;
            return invalid(&signup_page(layout, csrf::token(&session)?, &form, &errors));
        }
    };
    let hash = hash_off_thread(password).await?;
    let mark = hash_token(&hash);
    use_case(&state, move |conn, head| {
        accounts::sign_up(conn, head, email, name, hash)
    })
    .await??;
    let _ = session.insert(SIGNUP_MARK, mark);
    Ok(see_other("/account/signup/sent"))
}

pub async fn signup_sent(state: web::Data<AppState>, session: Session) -> AppResult<HttpResponse> {
    let layout = layout(&state, "/account/signup/sent", "Check your email").await?;
    let mut page = FormPage::new(
        layout,
        "Check your email",
        "/account/confirm/resend",
        csrf::token(&session)?,
    );
    page.intro = Some(
        "We sent a link to the address you gave. Follow it within 24 hours to confirm your \
         account. Nothing arrived? Check your spam folder, or send the link again."
            .into(),
    );
    page.fields = vec![Field::email("email", "Email")];
    page.submit = "Send the link again";
    ok(&page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ResendForm {
    email: String,
}

/// Sends a fresh confirmation link to an unconfirmed account; says the same in every case.
pub async fn resend(
    state: web::Data<AppState>,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<ResendForm>,
) -> AppResult<HttpResponse> {
    super::limit_attempt(&state, &req, Action::Resend, &form.email)?;
    if let Ok(email) = Email::parse(&form.email) {
        let pending = |user: &users::User| user.status == Status::Pending;
        use_case(&state, move |conn, head| {
            accounts::mail_link(conn, head, &email, Purpose::Confirm, pending)
        })
        .await??;
    }
    message(
        &state,
        "/account/confirm/resend",
        "Check your email",
        vec!["If that address has an account waiting for confirmation, a new link is on its way. Earlier links no longer work.".into()],
        vec![link("/account/login", "Sign in")],
    )
    .await
}

#[derive(Deserialize)]
pub struct TokenQuery {
    #[serde(default)]
    token: String,
}

impl TokenQuery {
    pub fn token_value(self) -> String {
        self.token
    }
}

/// Following the link shows a button rather than acting at once: mail scanners fetch links,
/// and a GET must not use up the token or sign anyone in.
pub async fn show_confirm(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<TokenQuery>,
) -> AppResult<HttpResponse> {
    let token = query.into_inner().token;
    let lookup = token.clone();
    let Some((user, hash)) = state
        .db
        .run(move |conn| pending_account(conn, &lookup))
        .await?
    else {
        return link_expired(&state, Purpose::Confirm).await;
    };
    let needs_password = !signed_up_here(&session, hash.as_deref());
    let page = confirm_page(&state, &session, token, &user, needs_password, None).await?;
    ok(&page)
}

/// The account a confirmation token is for, with its password hash.
fn pending_account(
    conn: &mut crate::db::DbConn,
    token: &str,
) -> Result<Option<(users::User, Option<String>)>, AppError> {
    let Some(found) = tokens::peek(conn, token, Purpose::Confirm, now())? else {
        return Ok(None);
    };
    let hash = users::password_hash(conn, found.user_id)?;
    Ok(users::by_id(conn, found.user_id)?.map(|user| (user, hash)))
}

/// Whether this browser made the sign-up whose password the account has now.
fn signed_up_here(session: &Session, hash: Option<&str>) -> bool {
    let mark = session.get::<String>(SIGNUP_MARK).ok().flatten();
    matches!((mark, hash), (Some(mark), Some(hash)) if mark == hash_token(hash))
}

async fn confirm_page(
    state: &AppState,
    session: &Session,
    token: String,
    user: &users::User,
    needs_password: bool,
    problem: Option<String>,
) -> AppResult<FormPage> {
    let layout = layout(state, "/account/confirm", "Confirm your account").await?;
    let mut page = FormPage::new(
        layout,
        "Confirm your account",
        "/account/confirm",
        csrf::token(session)?,
    );
    page.intro = Some(format!(
        "Confirm the account for {} and sign in.",
        user.email
    ));
    page.hidden = vec![Hidden {
        name: "token",
        value: token,
    }];
    if needs_password {
        page.fields = vec![Field::current_password(
            "password",
            "The password you chose when signing up",
        )];
    }
    page.problem = problem;
    page.submit = "Confirm and sign in";
    Ok(page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmForm {
    token: String,
    password: String,
}

pub async fn confirm(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<ConfirmForm>,
) -> AppResult<HttpResponse> {
    let token = form.token.clone();
    let pending = state
        .db
        .run(move |conn| pending_account(conn, &token))
        .await?;
    let Some((user, hash)) = pending else {
        return link_expired(&state, Purpose::Confirm).await;
    };
    // In the browser that signed up, the mark must match the password the account has now;
    // elsewhere, that password must be typed. Either way, whoever confirms knows the
    // password, so a sign-up someone else made for this address cannot take it over.
    let proven = signed_up_here(&session, hash.as_deref()) || {
        super::limit_attempt(&state, &req, Action::Login, &user.email)?;
        hash.is_some() && verify_off_thread(form.password.clone(), hash).await?
    };
    if !proven {
        let _ = session.remove(SIGNUP_MARK);
        let page = confirm_page(
            &state,
            &session,
            form.token,
            &user,
            true,
            Some("That is not the password this account was signed up with. If you have forgotten it, reset it.".into()),
        )
        .await?;
        return invalid(&page);
    }
    let token = form.token.clone();
    let confirmed = use_case(&state, move |conn, head| {
        accounts::confirm(conn, &token, head.now)
    })
    .await??;
    let Some(user) = confirmed else {
        return link_expired(&state, Purpose::Confirm).await;
    };
    let _ = session.remove(SIGNUP_MARK);
    sign_in(&session, &user, false, &crate::web::session::device(&req))?;
    set_notice(&session, "Your account is confirmed. Welcome!");
    Ok(see_other("/account/"))
}
