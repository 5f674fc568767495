//! Shared application state: one `web::Data<AppState>` for every handler.

use std::sync::{Arc, Mutex};

use tokio::sync::Notify;

use crate::auth::rate_limit::RateLimits;
use crate::config::Config;
use crate::db::Db;
use crate::domain::changes::Feed;
use crate::jobs::Workers;
use crate::site;
use crate::web::assets::Assets;
use crate::web::page_cache::PageCache;

pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub assets: Arc<Assets>,
    /// What this instance has read of the changes table; the caches below follow it.
    pub feed: Arc<Feed>,
    /// The settings and the site's last change, held in memory between changes.
    pub site: Arc<site::Shared>,
    /// `None` when `QUIRE_PAGE_CACHE=off`.
    pub page_cache: Option<Arc<PageCache>>,
    pub limits: Arc<RateLimits>,
    /// Processes uploaded pictures, a few at a time.
    pub images: crate::images::Processor,
    pub jobs: Arc<JobWorkers>,
    /// Open post pages' live streams.
    pub live: Arc<crate::web::live::LiveHub>,
}

/// This instance's job workers, once the server runs them.
pub struct JobWorkers {
    /// Wakes an idle worker: jobs were queued.
    pub wake: Arc<Notify>,
    pub running: Mutex<Option<Workers>>,
}

impl JobWorkers {
    /// Stops this instance's workers (as if it went away); other instances carry on.
    pub fn stop(&self) {
        if let Some(workers) = self
            .running
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .take()
        {
            workers.stop();
        }
    }
}
