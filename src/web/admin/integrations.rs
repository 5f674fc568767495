//! Integrations in the admin: the programs that use the API, with what each may do, when
//! it was last used, and its keys, which are shown once (when made or rotated) and can be
//! rotated or revoked. Owners and admins only.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::clock::now;
use crate::domain::integrations::{self, Integration, Keys, Scope};
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::admin::confirm::{self, Question};
use crate::web::admin::frame::admin_layout;
use crate::web::forms::{Empty, Errors, Field};
use crate::web::respond::{invalid, ok, see_other, set_notice, take_notice, use_case};
use crate::web::views::{DateView, Layout};

/// The form: a name, and one checkbox per scope (named after it, `posts_write`).
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct IntegrationForm {
    name: String,
    content_read: String,
    posts_write: String,
    media_write: String,
    users_manage: String,
    settings_manage: String,
}

impl IntegrationForm {
    fn checks(&self) -> [(Scope, &'static str, &str); 5] {
        [
            (Scope::ContentRead, "content_read", &self.content_read),
            (Scope::PostsWrite, "posts_write", &self.posts_write),
            (Scope::MediaWrite, "media_write", &self.media_write),
            (Scope::UsersManage, "users_manage", &self.users_manage),
            (
                Scope::SettingsManage,
                "settings_manage",
                &self.settings_manage,
            ),
        ]
    }

    fn scopes(&self) -> Vec<String> {
        self.checks()
            .iter()
            .filter(|(_, _, value)| !value.is_empty())
            .map(|(scope, _, _)| scope.as_str().to_string())
            .collect()
    }

    fn fields(&self, errors: &Errors) -> (Field, Vec<Field>) {
        let name = Field::new("name", "Name", "text")
            .value(&self.name)
            .required()
            .max(integrations::MAX_NAME)
            .hint("The program that will use the keys, such as “Newsroom importer”.")
            .error(errors.get("name"));
        let scopes = self
            .checks()
            .iter()
            .map(|(scope, name, value)| {
                Field::new(name, scope.describe(), "checkbox").checked(!value.is_empty())
            })
            .collect();
        (name, scopes)
    }
}

struct Row {
    id: i64,
    name: String,
    scopes: Vec<&'static str>,
    hint: String,
    created: DateView,
    last_used: Option<DateView>,
    revoked: Option<DateView>,
}

#[derive(Template)]
#[template(path = "admin/integrations.html")]
struct IntegrationsPage {
    layout: Layout,
    notice: Option<String>,
    csrf: String,
    rows: Vec<Row>,
    name: Field,
    scopes: Vec<Field>,
    scopes_error: Option<String>,
    base_url: String,
}

/// The keys, once: the page a creation or a rotation answers with.
#[derive(Template)]
#[template(path = "admin/integration_keys.html")]
struct KeysPage {
    layout: Layout,
    name: String,
    keys: Keys,
    base_url: String,
}

async fn integrations_page(
    state: &AppState,
    me: &Staff,
    form: &IntegrationForm,
    errors: &Errors,
) -> AppResult<IntegrationsPage> {
    let site = std::sync::Arc::clone(&state.site);
    let (list, tz) = state
        .db
        .run(move |conn| {
            let tz = site.current(conn, now())?.settings.timezone;
            Ok::<_, AppError>((integrations::list(conn)?, tz))
        })
        .await?;
    let rows = list
        .into_iter()
        .map(|i| Row {
            scopes: i.scopes().iter().map(|s| s.describe()).collect(),
            hint: i.admin_key_hint.clone(),
            created: DateView::new(i.created_at, tz),
            last_used: i.last_used_at.map(|at| DateView::with_time(at, tz)),
            revoked: i.revoked_at.map(|at| DateView::new(at, tz)),
            id: i.id,
            name: i.name,
        })
        .collect();
    let (name, scopes) = form.fields(errors);
    Ok(IntegrationsPage {
        layout: admin_layout(state, me, "/admin/integrations", "Integrations").await?,
        notice: take_notice(me.session()),
        csrf: csrf::token(me.session())?,
        rows,
        name,
        scopes,
        scopes_error: errors.get("scopes"),
        base_url: state.config.base_url.clone(),
    })
}

pub async fn list_integrations(state: web::Data<AppState>, me: Staff) -> AppResult<HttpResponse> {
    me.require(Permission::ManageSettings)?;
    ok(&integrations_page(&state, &me, &IntegrationForm::default(), &Errors::default()).await?)
}

pub async fn create_integration(
    state: web::Data<AppState>,
    me: Staff,
    CsrfForm(form): CsrfForm<IntegrationForm>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ManageSettings)?;
    let (actor, typed) = (me.actor(), form.clone());
    let created = use_case(&state, move |conn, head| {
        let (name, scopes) = integrations::parse(&typed.name, &typed.scopes())?;
        integrations::create(conn, &actor, (&name, &scopes), head.now)
    })
    .await?;
    match created {
        Ok((made, keys)) => show_keys(&state, &me, made.name, keys).await,
        Err(WriteError::Invalid(errors)) => {
            invalid(&integrations_page(&state, &me, &form, &errors).await?)
        }
        Err(refused) => Err(refused.into()),
    }
}

