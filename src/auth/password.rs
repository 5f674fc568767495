//! Password hashing with argon2id (per-hash random salt, OWASP parameters).
//!
//! Hashing costs ~20 MiB and tens of milliseconds: call it from the blocking pool.

use argon2::Argon2;
use argon2::password_hash::{PasswordHasher, PasswordVerifier};

use crate::domain::users::Password;

/// The PHC string (`$argon2id$v=19$…`) for `password`.
pub fn hash(password: &Password) -> anyhow::Result<String> {
    let hash = Argon2::default()
        .hash_password(password.expose().as_bytes())
        .map_err(|e| anyhow::anyhow!("password hashing failed: {e}"))?;
    Ok(hash.to_string())
}

/// Whether `candidate` matches the stored PHC string. A malformed hash never matches.
pub fn verify(candidate: &str, phc: &str) -> bool {
    Argon2::default()
        .verify_password(candidate.as_bytes(), phc)
        .is_ok()
}

/// Checks `candidate` against the account's hash, or — when there is no account or no
/// password — against a dummy hash, so both cases take the same time and the same path.
pub fn verify_or_dummy(candidate: &str, phc: Option<&str>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    match phc {
        Some(phc) => verify(candidate, phc),
        None => {
            let dummy = DUMMY.get_or_init(|| {
                let password = Password::parse("dummy password for timing".into())
                    .expect("the dummy password is valid");
                hash(&password).expect("hashing works")
            });
            verify(candidate, dummy);
            false
        }
    }
}

/// `hash`, on the blocking pool (argon2 takes tens of milliseconds by design).
pub async fn hash_off_thread(password: Password) -> Result<String, crate::error::AppError> {
    actix_web::web::block(move || hash(&password))
        .await
        .map_err(crate::error::AppError::internal)?
        .map_err(crate::error::AppError::Internal)
}

/// `verify_or_dummy`, on the blocking pool. Callers count the attempt against the rate
/// limits first.
pub async fn verify_off_thread(
    candidate: String,
    phc: Option<String>,
) -> Result<bool, crate::error::AppError> {
    actix_web::web::block(move || verify_or_dummy(&candidate, phc.as_deref()))
        .await
        .map_err(crate::error::AppError::internal)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hashes_are_salted_argon2id_and_verify() {
        let password = Password::parse("correct horse battery".into()).unwrap();
        let first = hash(&password).unwrap();
        let second = hash(&password).unwrap();
        assert!(first.starts_with("$argon2id$v=19$"));
        assert_ne!(first, second, "each hash has its own salt");
        assert!(verify("correct horse battery", &first));
        assert!(!verify("wrong horse battery", &first));
        assert!(!verify("anything", "not a hash"));
        assert!(verify_or_dummy("correct horse battery", Some(&first)));
        assert!(!verify_or_dummy("dummy password for timing", None));
    }
}
