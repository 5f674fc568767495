//! The content API: what programs read at `/api/v1/` and at Ghost's `/ghost/api/content/`.

use serde_json::Value;

use crate::helpers::*;

/// GETs `path`, expects `status` and a JSON body, and parses it.
async fn json(app: &TestApp, path: &str, status: u16) -> Value {
    let response = app.get(path).await;
    assert_eq!(response.status().as_u16(), status, "GET {path}");
    let content_type = response.headers()["content-type"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        content_type.starts_with("application/json"),
        "GET {path}: {content_type}"
    );
    serde_json::from_str(&response.text().await.unwrap()).expect("a JSON body")
}

fn slugs(body: &Value, list: &str) -> Vec<String> {
    body[list]
        .as_array()
        .unwrap_or_else(|| panic!("a list of {list} in {body}"))
        .iter()
        .map(|item| item["slug"].as_str().unwrap().to_string())
        .collect()
}

/// The one error an API error carries: its code, message and field.
fn problem(body: &Value) -> (String, String, Value) {
    let errors = body["errors"].as_array().expect("an errors list");
    assert_eq!(errors.len(), 1, "{body}");
    (
        errors[0]["code"].as_str().unwrap().to_string(),
        errors[0]["message"].as_str().unwrap().to_string(),
        errors[0]["field"].clone(),
    )
}

/// Ada's and Grace's posts under two tags, besides the welcome post; plus what readers
/// cannot see: a draft, a scheduled post, a post in the trash. And one page.
struct Site {
    app: TestApp,
    ada: quire::domain::users::User,
}

async fn site() -> Site {
    let app = spawn_app().await;
    let ada = app.author("Ada Lovelace");
    let grace = app.author("Grace Hopper");
    let news = app.tag("news", "News");
    let craft = app.tag("craft", "Craft");
    app.seed(
        SeedPost::published("engines", "Engines")
            .hours_ago(5)
            .authors(&[&ada])
            .tags(&[&news, &craft]),
    );
    app.seed(
        SeedPost::published("compilers", "Compilers")
            .hours_ago(4)
            .authors(&[&grace, &ada])
            .tags(&[&craft])
            .featured(),
    );
    app.seed(
        SeedPost::published("bugs", "Bugs")
            .hours_ago(3)
            .authors(&[&grace])
            .tags(&[&news])
            .with(|p| p.noindex = true),
    );
    app.seed(
        SeedPost::published("secret", "Secret draft")
            .markdown("Zanzibar plans.")
            .authors(&[&grace])
            .tags(&[&news])
            .draft(),
    );
    app.seed(
        SeedPost::published("later", "Later")
            .authors(&[&grace])
            .scheduled_at(now() + chrono::Duration::days(1)),
    );
    let trashed = app.seed(
        SeedPost::published("binned", "Binned")
            .tags(&[&news])
            .hours_ago(2),
    );
    app.trash(trashed.id);
    app.seed(SeedPost::page("about", "About us"));
    Site { app, ada }
}

#[tokio::test]
async fn posts_are_listed_newest_first_with_what_readers_see_only() {
    let Site { app, .. } = site().await;
    let body = json(&app, "/api/v1/posts/", 200).await;
    assert_eq!(
        slugs(&body, "posts"),
        ["welcome", "bugs", "compilers", "engines"]
    );
    let pagination = &body["meta"]["pagination"];
    assert_eq!(pagination["total"], 4);
    assert_eq!(pagination["limit"], 15);
    assert_eq!(pagination["pages"], 1);
    assert_eq!(pagination["next"], Value::Null);

    let bugs = &body["posts"][1];
    assert_eq!(bugs["title"], "Bugs");
    assert_eq!(
        bugs["noindex"], true,
        "a noindex post is listed, and says so"
    );
    assert_eq!(bugs["url"], app.url("/bugs/"));
    assert!(bugs["html"].as_str().unwrap().contains("Text of Bugs."));
    assert!(bugs.get("plaintext").is_none(), "html alone unless asked");
    assert!(bugs.get("authors").is_none(), "authors only when included");
    assert!(bugs["published_at"].as_str().unwrap().ends_with('Z'));

    for hidden in ["secret", "later", "binned", "about"] {
        let found = json(&app, &format!("/api/v1/posts/?filter=slug:{hidden}"), 200).await;
        assert_eq!(
            found["posts"],
            Value::Array(vec![]),
            "{hidden} is not listed"
        );
        json(&app, &format!("/api/v1/posts/slug/{hidden}/"), 404).await;
    }
    let pages = json(&app, "/api/v1/pages/", 200).await;
    assert_eq!(slugs(&pages, "pages"), ["about"]);
    let about = json(&app, "/api/v1/pages/slug/about/", 200).await;
    assert_eq!(about["pages"][0]["title"], "About us");
}

