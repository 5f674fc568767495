//! Members' pages: signing up and in, password resets, the account page and its data.
//! Every page here is private: never cached, never indexed.

pub mod data;
pub mod invite;
pub mod login;
pub mod profile;
pub mod reset;
pub mod signup;

use std::net::IpAddr;

use actix_session::Session;
use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, ContentType, LOCATION};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;

use crate::auth::rate_limit::{AccountKey, Action};
use crate::auth::session_store::keys;
use crate::clock::now;
use crate::db::{DbConn, private_transaction};
use crate::domain::settings;
use crate::domain::tokens::{self, Purpose};
use crate::domain::users::{self, Email, User};
use crate::error::{AppError, AppResult};
use crate::mail::{self, Letterhead, Mail};
use crate::state::AppState;
use crate::web::forms::{Field, Hidden};
use crate::web::views::{Layout, Link};

/// A page with one form: most account pages.
#[derive(Template)]
#[template(path = "account/form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub heading: &'static str,
    pub intro: Option<String>,
    pub notice: Option<String>,
    /// A problem with the form as a whole (e.g. "wrong email or password").
    pub problem: Option<String>,
    pub action: String,
    pub csrf: String,
    pub hidden: Vec<Hidden>,
    pub fields: Vec<Field>,
    pub submit: &'static str,
    pub danger: bool,
    pub links: Vec<Link>,
}

impl FormPage {
    pub fn new(layout: Layout, heading: &'static str, action: &str, csrf: String) -> FormPage {
        FormPage {
            layout,
            heading,
            intro: None,
            notice: None,
            problem: None,
            action: action.to_string(),
            csrf,
            hidden: Vec::new(),
            fields: Vec::new(),
            submit: "Continue",
            danger: false,
            links: Vec::new(),
        }
    }
}

/// A page that only tells something ("check your email", "this link has expired").
#[derive(Template)]
#[template(path = "account/message.html")]
pub struct MessagePage {
    pub layout: Layout,
    pub heading: &'static str,
    pub paragraphs: Vec<String>,
    pub links: Vec<Link>,
}

/// The shared layout, for a private page at `path`.
pub async fn layout(state: &AppState, path: &str, title: &str) -> AppResult<Layout> {
    let settings = state.db.run(|conn| settings::current(conn, now())).await?;
    let mut layout = Layout::new(
        &settings,
        &state.assets,
        &state.config.base_url,
        path,
        Some(title),
        "",
    );
    layout.noindex = true;
    layout.feeds.clear();
    Ok(layout)
}

/// A private HTML response: not stored by any cache, not indexed.
pub fn private(status: StatusCode, page: &impl Template) -> AppResult<HttpResponse> {
    Ok(HttpResponse::build(status)
        .content_type(ContentType::html())
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .body(page.render()?))
}

pub fn ok(page: &impl Template) -> AppResult<HttpResponse> {
    private(StatusCode::OK, page)
}

/// A form that did not validate: the page again, with its errors.
pub fn invalid(page: &impl Template) -> AppResult<HttpResponse> {
    private(StatusCode::UNPROCESSABLE_ENTITY, page)
}

/// Post/redirect/get: after a successful form, go to `location` with a 303.
pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((LOCATION, location))
        .insert_header((CACHE_CONTROL, "no-store"))
        .finish()
}

pub async fn message(
    state: &AppState,
    path: &str,
    heading: &'static str,
    paragraphs: Vec<String>,
    links: Vec<Link>,
) -> AppResult<HttpResponse> {
    let page = MessagePage {
        layout: layout(state, path, heading).await?,
        heading,
        paragraphs,
        links,
    };
    ok(&page)
}

/// The page shown for a mailed link that is unknown, used or expired, with the way to a
/// new one.
pub async fn link_expired(state: &AppState, purpose: Purpose) -> AppResult<HttpResponse> {
    let (path, again) = match purpose {
        Purpose::Confirm => (
            "/account/confirm",
            link("/account/signup/sent", "Send a new link"),
        ),
        Purpose::Reset => (
            "/account/reset/new",
            link("/account/reset", "Ask for a new link"),
        ),
        Purpose::Invite => ("/account/invite", link("/account/login", "Sign in")),
        Purpose::ChangeEmail => ("/account/email/confirm", link("/account/", "Your account")),
    };
    let page = MessagePage {
        layout: layout(state, path, "Link expired").await?,
        heading: "This link has expired",
        paragraphs: vec![
            "The link is too old, was already used, or was replaced by a newer one.".into(),
        ],
        links: vec![again],
    };
    private(StatusCode::GONE, &page)
}

