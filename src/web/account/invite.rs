//! Accepting an invitation to the staff: the mailed link lets the invitee choose a name and
//! a password, then signs them in to the admin.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;

use super::link_expired;
use super::signup::TokenQuery;
use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::sign_in;
use crate::auth::password::hash_off_thread;
use crate::clock::now;
use crate::domain::accounts;
use crate::domain::tokens::{self, Purpose};
use crate::domain::users::{self, Password, User, parse_display_name};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{Errors, Field, Hidden};
use crate::web::pages::FormPage;
use crate::web::respond::{invalid, layout, ok, see_other, use_case};
use crate::web::views::Layout;

fn invite_page(
    layout: Layout,
    csrf: String,
    token: String,
    user: &User,
    name: &str,
    errors: &Errors,
) -> FormPage {
    let mut page = FormPage::new(layout, "Accept your invitation", "/account/invite", csrf);
    page.intro = Some(format!(
        "You are joining as {} with the address {}.",
        user.role, user.email
    ));
    page.hidden = vec![Hidden {
        name: "token",
        value: token,
    }];
    page.fields = vec![
        Field::display_name()
            .value(name)
            .error(errors.get("display_name")),
        Field::new_password("password", "Choose a password").error(errors.get("password")),
    ];
    page.submit = "Join";
    page
}

async fn invited(state: &AppState, token: &str) -> AppResult<Option<User>> {
    let token = token.to_string();
    state
        .db
        .run(move |conn| {
            let Some(found) = tokens::peek(conn, &token, Purpose::Invite, now())? else {
                return Ok::<_, AppError>(None);
            };
            Ok(users::by_id(conn, found.user_id)?)
        })
        .await
}

pub async fn show_invite(
    state: web::Data<AppState>,
    session: Session,
    query: web::Query<TokenQuery>,
) -> AppResult<HttpResponse> {
    let token = query.into_inner().token_value();
    let Some(user) = invited(&state, &token).await? else {
        return link_expired(&state, Purpose::Invite).await;
    };
    let layout = layout(&state, "/account/invite", "Accept your invitation").await?;
    let name = user.display_name.clone();
    ok(&invite_page(
        layout,
        csrf::token(&session)?,
        token,
        &user,
        &name,
        &Errors::default(),
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct InviteForm {
    token: String,
    display_name: String,
    password: String,
}

pub async fn accept_invite(
    state: web::Data<AppState>,
    session: Session,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<InviteForm>,
) -> AppResult<HttpResponse> {
    let Some(user) = invited(&state, &form.token).await? else {
        return link_expired(&state, Purpose::Invite).await;
    };
    let mut errors = Errors::default();
    let name = errors.check("display_name", parse_display_name(&form.display_name));
    let password = errors.check("password", Password::choose(form.password, &user.email));
    let (Some(name), Some(password)) = (name, password) else {
        let layout = layout(&state, "/account/invite", "Accept your invitation").await?;
        return invalid(&invite_page(
            layout,
            csrf::token(&session)?,
            form.token,
            &user,
            &form.display_name,
            &errors,
        ));
    };
    let hash = hash_off_thread(password).await?;
    let token = form.token;
    let joined = use_case(&state, move |conn, head| {
        accounts::accept_invitation(conn, &token, name, &hash, head.now)
    })
    .await??;
    let Some(user) = joined else {
        return link_expired(&state, Purpose::Invite).await;
    };
    sign_in(&session, &user, false, &crate::web::session::device(&req))?;
    // Invited staff land in the admin; invited members on their account page.
    Ok(see_other(crate::auth::identity::landing(&user)))
}
