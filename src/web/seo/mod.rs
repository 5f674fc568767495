//! What crawlers and feed readers need: structured data, sitemaps, robots.txt and feeds.

pub mod feeds;
pub mod jsonld;
pub mod robots;
pub mod sitemaps;

use crate::domain::settings::SiteSettings;
use crate::web::views::absolute;

/// The publisher and website, as every page's structured data names them.
pub fn site<'a>(settings: &'a SiteSettings, base_url: &'a str) -> jsonld::Site<'a> {
    jsonld::Site {
        base: base_url,
        name: &settings.title,
        description: &settings.description,
        language: &settings.language,
        logo: settings
            .logo_url
            .as_deref()
            .map(|logo| absolute(base_url, logo)),
        same_as: settings
            .social
            .iter()
            .map(|link| link.url.as_str())
            .collect(),
    }
}
