//! The publication's settings: identity, reading, search engines, social profiles and the
//! navigation menu. The menu is edited without JavaScript: each row has its own move and
//! remove buttons, and a blank row at the end adds an item.

use actix_web::{HttpResponse, web};
use askama::Template;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::clock::now;
use crate::db::write_transaction;
use crate::domain::audit::{self, Object};
use crate::domain::write::Actor;
use crate::domain::settings::{self, NavItem, SOCIAL_NETWORKS, SiteSettings, SocialLink};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::respond::{invalid, layout, ok, see_other, set_notice, take_notice};
use crate::web::forms::{Errors, Field};
use crate::web::views::Layout;

const MAX_NAV_ITEMS: usize = 20;
const MAX_LABEL: usize = 50;
const MAX_URL: usize = 2000;

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

/// The form as typed: every field is text until checked.
#[derive(Default, Clone)]
struct SettingsForm {
    title: String,
    description: String,
    language: String,
    timezone: String,
    posts_per_page: String,
    feed_items: String,
    logo_url: String,
    icon_url: String,
    discourage_search: bool,
    social: Vec<(String, String)>,
    navigation: Vec<(String, String)>,
    action: String,
}

impl SettingsForm {
    fn from_settings(s: &SiteSettings) -> SettingsForm {
        SettingsForm {
            title: s.title.clone(),
            description: s.description.clone(),
            language: s.language.clone(),
            timezone: s.timezone.name().to_string(),
            posts_per_page: s.posts_per_page.to_string(),
            feed_items: s.feed_items.to_string(),
            logo_url: s.logo_url.clone().unwrap_or_default(),
            icon_url: s.icon_url.clone().unwrap_or_default(),
            discourage_search: s.discourage_search,
            social: s
                .social
                .iter()
                .map(|l| (l.network.clone(), l.url.clone()))
                .collect(),
            navigation: s
                .navigation
                .iter()
                .map(|i| (i.label.clone(), i.url.clone()))
                .collect(),
            action: String::new(),
        }
    }

