//! What crawlers and feed readers see: head metadata, structured data, robots.txt,
//! sitemaps and feeds, and one index decision per URL.

use std::collections::HashSet;

use scraper::Html;
use serde_json::Value;

use crate::helpers::*;

/// The content of `<meta property|name=KEY>`.
fn meta(doc: &Html, key: &str) -> Option<String> {
    select(doc, &format!("meta[property='{key}'], meta[name='{key}']"))
        .first()
        .and_then(|m| m.value().attr("content"))
        .map(str::to_string)
}

fn metas(doc: &Html, key: &str) -> Vec<String> {
    select(doc, &format!("meta[property='{key}']"))
        .iter()
        .filter_map(|m| m.value().attr("content").map(str::to_string))
        .collect()
}

/// The page's JSON-LD graph, asserting there is exactly one block.
fn graph(doc: &Html) -> Vec<Value> {
    let blocks = select(doc, "script[type='application/ld+json']");
    assert_eq!(blocks.len(), 1, "one JSON-LD block");
    let value: Value = serde_json::from_str(&blocks[0].text().collect::<String>()).unwrap();
    assert_eq!(value["@context"], "https://schema.org");
    value["@graph"].as_array().unwrap().clone()
}

fn node<'a>(graph: &'a [Value], kind: &str) -> &'a Value {
    graph
        .iter()
        .find(|n| n["@type"] == kind)
        .unwrap_or_else(|| panic!("no {kind} node in {graph:?}"))
}

/// Every `{"@id": …}` reference in the graph points at a node of the graph.
fn assert_connected(graph: &[Value]) {
    let ids: HashSet<&str> = graph.iter().filter_map(|n| n["@id"].as_str()).collect();
    fn refs<'a>(value: &'a Value, out: &mut Vec<&'a str>) {
        match value {
            Value::Object(map) if map.len() == 1 && map.contains_key("@id") => {
                out.push(map["@id"].as_str().unwrap())
            }
            Value::Object(map) => map.values().for_each(|v| refs(v, out)),
            Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
            _ => {}
        }
    }
    for node in graph {
        let mut found = Vec::new();
        if let Value::Object(map) = node {
            map.iter()
                .filter(|(k, _)| *k != "@id")
                .for_each(|(_, v)| refs(v, &mut found));
        }
        for id in found {
            assert!(ids.contains(id), "dangling @id {id}");
        }
    }
}

fn assert_indexable_head(app: &TestApp, doc: &Html, path: &str, og_type: &str) {
    let canonical = app.url(path);
    assert_eq!(
        attr_of(doc, "link[rel=canonical]", "href"),
        canonical,
        "{path}"
    );
    assert!(select(doc, "meta[name=robots]").is_empty(), "{path}");
    let description = meta(doc, "description").unwrap();
    assert!(
        !description.is_empty() && description.chars().count() <= 156,
        "{path}: {description}"
    );
    assert_eq!(meta(doc, "og:type").as_deref(), Some(og_type), "{path}");
    assert_eq!(meta(doc, "og:url"), Some(canonical), "{path}");
    assert_eq!(meta(doc, "og:description"), Some(description.clone()));
    assert_eq!(meta(doc, "twitter:description"), Some(description));
    assert!(meta(doc, "og:title").is_some() && meta(doc, "og:site_name").is_some());
    assert!(meta(doc, "twitter:card").is_some());
    let feeds = select(doc, "link[rel=alternate]");
    assert!(feeds.len() >= 3, "{path}: feed autodiscovery");
    for feed in feeds {
        assert!(feed.value().attr("href").unwrap().starts_with("http://"));
    }
    assert_connected(&graph(doc));
}

async fn seeded_site(app: &TestApp) {
    let ada = app.author("Ada Lovelace");
    let craft = app.tag("craft", "Craft");
    app.seed(
        SeedPost::published("first-post", "First post")
            .authors(&[&ada])
            .tags(&[&craft])
            .markdown(&format!(
                "{}\n\n[about](/about/) ![pic](/media/pic.png)",
                "word ".repeat(200)
            )),
    );
    app.seed(SeedPost::page("about", "About"));
}

