//! Moving a publication in and out: `quire import` and `quire export`.
//!
//! Each format has a reader turning it into a stream of [`source::Item`]s; one pipeline
//! ([`import`]) checks and writes them through the domain's use cases.

pub mod archive;
pub mod export;
pub mod format;
mod ghost;
mod html;
pub mod import;
pub mod job;
mod markdown_folder;
pub mod media;
mod quire_json;
pub mod source;
mod wordpress;
pub mod wxr_export;

pub use export::export;
pub use import::{ImportError, ImportReport, Options, Progress, import};

use chrono::{DateTime, NaiveDateTime, SecondsFormat, Utc};

use import::ImportError as Error;
use source::Source;

/// Dates in files are RFC 3339 (`2026-11-21T09:30:00Z`), stored as naive UTC.
fn parse_date(raw: &str) -> Option<NaiveDateTime> {
    DateTime::parse_from_rfc3339(raw.trim())
        .ok()
        .map(|d| d.with_timezone(&Utc).naive_utc())
}

fn format_date(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(SecondsFormat::Micros, true)
}

/// A JSON file: Quire's own (it names its format) or a Ghost export (it has `db` or `data`).
fn json_source(path: &std::path::Path) -> Result<Box<dyn Source>, Error> {
    #[derive(serde::Deserialize)]
    struct Probe {
        format: Option<serde::de::IgnoredAny>,
        db: Option<serde::de::IgnoredAny>,
        data: Option<serde::de::IgnoredAny>,
    }
    let shown = path.display().to_string();
    let bytes = std::fs::read(path).map_err(|e| Error::Read {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let probe: Probe = serde_json::from_slice(&bytes).map_err(|e| Error::Malformed {
        path: shown.clone(),
        message: format!("not a Quire JSON file or Ghost export ({e})"),
    })?;
    if probe.format.is_some() {
        Ok(Box::new(quire_json::QuireFile::parse(&shown, &bytes)?))
    } else if probe.db.is_some() || probe.data.is_some() {
        Ok(Box::new(ghost::GhostExport::parse(&shown, &bytes)?))
    } else {
        Err(Error::Malformed {
            path: shown,
            message: format!(
                "a JSON file, but neither a Quire nor a Ghost export; Quire reads {}",
                source::FORMATS
            ),
        })
    }
}