    /// Reads the posted pairs; menu rows come as `nav_label_N` / `nav_url_N`, social
    /// profiles as `social_NETWORK`.
    fn from_pairs(pairs: Vec<(String, String)>) -> SettingsForm {
        let mut form = SettingsForm::default();
        let mut rows: std::collections::BTreeMap<usize, (String, String)> = Default::default();
        for (name, value) in pairs {
            match name.as_str() {
                "title" => form.title = value,
                "description" => form.description = value,
                "language" => form.language = value,
                "timezone" => form.timezone = value,
                "posts_per_page" => form.posts_per_page = value,
                "feed_items" => form.feed_items = value,
                "logo_url" => form.logo_url = value,
                "icon_url" => form.icon_url = value,
                "discourage_search" => form.discourage_search = true,
                "action" => form.action = value,
                other => {
                    if let Some(network) = other.strip_prefix("social_") {
                        form.social.push((network.to_string(), value));
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
        form.navigation = rows
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
        let items = &mut self.navigation;
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

    fn social_url(&self, network: &str) -> String {
        self.social
            .iter()
            .find(|(n, _)| n == network)
            .map(|(_, url)| url.clone())
            .unwrap_or_default()
    }
}

/// A URL a page may link to: http(s), or a path on this site.
fn linkable(raw: &str) -> bool {
    raw.len() <= MAX_URL
        && ((raw.starts_with('/') && !raw.starts_with("//") && !raw.contains(char::is_whitespace))
            || url::Url::parse(raw)
                .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some()))
}

fn language_tag(raw: &str) -> bool {
    let mut parts = raw.split('-');
    let primary = parts.next().unwrap_or("");
    raw.len() <= 35
        && (2..=3).contains(&primary.len())
        && primary.chars().all(|c| c.is_ascii_alphabetic())
        && parts.all(|p| (1..=8).contains(&p.len()) && p.chars().all(|c| c.is_ascii_alphanumeric()))
}

fn number(errors: &mut Errors, field: &'static str, raw: &str, label: &str) -> i64 {
    match raw.trim().parse::<i64>() {
        Ok(n) if (1..=100).contains(&n) => n,
        _ => {
            errors.add(
                field,
                format!("{label} must be a whole number from 1 to 100."),
            );
            1
        }
    }
}

/// The settings the form describes, or `None` with the reasons in `errors` (menu rows'
/// errors in `row_errors`, by row).
fn check(
    form: &SettingsForm,
    errors: &mut Errors,
    row_errors: &mut Vec<Option<String>>,
) -> Option<SiteSettings> {
    let title = errors.text("title", "The title", &form.title, 100);
    if title.is_empty() {
        errors.add("title", "Give the site a title.");
    }
    let description = errors.paragraphs("description", "The description", &form.description, 300);
    let language = form.language.trim().to_string();
    if !language_tag(&language) {
        errors.add("language", "Enter a language tag such as en, fr or pt-BR.");
    }
    let timezone = form.timezone.trim().parse().unwrap_or_else(|_| {
        errors.add("timezone", "Choose a time zone from the list.");
        chrono_tz::Tz::UTC
    });
    let posts_per_page = number(
        errors,
        "posts_per_page",
        &form.posts_per_page,
        "Posts per page",
    );
    let feed_items = number(errors, "feed_items", &form.feed_items, "Feed items");
    let mut url_field = |field: &'static str, raw: &str| {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        if !linkable(raw) {
            errors.add(
                field,
                "Enter a full https:// address or a path on this site starting with /.",
            );
        }
        Some(raw.to_string())
    };
    let logo_url = url_field("logo_url", &form.logo_url);
    let icon_url = url_field("icon_url", &form.icon_url);
    let mut social = Vec::new();
    for (network, label) in SOCIAL_NETWORKS {
        let url = form.social_url(network);
        let url = url.trim();
        if url.is_empty() {
            continue;
        }
        if !(url.starts_with("https://") || url.starts_with("http://")) || !linkable(url) {
            errors.add(
                social_field(network),
                format!("Enter the full address of the {label} profile, starting with https://."),
            );
        }
        social.push(SocialLink {
            network: network.to_string(),
            url: url.to_string(),
        });
    }
    if form.navigation.len() > MAX_NAV_ITEMS {
        errors.add(
            "navigation",
            format!("The menu can have at most {MAX_NAV_ITEMS} items."),
        );
    }
    let mut navigation = Vec::new();
    row_errors.clear();
    for (label, url) in &form.navigation {
        let (label, url) = (label.trim(), url.trim());
        let problem = if label.is_empty() || url.is_empty() {
            Some("Give the item both a label and an address.")
        } else if label.chars().count() > MAX_LABEL
            || label.chars().any(crate::domain::users::is_hidden_control)
        {
            Some("Labels are at most 50 characters, without control characters.")
        } else if !linkable(url) {
            Some("Enter a path on this site starting with /, or a full https:// address.")
        } else {
            None
        };
        row_errors.push(problem.map(str::to_string));
        navigation.push(NavItem {
            label: label.to_string(),
            url: url.to_string(),
        });
    }
    if row_errors.iter().any(Option::is_some) {
        errors.add("navigation", "Some menu items need attention; see below.");
    }
    if !errors.is_empty() {
        return None;
    }
    Some(SiteSettings {
        title,
        description,
        language,
        timezone,
        posts_per_page,
        navigation,
        updated_at: now(),
        discourage_search: form.discourage_search,
        logo_url,
        feed_items,
        icon_url,
        social,
    })
}

/// The form field of a network's profile (the names are fixed, so they can be `'static`).
fn social_field(network: &str) -> &'static str {
    match network {
        "mastodon" => "social_mastodon",
        "bluesky" => "social_bluesky",
        "x" => "social_x",
        "facebook" => "social_facebook",
        "instagram" => "social_instagram",
        "linkedin" => "social_linkedin",
        "github" => "social_github",
        _ => "social_youtube",
    }
}

async fn settings_page(
    state: &AppState,
    me: &Staff,
    form: &SettingsForm,
    errors: &Errors,
    row_errors: &[Option<String>],
) -> AppResult<SettingsPage> {
    let zones: Vec<(&str, &str)> = chrono_tz::TZ_VARIANTS
        .iter()
        .map(|tz| (tz.name(), tz.name()))
        .collect();
    let general = vec![
        Field::new("title", "Site title", "text")
            .value(&form.title)
            .required()
            .max(100)
            .error(errors.get("title")),
        Field::new("description", "Description", "textarea")
            .value(&form.description)
            .max(300)
            .hint("One or two sentences: used by search engines, feeds and link previews.")
            .error(errors.get("description")),
        Field::new("language", "Language", "text")
            .value(&form.language)
            .required()
            .max(35)
            .hint("A language tag such as en, fr or pt-BR.")
            .error(errors.get("language")),
        Field::new("timezone", "Time zone", "select")
            .options(zones)
            .value(&form.timezone)
            .hint("Dates are shown, and scheduled times typed, in this zone.")
            .error(errors.get("timezone")),
        Field::new("posts_per_page", "Posts per page", "number")
            .value(&form.posts_per_page)
            .required()
            .error(errors.get("posts_per_page")),
        Field::new("feed_items", "Items in each feed", "number")
            .value(&form.feed_items)
            .required()
            .error(errors.get("feed_items")),
        Field::new("logo_url", "Logo", "text")
            .value(&form.logo_url)
            .max(MAX_URL)
            .hint("The address of the publication's logo, for search engines. Empty: none.")
            .error(errors.get("logo_url")),
        Field::new("icon_url", "Icon", "text")
            .value(&form.icon_url)
            .max(MAX_URL)
            .hint("The address of a square image for browser tabs. Empty: Quire's icon.")
            .error(errors.get("icon_url")),
    ];
    let search = vec![
        Field::new("discourage_search", "Discourage search engines", "checkbox")
            .checked(form.discourage_search)
            .hint(
                "For staging sites: every page says noindex and robots.txt disallows everything.",
            ),
    ];
    let social = SOCIAL_NETWORKS
        .iter()
        .map(|(network, label)| {
            let field = social_field(network);
            Field::new(field, label, "url")
                .value(form.social_url(network))
                .max(MAX_URL)
                .error(errors.get(field))
        })
        .collect();
    let count = form.navigation.len();
    let mut navigation: Vec<NavRow> = form
        .navigation
        .iter()
        .enumerate()
        .map(|(index, (label, url))| NavRow {
            index,
            label: label.clone(),
            url: url.clone(),
            error: row_errors.get(index).cloned().flatten(),
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
        layout: layout(state, "/admin/settings", "Settings").await?,
        notice: take_notice(&me.0.session),
        problem: (!errors.is_empty())
            .then(|| "Some settings need attention; see below.".to_string()),
        csrf: csrf::token(&me.0.session)?,
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
    ok(&settings_page(&state, &me, &form, &Errors::default(), &[]).await?)
}

pub async fn save_settings(
    state: web::Data<AppState>,
    me: Staff,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ManageSettings)?;
    let mut form = SettingsForm::from_pairs(pairs);
    form.apply_menu_action()?;
    let mut errors = Errors::default();
    let mut row_errors = Vec::new();
    let Some(new) = check(&form, &mut errors, &mut row_errors) else {
        return invalid(&settings_page(&state, &me, &form, &errors, &row_errors).await?);
    };
    let actor = Actor::of(me.user());
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                settings::save_row(conn, &new)?;
                audit::record(
                    conn,
                    &actor,
                    "updated",
                    (Object::Settings, None),
                    &new.title,
                    now(),
                )
            })
        })
        .await?;
    let (notice, location) = match form.action.as_str() {
        "" | "save" => ("Settings saved.", "/admin/settings"),
        _ => (
            "Menu changed and saved.",
            "/admin/settings#navigation-heading",
        ),
    };
    set_notice(&me.0.session, notice);
    Ok(see_other(location))
}
