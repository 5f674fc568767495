//! The page cache: anonymous GET and HEAD requests for public pages, feeds and sitemaps are
//! answered from memory, with no database round trip.
//!
//! Each entry holds the body once per encoding (brotli, gzip, identity), compressed when it
//! is stored, never per request, each with its own strong ETag, and the parts of the site
//! it shows (`Depends`: a post page shows its post, its neighbours, its authors and tags).
//! When the change feed (`domain::changes`) reports what a write touched, the entries that
//! show it are dropped and the rest stay: editing one post does not evict another's page.
//! A page without a declared dependency is dropped by any change.
//!
//! Requests carrying a session cookie bypass the cache, and responses that set a cookie are
//! never stored. Memory is bounded; the least recently used entries go first.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
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
use sha2::{Digest, Sha256};
use tokio::sync::Notify;

use crate::clock::now;
use crate::domain::changes::{Batch, Feed, Listener, Touched};
use crate::state::AppState;
use crate::web::conditional::Conditions;

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

struct Variant {
    body: Bytes,
    etag: HeaderValue,
}

struct Entry {
    /// `None`: any change makes it stale.
    depends: Option<Vec<Touched>>,
    headers: Vec<(HeaderName, HeaderValue)>,
    identity: Variant,
    gzip: Variant,
    brotli: Variant,
}

impl Entry {
    fn size(&self) -> usize {
        self.identity.body.len() + self.gzip.body.len() + self.brotli.body.len() + 512
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
    pub stats: CacheStats,
}

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
    fn claim(&self, key: &str) -> Result<RenderClaim<'_>, Arc<Notify>> {
        let mut in_flight = self.in_flight.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(done) = in_flight.get(key) {
            return Err(done.clone());
        }
        in_flight.insert(key.to_string(), Arc::new(Notify::new()));
        Ok(RenderClaim {
            cache: self,
            key: key.to_string(),
        })
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

/// Held while a page renders; dropping it (done or failed) wakes those waiting for it.
struct RenderClaim<'a> {
    cache: &'a PageCache,
    key: String,
}

impl Drop for RenderClaim<'_> {
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
        && !crate::web::in_own_section(path)
        && !crate::web::is_sitemap_file(path)
        && req.cookie(SESSION_COOKIE).is_none()
}

/// Which stored encoding to send: the client's preference among brotli, gzip and identity.
fn negotiate(headers: &HeaderMap) -> ContentEncoding {
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
    let key = req
        .uri()
        .path_and_query()
        .map(|pq| pq.as_str().to_owned())
        .unwrap_or_default();
    let encoding = negotiate(req.headers());

    if let Some(entry) = cache.get(&key) {
        cache.stats.hits.fetch_add(1, Ordering::Relaxed);
        let conditions = Conditions::take(req.headers_mut());
        let response = respond(&entry, encoding, &conditions);
        return Ok(req.into_response(response));
    }
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
                let conditions = Conditions::take(req.headers_mut());
                let response = respond(&entry, encoding, &conditions);
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
    // Compressing a large page takes milliseconds: keep it off the async workers.
    let headers = head.headers().clone();
    let entry = web::block(move || build_entry(depends, &headers, body))
        .await
        .map_err(actix_web::error::ErrorInternalServerError)?;
    let entry = Arc::new(entry);
    let response = respond(&entry, encoding, &conditions);
    cache.put(key, entry, generation);
    drop(claim);
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

fn build_entry(depends: Option<Vec<Touched>>, headers: &HeaderMap, body: Bytes) -> Entry {
    let gzip = {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        let _ = encoder.write_all(&body);
        encoder.finish().unwrap_or_default()
    };
    let brotli = {
        let mut out = Vec::new();
        // The best ratio for pages; large feeds would take hundreds of milliseconds at 11.
        let quality = if body.len() <= BROTLI_MAX_QUALITY_UP_TO {
            11
        } else {
            6
        };
        let params = brotli::enc::BrotliEncoderParams {
            quality,
            lgwin: 22,
            ..Default::default()
        };
        let _ = brotli::BrotliCompress(&mut &body[..], &mut out, &params);
        out
    };
    Entry {
        depends,
        headers: headers
            .iter()
            .filter(|(name, _)| kept(name))
            .map(|(n, v)| (n.clone(), v.clone()))
            .collect(),
        identity: variant(body),
        gzip: variant(Bytes::from(gzip)),
        brotli: variant(Bytes::from(brotli)),
    }
}

const BROTLI_MAX_QUALITY_UP_TO: usize = 64 * 1024;

fn variant(body: Bytes) -> Variant {
    let digest = Sha256::digest(&body);
    let etag = HeaderValue::from_str(&format!("\"{}\"", hex::encode(&digest[..16])))
        .expect("hex is a valid header value");
    Variant { body, etag }
}

fn respond(entry: &Entry, encoding: ContentEncoding, conditions: &Conditions) -> HttpResponse {
    let variant = match encoding {
        ContentEncoding::Brotli => &entry.brotli,
        ContentEncoding::Gzip => &entry.gzip,
        _ => &entry.identity,
    };
    let last_modified = entry
        .headers
        .iter()
        .find(|(name, _)| name == header::LAST_MODIFIED)
        .and_then(|(_, v)| v.to_str().ok()?.parse::<HttpDate>().ok());
    let fresh = conditions.fresh(variant.etag.to_str().unwrap_or_default(), last_modified);
    let mut response = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    for (name, value) in &entry.headers {
        if !fresh || name != header::CONTENT_TYPE {
            response.append_header((name.clone(), value.clone()));
        }
    }
    response
        .insert_header((header::ETAG, variant.etag.clone()))
        .insert_header((header::VARY, "accept-encoding"));
    if fresh {
        return response.finish();
    }
    if encoding != ContentEncoding::Identity {
        response.insert_header((header::CONTENT_ENCODING, encoding.as_str()));
    }
    response.body(variant.body.clone())
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
        Arc::new(build_entry(depends, &HeaderMap::new(), body))
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
