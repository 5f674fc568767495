//! Sending a webhook delivery: one run of its job is one attempt. The request is signed as
//! Standard Webhooks says, goes only to public addresses (checked after the name is
//! resolved) unless the operator allows private ones, follows no redirect and waits 15
//! seconds at most. A failure is tried again on the delivery's schedule, later if the
//! target's `Retry-After` asks; a `410 Gone`, or three days of failures, turns the webhook
//! off and tells the owner.

use std::sync::Arc;
use std::time::{Duration as StdDuration, Instant};

use chrono::{Duration, NaiveDateTime};
use serde_json::Value;
use standardwebhooks::Webhook as Signer;

use super::JobError;
use crate::clock::now;
use crate::db::Db;
use crate::domain::webhooks::{
    self, Attempt, Deliver, Delivery, DeliveryStatus, SCHEDULE, Webhook,
};
use crate::mail::Mail;

/// What sending needs: the database, the HTTP client and the site's address.
#[derive(Clone)]
pub struct Sender {
    db: Db,
    client: reqwest::Client,
    base_url: String,
    allow_private: bool,
}

impl Sender {
    pub fn new(
        db: Db,
        base_url: &str,
        allow_private: bool,
        timeout: StdDuration,
    ) -> anyhow::Result<Sender> {
        let mut client = reqwest::Client::builder()
            // A proxy would resolve names itself, past the address check.
            .no_proxy()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(timeout)
            .timeout(timeout)
            .user_agent(concat!("Quire-Webhooks/", env!("CARGO_PKG_VERSION")));
        if !allow_private {
            client = client.dns_resolver(Arc::new(crate::net::PublicOnly { allowed: vec![] }));
        }
        Ok(Sender {
            db,
            client: client.build()?,
            base_url: base_url.trim_end_matches('/').to_string(),
            allow_private,
        })
    }

    /// Runs one attempt of `job`'s delivery.
    pub fn run(&self, job: &Deliver) -> Result<(), JobError> {
        let retry = |e: crate::error::AppError| JobError::Retry(e.to_string());
        let id = job.delivery;
        let found = self
            .db
            .run_blocking(move |conn| {
                let Some(delivery) = webhooks::delivery(conn, id)? else {
                    return Ok::<_, diesel::result::Error>(None);
                };
                Ok(webhooks::by_id(conn, delivery.webhook_id)?.map(|hook| (delivery, hook)))
            })
            .map_err(retry)?;
        // Deleted with its webhook, or already settled by an earlier run.
        let Some((delivery, hook)) = found else {
            return Ok(());
        };
        if delivery.status != DeliveryStatus::Pending {
            return Ok(());
        }
        let started = now();
        if !hook.is_on() {
            let attempt = Attempt {
                at: started,
                response_code: None,
                duration_ms: 0,
                error: Some("the webhook is turned off".into()),
                next_try_at: None,
            };
            self.record(&delivery, &attempt).map_err(retry)?;
            return Ok(());
        }
        let clock = Instant::now();
        let outcome = crate::net::block_on(self.send(&hook, &delivery, started))
            .map_err(JobError::Retry)?
            .unwrap_or_else(Sent::Unreached);
        let duration_ms = i32::try_from(clock.elapsed().as_millis()).unwrap_or(i32::MAX);
        let (code, error, wait) = match outcome {
            Sent::Taken(code) => (Some(code), None, None),
            Sent::Refused { code, retry_after } => (
                Some(code),
                Some(format!("the target answered {code}")),
                retry_after,
            ),
            Sent::Unreached(error) => (None, Some(error), None),
        };
        let Some(error) = error else {
            let attempt = Attempt {
                at: started,
                response_code: code,
                duration_ms,
                error: None,
                next_try_at: None,
            };
            return self.record(&delivery, &attempt).map_err(retry);
        };
        // This attempt's place in the schedule: 1 for the first of a round.
        let number = delivery.attempts - job.from + 1;
        let failing_since = hook.failing_since.unwrap_or(started);
        let stop = if code == Some(410) {
            Some("the target answered 410 Gone".to_string())
        } else if started - failing_since >= webhooks::failing_limit() {
            Some("every delivery failed for three days".to_string())
        } else {
            None
        };
        let delay = match (&stop, usize::try_from(number - 1).ok()) {
            (None, Some(place)) if place < SCHEDULE.len() => Some(next_delay(place, wait)),
            _ => None,
        };
        let attempt = Attempt {
            at: started,
            response_code: code,
            duration_ms,
            error: Some(error.clone()),
            next_try_at: delay.map(|d| started + d),
        };
        self.record(&delivery, &attempt).map_err(retry)?;
        if let Some(reason) = stop {
            self.turn_off(&hook, &reason).map_err(retry)?;
            tracing::warn!(webhook = hook.id, %reason, "a webhook was turned off");
            return Ok(());
        }
        match delay {
            Some(delay) => Err(JobError::RetryIn(error, delay)),
            // The schedule is spent: the delivery rests as failed, to be sent again by hand.
            None => Ok(()),
        }
    }

