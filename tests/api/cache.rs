//! The page cache: served from memory, never stale after a write, never for members.

use std::io::Read;
use std::sync::atomic::Ordering;
use std::time::Duration;

use crate::helpers::*;

fn hits(app: &TestApp) -> u64 {
    app.cache
        .as_ref()
        .unwrap()
        .stats
        .hits
        .load(Ordering::Relaxed)
}

async fn body_of(app: &TestApp, path: &str) -> String {
    app.get(path).await.text().await.unwrap()
}

/// Requests `path` twice and returns the second response's body, which must have come from
/// the cache. Each test's app has a cache of its own that only its own writes touch, so the
/// second request is a hit unless something broke.
async fn served_from_memory(app: &TestApp, path: &str) -> String {
    body_of(app, path).await;
    let before = hits(app);
    let body = body_of(app, path).await;
    assert_eq!(
        hits(app),
        before + 1,
        "{path} was not served from the page cache"
    );
    assert!(app.cache.as_ref().unwrap().holds(path), "{path} is held");
    body
}

#[tokio::test]
async fn repeated_requests_are_served_from_memory() {
    let app = spawn_app().await;
    let rendered = body_of(&app, "/welcome/").await;
    let cached = served_from_memory(&app, "/welcome/").await;
    assert_eq!(rendered, cached);
    let cached = app.get("/welcome/").await;
    for header in [
        "content-security-policy",
        "last-modified",
        "cache-control",
        "x-request-id",
    ] {
        assert!(
            cached.headers().contains_key(header),
            "{header} survives caching"
        );
    }
}

/// The page cache and the settings held in memory both follow the site's clock: every
/// freshness test runs with the cache on and with it off.
async fn uncached_app() -> TestApp {
    spawn_app_with(|config| config.page_cache = None).await
}

#[tokio::test]
async fn writes_show_on_the_very_next_request() {
    let app = spawn_app().await;
    writes_show_on_the_next_request(&app).await;
}

#[tokio::test]
async fn writes_show_on_the_very_next_request_with_the_cache_off() {
    writes_show_on_the_next_request(&uncached_app().await).await;
}

async fn writes_show_on_the_next_request(app: &TestApp) {
    let ada = app.author("Ada Lovelace");
    let tag = app.tag("craft", "Craft");
    let post = app.seed(
        SeedPost::published("story", "Story")
            .authors(&[&ada])
            .tags(&[&tag]),
    );
    for path in ["/", "/story/", "/tag/craft/", "/rss/", "/sitemap.xml"] {
        if app.cache.is_some() {
            // The writes below must find these pages in memory.
            served_from_memory(app, path).await;
        } else {
            body_of(app, path).await;
        }
    }
    let modified_before = app.get("/story/").await.headers()["last-modified"].clone();

    app.seed(SeedPost::published("breaking", "Breaking news").tags(&[&tag]));
    assert!(
        body_of(app, "/").await.contains("Breaking news"),
        "new post on home"
    );
    assert!(
        body_of(app, "/tag/craft/").await.contains("Breaking news"),
        "and on its tag"
    );
    assert!(
        body_of(app, "/rss/").await.contains("Breaking news"),
        "and in the feed"
    );
    assert!(
        body_of(app, "/story/").await.contains("Breaking news"),
        "neighbour link"
    );

    // Last-Modified has one-second resolution: let the clock move past the seed's second.
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.update_settings(|s| s.title = "Renamed Site".into());
    let story = app.get("/story/").await;
    assert_ne!(
        story.headers()["last-modified"],
        modified_before,
        "the settings change moves Last-Modified on"
    );
    assert!(
        story.text().await.unwrap().contains("Renamed Site"),
        "settings change"
    );
    assert!(
        body_of(app, "/robots.txt").await.contains("Allow: /"),
        "robots.txt answers from the same settings"
    );
    app.update_settings(|s| s.discourage_search = true);
    assert!(
        body_of(app, "/robots.txt").await.contains("Disallow: /\n"),
        "and follows them"
    );
    app.update_settings(|s| s.discourage_search = false);

    app.trash(post.id);
    assert_eq!(app.get("/story/").await.status().as_u16(), 410, "deletion");
    assert!(!body_of(app, "/").await.contains("/story/"));
}

#[tokio::test]
async fn changes_made_outside_this_process_show_within_a_second() {
    changes_made_outside_show_within_a_second(&spawn_app().await).await;
}

#[tokio::test]
async fn changes_made_outside_this_process_show_with_the_cache_off() {
    changes_made_outside_show_within_a_second(&uncached_app().await).await;
}

