//! `quire import` and `quire export`: round trips, idempotence, and bad files that change
//! nothing.

use serde_json::{Value, json};

use crate::helpers::*;

fn corpus(posts: Value) -> Value {
    json!({
        "format": "quire-corpus", "version": 1, "seed": 7,
        "authors": [
            { "id": 1, "slug": "ada", "name": "Ada Lovelace", "email": "ada@example.com", "bio": "Writes." },
            { "id": 2, "slug": "grace", "name": "Grace Hopper", "email": "grace@example.com", "bio": "" }
        ],
        "tags": [
            { "id": 1, "slug": "craft", "name": "Craft", "description": "On craft." },
            { "id": 2, "slug": "news", "name": "News", "description": "" }
        ],
        "posts": posts
    })
}

fn post(slug: &str, author: &str, tags: &[&str]) -> Value {
    json!({
        "id": 1, "slug": slug, "title": format!("Title of {slug}"), "excerpt": "An excerpt.",
        "author": author, "tags": tags,
        "published_at": "2026-10-01T09:30:00Z", "updated_at": "2026-10-02T10:00:00Z",
        "word_count": 3, "markdown": format!("## Heading\n\nBody of {slug}."), "html": "<p>ignored</p>"
    })
}

fn write_file(dir: &tempfile::TempDir, name: &str, contents: &str) -> std::path::PathBuf {
    let path = dir.path().join(name);
    std::fs::write(&path, contents).unwrap();
    path
}

/// An import that stops at the first bad item, writing nothing.
fn import(app: &TestApp, path: &std::path::Path) -> Result<quire::transfer::ImportReport, String> {
    let strict = quire::transfer::Options {
        strict: true,
        ..Default::default()
    };
    quire::transfer::import(&app.db, path, strict, now(), &mut |_| {}).map_err(|e| e.to_string())
}

fn export(app: &TestApp) -> Value {
    let mut out = Vec::new();
    quire::transfer::export(&app.db, &mut out, now()).unwrap();
    serde_json::from_slice(&out).expect("an export is valid JSON")
}

fn counts(app: &TestApp) -> (i64, i64) {
    app.db
        .run_blocking(|conn| {
            Ok::<_, quire::error::AppError>((
                quire::domain::posts::count(conn)?,
                quire::domain::users::count(conn)?,
            ))
        })
        .unwrap()
}

#[tokio::test]
async fn a_corpus_imports_and_serves() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let file = corpus(json!([
        post("first", "ada", &["craft", "news"]),
        post("second", "grace", &[])
    ]));
    let path = write_file(&dir, "corpus.json", &file.to_string());
    let report = import(&app, &path).unwrap();
    assert_eq!((report.posts, report.authors, report.tags), (2, 2, 2));

    let doc = app.page("/first/", 200).await;
    assert_eq!(text_of(&doc, "h1"), "Title of first");
    assert_eq!(text_of(&doc, ".byline a"), "Ada Lovelace");
    assert_eq!(
        attr_of(&doc, ".post__header time", "datetime"),
        "2026-10-01T09:30:00+00:00"
    );
    assert_eq!(
        select(&doc, ".content h2#heading").len(),
        1,
        "rendered from the Markdown"
    );
    let tags: Vec<_> = select(&doc, ".post__footer .tags a")
        .iter()
        .map(|a| a.text().collect::<String>())
        .collect();
    assert_eq!(tags, ["Craft", "News"], "primary tag first");
    app.page("/author/grace/", 200).await;

    // Importing again updates in place: nothing is duplicated.
    let before = counts(&app);
    let mut changed = file.clone();
    changed["posts"][0]["title"] = json!("A better title");
    std::fs::write(&path, changed.to_string()).unwrap();
    import(&app, &path).unwrap();
    assert_eq!(counts(&app), before);
    assert_eq!(
        text_of(&app.page("/first/", 200).await, "h1"),
        "A better title"
    );
}

#[tokio::test]
async fn export_then_import_loses_nothing() {
    let source = spawn_app().await;
    source
        .db
        .run_blocking(|conn| quire::content::fill_demo(conn, now()))
        .unwrap();
    source.seed(
        SeedPost::published("tuned", "Tuned")
            .cover("/media/cover.jpg", "Cover")
            .with(|p| {
                p.meta_title = "Meta".into();
                p.meta_description = "Described".into();
                p.canonical_url = "https://example.org/x".into();
                p.noindex = true;
                p.featured = true;
            }),
    );
    let trashed = source.seed(SeedPost::published("binned", "Binned"));
    source.trash(trashed.id);
    let exported = export(&source);
    assert_eq!(exported["format"], "quire-export");

    let target = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let path = write_file(&dir, "export.json", &exported.to_string());
    import(&target, &path).unwrap();
    let again = export(&target);

    let strip = |mut v: Value| {
        v.as_object_mut().unwrap().remove("exported_at");
        v
    };
    let (mut before, mut after) = (strip(exported.clone()), strip(again));
    // The new site's own welcome post keeps its own first revision, dated when it started.
    let drop_welcome = |v: &mut Value| {
        v["revisions"]
            .as_array_mut()
            .unwrap()
            .retain(|r| r["post"] != "welcome");
    };
    drop_welcome(&mut before);
    drop_welcome(&mut after);
    for (key, value) in before.as_object().unwrap() {
        assert_eq!(
            Some(value),
            after.get(key),
            "{key}: the same after the round trip"
        );
    }
    assert_eq!(before, after, "the same site after the round trip");
    // Drafts, scheduled posts, pages, settings and redirects all came across.
    let statuses: Vec<_> = exported["posts"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["status"].as_str().unwrap().to_string())
        .collect();
    for status in ["draft", "scheduled", "published"] {
        assert!(statuses.iter().any(|s| s == status), "{status}");
    }
    assert_eq!(exported["settings"]["title"], "The Margin");
    assert_eq!(exported["redirects"].as_array().unwrap().len(), 1);
    assert_eq!(text_of(&target.page("/", 200).await, "h1"), "The Margin");
    target.page("/about/", 200).await;
    target.page("/binned/", 410).await;
    assert_redirect(
        &target,
        "/2026/10/why-we-started/",
        "/why-we-started-an-independent-publication/",
    )
    .await;
}

