//! Live updates for open post pages and moderation queues: a Server-Sent Events stream
//! per post at `/comments/live/{post_id}`, and one for the queue at `/admin/comments/live`.
//! Each instance hears every change through its feed (the changes table, woken by NOTIFY
//! on PostgreSQL), so a comment approved or a like given anywhere reaches the pages open on
//! every instance. The event says only that the post's conversation
//! changed; the page's script then fetches the page again and swaps in its comments and
//! likes, so nothing a reader may not see travels on the stream.
//!
//! Streams are bounded, per address and in all: past the bound the answer is a 503, which
//! the script takes as "no live updates" (an `EventSource` does not retry a 503). Idle
//! streams carry a comment line every 15 seconds so proxies keep them open, and a reader
//! reconnecting with `Last-Event-ID` older than what the instance has seen is told at once.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE};
use actix_web::web::Bytes;
use actix_web::{HttpRequest, HttpResponse, web};
use futures_util::StreamExt;
use tokio::sync::broadcast;

use crate::auth::permissions::Permission;
use crate::domain::changes::{Batch, Feed, Listener, Touched};
use crate::error::{AppError, AppResult};
use crate::state::AppState;

/// Streams open at once from one address, and in all.
pub const PER_ADDRESS: usize = 8;
pub const IN_ALL: usize = 2_000;
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// Who is listening to which post, and how many streams are open.
pub struct LiveHub {
    feed: Arc<Feed>,
    posts: Mutex<HashMap<i64, broadcast::Sender<()>>>,
    open: Mutex<(usize, HashMap<IpAddr, usize>)>,
    /// Everything changed (settings, a feed reset): every open page hears it.
    everything: broadcast::Sender<()>,
    /// The moderation queue changed: open queues in the admin hear it.
    moderation: broadcast::Sender<()>,
}

impl LiveHub {
    pub fn new(feed: Arc<Feed>) -> Arc<LiveHub> {
        let hub = Arc::new(LiveHub {
            feed: Arc::clone(&feed),
            posts: Mutex::new(HashMap::new()),
            open: Mutex::new((0, HashMap::new())),
            everything: broadcast::channel(16).0,
            moderation: broadcast::channel(16).0,
        });
        let listener: std::sync::Weak<dyn Listener> =
            Arc::downgrade(&hub) as std::sync::Weak<dyn Listener>;
        feed.subscribe(listener);
        hub
    }

    fn channel(&self, post: i64) -> broadcast::Receiver<()> {
        let mut posts = self.posts.lock().unwrap_or_else(|e| e.into_inner());
        posts
            .entry(post)
            .or_insert_with(|| broadcast::channel(16).0)
            .subscribe()
    }

    /// Counts a stream in, or refuses it past the bounds.
    fn admit(self: &Arc<Self>, address: Option<IpAddr>) -> Option<Admitted> {
        let mut open = self.open.lock().unwrap_or_else(|e| e.into_inner());
        if open.0 >= IN_ALL {
            return None;
        }
        if let Some(address) = address {
            let mine = open.1.entry(address).or_default();
            if *mine >= PER_ADDRESS {
                return None;
            }
            *mine += 1;
        }
        open.0 += 1;
        Some(Admitted {
            hub: Arc::clone(self),
            address,
        })
    }

    /// Streams open now (for tests and, later, metrics).
    pub fn open_streams(&self) -> usize {
        self.open.lock().unwrap_or_else(|e| e.into_inner()).0
    }
}

impl Listener for LiveHub {
    // Called while the feed holds its place (its lock): nothing here may ask the feed
    // anything. The streams read the change's id themselves once they wake.
    fn changed(&self, batch: &Batch) {
        if batch.everything || batch.touched.contains(&Touched::Site) {
            let _ = self.everything.send(());
            return;
        }
        if batch.touched.contains(&Touched::Moderation) {
            let _ = self.moderation.send(());
        }
        let mut posts = self.posts.lock().unwrap_or_else(|e| e.into_inner());
        // Channels nobody listens to any more are dropped as changes pass.
        posts.retain(|_, sender| sender.receiver_count() > 0);
        for touched in &batch.touched {
            if let Touched::Conversation(post) | Touched::Post(post) = touched
                && let Some(sender) = posts.get(post)
            {
                let _ = sender.send(());
            }
        }
    }
}

/// A stream counted in; dropping it (the reader left) counts it out.
struct Admitted {
    hub: Arc<LiveHub>,
    address: Option<IpAddr>,
}

impl Drop for Admitted {
    fn drop(&mut self) {
        let mut open = self.hub.open.lock().unwrap_or_else(|e| e.into_inner());
        open.0 = open.0.saturating_sub(1);
        if let Some(address) = self.address
            && let Some(mine) = open.1.get_mut(&address)
        {
            *mine = mine.saturating_sub(1);
            if *mine == 0 {
                open.1.remove(&address);
            }
        }
    }
}

