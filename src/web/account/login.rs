//! Signing in and out. A wrong password and an unknown address get the same answer, after
//! the same work.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::{safe_next, sign_in, sign_out};
use crate::auth::password::verify_off_thread;
use crate::auth::rate_limit::Action;
use crate::domain::users::{self, Email, Role, Status};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::forms::{Field, Hidden};
use crate::web::pages::{FormPage, link};
use crate::web::respond::{invalid, layout, ok, see_other, take_notice};
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
        link("/account/reset", "Forgot your password?"),
        link("/account/signup", "No account yet? Sign up"),
    ];
    page
}

pub async fn show_login(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<LoginQuery>,
) -> AppResult<HttpResponse> {
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
    sign_in(
        &session,
        &user,
        form.remember.is_some(),
        &crate::web::session::device(&req),
    )?;
    let home = if user.role() == Role::Member {
        "/account/"
    } else {
        "/admin"
    };
    let next = safe_next(form.next.as_deref()).unwrap_or_else(|| home.to_string());
    Ok(see_other(&next))
}

pub async fn logout(session: Session, CsrfForm(_): CsrfForm<Empty>) -> HttpResponse {
    sign_out(&session);
    see_other("/")
}

/// A form with nothing but its CSRF token.
#[derive(Deserialize, Default)]
pub struct Empty {}
