//! actix-session's `SessionStore` over our database, so the cookie holds only a random key,
//! logging out deletes the session for good, and sessions work across instances.

use std::cell::Cell;
use std::collections::HashMap;
use std::num::NonZeroUsize;
use std::sync::{Arc, Mutex};

use actix_session::storage::{LoadError, SaveError, SessionKey, SessionStore, UpdateError};
use actix_web::cookie::time::Duration;
use chrono::NaiveDateTime;
use lru::LruCache;

use crate::auth::tokens::{hash_token, random_token};
use crate::clock::now;
use crate::db::Db;
use crate::domain::sessions::{self, SessionFacts};

/// Session state keys with a meaning outside the session itself.
pub mod keys {
    pub const USER_ID: &str = "uid";
    /// The account's session epoch when this session signed in.
    pub const EPOCH: &str = "epoch";
    /// The session's public name (see `domain::sessions`), set at login.
    pub const HANDLE: &str = "sid";
    pub const REMEMBER: &str = "remember";
    pub const DEVICE: &str = "device";
    pub const CSRF: &str = "csrf";
    pub const FLASH: &str = "flash";
}

#[derive(Clone)]
pub struct DbSessionStore {
    db: Db,
    /// When each session recently used here was last noted as seen: most requests of a
    /// signed-in reader then know without a database round trip that "last seen" needs no
    /// write (it is written at most once a minute).
    seen: Arc<Mutex<LruCache<String, NaiveDateTime>>>,
}

/// Sessions whose "last seen" each instance remembers.
const REMEMBERED_SESSIONS: usize = 10_000;

impl DbSessionStore {
    pub fn new(db: Db) -> DbSessionStore {
        let capacity = NonZeroUsize::new(REMEMBERED_SESSIONS).expect("not zero");
        DbSessionStore {
            db,
            seen: Arc::new(Mutex::new(LruCache::new(capacity))),
        }
    }

    fn note_seen(&self, id: &str, at: NaiveDateTime) {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.put(id.to_owned(), at);
    }

    /// Whether this session's "last seen" is recent enough to leave alone at `now`.
    fn seen_lately(&self, id: &str, now: NaiveDateTime) -> bool {
        let mut seen = self.seen.lock().unwrap_or_else(|e| e.into_inner());
        seen.get(id)
            .is_some_and(|at| now - *at < sessions::seen_every())
    }
}

type State = HashMap<String, String>;

tokio::task_local! {
    /// Set when the store failed while serving the request it is scoped to.
    static FAILED: Cell<bool>;
}

/// Runs a request, saying whether the session store failed on its behalf. The store never
/// fails towards actix-session (which would answer with an empty 500): a session it cannot
/// read is no session, one it cannot write is not written, and the request is marked for
/// `web::session::unavailable_when_the_store_fails` to answer 503.
pub async fn watch<T>(request: impl Future<Output = T>) -> (T, bool) {
    FAILED
        .scope(Cell::new(false), async move {
            let outcome = request.await;
            (outcome, FAILED.with(Cell::get))
        })
        .await
}

fn failed(operation: &str, error: impl std::fmt::Display) {
    tracing::error!(%error, operation, "the session store could not reach the database");
    let _ = FAILED.try_with(|failed| failed.set(true));
}

/// The columns a session row keeps beside its state (actix-session stores values as JSON).
fn facts(state: &State) -> SessionFacts {
    fn json<T: serde::de::DeserializeOwned>(state: &State, key: &str) -> Option<T> {
        state.get(key).and_then(|v| serde_json::from_str(v).ok())
    }
    SessionFacts {
        user_id: json(state, keys::USER_ID),
        handle: json(state, keys::HANDLE).unwrap_or_default(),
        device: json(state, keys::DEVICE).unwrap_or_default(),
        remember: json(state, keys::REMEMBER).unwrap_or(false),
    }
}

fn session_key(raw: String) -> anyhow::Result<SessionKey> {
    SessionKey::try_from(raw).map_err(|e| anyhow::anyhow!("invalid session key: {e}"))
}

impl SessionStore for DbSessionStore {
    async fn load(&self, session_key: &SessionKey) -> Result<Option<State>, LoadError> {
        let id = hash_token(session_key.as_ref());
        let key = id.clone();
        let row = match self
            .db
            .run(move |conn| sessions::find_live(conn, &key, now()))
            .await
        {
            Ok(row) => row,
            Err(error) => {
                failed("load", error);
                None
            }
        };
        if let Some(row) = &row {
            self.note_seen(&id, row.last_seen_at);
        }
        row.map(|row| serde_json::from_str(&row.state))
            .transpose()
            .map_err(|e| LoadError::Deserialization(e.into()))
    }

    async fn save(&self, state: State, _ttl: &Duration) -> Result<SessionKey, SaveError> {
        let key = random_token();
        let id = hash_token(&key);
        let json = serde_json::to_string(&state).map_err(|e| SaveError::Serialization(e.into()))?;
        let stored = self
            .db
            .run(move |conn| sessions::insert(conn, &id, &json, &facts(&state), now()))
            .await;
        if let Err(error) = stored {
            // The key handed out opens nothing: no row was written under it.
            failed("save", error);
        }
        session_key(key).map_err(SaveError::Other)
    }

    async fn update(
        &self,
        session_key: SessionKey,
        state: State,
        _ttl: &Duration,
    ) -> Result<SessionKey, UpdateError> {
        let id = hash_token(session_key.as_ref());
        let json =
            serde_json::to_string(&state).map_err(|e| UpdateError::Serialization(e.into()))?;
        let session_facts = facts(&state);
        let updated = match self
            .db
            .run(move |conn| sessions::update(conn, &id, &json, &session_facts, now()))
            .await
        {
            Ok(updated) => updated,
            Err(error) => {
                failed("update", error);
                return Ok(session_key);
            }
        };
        if !updated {
            // The session ended while this request was under way (signed out everywhere,
            // password changed, suspended, or expired). It stays ended: nothing is stored,
            // and the next request with this key finds no session.
            tracing::debug!("a session ended during its request; its state was dropped");
        }
        Ok(session_key)
    }

    async fn update_ttl(&self, session_key: &SessionKey, _ttl: &Duration) -> anyhow::Result<()> {
        let id = hash_token(session_key.as_ref());
        let now = now();
        if self.seen_lately(&id, now) {
            return Ok(());
        }
        let key = id.clone();
        // Only "last seen" is lost when this fails; the page itself was fine.
        match self
            .db
            .run(move |conn| sessions::touch(conn, &key, now))
            .await
        {
            Ok(Some(seen)) => self.note_seen(&id, seen),
            Ok(None) => {}
            Err(error) => tracing::warn!(%error, "could not note when a session was last used"),
        }
        Ok(())
    }

    async fn delete(&self, session_key: &SessionKey) -> anyhow::Result<()> {
        let id = hash_token(session_key.as_ref());
        if let Err(error) = self.db.run(move |conn| sessions::delete(conn, &id)).await {
            failed("delete", error);
        }
        Ok(())
    }
}