fn event(id: i64, post: i64) -> Bytes {
    Bytes::from(format!(
        "id: {id}\nevent: conversation\ndata: {{\"post\":{post}}}\n\n"
    ))
}

fn queue_event(id: i64) -> Bytes {
    Bytes::from(format!("id: {id}\nevent: queue\ndata: {{}}\n\n"))
}

fn refused() -> HttpResponse {
    HttpResponse::ServiceUnavailable()
        .insert_header(("Retry-After", "60"))
        .insert_header((CACHE_CONTROL, "no-store"))
        .body("Too many live streams are open; the page works without one.")
}

/// Whether a reconnecting stream missed changes while it was away (`Last-Event-ID` older
/// than what this instance has seen).
fn missed(req: &HttpRequest, seen: i64) -> bool {
    req.headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .is_some_and(|last| last < seen)
}

/// `/comments/live/{post_id}`: the stream of a post's changes.
pub async fn stream(
    state: web::Data<AppState>,
    req: HttpRequest,
    post: web::Path<String>,
) -> AppResult<HttpResponse> {
    let post: i64 = post
        .parse()
        .ok()
        .filter(|id| *id > 0)
        .ok_or(AppError::NotFound)?;
    let now = crate::clock::now();
    let live = state
        .db
        .run(move |conn| crate::domain::posts::live_slug(conn, post, now))
        .await?;
    if live.is_none() {
        return Err(AppError::NotFound);
    }
    let hub = Arc::clone(&state.live);
    let Some(admitted) = hub.admit(crate::web::account::client_ip(&req)) else {
        return Ok(refused());
    };
    let seen = hub.feed.seen();
    // Back after a break: tell the page at once if anything changed meanwhile.
    let hello = format!(
        "retry: 3000\n: {post} live\n\n{}",
        if missed(&req, seen) {
            String::from_utf8_lossy(&event(seen, post)).into_owned()
        } else {
            String::new()
        }
    );
    Ok(respond(admitted, hello, hub.channel(post), move |id| {
        event(id, post)
    }))
}

/// `/admin/comments/live`: the moderation queue's changes, for moderators' open queues.
pub async fn queue_stream(
    state: web::Data<AppState>,
    req: HttpRequest,
    staff: crate::auth::identity::Staff,
) -> AppResult<HttpResponse> {
    staff.require(Permission::ModerateComments)?;
    let hub = Arc::clone(&state.live);
    let Some(admitted) = hub.admit(crate::web::account::client_ip(&req)) else {
        return Ok(refused());
    };
    let seen = hub.feed.seen();
    let hello = format!(
        "retry: 3000\n: queue live\n\n{}",
        if missed(&req, seen) {
            String::from_utf8_lossy(&queue_event(seen)).into_owned()
        } else {
            String::new()
        }
    );
    Ok(respond(
        admitted,
        hello,
        hub.moderation.subscribe(),
        queue_event,
    ))
}

/// The event stream: `hello` first, then an event (made by `event` from the newest change
/// id) whenever `one` or everything changes, and a keep-alive comment when idle.
fn respond(
    admitted: Admitted,
    hello: String,
    one: broadcast::Receiver<()>,
    event: impl Fn(i64) -> Bytes + 'static,
) -> HttpResponse {
    let all = admitted.hub.everything.subscribe();
    let state = (Some(Bytes::from(hello)), one, all, admitted);
    let changes =
        futures_util::stream::unfold(state, |(hello, mut one, mut all, admitted)| async move {
            if let Some(hello) = hello {
                return Some((Ok(hello), (None, one, all, admitted)));
            }
            // Fell behind (Lagged): one event says the same as several.
            let heard = tokio::select! {
                got = one.recv() => !matches!(got, Err(broadcast::error::RecvError::Closed)),
                got = all.recv() => !matches!(got, Err(broadcast::error::RecvError::Closed)),
                _ = tokio::time::sleep(KEEP_ALIVE) => {
                    return Some((
                        Ok(Bytes::from_static(b": keep-alive\n\n")),
                        (None, one, all, admitted),
                    ));
                }
            };
            if !heard {
                return None;
            }
            Some((Err(admitted.hub.feed.seen()), (None, one, all, admitted)))
        });
    // `Err(id)` is a change: it becomes this stream's event.
    let body = changes
        .map(move |out: Result<Bytes, i64>| Ok::<_, std::io::Error>(out.unwrap_or_else(&event)));
    HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/event-stream"))
        .insert_header((CACHE_CONTROL, "no-store"))
        // Compression would hold events back in its buffer.
        .insert_header((CONTENT_ENCODING, "identity"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body)
}
