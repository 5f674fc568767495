//! The publication's own settings: one row, typed on the way out.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::auth::permissions::Permission;
use crate::db::DbConn;
use crate::db::schema::site_settings;
use crate::domain::audit::Object;
use crate::domain::changes::Touched;
use crate::domain::input::{FieldErrors, is_hidden_control};
use crate::domain::write::{self, Actor, WriteError};

/// One item of the navigation menu.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct NavItem {
    pub label: String,
    pub url: String,
}

/// A profile of the publication elsewhere (Mastodon, GitHub…).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SocialLink {
    pub network: String,
    pub url: String,
}

/// A network the settings page offers a profile for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Network {
    pub key: &'static str,
    pub label: &'static str,
    /// The form field its address is typed in.
    pub field: &'static str,
}

/// The networks the settings page offers: one list, so a new network is one line.
pub const SOCIAL_NETWORKS: [Network; 8] = [
    Network {
        key: "mastodon",
        label: "Mastodon",
        field: "social_mastodon",
    },
    Network {
        key: "bluesky",
        label: "Bluesky",
        field: "social_bluesky",
    },
    Network {
        key: "x",
        label: "X",
        field: "social_x",
    },
    Network {
        key: "facebook",
        label: "Facebook",
        field: "social_facebook",
    },
    Network {
        key: "instagram",
        label: "Instagram",
        field: "social_instagram",
    },
    Network {
        key: "linkedin",
        label: "LinkedIn",
        field: "social_linkedin",
    },
    Network {
        key: "github",
        label: "GitHub",
        field: "social_github",
    },
    Network {
        key: "youtube",
        label: "YouTube",
        field: "social_youtube",
    },
];

pub const MAX_NAV_ITEMS: usize = 20;
pub const MAX_LABEL: usize = 50;
pub const MAX_URL: usize = 2000;

/// The settings as typed or read from a file: every field is text until checked.
#[derive(Debug, Default, Clone)]
pub struct SettingsInput {
    pub title: String,
    pub description: String,
    pub language: String,
    pub timezone: String,
    pub posts_per_page: String,
    pub feed_items: String,
    pub logo_url: String,
    pub icon_url: String,
    pub discourage_search: bool,
    pub staff_two_factor: bool,
    pub content_api_key_required: bool,
    /// (network key, address)
    pub social: Vec<(String, String)>,
    /// (label, address), in order.
    pub navigation: Vec<(String, String)>,
}

impl SettingsInput {
    pub fn of(s: &SiteSettings) -> SettingsInput {
        SettingsInput {
            title: s.title.clone(),
            description: s.description.clone(),
            language: s.language.clone(),
            timezone: s.timezone.name().to_string(),
            posts_per_page: s.posts_per_page.to_string(),
            feed_items: s.feed_items.to_string(),
            logo_url: s.logo_url.clone().unwrap_or_default(),
            icon_url: s.icon_url.clone().unwrap_or_default(),
            discourage_search: s.discourage_search,
            staff_two_factor: s.staff_two_factor,
            content_api_key_required: s.content_api_key_required,
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
        }
    }