#[tokio::test]
async fn pages_of_results_link_to_each_other() {
    let Site { app, .. } = site().await;
    let body = json(&app, "/api/v1/posts/?limit=3&page=2", 200).await;
    assert_eq!(slugs(&body, "posts"), ["engines"]);
    let pagination = &body["meta"]["pagination"];
    assert_eq!(
        (
            pagination["page"].clone(),
            pagination["pages"].clone(),
            pagination["total"].clone()
        ),
        (2.into(), 2.into(), 4.into())
    );
    assert_eq!(
        (pagination["prev"].clone(), pagination["next"].clone()),
        (1.into(), Value::Null)
    );
    let response = app.get("/api/v1/posts/?limit=3").await;
    let link = response.headers()["link"].to_str().unwrap().to_owned();
    assert!(
        link.contains(&format!(
            "<{}>; rel=\"next\"",
            app.url("/api/v1/posts/?limit=3&page=2")
        )),
        "{link}"
    );
    assert!(
        link.contains("rel=\"last\"") && link.contains("rel=\"first\""),
        "{link}"
    );
    // Past the end: an empty page, not an error.
    let beyond = json(&app, "/api/v1/posts/?limit=3&page=9", 200).await;
    assert_eq!(beyond["posts"], Value::Array(vec![]));
}

#[tokio::test]
async fn include_fields_and_formats_shape_each_post() {
    let Site { app, ada } = site().await;
    let body = json(
        &app,
        "/api/v1/posts/slug/compilers/?include=authors,tags,count.comments",
        200,
    )
    .await;
    let post = &body["posts"][0];
    assert_eq!(slugs(post, "authors"), ["grace-hopper", "ada-lovelace"]);
    assert_eq!(post["primary_author"]["name"], "Grace Hopper");
    assert_eq!(
        post["primary_author"]["url"],
        app.url("/author/grace-hopper/")
    );
    assert_eq!(slugs(post, "tags"), ["craft"]);
    assert_eq!(post["primary_tag"]["slug"], "craft");
    assert_eq!(post["count"]["comments"], 0);
    assert!(
        post["count"].get("likes").is_none(),
        "only the counts asked for"
    );
    let text = serde_json::to_string(&body).unwrap();
    assert!(!text.contains(&ada.email), "no email reaches the API");

    let id = post["id"].as_i64().unwrap();
    let body = json(
        &app,
        &format!("/api/v1/posts/{id}/?fields=title,plaintext"),
        200,
    )
    .await;
    let keys: Vec<&String> = body["posts"][0].as_object().unwrap().keys().collect();
    assert_eq!(keys.len(), 2, "{body}");
    assert_eq!(body["posts"][0]["plaintext"], "Text of Compilers.");

    let body = json(&app, "/api/v1/posts/?formats=plaintext&limit=1", 200).await;
    assert!(body["posts"][0].get("html").is_none() && body["posts"][0]["plaintext"].is_string());
}