    async fn send(
        &self,
        hook: &Webhook,
        delivery: &Delivery,
        at: NaiveDateTime,
    ) -> Result<Sent, String> {
        let url = match url::Url::parse(&hook.target_url) {
            Ok(url) => url,
            Err(e) => return Ok(Sent::Unreached(format!("not a web address ({e})"))),
        };
        if !self.allow_private && !crate::net::literal_host_allowed(&url, &[]) {
            return Ok(Sent::Unreached("a private address".into()));
        }
        let body = on_site(&delivery.payload, &self.base_url);
        let timestamp = at.and_utc().timestamp();
        let signatures = hook
            .signing_secrets(at)
            .into_iter()
            .map(|secret| {
                Signer::new(secret)
                    .and_then(|s| s.sign(&delivery.message_id, timestamp, body.as_bytes()))
                    .map_err(|e| format!("the secret cannot sign ({e})"))
            })
            .collect::<Result<Vec<_>, _>>()?;
        let response = self
            .client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.message_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signatures.join(" "))
            .body(body)
            .send()
            .await;
        let response = match response {
            Ok(response) => response,
            Err(e) if e.is_timeout() => return Ok(Sent::Unreached("no answer in time".into())),
            Err(e) => return Ok(Sent::Unreached(describe(&e))),
        };
        let code = i32::from(response.status().as_u16());
        if response.status().is_success() {
            return Ok(Sent::Taken(code));
        }
        let retry_after = response
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| retry_after(v, at));
        Ok(Sent::Refused { code, retry_after })
    }

    fn record(&self, delivery: &Delivery, attempt: &Attempt) -> Result<(), crate::error::AppError> {
        let (delivery, attempt) = (delivery.clone(), attempt.clone());
        self.db
            .run_blocking(move |conn| webhooks::record_attempt(conn, &delivery, &attempt))
            .map(|_| ())
    }

    fn turn_off(&self, hook: &Webhook, reason: &str) -> Result<(), crate::error::AppError> {
        let (id, reason, base_url) = (hook.id, reason.to_string(), self.base_url.clone());
        self.db.run_blocking(move |conn| {
            let notice = |hook: &Webhook, to: &str| {
                Some(Mail {
                    to: to.to_string(),
                    subject: "A webhook was turned off".into(),
                    body: format!(
                        "The webhook sending to {} was turned off: {reason}.\n\n\
                         Nothing more is sent to it until it is saved again, at \
                         {base_url}/admin/integrations/webhooks/{}\n",
                        hook.target_url, hook.id
                    ),
                    headers: Vec::new(),
                })
            };
            webhooks::turn_off(conn, id, &reason, notice, now())
        })
    }
}

/// How an attempt went.
enum Sent {
    /// A 2xx answer.
    Taken(i32),
    Refused {
        code: i32,
        retry_after: Option<Duration>,
    },
    /// No answer: the name did not resolve to a public address, the connection failed, or
    /// the target took too long.
    Unreached(String),
}

