//! Single-use links sent by mail: confirm an account, reset a password, accept an invitation,
//! confirm a new email address. Only a hash of each token is stored; using one marks it
//! used, and a used or expired token opens nothing.

use chrono::{Duration, NaiveDateTime};
use diesel::prelude::*;

use crate::auth::tokens::{hash_token, random_token};
use crate::db::schema::account_tokens;
use crate::db::{DbConn, stored_as_text};

stored_as_text! {
    pub enum Purpose {
        Confirm => "confirm",
        Reset => "reset",
        Invite => "invite",
        ChangeEmail => "email",
        SignIn => "sign-in",
    }
}

impl Purpose {
    /// How long a link stays valid.
    pub fn lifetime(self) -> Duration {
        match self {
            Purpose::SignIn => Duration::minutes(15),
            Purpose::Reset => Duration::hours(1),
            Purpose::Confirm | Purpose::ChangeEmail => Duration::hours(24),
            Purpose::Invite => Duration::days(7),
        }
    }
}

/// What a valid token stands for.
#[derive(Debug, Clone)]
pub struct Redeemed {
    pub user_id: i64,
    /// Extra data: the new address for an email change.
    pub payload: String,
}

/// Issues a token, replacing any unused one of the same purpose for the user (so only the
/// newest link works). Returns the secret to put in the link.
pub fn issue(
    conn: &mut DbConn,
    user_id: i64,
    purpose: Purpose,
    payload: &str,
    now: NaiveDateTime,
) -> QueryResult<String> {
    let token = random_token();
    diesel::delete(
        account_tokens::table
            .filter(account_tokens::user_id.eq(user_id))
            .filter(account_tokens::purpose.eq(purpose))
            .filter(account_tokens::used_at.is_null()),
    )
    .execute(conn)?;
    diesel::insert_into(account_tokens::table)
        .values((
            account_tokens::token_hash.eq(hash_token(&token)),
            account_tokens::purpose.eq(purpose),
            account_tokens::user_id.eq(user_id),
            account_tokens::payload.eq(payload),
            account_tokens::created_at.eq(now),
            account_tokens::expires_at.eq(now + purpose.lifetime()),
        ))
        .execute(conn)?;
    Ok(token)
}

/// What an unused, unexpired token stands for, without using it up (to show a form).
pub fn peek(
    conn: &mut DbConn,
    token: &str,
    purpose: Purpose,
    now: NaiveDateTime,
) -> QueryResult<Option<Redeemed>> {
    account_tokens::table
        .filter(account_tokens::token_hash.eq(hash_token(token)))
        .filter(account_tokens::purpose.eq(purpose))
        .filter(account_tokens::used_at.is_null())
        .filter(account_tokens::expires_at.gt(now))
        .select((account_tokens::user_id, account_tokens::payload))
        .first::<(i64, String)>(conn)
        .optional()
        .map(|found| found.map(|(user_id, payload)| Redeemed { user_id, payload }))
}

/// Uses a token up. Call inside the transaction that acts on it: the conditional update
/// means two requests racing with the same link cannot both succeed.
pub fn redeem(
    conn: &mut DbConn,
    token: &str,
    purpose: Purpose,
    now: NaiveDateTime,
) -> QueryResult<Option<Redeemed>> {
    let Some(found) = peek(conn, token, purpose, now)? else {
        return Ok(None);
    };
    let used = diesel::update(
        account_tokens::table
            .filter(account_tokens::token_hash.eq(hash_token(token)))
            .filter(account_tokens::used_at.is_null()),
    )
    .set(account_tokens::used_at.eq(now))
    .execute(conn)?;
    Ok((used == 1).then_some(found))
}

/// Makes every unused link of an account worthless (its address changed, say).
pub fn revoke_all(conn: &mut DbConn, user_id: i64) -> QueryResult<usize> {
    diesel::delete(
        account_tokens::table
            .filter(account_tokens::user_id.eq(user_id))
            .filter(account_tokens::used_at.is_null()),
    )
    .execute(conn)
}

/// Deletes used and expired tokens.
pub fn purge(conn: &mut DbConn, now: NaiveDateTime) -> QueryResult<usize> {
    diesel::delete(
        account_tokens::table.filter(
            account_tokens::used_at
                .is_not_null()
                .or(account_tokens::expires_at.le(now)),
        ),
    )
    .execute(conn)
}
