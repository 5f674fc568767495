//! The time, as stored in the database: naive UTC, set in Rust (SQLite and PostgreSQL keep
//! different precisions, so nothing relies on the database's own clock). Everything asks
//! here, so no module needs the application's state to know the time.

/// Now, in UTC without a zone, as every timestamp column stores it.
pub fn now() -> chrono::NaiveDateTime {
    chrono::Utc::now().naive_utc()
}