    pub fn social_url(&self, network: &str) -> String {
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
        && !raw.contains(char::is_control)
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

fn number(errors: &mut FieldErrors, field: &'static str, raw: &str, label: &str) -> i64 {
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

/// What is wrong with one menu item, if anything (shown beside its row).
pub fn nav_item_problem(label: &str, url: &str) -> Option<&'static str> {
    let (label, url) = (label.trim(), url.trim());
    if label.is_empty() || url.is_empty() {
        Some("Give the item both a label and an address.")
    } else if label.chars().count() > MAX_LABEL || label.chars().any(is_hidden_control) {
        Some("Labels are at most 50 characters, without control characters.")
    } else if !linkable(url) {
        Some("Enter a path on this site starting with /, or a full https:// address.")
    } else {
        None
    }
}

/// A site's title and description as typed (at set-up), checked as the settings page
/// checks them.
pub fn parse_title(
    title: &str,
    description: &str,
    now: NaiveDateTime,
) -> Result<(String, String), FieldErrors> {
    let mut input = SettingsInput::of(&SiteSettings::defaults(now));
    input.title = title.to_string();
    input.description = description.to_string();
    parse(&input, now).map(|s| (s.title, s.description))
}

/// The one parser for the settings, whoever sends them (the settings page, an import).
pub fn parse(input: &SettingsInput, now: NaiveDateTime) -> Result<SiteSettings, FieldErrors> {
    let mut errors = FieldErrors::default();
    let title = errors.text("title", "The title", &input.title, 100);
    if title.is_empty() && errors.get("title").is_none() {
        errors.add("title", "Give the site a title.");
    }
    let description = errors.paragraphs("description", "The description", &input.description, 300);
    let language = input.language.trim().to_string();
    if !language_tag(&language) {
        errors.add("language", "Enter a language tag such as en, fr or pt-BR.");
    }
    let timezone = input.timezone.trim().parse().unwrap_or_else(|_| {
        errors.add("timezone", "Choose a time zone from the list.");
        Tz::UTC
    });
    let posts_per_page = number(
        &mut errors,
        "posts_per_page",
        &input.posts_per_page,
        "Posts per page",
    );
    let feed_items = number(&mut errors, "feed_items", &input.feed_items, "Feed items");
    let mut address = |field: &'static str, raw: &str| {
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
    let logo_url = address("logo_url", &input.logo_url);
    let icon_url = address("icon_url", &input.icon_url);
    let mut social = Vec::new();
    for (network, url) in &input.social {
        let url = url.trim();
        if url.is_empty() {
            continue;
        }
        let Some(known) = SOCIAL_NETWORKS.iter().find(|n| n.key == network) else {
            errors.add(
                "social",
                format!("Quire does not know the network {network:?}."),
            );
            continue;
        };
        if !(url.starts_with("https://") || url.starts_with("http://")) || !linkable(url) {
            errors.add(
                known.field,
                format!(
                    "Enter the full address of the {} profile, starting with https://.",
                    known.label
                ),
            );
        }
        social.push(SocialLink {
            network: network.clone(),
            url: url.to_string(),
        });
    }
    if input.navigation.len() > MAX_NAV_ITEMS {
        errors.add(
            "navigation",
            format!("The menu can have at most {MAX_NAV_ITEMS} items."),
        );
    }
    if input
        .navigation
        .iter()
        .any(|(label, url)| nav_item_problem(label, url).is_some())
    {
        errors.add("navigation", "Some menu items need attention; see below.");
    }
    let navigation = input
        .navigation
        .iter()
        .map(|(label, url)| NavItem {
            label: label.trim().to_string(),
            url: url.trim().to_string(),
        })
        .collect();
    errors.into_result(SiteSettings {
        title,
        description,
        language,
        timezone,
        posts_per_page,
        navigation,
        updated_at: now,
        discourage_search: input.discourage_search,
        staff_two_factor: input.staff_two_factor,
        content_api_key_required: input.content_api_key_required,
        logo_url,
        feed_items,
        icon_url,
        social,
        comments: Default::default(),
    })
}

/// Saves the settings: every page shows them, so the whole site counts as changed.
pub fn update(
    conn: &mut DbConn,
    actor: &Actor,
    settings: &SiteSettings,
    now: NaiveDateTime,
) -> Result<(), WriteError> {
    actor.require(Permission::ManageSettings, "change the settings")?;
    write::transaction(conn, actor, now, |tx| {
        let event = crate::domain::webhooks::Event::SiteChanged;
        let listening = crate::domain::webhooks::listening(tx.conn, &[event])?;
        let previous = if listening {
            Some(current(tx.conn, now)?.snapshot())
        } else {
            None
        };
        save_row(tx.conn, settings)?;
        tx.audit("updated", (Object::Settings, None), &settings.title)?;
        tx.touch(Touched::Site);
        if listening {
            let saved = current(tx.conn, now)?.snapshot();
            crate::domain::webhooks::emit_change(tx, event, "settings", Some(saved), previous)?;
        }
        Ok(())
    })
}

impl SiteSettings {
    /// The public settings, as webhooks carry them.
    pub fn snapshot(&self) -> serde_json::Value {
        serde_json::json!({
            "title": self.title,
            "description": self.description,
            "language": self.language,
            "timezone": self.timezone.name(),
            "posts_per_page": self.posts_per_page,
            "navigation": self.navigation,
            "logo": self.logo_url,
            "icon": self.icon_url,
            "social": self.social,
            "discourage_search": self.discourage_search,
            "updated_at": crate::clock::moment(self.updated_at),
        })
    }
}

#[derive(Debug, Clone)]
pub struct SiteSettings {
    pub title: String,
    pub description: String,
    /// A BCP 47 language tag, used for `<html lang>`.
    pub language: String,
    pub timezone: Tz,
    pub posts_per_page: i64,
    pub navigation: Vec<NavItem>,
    pub updated_at: NaiveDateTime,
    /// A staging site: every page is noindex, robots.txt disallows everything, and the
    /// sitemaps list nothing.
    pub discourage_search: bool,
    /// The publisher's logo (absolute URL or site path), for structured data.
    pub logo_url: Option<String>,
    /// How many items each feed carries.
    pub feed_items: i64,
    /// The site's icon (absolute URL or site path); Quire's own when empty.
    pub icon_url: Option<String>,
    pub social: Vec<SocialLink>,
    /// Staff must sign in with a second factor: without one they are sent to set it up.
    pub staff_two_factor: bool,
    /// The content API answers only requests with an integration's content key.
    pub content_api_key_required: bool,
    /// Who may comment and the moderation rules (saved on their own page).
    pub comments: crate::domain::comments::CommentSettings,
}

#[derive(Queryable, Selectable)]
#[diesel(table_name = site_settings)]
struct Row {
    title: String,
    description: String,
    language: String,
    timezone: String,
    posts_per_page: i32,
    navigation: String,
    updated_at: NaiveDateTime,
    discourage_search: bool,
    logo_url: Option<String>,
    feed_items: i32,
    icon_url: Option<String>,
    social: String,
    comments: String,
    staff_two_factor: bool,
    content_api_key_required: bool,
}

impl From<Row> for SiteSettings {
    // Values were validated when written; anything unreadable falls back to a safe default
    // rather than taking the site down.
    fn from(row: Row) -> SiteSettings {
        SiteSettings {
            title: row.title,
            description: row.description,
            language: row.language,
            timezone: row.timezone.parse().unwrap_or(Tz::UTC),
            posts_per_page: i64::from(row.posts_per_page.clamp(1, 100)),
            navigation: serde_json::from_str(&row.navigation).unwrap_or_default(),
            updated_at: row.updated_at,
            discourage_search: row.discourage_search,
            logo_url: row.logo_url.filter(|u| !u.trim().is_empty()),
            feed_items: i64::from(row.feed_items.clamp(1, 100)),
            icon_url: row.icon_url.filter(|u| !u.trim().is_empty()),
            social: serde_json::from_str(&row.social).unwrap_or_default(),
            comments: serde_json::from_str(&row.comments).unwrap_or_default(),
            staff_two_factor: row.staff_two_factor,
            content_api_key_required: row.content_api_key_required,
        }
    }
}

impl SiteSettings {
    pub fn defaults(now: NaiveDateTime) -> SiteSettings {
        SiteSettings {
            title: "Quire".into(),
            description: "A new publication, powered by Quire.".into(),
            language: "en".into(),
            timezone: Tz::UTC,
            posts_per_page: 10,
            navigation: vec![NavItem {
                label: "Home".into(),
                url: "/".into(),
            }],
            updated_at: now,
            discourage_search: false,
            logo_url: None,
            feed_items: 20,
            icon_url: None,
            social: Vec::new(),
            comments: Default::default(),
            staff_two_factor: false,
            content_api_key_required: false,
        }
    }
}

/// The settings, or `None` before the first run has stored any.
pub fn load(conn: &mut DbConn) -> QueryResult<Option<SiteSettings>> {
    Ok(site_settings::table
        .filter(site_settings::id.eq(1))
        .select(Row::as_select())
        .first(conn)
        .optional()?
        .map(SiteSettings::from))
}

/// The settings, or the defaults if none are stored yet.
pub fn current(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<SiteSettings> {
    Ok(load(conn)?.unwrap_or_else(|| SiteSettings::defaults(now)))
}

/// Stores the settings row; call inside a use case's transaction (`update`, the first run,
/// the demo, an import).
pub fn save_row(conn: &mut DbConn, settings: &SiteSettings) -> QueryResult<()> {
    let navigation = serde_json::to_string(&settings.navigation).unwrap_or_else(|_| "[]".into());
    let social = serde_json::to_string(&settings.social).unwrap_or_else(|_| "[]".into());
    let values = (
        site_settings::title.eq(&settings.title),
        site_settings::description.eq(&settings.description),
        site_settings::language.eq(&settings.language),
        site_settings::timezone.eq(settings.timezone.name()),
        site_settings::posts_per_page.eq(settings.posts_per_page as i32),
        site_settings::navigation.eq(&navigation),
        site_settings::updated_at.eq(settings.updated_at),
        site_settings::discourage_search.eq(settings.discourage_search),
        site_settings::logo_url.eq(&settings.logo_url),
        site_settings::feed_items.eq(settings.feed_items as i32),
        site_settings::icon_url.eq(&settings.icon_url),
        site_settings::social.eq(&social),
        site_settings::staff_two_factor.eq(settings.staff_two_factor),
        site_settings::content_api_key_required.eq(settings.content_api_key_required),
    );
    let updated = diesel::update(site_settings::table.filter(site_settings::id.eq(1)))
        .set(values)
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(site_settings::table)
            .values((site_settings::id.eq(1), values))
            .execute(conn)?;
    }
    Ok(())
}