#[tokio::test]
async fn every_page_type_carries_complete_head_metadata() {
    let app = spawn_app().await;
    seeded_site(&app).await;
    for (path, og_type) in [
        ("/", "website"),
        ("/first-post/", "article"),
        ("/about/", "website"),
        ("/tag/craft/", "website"),
        ("/author/ada-lovelace/", "profile"),
    ] {
        let doc = app.page(path, 200).await;
        assert_indexable_head(&app, &doc, path, og_type);
    }
    let post = app.page("/first-post/", 200).await;
    assert_eq!(text_of(&post, "title"), "First post · Quire");
    assert_eq!(meta(&post, "og:title").as_deref(), Some("First post"));
    assert_eq!(metas(&post, "article:tag"), ["Craft"]);
    let published = meta(&post, "article:published_time").unwrap();
    assert!(chrono::DateTime::parse_from_rfc3339(&published).is_ok());
    assert!(meta(&post, "article:modified_time").is_some());
    assert_eq!(meta(&post, "twitter:card").as_deref(), Some("summary"));
    let tag = app.page("/tag/craft/", 200).await;
    assert_eq!(
        select(&tag, "link[rel=alternate]").len(),
        6,
        "site and tag feeds"
    );
}

#[tokio::test]
async fn custom_seo_fields_win() {
    let app = spawn_app().await;
    app.seed(SeedPost::published("tuned", "Tuned").with(|p| {
        p.meta_title = "A custom title for search".into();
        p.meta_description = "A custom description.".into();
        p.canonical_url = "https://elsewhere.example/original/".into();
    }));
    let doc = app.page("/tuned/", 200).await;
    assert_eq!(text_of(&doc, "title"), "A custom title for search");
    assert_eq!(
        meta(&doc, "description").as_deref(),
        Some("A custom description.")
    );
    assert_eq!(
        attr_of(&doc, "link[rel=canonical]", "href"),
        "https://elsewhere.example/original/"
    );
    let ld = graph(&doc);
    assert_eq!(
        node(&ld, "BlogPosting")["url"],
        "https://elsewhere.example/original/"
    );
    // Canonical elsewhere: not this site's to list.
    let sitemap = app.get("/sitemap-posts.xml").await.text().await.unwrap();
    assert!(!sitemap.contains("/tuned/"));
}

#[tokio::test]
async fn long_descriptions_are_cut_at_a_word() {
    let app = spawn_app().await;
    app.seed(SeedPost::published("long", "Long").markdown(&"wordy ".repeat(100)));
    let doc = app.page("/long/", 200).await;
    let description = meta(&doc, "description").unwrap();
    assert!(description.chars().count() <= 156, "{description}");
    assert!(description.ends_with("wordy…"), "{description}");
}

#[tokio::test]
async fn cover_images_fill_social_cards_and_structured_data() {
    let app = spawn_app().await;
    app.seed(SeedPost::published("pictured", "Pictured").cover("/media/cover.jpg", "A cover"));
    let doc = app.page("/pictured/", 200).await;
    assert_eq!(meta(&doc, "og:image"), Some(app.url("/media/cover.jpg")));
    assert_eq!(meta(&doc, "og:image:alt").as_deref(), Some("A cover"));
    assert_eq!(
        meta(&doc, "twitter:card").as_deref(),
        Some("summary_large_image")
    );
    let ld = graph(&doc);
    assert_eq!(
        node(&ld, "BlogPosting")["image"][0],
        app.url("/media/cover.jpg")
    );
    let sitemap = app.get("/sitemap-posts.xml").await.text().await.unwrap();
    let xml = roxmltree::Document::parse(&sitemap).unwrap();
    let images: Vec<_> = xml
        .descendants()
        .filter(|n| n.has_tag_name("loc") && n.parent().unwrap().tag_name().name() == "image")
        .map(|n| n.text().unwrap().to_string())
        .collect();
    assert_eq!(images, [app.url("/media/cover.jpg")]);
}

