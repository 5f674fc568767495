//! Building the application: state from configuration, and the server around the routes.
//! `main` and the tests share these, so tests exercise the real thing.

use crate::domain::comments::notify::{self, CommentNotice};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use actix_web::dev::Server;
use actix_web::middleware::{Compress, from_fn};
use actix_web::{App, HttpServer, web};
use tokio::sync::Notify;

use crate::auth::csrf::same_origin_writes;
use crate::auth::rate_limit::RateLimits;
use crate::clock::now;
use crate::config::Config;
use crate::content;
use crate::db::{self, Db};
use crate::domain::changes::Feed;
use crate::domain::imports::RunImport;
use crate::domain::posts::events::{GoesLive, went_live};
use crate::domain::webhooks::Deliver;
use crate::jobs::housekeeping::{self, Housekeeping};
use crate::jobs::{Registry, Workers};
use crate::mail::{Mail, Mailer};
use crate::site;
use crate::state::{AppState, JobWorkers};
use crate::telemetry::{request_log, request_span};
use crate::transfer::media::ImportMedia;
use crate::web::assets::Assets;
use crate::web::canonical::canonical_urls;
use crate::web::conditional::conditional_get;
use crate::web::error_pages::error_pages;
use crate::web::page_cache::{self, PageCache};
use crate::web::{routes, security, session};

/// Migrates the database, connects the pool, seeds a new site and writes the static assets.
pub fn prepare(config: Config) -> anyhow::Result<AppState> {
    let applied = db::run_migrations(&config.database_url)?;
    if !applied.is_empty() {
        tracing::info!(count = applied.len(), "applied database migrations");
    }
    let db = Db::connect(&config.database_url)?;
    if db.run_blocking(|conn| content::first_run(conn, now()))? {
        tracing::info!("new site: stored default settings");
    }
    let assets = Assets::prepare(&config.data_dir)
        .map_err(|e| anyhow::anyhow!("cannot write static assets under QUIRE_DATA_DIR: {e}"))?;
    let feed = Arc::new(db.run_blocking(|conn| Feed::start(conn, now()))?);
    let page_cache = config
        .page_cache
        .map(|budget| PageCache::new(budget, Arc::clone(&feed)));
    let jobs = Arc::new(JobWorkers {
        wake: Arc::new(Notify::new()),
        running: Mutex::new(None),
    });
    db.set_after_commit(Arc::new(site::InProcess {
        feed: Arc::clone(&feed),
        jobs: Arc::clone(&jobs.wake),
    }));
    // Checked here so a bad address stops the start, not the first mail.
    Mailer::new(config.smtp_url.as_deref(), &config.mail_from)?;
    let limits = Arc::new(
        RateLimits::new(
            config.rate_limit_ip,
            config.rate_limit_account,
            config.rate_limit_account_total,
        )
        .with_api_keys(config.rate_limit_api),
    );
    let images = crate::images::Processor::new(config.image_limit, config.image_jobs);
    Ok(AppState {
        images,
        db,
        config: Arc::new(config),
        assets: Arc::new(assets),
        site: site::Shared::new(Arc::clone(&feed)),
        live: crate::web::live::LiveHub::new(Arc::clone(&feed)),
        feed,
        page_cache,
        limits,
        jobs,
    })
}

