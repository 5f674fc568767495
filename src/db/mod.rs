//! Database access: one connection type over SQLite and PostgreSQL, the pool, migrations.
//!
//! This is the only module that looks at which backend is in use.

pub mod schema;
pub mod search;

/// Gives an enum its stored text: `ALL`, `as_str`, `parse` (exact), `Display`, and diesel's
/// `ToSql`/`FromSql` as `Text` on both backends. A stored value that names no variant is an
/// error when read, never a silent default. The enum derives `AsExpression` and
/// `FromSqlRow` with `sql_type = Text` itself, so its definition stays readable.
macro_rules! stored_as_text {
    ($name:ident { $($variant:ident => $text:literal),+ $(,)? }) => {
        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn as_str(self) -> &'static str {
                match self {
                    $($name::$variant => $text),+
                }
            }

            /// The variant written exactly as `raw`, if any.
            pub fn parse(raw: &str) -> Option<$name> {
                match raw {
                    $($text => Some($name::$variant),)+
                    _ => None,
                }
            }
        }

        impl std::fmt::Display for $name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        $crate::db::stored_as_text!(@backend $name, $crate::db::MultiBackend);
        $crate::db::stored_as_text!(@backend $name, diesel::sqlite::Sqlite);
        $crate::db::stored_as_text!(@backend $name, diesel::pg::Pg);
    };
    // Diesel asks each backend for the conversion when a whole row struct is inserted.
    (@backend $name:ident, $backend:ty) => {
        impl diesel::serialize::ToSql<diesel::sql_types::Text, $backend> for $name {
            fn to_sql<'b>(
                &'b self,
                out: &mut diesel::serialize::Output<'b, '_, $backend>,
            ) -> diesel::serialize::Result {
                <str as diesel::serialize::ToSql<diesel::sql_types::Text, $backend>>::to_sql(
                    self.as_str(),
                    out,
                )
            }
        }

        impl diesel::deserialize::FromSql<diesel::sql_types::Text, $backend> for $name {
            fn from_sql(
                bytes: <$backend as diesel::backend::Backend>::RawValue<'_>,
            ) -> diesel::deserialize::Result<Self> {
                let text =
                    <String as diesel::deserialize::FromSql<diesel::sql_types::Text, $backend>>::from_sql(
                        bytes,
                    )?;
                $name::parse(&text).ok_or_else(|| {
                    format!(concat!("unknown ", stringify!($name), " stored: {:?}"), text).into()
                })
            }
        }
    };
}
pub(crate) use stored_as_text;

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use actix_web::web;
use diesel::connection::{AnsiTransactionManager, SimpleConnection, TransactionManager};
use diesel::prelude::*;
use diesel::r2d2::{self, ManageConnection, Pool};
use diesel_migrations::{EmbeddedMigrations, MigrationHarness, embed_migrations};

use crate::config::DatabaseUrl;
use crate::error::AppError;

const SQLITE_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/sqlite");
const POSTGRES_MIGRATIONS: EmbeddedMigrations = embed_migrations!("migrations/postgres");

/// A connection to either backend; query code takes `&mut DbConn` and runs on both.
#[derive(diesel::MultiConnection)]
pub enum DbConn {
    Postgresql(PgConnection),
    Sqlite(SqliteConnection),
}

/// Opens connections for the pool, choosing the backend by the URL's scheme rather than by
/// trial (diesel's derived `establish` hides the real PostgreSQL error behind a generic one).
#[derive(Debug, Clone)]
pub struct Manager {
    url: DatabaseUrl,
}

impl ManageConnection for Manager {
    type Connection = DbConn;
    type Error = r2d2::Error;

    fn connect(&self) -> Result<DbConn, r2d2::Error> {
        establish(&self.url).map_err(r2d2::Error::ConnectionError)
    }

    fn is_valid(&self, conn: &mut DbConn) -> Result<(), r2d2::Error> {
        conn.batch_execute("SELECT 1")
            .map_err(r2d2::Error::QueryError)
    }

    fn has_broken(&self, _conn: &mut DbConn) -> bool {
        false
    }
}