#[tokio::test]
async fn a_post_has_a_connected_blog_posting_graph() {
    let app = spawn_app().await;
    seeded_site(&app).await;
    let doc = app.page("/first-post/", 200).await;
    let ld = graph(&doc);
    assert_connected(&ld);
    let organization = node(&ld, "Organization");
    let website = node(&ld, "WebSite");
    let page = node(&ld, "WebPage");
    let posting = node(&ld, "BlogPosting");
    let crumbs = node(&ld, "BreadcrumbList");
    let person = node(&ld, "Person");
    assert_eq!(website["publisher"]["@id"], organization["@id"]);
    assert_eq!(page["isPartOf"]["@id"], website["@id"]);
    assert_eq!(page["@id"], app.url("/first-post/"));
    assert_eq!(posting["mainEntityOfPage"]["@id"], page["@id"]);
    assert_eq!(posting["publisher"]["@id"], organization["@id"]);
    assert_eq!(posting["headline"], "First post");
    assert_eq!(posting["author"][0]["@id"], person["@id"]);
    assert_eq!(person["name"], "Ada Lovelace");
    assert_eq!(person["url"], app.url("/author/ada-lovelace/"));
    assert_eq!(posting["keywords"][0], "Craft");
    assert!(posting["wordCount"].as_i64().unwrap() >= 200);
    for date in ["datePublished", "dateModified"] {
        let value = posting[date].as_str().unwrap();
        assert!(
            chrono::DateTime::parse_from_rfc3339(value).is_ok(),
            "{date}: {value}"
        );
    }
    let trail: Vec<_> = crumbs["itemListElement"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["position"].as_i64().unwrap(),
                i["item"].as_str().unwrap().to_string(),
            )
        })
        .collect();
    assert_eq!(
        trail,
        [
            (1, app.url("/")),
            (2, app.url("/tag/craft/")),
            (3, app.url("/first-post/"))
        ]
    );
    // Values match what the page shows.
    assert_eq!(text_of(&doc, "h1"), posting["headline"].as_str().unwrap());
    assert_eq!(
        attr_of(&doc, ".post__header time", "datetime"),
        posting["datePublished"].as_str().unwrap()
    );
}

#[tokio::test]
async fn archives_have_collection_and_profile_graphs() {
    let app = spawn_app().await;
    seeded_site(&app).await;
    let tag = graph(&app.page("/tag/craft/", 200).await);
    assert_eq!(node(&tag, "CollectionPage")["@id"], app.url("/tag/craft/"));
    assert_eq!(
        node(&tag, "BreadcrumbList")["itemListElement"][1]["name"],
        "Craft"
    );
    let author = graph(&app.page("/author/ada-lovelace/", 200).await);
    let profile = node(&author, "ProfilePage");
    let person = node(&author, "Person");
    assert_eq!(profile["mainEntity"]["@id"], person["@id"]);
    assert_eq!(person["name"], "Ada Lovelace");
    let home = graph(&app.page("/", 200).await);
    assert_eq!(node(&home, "CollectionPage")["@id"], app.url("/"));
    assert!(home.iter().all(|n| n["@type"] != "BlogPosting"));
    assert!(
        !serde_json::to_string(&home)
            .unwrap()
            .contains("SearchAction")
    );
}

#[tokio::test]
async fn long_headlines_are_shortened_for_structured_data() {
    let app = spawn_app().await;
    let title = "A headline that goes on ".repeat(8);
    app.seed(SeedPost::published("long-headline", title.trim()));
    let ld = graph(&app.page("/long-headline/", 200).await);
    let headline = node(&ld, "BlogPosting")["headline"]
        .as_str()
        .unwrap()
        .to_string();
    assert!(headline.chars().count() <= 111, "{headline}");
}

const HOSTILE: &str = "</script><script>alert(1)</script> \"Quotes\" & <b>tags</b> 🎉 שלום עולם";

