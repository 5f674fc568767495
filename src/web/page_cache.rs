//! The page cache: anonymous GET and HEAD requests for public pages, feeds and sitemaps are
//! answered from memory, with no database round trip.
//!
//! Each entry holds the body once per encoding (brotli, gzip, identity), compressed when it
//! is stored, never per request, each with its headers ready to send and its own ETag (one
//! hash of the page, with the encoding added for the compressed ones), and the parts of the site
//! it shows (`Depends`: a post page shows its post, its neighbours, its authors and tags).
//! When the change feed (`domain::changes`) reports what a write touched, the entries that
//! show it are dropped and the rest stay: editing one post does not evict another's page.
//! A page without a declared dependency is dropped by any change.
//!
//! Requests carrying a session cookie bypass the cache, and responses that set a cookie are
//! never stored. Memory is bounded; the least recently used entries go first.
//!
//! A hit is answered here, before sessions, CSRF checks, canonical redirects, compression or
//! the rendering span: it costs a lookup, a copy of the stored headers and a log line. A miss
//! answers its reader first (compressed quickly if asked), then compresses for the cache
//! at the best ratio off the async workers.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, Weak};
use std::time::Duration;

use actix_web::body::{BodySize, BoxBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{
    self, AcceptEncoding, ContentEncoding, Encoding, Header, HeaderMap, HeaderName, HeaderValue,
    HttpDate, Preference,
};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::Next;
use actix_web::web::Bytes;
use actix_web::{Error, HttpResponse, web};
use lru::LruCache;
use tokio::sync::Notify;

use crate::clock::now;
use crate::domain::changes::{Batch, Feed, Listener, Touched};
use crate::state::AppState;
use crate::web::conditional::{Conditions, etag_of};

/// The name of the session cookie: a request carrying it is never served from the cache.
pub const SESSION_COOKIE: &str = "quire_session";

/// No single entry may take more than this share of the budget.
const MAX_ENTRY_SHARE: usize = 8;

/// What a page shows, declared by its handler on the response, so the cache knows which
/// changes make it stale. The whole site's settings count for every page without saying.
#[derive(Debug, Clone, Default)]
pub struct Depends(pub Vec<Touched>);

impl Depends {
    /// Declares what `response` shows.
    pub fn on(mut response: HttpResponse, parts: Vec<Touched>) -> HttpResponse {
        response.extensions_mut().insert(Depends(parts));
        response
    }
}

/// One encoding of a page, as it is sent.
struct Variant {
    body: Bytes,
    /// The 200's headers: the page's own, its ETag, `Vary` and `Content-Encoding`.
    headers: HeaderMap,
    etag: HeaderValue,
}

struct Entry {
    /// `None`: any change makes it stale.
    depends: Option<Vec<Touched>>,
    last_modified: Option<HttpDate>,
    identity: Variant,
    gzip: Variant,
    brotli: Variant,
}

impl Entry {
    fn size(&self) -> usize {
        self.identity.body.len() + self.gzip.body.len() + self.brotli.body.len() + 3 * 512
    }

    fn variant(&self, encoding: ContentEncoding) -> &Variant {
        match encoding {
            ContentEncoding::Brotli => &self.brotli,
            ContentEncoding::Gzip => &self.gzip,
            _ => &self.identity,
        }
    }

    fn stale_after(&self, batch: &Batch) -> bool {
        match &self.depends {
            Some(parts) => batch.affects(parts),
            None => true,
        }
    }
}

struct Store {
    entries: LruCache<String, Arc<Entry>>,
    used: usize,
    /// Bumped by every batch of changes: a page rendered across one is not stored.
    generation: u64,
}

/// Counters for `/metrics` (and tests).
#[derive(Debug, Default)]
pub struct CacheStats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub evictions: AtomicU64,
    /// Entries dropped because a change made them stale.
    pub invalidations: AtomicU64,
}

pub struct PageCache {
    budget: usize,
    feed: Arc<Feed>,
    store: Mutex<Store>,
    /// Pages being rendered right now: later requests for them wait instead of rendering
    /// (and compressing) the same page again.
    in_flight: Mutex<HashMap<String, Arc<Notify>>>,
    /// Pages answered and now being compressed for the cache (see `MAX_PENDING_STORES`).
    pending_stores: AtomicUsize,
    pub stats: CacheStats,
}