#[tokio::test]
async fn filters_pick_posts_by_tag_author_feature_and_date() {
    let Site { app, .. } = site().await;
    let two_hours_ago = (now() - chrono::Duration::minutes(210)).format("%Y-%m-%d %H:%M:%S");
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("tag:news".into(), vec!["bugs", "engines"]),
        (
            "tags:[news,craft]".into(),
            vec!["bugs", "compilers", "engines"],
        ),
        ("primary_tag:craft".into(), vec!["compilers"]),
        ("author:ada-lovelace".into(), vec!["compilers", "engines"]),
        ("primary_author:ada-lovelace".into(), vec!["engines"]),
        ("featured:true".into(), vec!["compilers"]),
        ("tag:news%2Bauthor:grace-hopper".into(), vec!["bugs"]),
        // A `+` a client left unescaped arrives as a space, and still means "and".
        ("tag:news+author:grace-hopper".into(), vec!["bugs"]),
        (
            "tag:craft,slug:welcome".into(),
            vec!["welcome", "compilers", "engines"],
        ),
        ("tag:-news".into(), vec!["welcome", "compilers"]),
        (
            "(tag:news,featured:true)%2Bauthor:-grace-hopper".into(),
            vec!["engines"],
        ),
        (
            format!("published_at:<'{two_hours_ago}'"),
            vec!["compilers", "engines"],
        ),
        (
            "visibility:public%2Btag:craft".into(),
            vec!["compilers", "engines"],
        ),
    ];
    for (filter, expected) in cases {
        let body = json(&app, &format!("/api/v1/posts/?filter={filter}"), 200).await;
        assert_eq!(slugs(&body, "posts"), expected, "filter={filter}");
        assert_eq!(
            body["meta"]["pagination"]["total"],
            expected.len(),
            "filter={filter}"
        );
    }
    let engines = json(&app, "/api/v1/posts/slug/engines/?fields=id", 200).await;
    let id = engines["posts"][0]["id"].as_i64().unwrap();
    let body = json(
        &app,
        &format!("/api/v1/posts/?filter=id:-{id}%2Btag:news"),
        200,
    )
    .await;
    assert_eq!(slugs(&body, "posts"), ["bugs"]);

    let body = json(&app, "/api/v1/posts/?order=title%20asc", 200).await;
    assert_eq!(
        slugs(&body, "posts"),
        ["bugs", "compilers", "engines", "welcome"]
    );
}

#[tokio::test]
async fn bad_parameters_get_a_json_error_naming_them() {
    let Site { app, .. } = site().await;
    let cases = [
        ("/api/v1/posts/?limit=1000000", "limit", "at most 100"),
        ("/api/v1/posts/?limit=all", "limit", "not offered"),
        ("/api/v1/posts/?page=-1", "page", "whole number"),
        ("/api/v1/posts/?page=abc", "page", "whole number"),
        (
            "/api/v1/posts/?include=comments",
            "include",
            "'comments' is not one of",
        ),
        (
            "/api/v1/posts/?fields=title,body",
            "fields",
            "'body' is not one of",
        ),
        (
            "/api/v1/posts/?formats=markdown",
            "formats",
            "not published",
        ),
        ("/api/v1/posts/?colour=red", "colour", "unknown parameter"),
        ("/api/v1/posts/?limit=2&limit=3", "limit", "given twice"),
        (
            "/api/v1/posts/?filter=tag:news%2B",
            "filter",
            "(at character 10)",
        ),
        (
            "/api/v1/posts/?filter=tag:(news",
            "filter",
            "expected a value, found '('",
        ),
        (
            "/api/v1/posts/?filter=colour:red",
            "filter",
            "cannot filter by 'colour'",
        ),
        (
            "/api/v1/posts/?filter=featured:maybe",
            "filter",
            "true or false",
        ),
        (
            "/api/v1/posts/?filter=published_at:>yesterday",
            "filter",
            "not a date",
        ),
        ("/api/v1/posts/?filter=id:abc", "filter", "not an id"),
        (
            "/api/v1/posts/?order=body%20asc",
            "order",
            "cannot order by 'body'",
        ),
        (
            "/api/v1/tags/?filter=name:x",
            "filter",
            "cannot filter by 'name'",
        ),
        ("/api/v1/search/?q=", "q", "words to search for"),
        ("/api/v1/settings/?limit=5", "limit", "unknown parameter"),
    ];
    for (path, field, message) in cases {
        let body = json(&app, path, 400).await;
        let (code, text, named) = problem(&body);
        assert_eq!(code, "invalid_parameter", "{path}");
        assert_eq!(named, field, "{path}");
        assert!(text.contains(message), "{path}: {text}");
    }
    // Bytes that are not UTF-8 get the same kind of answer, never a 500.
    for path in [
        &b"/api/v1/posts/?filter=tag:%FF%FE"[..],
        b"/api/v1/posts/?%FF=1",
    ] {
        let (status, body) = app.raw_get(path).await;
        let body: Value = serde_json::from_slice(&body).expect("JSON");
        assert_eq!(
            (status, problem(&body).0.as_str()),
            (400, "invalid_parameter")
        );
    }
}