#[tokio::test]
async fn hostile_titles_are_escaped_everywhere() {
    let app = spawn_app().await;
    let tag = app.tag("hostile", HOSTILE);
    app.seed(
        SeedPost::published("hostile", HOSTILE)
            .tags(&[&tag])
            .with(|p| p.meta_description = HOSTILE.into()),
    );
    let doc = app.page("/hostile/", 200).await;
    assert_eq!(text_of(&doc, "h1"), HOSTILE);
    assert_eq!(meta(&doc, "og:title").as_deref(), Some(HOSTILE));
    assert_eq!(meta(&doc, "description").as_deref(), Some(HOSTILE));
    assert_eq!(
        select(&doc, "script:not([src^='/static/post.'])").len(),
        1,
        "only the JSON-LD block (and the page's own script)"
    );
    let ld = graph(&doc);
    assert_eq!(node(&ld, "BlogPosting")["headline"], HOSTILE);
    assert_eq!(node(&ld, "BlogPosting")["keywords"][0], HOSTILE);

    let rss = app.get("/rss/").await.text().await.unwrap();
    let rss = roxmltree::Document::parse(&rss).unwrap();
    let titles: Vec<_> = rss
        .descendants()
        .filter(|n| n.has_tag_name("title") && n.parent().unwrap().has_tag_name("item"))
        .map(|n| n.text().unwrap().to_string())
        .collect();
    assert!(titles.contains(&HOSTILE.to_string()));
    let atom = app.get("/atom.xml").await.text().await.unwrap();
    assert!(roxmltree::Document::parse(&atom).is_ok());
    let json: Value = app.get("/feed.json").await.json().await.unwrap();
    assert!(
        json["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|i| i["title"] == HOSTILE)
    );
    let tag_feed = app.get("/tag/hostile/atom.xml").await.text().await.unwrap();
    let tag_feed = roxmltree::Document::parse(&tag_feed).unwrap();
    let feed_title = tag_feed
        .root_element()
        .children()
        .find(|n| n.has_tag_name("title"))
        .unwrap();
    assert_eq!(feed_title.text().unwrap(), format!("{HOSTILE} · Quire"));
}

#[tokio::test]
async fn noindex_posts_say_so_everywhere_at_once() {
    let app = spawn_app().await;
    app.seed(SeedPost::published("hidden-gem", "Hidden gem").with(|p| p.noindex = true));
    let response = app.get("/hidden-gem/").await;
    assert_eq!(response.status().as_u16(), 200);
    assert_eq!(response.headers()["x-robots-tag"], "noindex");
    let doc = Html::parse_document(&response.text().await.unwrap());
    assert_eq!(meta(&doc, "robots").as_deref(), Some("noindex"));
    assert!(select(&doc, "link[rel=canonical]").is_empty());
    assert!(select(&doc, "script[type='application/ld+json']").is_empty());
    let sitemap = app.get("/sitemap-posts.xml").await.text().await.unwrap();
    assert!(!sitemap.contains("hidden-gem"));
    // Still a normal, indexable page next to it.
    let home = app.get("/").await;
    assert!(home.headers().get("x-robots-tag").is_none());
}

#[tokio::test]
async fn discouraging_search_engines_closes_the_whole_site() {
    let app = spawn_app().await;
    seeded_site(&app).await;
    app.update_settings(|s| s.discourage_search = true);
    for path in [
        "/",
        "/first-post/",
        "/about/",
        "/tag/craft/",
        "/author/ada-lovelace/",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.headers()["x-robots-tag"], "noindex", "{path}");
        let doc = Html::parse_document(&response.text().await.unwrap());
        assert_eq!(meta(&doc, "robots").as_deref(), Some("noindex"), "{path}");
        assert!(select(&doc, "link[rel=canonical]").is_empty(), "{path}");
    }
    let robots = app.get("/robots.txt").await.text().await.unwrap();
    assert_eq!(robots, "User-agent: *\nDisallow: /\n");
    let index = app.get("/sitemap.xml").await.text().await.unwrap();
    let index = roxmltree::Document::parse(&index).unwrap();
    assert_eq!(
        index
            .descendants()
            .filter(|n| n.has_tag_name("sitemap"))
            .count(),
        0
    );
    assert_eq!(app.get("/sitemap-posts.xml").await.status().as_u16(), 404);
}

#[tokio::test]
async fn robots_txt_keeps_crawlers_out_of_private_areas() {
    let app = spawn_app().await;
    let response = app.get("/robots.txt").await;
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain")
    );
    let body = response.text().await.unwrap();
    for path in ["/admin/", "/account/", "/api/", "/search"] {
        assert!(
            body.lines().any(|l| l == format!("Disallow: {path}")),
            "{path}"
        );
    }
    assert!(
        body.lines()
            .any(|l| l == format!("Sitemap: {}", app.url("/sitemap.xml")))
    );
}

fn locs(xml: &str) -> Vec<String> {
    let doc = roxmltree::Document::parse(xml).unwrap();
    doc.descendants()
        .filter(|n| n.has_tag_name("loc") && n.parent().unwrap().tag_name().name() != "image")
        .map(|n| n.text().unwrap().to_string())
        .collect()
}