/// The kinds of job this instance runs, with what each needs.
fn job_kinds(state: &AppState) -> anyhow::Result<Registry> {
    let mailer = Mailer::new(state.config.smtp_url.as_deref(), &state.config.mail_from)?;
    let db = state.db.clone();
    let import_db = state.db.clone();
    let lease = state.config.job_lease;
    let (media_db, store) = (state.db.clone(), state.config.media_store());
    let media_dir = state.config.media_dir();
    let (notice_db, secret, base_url) = (
        state.db.clone(),
        state.config.secret_key.clone(),
        state.config.base_url.clone(),
    );
    let sender = crate::jobs::webhook::Sender::new(
        state.db.clone(),
        &state.config.base_url,
        state.config.webhooks_allow_private,
        state.config.webhook_timeout,
    )?;
    let schedule_db = state.db.clone();
    Ok(Registry::default()
        .with(move |mail: Mail, key: &str| mailer.deliver(mail, key))
        .with(move |job: Deliver, _: &str| sender.run(&job))
        .with(move |job: GoesLive, _: &str| went_live(&schedule_db, &job))
        .with(move |_: Housekeeping, _: &str| housekeeping::tidy(&db))
        .with(move |job: RunImport, key: &str| {
            crate::transfer::job::run(&import_db, job, key, lease, &media_dir)
        })
        .with(move |job: ImportMedia, _: &str| {
            let outcome = crate::transfer::media::run(&media_db, &store, &job)?;
            for (address, reason) in &outcome.failed {
                tracing::warn!(post = job.post, %address, %reason, "an imported image was not brought in");
            }
            Ok(())
        })
        .with(move |notice: CommentNotice, _: &str| {
            let head = |conn: &mut crate::db::DbConn| {
                let now = crate::clock::now();
                Ok(crate::mail::Letterhead {
                    site: crate::domain::settings::current(conn, now)?.title,
                    base_url: base_url.clone(),
                    now,
                })
            };
            notify::run(&notice_db, &head, &secret, &notice)
        }))
}

/// Fills an empty site with the demo publication.
pub fn fill_demo(state: &AppState) -> anyhow::Result<bool> {
    Ok(state
        .db
        .run_blocking(|conn| content::fill_demo(conn, now()))?)
}

/// The largest form body accepted; the editor's own routes allow more (`web::EDITOR_LIMIT`).
const FORM_LIMIT: usize = 1024 * 1024;

/// Starts serving on `listener`; the returned server runs until stopped or signalled.
pub fn run(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let started = Instant::now();
    let https = state.config.is_https();
    let static_dir = state.assets.dir().to_path_buf();
    let media_dir = state.config.media_dir();
    site::spawn_watcher(&state.feed, state.db.clone(), Arc::clone(&state.jobs.wake));
    let kinds = job_kinds(&state).map_err(std::io::Error::other)?;
    let workers = Workers::spawn(
        state.db.clone(),
        kinds,
        state.config.job_workers,
        state.config.job_lease,
        Arc::clone(&state.jobs.wake),
    );
    *state.jobs.running.lock().unwrap_or_else(|e| e.into_inner()) = Some(workers);
    housekeeping::spawn_schedule(state.db.clone(), Arc::clone(&state.limits));
    let db = state.db.clone();
    let secret_key = state.config.secret_key.clone();
    let api_origins = state.config.api_origins.clone();
    let state = web::Data::new(state);
    let server = HttpServer::new(move || {
        let static_dir = static_dir.clone();
        let media_dir = media_dir.clone();
        let api_origins = api_origins.clone();
        App::new()
            .app_data(state.clone())
            .app_data(web::FormConfig::default().limit(FORM_LIMIT))
            .app_data(web::PayloadConfig::new(FORM_LIMIT))
            .wrap(from_fn(session::mark_remembered))
            .wrap(session::middleware(db.clone(), &secret_key, https))
            .wrap(from_fn(session::unavailable_when_the_store_fails))
            .wrap(from_fn(session::extend_remembered_cookie))
            .wrap(from_fn(same_origin_writes))
            .wrap(error_pages())
            .wrap(from_fn(canonical_urls))
            .wrap(security::headers(https))
            .wrap(Compress::default())
            .wrap(from_fn(conditional_get))
            .wrap(from_fn(request_span))
            .wrap(from_fn(page_cache::page_cache))
            .wrap(from_fn(request_log))
            .configure(move |cfg| routes(cfg, &static_dir, &media_dir, &api_origins))
    })
    // Headers and body often leave as separate segments; without TCP_NODELAY, Nagle's
    // algorithm holds the second until the client's delayed ACK, adding up to 40 ms.
    .tcp_nodelay(true)
    .shutdown_timeout(30)
    .listen(listener)?
    .run();
    tracing::debug!(elapsed = ?started.elapsed(), "server built");
    Ok(server)
}
