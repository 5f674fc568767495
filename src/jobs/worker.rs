//! The workers: each claims a due job, runs its kind's handler on the blocking pool with no
//! database connection held, and records how the run ended.

use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration as StdDuration;

use chrono::Duration;
use serde::Serialize;
use serde::de::DeserializeOwned;
use tokio::sync::Notify;
use tokio::task::JoinHandle;

use super::JobError;
use super::queue::{self, Claimed, Finish};
use crate::clock::now;
use crate::db::Db;
use crate::error::AppError;

/// A kind of job: its payload type, its name in the queue and how often it is tried.
pub trait Job: Serialize + DeserializeOwned + Send + 'static {
    const KIND: &'static str;
    const ATTEMPTS: i32 = queue::DEFAULT_ATTEMPTS;
}

type Run = Arc<dyn Fn(&str, &str) -> Result<(), JobError> + Send + Sync>;

/// The handler of each kind this instance runs.
#[derive(Default, Clone)]
pub struct Registry {
    kinds: HashMap<&'static str, Run>,
}

impl Registry {
    /// Runs jobs of kind `J` with `run(payload, idempotency key)`.
    pub fn with<J: Job>(
        mut self,
        run: impl Fn(J, &str) -> Result<(), JobError> + Send + Sync + 'static,
    ) -> Registry {
        self.kinds.insert(
            J::KIND,
            Arc::new(move |payload: &str, key: &str| {
                let job: J = serde_json::from_str(payload).map_err(JobError::unreadable)?;
                run(job, key)
            }),
        );
        self
    }

    fn names(&self) -> Vec<&'static str> {
        let mut names: Vec<&'static str> = self.kinds.keys().copied().collect();
        names.sort_unstable();
        names
    }
}

/// How long after its `attempt`th failure a job is tried again: 30 seconds, doubling, at
/// most an hour, each spread by a fifth either way so retries from many jobs do not arrive
/// together.
pub fn retry_delay(attempt: i32) -> Duration {
    let base = 30i64 << attempt.clamp(1, 8).saturating_sub(1);
    let base = base.min(3600) * 1000;
    let mut byte = [0u8; 2];
    let _ = getrandom::fill(&mut byte);
    let spread = i64::from(u16::from_le_bytes(byte)) * base * 2 / 5 / i64::from(u16::MAX);
    Duration::milliseconds(base - base / 5 + spread)
}

/// How long a worker waits after `errors` failures in a row to reach the queue: a second,
/// doubling, at most half a minute. A database that is down is asked a few times a minute,
/// not thousands of times a second.
pub fn pause_after_errors(errors: u32) -> StdDuration {
    StdDuration::from_secs(1 << errors.clamp(1, 6).saturating_sub(1))
        .min(StdDuration::from_secs(30))
}

/// How often an idle worker looks for due jobs on its own (enqueues wake it sooner).
const IDLE_LOOK: StdDuration = StdDuration::from_secs(1);

/// Where a worker gets jobs and reports on them: the database, or a stand-in in tests.
pub trait Source: Clone + Send + Sync + 'static {
    fn claim(
        &self,
        kinds: Vec<&'static str>,
    ) -> impl Future<Output = Result<Option<Claimed>, AppError>> + Send;
    fn finish(
        &self,
        job: Claimed,
        finish: Finish,
    ) -> impl Future<Output = Result<bool, AppError>> + Send;
}

/// The queue in the database, for a worker named `worker` holding jobs for `lease`.
#[derive(Clone)]
pub struct DbSource {
    db: Db,
    worker: Arc<str>,
    lease: Duration,
}

impl Source for DbSource {
    async fn claim(&self, kinds: Vec<&'static str>) -> Result<Option<Claimed>, AppError> {
        let (worker, lease) = (Arc::clone(&self.worker), self.lease);
        self.db
            .run(move |conn| queue::claim(conn, &kinds, &worker, lease, now()))
            .await
    }

    async fn finish(&self, job: Claimed, finish: Finish) -> Result<bool, AppError> {
        let worker = Arc::clone(&self.worker);
        self.db
            .run(move |conn| queue::finish(conn, &job, &worker, &finish, now()))
            .await
    }
}

