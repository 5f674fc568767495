//! HTTP by area. `routes` is the one place that maps URLs to handlers.

pub mod account;
pub mod admin;
pub mod api;
pub mod assets;
pub mod canonical;
pub mod conditional;
pub mod conversation;
pub mod error_pages;
pub mod forms;
pub mod health;
pub mod live;
pub mod page_cache;
pub mod pager;
pub mod pages;
pub mod post_page;
pub mod public;
pub mod respond;
pub mod security;
pub mod seo;
pub mod session;
pub mod views;

use actix_web::http::header::{CACHE_CONTROL, HeaderValue};
use actix_web::{HttpResponse, Route, guard, middleware, web};

use crate::error::{AppError, AppResult};

/// The site's own sections: their pages are private, change per request, or follow their
/// own URL and caching rules, so the canonical-URL redirects and the page cache leave them
/// alone. A post's slug may begin like one (`/searchlight/`, `/administrivia/`): only the
/// whole first segment counts.
const OWN_SECTIONS: &[&str] = &[
    "static", "media", "admin", "account", "api", "healthz", "readyz", "metrics", "search",
    "comments", "likes",
];

/// Whether `path` is in one of the site's own sections (see `OWN_SECTIONS`).
pub fn in_own_section(path: &str) -> bool {
    let first = path
        .trim_start_matches('/')
        .split('/')
        .next()
        .unwrap_or_default();
    OWN_SECTIONS.contains(&first) || api::in_api(path)
}

/// Whether `path` is one of the numbered sitemap files (`/sitemap-posts-2.xml`).
pub fn is_sitemap_file(path: &str) -> bool {
    path.starts_with("/sitemap-") && path.ends_with(".xml") && !path[1..].contains('/')
}

/// A route answering GET and HEAD alike (HEAD gets the headers without the body).
fn read() -> Route {
    web::route().guard(guard::Any(guard::Get()).or(guard::Head()))
}

/// The editor's form body limit: well above the 2 MB Markdown limit, so an oversized text
/// comes back with an explanation and every typed character, instead of a bare 413.
pub const EDITOR_LIMIT: usize = 16 * 1024 * 1024;

/// Fingerprinted assets never change under the same name.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

