//! HTTP behaviour every response shares: headers, HEAD, static files, no cookies.

use crate::helpers::*;

#[tokio::test]
async fn responses_carry_a_request_id_and_security_headers() {
    let app = spawn_app().await;
    let first = app.get("/").await;
    let second = app.get("/no-such-page/").await;
    let id_of = |r: &reqwest::Response| r.headers()["x-request-id"].to_str().unwrap().to_string();
    assert_ne!(id_of(&first), id_of(&second));
    assert!(!id_of(&first).is_empty());
    for response in [&first, &second] {
        let headers = response.headers();
        let csp = headers["content-security-policy"].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"));
        assert!(!csp.contains("unsafe-inline"));
        assert_eq!(headers["x-content-type-options"], "nosniff");
        assert!(headers.contains_key("referrer-policy"));
        assert!(headers.contains_key("permissions-policy"));
        assert!(
            !headers.contains_key("strict-transport-security"),
            "not over http"
        );
    }
}

#[tokio::test]
async fn anonymous_readers_get_no_cookie() {
    let app = spawn_app().await;
    for path in ["/", "/welcome/", "/no-such-page/"] {
        let response = app.get(path).await;
        assert!(response.headers().get("set-cookie").is_none(), "{path}");
    }
}

#[tokio::test]
async fn head_is_answered_wherever_get_is() {
    let app = spawn_app().await;
    for (path, status) in [
        ("/", 200),
        ("/welcome/", 200),
        ("/nothing/", 404),
        ("/healthz", 200),
    ] {
        let response = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), status, "HEAD {path}");
        assert!(response.text().await.unwrap().is_empty());
    }
}

#[tokio::test]
async fn other_methods_are_refused_with_a_page() {
    let app = spawn_app().await;
    let response = app.client.post(app.url("/welcome/")).send().await.unwrap();
    let status = response.status().as_u16();
    assert!(status == 404 || status == 405, "{status}");
    let doc = scraper::Html::parse_document(&response.text().await.unwrap());
    assert_eq!(select(&doc, "h1").len(), 1);
}

#[tokio::test]
async fn static_assets_are_fingerprinted_and_immutable() {
    let app = spawn_app().await;
    let doc = app.page("/", 200).await;
    let stylesheets: Vec<String> = select(&doc, "link[rel=stylesheet]")
        .iter()
        .map(|l| l.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(stylesheets.len(), 2);
    for href in stylesheets
        .iter()
        .chain([&attr_of(&doc, "link[rel=icon]", "href")])
    {
        let name = href.rsplit('/').next().unwrap();
        let parts: Vec<_> = name.split('.').collect();
        assert_eq!(parts.len(), 3, "{name} is name.HASH.ext");
        assert_eq!(parts[1].len(), 12);
        let response = app.get(href).await;
        assert_eq!(response.status().as_u16(), 200, "{href}");
        assert_eq!(
            response.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
        assert!(!response.bytes().await.unwrap().is_empty());
    }
    // Precompressed once at start: served as stored, no compression per request.
    for encoding in ["br", "gzip"] {
        let compressed = app
            .client
            .get(app.url(&stylesheets[0]))
            .header("accept-encoding", encoding)
            .send()
            .await
            .unwrap();
        assert_eq!(compressed.headers()["content-encoding"], encoding);
        assert_eq!(
            compressed.headers()["cache-control"],
            "public, max-age=31536000, immutable"
        );
    }
    let css = app.get(&stylesheets[0]).await;
    assert!(
        css.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/css")
    );
    assert!(
        css.text()
            .await
            .unwrap()
            .contains("prefers-color-scheme: dark")
    );
}

#[tokio::test]
async fn pages_are_compressed_when_asked() {
    let app = spawn_app().await;
    let response = app
        .client
        .get(app.url("/welcome/"))
        .header("accept-encoding", "gzip")
        .send()
        .await
        .unwrap();
    assert_eq!(response.headers()["content-encoding"], "gzip");
    assert_eq!(response.headers()["vary"], "accept-encoding");
}

#[tokio::test]
async fn health_and_readiness() {
    let app = spawn_app().await;
    let health = app.get("/healthz").await;
    assert_eq!(health.status().as_u16(), 200);
    assert_eq!(health.text().await.unwrap(), "ok");
    let ready = app.get("/readyz").await;
    assert_eq!(ready.status().as_u16(), 200);
}

#[tokio::test]
async fn public_pages_may_be_cached_briefly_and_errors_not_at_all() {
    let app = spawn_app().await;
    let page = app.get("/welcome/").await;
    let cache = page.headers()["cache-control"].to_str().unwrap();
    assert!(
        cache.contains("public") && cache.contains("max-age=60"),
        "{cache}"
    );
    let missing = app.get("/missing/").await;
    assert_eq!(missing.headers()["cache-control"], "no-store");
}

#[tokio::test]
async fn the_404_page_helps_the_reader_on() {
    let app = spawn_app().await;
    app.seed(SeedPost::published("a-real-post", "A real post"));
    let doc = app.page("/a-missing-post/", 404).await;
    assert_eq!(text_of(&doc, "h1"), "Page not found");
    let recent: Vec<_> = select(&doc, ".recent a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert!(recent.contains(&"/a-real-post/".to_string()));
    assert_eq!(attr_of(&doc, "a[href='/']", "href"), "/");
    assert_eq!(text_of(&doc, "title"), "Page not found · Quire");
    assert_eq!(attr_of(&doc, "meta[name=robots]", "content"), "noindex");
    assert!(select(&doc, "link[rel=canonical]").is_empty());
}

#[tokio::test]
async fn https_sites_send_hsts() {
    let app = spawn_app_with(|config| config.base_url = "https://example.com".into()).await;
    let response = app.get("/").await;
    let hsts = response.headers()["strict-transport-security"]
        .to_str()
        .unwrap();
    assert!(hsts.contains("max-age="), "{hsts}");
    let doc = scraper::Html::parse_document(&response.text().await.unwrap());
    assert_eq!(
        attr_of(&doc, "link[rel=canonical]", "href"),
        "https://example.com/",
        "canonical links use the public origin"
    );
}

#[tokio::test]
async fn a_server_error_shows_a_reference_and_no_internals() {
    use diesel::RunQueryDsl;
    let app = spawn_app().await;
    app.db
        .run_blocking(|conn| diesel::sql_query("DROP TABLE post_tags").execute(conn))
        .unwrap();
    let response = app.get("/").await;
    assert_eq!(response.status().as_u16(), 500);
    let request_id = response.headers()["x-request-id"]
        .to_str()
        .unwrap()
        .to_string();
    let body = response.text().await.unwrap();
    let doc = scraper::Html::parse_document(&body);
    assert_eq!(text_of(&doc, "h1"), "Something went wrong");
    assert_eq!(text_of(&doc, ".error-page code"), request_id);
    for leak in ["post_tags", "no such table", "relation", "diesel", "SELECT"] {
        assert!(!body.contains(leak), "the page leaks {leak:?}");
    }
}
