//! The page cache: anonymous GET and HEAD requests for public pages, feeds and sitemaps are
//! answered from memory, with no database round trip.
//!
//! Each entry holds the body once per encoding (brotli, gzip, identity), compressed when it
//! is stored, never per request, each with its own strong ETag. An entry is valid while the
//! site's clock (`site::Clock`) shows the stamp it was made under; the first request after
//! the stamp moves on drops every entry.
//!
//! Requests carrying a session cookie bypass the cache, and responses that set a cookie are
//! never stored. Memory is bounded; the least recently used entries go first.

use std::collections::HashMap;
use std::io::Write;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
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

use crate::site::{Clock, Stamp};
use crate::state::AppState;

/// The name of the session cookie: a request carrying it is never served from the cache.
pub const SESSION_COOKIE: &str = "quire_session";

/// No single entry may take more than this share of the budget.
const MAX_ENTRY_SHARE: usize = 8;

struct Variant {
    body: Bytes,
    etag: HeaderValue,
}

struct Entry {
    stamp: Stamp,
    headers: Vec<(HeaderName, HeaderValue)>,
    identity: Variant,
    gzip: Variant,
    brotli: Variant,
}

impl Entry {
    fn size(&self) -> usize {
        self.identity.body.len() + self.gzip.body.len() + self.brotli.body.len() + 512
    }
}

struct Store {
    /// The stamp every stored entry was made under.
    stamp: Stamp,
    entries: LruCache<String, Arc<Entry>>,
    used: usize,
}

impl Store {
    /// Drops everything when the site changed since the entries were made.
    fn catch_up(&mut self, stamp: Stamp) {
        if self.stamp != stamp {
            self.stamp = stamp;
            self.entries.clear();
            self.used = 0;
        }
    }
}

/// Counters for `/metrics`.
#[derive(Debug, Default)]
pub struct CacheStats {
    pub hits: AtomicU64,
    pub misses: AtomicU64,
    pub evictions: AtomicU64,
}

pub struct PageCache {
    budget: usize,
    clock: Arc<Clock>,
    store: Mutex<Store>,
    /// Pages being rendered right now: later requests for them wait instead of rendering
    /// (and compressing) the same page again.
    in_flight: Mutex<HashMap<String, Arc<Notify>>>,
    pub stats: CacheStats,
}

impl PageCache {
    pub fn new(budget: usize, clock: Arc<Clock>) -> PageCache {
        PageCache {
            budget,
            store: Mutex::new(Store {
                stamp: clock.stamp(),
                entries: LruCache::unbounded(),
                used: 0,
            }),
            clock,
            in_flight: Mutex::new(HashMap::new()),
            stats: CacheStats::default(),
        }
    }

    fn stamp(&self) -> Stamp {
        self.clock.stamp()
    }

    fn get(&self, key: &str) -> Option<Arc<Entry>> {
        let stamp = self.stamp();
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        store.catch_up(stamp);
        store.entries.get(key).cloned()
    }

    fn put(&self, key: String, entry: Arc<Entry>) {
        let size = entry.size();
        if size > self.budget / MAX_ENTRY_SHARE {
            return;
        }
        let stamp = self.stamp();
        let mut store = self.store.lock().unwrap_or_else(|e| e.into_inner());
        store.catch_up(stamp);
        if entry.stamp != stamp {
            // The site changed while this page was being made.
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

/// What the client sent that decides between 200 and 304.
struct Conditions {
    if_none_match: Option<String>,
    if_modified_since: Option<HttpDate>,
}

impl Conditions {
    fn take(headers: &mut HeaderMap) -> Conditions {
        let if_none_match = headers
            .remove(header::IF_NONE_MATCH)
            .next()
            .and_then(|v| v.to_str().ok().map(str::to_owned));
        let if_modified_since = headers
            .remove(header::IF_MODIFIED_SINCE)
            .next()
            .and_then(|v| v.to_str().ok()?.parse().ok());
        Conditions {
            if_none_match,
            if_modified_since,
        }
    }

    fn fresh(&self, etag: &HeaderValue, last_modified: Option<HttpDate>) -> bool {
        match (&self.if_none_match, self.if_modified_since, last_modified) {
            (Some(tags), _, _) => {
                let etag = etag.to_str().unwrap_or_default();
                tags.split(',').map(str::trim).any(|candidate| {
                    candidate == "*" || candidate.strip_prefix("W/").unwrap_or(candidate) == etag
                })
            }
            (None, Some(since), Some(modified)) => modified <= since,
            _ => false,
        }
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
    let stamp = cache.stamp();
    let response = next.call(req).await?;
    let storable = response.status() == StatusCode::OK
        && !response.headers().contains_key(header::SET_COOKIE)
        && !matches!(response.response().body().size(), BodySize::Stream);
    if !storable {
        return Ok(response.map_into_boxed_body());
    }
    let (request, response) = response.into_parts();
    let (head, body) = response.into_parts();
    let body = actix_web::body::to_bytes(body)
        .await
        .map_err(|e| actix_web::error::ErrorInternalServerError(e.into().to_string()))?;
    // Compressing a large page takes milliseconds: keep it off the async workers.
    let headers = head.headers().clone();
    let entry = web::block(move || build_entry(stamp, &headers, body))
        .await
        .map_err(actix_web::error::ErrorInternalServerError)?;
    let entry = Arc::new(entry);
    let response = respond(&entry, encoding, &conditions);
    cache.put(key, entry);
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

fn build_entry(stamp: Stamp, headers: &HeaderMap, body: Bytes) -> Entry {
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
        stamp,
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
    let fresh = conditions.fresh(&variant.etag, last_modified);
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

    #[test]
    fn memory_stays_within_the_budget_the_oldest_go_first_and_writes_make_entries_stale() {
        let cache = PageCache::new(1 << 20, Arc::default());
        let stamp = cache.stamp();
        for n in 0..20u64 {
            let entry = build_entry(stamp, &HeaderMap::new(), noise(30_000, n));
            cache.put(format!("/page-{n}/"), Arc::new(entry));
            assert!(cache.bytes_used() <= 1 << 20, "over budget after {n}");
        }
        assert!(cache.stats.evictions.load(Ordering::Relaxed) > 0);
        assert!(
            cache.get("/page-0/").is_none(),
            "the least recently used went first"
        );
        assert!(cache.get("/page-19/").is_some());
        // An entry bigger than an eighth of the budget is never stored.
        let huge = build_entry(stamp, &HeaderMap::new(), noise(200_000, 99));
        cache.put("/huge/".into(), Arc::new(huge));
        assert!(cache.get("/huge/").is_none());

        // A write anywhere in the process makes every entry stale. (This is part of the test
        // above, not a test of its own: the write generation is global, and a bump while the
        // entries above are being stored would leave nothing to check.)
        crate::db::bump_write_generation();
        assert!(cache.get("/page-19/").is_none());
        assert_eq!(cache.bytes_used(), 0, "stale entries are dropped, not kept");
        let late = build_entry(stamp, &HeaderMap::new(), Bytes::from_static(b"page"));
        cache.put("/late/".into(), Arc::new(late));
        assert!(
            cache.get("/late/").is_none(),
            "a page made before the write is not stored"
        );
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
