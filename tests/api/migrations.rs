//! Both backends' migrations stay in step and run up, down and up again.

use quire::config::DatabaseUrl;
use quire::db::Db;

use crate::helpers::fresh_database;

fn folder_names(backend: &str) -> Vec<String> {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("migrations")
        .join(backend);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .map(|entry| entry.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|name| !name.starts_with('.'))
        .collect();
    names.sort();
    names
}

#[test]
fn both_backends_have_the_same_migrations() {
    let sqlite = folder_names("sqlite");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, folder_names("postgres"));
}

#[test]
fn migrations_run_up_down_and_up_again() {
    let dir = tempfile::tempdir().unwrap();
    let (raw_url, _pg) = fresh_database(dir.path());
    let url = DatabaseUrl::parse(&raw_url).unwrap();
    let applied = quire::db::run_migrations(&url).unwrap();
    assert_eq!(applied.len(), folder_names("sqlite").len());
    quire::db::revert_all_migrations(&url).unwrap();
    let reapplied = quire::db::run_migrations(&url).unwrap();
    assert_eq!(applied, reapplied);
    let db = Db::connect(&url).unwrap();
    let count = db.run_blocking(quire::domain::posts::count).unwrap();
    assert_eq!(count, 0);
}
