//! Logging: a tracing subscriber (pretty or JSON) that writes through a buffered,
//! non-blocking writer, and the request log with its ids.
//!
//! A request never waits for the terminal or the log collector: lines go into a bounded
//! queue that a writer thread empties in batches. When the queue is full, lines are dropped
//! and counted rather than making requests wait; the count is logged as soon as there is
//! room again, and once more at exit. Everything queued is written before the process ends.

use std::io::{BufWriter, IsTerminal};
use std::sync::LazyLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use actix_web::{Error, HttpMessage};
use tracing::Instrument;
use tracing_appender::non_blocking::{ErrorCounter, NonBlockingBuilder, WorkerGuard};
use tracing_subscriber::EnvFilter;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;

use crate::config::LogFormat;

/// Lines the queue holds before dropping: at most about 6 MB of request lines, over half a
/// second of the heaviest load, so only a stalled reader of stderr loses any.
const QUEUED_LINES: usize = 32_768;

/// Keeps the log's writer thread alive; dropping it writes out every queued line.
pub struct LogGuard {
    worker: Option<WorkerGuard>,
    dropped: Option<ErrorCounter>,
}

impl Drop for LogGuard {
    fn drop(&mut self) {
        // Joins the writer thread once it has written out the queue.
        drop(self.worker.take());
        let lost = self.dropped.as_ref().map_or(0, ErrorCounter::dropped_lines);
        if lost > 0 {
            // The writer is gone: say it directly.
            eprintln!("warning: {lost} log lines were dropped because stderr could not keep up");
        }
    }
}

/// Installs the global subscriber and returns the guard that flushes it; hold the guard
/// until the program ends. Safe to call more than once (later calls install nothing).
pub fn init(filter: &str, format: LogFormat) -> LogGuard {
    let filter = EnvFilter::try_new(filter).unwrap_or_else(|_| EnvFilter::new("info"));
    // The HTML parser under imports narrates its repairs of broken markup; that is routine.
    let filter = match "html5ever=error".parse() {
        Ok(quiet) => filter.add_directive(quiet),
        Err(_) => filter,
    };
    let (writer, worker) = NonBlockingBuilder::default()
        .lossy(true)
        .buffered_lines_limit(QUEUED_LINES)
        .thread_name("quire-log")
        .finish(BufWriter::with_capacity(64 * 1024, std::io::stderr()));
    let dropped = writer.error_counter();
    let registry = tracing_subscriber::registry().with(filter);
    let installed = match format {
        LogFormat::Pretty => registry
            .with(
                tracing_subscriber::fmt::layer()
                    // Colours for a person at a terminal; plain text for files and collectors.
                    .with_ansi(std::io::stderr().is_terminal())
                    .with_writer(writer),
            )
            .try_init(),
        LogFormat::Json => registry
            .with(
                tracing_subscriber::fmt::layer()
                    .json()
                    .flatten_event(true)
                    .with_current_span(true)
                    .with_writer(writer),
            )
            .try_init(),
    };
    if installed.is_err() {
        return LogGuard {
            worker: None,
            dropped: None,
        };
    }
    report_drops(dropped.clone());
    LogGuard {
        worker: Some(worker),
        dropped: Some(dropped),
    }
}

/// Every few seconds, logs how many lines the full queue dropped since the last report.
fn report_drops(counter: ErrorCounter) {
    let spawned = std::thread::Builder::new()
        .name("quire-log-drops".into())
        .spawn(move || {
            let mut reported = 0;
            loop {
                std::thread::sleep(Duration::from_secs(5));
                let total = counter.dropped_lines();
                if total > reported {
                    tracing::warn!(
                        dropped = total - reported,
                        total,
                        "the log could not keep up: lines were dropped"
                    );
                    reported = total;
                }
            }
        });
    if let Err(error) = spawned {
        tracing::warn!(%error, "cannot watch the log for dropped lines");
    }
}

/// A request's id, sent back as `X-Request-Id` and in every line the request logs. A
/// counter from a random start: unique within the process, unlikely to repeat across
/// instances, and free of any system call per request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestId(u64);

static NEXT_ID: LazyLock<AtomicU64> = LazyLock::new(|| {
    let mut seed = [0u8; 8];
    // Without the OS's randomness, the clock still separates restarts.
    if getrandom::fill(&mut seed).is_err() {
        let since_epoch = std::time::UNIX_EPOCH.elapsed().unwrap_or_default();
        seed = (since_epoch.as_nanos() as u64).to_le_bytes();
    }
    AtomicU64::new(u64::from_le_bytes(seed))
});

impl RequestId {
    fn next() -> RequestId {
        RequestId(NEXT_ID.fetch_add(1, Ordering::Relaxed))
    }
}

impl std::fmt::Display for RequestId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

static X_REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

/// The outermost layer: gives the request its id and logs it once answered (method, path,
/// status, duration, id), sending the id back as `X-Request-Id` so a user's report can be
/// matched with the log. It opens no span, so a page cache hit costs one queued line.
pub async fn request_log(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = RequestId::next();
    req.extensions_mut().insert(id);
    // Copied, not the request itself: layers below need it unshared to edit its headers.
    let (method, path) = (req.method().clone(), req.path().to_owned());
    let started = Instant::now();
    let answered = next.call(req).await;
    let status = match &answered {
        Ok(response) => response.status(),
        Err(error) => error.as_response_error().status_code(),
    };
    tracing::info!(
        request_id = %id,
        %method,
        path,
        status = status.as_u16(),
        elapsed_us = started.elapsed().as_micros() as u64,
        "request"
    );
    let mut response = answered?;
    if let Ok(value) = HeaderValue::from_str(&id.to_string()) {
        response.headers_mut().insert(X_REQUEST_ID.clone(), value);
    }
    Ok(response)
}

/// Inside the page cache: what a request logs while it is rendered carries its id, method
/// and path. Cache hits never get here.
pub async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<impl MessageBody>, Error> {
    let id = req.extensions().get::<RequestId>().copied();
    let span = tracing::info_span!(
        "request",
        request_id = id.map(tracing::field::display),
        method = %req.method(),
        path = req.path(),
    );
    next.call(req).instrument(span).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn request_ids_differ_and_read_as_sixteen_hex_digits() {
        let (a, b) = (RequestId::next(), RequestId::next());
        assert_ne!(a, b);
        for id in [a, b] {
            let text = id.to_string();
            assert_eq!(text.len(), 16, "{text}");
            assert!(text.chars().all(|c| c.is_ascii_hexdigit()), "{text}");
        }
    }
}