/// Pages compressed for the cache at once, at most. A reader who caused a miss does not
/// wait for that compression, so without a bound, requests for ever new query strings
/// could queue brotli work faster than it is done; past it, a page is answered and not
/// stored.
const MAX_PENDING_STORES: usize = 16;

impl PageCache {
    /// A cache of `budget` bytes that follows `feed`.
    pub fn new(budget: usize, feed: Arc<Feed>) -> Arc<PageCache> {
        let cache = Arc::new(PageCache {
            budget,
            store: Mutex::new(Store {
                entries: LruCache::unbounded(),
                used: 0,
                generation: 0,
            }),
            feed: Arc::clone(&feed),
            in_flight: Mutex::new(HashMap::new()),
            pending_stores: AtomicUsize::new(0),
            stats: CacheStats::default(),
        });
        let listener: Weak<dyn Listener> = Arc::downgrade(&cache) as Weak<dyn Listener>;
        feed.subscribe(listener);
        cache
    }

    fn generation(&self) -> u64 {
        self.store
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .generation
    }

    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        // Two numbers compared in memory: a scheduled post going live drops everything.
        self.feed.check_schedule(now());
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        store.entries.get(key).cloned()
    }

    /// Stores a page rendered while the cache was at `generation`; a page that a change
    /// overtook while it was being made is not stored.
    fn put(&self, key: String, entry: Arc<Entry>, generation: u64) {
        let size = entry.size();
        if size > self.budget / MAX_ENTRY_SHARE {
            return;
        }
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        if store.generation != generation {
            return;
        }
        if let Some(old) = store.entries.put(key, entry) {
            store.used -= old.size();
        }
        store.used += size;
        while store.used > self.budget {
            let Some((_, evicted)) = store.entries.pop_lru() else {
                break;
            };
            store.used -= evicted.size();
            self.stats.evictions.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Claims the rendering of `key`: `Ok` for the caller to render it, or `Err` with the
    /// signal that the request rendering it now will give when done.
    fn claim(self: &Arc<Self>, key: &str) -> Result<RenderClaim, Arc<Notify>> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(done) = in_flight.get(key) {
            return Err(done.clone());
        }
        in_flight.insert(key.to_string(), Arc::new(Notify::new()));
        Ok(RenderClaim {
            cache: Arc::clone(self),
            key: key.to_string(),
        })
    }

    /// Waits until every page being rendered or compressed now has been stored (or has
    /// failed): what tests and benchmarks call to see the cache settled after a miss.
    pub async fn settled(&self) {
        loop {
            let pending = {
                let in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
                in_flight.values().next().cloned()
            };
            let Some(done) = pending else { return };
            let notified = done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            // Released between the two locks: its signal has gone already.
            let still_held = {
                let in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
                in_flight.values().any(|held| Arc::ptr_eq(held, &done))
            };
            if still_held {
                notified.await;
            }
        }
    }

    /// Whether `key` is held now (for tests).
    pub fn holds(&self, key: &str) -> bool {
        self.store
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .contains(key)
    }

    pub fn len(&self) -> usize {
        self.store
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .entries
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn bytes_used(&self) -> usize {
        self.store.lock().unwrap_or_else(|e| e.into_inner()).used
    }
}

impl Listener for PageCache {
    fn changed(&self, batch: &Batch) {
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        store.generation += 1;
        let stale: Vec<String> = store
            .entries
            .iter()
            .filter(|(_, entry)| entry.stale_after(batch))
            .map(|(key, _)| key.clone())
            .collect();
        for key in stale {
            if let Some(entry) = store.entries.pop(&key) {
                store.used -= entry.size();
                self.stats.invalidations.fetch_add(1, Ordering::Relaxed);
            }
        }
    }
}

/// Held while a page renders and is stored; dropping it (done or failed) wakes those
/// waiting for it.
struct RenderClaim {
    cache: Arc<PageCache>,
    key: String,
}

impl Drop for RenderClaim {
    fn drop(&mut self) {
        let mut in_flight = self
            .cache
            .in_flight
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        if let Some(done) = in_flight.remove(&self.key) {
            done.notify_waiters();
        }
    }
}

/// How long a request waits for another to render the same page before rendering it itself.
const WAIT_FOR_RENDER: Duration = Duration::from_secs(5);

/// Anonymous reads of public pages. The site's own sections are private or have their own
/// caching; sitemap files are streamed so memory stays flat on large sites, and revalidate
/// cheaply.
fn cacheable_request(req: &ServiceRequest) -> bool {
    let path = req.path();
    matches!(*req.method(), Method::GET | Method::HEAD)
        && (!crate::web::in_own_section(path) || crate::web::api::is_content_read(path))
        && !crate::web::is_sitemap_file(path)
        && req.cookie(SESSION_COOKIE).is_none()
}

/// What a page is stored under: its path and query, and for the API the `Origin` a browser
/// sent, whose CORS headers differ from those of other origins.
fn cache_key(req: &ServiceRequest) -> std::borrow::Cow<'_, str> {
    let path = req.uri().path_and_query().map_or("", |pq| pq.as_str());
    match req.headers().get(header::ORIGIN) {
        Some(origin) if crate::web::api::is_content_read(req.path()) => {
            let origin = String::from_utf8_lossy(origin.as_bytes());
            std::borrow::Cow::Owned(format!("{path}\n{origin}"))
        }
        _ => std::borrow::Cow::Borrowed(path),
    }
}