/// A fault in the last of many posts is found before the first is written: an import is
/// checked whole, then written.
#[tokio::test]
async fn a_nul_in_the_last_of_many_posts_writes_nothing() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let mut posts: Vec<Value> = (0..600)
        .map(|n| post(&format!("post-{n}"), "ada", &["craft"]))
        .collect();
    posts[599]["title"] = json!("The last\u{0} one");
    let path = write_file(&dir, "many.json", &corpus(json!(posts)).to_string());
    let before = counts(&app);
    let error = import(&app, &path).unwrap_err();
    assert!(error.contains("posts[599] 'post-599'"), "{error}");
    assert!(error.contains("control"), "{error}");
    assert_eq!(counts(&app), before, "no batch was written");
}

#[tokio::test]
async fn bad_files_are_refused_naming_the_fault_and_write_nothing() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let good = corpus(json!([post("fine", "ada", &["craft"])])).to_string();
    let mut wrong_type = corpus(json!([post("fine", "ada", &[])]));
    wrong_type["posts"][0]["title"] = json!(5);
    let mut bad_date = corpus(json!([post("fine", "ada", &[])]));
    bad_date["posts"][0]["published_at"] = json!("yesterday");
    let mut huge = corpus(json!([post("huge", "ada", &[])]));
    huge["posts"][0]["markdown"] = json!("x".repeat(10 * 1024 * 1024));
    let mut bad_slug = corpus(json!([post("fine", "ada", &[])]));
    bad_slug["posts"][0]["slug"] = json!("Not A Slug");
    let mut reserved = corpus(json!([post("admin", "ada", &[])]));
    reserved["posts"][0]["slug"] = json!("admin");
    let mut bad_email = corpus(json!([]));
    bad_email["authors"][0]["email"] = json!("not-an-email");
    let mut wrong_format = corpus(json!([]));
    wrong_format["format"] = json!("wordpress");
    let mut wrong_version = corpus(json!([]));
    wrong_version["version"] = json!(9);

    let cases: Vec<(&str, String, &[&str])> = vec![
        (
            "truncated",
            good[..good.len() / 2].to_string(),
            &["line", "column"],
        ),
        (
            "wrong type",
            wrong_type.to_string(),
            &["invalid type", "line"],
        ),
        (
            "duplicate slugs",
            corpus(json!([
                post("twice", "ada", &[]),
                post("twice", "grace", &[])
            ]))
            .to_string(),
            &["posts[1] 'twice'", "twice in the file"],
        ),
        (
            "unknown author",
            corpus(json!([post("orphan", "nobody", &[])])).to_string(),
            &["posts[0] 'orphan'", "unknown author 'nobody'"],
        ),
        (
            "unknown tag",
            corpus(json!([post("mystery", "ada", &["nope"])])).to_string(),
            &["posts[0] 'mystery'", "unknown tag 'nope'"],
        ),
        (
            "10 MB body",
            huge.to_string(),
            &["posts[0] 'huge'", "The text can be at most 2 MB"],
        ),
        (
            "invalid date",
            bad_date.to_string(),
            &["posts[0] 'fine'", "published_at 'yesterday'"],
        ),
        (
            "bad slug",
            bad_slug.to_string(),
            &["posts[0] 'Not A Slug'", "slug"],
        ),
        (
            "reserved slug",
            reserved.to_string(),
            &["posts[0] 'admin'", "used by the site"],
        ),
        (
            "bad email",
            bad_email.to_string(),
            &["authors[0] 'ada'", "not a valid email"],
        ),
        (
            "unknown format",
            wrong_format.to_string(),
            &["unknown format 'wordpress'"],
        ),
        (
            "unknown version",
            wrong_version.to_string(),
            &["unsupported version 9"],
        ),
        (
            "cut-short XML",
            "<rss>".to_string(),
            &["not a readable WordPress export", "cut short"],
        ),
        (
            "empty",
            String::new(),
            &["not a file Quire can import", "WordPress"],
        ),
        (
            "neither JSON export",
            "{\"posts\": []}".to_string(),
            &["neither a Quire nor a Ghost export"],
        ),
    ];
    let before = counts(&app);
    for (name, contents, needles) in cases {
        let path = write_file(&dir, "bad.json", &contents);
        let error = import(&app, &path).expect_err(name);
        for needle in needles {
            assert!(error.contains(needle), "{name}: {needle:?} not in {error}");
        }
        assert!(!error.contains('\n'), "{name}: one line: {error}");
        assert_eq!(counts(&app), before, "{name} wrote something");
    }
    let missing = import(&app, &dir.path().join("missing.json")).unwrap_err();
    assert!(missing.contains("cannot read"), "{missing}");
    let folder = import(&app, dir.path()).unwrap_err();
    assert!(folder.contains("no Markdown files"), "{folder}");
    assert_eq!(counts(&app), before);
}
