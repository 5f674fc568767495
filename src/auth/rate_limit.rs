//! Rate limits on the forms attackers hammer: signing in, every other place a password is
//! checked, signing up, password resets and confirmation resends, and comments.
//!
//! Every attempt counts against the client's address. Attempts that name an account count
//! against it too, keyed on the normalised address (or the account's id), never on the
//! text as typed, so `X <owner@example.com>` and `OWNER@example.com` are the same key:
//! - where a secret is guessed (signing in, re-entering one's password), per account *and*
//!   address, with a much higher ceiling per account over all addresses: one attacker is
//!   stopped after a few guesses without locking the real owner out from their own address,
//!   and a botnet spreading guesses over many addresses still meets the ceiling;
//! - where mail is sent (sign-up, reset, resend), per account whatever the address, since
//!   what is being limited is mail to that mailbox; comments are counted the same way.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimit;
use crate::domain::users::Email;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Login,
    /// Re-entering one's password to change the address or password, or to delete the
    /// account.
    Reauth,
    Signup,
    Reset,
    Resend,
    /// Asking for a sign-in link by mail.
    SignInLink,
    /// Posting a comment: per address, and per account whatever the address.
    Comment,
}

impl Action {
    /// Whether this action checks a secret (else it sends mail).
    fn guesses(self) -> bool {
        matches!(self, Action::Login | Action::Reauth)
    }
}

/// Which account an attempt is about, normalised.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct AccountKey(String);

impl AccountKey {
    /// The account with this address (whether or not one exists).
    pub fn email(email: &Email) -> AccountKey {
        AccountKey(format!("email:{}", email.as_str().to_lowercase()))
    }

    /// A signed-in person's own account.
    pub fn user(id: i64) -> AccountKey {
        AccountKey(format!("user:{id}"))
    }
}

pub struct RateLimits {
    per_ip: DefaultKeyedRateLimiter<(Action, IpAddr)>,
    per_account_ip: DefaultKeyedRateLimiter<(Action, AccountKey, Option<IpAddr>)>,
    per_account: DefaultKeyedRateLimiter<(Action, AccountKey)>,
    /// Requests per API key (by integration id), whatever the address.
    per_api_key: DefaultKeyedRateLimiter<i64>,
}

fn quota(limit: RateLimit) -> Quota {
    let burst = NonZeroU32::new(limit.attempts).unwrap_or(NonZeroU32::MIN);
    let each = limit.period / burst.get();
    Quota::with_period(each.max(Duration::from_millis(1)))
        .expect("the period is positive")
        .allow_burst(burst)
}

impl RateLimits {
    /// `per_ip`: any attempt from one address; `per_account`: attempts on one account (from
    /// one address where secrets are guessed); `account_ceiling`: guesses on one account
    /// from all addresses together.
    pub fn new(per_ip: RateLimit, per_account: RateLimit, account_ceiling: RateLimit) -> Self {
        RateLimits {
            per_ip: RateLimiter::keyed(quota(per_ip)),
            per_account_ip: RateLimiter::keyed(quota(per_account)),
            per_account: RateLimiter::keyed(quota(account_ceiling)),
            per_api_key: RateLimiter::keyed(quota(RateLimit::per_minutes(600, 1))),
        }
    }

    /// The budget of each API key (600 a minute unless set).
    pub fn with_api_keys(mut self, limit: RateLimit) -> Self {
        self.per_api_key = RateLimiter::keyed(quota(limit));
        self
    }

    /// Counts one request made with an integration's key.
    pub fn check_api_key(&self, integration_id: i64) -> Result<(), AppError> {
        self.per_api_key.check_key(&integration_id).map_err(|n| {
            let wait = n.wait_time_from(DefaultClock::default().now());
            AppError::TooManyRequests {
                retry_after: wait.as_secs().max(1),
            }
        })
    }

