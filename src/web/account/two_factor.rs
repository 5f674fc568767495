//! Two-factor sign-in: setting it up at `/account/two-factor` (a QR code drawn on the
//! server, the secret in words, a code to prove the app has it, then ten recovery codes
//! shown once), turning it off (password and a code), and the step after the password or a
//! mailed link that asks for a code before the session is signed in.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::verify_own_password;
use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::{SignedIn, landing, sign_in};
use crate::auth::rate_limit::{AccountKey, Action};
use crate::clock::now;
use crate::domain::two_factor;
use crate::domain::users::{self, User};
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::render::SafeHtml;
use crate::state::AppState;
use crate::web::forms::{Errors, Field, Hidden};
use crate::web::pages::FormPage;
use crate::web::respond::{invalid, layout, ok, see_other, set_notice, take_notice, use_case};
use crate::web::views::Layout;

/// The secret being enrolled, kept in the session while the app is set up.
const ENROLLING: &str = "two_factor_enrolling";
/// Someone who passed the first factor: (user id, remember me, where to go, until when).
const PENDING: &str = "two_factor_pending";
/// How long the second step waits for its code.
const PENDING_SECONDS: i64 = 300;

#[derive(Template)]
#[template(path = "account/two_factor.html")]
struct TwoFactorPage {
    layout: Layout,
    notice: Option<String>,
    csrf: String,
    enabled: bool,
    codes_left: i64,
    qr: SafeHtml,
    secret: String,
    /// Shown once, just after turning it on.
    recovery: Vec<String>,
    fields: Vec<Field>,
    problem: Option<String>,
}

async fn page(
    state: &AppState,
    me: &SignedIn,
    recovery: Vec<String>,
    errors: &Errors,
) -> AppResult<TwoFactorPage> {
    let id = me.user.id;
    let site = std::sync::Arc::clone(&state.site);
    let (enabled, codes_left, title) = state
        .db
        .run(move |conn| {
            Ok::<_, AppError>((
                two_factor::is_enabled(conn, id)?,
                two_factor::recovery_codes_left(conn, id)?,
                site.current(conn, now())?.settings.title.clone(),
            ))
        })
        .await?;
    let (qr, secret) = if enabled {
        (SafeHtml::default(), String::new())
    } else {
        let kept = me.session.get::<String>(ENROLLING).ok().flatten();
        let enrolment = match kept {
            Some(secret) => two_factor::enrolment(&secret, &title, &me.user.email),
            None => {
                let enrolment = two_factor::begin(&title, &me.user.email);
                let _ = me.session.insert(ENROLLING, &enrolment.secret);
                enrolment
            }
        };
        // Drawn here from our own address: no markup from elsewhere.
        (SafeHtml::from_stored(enrolment.qr_svg), enrolment.secret)
    };
    let fields = if enabled {
        vec![
            Field::current_password("password", "Your password").error(errors.get("password")),
            code_field(errors.get("code")),
        ]
    } else {
        vec![code_field(errors.get("code"))]
    };
    Ok(TwoFactorPage {
        layout: layout(state, "/account/two-factor", "Two-factor sign-in").await?,
        notice: take_notice(&me.session),
        csrf: csrf::token(&me.session)?,
        enabled,
        codes_left,
        qr,
        secret,
        recovery,
        problem: (!errors.is_empty()).then(|| "That did not work; see below.".to_string()),
        fields,
    })
}

fn code_field(error: Option<String>) -> Field {
    Field::new("code", "Code from your app", "text")
        .autocomplete("one-time-code")
        .max(20)
        .required()
        .hint("Six digits, or one of your recovery codes.")
        .error(error)
}