/// Which stored encoding to send: the client's preference among brotli, gzip and identity.
fn negotiate(headers: &HeaderMap) -> ContentEncoding {
    if !headers.contains_key(header::ACCEPT_ENCODING) {
        return ContentEncoding::Identity;
    }
    let supported = [
        Encoding::Known(ContentEncoding::Brotli),
        Encoding::Known(ContentEncoding::Gzip),
        Encoding::identity(),
    ];
    let Ok(accept) = AcceptEncoding::parse(&HeaderOnly(headers)) else {
        return ContentEncoding::Identity;
    };
    match accept.negotiate(supported.iter()) {
        Some(Encoding::Known(ContentEncoding::Identity))
            if matches!(accept.ranked().first(), Some(Preference::Any)) =>
        {
            // "*" accepts anything: send the smallest.
            ContentEncoding::Brotli
        }
        Some(Encoding::Known(encoding)) => encoding,
        _ => ContentEncoding::Identity,
    }
}

/// Lets a bare header map be parsed with actix's typed headers.
struct HeaderOnly<'a>(&'a HeaderMap);

impl actix_web::HttpMessage for HeaderOnly<'_> {
    type Stream = ();
    fn headers(&self) -> &HeaderMap {
        self.0
    }
    fn take_payload(&mut self) -> actix_web::dev::Payload<Self::Stream> {
        actix_web::dev::Payload::None
    }
    fn extensions(&self) -> std::cell::Ref<'_, actix_web::dev::Extensions> {
        unreachable!("only headers are read")
    }
    fn extensions_mut(&self) -> std::cell::RefMut<'_, actix_web::dev::Extensions> {
        unreachable!("only headers are read")
    }
}

