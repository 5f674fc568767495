//! The publication's own settings: one row, typed on the way out.

use chrono::NaiveDateTime;
use chrono_tz::Tz;
use diesel::prelude::*;
use serde::{Deserialize, Serialize};

use crate::db::schema::site_settings;
use crate::db::{DbConn, write_transaction};

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

/// The networks the settings page offers, as (key, label).
pub const SOCIAL_NETWORKS: [(&str, &str); 8] = [
    ("mastodon", "Mastodon"),
    ("bluesky", "Bluesky"),
    ("x", "X"),
    ("facebook", "Facebook"),
    ("instagram", "Instagram"),
    ("linkedin", "LinkedIn"),
    ("github", "GitHub"),
    ("youtube", "YouTube"),
];

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

/// Stores the settings row (used on first run and by the demo).
pub fn save(conn: &mut DbConn, settings: &SiteSettings) -> QueryResult<()> {
    write_transaction(conn, |conn| save_row(conn, settings))
}

/// Stores the settings row; call inside a write transaction.
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
