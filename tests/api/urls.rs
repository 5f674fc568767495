//! One canonical URL per page, stored redirects, and junk that must not break anything.

use chrono::Duration;

use crate::helpers::*;

#[tokio::test]
async fn variants_of_a_url_redirect_to_the_canonical_form() {
    let app = spawn_app().await;
    let tag = app.tag("craft", "Craft");
    let ada = app.author("Ada Lovelace");
    app.seed(
        SeedPost::published("hello-world", "Hello")
            .tags(&[&tag])
            .authors(&[&ada]),
    );
    assert_redirect(&app, "/hello-world", "/hello-world/").await;
    assert_redirect(&app, "/Hello-World/", "/hello-world/").await;
    assert_redirect(&app, "/HELLO-WORLD", "/hello-world/").await;
    assert_redirect(&app, "/hello-world/index.html", "/hello-world/").await;
    assert_redirect(&app, "/index.html", "/").await;
    assert_redirect(&app, "/tag/craft", "/tag/craft/").await;
    assert_redirect(&app, "/Tag/Craft/", "/tag/craft/").await;
    assert_redirect(&app, "/author/ada-lovelace", "/author/ada-lovelace/").await;
    assert_redirect(&app, "/page/2", "/page/2/").await;
    assert_redirect(&app, "/hello-world?ref=feed", "/hello-world/?ref=feed").await;
    assert_redirect(&app, "//hello-world//", "/hello-world/").await;
    app.page("/hello-world/", 200).await;
}

#[tokio::test]
async fn redirects_never_leave_the_site() {
    let app = spawn_app().await;
    for path in ["//evil.example/", "//evil.example", "/\\evil.example/"] {
        let response = app.get(path).await;
        if let Some(location) = response.headers().get("location") {
            let location = location.to_str().unwrap();
            assert!(
                location.starts_with('/') && !location.starts_with("//"),
                "{path} → {location}"
            );
        }
    }
}

#[tokio::test]
async fn stored_redirects_and_moved_posts() {
    let app = spawn_app().await;
    app.seed(SeedPost::published("new-home", "New home"));
    app.redirect("/old-home/", "/new-home/", 301);
    app.redirect("/2019/05/archive.html", "/new-home/", 301);
    app.redirect("/temporary/", "/new-home/", 302);
    assert_redirect(&app, "/old-home/", "/new-home/").await;
    assert_redirect(&app, "/2019/05/archive.html", "/new-home/").await;
    assert_redirect(&app, "/old-home/?utm=x", "/new-home/?utm=x").await;
    let temporary = app.get("/temporary/").await;
    assert_eq!(temporary.status().as_u16(), 302);
    // A redirect never shadows a live page.
    app.seed(SeedPost::published("temporary", "Temporary is live now"));
    app.page("/temporary/", 200).await;
}

#[tokio::test]
async fn junk_paths_get_a_404_page_never_a_500() {
    let app = spawn_app().await;
    let long = format!("/{}/", "a".repeat(5000));
    let long_slug = format!("/{}/", "a".repeat(300));
    for path in [
        "/no-such-post/",
        "/%FF%FE/",
        "/%C0%AF/",
        "/caf%C3%A9/",
        "/%00/",
        "/%25%25%25/",
        "/..%2F..%2Fetc%2Fpasswd/",
        "/a/b/c/d/e/",
        "/tag/%FF/",
        "/author/%E2%80%AE/",
        "/tag/x/page/%FF/",
        long_slug.as_str(),
        "/static/../../Cargo.toml",
        "/static/nothing-here.css",
    ] {
        let response = app.get(path).await;
        let status = response.status().as_u16();
        assert!(status == 404 || status == 400, "{path} answered {status}");
        let body = response.text().await.unwrap();
        let doc = scraper::Html::parse_document(&body);
        assert_eq!(select(&doc, "h1").len(), 1, "{path} has a real error page");
    }
    // Over-long request lines are refused by the HTTP layer, still without a 500.
    let status = app.get(&long).await.status().as_u16();
    assert!(status < 500, "long path answered {status}");
}

#[tokio::test]
async fn junk_query_strings_are_ignored() {
    let app = spawn_app().await;
    for query in ["?%FF%FE", "?page=-1", "?a=%00&&&=", "?%"] {
        let response = app.get(&format!("/{query}")).await;
        assert_eq!(response.status().as_u16(), 200, "{query}");
    }
    let response = app.get("/welcome/?x=%E0%A4%A").await;
    assert_eq!(response.status().as_u16(), 200);
}

#[tokio::test]
async fn non_utf8_bytes_in_the_raw_path_are_answered() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let app = spawn_app().await;
    let address = app.base.trim_start_matches("http://").to_string();
    for raw in [
        &b"GET /\xff\xfe/ HTTP/1.1\r\n"[..],
        b"GET /tag/\xc3\x28/ HTTP/1.1\r\n",
    ] {
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        stream.write_all(raw).await.unwrap();
        stream
            .write_all(b"Host: localhost\r\nConnection: close\r\n\r\n")
            .await
            .unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let head = String::from_utf8_lossy(&response[..response.len().min(12)]).to_string();
        assert!(
            head.starts_with("HTTP/1.1 400") || head.starts_with("HTTP/1.1 404"),
            "{head}"
        );
    }
}

#[tokio::test]
async fn scheduled_and_draft_slugs_are_not_leaked_by_redirects() {
    let app = spawn_app().await;
    app.seed(SeedPost::published("later", "Later").scheduled_at(now() + Duration::days(3)));
    // The case variant redirects (it is only a URL shape), and the target is still a 404.
    assert_redirect(&app, "/Later/", "/later/").await;
    app.page("/later/", 404).await;
}
