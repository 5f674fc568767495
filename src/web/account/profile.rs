//! The account page: profile, email address, password, and where one is signed in.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use chrono_tz::Tz;
use serde::Deserialize;

use super::signup::TokenQuery;
use super::{link_expired, verify_own_password};
use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::{self, SignedIn};
use crate::auth::password::hash_off_thread;
use crate::clock::now;
use crate::domain::accounts::{self, EmailChange, MAX_BIO, MAX_WEBSITE};
use crate::domain::tokens::{self, Purpose};
use crate::domain::users::{Email, Password, Role};
use crate::domain::{sessions, settings};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{Empty, Errors, Field, Hidden};
use crate::web::pages::{FormPage, link};
use crate::web::respond::{invalid, layout, ok, see_other, set_notice, take_notice, use_case};
use crate::web::views::{DateView, Layout};
use askama::Template;

#[derive(Template)]
#[template(path = "account/index.html")]
pub struct AccountPage {
    layout: Layout,
    notice: Option<String>,
    email: String,
    is_staff: bool,
    /// Staff: whether they get mail about comments on their posts.
    comment_alerts: bool,
    csrf: String,
    profile: Vec<Field>,
    email_form: Vec<Field>,
    password_form: Vec<Field>,
    sessions: Vec<SessionView>,
}