/// This instance's workers; dropping the handle leaves them running, `stop` ends them.
pub struct Workers {
    tasks: Vec<JoinHandle<()>>,
}

impl Workers {
    /// Starts `count` workers named after this process, woken early by `wake`.
    pub fn spawn(
        db: Db,
        registry: Registry,
        count: usize,
        lease: Duration,
        wake: Arc<Notify>,
    ) -> Workers {
        let source = DbSource {
            db,
            worker: worker_name().into(),
            lease,
        };
        Workers::spawn_on(source, registry, count, wake)
    }

    pub fn spawn_on<S: Source>(
        source: S,
        registry: Registry,
        count: usize,
        wake: Arc<Notify>,
    ) -> Workers {
        let registry = Arc::new(registry);
        let tasks = (0..count)
            .map(|_| {
                tokio::spawn(work(
                    source.clone(),
                    Arc::clone(&registry),
                    Arc::clone(&wake),
                ))
            })
            .collect();
        Workers { tasks }
    }

    /// Stops the workers at their next await (a handler already running on the blocking pool
    /// finishes, but its result is no longer recorded by this worker).
    pub fn stop(&self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

/// `host:pid:random`, so the jobs page says which instance holds a job.
fn worker_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_else(|_| "quire".into());
    let mut tag = [0u8; 3];
    let _ = getrandom::fill(&mut tag);
    format!("{host}:{}:{}", std::process::id(), hex::encode(tag))
}

async fn work<S: Source>(source: S, registry: Arc<Registry>, wake: Arc<Notify>) {
    let mut errors = 0u32;
    loop {
        match source.claim(registry.names()).await {
            Ok(Some(job)) => {
                errors = 0;
                let finish = run(&registry, &job).await;
                if let Err(error) = source.finish(job, finish).await {
                    // The lease runs out and the job is run again: at least once.
                    tracing::warn!(%error, "could not record how a job ended");
                }
            }
            Ok(None) => {
                errors = 0;
                let _ = tokio::time::timeout(IDLE_LOOK, wake.notified()).await;
            }
            Err(error) => {
                errors += 1;
                let pause = pause_after_errors(errors);
                tracing::warn!(%error, ?pause, "the job queue could not be reached");
                tokio::time::sleep(pause).await;
            }
        }
    }
}

/// Runs one claimed job and says how it ended.
async fn run(registry: &Registry, job: &Claimed) -> Finish {
    let Some(handler) = registry.kinds.get(job.kind.as_str()).cloned() else {
        return Finish::Failed(format!("no handler for jobs of kind {:?}", job.kind));
    };
    let (payload, key) = (job.payload.clone(), job.idempotency_key.clone());
    let outcome = tokio::task::spawn_blocking(move || handler(&payload, &key)).await;
    let (error, delay) = match outcome {
        Ok(Ok(())) => return Finish::Done,
        Ok(Err(JobError::Permanent(error))) => return Finish::Failed(error),
        Ok(Err(JobError::Retry(error))) => (error, None),
        Ok(Err(JobError::RetryIn(error, delay))) => (error, Some(delay)),
        Err(join) if join.is_panic() => {
            (format!("the job panicked: {}", panic_message(join)), None)
        }
        Err(join) => (format!("the job was cancelled: {join}"), None),
    };
    tracing::warn!(id = job.id, kind = %job.kind, attempt = job.attempts, %error, "a job failed");
    if job.attempts >= job.max_attempts {
        Finish::Failed(error)
    } else {
        Finish::Retry {
            error,
            at: now() + delay.unwrap_or_else(|| retry_delay(job.attempts)),
        }
    }
}

fn panic_message(join: tokio::task::JoinError) -> String {
    let panic = join.into_panic();
    panic
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| panic.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".into())
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    #[test]
    fn retries_back_off_with_jitter_up_to_an_hour() {
        for _ in 0..50 {
            let first = retry_delay(1).num_milliseconds();
            assert!((24_000..=36_000).contains(&first), "{first}");
            let third = retry_delay(3).num_milliseconds();
            assert!((96_000..=144_000).contains(&third), "{third}");
            let late = retry_delay(20).num_milliseconds();
            assert!((2_880_000..=4_320_000).contains(&late), "{late}");
        }
    }

    #[test]
    fn an_unreachable_queue_is_asked_less_and_less_often() {
        assert_eq!(pause_after_errors(1), StdDuration::from_secs(1));
        assert_eq!(pause_after_errors(2), StdDuration::from_secs(2));
        assert_eq!(pause_after_errors(5), StdDuration::from_secs(16));
        assert_eq!(pause_after_errors(50), StdDuration::from_secs(30));
    }

    /// A queue that is down: every claim fails.
    #[derive(Clone, Default)]
    struct Down {
        claims: Arc<AtomicUsize>,
    }

    impl Source for Down {
        async fn claim(&self, _: Vec<&'static str>) -> Result<Option<Claimed>, AppError> {
            self.claims.fetch_add(1, Ordering::Relaxed);
            Err(AppError::Unavailable)
        }
        async fn finish(&self, _: Claimed, _: Finish) -> Result<bool, AppError> {
            Err(AppError::Unavailable)
        }
    }

    #[tokio::test(start_paused = true)]
    async fn a_worker_backs_off_while_the_database_is_down() {
        let down = Down::default();
        let workers = Workers::spawn_on(
            down.clone(),
            Registry::default(),
            1,
            Arc::new(Notify::new()),
        );
        // A minute of (paused, simulated) time: 1+2+4+8+16+30 s of pauses is six claims.
        tokio::time::sleep(StdDuration::from_secs(60)).await;
        workers.stop();
        let claims = down.claims.load(Ordering::Relaxed);
        assert!((5..=8).contains(&claims), "{claims} claims in a minute");
    }

    #[derive(serde::Serialize, serde::Deserialize)]
    struct Greeting {
        name: String,
    }

    impl Job for Greeting {
        const KIND: &'static str = "greeting";
        const ATTEMPTS: i32 = 3;
    }

    fn claimed(payload: &str, attempts: i32) -> Claimed {
        Claimed {
            id: 1,
            kind: Greeting::KIND.into(),
            payload: payload.into(),
            idempotency_key: "greeting:1".into(),
            attempts,
            max_attempts: Greeting::ATTEMPTS,
        }
    }

    #[tokio::test]
    async fn runs_end_as_done_retry_or_failed() {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = Arc::clone(&seen);
        let registry = Registry::default().with(move |g: Greeting, key| {
            log.lock().unwrap().push(format!("{} {key}", g.name));
            match g.name.as_str() {
                "flaky" => Err(JobError::Retry("the server did not answer".into())),
                "broken" => Err(JobError::Permanent("no such address".into())),
                "panics" => panic!("a bug in the handler"),
                _ => Ok(()),
            }
        });
        assert_eq!(
            run(&registry, &claimed(r#"{"name":"Ada"}"#, 1)).await,
            Finish::Done
        );
        assert_eq!(seen.lock().unwrap().as_slice(), ["Ada greeting:1"]);
        assert!(matches!(
            run(&registry, &claimed(r#"{"name":"flaky"}"#, 1)).await,
            Finish::Retry { error, at } if error.contains("did not answer") && at > now()
        ));
        assert_eq!(
            run(&registry, &claimed(r#"{"name":"flaky"}"#, 3)).await,
            Finish::Failed("the server did not answer".into()),
            "the last attempt fails for good"
        );
        assert_eq!(
            run(&registry, &claimed(r#"{"name":"broken"}"#, 1)).await,
            Finish::Failed("no such address".into())
        );
        match run(&registry, &claimed(r#"{"name":"panics"}"#, 1)).await {
            Finish::Retry { error, .. } => {
                assert!(error.contains("panicked: a bug in the handler"), "{error}")
            }
            other => panic!("a panic is a failure: {other:?}"),
        }
        match run(&registry, &claimed(r#"{"nom": 3}"#, 1)).await {
            Finish::Failed(error) => assert!(error.starts_with("the payload no longer parses")),
            other => panic!("an unreadable payload fails at once: {other:?}"),
        }
    }
}
