//! The publication's settings: identity, reading, search engines, social profiles and the
//! navigation menu. The menu is edited without JavaScript: each row has its own move and
//! remove buttons, and a blank row at the end adds an item.

use crate::web::admin::frame::admin_layout;
use actix_web::{HttpResponse, web};
use askama::Template;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::clock::now;
use crate::domain::media::{self, Media};
use crate::domain::settings::{
    self, MAX_NAV_ITEMS, MAX_URL, SOCIAL_NETWORKS, SettingsInput, SiteSettings,
};
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{Errors, Field};
use crate::web::respond::{invalid, ok, see_other, set_notice, take_notice, use_case};
use crate::web::views::Layout;

#[derive(Template)]
#[template(path = "admin/settings.html")]
struct SettingsPage {
    layout: Layout,
    notice: Option<String>,
    problem: Option<String>,
    csrf: String,
    general: Vec<Field>,
    search: Vec<Field>,
    social: Vec<Field>,
    navigation: Vec<NavRow>,
    navigation_error: Option<String>,
}

/// One row of the menu editor.
struct NavRow {
    index: usize,
    label: String,
    url: String,
    error: Option<String>,
    is_first: bool,
    is_last: bool,
    /// The blank row that adds an item.
    is_new: bool,
}

/// The form as typed, and which button was pressed.
#[derive(Default, Clone)]
struct SettingsForm {
    input: SettingsInput,
    action: String,
}

impl SettingsForm {
    fn from_settings(s: &SiteSettings) -> SettingsForm {
        SettingsForm {
            input: SettingsInput::of(s),
            action: String::new(),
        }
    }

    /// Reads the posted pairs; menu rows come as `nav_label_N` / `nav_url_N`, social
    /// profiles as `social_NETWORK`.
    fn from_pairs(pairs: Vec<(String, String)>) -> SettingsForm {
        let mut form = SettingsForm::default();
        let input = &mut form.input;
        let mut rows: std::collections::BTreeMap<usize, (String, String)> = Default::default();
        for (name, value) in pairs {
            match name.as_str() {
                "title" => input.title = value,
                "description" => input.description = value,
                "language" => input.language = value,
                "timezone" => input.timezone = value,
                "posts_per_page" => input.posts_per_page = value,
                "feed_items" => input.feed_items = value,
                "logo_url" => input.logo_url = value,
                "icon_url" => input.icon_url = value,
                "discourage_search" => input.discourage_search = true,
                "staff_two_factor" => input.staff_two_factor = true,
                "content_api_key_required" => input.content_api_key_required = true,
                "action" => form.action = value,
                other => {
                    if let Some(network) = other.strip_prefix("social_") {
                        input.social.push((network.to_string(), value));
                    } else if let Some(n) = other.strip_prefix("nav_label_") {
                        if let Ok(n) = n.parse::<usize>().map(|n| n.min(1000)) {
                            rows.entry(n).or_default().0 = value;
                        }
                    } else if let Some(n) = other.strip_prefix("nav_url_")
                        && let Ok(n) = n.parse::<usize>().map(|n| n.min(1000))
                    {
                        rows.entry(n).or_default().1 = value;
                    }
                }
            }
        }
        // Rows left entirely blank (the "add" row when unused) are not items.
        input.navigation = rows
            .into_values()
            .filter(|(label, url)| !label.trim().is_empty() || !url.trim().is_empty())
            .collect();
        form
    }

    /// Applies a menu button (move up, move down, remove) to the typed rows.
    fn apply_menu_action(&mut self) -> AppResult<()> {
        let (verb, index) = match self.action.split_once('-') {
            None if self.action.is_empty() || self.action == "save" => return Ok(()),
            Some((verb, n)) => (verb, n.parse::<usize>().ok()),
            None => ("", None),
        };
        let items = &mut self.input.navigation;
        match (verb, index) {
            ("up", Some(i)) if i > 0 && i < items.len() => items.swap(i - 1, i),
            ("down", Some(i)) if i + 1 < items.len() => items.swap(i, i + 1),
            ("remove", Some(i)) if i < items.len() => {
                items.remove(i);
            }
            ("up" | "down" | "remove", Some(_)) => {}
            _ => return Err(AppError::BadRequest("Unknown settings action.".into())),
        }
        Ok(())
    }
}

/// A choice of library images by address: none, the address kept now when it is not a
/// library image (an import's, or one typed before), then the library, newest first.
fn image_choices(library: &[Media], current: &str, none: &str) -> Vec<(String, String)> {
    let mut choices = vec![(String::new(), none.to_string())];
    let current = current.trim();
    if !current.is_empty() && !library.iter().any(|item| item.url() == current) {
        choices.push((
            current.to_string(),
            format!("The current address: {current}"),
        ));
    }
    choices.extend(library.iter().map(|item| {
        let label = match item.alt.trim() {
            "" => format!("{} ({}×{})", item.original_name, item.width, item.height),
            alt => format!(
                "{} ({}×{}, {alt})",
                item.original_name, item.width, item.height
            ),
        };
        (item.url(), label)
    }));
    choices
}