#[tokio::test]
async fn sitemaps_list_exactly_the_public_content() {
    let app = spawn_app().await;
    let ada = app.author("Ada Lovelace");
    let _idle = app.author("Idle Author");
    let craft = app.tag("craft", "Craft");
    let _empty = app.tag("empty", "Empty");
    app.seed(
        SeedPost::published("live", "Live")
            .authors(&[&ada])
            .tags(&[&craft]),
    );
    app.seed(
        SeedPost::published("draft", "Draft")
            .draft()
            .tags(&[&_empty])
            .authors(&[&_idle]),
    );
    app.seed(SeedPost::published("soon", "Soon").scheduled_at(now() + chrono::Duration::days(2)));
    app.seed(SeedPost::page("about", "About"));
    let trashed = app.seed(SeedPost::published("trashed", "Trashed"));
    app.trash(trashed.id);

    let index = app.get("/sitemap.xml").await;
    assert!(
        index.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/xml")
    );
    let index = index.text().await.unwrap();
    assert_eq!(
        locs(&index),
        ["posts", "pages", "tags", "authors"].map(|s| app.url(&format!("/sitemap-{s}.xml")))
    );
    let posts = app.get("/sitemap-posts.xml").await.text().await.unwrap();
    let mut listed = locs(&posts);
    listed.sort();
    assert_eq!(listed, [app.url("/live/"), app.url("/welcome/")]);
    assert_eq!(
        locs(&app.get("/sitemap-pages.xml").await.text().await.unwrap()),
        [app.url("/about/")]
    );
    assert_eq!(
        locs(&app.get("/sitemap-tags.xml").await.text().await.unwrap()),
        [app.url("/tag/craft/")]
    );
    assert_eq!(
        locs(&app.get("/sitemap-authors.xml").await.text().await.unwrap()),
        [app.url("/author/ada-lovelace/")]
    );
    // Every lastmod is a W3C datetime.
    let doc = roxmltree::Document::parse(&posts).unwrap();
    for lastmod in doc.descendants().filter(|n| n.has_tag_name("lastmod")) {
        assert!(chrono::DateTime::parse_from_rfc3339(lastmod.text().unwrap()).is_ok());
    }
    for missing in [
        "/sitemap-posts-2.xml",
        "/sitemap-posts-1.xml",
        "/sitemap-nothing.xml",
    ] {
        assert_eq!(app.get(missing).await.status().as_u16(), 404, "{missing}");
    }
}

#[tokio::test]
async fn sitemaps_split_at_fifty_thousand_urls() {
    use diesel::RunQueryDsl;
    let app = spawn_app().await;
    // 50,000 generated posts plus the welcome post: one more than a file holds.
    app.db
        .run_blocking(|conn| {
            diesel::sql_query(
                "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50000) \
                 INSERT INTO posts (kind, slug, title, status, published_at, created_at, updated_at) \
                 SELECT 'post', 'generated-' || i, 'Generated ' || i, 'published', \
                        $1, $1, $1 FROM n",
            )
            .bind::<diesel::sql_types::Timestamp, _>(now() - chrono::Duration::days(1))
            .execute(conn)
        })
        .unwrap();
    let index = app.get("/sitemap.xml").await.text().await.unwrap();
    let children = locs(&index);
    assert!(children.contains(&app.url("/sitemap-posts.xml")));
    assert!(children.contains(&app.url("/sitemap-posts-2.xml")));
    assert!(!children.contains(&app.url("/sitemap-posts-3.xml")));
    let first = locs(&app.get("/sitemap-posts.xml").await.text().await.unwrap());
    let second = locs(&app.get("/sitemap-posts-2.xml").await.text().await.unwrap());
    assert_eq!(first.len(), 50_000);
    assert_eq!(second.len(), 1);
    let all: HashSet<_> = first.iter().chain(&second).collect();
    assert_eq!(all.len(), 50_001, "no URL twice, none lost");
    assert_eq!(app.get("/sitemap-posts-3.xml").await.status().as_u16(), 404);
}

