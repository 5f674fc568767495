//! Shared application state: one `web::Data<AppState>` for every handler.

use std::sync::Arc;

use crate::auth::rate_limit::RateLimits;
use crate::config::Config;
use crate::db::Db;
use crate::mail::Mailer;
use crate::site;
use crate::web::assets::Assets;
use crate::web::page_cache::PageCache;

pub struct AppState {
    pub db: Db,
    pub config: Arc<Config>,
    pub assets: Arc<Assets>,
    /// The settings and the site's last change, held in memory between changes.
    pub site: Arc<site::Shared>,
    /// `None` when `QUIRE_PAGE_CACHE=off`.
    pub page_cache: Option<Arc<PageCache>>,
    pub mailer: Mailer,
    pub limits: Arc<RateLimits>,
    /// Processes uploaded pictures, a few at a time.
    pub images: crate::images::Processor,
}
