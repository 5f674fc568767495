//! Signing in and out. A wrong password and an unknown address get the same answer, after
//! the same work.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::{safe_next, sign_out};
use crate::auth::password::verify_off_thread;
use crate::auth::rate_limit::Action;
use crate::clock::now;
use crate::domain::tokens::{self, Purpose};
use crate::domain::users::{self, Email, Status};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::forms::{Field, Hidden};
use crate::web::pages::{FormPage, link};
use crate::web::respond::{invalid, layout, ok, see_other, take_notice, use_case};
use crate::web::views::Layout;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginQuery {
    next: Option<String>,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LoginForm {
    email: String,
    password: String,
    remember: Option<String>,
    next: Option<String>,
}

const WRONG: &str = "That email and password do not match an account. Check them and try again.";

fn login_page(layout: Layout, csrf: String, form: &LoginForm, problem: Option<String>) -> FormPage {
    let mut page = FormPage::new(layout, "Sign in", "/account/login", csrf);
    page.fields = vec![
        Field::email("email", "Email").value(&form.email),
        Field::current_password("password", "Password"),
        Field::new(
            "remember",
            "Keep me signed in on this device for 30 days",
            "checkbox",
        )
        .checked(form.remember.is_some()),
    ];
    if let Some(next) = safe_next(form.next.as_deref()) {
        page.hidden.push(Hidden {
            name: "next",
            value: next,
        });
    }
    page.problem = problem;
    page.submit = "Sign in";
    page.links = vec![
        link(
            &match safe_next(form.next.as_deref()) {
                Some(next) => format!(
                    "/account/login/link/new?next={}",
                    percent_encoding::utf8_percent_encode(
                        &next,
                        percent_encoding::NON_ALPHANUMERIC
                    )
                ),
                None => "/account/login/link/new".into(),
            },
            "No password? Email me a sign-in link",
        ),
        link("/account/reset", "Forgot your password?"),
        link("/account/signup", "No account yet? Sign up"),
    ];
    page
}

// ---- Signing in by a mailed link ----

/// Where the asking browser keeps the secret its link is bound to.
const LINK_MARK: &str = "sign_in_link";

fn link_request_page(layout: Layout, csrf: String, next: Option<String>) -> FormPage {
    let mut page = FormPage::new(layout, "Sign in by email", "/account/login/link", csrf);
    page.intro = Some(
        "Enter your account's email address and we will send you a link that signs you in, \
         once, within 15 minutes."
            .into(),
    );
    page.fields = vec![Field::email("email", "Email")];
    if let Some(next) = safe_next(next.as_deref()) {
        page.hidden.push(Hidden {
            name: "next",
            value: next,
        });
    }
    page.submit = "Email me a link";
    page.links = vec![link("/account/login", "Sign in with a password instead")];
    page
}

pub async fn show_link_request(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<LoginQuery>,
) -> AppResult<HttpResponse> {
    let layout = layout(&state, "/account/login/link/new", "Sign in by email").await?;
    let page = link_request_page(layout, csrf::token(&session)?, query.into_inner().next);
    ok(&page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct LinkRequestForm {
    email: String,
    next: Option<String>,
}

/// Mails a sign-in link; the answer is the same whether or not the address has an account.
pub async fn request_link(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<LinkRequestForm>,
) -> AppResult<HttpResponse> {
    super::limit_attempt(&state, &req, Action::SignInLink, &form.email)?;
    // The asking browser keeps a secret; the link remembers only its hash.
    let mark = crate::auth::tokens::random_token();
    let bound = crate::auth::tokens::hash_token(&mark);
    let _ = session.insert(LINK_MARK, (mark, safe_next(form.next.as_deref())));
    if let Ok(email) = Email::parse(&form.email) {
        use_case(&state, move |conn, head| {
            crate::domain::accounts::mail_sign_in_link(conn, head, &email, &bound)
        })
        .await??;
    }
    crate::web::pages::message(
        &state,
        "/account/login/link",
        "Check your email",
        vec!["If an account uses that address, a sign-in link is on its way. It works once, within 15 minutes.".into()],
        vec![link("/account/login", "Back to sign in")],
    )
    .await
}

/// Whether this browser asked for the link with this token (and where it was going).
fn asked_here(session: &Session, bound: &str) -> (bool, Option<String>) {
    match session
        .get::<(String, Option<String>)>(LINK_MARK)
        .ok()
        .flatten()
    {
        Some((mark, next)) if crate::auth::tokens::hash_token(&mark) == bound => (true, next),
        _ => (false, None),
    }
}

/// Opening the link shows a button rather than signing in at once: mail scanners fetch
/// links. In another browser than the one that asked, the page says so first.
pub async fn show_link(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<super::signup::TokenQuery>,
) -> AppResult<HttpResponse> {
    let token = query.into_inner().token_value();
    let lookup = token.clone();
    let found = state
        .db
        .run(move |conn| {
            let Some(found) = tokens::peek(conn, &lookup, Purpose::SignIn, now())? else {
                return Ok::<_, crate::error::AppError>(None);
            };
            Ok(users::by_id(conn, found.user_id)?.map(|user| (user, found.payload)))
        })
        .await?;
    let Some((user, bound)) = found else {
        return super::link_expired(&state, Purpose::SignIn).await;
    };
    let (here, _) = asked_here(&session, &bound);
    let layout = layout(&state, "/account/login/link", "Sign in").await?;
    let mut page = FormPage::new(
        layout,
        "Sign in",
        "/account/login/link/use",
        csrf::token(&session)?,
    );
    page.hidden = vec![Hidden {
        name: "token",
        value: token,
    }];
    if here {
        page.intro = Some(format!("Sign in as {}.", user.email));
        page.submit = "Sign in";
    } else {
        page.intro = Some(format!(
            "This link was asked for in another browser. Sign in as {} here, in this one? \
             If you did not ask for a link, close this page: nothing happens.",
            user.email
        ));
        page.submit = "Yes, sign in on this browser";
    }
    ok(&page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UseLinkForm {
    token: String,
}

pub async fn use_link(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<UseLinkForm>,
) -> AppResult<HttpResponse> {
    let token = form.token.clone();
    let bound = state
        .db
        .run(move |conn| tokens::peek(conn, &token, Purpose::SignIn, now()))
        .await?
        .map(|found| found.payload);
    let next = bound
        .as_deref()
        .map(|bound| asked_here(&session, bound).1)
        .unwrap_or_default();
    let token = form.token.clone();
    let user = use_case(&state, move |conn, head| {
        crate::domain::accounts::redeem_sign_in_link(conn, &token, head.now)
    })
    .await??;
    let Some(user) = user else {
        return super::link_expired(&state, Purpose::SignIn).await;
    };
    let _ = session.remove(LINK_MARK);
    // A mailed link stands for the password: an account with a second factor is asked too.
    super::two_factor::finish_sign_in(&state, &session, &req, user, false, next).await
}

pub async fn show_login(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<LoginQuery>,
) -> AppResult<HttpResponse> {
    // A new site has nobody to sign in yet: its first visitor to the admin sets it up.
    if state.db.run(users::setup_state).await? == users::Setup::NobodyYet {
        return Ok(see_other("/admin/setup"));
    }
    let form = LoginForm {
        next: query.into_inner().next,
        ..LoginForm::default()
    };
    let layout = layout(&state, "/account/login", "Sign in").await?;
    let mut page = login_page(layout, csrf::token(&session)?, &form, None);
    page.notice = take_notice(&session);
    ok(&page)
}

pub async fn login(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<LoginForm>,
) -> AppResult<HttpResponse> {
    super::limit_attempt(&state, &req, Action::Login, &form.email)?;
    let account = match Email::parse(&form.email) {
        Ok(email) => {
            state
                .db
                .run(move |conn| users::by_email(conn, &email))
                .await?
        }
        Err(_) => None,
    };
    let (user, hash) = account.map_or((None, None), |(user, hash)| (Some(user), hash));
    let matches = verify_off_thread(form.password.clone(), hash).await?;
    // Only someone who knows the password learns more than "wrong email or password".
    let problem = match &user {
        Some(user) if matches => match user.status() {
            Status::Active => None,
            Status::Pending => {
                Some("Please confirm your email address first: follow the link we sent you.")
            }
            Status::Suspended => {
                Some("This account is suspended. Contact the site's administrators.")
            }
        },
        _ => Some(WRONG),
    };
    let (Some(user), None) = (user, problem) else {
        let layout = layout(&state, "/account/login", "Sign in").await?;
        let problem = problem.map(str::to_string);
        return invalid(&login_page(layout, csrf::token(&session)?, &form, problem));
    };
    super::two_factor::finish_sign_in(
        &state,
        &session,
        &req,
        user,
        form.remember.is_some(),
        safe_next(form.next.as_deref()),
    )
    .await
}

pub async fn logout(session: Session, CsrfForm(_): CsrfForm<Empty>) -> HttpResponse {
    sign_out(&session);
    see_other("/")
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize, Default)]
pub struct Empty {}
