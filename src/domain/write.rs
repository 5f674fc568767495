//! The one door every write goes through.
//!
//! A use case takes the `Actor` and a plain input, parses the input with the one parser for
//! it, and runs `transaction`: the rows, the audit entry, the jobs the change causes and the
//! record of what it touched (`domain::changes`) all commit together or not at all. What a
//! use case refuses comes back as a `WriteError` the caller maps to its own answer (a form
//! again with its messages, a 403 page, a line on the command line, a JSON error).

use chrono::NaiveDateTime;

use crate::auth::permissions::Permission;
use crate::db::{self, DbConn};
use crate::domain::audit::{self, Object};
use crate::domain::changes::{self, Touched};
use crate::domain::input::FieldErrors;
use crate::domain::users::{Role, User};

/// Who is acting: a signed-in person, or the operator at the command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    /// `None` for the command line.
    pub id: Option<i64>,
    pub name: String,
    pub role: Role,
}

impl Actor {
    pub fn of(user: &User) -> Actor {
        Actor {
            id: Some(user.id),
            name: user.display_name.clone(),
            role: user.role,
        }
    }

    /// Someone not signed in: signing up, asking for a reset link.
    pub fn visitor() -> Actor {
        Actor {
            id: None,
            name: "Visitor".into(),
            role: Role::Member,
        }
    }

    /// Whoever runs `quire` on the server (imports, `create-user`): they hold the database
    /// and the secret key already, so they act with the owner's powers, under no account.
    pub fn command_line() -> Actor {
        Actor {
            id: None,
            name: "Command line".into(),
            role: Role::Owner,
        }
    }

    pub fn can(&self, permission: Permission) -> bool {
        self.role.can(permission)
    }

    /// Refuses unless the actor's role grants `permission`; `what` completes "Your role
    /// does not allow you to …".
    pub fn require(&self, permission: Permission, what: &str) -> Result<(), WriteError> {
        if self.can(permission) {
            Ok(())
        } else {
            Err(WriteError::forbidden(what))
        }
    }

    /// Whether the actor is this account.
    pub fn is(&self, user_id: i64) -> bool {
        self.id == Some(user_id)
    }
}

/// Why a write did not happen.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The input is not acceptable; each message belongs to a field.
    #[error("{0}")]
    Invalid(FieldErrors),
    /// The actor may not do this.
    #[error("{0}")]
    Forbidden(String),
    #[error("it no longer exists")]
    NotFound,
    /// Someone else changed it since the actor last saw it.
    #[error("it was changed by someone else since it was opened")]
    Conflict,
    #[error(transparent)]
    Database(#[from] diesel::result::Error),
}

impl WriteError {
    /// A refusal the role matrix makes, naming what was refused.
    pub fn forbidden(what: &str) -> WriteError {
        WriteError::Forbidden(format!("Your role does not allow you to {what}."))
    }

    /// A single field's problem.
    pub fn invalid(field: &'static str, message: impl ToString) -> WriteError {
        let mut errors = FieldErrors::default();
        errors.add(field, message);
        WriteError::Invalid(errors)
    }
}

impl From<FieldErrors> for WriteError {
    fn from(errors: FieldErrors) -> WriteError {
        WriteError::Invalid(errors)
    }
}

/// A write under way: the connection inside the transaction, and what the write touched,
/// which is recorded as the transaction's last statement.
pub struct Tx<'c> {
    /// The connection, inside the transaction.
    pub conn: &'c mut DbConn,
    pub actor: &'c Actor,
    /// When the write happens: every timestamp it stores.
    pub now: NaiveDateTime,
    touched: Vec<Touched>,
    enqueued: bool,
}

impl Tx<'_> {
    /// Notes that readers' pages showing `what` must be made again.
    pub fn touch(&mut self, what: Touched) {
        if !self.touched.contains(&what) {
            self.touched.push(what);
        }
    }

    /// Records in the audit log that the actor did `action` to `object`.
    pub fn audit(
        &mut self,
        action: &str,
        object: (Object, Option<i64>),
        summary: &str,
    ) -> Result<(), WriteError> {
        audit::record(self.conn, self.actor, action, object, summary, self.now)?;
        Ok(())
    }

    /// Puts a job in the queue; it runs once the transaction commits, never if it rolls back.
    /// An idempotency key already queued is left as it is.
    pub fn enqueue<J: crate::jobs::Job>(&mut self, job: &J, key: &str) -> Result<(), WriteError> {
        crate::jobs::enqueue(self.conn, job, key, self.now)?;
        self.enqueued = true;
        Ok(())
    }

    /// `enqueue`, due at `due`.
    pub fn enqueue_at<J: crate::jobs::Job>(
        &mut self,
        job: &J,
        key: &str,
        due: NaiveDateTime,
    ) -> Result<(), WriteError> {
        crate::jobs::queue::enqueue_at(self.conn, job, key, due, self.now)?;
        self.enqueued = true;
        Ok(())
    }

    /// Notes that a job became due here some other way (a failed one queued again), so this
    /// instance's workers wake when the transaction commits.
    pub fn jobs_due(&mut self) {
        self.enqueued = true;
    }

    /// Queues a message for delivery once the transaction commits.
    pub fn mail(&mut self, mail: &crate::mail::Mail) -> Result<(), WriteError> {
        let key = format!("mail:{}", crate::auth::tokens::random_token());
        self.enqueue(mail, &key)
    }
}

/// Runs `write` in one write transaction (`db::write_transaction`) and, before committing,
/// records what it touched. Nested calls join the outer transaction.
pub fn transaction<T>(
    conn: &mut DbConn,
    actor: &Actor,
    now: NaiveDateTime,
    write: impl FnOnce(&mut Tx<'_>) -> Result<T, WriteError>,
) -> Result<T, WriteError> {
    let outermost = !db::in_transaction(conn);
    let (value, touched, enqueued) = db::write_transaction(conn, |conn| {
        let mut tx = Tx {
            conn,
            actor,
            now,
            touched: Vec::new(),
            enqueued: false,
        };
        let value = write(&mut tx)?;
        let Tx {
            touched, enqueued, ..
        } = tx;
        // When readers' pages changed: now, whatever date the write gives its rows (an
        // import or a backdated post keeps its own).
        changes::record(conn, &touched, crate::clock::now())?;
        Ok::<_, WriteError>((value, !touched.is_empty(), enqueued))
    })?;
    if outermost {
        db::committed(touched, enqueued);
    }
    Ok(value)
}