#[tokio::test]
async fn every_answer_under_the_api_is_json() {
    let Site { app, .. } = site().await;
    for (path, status, code) in [
        ("/api/v1/posts/999999/", 404, "not_found"),
        ("/api/v1/posts/12abc/", 404, "not_found"),
        ("/api/v1/posts/slug/NOT%20A%20SLUG/", 404, "not_found"),
        ("/api/v1/tags/slug/nothing/", 404, "not_found"),
        ("/api/v1/authors/999999/", 404, "not_found"),
        ("/api/v1/nowhere/", 404, "not_found"),
        ("/api/v2/posts/", 404, "not_found"),
        ("/api/", 404, "not_found"),
        ("/ghost/api/admin/posts/", 404, "not_found"),
    ] {
        let body = json(&app, path, status).await;
        assert_eq!(problem(&body).0, code, "{path}");
    }
    let client = reqwest::Client::new();
    let response = client.post(app.url("/api/v1/posts/")).send().await.unwrap();
    assert_eq!(response.status().as_u16(), 405);
    assert_eq!(response.headers()["allow"], "GET, HEAD, OPTIONS");
    let body: Value = response.json().await.unwrap();
    assert_eq!(problem(&body).0, "method_not_allowed");

    let response = client
        .get(app.url("/api/v1/posts/"))
        .header("Accept", "text/html")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 406);
    let body: Value = response.json().await.unwrap();
    assert_eq!(problem(&body).0, "not_acceptable");
}

#[tokio::test]
async fn tags_and_authors_are_those_with_posts_readers_see() {
    let Site { app, .. } = site().await;
    app.tag("empty", "Nothing yet");
    app.author("Silent Partner");
    let body = json(&app, "/api/v1/tags/?include=count.posts", 200).await;
    assert_eq!(slugs(&body, "tags"), ["craft", "news"]);
    assert_eq!(
        body["tags"][1]["count"]["posts"], 2,
        "the draft and the trash do not count"
    );
    assert_eq!(body["tags"][1]["url"], app.url("/tag/news/"));
    assert_eq!(body["tags"][1]["description"], "About it.");
    let news = json(&app, "/api/v1/tags/slug/news/", 200).await;
    assert!(news["tags"][0].get("count").is_none());
    json(&app, "/api/v1/tags/slug/empty/", 404).await;

    let body = json(
        &app,
        "/api/v1/authors/?include=count.posts&order=name%20desc",
        200,
    )
    .await;
    let names = slugs(&body, "authors");
    assert!(
        names.starts_with(&["grace-hopper".to_string(), "ada-lovelace".to_string()]),
        "{names:?}"
    );
    assert!(!names.contains(&"silent-partner".to_string()));
    let grace = &body["authors"][0];
    assert_eq!(
        grace["count"]["posts"], 2,
        "the scheduled post does not count yet"
    );
    assert_eq!(grace["bio"], "Grace Hopper writes here.");
    assert!(grace.get("email").is_none() && grace.get("role").is_none());
    let id = grace["id"].as_i64().unwrap();
    let by_id = json(&app, &format!("/api/v1/authors/{id}/?fields=name"), 200).await;
    assert_eq!(
        by_id["authors"][0],
        serde_json::json!({"name": "Grace Hopper"})
    );
    json(&app, "/api/v1/authors/slug/silent-partner/", 404).await;
}

