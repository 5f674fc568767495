//! Rate limits on the forms attackers hammer: signing in, signing up, password resets and
//! confirmation resends. Each attempt counts against the client's address and, when the
//! form names one, against the account, so neither spraying one account from many
//! addresses nor many accounts from one address gets far.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::RateLimit;
use crate::error::AppError;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    Login,
    Signup,
    Reset,
    Resend,
}

pub struct RateLimits {
    per_ip: DefaultKeyedRateLimiter<(Action, IpAddr)>,
    per_account: DefaultKeyedRateLimiter<(Action, String)>,
}

fn quota(limit: RateLimit) -> Quota {
    let burst = NonZeroU32::new(limit.attempts).unwrap_or(NonZeroU32::MIN);
    let each = limit.period / burst.get();
    Quota::with_period(each.max(Duration::from_millis(1)))
        .expect("the period is positive")
        .allow_burst(burst)
}

impl RateLimits {
    pub fn new(per_ip: RateLimit, per_account: RateLimit) -> RateLimits {
        RateLimits {
            per_ip: RateLimiter::keyed(quota(per_ip)),
            per_account: RateLimiter::keyed(quota(per_account)),
        }
    }

    /// Counts one attempt; a refused one is a 429 saying when to retry.
    pub fn check(
        &self,
        action: Action,
        ip: Option<IpAddr>,
        account: Option<&str>,
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
        if let Some(account) = account {
            let key = (action, account.trim().to_lowercase());
            self.per_account
                .check_key(&key)
                .map_err(|n| refused(n.wait_time_from(clock.now())))?;
        }
        Ok(())
    }

    /// Forgets keys whose limits have fully recovered (run now and then).
    pub fn forget_idle(&self) {
        self.per_ip.retain_recent();
        self.per_account.retain_recent();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_burst_is_allowed_then_refused_with_a_wait() {
        let limits = RateLimits::new(RateLimit::per_minutes(3, 3), RateLimit::per_minutes(2, 10));
        let ip: IpAddr = "127.0.0.1".parse().unwrap();
        assert!(
            limits
                .check(Action::Login, Some(ip), Some("a@example.com"))
                .is_ok()
        );
        assert!(
            limits
                .check(Action::Login, Some(ip), Some("A@example.com"))
                .is_ok()
        );
        // The third attempt on the same account is refused, whatever the address.
        let other: IpAddr = "10.0.0.1".parse().unwrap();
        match limits.check(Action::Login, Some(other), Some("a@example.com")) {
            Err(AppError::TooManyRequests { retry_after }) => {
                assert!((1..=300).contains(&retry_after))
            }
            other => panic!("expected a 429, got {other:?}"),
        }
        // Another action has its own budget.
        assert!(
            limits
                .check(Action::Signup, Some(ip), Some("a@example.com"))
                .is_ok()
        );
        // The address's own budget: one left, then refused.
        assert!(limits.check(Action::Login, Some(ip), None).is_ok());
        assert!(limits.check(Action::Login, Some(ip), None).is_err());
    }
}
