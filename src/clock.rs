//! The time, as stored in the database: naive UTC, set in Rust (SQLite and PostgreSQL keep
//! different precisions, so nothing relies on the database's own clock). Everything asks
//! here, so no module needs the application's state to know the time.

/// Now, in UTC without a zone, as every timestamp column stores it.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}

/// An instant as RFC 3339 in UTC (`2024-01-31T10:00:00Z`), as every API answer and webhook
/// writes it.
pub fn moment(at: chrono::NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}