pub fn routes(
    cfg: &mut web::ServiceConfig,
    static_dir: &std::path::Path,
    media_dir: &std::path::Path,
    api_origins: &crate::config::ApiOrigins,
) {
    use public::{author, home, post, tag};
    use seo::{feeds, robots, sitemaps};
    api::routes(cfg, api_origins);
    accounts(cfg);
    administration(cfg);
    cfg.service(
        web::scope("/static")
            .wrap(
                middleware::DefaultHeaders::new()
                    .add((CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE))),
            )
            .service(
                actix_files::Files::new("", static_dir)
                    .use_etag(true)
                    .try_compressed(),
            ),
    )
    // Uploads: generated names that never change, so cacheable for good like static files.
    .service(
        web::scope("/media")
            .wrap(
                middleware::DefaultHeaders::new()
                    .add((CACHE_CONTROL, HeaderValue::from_static(IMMUTABLE))),
            )
            .service(actix_files::Files::new("", media_dir).use_etag(true)),
    )
    .route("/healthz", read().to(health::healthz))
    .route("/readyz", read().to(health::readyz))
    .route("/robots.txt", read().to(robots::robots_txt))
    .route("/sitemap.xml", read().to(sitemaps::sitemap_index))
    .route("/sitemap-{name}.xml", read().to(sitemaps::sitemap_file))
    .route("/rss/", read().to(feeds::site_rss))
    .route("/atom.xml", read().to(feeds::site_atom))
    .route("/feed.json", read().to(feeds::site_json))
    .route("/tag/{slug}/rss/", read().to(feeds::tag_rss))
    .route("/tag/{slug}/atom.xml", read().to(feeds::tag_atom))
    .route("/tag/{slug}/feed.json", read().to(feeds::tag_json))
    .route("/author/{slug}/rss/", read().to(feeds::author_rss))
    .route("/author/{slug}/atom.xml", read().to(feeds::author_atom))
    .route("/author/{slug}/feed.json", read().to(feeds::author_json))
    .route("/search", read().to(public::search::search))
    .route("/", read().to(home::show_home))
    .route("/page/{n}/", read().to(home::show_home_page))
    .route("/tag/{slug}/", read().to(tag::show_tag))
    .route("/tag/{slug}/page/{n}/", read().to(tag::show_tag_page))
    .route("/author/{slug}/", read().to(author::show_author))
    .route(
        "/author/{slug}/page/{n}/",
        read().to(author::show_author_page),
    )
    .route("/comments", web::post().to(public::comments::create))
    .route("/comments/new", read().to(public::guest_comments::new_form))
    .route(
        "/comments/guest",
        web::post().to(public::guest_comments::create),
    )
    .route(
        "/comments/confirm",
        read().to(public::guest_comments::confirm_form),
    )
    .route(
        "/comments/confirm",
        web::post().to(public::guest_comments::confirm),
    )
    .route("/comments/live/{post_id}", read().to(live::stream))
    .route(
        "/comments/unsubscribe",
        read().to(public::comments::confirm_unsubscribe),
    )
    .route(
        "/comments/unsubscribe",
        web::post().to(public::comments::unsubscribe),
    )
    .route("/comments/{id}", read().to(public::comments::show))
    .route(
        "/comments/{id}/reply",
        read().to(public::comments::reply_form),
    )
    .route(
        "/comments/{id}/edit",
        read().to(public::comments::edit_form),
    )
    .route(
        "/comments/{id}/edit",
        web::post().to(public::comments::save_edit),
    )
    .route(
        "/comments/{id}/delete",
        read().to(public::comments::confirm_delete),
    )
    .route(
        "/comments/{id}/delete",
        web::post().to(public::comments::delete),
    )
    .route(
        "/comments/{id}/report",
        web::post().to(public::comments::report),
    )
    .route("/likes/{post_id}", web::post().to(public::likes::set))
    .route("/likes/{post_id}", read().to(public::likes::back_to_post))
    .route("/{slug}/comments/{n}/", read().to(post::show_comments_page))
    .route("/{slug}/", read().to(post::show_post))
    .default_service(web::to(not_found));
}

