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

use crate::auth::session_store::keys;
use crate::domain::settings;
use crate::error::{AppError, AppResult};
use crate::state::{AppState, now};
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

/// The page shown for a mailed link that is unknown, used or expired.
pub async fn link_expired(state: &AppState, path: &str, again: Link) -> AppResult<HttpResponse> {
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

/// Hashes a password on the blocking pool (argon2 takes tens of milliseconds by design).
pub async fn hash_password(password: crate::domain::users::Password) -> AppResult<String> {
    web::block(move || crate::auth::password::hash(&password))
        .await
        .map_err(AppError::internal)?
        .map_err(AppError::Internal)
}

/// Checks a password against a stored hash (or the dummy) on the blocking pool.
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