pub async fn page_cache(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, Error> {
    let cache = req
        .app_data::<web::Data<AppState>>()
        .and_then(|state| state.page_cache.clone());
    let Some(cache) = cache.filter(|_| cacheable_request(&req)) else {
        return Ok(next.call(req).await?.map_into_boxed_body());
    };
    let encoding = negotiate(req.headers());
    let key = cache_key(&req);
    if let Some(entry) = cache.get(&key) {
        cache.stats.hits.fetch_add(1, Ordering::Relaxed);
        let response = respond(&entry, encoding, &Conditions::read(req.headers()));
        return Ok(req.into_response(response));
    }
    let key = key.into_owned();
    // Someone else is rendering this page: wait for their result rather than repeat the work.
    let claim = match cache.claim(&key) {
        Ok(claim) => Some(claim),
        Err(done) => {
            let notified = done.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if cache.get(&key).is_none() {
                let _ = tokio::time::timeout(WAIT_FOR_RENDER, notified).await;
            }
            if let Some(entry) = cache.get(&key) {
                cache.stats.hits.fetch_add(1, Ordering::Relaxed);
                let response = respond(&entry, encoding, &Conditions::read(req.headers()));
                return Ok(req.into_response(response));
            }
            None
        }
    };
    cache.stats.misses.fetch_add(1, Ordering::Relaxed);

    // Render the full, unencoded page below us; conditions and encoding are applied here.
    let conditions = Conditions::take(req.headers_mut());
    req.headers_mut().remove(header::ACCEPT_ENCODING);
    let generation = cache.generation();
    let response = next.call(req).await?;
    let storable = response.status() == StatusCode::OK
        && !response.headers().contains_key(header::SET_COOKIE)
        && !matches!(response.response().body().size(), BodySize::Stream);
    if !storable {
        return Ok(response.map_into_boxed_body());
    }
    let depends = response
        .response()
        .extensions()
        .get::<Depends>()
        .map(|d| d.0.clone());
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let body = actix_web::body::to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into().to_string()))?;
    let page = Page::new(head.headers(), body);

    // The reader first: a quick compression if they asked for one, off the async workers.
    let sent = match encoding {
        ContentEncoding::Identity => page.variant(ContentEncoding::Identity, page.body.clone()),
        encoding => {
            let body = page.body.clone();
            let compressed = web::block(move || compress(&body, encoding, Effort::Quick))
                .await
                .map_err(actix_web::error::ErrorInternalServerError)?;
            page.variant(encoding, compressed)
        }
    };
    let response = respond_with(&sent, page.last_modified, &conditions);

    // Then the cache: the best ratio, which takes milliseconds; those waiting for this page
    // are woken when it is stored (or, should that fail, when the claim drops).
    if cache.pending_stores.fetch_add(1, Ordering::Relaxed) >= MAX_PENDING_STORES {
        cache.pending_stores.fetch_sub(1, Ordering::Relaxed);
        return Ok(ServiceResponse::new(request, response));
    }
    actix_web::rt::spawn(async move {
        if let Ok(entry) = web::block(move || page.into_entry(depends)).await {
            cache.put(key, Arc::new(entry), generation);
        }
        cache.pending_stores.fetch_sub(1, Ordering::Relaxed);
        drop(claim);
    });
    Ok(ServiceResponse::new(request, response))
}

/// Headers a stored page keeps: everything but what depends on the encoding or the request.
fn kept(name: &HeaderName) -> bool {
    ![
        header::CONTENT_LENGTH,
        header::CONTENT_ENCODING,
        header::ETAG,
        header::VARY,
        header::SET_COOKIE,
        header::DATE,
        header::TRANSFER_ENCODING,
    ]
    .contains(name)
}

/// A freshly rendered page, before it is compressed for the cache.
struct Page {
    body: Bytes,
    /// The headers every encoding shares.
    headers: HeaderMap,
    /// The page's hash, the opaque part of every variant's ETag.
    tag: String,
    last_modified: Option<HttpDate>,
}

