//! The site's settings through the admin API (`settings:manage`): read them, and change the
//! ones sent, with the settings page's checks.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use super::{Caller, not_allowed, not_null, read_json, refused, reply};
use crate::domain::integrations::Scope;
use crate::domain::settings::{self, SettingsInput, SiteSettings};
use crate::state::AppState;
use crate::web::api::error::ApiResult;
use crate::web::respond::use_case;

pub fn resources(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/settings/")
            .route(web::get().to(read))
            .route(web::head().to(read))
            .route(web::put().to(update))
            .default_service(web::to(|| not_allowed("GET, HEAD, PUT"))),
    );
}

#[derive(Serialize, Deserialize, Debug, Clone, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Link {
    label: String,
    url: String,
}

#[derive(Serialize, Deserialize, Debug, Clone, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Profile {
    /// The network's key, as the settings page names it (`mastodon`, `github`…).
    network: String,
    url: String,
}

/// The settings as the settings page shows them.
#[derive(Serialize, utoipa::ToSchema)]
pub struct AdminSettings {
    title: String,
    description: String,
    /// A BCP 47 language tag.
    language: String,
    /// An IANA time zone (`Europe/Paris`).
    timezone: String,
    posts_per_page: i64,
    feed_items: i64,
    logo_url: Option<String>,
    icon_url: Option<String>,
    discourage_search: bool,
    staff_two_factor: bool,
    content_api_key_required: bool,
    navigation: Vec<Link>,
    social: Vec<Profile>,
}

impl From<&SiteSettings> for AdminSettings {
    fn from(s: &SiteSettings) -> AdminSettings {
        AdminSettings {
            title: s.title.clone(),
            description: s.description.clone(),
            language: s.language.clone(),
            timezone: s.timezone.name().to_string(),
            posts_per_page: s.posts_per_page,
            feed_items: s.feed_items,
            logo_url: s.logo_url.clone(),
            icon_url: s.icon_url.clone(),
            discourage_search: s.discourage_search,
            staff_two_factor: s.staff_two_factor,
            content_api_key_required: s.content_api_key_required,
            navigation: s
                .navigation
                .iter()
                .map(|n| Link {
                    label: n.label.clone(),
                    url: n.url.clone(),
                })
                .collect(),
            social: s
                .social
                .iter()
                .map(|l| Profile {
                    network: l.network.clone(),
                    url: l.url.clone(),
                })
                .collect(),
        }
    }
}

/// The settings to change; what is left out keeps its value.
#[derive(Deserialize, Debug, Default, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SettingsChanges {
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    title: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    description: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    language: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    timezone: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    posts_per_page: Option<i64>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    feed_items: Option<i64>,
    /// An empty string removes it.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    logo_url: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    icon_url: Option<String>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    discourage_search: Option<bool>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    staff_two_factor: Option<bool>,
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    content_api_key_required: Option<bool>,
    /// The whole menu, in order.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    navigation: Option<Vec<Link>>,
    /// Every profile elsewhere.
    #[serde(default, deserialize_with = "not_null")]
    #[schema(nullable = false)]
    social: Option<Vec<Profile>>,
}

impl SettingsChanges {
    fn apply(self, mut input: SettingsInput) -> SettingsInput {
        macro_rules! set {
            ($($field:ident),*) => { $(if let Some(value) = self.$field { input.$field = value; })* };
        }
        set!(title, description, language, timezone, logo_url, icon_url);
        set!(
            discourage_search,
            staff_two_factor,
            content_api_key_required
        );
        if let Some(n) = self.posts_per_page {
            input.posts_per_page = n.to_string();
        }
        if let Some(n) = self.feed_items {
            input.feed_items = n.to_string();
        }
        if let Some(links) = self.navigation {
            input.navigation = links.into_iter().map(|l| (l.label, l.url)).collect();
        }
        if let Some(profiles) = self.social {
            input.social = profiles.into_iter().map(|p| (p.network, p.url)).collect();
        }
        input
    }
}

fn body(settings: &SiteSettings) -> serde_json::Value {
    serde_json::json!({ "settings": AdminSettings::from(settings) })
}

/// The answer, in the OpenAPI document.
#[derive(utoipa::ToSchema)]
#[allow(dead_code)]
pub struct AdminSettingsBody {
    settings: AdminSettings,
}

/// The site's settings.
#[utoipa::path(get, path = "/api/v1/admin/settings/", operation_id = "admin_read_settings",
    tag = "admin", security(("admin_key" = [])),
    responses(
        (status = 200, description = "The settings", body = AdminSettingsBody),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the settings:manage scope", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn read(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::SettingsManage)?;
    crate::web::api::params::Params::parse(req.query_string(), &[])?;
    let now = crate::clock::now();
    let current = state
        .db
        .run(move |conn| settings::current(conn, now))
        .await?;
    Ok(reply(StatusCode::OK, &body(&current)))
}

/// Change the settings sent.
#[utoipa::path(put, path = "/api/v1/admin/settings/", operation_id = "admin_update_settings",
    tag = "admin", security(("admin_key" = [])), request_body = SettingsChanges,
    responses(
        (status = 200, description = "The settings as saved", body = AdminSettingsBody),
        (status = 400, description = "The body is not JSON", body = crate::web::api::error::Errors),
        (status = 401, description = "No valid admin key", body = crate::web::api::error::Errors),
        (status = 403, description = "The key lacks the settings:manage scope", body = crate::web::api::error::Errors),
        (status = 406, description = "An Accept that excludes JSON", body = crate::web::api::error::Errors),
        (status = 413, description = "The body is too large", body = crate::web::api::error::Errors),
        (status = 415, description = "The body is not sent as JSON", body = crate::web::api::error::Errors),
        (status = 422, description = "A setting the settings page would refuse", body = crate::web::api::error::Errors),
        (status = 429, description = "The key's budget is spent", body = crate::web::api::error::Errors),
    ))]
pub(super) async fn update(
    state: web::Data<AppState>,
    caller: Caller,
    req: HttpRequest,
    payload: web::Payload,
) -> ApiResult<HttpResponse> {
    caller.require(Scope::SettingsManage)?;
    let sent: SettingsChanges = read_json(&req, payload).await?;
    let actor = caller.actor();
    let saved = use_case(&state, move |conn, head| {
        let current = settings::current(conn, head.now)?;
        let new = settings::parse(&sent.apply(SettingsInput::of(&current)), head.now)?;
        settings::update(conn, &actor, &new, head.now)?;
        Ok(settings::current(conn, head.now)?)
    })
    .await?
    .map_err(|e| refused(e, &[]))?;
    Ok(reply(StatusCode::OK, &body(&saved)))
}