#[tokio::test]
async fn feeds_carry_full_content_with_absolute_links() {
    let app = spawn_app().await;
    seeded_site(&app).await;
    app.seed(SeedPost::published("older", "Older").hours_ago(48));

    let response = app.get("/rss/").await;
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("application/rss+xml")
    );
    let rss = response.text().await.unwrap();
    let rss = roxmltree::Document::parse(&rss).unwrap();
    let items: Vec<_> = rss
        .descendants()
        .filter(|n| n.has_tag_name("item"))
        .collect();
    assert_eq!(items.len(), 3);
    let child = |item: &roxmltree::Node, name: &str| {
        item.children()
            .find(|n| n.tag_name().name() == name)
            .and_then(|n| n.text())
            .unwrap_or_default()
            .to_string()
    };
    let links: Vec<_> = items.iter().map(|i| child(i, "link")).collect();
    assert_eq!(links.last().unwrap(), &app.url("/older/"), "newest first");
    let first = items
        .iter()
        .find(|i| child(i, "link") == app.url("/first-post/"))
        .unwrap();
    let content = child(first, "encoded");
    assert!(
        content.contains(&format!("href=\"{}\"", app.url("/about/"))),
        "{content}"
    );
    assert!(
        content.contains(&format!("src=\"{}\"", app.url("/media/pic.png"))),
        "{content}"
    );
    assert_eq!(child(first, "creator"), "Ada Lovelace");
    assert_eq!(child(first, "category"), "Craft");
    assert!(chrono::DateTime::parse_from_rfc2822(&child(first, "pubDate")).is_ok());

    let atom = app.get("/atom.xml").await.text().await.unwrap();
    let atom = roxmltree::Document::parse(&atom).unwrap();
    assert_eq!(
        atom.root_element().tag_name().namespace(),
        Some("http://www.w3.org/2005/Atom")
    );
    let entries: Vec<_> = atom
        .descendants()
        .filter(|n| n.has_tag_name("entry"))
        .collect();
    assert_eq!(entries.len(), 3);
    for entry in &entries {
        for date in ["published", "updated"] {
            assert!(chrono::DateTime::parse_from_rfc3339(&child(entry, date)).is_ok());
        }
    }

    let json: Value = app.get("/feed.json").await.json().await.unwrap();
    assert_eq!(json["version"], "https://jsonfeed.org/version/1.1");
    assert_eq!(json["feed_url"], app.url("/feed.json"));
    assert_eq!(json["items"].as_array().unwrap().len(), 3);
    assert!(json["items"][0]["content_html"].as_str().is_some());
}

#[tokio::test]
async fn tag_and_author_feeds_hold_only_their_posts() {
    let app = spawn_app().await;
    seeded_site(&app).await;
    app.seed(SeedPost::published("untagged", "Untagged"));
    for path in ["/tag/craft/rss/", "/author/ada-lovelace/rss/"] {
        let rss = app.get(path).await.text().await.unwrap();
        let doc = roxmltree::Document::parse(&rss).unwrap();
        let links: Vec<_> = doc
            .descendants()
            .filter(|n| n.has_tag_name("link") && n.parent().unwrap().has_tag_name("item"))
            .map(|n| n.text().unwrap().to_string())
            .collect();
        assert_eq!(links, [app.url("/first-post/")], "{path}");
    }
    let json: Value = app.get("/tag/craft/feed.json").await.json().await.unwrap();
    assert_eq!(json["home_page_url"], app.url("/tag/craft/"));
    for missing in [
        "/tag/nothing/rss/",
        "/author/nobody/atom.xml",
        "/tag/%FF/feed.json",
    ] {
        assert_eq!(app.get(missing).await.status().as_u16(), 404, "{missing}");
    }
}

/// The item links of every feed format at `base` (`/`, `/tag/x/`, `/author/x/`).
async fn feed_links(app: &TestApp, base: &str) -> Vec<Vec<String>> {
    let mut all = Vec::new();
    for (path, item, link) in [("rss/", "item", "link"), ("atom.xml", "entry", "id")] {
        let xml = app
            .get(&format!("{base}{path}"))
            .await
            .text()
            .await
            .unwrap();
        let doc = roxmltree::Document::parse(&xml).unwrap();
        let mut links: Vec<String> = doc
            .descendants()
            .filter(|n| n.has_tag_name(link) && n.parent().unwrap().has_tag_name(item))
            .map(|n| n.text().unwrap().to_string())
            .collect();
        links.sort();
        all.push(links);
    }
    let json: Value = app
        .get(&format!("{base}feed.json"))
        .await
        .json()
        .await
        .unwrap();
    let mut links: Vec<String> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|item| item["url"].as_str().unwrap().to_string())
        .collect();
    links.sort();
    all.push(links);
    all
}

#[tokio::test]
async fn feeds_hold_published_posts_only() {
    let app = spawn_app().await;
    let ada = app.author("Ada Lovelace");
    let craft = app.tag("craft", "Craft");
    let seed = |slug: &str| {
        SeedPost::published(slug, slug)
            .authors(&[&ada])
            .tags(&[&craft])
    };
    app.seed(seed("live").hours_ago(2));
    app.seed(seed("unfinished").draft());
    app.seed(seed("tomorrow").scheduled_at(now() + chrono::Duration::days(1)));
    let binned = app.seed(seed("binned").hours_ago(3));
    app.trash(binned.id);
    app.seed(SeedPost::page("about", "About").authors(&[&ada]));
    for base in ["/tag/craft/", "/author/ada-lovelace/"] {
        for links in feed_links(&app, base).await {
            assert_eq!(links, [app.url("/live/")], "{base}");
        }
    }
    for links in feed_links(&app, "/").await {
        assert!(links.contains(&app.url("/live/")));
        for hidden in ["/unfinished/", "/tomorrow/", "/binned/", "/about/"] {
            assert!(!links.contains(&app.url(hidden)), "{hidden} in {links:?}");
        }
    }
}

