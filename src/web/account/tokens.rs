//! Personal tokens: admin API keys that act as the member of staff who made them, with their
//! role's rights and nothing more, for their own scripts. Shown once when made; revoked by
//! their owner, and useless once the account is suspended or removed.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::clock::now;
use crate::domain::integrations::{self, Keys};
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{Empty, Errors, Field};
use crate::web::respond::{invalid, layout, ok, see_other, set_notice, take_notice, use_case};
use crate::web::views::{DateView, Layout};

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct TokenForm {
    name: String,
}

struct Row {
    id: i64,
    name: String,
    hint: String,
    created: DateView,
    last_used: Option<DateView>,
    revoked: Option<DateView>,
}

#[derive(Template)]
#[template(path = "account/tokens.html")]
struct TokensPage {
    layout: Layout,
    notice: Option<String>,
    csrf: String,
    rows: Vec<Row>,
    name: Field,
    /// A token just made, shown this once.
    made: Option<(String, Keys)>,
    base_url: String,
}

async fn page(
    state: &AppState,
    me: &Staff,
    typed: &str,
    errors: &Errors,
    made: Option<(String, Keys)>,
) -> AppResult<TokensPage> {
    let (site, id) = (std::sync::Arc::clone(&state.site), me.user().id);
    let (tokens, tz) = state
        .db
        .run(move |conn| {
            let tz = site.current(conn, now())?.settings.timezone;
            Ok::<_, AppError>((integrations::personal(conn, id)?, tz))
        })
        .await?;
    let rows = tokens
        .into_iter()
        .map(|t| Row {
            id: t.id,
            hint: t.admin_key_hint.clone(),
            created: DateView::new(t.created_at, tz),
            last_used: t.last_used_at.map(|at| DateView::with_time(at, tz)),
            revoked: t.revoked_at.map(|at| DateView::new(at, tz)),
            name: t.name,
        })
        .collect();
    Ok(TokensPage {
        layout: layout(state, "/account/tokens", "Personal tokens").await?,
        notice: take_notice(me.session()),
        csrf: csrf::token(me.session())?,
        rows,
        name: Field::new("name", "Name", "text")
            .value(typed)
            .required()
            .max(integrations::MAX_NAME)
            .hint("What will use it, such as “Publishing script on my laptop”.")
            .error(errors.get("name")),
        made,
        base_url: state.config.base_url.clone(),
    })
}

pub async fn show(state: web::Data<AppState>, me: Staff) -> AppResult<HttpResponse> {
    ok(&page(&state, &me, "", &Errors::default(), None).await?)
}

pub async fn create(
    state: web::Data<AppState>,
    me: Staff,
    CsrfForm(form): CsrfForm<TokenForm>,
) -> AppResult<HttpResponse> {
    let (actor, typed) = (me.actor(), form.name.clone());
    let made = use_case(&state, move |conn, head| {
        let (name, _) = integrations::parse(&typed, &["content:read".into()])?;
        integrations::create_personal(conn, &actor, &name, head.now)
    })
    .await?;
    match made {
        Ok((token, keys)) => ok(&page(
            &state,
            &me,
            "",
            &Errors::default(),
            Some((token.name, keys)),
        )
        .await?),
        Err(WriteError::Invalid(errors)) => {
            invalid(&page(&state, &me, &form.name, &errors, None).await?)
        }
        Err(refused) => Err(refused.into()),
    }
}

pub async fn revoke(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let (actor, id) = (me.actor(), id.into_inner());
    let token = use_case(&state, move |conn, head| {
        integrations::revoke_personal(conn, &actor, id, head.now)
    })
    .await??;
    set_notice(me.session(), &format!("“{}” no longer works.", token.name));
    Ok(see_other("/account/tokens"))
}
