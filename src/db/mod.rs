//! Database access: one connection type over SQLite and PostgreSQL, the pool, migrations.
//!
//! This is the only module that looks at which backend is in use.

pub mod schema;
pub mod search;

/// Declares an enum stored as text, each variant with its stored word:
///
/// ```ignore
/// stored_as_text! {
///     /// Docs and extra derives go here.
///     pub enum PostKind {
///         Post => "post",
///         Page => "page",
///     }
/// }
/// ```
///
/// The enum gets the usual derives (`Debug`, `Clone`, `Copy`, `PartialEq`, `Eq`, `Hash`),
/// `ALL`, `as_str`, `parse` (exact), `Display`, and diesel's `ToSql`/`FromSql` as `Text` on
/// both backends. A stored value that names no variant is an error when read, never a
/// silent default.
macro_rules! stored_as_text {
    (
        $(#[$meta:meta])*
        $vis:vis enum $name:ident {
            $($(#[$variant_meta:meta])* $variant:ident => $text:literal),+ $(,)?
        }
    ) => {
        $(#[$meta])*
        #[derive(
            Debug,
            Clone,
            Copy,
            PartialEq,
            Eq,
            Hash,
            diesel::expression::AsExpression,
            diesel::deserialize::FromSqlRow,
        )]
        #[diesel(sql_type = diesel::sql_types::Text)]
        $vis enum $name {
            $($(#[$variant_meta])* $variant),+
        }

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

use std::sync::{Arc, OnceLock};
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

/// Runs `f` in a write transaction. On SQLite it starts with `BEGIN IMMEDIATE`, so a
/// transaction that reads before it writes waits for the lock instead of failing with
/// SQLITE_BUSY half-way; on PostgreSQL it is an ordinary transaction. Inside an outer
/// transaction it nests as a savepoint.
///
/// Writes to the publication go through `domain::write::transaction`, which uses this and
/// records what they touched; this alone serves the bookkeeping no reader's page shows
/// (session rows, mailed tokens, the job queue's own state).
pub fn write_transaction<T, E, F>(conn: &mut DbConn, f: F) -> Result<T, E>
where
    F: FnOnce(&mut DbConn) -> Result<T, E>,
    E: From<diesel::result::Error>,
{
    begin_write(conn, f)
}

/// What the write transactions a thread committed asked for once committed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Committed {
    /// Changes to what readers see were recorded: caches in this process should catch up.
    pub changes: bool,
    /// Jobs were queued: workers should look.
    pub jobs: bool,
}

thread_local! {
    /// Set by `domain::write::transaction` when its outermost transaction commits, and read
    /// by `Db` once the closure that ran it returns, on the same thread.
    static COMMITTED: std::cell::Cell<Committed> = const {
        std::cell::Cell::new(Committed { changes: false, jobs: false })
    };
}

/// Notes, for this thread's `Db` call, that a transaction committed changes or jobs.
pub(crate) fn committed(changes: bool, jobs: bool) {
    COMMITTED.with(|c| {
        let seen = c.get();
        c.set(Committed {
            changes: seen.changes || changes,
            jobs: seen.jobs || jobs,
        });
    });
}

fn take_committed() -> Committed {
    COMMITTED.with(|c| c.replace(Committed::default()))
}

/// What runs in this process after a `Db` call committed changes or jobs: the caches catch
/// up with the changes table, and the job workers look for work.
pub trait AfterCommit: Send + Sync {
    fn after_commit(&self, conn: &mut DbConn, committed: Committed);
}

/// PostgreSQL only: makes writers that record changes take turns, from this point to their
/// commit, so the `changes` table's ids are handed out in commit order (a reader that has
/// seen id 10 can never later find a 9). SQLite writers take turns anyway.
pub fn serialise_change_records(conn: &mut DbConn) -> QueryResult<()> {
    match conn {
        DbConn::Postgresql(pg) => pg
            .batch_execute("SELECT pg_advisory_xact_lock(7305001)")
            .map(drop),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// PostgreSQL only: makes one person's writes of a kind take turns until the transaction
/// ends (a check then an insert, such as "the same comment again?", cannot interleave with
/// a second request's). SQLite's writers take turns anyway.
pub fn one_at_a_time_for(conn: &mut DbConn, user_id: i64) -> QueryResult<()> {
    match conn {
        DbConn::Postgresql(pg) => pg
            .batch_execute(&format!(
                "SELECT 1 FROM users WHERE id = {} FOR UPDATE",
                user_id
            ))
            .map(drop),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// PostgreSQL only: holds the post's row until the transaction ends, so a check of its
/// version and what follows cannot interleave with a save (which updates that row). SQLite's
/// writers take turns anyway.
pub fn lock_post(conn: &mut DbConn, post_id: i64) -> QueryResult<()> {
    match conn {
        DbConn::Postgresql(pg) => pg
            .batch_execute(&format!(
                "SELECT 1 FROM posts WHERE id = {post_id} FOR UPDATE"
            ))
            .map(drop),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// Like `one_at_a_time_for`, for something with no row of its own (a guest's mailbox):
/// a transaction-scoped advisory lock on `key` on PostgreSQL; SQLite's writers take turns.
pub fn one_at_a_time_for_key(conn: &mut DbConn, key: i64) -> QueryResult<()> {
    match conn {
        DbConn::Postgresql(pg) => pg
            .batch_execute(&format!("SELECT pg_advisory_xact_lock({key})"))
            .map(drop),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// How a claim's subquery locks the row it picks: PostgreSQL skips rows other workers are
/// claiming at that moment; SQLite's writers take turns, so it needs nothing.
pub fn skip_locked(conn: &mut DbConn) -> &'static str {
    match conn {
        DbConn::Postgresql(_) => " FOR UPDATE SKIP LOCKED",
        DbConn::Sqlite(_) => "",
    }
}

/// The channels other instances listen on (PostgreSQL only).
pub mod channels {
    pub const CHANGES: &str = "quire_changes";
    pub const JOBS: &str = "quire_jobs";
}

/// PostgreSQL only: wakes every instance listening on `channel` once this transaction
/// commits (see `db::listen`). SQLite has no other instance to wake.
pub fn notify(conn: &mut DbConn, channel: &'static str) -> QueryResult<()> {
    match conn {
        DbConn::Postgresql(pg) => pg.batch_execute(&format!("NOTIFY {channel}")).map(drop),
        DbConn::Sqlite(_) => Ok(()),
    }
}

/// What a listening instance heard.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Heard {
    /// Another instance recorded changes (`channels::CHANGES`).
    Changes,
    /// Another instance queued jobs (`channels::JOBS`).
    Jobs,
    /// The connection was lost and made again: whatever was sent meanwhile is gone.
    Reconnected,
}

/// How often the listening connection looks for notifications that arrived. Reading them
/// costs no query: libpq only looks at what the socket received.
const LISTEN_POLL: Duration = Duration::from_millis(50);

/// PostgreSQL only: a thread with its own connection, LISTENing on the channels, calling
/// `heard` for each notification, until `keep_going` says stop. Does nothing on SQLite,
/// whose one machine has no other instance to hear from.
pub fn listen(
    url: &DatabaseUrl,
    keep_going: impl Fn() -> bool + Send + 'static,
    heard: impl Fn(Heard) + Send + 'static,
) {
    let DatabaseUrl::Postgres(raw) = url else {
        return;
    };
    let raw = raw.clone();
    let spawned = std::thread::Builder::new()
        .name("quire-listen".into())
        .spawn(move || {
            let mut connected: Option<PgConnection> = None;
            let mut first = true;
            while keep_going() {
                let Some(conn) = connected.as_mut() else {
                    prepare_tls();
                    match PgConnection::establish(&raw).and_then(|mut conn| {
                        conn.batch_execute(&format!(
                            "LISTEN {}; LISTEN {}",
                            channels::CHANGES,
                            channels::JOBS
                        ))
                        .map_err(|e| ConnectionError::BadConnection(e.to_string()))?;
                        Ok(conn)
                    }) {
                        Ok(conn) => {
                            connected = Some(conn);
                            if !first {
                                heard(Heard::Reconnected);
                            }
                            first = false;
                        }
                        Err(error) => {
                            tracing::warn!(%error, "cannot listen for other instances' changes");
                            std::thread::sleep(Duration::from_secs(1));
                        }
                    }
                    continue;
                };
                let mut lost = false;
                for notification in conn.notifications_iter() {
                    match notification {
                        Ok(n) if n.channel == channels::CHANGES => heard(Heard::Changes),
                        Ok(n) if n.channel == channels::JOBS => heard(Heard::Jobs),
                        Ok(_) => {}
                        Err(error) => {
                            tracing::warn!(%error, "lost the listening connection");
                            lost = true;
                            break;
                        }
                    }
                }
                if lost {
                    connected = None;
                } else {
                    std::thread::sleep(LISTEN_POLL);
                }
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot start listening for other instances' changes");
    }
}

/// Whether `conn` is inside a transaction already.
pub fn in_transaction(conn: &mut DbConn) -> bool {
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
/// After work that committed changes or jobs, the `AfterCommit` hook runs on the same
/// connection, so this process's caches show a write on the very next request.
#[derive(Clone)]
pub struct Db {
    pool: Pool<Manager>,
    url: DatabaseUrl,
    after: Arc<OnceLock<Arc<dyn AfterCommit>>>,
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
        Ok(Db {
            pool,
            url: url.clone(),
            after: Arc::new(OnceLock::new()),
        })
    }

    /// Sets what runs after committed changes or jobs (once, at start-up).
    pub fn set_after_commit(&self, hook: Arc<dyn AfterCommit>) {
        let _ = self.after.set(hook);
    }

    pub fn url(&self) -> &DatabaseUrl {
        &self.url
    }

    /// Runs `f` on a pooled connection on the current thread, then the after-commit hook.
    fn on_this_thread<T, E>(&self, f: impl FnOnce(&mut DbConn) -> Result<T, E>) -> Result<T, E>
    where
        E: From<AppError>,
    {
        let mut conn = self.pool.get().map_err(AppError::from)?;
        take_committed();
        let outcome = f(&mut conn);
        let committed = take_committed();
        if committed != Committed::default()
            && let Some(hook) = self.after.get()
        {
            hook.after_commit(&mut conn, committed);
        }
        outcome
    }

    /// Runs blocking database work on actix's blocking pool.
    pub async fn run<T, E, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E> + Send + 'static,
        T: Send + 'static,
        E: Into<AppError> + Send + 'static,
    {
        let db = self.clone();
        web::block(move || db.on_this_thread(|conn| f(conn).map_err(Into::into)))
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
        self.on_this_thread(f)
    }

    /// Runs database work on the current thread (for the CLI and start-up).
    pub fn run_blocking<T, E, F>(&self, f: F) -> Result<T, AppError>
    where
        F: FnOnce(&mut DbConn) -> Result<T, E>,
        E: Into<AppError>,
    {
        self.on_this_thread(|conn| f(conn).map_err(Into::into))
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