/// The error of a request that got no answer, in a line, with the cause that says most.
fn describe(error: &reqwest::Error) -> String {
    let mut message = error.to_string();
    let mut source = std::error::Error::source(error);
    while let Some(cause) = source {
        message = format!("{message}: {cause}");
        source = cause.source();
    }
    if error.is_redirect() {
        return "the target answered with a redirect, which is not followed".into();
    }
    message
}

/// The wait before the attempt after the `place`th (0-based) failure: the schedule's, spread
/// by a tenth either way, and at least what `Retry-After` asked (a day at most).
fn next_delay(place: usize, retry_after: Option<Duration>) -> Duration {
    let base = SCHEDULE[place] * 1000;
    let mut byte = [0u8; 2];
    let _ = getrandom::fill(&mut byte);
    let spread = i64::from(u16::from_le_bytes(byte)) * base / 5 / i64::from(u16::MAX);
    let scheduled = Duration::milliseconds(base - base / 10 + spread);
    match retry_after {
        Some(asked) => scheduled.max(asked.min(Duration::days(1))),
        None => scheduled,
    }
}

/// `Retry-After` as seconds or an HTTP date, as a wait from `now`.
fn retry_after(raw: &str, now: NaiveDateTime) -> Option<Duration> {
    let raw = raw.trim();
    if let Ok(seconds) = raw.parse::<u32>() {
        return Some(Duration::seconds(i64::from(seconds)));
    }
    let at = chrono::DateTime::parse_from_rfc2822(raw).ok()?;
    Some((at.naive_utc() - now).max(Duration::zero()))
}

/// The stored body with the site's paths (`url`, `feature_image`) made absolute: stored as
/// paths because a write does not know the site's address, sent absolute because the
/// receiver cannot guess it.
fn on_site(payload: &str, base_url: &str) -> String {
    let Ok(mut value) = serde_json::from_str::<Value>(payload) else {
        return payload.to_string();
    };
    fn walk(value: &mut Value, base_url: &str) {
        match value {
            Value::Object(map) => {
                for (key, field) in map.iter_mut() {
                    match field {
                        Value::String(path)
                            if matches!(key.as_str(), "url" | "feature_image")
                                && path.starts_with('/') =>
                        {
                            *path = format!("{base_url}{path}");
                        }
                        _ => walk(field, base_url),
                    }
                }
            }
            Value::Array(items) => items.iter_mut().for_each(|item| walk(item, base_url)),
            _ => {}
        }
    }
    walk(&mut value, base_url);
    value.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_follow_the_schedule_with_jitter_and_retry_after() {
        for _ in 0..50 {
            let first = next_delay(0, None).num_milliseconds();
            assert!((4_500..=5_500).contains(&first), "{first}");
            let last = next_delay(8, None).num_milliseconds();
            assert!((77_760_000..=95_040_000).contains(&last), "{last}");
            let asked = next_delay(0, Some(Duration::seconds(60))).num_seconds();
            assert_eq!(asked, 60);
            let capped = next_delay(0, Some(Duration::days(9))).num_hours();
            assert_eq!(capped, 24);
        }
    }

    #[test]
    fn retry_after_is_seconds_or_a_date() {
        let now = chrono::DateTime::parse_from_rfc3339("2026-01-01T00:00:00Z")
            .unwrap()
            .naive_utc();
        assert_eq!(retry_after("120", now), Some(Duration::seconds(120)));
        assert_eq!(
            retry_after("Thu, 01 Jan 2026 00:01:00 GMT", now),
            Some(Duration::seconds(60))
        );
        assert_eq!(retry_after("soon", now), None);
        assert_eq!(retry_after("-5", now), None);
    }

    #[test]
    fn site_paths_become_absolute() {
        let body = r#"{"data":{"post":{"current":{"url":"/a/","feature_image":"/media/x.jpg","slug":"/a/"},"previous":null}}}"#;
        let sent: Value = serde_json::from_str(&on_site(body, "https://blog.test")).unwrap();
        let current = &sent["data"]["post"]["current"];
        assert_eq!(current["url"], "https://blog.test/a/");
        assert_eq!(current["feature_image"], "https://blog.test/media/x.jpg");
        assert_eq!(current["slug"], "/a/");
    }
}