#[tokio::test]
async fn settings_and_search() {
    let Site { app, .. } = site().await;
    app.update_settings(|s| s.title = "The Engine Room".into());
    let body = json(&app, "/api/v1/settings/", 200).await;
    assert_eq!(body["settings"]["title"], "The Engine Room");
    assert_eq!(body["settings"]["url"], app.url("/"));
    assert_eq!(body["settings"]["lang"], "en");
    assert!(body["settings"]["navigation"].is_array());

    let body = json(&app, "/api/v1/search/?q=compilers&fields=slug", 200).await;
    assert_eq!(slugs(&body, "posts"), ["compilers"]);
    assert_eq!(body["meta"]["pagination"]["total"], 1);
    let body = json(&app, "/api/v1/search/?q=zanzibar", 200).await;
    assert_eq!(
        body["meta"]["pagination"]["total"], 0,
        "drafts are never found"
    );
}

#[tokio::test]
async fn ghost_paths_answer_in_the_same_shape() {
    let Site { app, .. } = site().await;
    let client = reqwest::Client::new();
    let response = client
        .get(app.url(
            "/ghost/api/content/posts/?key=0123456789abcdef0123456789&include=tags,authors&limit=2",
        ))
        .header("Accept-Version", "v5.0")
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 200);
    let body: Value = response.json().await.unwrap();
    assert_eq!(slugs(&body, "posts"), ["welcome", "bugs"]);
    assert_eq!(body["meta"]["pagination"]["next"], 2);
    for path in [
        "/ghost/api/content/posts/slug/engines/",
        "/ghost/api/content/pages/slug/about/",
        "/ghost/api/content/tags/slug/news/",
        "/ghost/api/content/authors/slug/ada-lovelace/",
    ] {
        let body = json(&app, path, 200).await;
        let list = path.split('/').nth(4).unwrap();
        assert_eq!(body[list].as_array().map(Vec::len), Some(1), "{path}");
    }
    let settings = json(&app, "/ghost/api/content/settings/", 200).await;
    assert!(settings["settings"]["title"].is_string());
    // A post whose slug is "ghost" keeps its page.
    app.seed(SeedPost::published("ghost", "Ghost stories"));
    app.page("/ghost/", 200).await;
}

