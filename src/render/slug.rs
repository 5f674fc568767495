//! URL slugs: the validated type, and making one from a title.

/// Longest slug we accept; keeps URLs readable and well under any index limit.
pub const MAX_SLUG_LEN: usize = 185;

/// Paths the site itself uses at the top level, which a post or page cannot take.
const RESERVED: &[&str] = &[
    "account",
    "admin",
    "api",
    "assets",
    "atom.xml",
    "author",
    "comments",
    "feed.json",
    "healthz",
    "likes",
    "media",
    "metrics",
    "page",
    "readyz",
    "robots.txt",
    "rss",
    "search",
    "sitemap.xml",
    "static",
    "tag",
];

/// A lowercase ASCII slug: letters, digits and single hyphens, 1–185 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct Slug(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SlugError {
    #[error("a slug cannot be empty")]
    Empty,
    #[error("a slug can be at most {MAX_SLUG_LEN} characters")]
    TooLong,
    #[error("a slug may contain only lowercase letters, digits and single hyphens between them")]
    Invalid,
    #[error("'{0}' is used by the site itself; choose another slug")]
    Reserved(String),
}

impl Slug {
    pub fn parse(raw: &str) -> Result<Slug, SlugError> {
        let raw = raw.trim();
        if raw.is_empty() {
            return Err(SlugError::Empty);
        }
        if raw.len() > MAX_SLUG_LEN {
            return Err(SlugError::TooLong);
        }
        let well_formed = raw
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !raw.starts_with('-')
            && !raw.ends_with('-')
            && !raw.contains("--");
        if !well_formed {
            return Err(SlugError::Invalid);
        }
        Ok(Slug(raw.to_string()))
    }

    /// A slug for a post or page, which lives at the top level of the site.
    pub fn parse_top_level(raw: &str) -> Result<Slug, SlugError> {
        let slug = Slug::parse(raw)?;
        if RESERVED.contains(&slug.as_str()) {
            return Err(SlugError::Reserved(slug.0));
        }
        Ok(slug)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for Slug {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Makes a slug from any text (transliterating non-ASCII), cut at a hyphen to fit.
pub fn slugify(text: &str) -> String {
    let mut slug = slug::slugify(text);
    if slug.len() > MAX_SLUG_LEN {
        let cut = slug[..MAX_SLUG_LEN].rfind('-').unwrap_or(MAX_SLUG_LEN);
        slug.truncate(cut);
    }
    if slug.is_empty() {
        "untitled".to_string()
    } else {
        slug
    }
}