/// Initialises OpenSSL (linked in for libpq) without its exit-time cleanup. Call it before
/// anything else uses OpenSSL: that cleanup could free what a pool thread still uses while
/// the process exits, crashing it ("double free or corruption"). `establish` calls it, as do
/// the binary at start and the tests before their own PostgreSQL connections.
pub fn prepare_tls() {
    openssl_sys::init();
}

/// Opens one connection, with SQLite's pragmas applied.
pub fn establish(url: &DatabaseUrl) -> ConnectionResult<DbConn> {
    match url {
        DatabaseUrl::Postgres(url) => {
            prepare_tls();
            let mut conn = PgConnection::establish(url)?;
            // Like SQLite's busy timeout: a write that cannot get its lock within five
            // seconds fails (and is answered 503) instead of holding a request forever.
            conn.batch_execute("SET lock_timeout = '5s'")
                .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
            Ok(DbConn::Postgresql(conn))
        }
        DatabaseUrl::Sqlite(path) => {
            let mut conn = SqliteConnection::establish(&path.to_string_lossy())?;
            // One pragma per statement, busy_timeout first, as SQLite applies them in order.
            for pragma in [
                "PRAGMA busy_timeout = 5000",
                "PRAGMA journal_mode = WAL",
                "PRAGMA synchronous = NORMAL",
                "PRAGMA foreign_keys = ON",
            ] {
                conn.batch_execute(pragma)
                    .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
            }
            Ok(DbConn::Sqlite(conn))
        }
    }
}

/// Applies every pending migration of the URL's backend; returns the versions applied.
pub fn run_migrations(url: &DatabaseUrl) -> anyhow::Result<Vec<String>> {
    let mut conn = establish(url)?;
    let applied = match &mut conn {
        DbConn::Postgresql(c) => c.run_pending_migrations(POSTGRES_MIGRATIONS),
        DbConn::Sqlite(c) => c.run_pending_migrations(SQLITE_MIGRATIONS),
    }
    .map_err(|e| anyhow::anyhow!("migrations failed: {e}"))?;
    Ok(applied.into_iter().map(|v| v.to_string()).collect())
}

/// Reverts every migration, newest first (used by the migration round-trip test).
pub fn revert_all_migrations(url: &DatabaseUrl) -> anyhow::Result<()> {
    let mut conn = establish(url)?;
    match &mut conn {
        DbConn::Postgresql(c) => c.revert_all_migrations(POSTGRES_MIGRATIONS).map(drop),
        DbConn::Sqlite(c) => c.revert_all_migrations(SQLITE_MIGRATIONS).map(drop),
    }
    .map_err(|e| anyhow::anyhow!("reverting migrations failed: {e}"))
}

/// `%text%`, lowercased, with LIKE's wildcards in `text` taken literally (use with
/// `ESCAPE '\'`), for case-insensitive "contains" searches on both backends.
pub fn like_pattern(text: &str) -> String {
    let mut pattern = String::from("%");
    for c in text.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// Counts committed write transactions in this process, so caches can tell that what they
/// hold may be out of date without asking the database.
static WRITE_GENERATION: AtomicU64 = AtomicU64::new(0);

pub fn write_generation() -> u64 {
    WRITE_GENERATION.load(Ordering::Acquire)
}

pub(crate) fn bump_write_generation() {
    WRITE_GENERATION.fetch_add(1, Ordering::AcqRel);
}

/// Runs `f` in a write transaction; every write goes through here (or through
/// `private_transaction`). On SQLite it starts with `BEGIN IMMEDIATE`, so a transaction that
/// reads before it writes waits for the lock instead of failing with SQLITE_BUSY half-way; on
/// PostgreSQL it is an ordinary transaction. Committing the outermost transaction tells the
/// caches that what readers see may have changed; nested calls leave that to it.
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    let outermost = !in_transaction(conn);
    let outcome = begin_write(conn, f);
    if outcome.is_ok() && outermost {
        bump_write_generation();
    }
    outcome
}

/// A write transaction for data no public page shows (sessions' owners, mailed tokens, the
/// outbox, members' accounts): like `write_transaction`, but the page cache is left alone,
/// including by the domain functions `f` calls, which nest inside it.
pub fn private_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    begin_write(conn, f)
}