pub async fn show(state: web::Data<AppState>, me: SignedIn) -> AppResult<HttpResponse> {
    ok(&page(&state, &me, Vec::new(), &Errors::default()).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CodeForm {
    code: String,
    password: String,
}

pub async fn enable(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: SignedIn,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> AppResult<HttpResponse> {
    state.limits.check(
        Action::Reauth,
        super::client_ip(&req),
        Some(&AccountKey::user(me.user.id)),
    )?;
    let Some(secret) = me.session.get::<String>(ENROLLING).ok().flatten() else {
        return Ok(see_other("/account/two-factor"));
    };
    let actor = me.actor();
    let enabled = use_case(&state, move |conn, head| {
        two_factor::enable(conn, &actor, &secret, &form.code, head.now)
    })
    .await?;
    match enabled {
        Ok(codes) => {
            let _ = me.session.remove(ENROLLING);
            ok(&page(&state, &me, codes, &Errors::default()).await?)
        }
        Err(WriteError::Invalid(errors)) => invalid(&page(&state, &me, Vec::new(), &errors).await?),
        Err(refused) => Err(refused.into()),
    }
}

pub async fn disable(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: SignedIn,
    CsrfForm(form): CsrfForm<CodeForm>,
) -> AppResult<HttpResponse> {
    let mut errors = Errors::default();
    if !verify_own_password(&state, &req, me.user.id, form.password.clone()).await? {
        errors.add("password", "That is not your current password.");
    }
    let (id, code) = (me.user.id, form.code.clone());
    if errors.is_empty() {
        let good = use_case(&state, move |conn, head| {
            two_factor::verify(conn, id, &code, head.now)
        })
        .await??;
        if !good {
            errors.add("code", "That code does not match, or was used already.");
        }
    }
    if !errors.is_empty() {
        return invalid(&page(&state, &me, Vec::new(), &errors).await?);
    }
    let actor = me.actor();
    use_case(&state, move |conn, head| {
        two_factor::disable(conn, &actor, head.now)
    })
    .await??;
    set_notice(&me.session, "Two-factor sign-in is off.");
    Ok(see_other("/account/two-factor"))
}

// ---- The second step of signing in ----

/// After the first factor: signs in at once, or, when the account has a second factor,
/// remembers who is half-way and asks for a code.
pub async fn finish_sign_in(
    state: &AppState,
    session: &Session,
    req: &HttpRequest,
    user: User,
    remember: bool,
    next: Option<String>,
) -> AppResult<HttpResponse> {
    let id = user.id;
    let needs_code = state
        .db
        .run(move |conn| two_factor::is_enabled(conn, id))
        .await?;
    if needs_code {
        // A fresh session key: whatever was planted before is worth nothing now.
        session.renew();
        let until = now().and_utc().timestamp() + PENDING_SECONDS;
        session
            .insert(PENDING, (user.id, remember, next, until))
            .map_err(AppError::internal)?;
        return Ok(see_other("/account/login/two-factor"));
    }
    sign_in(session, &user, remember, &crate::web::session::device(req))?;
    Ok(see_other(
        &next.unwrap_or_else(|| landing(&user).to_string()),
    ))
}

type Pending = (i64, bool, Option<String>, i64);

fn pending(session: &Session) -> Option<Pending> {
    session
        .get::<Pending>(PENDING)
        .ok()
        .flatten()
        .filter(|p| p.3 >= now().and_utc().timestamp())
}

fn step_page(layout: Layout, csrf: String, error: Option<String>) -> FormPage {
    let mut page = FormPage::new(
        layout,
        "Two-factor sign-in",
        "/account/login/two-factor",
        csrf,
    );
    page.intro = Some("Type the code your authenticator app shows, or a recovery code.".into());
    page.fields = vec![code_field(error)];
    page.hidden = Vec::<Hidden>::new();
    page.submit = "Sign in";
    page
}

pub async fn show_step(state: web::Data<AppState>, session: Session) -> AppResult<HttpResponse> {
    if pending(&session).is_none() {
        return Ok(see_other("/account/login"));
    }
    let layout = layout(&state, "/account/login/two-factor", "Two-factor sign-in").await?;
    ok(&step_page(layout, csrf::token(&session)?, None))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct StepForm {
    code: String,
}

pub async fn step(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<StepForm>,
) -> AppResult<HttpResponse> {
    let Some((id, remember, next, _)) = pending(&session) else {
        return Ok(see_other("/account/login"));
    };
    // Guessing codes counts like guessing passwords.
    state.limits.check(
        Action::Login,
        super::client_ip(&req),
        Some(&AccountKey::user(id)),
    )?;
    let code = form.code.clone();
    let good = use_case(&state, move |conn, head| {
        two_factor::verify(conn, id, &code, head.now)
    })
    .await??;
    let user = state.db.run(move |conn| users::by_id(conn, id)).await?;
    let Some(user) = user.filter(|u| good && u.is_active()) else {
        let layout = layout(&state, "/account/login/two-factor", "Two-factor sign-in").await?;
        let error = Some("That code does not match, or was used already.".to_string());
        return invalid(&step_page(layout, csrf::token(&session)?, error));
    };
    let _ = session.remove(PENDING);
    sign_in(
        &session,
        &user,
        remember,
        &crate::web::session::device(&req),
    )?;
    Ok(see_other(
        &next.unwrap_or_else(|| landing(&user).to_string()),
    ))
}