/// Members' pages. Registered before the public `/{slug}/` route, which would match them.
fn accounts(cfg: &mut web::ServiceConfig) {
    use account::{data, invite, login, profile, reset, signup, tokens, two_factor};
    cfg.route(
        "/account",
        read().to(|| async { respond::see_other("/account/") }),
    )
    .route("/account/", read().to(profile::show_account))
    .route("/account/", web::post().to(profile::update_profile))
    .route("/account/signup", read().to(signup::show_signup))
    .route("/account/signup", web::post().to(signup::signup))
    .route("/account/signup/sent", read().to(signup::signup_sent))
    .route("/account/confirm", read().to(signup::show_confirm))
    .route("/account/confirm", web::post().to(signup::confirm))
    .route("/account/confirm/resend", web::post().to(signup::resend))
    .route("/account/login", read().to(login::show_login))
    .route("/account/login", web::post().to(login::login))
    .route(
        "/account/login/link/new",
        read().to(login::show_link_request),
    )
    .route("/account/login/link", web::post().to(login::request_link))
    .route("/account/login/link", read().to(login::show_link))
    .route("/account/login/link/use", web::post().to(login::use_link))
    .route(
        "/account/login/two-factor",
        read().to(two_factor::show_step),
    )
    .route(
        "/account/login/two-factor",
        web::post().to(two_factor::step),
    )
    .route("/account/two-factor", read().to(two_factor::show))
    .route("/account/tokens", read().to(tokens::show))
    .route("/account/tokens", web::post().to(tokens::create))
    .route(
        "/account/tokens/{id}/revoke",
        web::post().to(tokens::revoke),
    )
    .route(
        "/account/two-factor/enable",
        web::post().to(two_factor::enable),
    )
    .route(
        "/account/two-factor/disable",
        web::post().to(two_factor::disable),
    )
    .route("/account/logout", web::post().to(login::logout))
    .route("/account/reset", read().to(reset::show_request))
    .route("/account/reset", web::post().to(reset::request))
    .route("/account/reset/new", read().to(reset::show_new_password))
    .route(
        "/account/reset/new",
        web::post().to(reset::set_new_password),
    )
    .route("/account/email", web::post().to(profile::change_email))
    .route("/account/alerts", web::post().to(profile::update_alerts))
    .route(
        "/account/email/confirm",
        read().to(profile::show_confirm_email),
    )
    .route(
        "/account/email/confirm",
        web::post().to(profile::confirm_email),
    )
    .route(
        "/account/password",
        read().to(|| async { respond::see_other("/account/#password-heading") }),
    )
    .route(
        "/account/password",
        web::post().to(profile::change_password),
    )
    .route(
        "/account/sessions/revoke",
        web::post().to(profile::revoke_session),
    )
    .route(
        "/account/sessions/revoke-all",
        web::post().to(profile::revoke_all_sessions),
    )
    .route("/account/export", read().to(data::export))
    .route("/account/delete", read().to(data::show_delete))
    .route("/account/delete", web::post().to(data::delete))
    .route("/account/invite", read().to(invite::show_invite))
    .route("/account/invite", web::post().to(invite::accept_invite));
}

