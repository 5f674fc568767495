//! Moving a publication in and out: `quire import` and `quire export`.

pub mod export;
pub mod format;
pub mod import;

pub use export::export;
pub use import::{ImportError, ImportReport, import};

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

/// Dates in files are RFC 3339 (`2026-11-21T09:30:00Z`), stored as naive UTC.
fn parse_date(raw: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc).naive_utc())
}

fn format_date(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}