async fn changes_made_outside_show_within_a_second(app: &TestApp) {
    let modified_before = app.get("/welcome/").await.headers()["last-modified"].clone();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    assert!(body_of(app, "/welcome/").await.contains("Welcome to Quire"));
    // An edit through a connection of its own, as the command line or another instance
    // makes it: this process hears of it only from the changes table.
    let elsewhere = quire::db::Db::connect(app.db.url()).unwrap();
    let edited = std::time::Instant::now();
    elsewhere
        .run_blocking(|conn| {
            let id = quire::domain::posts::editing::list_ids(conn)?[0];
            let current = quire::domain::posts::editing::open(conn, id)?.unwrap();
            let mut input = current.to_input();
            input.title = "Changed elsewhere".into();
            let prepared = quire::domain::posts::input::prepare(input).unwrap();
            let actor = quire::domain::write::Actor::command_line();
            quire::domain::posts::write::update(
                conn,
                &actor,
                id,
                current.post.version,
                prepared,
                now(),
            )
        })
        .unwrap();
    // The page and its Last-Modified both follow within two seconds.
    let mut seen = false;
    while edited.elapsed() < Duration::from_secs(2) {
        let welcome = app.get("/welcome/").await;
        let modified = welcome.headers()["last-modified"].clone();
        if modified != modified_before
            && welcome.text().await.unwrap().contains("Changed elsewhere")
        {
            seen = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(seen, "the edit showed within two seconds");
}

#[tokio::test]
async fn scheduled_posts_go_live_through_the_cache() {
    scheduled_posts_go_live(&spawn_app().await).await;
}

#[tokio::test]
async fn scheduled_posts_go_live_with_the_cache_off() {
    scheduled_posts_go_live(&uncached_app().await).await;
}

async fn scheduled_posts_go_live(app: &TestApp) {
    let at = now() + chrono::Duration::milliseconds(2500);
    app.seed(SeedPost::published("at-noon", "At noon").scheduled_at(at));
    assert!(!body_of(app, "/").await.contains("At noon"));
    assert!(!body_of(app, "/").await.contains("At noon"));
    tokio::time::sleep(Duration::from_millis(2800)).await;
    assert!(body_of(app, "/").await.contains("At noon"));
}

#[tokio::test]
async fn requests_with_a_session_are_never_served_from_the_cache() {
    let app = spawn_app().await;
    // The page is in the cache, as a reader left it…
    served_from_memory(&app, "/welcome/").await;
    let before = hits(&app);
    let member = app
        .client
        .get(app.url("/welcome/"))
        .header("cookie", "quire_session=abc")
        .send()
        .await
        .unwrap();
    assert_eq!(member.status().as_u16(), 200);
    assert_eq!(hits(&app), before, "a session bypasses the cache");
}

fn decode(encoding: &str, bytes: &[u8]) -> String {
    let mut out = String::new();
    match encoding {
        "br" => {
            brotli::Decompressor::new(bytes, 4096)
                .read_to_string(&mut out)
                .unwrap();
        }
        "gzip" => {
            flate2::read::GzDecoder::new(bytes)
                .read_to_string(&mut out)
                .unwrap();
        }
        _ => out = String::from_utf8(bytes.to_vec()).unwrap(),
    }
    out
}

#[tokio::test]
async fn every_encoding_is_served_from_one_rendering() {
    let app = spawn_app().await;
    let mut etags = Vec::new();
    let mut bodies = Vec::new();
    for (accept, expected) in [
        ("br, gzip", "br"),
        ("gzip;q=1.0, br;q=0.5", "gzip"),
        ("identity", ""),
        ("*", "br"),
        ("br;q=0, gzip;q=0", ""),
    ] {
        for _ in 0..2 {
            let response = app
                .client
                .get(app.url("/welcome/"))
                .header("accept-encoding", accept)
                .send()
                .await
                .unwrap();
            let encoding = response
                .headers()
                .get("content-encoding")
                .map(|v| v.to_str().unwrap().to_string())
                .unwrap_or_default();
            assert_eq!(encoding, expected, "Accept-Encoding: {accept}");
            assert_eq!(response.headers()["vary"], "accept-encoding");
            let etag = response.headers()["etag"].to_str().unwrap().to_string();
            let body = decode(&encoding, &response.bytes().await.unwrap());
            bodies.push(body);
            etags.push((encoding, etag));
        }
    }
    assert!(
        bodies.windows(2).all(|w| w[0] == w[1]),
        "the same page in every encoding"
    );
    let br = etags.iter().find(|(e, _)| e == "br").unwrap();
    let gzip = etags.iter().find(|(e, _)| e == "gzip").unwrap();
    let plain = etags.iter().find(|(e, _)| e.is_empty()).unwrap();
    assert!(br.1 != gzip.1 && gzip.1 != plain.1 && br.1 != plain.1);

    let not_modified = app
        .client
        .get(app.url("/welcome/"))
        .header("accept-encoding", "gzip")
        .header("if-none-match", &gzip.1)
        .send()
        .await
        .unwrap();
    assert_eq!(not_modified.status().as_u16(), 304);
    assert!(not_modified.bytes().await.unwrap().is_empty());
}

#[tokio::test]
async fn odd_headers_are_handled() {
    let app = spawn_app().await;
    let full = body_of(&app, "/welcome/").await;
    let ranged = app
        .client
        .get(app.url("/welcome/"))
        .header("range", "bytes=0-10")
        .send()
        .await
        .unwrap();
    assert_eq!(
        ranged.status().as_u16(),
        200,
        "ranges are not offered for pages"
    );
    assert_eq!(ranged.text().await.unwrap(), full);

    let huge = (0..400)
        .map(|i| format!("\"tag-{i:04}\""))
        .collect::<Vec<_>>()
        .join(", ");
    let response = app
        .client
        .get(app.url("/welcome/"))
        .header("if-none-match", huge)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn the_cache_can_be_turned_off() {
    let app = spawn_app_with(|config| config.page_cache = None).await;
    assert!(app.cache.is_none());
    let response = app.get("/welcome/").await;
    assert_eq!(response.status().as_u16(), 200);
    let etag = response.headers()["etag"].to_str().unwrap().to_string();
    let again = app
        .client
        .get(app.url("/welcome/"))
        .header("if-none-match", etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
}

#[tokio::test]
async fn posts_named_like_the_sites_own_sections_are_cached_and_canonical() {
    let app = spawn_app().await;
    for slug in [
        "searchlight",
        "administrivia",
        "accountancy",
        "static-electricity",
    ] {
        app.seed(SeedPost::published(slug, slug));
        let path = format!("/{slug}/");
        assert_redirect(&app, &format!("/{}", slug.to_uppercase()), &path).await;
        body_of(&app, &path).await;
        served_from_memory(&app, &path).await;
    }
}

#[tokio::test]
async fn editing_one_post_leaves_the_other_posts_pages_in_the_cache() {
    let app = spawn_app().await;
    let editor = app
        .signed_in_as("ed@example.com", quire::domain::users::Role::Editor)
        .await;
    let ada = app.author("Ada Lovelace");
    // Far apart in time, so neither is the other's neighbour: "between one" is A's, and
    // "between two" the neighbour of A's neighbour.
    let a = app.seed(
        SeedPost::published("post-a", "Post A")
            .hours_ago(40)
            .authors(&[&ada]),
    );
    app.seed(SeedPost::published("between-one", "Between one").hours_ago(30));
    app.seed(SeedPost::published("between-two", "Between two").hours_ago(20));
    app.seed(SeedPost::published("post-b", "Post B").hours_ago(10));
    for path in [
        "/post-a/",
        "/post-b/",
        "/",
        "/between-one/",
        "/between-two/",
    ] {
        served_from_memory(&app, path).await;
    }
    let invalidated = app
        .cache
        .as_ref()
        .unwrap()
        .stats
        .invalidations
        .load(Ordering::Relaxed);

    // Edit A through the editor.
    let path = format!("/admin/posts/{}", a.id);
    let fields = crate::editor::editor_fields(&app, &editor, &path).await;
    let fields = crate::editor::with(fields, &[("title", "Post A, revised")]);
    let saved = crate::editor::post(&app, &editor, &path, &fields).await;
    assert_eq!(saved.status().as_u16(), 303);

    let cache = app.cache.as_ref().unwrap();
    assert!(cache.holds("/post-b/"), "another post's page stays");
    assert!(!cache.holds("/post-a/"), "the edited post's page goes");
    assert!(!cache.holds("/"), "so do the lists showing it");
    assert!(
        !cache.holds("/between-one/"),
        "and its neighbour, which links to it by title"
    );
    assert!(
        cache.holds("/between-two/"),
        "a title edit moves no post in reading order"
    );
    let dropped = cache.stats.invalidations.load(Ordering::Relaxed) - invalidated;
    assert_eq!(dropped, 3, "only what shows post A was dropped");
    let before = hits(&app);
    body_of(&app, "/post-b/").await;
    assert_eq!(hits(&app), before + 1, "B is still served from memory");
    assert!(body_of(&app, "/post-a/").await.contains("Post A, revised"));
    assert!(body_of(&app, "/").await.contains("Post A, revised"));
    assert!(
        body_of(&app, "/between-one/")
            .await
            .contains("Post A, revised")
    );
}

#[tokio::test]
async fn publishing_refreshes_the_neighbours_of_the_new_post() {
    let app = spawn_app().await;
    app.seed(SeedPost::published("older", "Older").hours_ago(30));
    app.seed(SeedPost::published("middle", "Middle").hours_ago(35));
    app.seed(SeedPost::published("far", "Far").hours_ago(40));
    for path in ["/older/", "/far/"] {
        served_from_memory(&app, path).await;
    }
    // The newest post: "older" gains a newer neighbour; "far", two posts away, keeps its.
    app.seed(SeedPost::published("newest", "Newest").hours_ago(1));
    let cache = app.cache.as_ref().unwrap();
    assert!(!cache.holds("/older/"));
    assert!(cache.holds("/far/"));
    assert!(body_of(&app, "/older/").await.contains("/newest/"));
}

/// The moderation queue's changes are staff's alone: readers' pages keep their
/// `Last-Modified`, here and after a restart reads the changes table again.
#[tokio::test]
async fn moderation_changes_leave_readers_last_modified_alone() {
    let app = spawn_app().await;
    app.seed(SeedPost::published("story", "A story"));
    let before = app.get("/story/").await.headers()["last-modified"].clone();
    let recorded_before = app
        .db
        .run_blocking(|conn| quire::domain::changes::last_change(conn, now()))
        .unwrap();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    app.db
        .run_blocking(|conn| {
            quire::domain::write::transaction(
                conn,
                &quire::domain::write::Actor::command_line(),
                now(),
                |tx| {
                    tx.touch(quire::domain::changes::Touched::Moderation);
                    Ok(())
                },
            )
        })
        .unwrap();
    assert_eq!(app.get("/story/").await.headers()["last-modified"], before);
    let recorded_after = app
        .db
        .run_blocking(|conn| quire::domain::changes::last_change(conn, now()))
        .unwrap();
    assert_eq!(recorded_after, recorded_before);
    // Housekeeping's pruning keeps the newest change readers saw, so a restart agrees.
    let after_prune = app
        .db
        .run_blocking(|conn| {
            quire::domain::changes::prune(conn, now() + chrono::Duration::hours(1))?;
            quire::domain::changes::last_change(conn, now())
        })
        .unwrap();
    assert_eq!(after_prune, recorded_before);
}

/// ETags come from the page's bytes, so another instance, or this one after a restart,
/// answers a browser's revalidation with 304 in every encoding, and sends the same bytes.
#[tokio::test]
async fn validators_hold_across_a_restart_and_across_instances() {
    let app = spawn_app().await;
    let fetch = |app: &TestApp, accept: &'static str, etag: Option<String>| {
        let mut request = app
            .client
            .get(app.url("/welcome/"))
            .header("accept-encoding", accept);
        if let Some(etag) = etag {
            request = request.header("if-none-match", etag);
        }
        request.send()
    };
    let mut seen = Vec::new();
    for accept in ["identity", "br", "gzip"] {
        let response = fetch(&app, accept, None).await.unwrap();
        let etag = response.headers()["etag"].to_str().unwrap().to_string();
        let encoding = response
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        seen.push((
            accept,
            etag,
            decode(&encoding, &response.bytes().await.unwrap()),
        ));
    }
    let restarted = app.another_instance(|_| {}).await;
    for (accept, etag, body) in &seen {
        let again = fetch(&restarted, accept, Some(etag.clone())).await.unwrap();
        assert_eq!(again.status().as_u16(), 304, "{accept}: {etag}");
        assert_eq!(again.headers()["etag"].to_str().unwrap(), etag);
        let fresh = fetch(&restarted, accept, None).await.unwrap();
        assert_eq!(fresh.headers()["etag"].to_str().unwrap(), etag, "{accept}");
        let encoding = fresh
            .headers()
            .get("content-encoding")
            .map(|v| v.to_str().unwrap().to_string())
            .unwrap_or_default();
        assert_eq!(
            &decode(&encoding, &fresh.bytes().await.unwrap()),
            body,
            "{accept}"
        );
    }
    // Another page's tag does not match.
    let other = fetch(&restarted, "identity", Some("\"0123456789abcdef\"".into()))
        .await
        .unwrap();
    assert_eq!(other.status().as_u16(), 200);
}
