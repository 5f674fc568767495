//! Live updates for open post pages: a Server-Sent Events stream per post at
//! `/comments/live/{post_id}`. Each instance hears every change through its feed (the changes table,
//! woken by NOTIFY on PostgreSQL), so a comment approved or a like given anywhere reaches
//! the pages open on every instance. The event says only that the post's conversation
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
use tokio::sync::broadcast;

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
}

impl LiveHub {
    pub fn new(feed: Arc<Feed>) -> Arc<LiveHub> {
        let hub = Arc::new(LiveHub {
            feed: Arc::clone(&feed),
            posts: Mutex::new(HashMap::new()),
            open: Mutex::new((0, HashMap::new())),
            everything: broadcast::channel(16).0,
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
        return Ok(HttpResponse::ServiceUnavailable()
            .insert_header(("Retry-After", "60"))
            .insert_header((CACHE_CONTROL, "no-store"))
            .body("Too many live streams are open; the page works without one."));
    };
    let seen = hub.feed.seen();
    // Back after a break: tell the page at once if anything changed meanwhile.
    let missed = req
        .headers()
        .get("Last-Event-ID")
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<i64>().ok())
        .is_some_and(|last| last < seen);
    let hello = Bytes::from(format!(
        "retry: 3000\n: {} live\n\n{}",
        post,
        if missed {
            String::from_utf8_lossy(&event(seen, post)).into_owned()
        } else {
            String::new()
        }
    ));
    let state = (
        Some(hello),
        hub.channel(post),
        hub.everything.subscribe(),
        admitted,
    );
    let body = futures_util::stream::unfold(
        state,
        move |(hello, mut one, mut all, admitted)| async move {
            if let Some(hello) = hello {
                return Some((Ok::<_, std::io::Error>(hello), (None, one, all, admitted)));
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
            let id = admitted.hub.feed.seen();
            Some((Ok(event(id, post)), (None, one, all, admitted)))
        },
    );
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/event-stream"))
        .insert_header((CACHE_CONTROL, "no-store"))
        // Compression would hold events back in its buffer.
        .insert_header((CONTENT_ENCODING, "identity"))
        .insert_header(("X-Accel-Buffering", "no"))
        .streaming(body))
}
