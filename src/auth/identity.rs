//! Who is asking: signing in and out, and the extractors handlers use to require it.

use actix_session::{Session, SessionExt};
use actix_web::{FromRequest, HttpRequest, web};
use futures_util::future::LocalBoxFuture;

use crate::auth::permissions::Permission;
use crate::auth::session_store::keys;
use crate::auth::tokens::random_token;
use crate::domain::users::{self, Role, User};
use crate::domain::write::Actor;
use crate::error::AppError;
use crate::state::AppState;

/// Starts a signed-in session for `user`. The session gets a new key first, so a key planted
/// before sign-in (session fixation) is worth nothing after it.
pub fn sign_in(
    session: &Session,
    user: &User,
    remember: bool,
    device: &str,
) -> Result<(), AppError> {
    session.renew();
    let insert = |key: &str, value: serde_json::Value| {
        session.insert(key, value).map_err(AppError::internal)
    };
    insert(keys::USER_ID, user.id.into())?;
    insert(keys::EPOCH, user.session_epoch.into())?;
    insert(keys::HANDLE, random_token().into())?;
    insert(keys::REMEMBER, remember.into())?;
    insert(keys::DEVICE, device.into())?;
    // A fresh token for the forms of the signed-in session.
    insert(keys::CSRF, random_token().into())?;
    Ok(())
}

/// Ends this session on the server (its row is deleted) and in the browser.
pub fn sign_out(session: &Session) {
    session.purge();
}

/// Keeps this session signed in after `sessions::end_all` moved the account to `epoch`.
pub fn keep_after_ending_others(session: &Session, epoch: i32) -> Result<(), AppError> {
    session
        .insert(keys::EPOCH, epoch)
        .map_err(AppError::internal)
}

/// This session's public handle (see `domain::sessions`).
pub fn handle(session: &Session) -> Option<String> {
    session.get::<String>(keys::HANDLE).ok().flatten()
}

/// A one-line description of the browser, for the list of active sessions.
pub fn describe_device(user_agent: &str) -> String {
    let browser = [
        ("Edg/", "Edge"),
        ("OPR/", "Opera"),
        ("Firefox/", "Firefox"),
        ("Chromium/", "Chromium"),
        ("Chrome/", "Chrome"),
        ("Safari/", "Safari"),
        ("curl/", "curl"),
    ]
    .into_iter()
    .find(|(marker, _)| user_agent.contains(marker))
    .map_or("Unknown browser", |(_, name)| name);
    let system = [
        ("Android", "Android"),
        ("iPhone", "iOS"),
        ("iPad", "iPadOS"),
        ("Windows", "Windows"),
        ("Mac OS X", "macOS"),
        ("CrOS", "ChromeOS"),
        ("Linux", "Linux"),
    ]
    .into_iter()
    .find(|(marker, _)| user_agent.contains(marker))
    .map(|(_, name)| name);
    match system {
        Some(system) => format!("{browser} on {system}"),
        None => browser.to_string(),
    }
}

/// The signed-in user. Without a live session for an active account, the request is sent
/// to the sign-in page and brought back afterwards.
pub struct SignedIn {
    pub user: User,
    pub session: Session,
}

impl SignedIn {
    pub fn role(&self) -> Role {
        self.user.role()
    }

    /// This person, as the use cases know whoever acts.
    pub fn actor(&self) -> Actor {
        Actor::of(&self.user)
    }
}