pub struct SessionView {
    handle: String,
    device: String,
    started: String,
    last_seen: String,
    current: bool,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ProfileForm {
    display_name: String,
    bio: String,
    website: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct EmailForm {
    new_email: String,
    email_password: String,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct PasswordForm {
    current_password: String,
    new_password: String,
}

/// What the page shows when a form on it did not validate.
#[derive(Default)]
struct Submitted {
    profile: Option<ProfileForm>,
    new_email: Option<String>,
    errors: Errors,
}

async fn account_page(
    state: &AppState,
    me: &SignedIn,
    submitted: Submitted,
) -> AppResult<AccountPage> {
    let user_id = me.user.id;
    let (settings, rows, comment_alerts) = state
        .db
        .run(move |conn| {
            let now = now();
            Ok::<_, AppError>((
                settings::current(conn, now)?,
                sessions::of_user(conn, user_id, now)?,
                crate::domain::comments::notify::alerts_on(conn, user_id)?,
            ))
        })
        .await?;
    let tz: Tz = settings.timezone;
    let current = identity::handle(&me.session);
    let errors = &submitted.errors;
    let profile = submitted.profile.unwrap_or_else(|| ProfileForm {
        display_name: me.user.display_name.clone(),
        bio: me.user.bio.clone(),
        website: me.user.website.clone(),
    });
    Ok(AccountPage {
        layout: layout(state, "/account/", "Your account").await?,
        notice: take_notice(&me.session),
        email: me.user.email.clone(),
        is_staff: me.role() != Role::Member,
        comment_alerts,
        csrf: csrf::token(&me.session)?,
        profile: vec![
            Field::display_name()
                .value(profile.display_name)
                .error(errors.get("display_name")),
            Field::new("bio", "Bio", "textarea")
                .max(MAX_BIO)
                .value(profile.bio)
                .error(errors.get("bio")),
            Field::new("website", "Website", "url")
                .max(MAX_WEBSITE)
                .autocomplete("url")
                .value(profile.website)
                .error(errors.get("website")),
        ],
        email_form: vec![
            Field::email("new_email", "New email address")
                .value(submitted.new_email.unwrap_or_default())
                .error(errors.get("new_email")),
            Field::current_password("email_password", "Your password")
                .error(errors.get("email_password")),
        ],
        password_form: vec![
            Field::current_password("current_password", "Current password")
                .error(errors.get("current_password")),
            Field::new_password("new_password", "New password").error(errors.get("new_password")),
        ],
        sessions: rows
            .into_iter()
            .map(|row| SessionView {
                current: current.as_deref() == Some(row.handle.as_str()),
                handle: row.handle,
                device: if row.device.is_empty() {
                    "Unknown browser".into()
                } else {
                    row.device
                },
                started: DateView::new(row.created_at, tz).human,
                last_seen: DateView::new(row.last_seen_at, tz).human,
            })
            .collect(),
    })
}

pub async fn show_account(state: web::Data<AppState>, me: SignedIn) -> AppResult<HttpResponse> {
    ok(&account_page(&state, &me, Submitted::default()).await?)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct AlertsForm {
    comment_alerts: Option<String>,
}

/// Staff turn mail about comments on their posts on or off.
pub async fn update_alerts(
    state: web::Data<AppState>,
    me: SignedIn,
    CsrfForm(form): CsrfForm<AlertsForm>,
) -> AppResult<HttpResponse> {
    let (actor, on) = (me.actor(), form.comment_alerts.is_some());
    use_case(&state, move |conn, head| {
        crate::domain::comments::notify::set_alerts(conn, &actor, on, head.now)
    })
    .await??;
    set_notice(
        &me.session,
        if on {
            "You will get mail about comments on your posts."
        } else {
            "You will get no mail about comments on your posts."
        },
    );
    Ok(see_other("/account/"))
}

pub async fn update_profile(
    state: web::Data<AppState>,
    me: SignedIn,
    CsrfForm(form): CsrfForm<ProfileForm>,
) -> AppResult<HttpResponse> {
    let profile = match accounts::parse_profile(&form.display_name, &form.bio, &form.website) {
        Ok(profile) => profile,
        Err(errors) => {
            let submitted = Submitted {
                profile: Some(form),
                errors,
                ..Submitted::default()
            };
            return invalid(&account_page(&state, &me, submitted).await?);
        }
    };
    let user = me.user.clone();
    use_case(&state, move |conn, head| {
        accounts::update_profile(conn, &user, &profile, head.now)
    })
    .await??;
    set_notice(&me.session, "Your profile has been saved.");
    Ok(see_other("/account/"))
}

pub async fn change_email(
    state: web::Data<AppState>,
    me: SignedIn,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<EmailForm>,
) -> AppResult<HttpResponse> {
    let mut errors = Errors::default();
    let email = errors.check("new_email", Email::parse(&form.new_email));
    let id = me.user.id;
    if !verify_own_password(&state, &req, id, form.email_password.clone()).await? {
        errors.add("email_password", "That is not your current password.");
    }
    let requested = match (email, errors.is_empty()) {
        (Some(email), true) => {
            let user = me.user.clone();
            use_case(&state, move |conn, head| {
                accounts::request_email_change(conn, head, &user, &email)
            })
            .await?
        }
        _ => Err(errors.into()),
    };
    if let Err(refused) = requested {
        let errors = match refused {
            accounts_refusal @ crate::domain::write::WriteError::Invalid(_) => {
                let crate::domain::write::WriteError::Invalid(errors) = accounts_refusal else {
                    unreachable!()
                };
                errors
            }
            other => return Err(other.into()),
        };
        let submitted = Submitted {
            new_email: Some(form.new_email),
            errors,
            ..Submitted::default()
        };
        return invalid(&account_page(&state, &me, submitted).await?);
    }
    set_notice(
        &me.session,
        "We sent a link to your new address. Follow it to complete the change.",
    );
    Ok(see_other("/account/"))
}

pub async fn show_confirm_email(
    state: web::Data<AppState>,
    session: actix_session::Session,
    query: web::Query<TokenQuery>,
) -> AppResult<HttpResponse> {
    let token = query.into_inner().token_value();
    let lookup = token.clone();
    let found = state
        .db
        .run(move |conn| tokens::peek(conn, &lookup, Purpose::ChangeEmail, now()))
        .await?;
    let Some(found) = found else {
        return link_expired(&state, Purpose::ChangeEmail).await;
    };
    let layout = layout(
        &state,
        "/account/email/confirm",
        "Confirm your new email address",
    )
    .await?;
    let mut page = FormPage::new(
        layout,
        "Confirm your new email address",
        "/account/email/confirm",
        csrf::token(&session)?,
    );
    page.intro = Some(format!(
        "Use {} for your account from now on.",
        found.payload
    ));
    page.hidden = vec![Hidden {
        name: "token",
        value: token,
    }];
    page.submit = "Confirm the new address";
    ok(&page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenForm {
    token: String,
}

pub async fn confirm_email(
    state: web::Data<AppState>,
    session: Session,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> AppResult<HttpResponse> {
    let outcome = use_case(&state, move |conn, head| {
        accounts::confirm_email_change(conn, &form.token, head.now)
    })
    .await??;
    match outcome {
        EmailChange::Expired => link_expired(&state, Purpose::ChangeEmail).await,
        EmailChange::Taken => {
            crate::web::pages::message(
                &state,
                "/account/email/confirm",
                "Address already in use",
                vec!["Another account now uses that address, so yours was not changed.".into()],
                vec![link("/account/", "Your account")],
            )
            .await
        }
        EmailChange::Changed => {
            set_notice(&session, "Your email address has been changed.");
            Ok(see_other("/account/"))
        }
    }
}

pub async fn change_password(
    state: web::Data<AppState>,
    me: SignedIn,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<PasswordForm>,
) -> AppResult<HttpResponse> {
    let mut errors = Errors::default();
    let id = me.user.id;
    if !verify_own_password(&state, &req, id, form.current_password.clone()).await? {
        errors.add("current_password", "That is not your current password.");
    }
    let password = errors.check(
        "new_password",
        Password::choose(form.new_password, &me.user.email),
    );
    let (Some(password), true) = (password, errors.is_empty()) else {
        let submitted = Submitted {
            errors,
            ..Submitted::default()
        };
        return invalid(&account_page(&state, &me, submitted).await?);
    };
    let hash = hash_off_thread(password).await?;
    let keep = identity::handle(&me.session);
    let user = me.user.clone();
    let epoch = use_case(&state, move |conn, head| {
        accounts::change_password(conn, &user, &hash, keep.as_deref(), head.now)
    })
    .await??;
    identity::keep_after_ending_others(&me.session, epoch)?;
    set_notice(
        &me.session,
        "Your password has been changed. Every other session has been signed out.",
    );
    Ok(see_other("/account/"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct RevokeForm {
    handle: String,
}

pub async fn revoke_session(
    state: web::Data<AppState>,
    me: SignedIn,
    CsrfForm(form): CsrfForm<RevokeForm>,
) -> AppResult<HttpResponse> {
    let id = me.user.id;
    let revoked = state
        .db
        .run(move |conn| sessions::revoke(conn, id, &form.handle))
        .await?;
    let notice = if revoked {
        "That session has been signed out."
    } else {
        "That session had already ended."
    };
    set_notice(&me.session, notice);
    Ok(see_other("/account/"))
}

/// Signs out every session of this account, this one included.
pub async fn revoke_all_sessions(
    state: web::Data<AppState>,
    me: SignedIn,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let user = me.user.clone();
    use_case(&state, move |conn, head| {
        accounts::end_all_sessions(conn, &user, head.now)
    })
    .await??;
    me.session.clear();
    me.session.renew();
    set_notice(&me.session, "You have been signed out everywhere.");
    Ok(see_other("/account/login"))
}
