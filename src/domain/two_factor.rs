//! A second factor for signing in: a time-based one-time code (RFC 6238, 30-second steps,
//! six digits) from an authenticator app, or one of ten single-use recovery codes. Each
//! code works once: the step of the last code used is kept, and only a later one passes.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use totp_rs::{Algorithm, Secret, TOTP};

use crate::auth::tokens::{hash_token, random_token};
use crate::db::DbConn;
use crate::db::schema::{recovery_codes, two_factor};
use crate::domain::write::{self, Actor, WriteError};

const STEP: u64 = 30;
const DIGITS: usize = 6;
/// One step either side is accepted: phones' clocks drift.
const SKEW: u64 = 1;
const RECOVERY_CODES: usize = 10;

/// An app being enrolled: its secret, the `otpauth://` address, and that address as a QR
/// code (SVG, drawn here).
pub struct Enrolment {
    pub secret: String,
    pub uri: String,
    pub qr_svg: String,
}

fn totp(secret_base32: &str, issuer: &str, account: &str) -> Option<TOTP> {
    let bytes = Secret::Encoded(secret_base32.to_string()).to_bytes().ok()?;
    // Issuer and label may not hold ':' in an otpauth address.
    let clean = |s: &str| s.replace(':', " ");
    TOTP::new(
        Algorithm::SHA1,
        DIGITS,
        SKEW as u8,
        STEP,
        bytes,
        Some(clean(issuer)),
        clean(account),
    )
    .ok()
}

/// A new secret for `account` at `issuer` (the site), to show while the app is set up.
pub fn begin(issuer: &str, account: &str) -> Enrolment {
    let mut bytes = [0u8; 20];
    getrandom::fill(&mut bytes).expect("the system's random source works");
    let secret = Secret::Raw(bytes.to_vec()).to_encoded().to_string();
    enrolment(&secret, issuer, account)
}

/// The enrolment for a secret already chosen (the page shown again).
pub fn enrolment(secret: &str, issuer: &str, account: &str) -> Enrolment {
    let uri = totp(secret, issuer, account)
        .map(|t| t.get_url())
        .unwrap_or_default();
    let qr_svg = qrcode::QrCode::new(uri.as_bytes())
        .map(|code| {
            let svg = code
                .render::<qrcode::render::svg::Color>()
                .min_dimensions(200, 200)
                .quiet_zone(true)
                .build();
            // Inline in a page: the XML declaration goes.
            match svg.find("<svg") {
                Some(at) => svg[at..].to_string(),
                None => svg,
            }
        })
        .unwrap_or_default();
    Enrolment {
        secret: secret.to_string(),
        uri,
        qr_svg,
    }
}

/// The time step whose code `code` is, near `unix` seconds, if any.
fn step_of(secret: &str, code: &str, unix: u64) -> Option<u64> {
    let code: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    if code.len() != DIGITS || !code.chars().all(|c| c.is_ascii_digit()) {
        return None;
    }
    let totp = totp(secret, "x", "x")?;
    let now = unix / STEP;
    (now.saturating_sub(SKEW)..=now + SKEW).find(|step| {
        constant_time_eq::constant_time_eq(totp.generate(step * STEP).as_bytes(), code.as_bytes())
    })
}

fn unix(at: NaiveDateTime) -> u64 {
    at.and_utc().timestamp().max(0) as u64
}

pub fn is_enabled(conn: &mut DbConn, user_id: i64) -> QueryResult<bool> {
    diesel::select(diesel::dsl::exists(
        two_factor::table.filter(two_factor::user_id.eq(user_id)),
    ))
    .get_result(conn)
}

/// Unused recovery codes left.
pub fn recovery_codes_left(conn: &mut DbConn, user_id: i64) -> QueryResult<i64> {
    recovery_codes::table
        .filter(recovery_codes::user_id.eq(user_id))
        .filter(recovery_codes::used_at.is_null())
        .count()
        .get_result(conn)
}

fn normalised_recovery(code: &str) -> String {
    code.chars()
        .filter(|c| c.is_ascii_alphanumeric())
        .collect::<String>()
        .to_ascii_lowercase()
}