#[tokio::test]
async fn feed_length_follows_the_setting() {
    let app = spawn_app().await;
    for n in 0..5 {
        app.seed(SeedPost::published(&format!("p{n}"), &format!("P{n}")).hours_ago(n + 1));
    }
    app.update_settings(|s| s.feed_items = 2);
    let json: Value = app.get("/feed.json").await.json().await.unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 2);
}

#[tokio::test]
async fn a_site_with_no_posts_still_has_valid_feeds_and_sitemaps() {
    let app = spawn_app().await;
    let welcome = app
        .db
        .run_blocking(|conn| quire::domain::posts::find_by_slug(conn, "welcome", now()))
        .unwrap();
    let quire::domain::posts::SlugLookup::Visible(welcome) = welcome else {
        panic!("the welcome post is visible")
    };
    app.trash(welcome.id);
    for path in ["/rss/", "/atom.xml", "/sitemap.xml", "/sitemap-posts.xml"] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert!(
            roxmltree::Document::parse(&response.text().await.unwrap()).is_ok(),
            "{path}"
        );
    }
    let json: Value = app.get("/feed.json").await.json().await.unwrap();
    assert_eq!(json["items"].as_array().unwrap().len(), 0);
}

#[tokio::test]
async fn conditional_requests_answer_304() {
    let app = spawn_app().await;
    for path in [
        "/",
        "/welcome/",
        "/rss/",
        "/atom.xml",
        "/feed.json",
        "/sitemap.xml",
        "/sitemap-posts.xml",
        "/robots.txt",
    ] {
        let response = app.get(path).await;
        assert_eq!(response.status().as_u16(), 200, "{path}");
        let etag = response.headers()["etag"].to_str().unwrap().to_string();
        assert!(
            etag.starts_with('"') && !etag.starts_with("W/"),
            "{path}: strong ETag {etag}"
        );
        let last_modified = response.headers()["last-modified"]
            .to_str()
            .unwrap()
            .to_string();

        for header in [
            etag.clone(),
            format!("W/{etag}"),
            format!("\"other\", {etag}"),
            "*".into(),
        ] {
            let again = app
                .client
                .get(app.url(path))
                .header("if-none-match", &header)
                .send()
                .await
                .unwrap();
            assert_eq!(again.status().as_u16(), 304, "{path} with {header}");
            assert_eq!(again.headers()["etag"], etag.as_str());
            assert!(again.text().await.unwrap().is_empty());
        }
        let stale = app
            .client
            .get(app.url(path))
            .header("if-none-match", "\"stale\"")
            .send()
            .await
            .unwrap();
        assert_eq!(stale.status().as_u16(), 200, "{path}");
        let since = app
            .client
            .get(app.url(path))
            .header("if-modified-since", &last_modified)
            .send()
            .await
            .unwrap();
        assert_eq!(since.status().as_u16(), 304, "{path} if-modified-since");
    }
}

#[tokio::test]
async fn a_change_gives_a_new_validator() {
    let app = spawn_app().await;
    let first = app.get("/").await;
    let etag = first.headers()["etag"].to_str().unwrap().to_string();
    app.seed(SeedPost::published("fresh", "Fresh"));
    let again = app
        .client
        .get(app.url("/"))
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status().as_u16(), 200);
    assert_ne!(again.headers()["etag"].to_str().unwrap(), etag);
    let sitemap = app.get("/sitemap-posts.xml").await;
    let sitemap_etag = sitemap.headers()["etag"].to_str().unwrap().to_string();
    app.seed(SeedPost::published("fresher", "Fresher"));
    let changed = app
        .client
        .get(app.url("/sitemap-posts.xml"))
        .header("if-none-match", &sitemap_etag)
        .send()
        .await
        .unwrap();
    assert_eq!(changed.status().as_u16(), 200);
    assert!(changed.text().await.unwrap().contains("/fresher/"));
}

#[tokio::test]
async fn each_encoding_has_its_own_etag() {
    let app = spawn_app().await;
    for path in ["/welcome/", "/sitemap-posts.xml"] {
        let plain = app.get(path).await;
        let gzip = app
            .client
            .get(app.url(path))
            .header("accept-encoding", "gzip")
            .send()
            .await
            .unwrap();
        assert_eq!(gzip.headers()["content-encoding"], "gzip", "{path}");
        assert_ne!(plain.headers()["etag"], gzip.headers()["etag"], "{path}");
    }
}