    /// Counts one attempt; a refused one is a 429 saying when to retry.
    pub fn check(
        &self,
        action: Action,
        ip: Option<IpAddr>,
        account: Option<&AccountKey>,
    ) -> Result<(), AppError> {
        let clock = DefaultClock::default();
        let refused = |wait: Duration| AppError::TooManyRequests {
            retry_after: wait.as_secs().max(1),
        };
        if let Some(ip) = ip {
            self.per_ip
                .check_key(&(action, ip))
                .map_err(|n| refused(n.wait_time_from(clock.now())))?;
        }
        let Some(account) = account else {
            return Ok(());
        };
        if action.guesses() {
            self.per_account_ip
                .check_key(&(action, account.clone(), ip))
                .map_err(|n| refused(n.wait_time_from(clock.now())))?;
            self.per_account
                .check_key(&(action, account.clone()))
                .map_err(|n| refused(n.wait_time_from(clock.now())))?;
        } else {
            // Mail to one mailbox: the per-account budget, from any address.
            self.per_account_ip
                .check_key(&(action, account.clone(), None))
                .map_err(|n| refused(n.wait_time_from(clock.now())))?;
        }
        Ok(())
    }

    /// Forgets keys whose limits have fully recovered (run now and then).
    pub fn forget_idle(&self) {
        self.per_ip.retain_recent();
        self.per_account_ip.retain_recent();
        self.per_account.retain_recent();
        self.per_api_key.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(raw: &str) -> AccountKey {
        AccountKey::email(&Email::parse(raw).unwrap())
    }

    fn limits() -> RateLimits {
        RateLimits::new(
            RateLimit::per_minutes(100, 10),
            RateLimit::per_minutes(2, 10),
            RateLimit::per_minutes(4, 10),
        )
    }

    #[test]
    fn guesses_are_limited_per_account_and_address_under_a_ceiling() {
        let limits = limits();
        let attacker: IpAddr = "198.51.100.7".parse().unwrap();
        let owner: IpAddr = "203.0.113.9".parse().unwrap();
        let account = key("owner@example.com");
        for _ in 0..2 {
            assert!(
                limits
                    .check(Action::Login, Some(attacker), Some(&account))
                    .is_ok()
            );
        }
        // Another spelling of the same address is the same account.
        let respelled = key("owner@EXAMPLE.com");
        match limits.check(Action::Login, Some(attacker), Some(&respelled)) {
            Err(AppError::TooManyRequests { retry_after }) => {
                assert!((1..=300).contains(&retry_after))
            }
            other => panic!("expected a 429, got {other:?}"),
        }
        // The owner, from their own address, is not locked out by it.
        assert!(
            limits
                .check(Action::Login, Some(owner), Some(&account))
                .is_ok()
        );
        // But guesses from many addresses meet the per-account ceiling (4 here: two from the
        // attacker, one refused, one from the owner, one more).
        let third: IpAddr = "192.0.2.1".parse().unwrap();
        assert!(
            limits
                .check(Action::Login, Some(third), Some(&account))
                .is_ok()
        );
        let fourth: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(
            limits
                .check(Action::Login, Some(fourth), Some(&account))
                .is_err()
        );
        // Another action has its own budget.
        assert!(
            limits
                .check(Action::Reauth, Some(fourth), Some(&account))
                .is_ok()
        );
    }

    #[test]
    fn mail_to_one_account_is_limited_from_any_address() {
        let limits = limits();
        let account = key("member@example.com");
        let first: IpAddr = "192.0.2.1".parse().unwrap();
        let second: IpAddr = "192.0.2.2".parse().unwrap();
        assert!(
            limits
                .check(Action::Reset, Some(first), Some(&account))
                .is_ok()
        );
        assert!(
            limits
                .check(Action::Reset, Some(second), Some(&account))
                .is_ok()
        );
        assert!(
            limits
                .check(Action::Reset, Some(first), Some(&account))
                .is_err()
        );
        assert!(
            limits
                .check(Action::Reset, Some(second), Some(&key("other@example.com")))
                .is_ok()
        );
    }

    #[test]
    fn an_address_has_its_own_budget() {
        let limits = RateLimits::new(
            RateLimit::per_minutes(2, 10),
            RateLimit::per_minutes(100, 10),
            RateLimit::per_minutes(100, 10),
        );
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(limits.check(Action::Login, Some(ip), None).is_ok());
        assert!(limits.check(Action::Login, Some(ip), None).is_ok());
        assert!(limits.check(Action::Login, Some(ip), None).is_err());
    }
}