/// Turns the second factor on with the secret being enrolled, once a code from the app
/// proves it is set up. Returns the recovery codes, shown once.
pub fn enable(
    conn: &mut DbConn,
    actor: &Actor,
    secret: &str,
    code: &str,
    now: NaiveDateTime,
) -> Result<Vec<String>, WriteError> {
    let Some(user_id) = actor.id else {
        return Err(WriteError::NotFound);
    };
    let Some(step) = step_of(secret, code, unix(now)) else {
        return Err(WriteError::invalid(
            "code",
            "That code does not match. Type the six digits your app shows now.",
        ));
    };
    let codes: Vec<String> = (0..RECOVERY_CODES)
        .map(|_| {
            let raw: String = random_token()
                .chars()
                .filter(char::is_ascii_alphanumeric)
                .map(|c| c.to_ascii_lowercase())
                .take(10)
                .collect();
            format!("{}-{}", &raw[..5], &raw[5..])
        })
        .collect();
    write::transaction(conn, actor, now, |tx| {
        if is_enabled(tx.conn, user_id)? {
            return Err(WriteError::invalid(
                "code",
                "Two-factor sign-in is on already.",
            ));
        }
        diesel::insert_into(two_factor::table)
            .values((
                two_factor::user_id.eq(user_id),
                two_factor::secret.eq(secret),
                two_factor::last_step.eq(step as i64),
                two_factor::created_at.eq(now),
            ))
            .execute(tx.conn)?;
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
            .execute(tx.conn)?;
        for code in &codes {
            diesel::insert_into(recovery_codes::table)
                .values((
                    recovery_codes::user_id.eq(user_id),
                    recovery_codes::code_hash.eq(hash_token(&normalised_recovery(code))),
                ))
                .execute(tx.conn)?;
        }
        Ok(())
    })?;
    Ok(codes)
}

/// Checks a code from the app or a recovery code, using it up. False for anything else,
/// including a code already used.
pub fn verify(
    conn: &mut DbConn,
    user_id: i64,
    code: &str,
    now: NaiveDateTime,
) -> Result<bool, WriteError> {
    write::transaction(conn, &Actor::visitor(), now, |tx| {
        let Some(secret) = two_factor::table
            .find(user_id)
            .select(two_factor::secret)
            .first::<String>(tx.conn)
            .optional()?
        else {
            return Ok(false);
        };
        if let Some(step) = step_of(&secret, code, unix(now)) {
            // Only a later step than the last one used: a code seen once is spent.
            let moved = diesel::update(
                two_factor::table
                    .find(user_id)
                    .filter(two_factor::last_step.lt(step as i64)),
            )
            .set(two_factor::last_step.eq(step as i64))
            .execute(tx.conn)?;
            return Ok(moved == 1);
        }
        let recovery = normalised_recovery(code);
        if recovery.len() != 10 {
            return Ok(false);
        }
        let used = diesel::update(
            recovery_codes::table
                .filter(recovery_codes::user_id.eq(user_id))
                .filter(recovery_codes::code_hash.eq(hash_token(&recovery)))
                .filter(recovery_codes::used_at.is_null()),
        )
        .set(recovery_codes::used_at.eq(Some(now)))
        .execute(tx.conn)?;
        Ok(used == 1)
    })
}

/// Turns the second factor off (the caller has checked the password and a code).
pub fn disable(conn: &mut DbConn, actor: &Actor, now: NaiveDateTime) -> Result<(), WriteError> {
    let Some(user_id) = actor.id else {
        return Err(WriteError::NotFound);
    };
    write::transaction(conn, actor, now, |tx| {
        diesel::delete(two_factor::table.find(user_id)).execute(tx.conn)?;
        diesel::delete(recovery_codes::table.filter(recovery_codes::user_id.eq(user_id)))
            .execute(tx.conn)?;
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238's test secret ("12345678901234567890"), its SHA-1 vectors cut to 6 digits.
    const RFC_SECRET: &str = "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ";

    #[test]
    fn codes_match_the_rfc_at_a_fixed_clock() {
        assert_eq!(step_of(RFC_SECRET, "287082", 59), Some(1));
        assert_eq!(
            step_of(RFC_SECRET, "081804", 1_111_111_109),
            Some(37_037_036)
        );
        assert_eq!(
            step_of(RFC_SECRET, "005924", 1_234_567_890),
            Some(41_152_263)
        );
        // One step of drift either way is accepted, two are not.
        assert_eq!(step_of(RFC_SECRET, "287082", 59 + 30), Some(1));
        assert_eq!(step_of(RFC_SECRET, "287082", 59 + 60), None);
        for junk in ["", "28708", "2870822", "abcdef", "287 08"] {
            assert_eq!(step_of(RFC_SECRET, junk, 59), None, "{junk:?}");
        }
    }

    #[test]
    fn an_enrolment_carries_its_secret_in_the_address_and_the_picture() {
        let enrolment = begin("The Margin", "ada@example.com");
        assert_eq!(enrolment.secret.len(), 32);
        assert!(enrolment.uri.starts_with("otpauth://totp/"));
        assert!(enrolment.uri.contains(&enrolment.secret));
        assert!(enrolment.qr_svg.starts_with("<svg"));
    }
}