#[tokio::test]
async fn feeds_and_sitemaps_answer_head() {
    let app = spawn_app().await;
    for path in [
        "/rss/",
        "/feed.json",
        "/sitemap.xml",
        "/sitemap-posts.xml",
        "/robots.txt",
    ] {
        let response = app.client.head(app.url(path)).send().await.unwrap();
        assert_eq!(response.status().as_u16(), 200, "{path}");
        assert!(response.headers().contains_key("etag"), "{path}");
        assert!(response.text().await.unwrap().is_empty());
    }
}

/// The `<lastmod>` given for `url` in a sitemap, in seconds since the epoch.
fn lastmod_of(xml: &str, url: &str) -> i64 {
    let doc = roxmltree::Document::parse(xml).unwrap();
    let entry = doc
        .descendants()
        .find(|n| {
            n.has_tag_name("url")
                && n.children()
                    .any(|c| c.has_tag_name("loc") && c.text() == Some(url))
        })
        .unwrap_or_else(|| panic!("{url} is listed"));
    let lastmod = entry
        .children()
        .find(|c| c.has_tag_name("lastmod"))
        .and_then(|c| c.text())
        .expect("a lastmod");
    chrono::DateTime::parse_from_rfc3339(lastmod)
        .unwrap()
        .timestamp()
}

#[tokio::test]
async fn tags_and_authors_are_dated_by_what_their_pages_show() {
    use diesel::prelude::*;
    use quire::db::schema::{posts, tags, users};
    let app = spawn_app().await;
    app.update_settings(|s| s.posts_per_page = 2);
    let ada = app.author("Ada Lovelace");
    let craft = app.tag("craft", "Craft");
    let seed = |slug: &str, hours: i64| {
        app.seed(
            SeedPost::published(slug, slug)
                .hours_ago(hours)
                .authors(&[&ada])
                .tags(&[&craft]),
        )
    };
    let oldest = seed("oldest", 30);
    let middle = seed("middle", 20);
    let newest = seed("newest", 10);
    let ago = |hours: i64| now() - chrono::Duration::hours(hours);
    let write = |change: &dyn Fn(&mut quire::db::DbConn) -> QueryResult<usize>| {
        app.db
            .run_blocking(|conn| quire::db::write_transaction(conn, |conn| change(conn)))
            .unwrap();
    };
    // Everything last edited when it was published; the tag and the author long before.
    for (post, hours) in [(&oldest, 30), (&middle, 20), (&newest, 10)] {
        write(&|conn| {
            diesel::update(posts::table.find(post.id))
                .set(posts::updated_at.eq(ago(hours)))
                .execute(conn)
        });
    }
    write(&|conn| {
        diesel::update(tags::table.find(craft.id))
            .set(tags::updated_at.eq(ago(40)))
            .execute(conn)
    });
    write(&|conn| {
        diesel::update(users::table.find(ada.id))
            .set(users::updated_at.eq(ago(40)))
            .execute(conn)
    });
    let dates = || async {
        let tags = app.get("/sitemap-tags.xml").await.text().await.unwrap();
        let authors = app.get("/sitemap-authors.xml").await.text().await.unwrap();
        (
            lastmod_of(&tags, &app.url("/tag/craft/")),
            lastmod_of(&authors, &app.url("/author/ada-lovelace/")),
        )
    };
    let at = |moment: chrono::NaiveDateTime| moment.and_utc().timestamp();
    let newest_edit = at(ago(10));
    assert_eq!(dates().await, (newest_edit, newest_edit));

    // An edit to a post the first page shows dates the page.
    let edited = ago(1);
    write(&|conn| {
        diesel::update(posts::table.find(middle.id))
            .set(posts::updated_at.eq(edited))
            .execute(conn)
    });
    assert_eq!(dates().await, (at(edited), at(edited)));

    // One beyond the first page does not: the page does not show it.
    write(&|conn| {
        diesel::update(posts::table.find(oldest.id))
            .set(posts::updated_at.eq(now()))
            .execute(conn)
    });
    assert_eq!(dates().await, (at(edited), at(edited)));

    // Editing the tag itself dates its page.
    let renamed = now();
    write(&|conn| {
        diesel::update(tags::table.find(craft.id))
            .set(tags::updated_at.eq(renamed))
            .execute(conn)
    });
    assert_eq!(dates().await.0, at(renamed));
}