pub fn link(url: &str, label: &str) -> Link {
    Link {
        url: url.into(),
        label: label.into(),
    }
}

/// The client's address, for rate limits. Quire sees the peer directly; behind a reverse
/// proxy every client shares the proxy's address (see the README).
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    req.peer_addr().map(|addr| addr.ip())
}

/// A one-time notice for the next page this session sees.
pub fn set_notice(session: &Session, notice: &str) {
    let _ = session.insert(keys::FLASH, notice);
}

pub fn take_notice(session: &Session) -> Option<String> {
    session
        .remove_as::<String>(keys::FLASH)
        .and_then(Result::ok)
}

/// Runs `write` in a private transaction (see `db::private_transaction`) and puts the mail
/// it returns in the outbox in that same transaction; once committed, the mailer sends it.
pub async fn write_and_mail<F>(state: &AppState, write: F) -> AppResult<()>
where
    F: FnOnce(&mut DbConn, &Letterhead) -> Result<Vec<Mail>, AppError> + Send + 'static,
{
    let base_url = state.config.base_url.clone();
    let sent = state
        .db
        .run(move |conn| {
            let now = now();
            let head = Letterhead {
                site: settings::current(conn, now)?.title,
                base_url,
                now,
            };
            private_transaction(conn, |conn| {
                let mails = write(conn, &head)?;
                for message in &mails {
                    mail::queue(conn, message, now)?;
                }
                Ok::<_, AppError>(mails)
            })
        })
        .await?;
    sent.iter().for_each(|message| state.mailer.queued(message));
    Ok(())
}

/// Mails a fresh link for `purpose` to the account with this address, when there is one
/// that `wanted` accepts. Callers answer the same either way, so nothing is revealed.
pub async fn mail_link_if(
    state: &AppState,
    raw_email: &str,
    purpose: Purpose,
    wanted: fn(&User) -> bool,
    message: fn(&Letterhead, &str, &str) -> Mail,
) -> AppResult<()> {
    let Ok(email) = Email::parse(raw_email) else {
        return Ok(());
    };
    write_and_mail(state, move |conn, head| {
        match users::by_email(conn, &email)? {
            Some((user, _)) if wanted(&user) => {
                let token = tokens::issue(conn, user.id, purpose, "", head.now)?;
                Ok(vec![message(head, &user.email, &token)])
            }
            _ => Ok(Vec::new()),
        }
    })
    .await
}

/// Hashes a password on the blocking pool (argon2 takes tens of milliseconds by design).
pub async fn hash_password(password: crate::domain::users::Password) -> AppResult<String> {
    web::block(move || crate::auth::password::hash(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::Internal)
}

/// Counts an attempt at `action` against the client's address and the account the typed
/// address names (normalised; text that is no address names no account).
pub fn limit_attempt(
    state: &AppState,
    req: &HttpRequest,
    action: Action,
    typed_email: &str,
) -> AppResult<()> {
    let account = Email::parse(typed_email)
        .ok()
        .map(|e| AccountKey::email(&e));
    state.limits.check(action, client_ip(req), account.as_ref())
}

/// Whether `candidate` is the signed-in person's own password. Every such check counts
/// against the rate limit, so a stolen session cannot be used to guess the password.
pub async fn verify_own_password(
    state: &AppState,
    req: &HttpRequest,
    user_id: i64,
    candidate: String,
) -> AppResult<bool> {
    let account = AccountKey::user(user_id);
    state
        .limits
        .check(Action::Reauth, client_ip(req), Some(&account))?;
    let hash = state
        .db
        .run(move |conn| users::password_hash(conn, user_id))
        .await?;
    verify_password(candidate, hash).await
}

/// Checks a password against a stored hash (or the dummy) on the blocking pool; callers
/// count the attempt first (`limit_attempt`, `verify_own_password`).
pub async fn verify_password(candidate: String, phc: Option<String>) -> AppResult<bool> {
    web::block(move || crate::auth::password::verify_or_dummy(&candidate, phc.as_deref()))
        .await
        .map_err(AppError::internal)
}

/// The user agent, summarised, for the list of sessions.
pub fn device(req: &HttpRequest) -> String {
    let agent = req
        .headers()
        .get(actix_web::http::header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    crate::auth::identity::describe_device(agent)
}
