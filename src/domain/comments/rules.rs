//! Who may comment and how a new comment is judged: the site's comment settings and the
//! moderation rules, as plain functions of what they look at.

use chrono::{Duration, NaiveDateTime};
use serde::{Deserialize, Serialize};

use super::Status;
use crate::domain::input::FieldErrors;

/// Who may comment on the site.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Who {
    /// Comments are closed everywhere; those already there stay visible.
    Nobody,
    /// Signed-in members (and staff).
    #[default]
    Members,
    /// Members, and guests who confirm their email address by a mailed link.
    Guests,
}

/// The order threads are shown in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum Order {
    #[default]
    Oldest,
    Newest,
}

/// The site's comment settings, stored as JSON beside the other settings. Anything missing
/// from what is stored takes its default.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct CommentSettings {
    pub who: Who,
    pub order: Order,
    /// Comments close on posts published longer ago than this; 0 keeps them open.
    pub close_after_days: u32,
    /// A comment with more links than this waits for approval.
    pub max_links: u32,
    /// A member's first comment waits for approval; once one is approved, later ones go live.
    pub first_needs_approval: bool,
    /// A comment containing any of these (in its text, name, email or address) waits.
    pub hold_words: Vec<String>,
    /// A comment containing any of these is marked as spam.
    pub block_words: Vec<String>,
}

impl Default for CommentSettings {
    fn default() -> CommentSettings {
        CommentSettings {
            who: Who::Members,
            order: Order::Oldest,
            close_after_days: 0,
            max_links: 2,
            first_needs_approval: true,
            hold_words: Vec::new(),
            block_words: Vec::new(),
        }
    }
}

/// The longest comment accepted, in characters.
pub const MAX_CHARS: usize = 5_000;
/// Replies nest this deep on the page; deeper ones are shown flat under their thread.
pub const SHOWN_DEPTH: i32 = 5;
/// Replies to replies stop here: a conversation this deep has become a chat.
pub const MAX_DEPTH: i32 = 50;
/// A member's second comment within this many seconds is refused.
pub const FLOOD_SECONDS: i64 = 15;
/// How long a member may edit their own comment.
pub const EDIT_MINUTES: i64 = 15;
/// Top-level threads on one page of a conversation.
pub const THREADS_PER_PAGE: i64 = 50;
const MAX_WORDS: usize = 500;
const MAX_WORD_CHARS: usize = 100;

/// The settings as typed in the admin: text until checked.
#[derive(Debug, Clone, Default)]
pub struct SettingsInput {
    pub who: String,
    pub order: String,
    pub close_after_days: String,
    pub max_links: String,
    pub first_needs_approval: bool,
    pub hold_words: String,
    pub block_words: String,
}

impl SettingsInput {
    pub fn of(settings: &CommentSettings) -> SettingsInput {
        SettingsInput {
            who: match settings.who {
                Who::Nobody => "nobody",
                Who::Members => "members",
                Who::Guests => "guests",
            }
            .into(),
            order: match settings.order {
                Order::Oldest => "oldest",
                Order::Newest => "newest",
            }
            .into(),
            close_after_days: settings.close_after_days.to_string(),
            max_links: settings.max_links.to_string(),
            first_needs_approval: settings.first_needs_approval,
            hold_words: settings.hold_words.join("\n"),
            block_words: settings.block_words.join("\n"),
        }
    }
}

/// The one parser for the comment settings.
pub fn parse_settings(input: &SettingsInput) -> Result<CommentSettings, FieldErrors> {
    let mut errors = FieldErrors::default();
    let who = match input.who.trim() {
        "nobody" => Who::Nobody,
        "members" => Who::Members,
        "guests" => Who::Guests,
        _ => {
            errors.add("who", "Choose who may comment from the list.");
            Who::Members
        }
    };
    let order = match input.order.trim() {
        "oldest" => Order::Oldest,
        "newest" => Order::Newest,
        _ => {
            errors.add("order", "Choose an order from the list.");
            Order::Oldest
        }
    };
    let mut number = |field: &'static str, raw: &str, max: u32, what: &str| -> u32 {
        match raw.trim().parse::<u32>() {
            Ok(n) if n <= max => n,
            _ => {
                errors.add(
                    field,
                    format!("{what} must be a whole number from 0 to {max}."),
                );
                0
            }
        }
    };
    let close_after_days = number(
        "close_after_days",
        &input.close_after_days,
        36_500,
        "The number of days",
    );
    let max_links = number("max_links", &input.max_links, 100, "The number of links");
    let hold_words = word_list(&mut errors, "hold_words", &input.hold_words);
    let block_words = word_list(&mut errors, "block_words", &input.block_words);
    errors.into_result(CommentSettings {
        who,
        order,
        close_after_days,
        max_links,
        first_needs_approval: input.first_needs_approval,
        hold_words,
        block_words,
    })
}

/// One word or phrase a line, blank lines ignored, compared without case.
fn word_list(errors: &mut FieldErrors, field: &'static str, raw: &str) -> Vec<String> {
    let words: Vec<String> = raw
        .lines()
        .map(|line| line.trim().to_lowercase())
        .filter(|line| !line.is_empty())
        .collect();
    if words.len() > MAX_WORDS {
        errors.add(field, format!("At most {MAX_WORDS} words or phrases."));
    } else if words.iter().any(|w| w.chars().count() > MAX_WORD_CHARS) {
        errors.add(
            field,
            format!("Each line can be at most {MAX_WORD_CHARS} characters."),
        );
    } else if words.iter().any(|w| w.chars().any(char::is_control)) {
        errors.add(field, "Remove the control characters.");
    }
    words
}