async fn settings_page(
    state: &AppState,
    me: &Staff,
    form: &SettingsForm,
    errors: &Errors,
) -> AppResult<SettingsPage> {
    let input = &form.input;
    let library = state.db.run(media::choices).await?;
    let zones: Vec<(&str, &str)> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| (tz.name(), tz.name()))
        .collect();
    let general = vec![
        Field::new("title", "Site title", "text")
            .value(&input.title)
            .required()
            .max(100)
            .error(errors.get("title")),
        Field::new("description", "Description", "textarea")
            .value(&input.description)
            .max(300)
            .hint("One or two sentences: used by search engines, feeds and link previews.")
            .error(errors.get("description")),
        Field::new("language", "Language", "text")
            .value(&input.language)
            .required()
            .max(35)
            .hint("A language tag such as en, fr or pt-BR.")
            .error(errors.get("language")),
        Field::new("timezone", "Time zone", "select")
            .options(zones)
            .value(&input.timezone)
            .hint("Dates are shown, and scheduled times typed, in this zone.")
            .error(errors.get("timezone")),
        Field::new("posts_per_page", "Posts per page", "number")
            .value(&input.posts_per_page)
            .required()
            .error(errors.get("posts_per_page")),
        Field::new("feed_items", "Items in each feed", "number")
            .value(&input.feed_items)
            .required()
            .error(errors.get("feed_items")),
        Field::new("logo_url", "Logo", "select")
            .options(image_choices(&library, &input.logo_url, "No logo"))
            .value(&input.logo_url)
            .hint("The publication's logo, for search engines, from the media library (upload it there first).")
            .error(errors.get("logo_url")),
        Field::new("icon_url", "Icon", "select")
            .options(image_choices(&library, &input.icon_url, "Quire's icon"))
            .value(&input.icon_url)
            .hint("A square image for browser tabs, from the media library.")
            .error(errors.get("icon_url")),
    ];
    let search = vec![
        Field::new("discourage_search", "Discourage search engines", "checkbox")
            .checked(input.discourage_search)
            .hint(
                "For staging sites: every page says noindex and robots.txt disallows everything.",
            ),
        Field::new(
            "staff_two_factor",
            "Staff must sign in with a second factor",
            "checkbox",
        )
        .checked(input.staff_two_factor)
        .hint("Staff without one are sent to set it up before they can use the admin."),
        Field::new(
            "content_api_key_required",
            "The content API needs a content key",
            "checkbox",
        )
        .checked(input.content_api_key_required)
        .hint("Programs then read it only with an integration's content key, as ?key=…; pages stay public."),
    ];
    let social = SOCIAL_NETWORKS
        .iter()
        .map(|network| {
            Field::new(network.field, network.label, "url")
                .value(input.social_url(network.key))
                .max(MAX_URL)
                .error(errors.get(network.field))
        })
        .collect();
    let count = input.navigation.len();
    let mut navigation: Vec<NavRow> = input
        .navigation
        .iter()
        .enumerate()
        .map(|(index, (label, url))| NavRow {
            index,
            label: label.clone(),
            url: url.clone(),
            error: settings::nav_item_problem(label, url).map(str::to_string),
            is_first: index == 0,
            is_last: index + 1 == count,
            is_new: false,
        })
        .collect();
    if count < MAX_NAV_ITEMS {
        navigation.push(NavRow {
            index: count,
            label: String::new(),
            url: String::new(),
            error: None,
            is_first: false,
            is_last: true,
            is_new: true,
        });
    }
    Ok(SettingsPage {
        layout: admin_layout(state, me, "/admin/settings", "Settings").await?,
        notice: take_notice(me.session()),
        problem: (!errors.is_empty())
            .then(|| "Some settings need attention; see below.".to_string()),
        csrf: csrf::token(me.session())?,
        general,
        search,
        social,
        navigation,
        navigation_error: errors.get("navigation"),
    })
}

pub async fn show_settings(state: web::Data<AppState>, me: Staff) -> AppResult<HttpResponse> {
    me.require(Permission::ManageSettings)?;
    let current = state.db.run(|conn| settings::current(conn, now())).await?;
    let form = SettingsForm::from_settings(&current);
    ok(&settings_page(&state, &me, &form, &Errors::default()).await?)
}

pub async fn save_settings(
    state: web::Data<AppState>,
    me: Staff,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ManageSettings)?;
    let mut form = SettingsForm::from_pairs(pairs);
    form.apply_menu_action()?;
    let (input, actor) = (form.input.clone(), me.actor());
    let saved = use_case(&state, move |conn, head| {
        let new = settings::parse(&input, head.now)?;
        settings::update(conn, &actor, &new, head.now)
    })
    .await?;
    match saved {
        Ok(()) => {}
        Err(WriteError::Invalid(errors)) => {
            return invalid(&settings_page(&state, &me, &form, &errors).await?);
        }
        Err(refused) => return Err(refused.into()),
    }
    let (notice, location) = match form.action.as_str() {
        "" | "save" => ("Settings saved.", "/admin/settings"),
        _ => (
            "Menu changed and saved.",
            "/admin/settings#navigation-heading",
        ),
    };
    set_notice(me.session(), notice);
    Ok(see_other(location))
}