/// Whether `conn` is inside a transaction already.
fn in_transaction(conn: &mut DbConn) -> bool {
    let status = match conn {
        DbConn::Sqlite(c) => AnsiTransactionManager::transaction_manager_status_mut(c),
        DbConn::Postgresql(c) => AnsiTransactionManager::transaction_manager_status_mut(c),
    };
    status
        .transaction_depth()
        .is_ok_and(|depth| depth.is_some())
}

fn begin_write<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    // Inside an outer transaction the lock is already held: nest with a savepoint.
    if in_transaction(conn) {
        return conn.transaction(f);
    }
    let DbConn::Sqlite(sqlite) = conn else {
        return conn.transaction(f);
    };
    AnsiTransactionManager::begin_transaction_sql(sqlite, "BEGIN IMMEDIATE")?;
    let outcome = f(conn);
    let DbConn::Sqlite(sqlite) = conn else {
        unreachable!("the connection's backend cannot change inside a transaction")
    };
    match outcome {
        Ok(value) => {
            AnsiTransactionManager::commit_transaction(sqlite)?;
            Ok(value)
        }
        Err(error) => {
            AnsiTransactionManager::rollback_transaction(sqlite)?;
            Err(error)
        }
    }
}

/// The connection pool, and the one way handlers reach the database: off the async executor.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
}

impl Db {
    /// Builds the pool. SQLite gets few connections (one writer at a time anyway);
    /// PostgreSQL gets one per blocking thread we expect to be busy.
    pub fn connect(url: &DatabaseUrl) -> anyhow::Result<Db> {
        let max_size = match url {
            DatabaseUrl::Sqlite(_) => 8,
            DatabaseUrl::Postgres(_) => 16,
        };
        let pool = Pool::builder()
            .max_size(max_size)
            .min_idle(Some(1))
            .connection_timeout(Duration::from_secs(5))
            .build(Manager { url: url.clone() })
            .map_err(|e| anyhow::anyhow!("cannot connect to the database: {e}"))?;
        Ok(Db { pool })
    }

    /// Runs blocking database work on actix's blocking pool.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Into<AppError> + Send + 'static,
    {
        let pool = self.pool.clone();
        web::block(move || {
            let mut conn = pool.get().map_err(AppError::from)?;
            f(&mut conn).map_err(Into::into)
        })
        .await
        .map_err(|e| AppError::Internal(anyhow::anyhow!("blocking task failed: {e}")))?
    }

    /// Runs database work on the current thread, keeping the caller's own error type (for
    /// long jobs such as imports, whose errors say more than `AppError` can).
    pub fn with_connection<T, E, F>(&self, f: F) -> Result<T, E>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: From<AppError>,
    {
        let mut conn = self.pool.get().map_err(AppError::from)?;
        f(&mut conn)
    }

    /// Runs database work on the current thread (for the CLI and start-up).
    pub fn run_blocking<T, E, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: Into<AppError>,
    {
        let mut conn = self.pool.get().map_err(AppError::from)?;
        f(&mut conn).map_err(Into::into)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Without the query planner stability guarantee, SQLite re-plans every statement with a
    /// bound LIMIT each time it runs (see `.cargo/config.toml`).
    #[test]
    fn sqlite_keeps_its_plans() {
        #[derive(QueryableByName)]
        struct CompileOption {
            #[diesel(sql_type = diesel::sql_types::Text)]
            compile_options: String,
        }
        let mut conn = SqliteConnection::establish(":memory:").unwrap();
        let options: Vec<CompileOption> = diesel::sql_query("PRAGMA compile_options")
            .load(&mut conn)
            .unwrap();
        assert!(
            options.iter().any(|o| o.compile_options == "ENABLE_QPSG"),
            "SQLite was built without SQLITE_ENABLE_QPSG"
        );
    }

    #[test]
    fn like_patterns_take_wildcards_literally() {
        assert_eq!(like_pattern("Fast"), "%fast%");
        assert_eq!(like_pattern("100%_"), "%100\\%\\_%");
        assert_eq!(like_pattern("a\\b"), "%a\\\\b%");
    }
}