impl FromRequest for SignedIn {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut actix_web::dev::Payload) -> Self::Future {
        let session = req.get_session();
        let state = req.app_data::<web::Data<AppState>>().cloned();
        let next = match req.query_string() {
            "" => req.path().to_string(),
            query => format!("{}?{query}", req.path()),
        };
        Box::pin(async move {
            let required = || AppError::SignInRequired { next: next.clone() };
            let state = state.ok_or_else(|| AppError::internal(anyhow::anyhow!("no state")))?;
            let Some(id) = session.get::<i64>(keys::USER_ID).ok().flatten() else {
                return Err(required().into());
            };
            // Sessions from before epochs existed carry none: they count as the first.
            let epoch = session.get::<i32>(keys::EPOCH).ok().flatten().unwrap_or(0);
            match state.db.run(move |conn| users::by_id(conn, id)).await? {
                Some(user) if user.is_active() && user.session_epoch == epoch => {
                    Ok(SignedIn { user, session })
                }
                // Suspended, deleted, or all its sessions ended since: this one is over.
                _ => {
                    sign_out(&session);
                    Err(required().into())
                }
            }
        })
    }
}

/// A signed-in member of staff: anyone whose role may use the admin.
pub struct Staff(pub SignedIn);

impl Staff {
    pub fn user(&self) -> &User {
        &self.0.user
    }

    pub fn actor(&self) -> Actor {
        self.0.actor()
    }

    pub fn session(&self) -> &Session {
        &self.0.session
    }

    pub fn role(&self) -> Role {
        self.0.role()
    }

    /// Refuses (403) unless this person's role grants `permission`.
    pub fn require(&self, permission: Permission) -> Result<(), AppError> {
        if self.role().can(permission) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "Your role does not allow this. Ask an administrator if you need it.".into(),
            ))
        }
    }
}

impl FromRequest for Staff {
    type Error = actix_web::Error;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut actix_web::dev::Payload) -> Self::Future {
        let signed_in = SignedIn::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().cloned();
        Box::pin(async move {
            let staff = Staff(signed_in.await?);
            staff.require(Permission::UseAdmin)?;
            // Where the site asks staff for a second factor, none without one gets in.
            if let Some(state) = state {
                let (id, site) = (staff.user().id, std::sync::Arc::clone(&state.site));
                let missing = state
                    .db
                    .run(move |conn| {
                        let required = site
                            .current(conn, crate::clock::now())?
                            .settings
                            .staff_two_factor;
                        Ok::<_, AppError>(
                            required && !crate::domain::two_factor::is_enabled(conn, id)?,
                        )
                    })
                    .await?;
                if missing {
                    return Err(AppError::SecondFactorRequired.into());
                }
            }
            Ok(staff)
        })
    }
}

/// The sign-in page, coming back to `next` (a local path) afterwards.
pub fn sign_in_url(next: &str) -> String {
    format!(
        "/account/login?next={}",
        url::form_urlencoded::byte_serialize(next.as_bytes()).collect::<String>()
    )
}

/// Where someone lands after signing in with nowhere else to go: staff in the admin,
/// members on their account page.
pub fn landing(user: &User) -> &'static str {
    if user.role().can(Permission::UseAdmin) {
        "/admin"
    } else {
        "/account/"
    }
}

/// Where to go after signing in: a local path only, never another site.
pub fn safe_next(next: Option<&str>) -> Option<String> {
    let next = next?.trim();
    let local = next.starts_with('/')
        && !next.starts_with("//")
        && !next.starts_with("/\\")
        && !next.chars().any(|c| c.is_control() || c == '\\');
    local.then(|| next.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn next_only_goes_to_local_paths() {
        assert_eq!(safe_next(Some("/account/")), Some("/account/".into()));
        assert_eq!(safe_next(Some("/admin?tab=1")), Some("/admin?tab=1".into()));
        for bad in [
            "//evil.example",
            "https://evil.example",
            "/\\evil.example",
            "evil.example",
            "/\tevil",
            "javascript:alert(1)",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), None, "{bad}");
        }
        assert_eq!(safe_next(None), None);
    }

    #[test]
    fn devices_are_described_briefly() {
        let firefox = "Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0";
        assert_eq!(describe_device(firefox), "Firefox on Linux");
        let chrome_mac = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
                          (KHTML, like Gecko) Chrome/120.0 Safari/537.36";
        assert_eq!(describe_device(chrome_mac), "Chrome on macOS");
        assert_eq!(describe_device(""), "Unknown browser");
    }
}