#[tokio::test]
async fn answers_are_cached_revalidated_and_refreshed_by_writes() {
    let Site { app, .. } = site().await;
    let cache = app.cache.clone().unwrap();
    let path = "/api/v1/posts/?include=tags";
    let first = app.get(path).await;
    let etag = first.headers()["etag"].to_str().unwrap().to_owned();
    assert!(cache.holds(path), "the answer is kept");
    let hits = || cache.stats.hits.load(std::sync::atomic::Ordering::Relaxed);
    let before = hits();
    let again = reqwest::Client::new()
        .get(app.url(path))
        .header("If-None-Match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 304);
    assert_eq!(hits(), before + 1, "served from memory");

    let news = app.tag("news-2", "Fresh");
    app.seed(
        SeedPost::published("fresh", "Fresh off the press")
            .at(now() - chrono::Duration::seconds(1))
            .tags(&[&news]),
    );
    let body = json(&app, path, 200).await;
    assert!(
        slugs(&body, "posts").contains(&"fresh".to_string()),
        "a new post shows at once"
    );

    // Renaming a tag refreshes the posts that show it.
    app.db
        .run_blocking(|conn| {
            let input = quire::domain::tags::TagInput {
                name: "Renamed".into(),
                slug: "news-2".into(),
                ..Default::default()
            };
            let fields = quire::domain::tags::parse(&input).unwrap();
            quire::domain::tags::update(
                conn,
                &quire::domain::write::Actor::command_line(),
                news.id,
                &fields,
                now(),
            )
        })
        .unwrap();
    let body = json(&app, "/api/v1/posts/slug/fresh/?include=tags", 200).await;
    assert_eq!(body["posts"][0]["tags"][0]["name"], "Renamed");
    let body = json(&app, path, 200).await;
    let fresh = body["posts"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["slug"] == "fresh")
        .unwrap();
    assert_eq!(fresh["tags"][0]["name"], "Renamed");
}

#[tokio::test]
async fn browsers_on_other_sites_may_read_the_content_api() {
    let Site { app, .. } = site().await;
    let client = reqwest::Client::new();
    for _ in 0..2 {
        // The second answer comes from the cache, with the same headers.
        let response = client
            .get(app.url("/api/v1/posts/"))
            .header("Origin", "https://front.example")
            .send()
            .await
            .unwrap();
        assert_eq!(response.status().as_u16(), 200);
        assert_eq!(response.headers()["access-control-allow-origin"], "*");
        let exposed = response.headers()["access-control-expose-headers"]
            .to_str()
            .unwrap();
        assert!(exposed.contains("link"), "{exposed}");
    }
    let preflight = client
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/posts/"))
        .header("Origin", "https://front.example")
        .header("Access-Control-Request-Method", "GET")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status().as_u16(), 200);
    assert!(
        preflight.headers()["access-control-allow-methods"]
            .to_str()
            .unwrap()
            .contains("GET")
    );

    let only = spawn_app_with(|config| {
        config.api_origins = quire::config::ApiOrigins::Only(vec!["https://front.example".into()]);
    })
    .await;
    for (origin, allowed) in [
        ("https://front.example", true),
        ("https://elsewhere.example", false),
        ("https://front.example", true),
    ] {
        let response = client
            .get(only.url("/api/v1/posts/"))
            .header("Origin", origin)
            .send()
            .await
            .unwrap();
        let allow = response.headers().get("access-control-allow-origin");
        assert_eq!(
            allow.is_some(),
            allowed,
            "{origin}: {:?}",
            response.headers()
        );
        if allowed {
            assert_eq!(allow.unwrap(), origin);
        }
    }
}

/// Ghost's own JavaScript client reads the site: browse with tags and authors, read by slug
/// and id, filter, paginate, tags, authors, pages and settings. Needs Node.js and
/// `GHOST_CLIENT_MODULES`, a node_modules folder holding `@tryghost/content-api`
/// (`.ci/run` installs both).
#[tokio::test]
#[ignore = "needs Node.js and @tryghost/content-api"]
async fn ghosts_own_client_reads_the_site() {
    let modules = std::env::var("GHOST_CLIENT_MODULES")
        .expect("GHOST_CLIENT_MODULES names a node_modules folder with @tryghost/content-api");
    let app = spawn_app().await;
    let ada = app.author("Ada Lovelace");
    let grace = app.author("Grace Hopper");
    let news = app.tag("news", "News");
    let craft = app.tag("craft", "Craft");
    app.seed(
        SeedPost::published("engines", "Engines")
            .hours_ago(5)
            .authors(&[&ada])
            .tags(&[&news]),
    );
    app.seed(
        SeedPost::published("compilers", "Compilers")
            .hours_ago(4)
            .authors(&[&grace])
            .tags(&[&craft])
            .featured(),
    );
    app.seed(SeedPost::page("about", "About us"));
    app.update_settings(|s| s.title = "The Engine Room".into());
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/ghost_client/check.mjs");
    let output = tokio::process::Command::new("node")
        .arg(script)
        .arg(&app.base)
        .env("GHOST_CLIENT_MODULES", &modules)
        .output()
        .await
        .expect("node runs");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(output.status.success(), "{said}");
    assert!(said.contains("every check passed"), "{said}");
}