impl Page {
    fn new(rendered: &HeaderMap, body: Bytes) -> Page {
        let mut headers = HeaderMap::with_capacity(rendered.len() + 3);
        for (name, value) in rendered.iter().filter(|(name, _)| kept(name)) {
            headers.append(name.clone(), value.clone());
        }
        // What the page itself varies on (the API's `Origin`), and always the encoding.
        let mut vary: Vec<&str> = rendered
            .get_all(header::VARY)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .filter(|v| !v.is_empty() && !v.eq_ignore_ascii_case("accept-encoding"))
            .collect();
        vary.push("accept-encoding");
        headers.insert(
            header::VARY,
            HeaderValue::from_str(&vary.join(", "))
                .unwrap_or(HeaderValue::from_static("accept-encoding")),
        );
        // `conditional_get` below has already hashed the body; reuse its tag.
        let tag = rendered
            .get(header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(|etag| etag.trim_start_matches("W/").trim_matches('"').to_owned())
            .unwrap_or_else(|| etag_of(&body).trim_matches('"').to_owned());
        let last_modified = rendered
            .get(header::LAST_MODIFIED)
            .and_then(|v| v.to_str().ok()?.parse::<HttpDate>().ok());
        Page {
            body,
            headers,
            tag,
            last_modified,
        }
    }

    /// The page as sent in `encoding`, given its bytes in that encoding. Compressed
    /// variants carry weak ETags: the bytes differ with the compressor's effort, the page
    /// they stand for does not.
    fn variant(&self, encoding: ContentEncoding, body: Bytes) -> Variant {
        let etag = match encoding {
            ContentEncoding::Identity => format!("\"{}\"", self.tag),
            encoding => format!("W/\"{}-{}\"", self.tag, encoding.as_str()),
        };
        let etag = HeaderValue::from_str(&etag).unwrap_or(HeaderValue::from_static("\"\""));
        let mut headers = self.headers.clone();
        headers.insert(header::ETAG, etag.clone());
        if encoding != ContentEncoding::Identity {
            headers.insert(
                header::CONTENT_ENCODING,
                HeaderValue::from_static(encoding.as_str()),
            );
        }
        Variant {
            body,
            headers,
            etag,
        }
    }

    fn into_entry(self, depends: Option<Vec<Touched>>) -> Entry {
        let gzip = compress(&self.body, ContentEncoding::Gzip, Effort::Best);
        let brotli = compress(&self.body, ContentEncoding::Brotli, Effort::Best);
        Entry {
            depends,
            last_modified: self.last_modified,
            identity: self.variant(ContentEncoding::Identity, self.body.clone()),
            gzip: self.variant(ContentEncoding::Gzip, gzip),
            brotli: self.variant(ContentEncoding::Brotli, brotli),
        }
    }
}

/// How hard to compress: quickly for the reader waiting on a miss, at the best ratio for
/// the copy the cache keeps.
#[derive(Clone, Copy)]
enum Effort {
    Quick,
    Best,
}

/// Pages up to this size get brotli's best quality; large feeds would take hundreds of
/// milliseconds at it.
const BROTLI_MAX_QUALITY_UP_TO: usize = 64 * 1024;

fn compress(body: &[u8], encoding: ContentEncoding, effort: Effort) -> Bytes {
    match encoding {
        ContentEncoding::Gzip => {
            let level = match effort {
                Effort::Quick => flate2::Compression::new(4),
                Effort::Best => flate2::Compression::best(),
            };
            let mut encoder = flate2::write::GzEncoder::new(Vec::new(), level);
            let _ = encoder.write_all(body);
            Bytes::from(encoder.finish().unwrap_or_default())
        }
        ContentEncoding::Brotli => {
            let quality = match effort {
                Effort::Quick => 4,
                Effort::Best if body.len() <= BROTLI_MAX_QUALITY_UP_TO => 11,
                Effort::Best => 6,
            };
            let params = brotli::enc::BrotliEncoderParams {
                quality,
                lgwin: 22,
                ..Default::default()
            };
            let mut out = Vec::new();
            let _ = brotli::BrotliCompress(&mut &body[..], &mut out, &params);
            Bytes::from(out)
        }
        _ => Bytes::copy_from_slice(body),
    }
}

fn respond(entry: &Entry, encoding: ContentEncoding, conditions: &Conditions) -> HttpResponse {
    respond_with(entry.variant(encoding), entry.last_modified, conditions)
}

/// The stored headers as they are, or a 304 with the same validators and no body.
fn respond_with(
    variant: &Variant,
    last_modified: Option<HttpDate>,
    conditions: &Conditions,
) -> HttpResponse {
    if conditions.fresh(variant.etag.to_str().unwrap_or_default(), last_modified) {
        let mut response = HttpResponse::NotModified().finish();
        for (name, value) in variant.headers.iter() {
            if name != header::CONTENT_TYPE && name != header::CONTENT_ENCODING {
                response.headers_mut().append(name.clone(), value.clone());
            }
        }
        return response;
    }
    let mut response = HttpResponse::with_body(StatusCode::OK, variant.body.clone());
    *response.headers_mut() = variant.headers.clone();
    response.map_into_boxed_body()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn headers(pairs: &[(&str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (k, v) in pairs {
            map.insert(
                HeaderName::try_from(*k).unwrap(),
                HeaderValue::from_str(v).unwrap(),
            );
        }
        map
    }

    /// Bytes that do not compress, so each stored entry is about three times their size.
    fn noise(len: usize, seed: u64) -> Bytes {
        let mut state = seed.wrapping_mul(6364136223846793005).wrapping_add(1);
        (0..len)
            .map(|_| {
                state = state
                    .wrapping_mul(6364136223846793005)
                    .wrapping_add(1442695040888963407);
                (state >> 33) as u8
            })
            .collect::<Vec<u8>>()
            .into()
    }

    fn page(depends: Option<Vec<Touched>>, body: Bytes) -> Arc<Entry> {
        Arc::new(Page::new(&HeaderMap::new(), body).into_entry(depends))
    }

    fn changed(cache: &PageCache, touched: &[Touched]) {
        let batch = Batch {
            everything: false,
            touched: touched.iter().copied().collect(),
        };
        cache.changed(&batch);
    }

    #[test]
    fn memory_stays_within_the_budget_and_the_oldest_go_first() {
        let cache = PageCache::new(1 << 20, Arc::new(Feed::detached()));
        for n in 0..20u64 {
            cache.put(format!("/page-{n}/"), page(None, noise(30_000, n)), 0);
            assert!(cache.bytes_used() <= 1 << 20, "over budget after {n}");
        }
        assert!(cache.stats.evictions.load(Ordering::Relaxed) > 0);
        assert!(
            cache.get("/page-0/").is_none(),
            "the least recently used went first"
        );
        assert!(cache.get("/page-19/").is_some());
        // An entry bigger than an eighth of the budget is never stored.
        cache.put("/huge/".into(), page(None, noise(200_000, 99)), 0);
        assert!(cache.get("/huge/").is_none());
    }

    #[test]
    fn a_change_drops_the_pages_that_show_it_and_only_those() {
        let cache = PageCache::new(1 << 20, Arc::new(Feed::detached()));
        let body = || Bytes::from_static(b"page");
        cache.put(
            "/a/".into(),
            page(Some(vec![Touched::Post(1), Touched::Post(2)]), body()),
            0,
        );
        cache.put(
            "/b/".into(),
            page(Some(vec![Touched::Post(2), Touched::Tag(9)]), body()),
            0,
        );
        cache.put("/".into(), page(Some(vec![Touched::Listings]), body()), 0);
        cache.put("/robots.txt".into(), page(None, body()), 0);
        changed(&cache, &[Touched::Post(1)]);
        assert!(!cache.holds("/a/"), "the page showing post 1 went");
        assert!(cache.holds("/b/"), "another post's page stayed");
        assert!(cache.holds("/"), "so did the lists");
        assert!(
            !cache.holds("/robots.txt"),
            "a page that declared nothing goes with anything"
        );
        assert_eq!(cache.stats.invalidations.load(Ordering::Relaxed), 2);
        changed(&cache, &[Touched::Tag(9)]);
        assert!(!cache.holds("/b/"));
        changed(&cache, &[Touched::Site]);
        assert!(cache.is_empty(), "the site's settings are in every page");
        assert_eq!(cache.bytes_used(), 0);
    }

    #[test]
    fn a_page_made_across_a_change_is_not_stored() {
        let cache = PageCache::new(1 << 20, Arc::new(Feed::detached()));
        let before = cache.generation();
        changed(&cache, &[Touched::Post(5)]);
        cache.put(
            "/late/".into(),
            page(Some(vec![Touched::Post(6)]), Bytes::from_static(b"x")),
            before,
        );
        assert!(!cache.holds("/late/"));
        cache.put(
            "/now/".into(),
            page(Some(vec![Touched::Post(6)]), Bytes::from_static(b"x")),
            cache.generation(),
        );
        assert!(cache.holds("/now/"));
    }

    #[test]
    fn encodings_are_negotiated_with_q_values() {
        let pick = |value: &str| negotiate(&headers(&[("accept-encoding", value)]));
        assert_eq!(pick("gzip, deflate, br"), ContentEncoding::Brotli);
        assert_eq!(pick("gzip"), ContentEncoding::Gzip);
        assert_eq!(pick("br;q=0.5, gzip;q=0.9"), ContentEncoding::Gzip);
        assert_eq!(pick("br;q=0, gzip;q=0"), ContentEncoding::Identity);
        assert_eq!(pick("*"), ContentEncoding::Brotli);
        assert_eq!(pick("identity"), ContentEncoding::Identity);
        assert_eq!(pick("compress, deflate"), ContentEncoding::Identity);
        assert_eq!(negotiate(&HeaderMap::new()), ContentEncoding::Identity);
    }
}
