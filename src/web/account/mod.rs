//! Members' pages: signing up and in, password resets, the account page and its data.
//! Every page here is private: never cached, never indexed.

pub mod data;
pub mod invite;
pub mod login;
pub mod profile;
pub mod reset;
pub mod signup;
pub mod tokens;
pub mod two_factor;

use std::net::IpAddr;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};

use crate::auth::password::verify_off_thread;
use crate::auth::rate_limit::{AccountKey, Action};
use crate::domain::tokens::Purpose;
use crate::domain::users::{self, Email};
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::pages::{MessagePage, link};
use crate::web::respond::{layout, private};

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
        Purpose::SignIn => (
            "/account/login/link",
            link("/account/login/link/new", "Ask for a new link"),
        ),
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

/// The client's address, for rate limits. Quire sees the peer directly; behind a reverse
/// proxy every client shares the proxy's address (see the README).
pub fn client_ip(req: &HttpRequest) -> Option<IpAddr> {
    req.peer_addr().map(|addr| addr.ip())
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
    verify_off_thread(candidate, hash).await
}