#[tokio::test]
async fn the_openapi_document_is_served_as_the_contract() {
    let app = spawn_app().await;
    let document = json(&app, "/api/v1/openapi.json", 200).await;
    assert_eq!(document["openapi"], "3.1.0");
    assert_eq!(document["servers"][0]["url"], app.base);
    let paths = document["paths"].as_object().unwrap();
    assert!(
        paths.contains_key("/api/v1/posts/") && paths.contains_key("/api/v1/admin/posts/{id}/")
    );
    assert_eq!(
        document["components"]["securitySchemes"]["admin_key"]["scheme"],
        "bearer"
    );
    // Every operation names its errors in the API's one shape.
    for (path, item) in paths {
        for (method, operation) in item.as_object().unwrap() {
            let responses = operation["responses"].as_object().unwrap();
            assert!(responses.contains_key("406"), "{method} {path} lists 406");
        }
    }
}

#[tokio::test]
async fn a_site_can_ask_for_a_content_key() {
    use quire::domain::integrations::{self, Scope};
    use quire::domain::write::Actor;
    let Site { app, .. } = site().await;
    let make = |name: &str, scopes: &[Scope]| {
        app.db
            .run_blocking(|conn| {
                integrations::create(conn, &Actor::command_line(), (name, scopes), now())
            })
            .unwrap()
    };
    let (reader, keys) = make("Front end", &[Scope::ContentRead]);
    let (_, writer_keys) = make("Writer", &[Scope::PostsWrite]);
    json(&app, "/api/v1/posts/", 200).await;
    app.update_settings(|s| s.content_api_key_required = true);

    let refused = json(&app, "/api/v1/posts/", 401).await;
    let (code, message, field) = problem(&refused);
    assert_eq!((code.as_str(), field), ("unauthorized", Value::from("key")));
    assert!(message.contains("content key"), "{message}");
    let with_key = format!("/api/v1/posts/?key={}", keys.content_key);
    json(&app, &with_key, 200).await;
    json(
        &app,
        &format!("/ghost/api/content/tags/?key={}", keys.content_key),
        200,
    )
    .await;
    let wrong_scope = format!("/api/v1/posts/?key={}", writer_keys.content_key);
    json(&app, &wrong_scope, 401).await;
    json(&app, "/api/v1/posts/?key=0123456789abcdef0123456789", 401).await;
    json(&app, "/api/v1/openapi.json", 200).await;
    app.page("/", 200).await;

    // A revoked key stops at once, even for an answer the cache holds.
    json(&app, &with_key, 200).await;
    app.db
        .run_blocking(|conn| integrations::revoke(conn, &Actor::command_line(), reader.id, now()))
        .unwrap();
    json(&app, &with_key, 401).await;
}

#[tokio::test]
async fn each_post_has_a_lasting_uuid_as_ghost_front_ends_expect() {
    let app = spawn_app().await;
    let post = app.seed(SeedPost::published("uuid-post", "Identity"));
    let first = json(&app, "/api/v1/posts/slug/uuid-post/", 200).await;
    let uuid = first["posts"][0]["uuid"]
        .as_str()
        .expect("a uuid")
        .to_string();
    let parts: Vec<&str> = uuid.split('-').collect();
    assert_eq!(
        parts.iter().map(|p| p.len()).collect::<Vec<_>>(),
        [8, 4, 4, 4, 12]
    );
    assert!(parts[2].starts_with('4'), "version 4: {uuid}");
    // An edit keeps it; another post has its own.
    app.trash(post.id);
    app.db
        .run_blocking(move |conn| {
            quire::domain::posts::write::set_trashed(
                conn,
                &quire::domain::write::Actor::command_line(),
                post.id,
                false,
                now(),
            )
        })
        .unwrap();
    let again = json(&app, "/api/v1/posts/slug/uuid-post/?fields=uuid,title", 200).await;
    assert_eq!(again["posts"][0]["uuid"], uuid.as_str());
    assert_eq!(again["posts"][0].as_object().unwrap().len(), 2);
    app.seed(SeedPost::published("other-post", "Other"));
    let other = json(&app, "/api/v1/posts/slug/other-post/", 200).await;
    assert_ne!(other["posts"][0]["uuid"], uuid.as_str());
}