/// Whether comments are open on a post published at `published_at`, and if not, why.
pub fn closed_because(
    settings: &CommentSettings,
    post_open: bool,
    published_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> Option<&'static str> {
    if settings.who == Who::Nobody {
        return Some("Comments are closed on this site.");
    }
    if !post_open {
        return Some("Comments are closed on this post.");
    }
    if settings.close_after_days > 0
        && published_at
            .is_some_and(|at| at + Duration::days(i64::from(settings.close_after_days)) < now)
    {
        return Some("Comments close on older posts; this one no longer takes new ones.");
    }
    None
}

/// What the rules look at in a new comment.
pub struct Judged<'a> {
    pub staff: bool,
    /// The author has an approved comment already.
    pub trusted: bool,
    pub links: usize,
    /// The text, name, email and address, for the word lists.
    pub said: &'a [&'a str],
}

/// The status a new (or edited) comment starts in, and why it waits when it does.
pub fn judge(settings: &CommentSettings, comment: &Judged<'_>) -> (Status, Option<&'static str>) {
    let said: Vec<String> = comment.said.iter().map(|s| s.to_lowercase()).collect();
    let mentions = |words: &[String]| words.iter().any(|w| said.iter().any(|s| s.contains(w)));
    if mentions(&settings.block_words) {
        return (Status::Spam, Some("it matches the block list"));
    }
    if comment.staff {
        return (Status::Approved, None);
    }
    if comment.links > settings.max_links as usize {
        return (Status::Pending, Some("it has many links"));
    }
    if mentions(&settings.hold_words) {
        return (Status::Pending, Some("it matches the hold list"));
    }
    if settings.first_needs_approval && !comment.trusted {
        return (Status::Pending, Some("first comments are approved by hand"));
    }
    (Status::Approved, None)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn judged<'a>(said: &'a [&'a str], trusted: bool, links: usize) -> Judged<'a> {
        Judged {
            staff: false,
            trusted,
            links,
            said,
        }
    }

    #[test]
    fn first_comments_wait_and_later_ones_go_live() {
        let rules = CommentSettings::default();
        assert_eq!(judge(&rules, &judged(&["hi"], false, 0)).0, Status::Pending);
        assert_eq!(judge(&rules, &judged(&["hi"], true, 0)).0, Status::Approved);
        let open = CommentSettings {
            first_needs_approval: false,
            ..CommentSettings::default()
        };
        assert_eq!(judge(&open, &judged(&["hi"], false, 0)).0, Status::Approved);
    }

    #[test]
    fn links_and_word_lists_decide() {
        let rules = CommentSettings {
            hold_words: vec!["casino".into()],
            block_words: vec!["viagra".into()],
            ..CommentSettings::default()
        };
        assert_eq!(judge(&rules, &judged(&["a"], true, 2)).0, Status::Approved);
        assert_eq!(judge(&rules, &judged(&["a"], true, 3)).0, Status::Pending);
        assert_eq!(
            judge(&rules, &judged(&["Best CASINO"], true, 0)).0,
            Status::Pending
        );
        assert_eq!(
            judge(&rules, &judged(&["text", "ViAgRa@spam.example"], true, 0)).0,
            Status::Spam
        );
        let staff = Judged {
            staff: true,
            ..judged(&["casino"], false, 9)
        };
        assert_eq!(judge(&rules, &staff).0, Status::Approved);
    }

    #[test]
    fn comments_close_by_setting_switch_and_age() {
        let now = chrono::DateTime::from_timestamp(1_800_000_000, 0)
            .unwrap()
            .naive_utc();
        let rules = CommentSettings {
            close_after_days: 30,
            ..CommentSettings::default()
        };
        assert!(closed_because(&rules, true, Some(now - Duration::days(29)), now).is_none());
        assert!(closed_because(&rules, true, Some(now - Duration::days(31)), now).is_some());
        assert!(closed_because(&rules, false, Some(now), now).is_some());
        let nobody = CommentSettings {
            who: Who::Nobody,
            ..CommentSettings::default()
        };
        assert!(closed_because(&nobody, true, Some(now), now).is_some());
    }

    #[test]
    fn settings_parse_and_refuse_nonsense() {
        let input = SettingsInput {
            who: "members".into(),
            order: "newest".into(),
            close_after_days: "14".into(),
            max_links: "3".into(),
            first_needs_approval: false,
            hold_words: " Casino \n\n poker\n".into(),
            block_words: String::new(),
        };
        let parsed = parse_settings(&input).unwrap();
        assert_eq!(parsed.order, Order::Newest);
        assert_eq!(parsed.hold_words, vec!["casino", "poker"]);
        let bad = SettingsInput {
            who: "everyone".into(),
            max_links: "-1".into(),
            ..input
        };
        let errors = parse_settings(&bad).unwrap_err();
        assert!(errors.get("who").is_some());
        assert!(errors.get("max_links").is_some());
    }

    #[test]
    fn stored_settings_fill_in_what_is_missing() {
        let parsed: CommentSettings = serde_json::from_str(r#"{"max_links":5}"#).unwrap();
        assert_eq!(parsed.max_links, 5);
        assert_eq!(parsed.who, Who::Members);
        assert!(parsed.first_needs_approval);
    }
}