/// The admin: every route here checks the signed-in person's role on the server.
fn administration(cfg: &mut web::ServiceConfig) {
    use admin::{
        audit, comments, dashboard, import, integrations, jobs, media, people, posts, redirects,
        revisions, settings, setup, staff, tags, webhooks,
    };
    cfg.route("/admin", read().to(dashboard::show_dashboard))
        .route("/admin/", read().to(dashboard::show_dashboard))
        .route("/admin/setup", read().to(setup::show_setup))
        .route("/admin/setup", web::post().to(setup::setup))
        .route("/admin/staff", read().to(staff::show_staff))
        .route("/admin/staff/invite", web::post().to(staff::invite))
        .route("/admin/posts", read().to(posts::list_posts))
        .route("/admin/pages", read().to(posts::list_pages))
        // Before `/admin/posts/{id}`, which would take "bulk" for an id.
        .route("/admin/posts/bulk", web::post().to(posts::bulk_posts))
        .route("/admin/pages/bulk", web::post().to(posts::bulk_pages))
        .service(
            web::resource("/admin/posts/preview-text")
                .app_data(web::PayloadConfig::new(EDITOR_LIMIT))
                .route(web::post().to(posts::preview_text)),
        )
        .service(
            web::resource("/admin/posts/autosave")
                .app_data(web::PayloadConfig::new(EDITOR_LIMIT))
                .route(web::post().to(posts::autosave_new)),
        )
        .service(
            web::resource("/admin/posts/{id}/autosave")
                .app_data(web::PayloadConfig::new(EDITOR_LIMIT))
                .route(web::post().to(posts::autosave_post)),
        )
        .route(
            "/admin/posts/new/image",
            web::post().to(posts::add_image_to_new),
        )
        .route(
            "/admin/posts/{id}/image",
            web::post().to(posts::add_image_to_post),
        )
        .route(
            "/admin/posts/{id}/working-copy/discard",
            web::post().to(posts::discard_working_copy),
        )
        .service(
            web::resource("/admin/posts/new")
                .app_data(web::PayloadConfig::new(EDITOR_LIMIT))
                .route(read().to(posts::new_post))
                .route(web::post().to(posts::create_post)),
        )
        .service(
            web::resource("/admin/posts/{id}")
                .app_data(web::PayloadConfig::new(EDITOR_LIMIT))
                .route(read().to(posts::edit_post))
                .route(web::post().to(posts::save_post)),
        )
        .route("/admin/posts/{id}/trash", web::post().to(posts::trash_post))
        .route(
            "/admin/posts/{id}/restore",
            web::post().to(posts::restore_post),
        )
        .route(
            "/admin/posts/{id}/delete",
            read().to(posts::confirm_delete_post),
        )
        .route(
            "/admin/posts/{id}/delete",
            web::post().to(posts::delete_post),
        )
        .route(
            "/admin/posts/{id}/revisions",
            read().to(revisions::list_revisions),
        )
        .route(
            "/admin/posts/{id}/revisions/{revision}",
            read().to(revisions::show_revision),
        )
        .route(
            "/admin/posts/{id}/revisions/{revision}/restore",
            web::post().to(revisions::restore_revision),
        )
        .route("/admin/audit", read().to(audit::show_audit_log))
        .route("/admin/comments", read().to(comments::show_queue))
        .route(
            "/admin/comments/live",
            read().to(crate::web::live::queue_stream),
        )
        .route(
            "/admin/comments/moderate",
            web::post().to(comments::moderate),
        )
        .route("/admin/comments/bar", web::post().to(comments::bar))
        .route(
            "/admin/comments/settings",
            read().to(comments::show_settings),
        )
        .route(
            "/admin/comments/settings",
            web::post().to(comments::save_settings),
        )
        .route("/admin/comments/{id}", read().to(comments::show_comment))
        .route("/admin/tags", read().to(tags::list_tags))
        .route("/admin/tags", web::post().to(tags::create_tag))
        .route("/admin/tags/{id}", read().to(tags::edit_tag))
        .route("/admin/tags/{id}", web::post().to(tags::save_tag))
        .route(
            "/admin/tags/{id}/delete",
            read().to(tags::confirm_delete_tag),
        )
        .route("/admin/tags/{id}/delete", web::post().to(tags::delete_tag))
        .route("/admin/tags/{id}/merge", read().to(tags::confirm_merge_tag))
        .route("/admin/tags/{id}/merge", web::post().to(tags::merge_tag))
        .route("/admin/members", read().to(people::list_members))
        .route("/admin/members", web::post().to(people::create_member))
        .route("/admin/people/{id}", read().to(people::show_person))
        .route("/admin/people/{id}", web::post().to(people::save_person))
        .route(
            "/admin/people/{id}/invite",
            web::post().to(people::invite_person),
        )
        .route(
            "/admin/people/{id}/delete",
            read().to(people::confirm_remove_person),
        )
        .route(
            "/admin/people/{id}/delete",
            web::post().to(people::remove_person),
        )
        .route(
            "/admin/people/{id}/transfer",
            read().to(people::confirm_transfer),
        )
        .route(
            "/admin/people/{id}/transfer",
            web::post().to(people::transfer),
        )
        .route("/admin/media", read().to(media::show_library))
        .service(
            web::resource("/admin/media")
                .app_data(web::PayloadConfig::new(EDITOR_LIMIT))
                .route(web::post().to(media::upload)),
        )
        .route("/admin/media/{id}", read().to(media::show_item))
        .route("/admin/media/{id}", web::post().to(media::save_item))
        .route(
            "/admin/media/{id}/delete",
            read().to(media::confirm_delete_item),
        )
        .route(
            "/admin/media/{id}/delete",
            web::post().to(media::delete_item),
        )
        .route(
            "/admin/integrations",
            read().to(integrations::list_integrations),
        )
        .route(
            "/admin/integrations",
            web::post().to(integrations::create_integration),
        )
        .route(
            "/admin/integrations/reference",
            read().to(admin::api_reference::show),
        )
        .route(
            "/admin/integrations/{id}/rotate",
            read().to(integrations::confirm_rotate),
        )
        .route(
            "/admin/integrations/{id}/rotate",
            web::post().to(integrations::rotate),
        )
        .route(
            "/admin/integrations/{id}/revoke",
            read().to(integrations::confirm_revoke),
        )
        .route(
            "/admin/integrations/{id}/revoke",
            web::post().to(integrations::revoke),
        )
        .route(
            "/admin/integrations/{id}/webhooks",
            read().to(webhooks::list),
        )
        .route(
            "/admin/integrations/{id}/webhooks",
            web::post().to(webhooks::create),
        )
        .route(
            "/admin/integrations/webhooks/{id}",
            read().to(webhooks::show),
        )
        .route(
            "/admin/integrations/webhooks/{id}",
            web::post().to(webhooks::save),
        )
        .route(
            "/admin/integrations/webhooks/{id}/test",
            web::post().to(webhooks::send_test),
        )
        .route(
            "/admin/integrations/webhooks/{id}/rotate",
            read().to(webhooks::confirm_rotate),
        )
        .route(
            "/admin/integrations/webhooks/{id}/rotate",
            web::post().to(webhooks::rotate),
        )
        .route(
            "/admin/integrations/webhooks/{id}/delete",
            read().to(webhooks::confirm_delete),
        )
        .route(
            "/admin/integrations/webhooks/{id}/delete",
            web::post().to(webhooks::delete),
        )
        .route(
            "/admin/integrations/webhooks/deliveries/{id}/again",
            web::post().to(webhooks::send_again),
        )
        .route("/admin/settings", read().to(settings::show_settings))
        .route("/admin/settings", web::post().to(settings::save_settings))
        .route("/admin/redirects", read().to(redirects::list_redirects))
        .route(
            "/admin/redirects",
            web::post().to(redirects::create_redirect),
        )
        .route("/admin/redirects/{id}", read().to(redirects::edit_redirect))
        .route(
            "/admin/redirects/{id}",
            web::post().to(redirects::save_redirect),
        )
        .route(
            "/admin/redirects/{id}/delete",
            read().to(redirects::confirm_delete_redirect),
        )
        .route(
            "/admin/redirects/{id}/delete",
            web::post().to(redirects::delete_redirect),
        )
        .route("/admin/import", read().to(import::show_import))
        .service(
            web::resource("/admin/import")
                // The page counts the file against QUIRE_IMPORT_LIMIT as it streams to disk.
                .app_data(web::PayloadConfig::new(usize::MAX))
                .route(web::post().to(import::upload_import)),
        )
        .route("/admin/import/{id}", read().to(import::show_run))
        .route(
            "/admin/import/{id}/run",
            web::post().to(import::run_checked),
        )
        .route("/admin/jobs", read().to(jobs::list_jobs))
        .route("/admin/jobs/{id}/retry", web::post().to(jobs::retry_job))
        .route(
            "/admin/jobs/{id}/discard",
            read().to(jobs::confirm_discard_job),
        )
        .route(
            "/admin/jobs/{id}/discard",
            web::post().to(jobs::discard_job),
        );
}

async fn not_found() -> AppResult<HttpResponse> {
    Err(AppError::NotFound)
}

#[cfg(test)]
mod tests {
    use super::{in_own_section, is_sitemap_file};

    #[test]
    fn own_sections_are_whole_segments() {
        for path in [
            "/admin",
            "/admin/",
            "/admin/posts",
            "/search",
            "/static/a.css",
            "/api/v1/posts",
        ] {
            assert!(in_own_section(path), "{path}");
        }
        for path in [
            "/",
            "/searchlight/",
            "/administrivia/",
            "/static-site/",
            "/accountant/",
            "/apis/",
        ] {
            assert!(!in_own_section(path), "{path}");
        }
        assert!(is_sitemap_file("/sitemap-posts-2.xml"));
        assert!(!is_sitemap_file("/sitemap.xml"));
        assert!(!is_sitemap_file("/sitemap-news/"));
    }
}