async fn show_keys(
    state: &AppState,
    me: &Staff,
    name: String,
    keys: Keys,
) -> AppResult<HttpResponse> {
    ok(&KeysPage {
        layout: admin_layout(state, me, "/admin/integrations", "Keys for the integration").await?,
        name,
        keys,
        base_url: state.config.base_url.clone(),
    })
}

async fn open_live(state: &AppState, me: &Staff, id: i64) -> AppResult<Integration> {
    me.require(Permission::ManageSettings)?;
    state
        .db
        .run(move |conn| integrations::by_id(conn, id))
        .await?
        .filter(|i| !i.is_revoked())
        .ok_or(AppError::NotFound)
}

pub async fn confirm_rotate(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let integration = open_live(&state, &me, id.into_inner()).await?;
    confirm::ask(
        &state,
        &me,
        Question {
            heading: format!("Make new keys for {}?", integration.name),
            explanation: vec![
                "Both of its keys stop working at once; the new ones are shown on the next page, once."
                    .into(),
                "Give them to the program before it next calls the API.".into(),
            ],
            action: format!("/admin/integrations/{}/rotate", integration.id),
            hidden: Vec::new(),
            button: "Make new keys".into(),
            cancel: "/admin/integrations".into(),
        },
    )
    .await
}

pub async fn rotate(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let integration = open_live(&state, &me, id.into_inner()).await?;
    let (actor, id) = (me.actor(), integration.id);
    let keys = use_case(&state, move |conn, head| {
        integrations::rotate(conn, &actor, id, head.now)
    })
    .await??;
    show_keys(&state, &me, integration.name, keys).await
}

pub async fn confirm_revoke(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let integration = open_live(&state, &me, id.into_inner()).await?;
    confirm::ask(
        &state,
        &me,
        Question {
            heading: format!("Revoke {}?", integration.name),
            explanation: vec![
                "Its keys stop working at once, for good. It stays listed, as revoked, so the audit log keeps its name."
                    .into(),
            ],
            action: format!("/admin/integrations/{}/revoke", integration.id),
            hidden: Vec::new(),
            button: "Revoke its keys".into(),
            cancel: "/admin/integrations".into(),
        },
    )
    .await
}

pub async fn revoke(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let integration = open_live(&state, &me, id.into_inner()).await?;
    let (actor, id) = (me.actor(), integration.id);
    use_case(&state, move |conn, head| {
        integrations::revoke(conn, &actor, id, head.now)
    })
    .await??;
    set_notice(
        me.session(),
        &format!("{} can no longer use the API.", integration.name),
    );
    Ok(see_other("/admin/integrations"))
}
