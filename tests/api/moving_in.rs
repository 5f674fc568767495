//! Moving in from WordPress, Ghost and folders of Markdown: what arrives, how it reads, the
//! old addresses that keep working, and files that are broken or hostile.

use std::path::{Path, PathBuf};

use quire::transfer::{ImportReport, Options};

use crate::helpers::*;

fn data(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/data")
        .join(name)
}

fn import_with(app: &TestApp, path: &Path, options: Options) -> Result<ImportReport, String> {
    quire::transfer::import(&app.db, path, options, now(), &mut |_| {}).map_err(|e| e.to_string())
}

fn import(app: &TestApp, path: &Path) -> ImportReport {
    import_with(app, path, Options::default()).expect("the import succeeds")
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

fn comment_count(app: &TestApp) -> i64 {
    use diesel::prelude::*;
    app.db
        .run_blocking(|conn| {
            quire::db::schema::comments::table
                .count()
                .get_result::<i64>(conn)
        })
        .unwrap()
}

fn statuses(report: &ImportReport) -> Vec<(String, usize)> {
    report
        .by_status
        .iter()
        .map(|(s, n)| (s.clone(), *n))
        .collect()
}

#[tokio::test]
async fn the_wordpress_theme_unit_test_moves_in_whole() {
    let app = spawn_app().await;
    let file = data("wordpress-theme-unit-test.xml");
    let empty = counts(&app);

    let dry = import_with(
        &app,
        &file,
        Options {
            dry_run: true,
            ..Options::default()
        },
    )
    .unwrap();
    assert!(dry.dry_run);
    assert_eq!(dry.posts_created, 79);
    assert_eq!(counts(&app), empty, "a dry run writes nothing");
    assert_eq!(app.get("/?p=1148").await.status().as_u16(), 200);

    let report = import(&app, &file);
    assert_eq!(report.format, "WordPress export (WXR 1.2)");
    // 58 posts and 21 pages; the password-protected post becomes a draft.
    assert_eq!((report.posts, report.pages), (79, 21));
    assert_eq!(
        statuses(&report),
        [
            ("draft".to_string(), 2),
            ("published".to_string(), 76),
            ("scheduled".to_string(), 1)
        ]
    );
    assert_eq!(report.authors, 2);
    assert_eq!(
        report
            .ignored
            .get("attachments (their files stay where they are)"),
        Some(&37)
    );
    assert_eq!(report.ignored.get("menu items"), Some(&70));
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    let said = |needle: &str| report.warnings.iter().any(|w| w.contains(needle));
    assert!(said("was protected by a password"), "{:?}", report.warnings);
    // Comments come too, threaded; pingbacks and trackbacks are notices, not conversation.
    assert_eq!(report.comments, 29);
    assert_eq!(report.ignored.get("pingbacks and trackbacks"), Some(&4));
    assert!(said("has no title"), "{:?}", report.warnings);
    assert!(
        said("at most 20: the first 20 are kept"),
        "{:?}",
        report.warnings
    );

    // The content reads as it did: paragraphs, lists without stray breaks, tables,
    // definition lists, quotes, headings.
    let post = app.page("/template-comments/", 200).await;
    assert_eq!(text_of(&post, "h1"), "Template: Comments");
    // 19 approved comments (one waits), replies nested under the comments they answer.
    assert_eq!(text_of(&post, "#comments-heading"), "19 comments");
    assert_eq!(select(&post, "li.comment").len(), 19);
    assert!(!select(&post, "li.comment > ol.comment-list--replies > li.comment").is_empty());
    assert!(
        select(&post, ".comment__text")
            .iter()
            .all(|c| !c.inner_html().contains("&lt;p&gt;"))
    );
    assert_eq!(select(&post, ".content > ul > li").len(), 7);
    assert!(select(&post, ".content ul br").is_empty());
    assert_eq!(text_of(&post, ".byline a"), "Theme Buster");
    let markup = app.page("/markup-html-tags-and-formatting/", 200).await;
    assert_eq!(select(&markup, ".content table").len(), 1);
    assert_eq!(select(&markup, ".content table td").len(), 8);
    assert_eq!(
        select(&markup, ".content table tbody th a").len(),
        4,
        "row headers keep their links"
    );
    assert_eq!(select(&markup, ".content dl dt").len(), 4);
    assert!(select(&markup, ".content blockquote").len() >= 2);
    assert_eq!(text_of(&markup, "h2#tables"), "Tables");
    let blocks = app.page("/wp-6-1-font-size-scale/", 200).await;
    assert!(
        !text_of(&blocks, ".content").contains("wp:"),
        "no block markup shows"
    );
    let captions = app.page("/page-image-alignment/", 200).await;
    let figcaptions: Vec<String> = select(&captions, ".content figure figcaption")
        .iter()
        .map(|f| f.text().collect())
        .collect();
    assert!(
        figcaptions
            .iter()
            .any(|c| c.contains("getting some caption love")),
        "[caption] shortcodes become figures: {figcaptions:?}"
    );
    assert!(!text_of(&captions, ".content").contains("[caption"));
    let page = app.page("/about/", 200).await;
    assert_eq!(text_of(&page, "h1"), "About The Tests");

    // Drafts and scheduled posts are not public.
    app.page("/template-password-protected/", 404).await;
    app.page("/scheduled/", 404).await;

    // Old addresses lead to the new ones, query-string ones matched exactly.
    assert_redirect(&app, "/?p=1148", "/template-comments/").await;
    assert_redirect(
        &app,
        "/2012/01/03/template-comments/",
        "/template-comments/",
    )
    .await;
    assert_redirect(&app, "/?page_id=2", "/about/").await;
    // Pages are flat here: a child page's nested address leads to it.
    assert_redirect(&app, "/level-1/level-2/level-3/", "/level-3/").await;
    assert_redirect(&app, "/about/page-with-comments/", "/page-with-comments/").await;
    // A page whose comments were closed takes none (and, having none, shows no section).
    let closed = app.page("/page-with-comments-disabled/", 200).await;
    assert!(select(&closed, "#comments").is_empty());
    let open = app.page("/page-with-comments/", 200).await;
    assert_eq!(text_of(&open, "#comments-heading"), "3 comments");
    assert_redirect(&app, "/category/classic/", "/tag/classic/").await;
    assert_redirect(&app, "/feed/", "/rss/").await;
    assert_eq!(app.get("/?p=1148&x=1").await.status().as_u16(), 200);
    assert_eq!(app.get("/?p=999999").await.status().as_u16(), 200);

    // Run again (after an interruption, or for changes): updated in place, nothing twice.
    // This time nothing is kept between the passes, as for a file too big to keep: the
    // file is read a second time to write.
    let before = counts(&app);
    let again = import_with(
        &app,
        &file,
        Options {
            keep_rendered: Some(0),
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!((again.posts_created, again.posts_updated), (0, 79));
    assert_eq!(counts(&app), before);
    let reread = app.page("/template-comments/", 200).await;
    assert_eq!(select(&reread, ".content > ul > li").len(), 7);
    assert_eq!(comment_count(&app), 29, "no comment twice");
    assert_eq!(select(&reread, "li.comment").len(), 19);
    assert_redirect(&app, "/?p=1148", "/template-comments/").await;
}

#[tokio::test]
async fn the_ghost_theme_unit_test_moves_in_whole() {
    let app = spawn_app().await;
    let report = import(&app, &data("ghost-theme-unit-test.json"));
    assert_eq!(report.format, "Ghost export (Ghost 2.1.3)");
    assert_eq!((report.posts, report.pages), (19, 2));
    assert_eq!(statuses(&report), [("published".to_string(), 19)]);
    assert_eq!((report.authors, report.tags), (1, 46));
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);

    let post = app.page("/this-is-a-featured-post/", 200).await;
    assert_eq!(text_of(&post, "h1"), "This is a featured post");
    assert_eq!(text_of(&post, ".byline a"), "Nick Noble");
    assert!(text_of(&post, ".content").contains("distinctly recognizable"));
    let tags: Vec<String> = select(&post, ".tags a")
        .iter()
        .map(|a| a.text().collect())
        .collect();
    assert_eq!(
        tags.first().map(String::as_str),
        Some("featured"),
        "posts_tags order"
    );
    let lists = app.page("/nested-and-mixed-lists/", 200).await;
    assert!(!select(&lists, ".content ol ul, .content ul ol").is_empty());
    app.page("/static-page-markup-and-formatting/", 200).await;
    let role = app
        .db
        .run_blocking(|conn| quire::domain::users::by_slug(conn, "nick"))
        .unwrap()
        .expect("the staff user")
        .role;
    assert_eq!(role, quire::domain::users::Role::Admin);
}

fn write(dir: &Path, name: &str, contents: &[u8]) {
    let path = dir.join(name);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, contents).unwrap();
}

#[tokio::test]
async fn a_folder_of_markdown_moves_in() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();
    write(
        root,
        "posts/2021-09-01-first-steps.md",
        b"---\ntitle: First steps\ntags: # express # node\ndescription: Where it began.\n---\n\nHello **there**.\n",
    );
    write(
        root,
        "posts/second.markdown",
        b"---\ntitle: \"Second\"\ndate: 2022-12-06T13:47:17.655Z\nslug: the-second\ncategories: [Rust, Web]\n---\n## A heading\n\nText.\n",
    );
    write(
        root,
        "about/index.md",
        b"---\ntitle: About us\nlayout: page\n---\nWho we are.\n",
    );
    write(
        root,
        "drafts/wip.md",
        b"---\ntitle: Not yet\ndraft: true\ndate: 2021-9-1\n---\nSoon.\n",
    );
    write(root, "broken.md", b"---\ntitle: [unclosed\n---\nText\n");
    write(root, "latin1.md", b"---\ntitle: Caf\xe9\n---\nText\n");
    write(root, "no-end.md", b"---\ntitle: Never closed\nText\n");
    write(root, "notes.txt", b"not markdown");

    let report = import(&app, root);
    assert_eq!(report.format, "folder of 7 Markdown files");
    assert_eq!((report.posts, report.pages), (4, 1));
    let skipped: Vec<&str> = report.skipped.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(skipped.len(), 3, "{:?}", report.skipped);
    let reason = |file: &str| {
        report
            .skipped
            .iter()
            .find(|(label, _)| label.contains(file))
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    };
    assert!(
        reason("broken.md").contains("not YAML"),
        "{:?}",
        report.skipped
    );
    assert!(
        reason("latin1.md").contains("not UTF-8"),
        "{:?}",
        report.skipped
    );
    assert!(
        reason("no-end.md").contains("never ends"),
        "{:?}",
        report.skipped
    );

    let first = app.page("/first-steps/", 200).await;
    assert_eq!(text_of(&first, "h1"), "First steps");
    assert_eq!(text_of(&first, ".content strong"), "there");
    assert_eq!(
        attr_of(&first, "time", "datetime"),
        "2021-09-01T00:00:00+00:00",
        "the date from a Jekyll file name"
    );
    let tags: Vec<String> = select(&first, ".tags a")
        .iter()
        .map(|a| a.text().collect())
        .collect();
    assert_eq!(tags, ["express", "node"]);
    let second = app.page("/the-second/", 200).await;
    assert_eq!(text_of(&second, "h2"), "A heading");
    app.page("/about/", 200).await;
    app.page("/wip/", 404).await;
    assert_redirect(&app, "/posts/second/", "/the-second/").await;
}

#[tokio::test]
async fn broken_and_hostile_files_are_refused_or_skipped_cleanly() {
    let app = spawn_app().await;
    let dir = tempfile::tempdir().unwrap();
    let wxr = |items: &str| {
        format!(
            "<?xml version=\"1.0\"?><rss xmlns:wp=\"http://wordpress.org/export/1.1/\" \
             xmlns:content=\"http://purl.org/rss/1.0/modules/content/\" \
             xmlns:dc=\"http://purl.org/dc/elements/1.1/\"><channel><wp:wxr_version>1.1</wp:wxr_version>\
             <wp:author><wp:author_login>ann</wp:author_login><wp:author_email>ann@example.com</wp:author_email>\
             <wp:author_display_name>Ann</wp:author_display_name></wp:author>{items}</channel></rss>"
        )
    };
    let item = |id: u32, name: &str, content: &str| {
        format!(
            "<item><title>Post {id}</title><dc:creator>ann</dc:creator>\
             <content:encoded><![CDATA[{content}]]></content:encoded><wp:post_id>{id}</wp:post_id>\
             <wp:post_date_gmt>2020-01-0{} 10:00:00</wp:post_date_gmt><wp:post_name>{name}</wp:post_name>\
             <wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>",
            id % 9 + 1
        )
    };
    let path = dir.path().join("file");
    let empty = counts(&app);
    let refuse = |contents: &str, needle: &str| {
        std::fs::write(&path, contents).unwrap();
        let error = import_with(&app, &path, Options::default()).expect_err(needle);
        assert!(error.contains(needle), "{needle:?} not in {error}");
        assert!(!error.contains('\n'), "one line: {error}");
        assert_eq!(counts(&app), empty, "{needle}: nothing written");
    };
    let whole = wxr(&item(1, "one", "<p>Fine</p>"));
    refuse(&whole[..whole.len() / 2], "not a readable WordPress export");
    refuse(whole.trim_end_matches("</rss>"), "cut short");
    refuse("<html><body>Hi</body></html>", "not <rss>");
    refuse("<rss><channel></channel></rss>", "not a WordPress export");
    refuse("\u{1}\u{2}binary", "not a file Quire can import");
    refuse(
        "{\"db\": [{\"data\": {\"users\": []}}]}",
        "without a list of posts",
    );
    refuse(
        &wxr("<item><title>x</title></channel>"),
        "not a readable WordPress export",
    );

    // Entities declared in the file are never expanded (billion laughs), nor fetched.
    let laughs = format!(
        "<?xml version=\"1.0\"?><!DOCTYPE rss [<!ENTITY lol \"lol\"><!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">\
         <!ENTITY lol3 \"&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;\"><!ENTITY xxe SYSTEM \"file:///etc/passwd\">]>{}",
        wxr(&item(1, "laughs", "&lol3; &xxe;").replace("<![CDATA[&lol3; &xxe;]]>", "&lol3; &xxe;"))
    );
    std::fs::write(&path, laughs).unwrap();
    let started = std::time::Instant::now();
    let outcome = import_with(&app, &path, Options::default());
    assert!(started.elapsed().as_secs() < 10);
    if outcome.is_ok() {
        let page = app.page("/laughs/", 200).await;
        let text = text_of(&page, ".content");
        assert!(
            !text.contains("lollol") && !text.contains("root:"),
            "{text}"
        );
    }

    // Bad items are skipped and named; the rest goes in. Scripts never survive.
    let items = [
        item(
            1,
            "kept",
            "<p onclick=\"steal()\">Kept</p><script>alert(1)</script>",
        ),
        item(2, "kept", "<p>Same slug, renamed</p>"),
        item(3, "huge", &"x".repeat(3 * 1024 * 1024)),
        item(4, "admin", "<p>A slug the site uses</p>"),
    ]
    .concat();
    std::fs::write(&path, wxr(&items)).unwrap();
    let strict = import_with(
        &app,
        &path,
        Options {
            strict: true,
            ..Options::default()
        },
    )
    .unwrap_err();
    assert!(strict.contains("item 2 (id 2)"), "{strict}");
    let counted = counts(&app);
    let report = import(&app, &path);
    assert_eq!(report.posts, 2, "{report:?}");
    let skipped: Vec<&str> = report.skipped.iter().map(|(l, _)| l.as_str()).collect();
    assert_eq!(skipped, ["item 3 (id 3)", "item 4 (id 4)"], "{report:?}");
    assert!(report.skipped[0].1.contains("2 MB"), "{report:?}");
    assert!(
        report
            .warnings
            .iter()
            .any(|w| w.contains("renamed 'kept-2'")),
        "{report:?}"
    );
    assert_eq!(counts(&app).0, counted.0 + 2);
    let kept = app.get("/kept/").await.text().await.unwrap();
    assert!(!kept.contains("alert(1)") && !kept.contains("steal()"));
    app.page("/kept-2/", 200).await;
}

fn media_count(app: &TestApp) -> usize {
    app.db
        .run_blocking(|conn| {
            quire::domain::media::page(
                conn,
                ("", quire::domain::media::MediaOrder::Newest),
                1,
                1000,
            )
        })
        .map(|(items, _)| items.len())
        .unwrap()
}

fn store(app: &TestApp) -> quire::transfer::media::MediaStore {
    quire::transfer::media::MediaStore {
        dir: app.data_dir().join("media"),
        max_bytes: 5 << 20,
        pixels: Default::default(),
    }
}

#[tokio::test]
async fn images_beside_markdown_files_come_into_the_library() {
    // No workers here: the jobs wait for `drain`, as they do for `quire import`.
    let app = spawn_app_with(|config| config.job_workers = 0).await;
    let dir = tempfile::tempdir().unwrap();
    let root = &dir.path().join("site");
    let png = crate::media::picture(800, 500, image::ImageFormat::Png);
    write(root, "posts/pictures/sea.png", &png);
    write(root, "posts/cover.png", &png);
    write(dir.path(), "secret.png", &png);
    write(
        root,
        "posts/holiday.md",
        b"---\ntitle: Holiday\ncover: ./cover.png\n---\n![The sea](pictures/sea.png)\n\n![Missing](pictures/none.png)\n\n![Outside](../../secret.png)\n",
    );
    let report = import(&app, root);
    assert_eq!(report.posts, 1);
    let queued = app
        .db
        .run_blocking(|conn| quire::jobs::queue::of_kind(conn, "import-media"))
        .unwrap();
    assert_eq!(
        queued.len(),
        1,
        "one job for the post's images: {:?}",
        report
    );
    let done = {
        let (db, store) = (app.db.clone(), store(&app));
        tokio::task::spawn_blocking(move || quire::transfer::media::drain(&db, &store))
            .await
            .unwrap()
            .unwrap()
    };
    assert_eq!(done.stored, 2, "{done:?}");
    let failed: Vec<&str> = done.failed.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(
        failed,
        ["pictures/none.png", "../../secret.png"],
        "{done:?}"
    );
    assert!(
        done.failed[1].1.contains("out of the imported folder"),
        "{done:?}"
    );

    let page = app.page("/holiday/", 200).await;
    let sources: Vec<String> = select(&page, ".content img")
        .iter()
        .map(|img| img.value().attr("src").unwrap_or_default().to_string())
        .collect();
    assert!(sources[0].starts_with("/media/"), "{sources:?}");
    assert_eq!(
        sources[1], "pictures/none.png",
        "a failed image keeps its address"
    );
    assert!(attr_of(&page, "meta[property='og:image']", "content").contains("/media/"));
    assert_eq!(media_count(&app), 2);

    // Imported again: the same files are not stored twice.
    import(&app, root);
    let (db, store) = (app.db.clone(), store(&app));
    let again = tokio::task::spawn_blocking(move || quire::transfer::media::drain(&db, &store))
        .await
        .unwrap()
        .unwrap();
    assert_eq!(again.stored, 0);
    assert_eq!(media_count(&app), 2);
    let page = app.page("/holiday/", 200).await;
    assert!(attr_of(&page, ".content img", "src").starts_with("/media/"));
}

/// A stand-in for the old site: one image, a missing one, and one that redirects to
/// another host.
async fn old_site() -> (String, actix_web::dev::ServerHandle) {
    use actix_web::{App, HttpResponse, HttpServer, web};
    let png = crate::media::picture(640, 400, image::ImageFormat::Png);
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let server = HttpServer::new(move || {
        let png = png.clone();
        let ghost_png = png.clone();
        App::new()
            .route(
                "/content/images/2020/01/img.png",
                web::get().to(move || {
                    let png = ghost_png.clone();
                    async move { HttpResponse::Ok().content_type("image/png").body(png) }
                }),
            )
            .route(
                "/img.png",
                web::get().to(move || {
                    let png = png.clone();
                    async move { HttpResponse::Ok().content_type("image/png").body(png) }
                }),
            )
            .route(
                "/hop.png",
                web::get().to(move || async move {
                    HttpResponse::Found()
                        .insert_header(("Location", format!("http://localhost:{port}/img.png")))
                        .finish()
                }),
            )
    })
    .workers(1)
    .listen(listener)
    .unwrap()
    .run();
    let handle = server.handle();
    tokio::spawn(server);
    (format!("http://127.0.0.1:{port}"), handle)
}

#[tokio::test]
async fn images_on_the_old_site_are_fetched_only_from_the_hosts_named() {
    let app = spawn_app_with(|config| config.job_workers = 0).await;
    let (old, server) = old_site().await;
    let localhost = old.replace("127.0.0.1", "localhost");
    let content = format!(
        "<p><img src=\"{old}/img.png\" alt=\"Kept\"></p><p><img src=\"{old}/missing.png\"></p>\
         <p><img src=\"{old}/hop.png\"></p><p><img src=\"https://elsewhere.invalid/x.png\"></p>\
         <p><img src=\"{localhost}/img.png\"></p>"
    );
    let wxr = format!(
        "<?xml version=\"1.0\"?><rss xmlns:wp=\"https://wordpress.org/export/1.2/\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><wp:wxr_version>1.2</wp:wxr_version>\
         <item><title>Pictures</title><content:encoded><![CDATA[{content}]]></content:encoded>\
         <wp:post_id>7</wp:post_id><wp:post_date_gmt>2020-01-01 10:00:00</wp:post_date_gmt>\
         <wp:post_name>pictures</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type></item>\
         </channel></rss>"
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.xml");
    std::fs::write(&path, wxr).unwrap();

    // Without asking, nothing is fetched.
    import(&app, &path);
    let (db, store_here) = (app.db.clone(), store(&app));
    let none = tokio::task::spawn_blocking(move || quire::transfer::media::drain(&db, &store_here))
        .await
        .unwrap()
        .unwrap();
    assert_eq!((none.stored, none.failed.len()), (0, 0));

    let fetching_from = |host: &str| Options {
        media: quire::transfer::media::MediaPolicy {
            remote: true,
            allow_hosts: vec![host.to_string()],
            old_url: None,
        },
        ..Options::default()
    };
    let drained = || {
        let (db, store_here) = (app.db.clone(), store(&app));
        tokio::task::spawn_blocking(move || quire::transfer::media::drain(&db, &store_here))
    };

    // localhost is named, but the address it stands for is loopback and is not.
    import_with(&app, &path, fetching_from("localhost")).unwrap();
    let refused = drained().await.unwrap().unwrap();
    assert_eq!(refused.stored, 0, "{refused:?}");
    let addresses: Vec<&str> = refused.failed.iter().map(|(a, _)| a.as_str()).collect();
    assert_eq!(addresses, [format!("{localhost}/img.png")], "{refused:?}");

    import_with(&app, &path, fetching_from("127.0.0.1")).unwrap();
    let done = drained().await.unwrap().unwrap();
    server.stop(true).await;
    assert_eq!(done.stored, 1, "{done:?}");
    let reason = |address: &str| {
        done.failed
            .iter()
            .find(|(a, _)| a == address)
            .map(|(_, r)| r.clone())
            .unwrap_or_default()
    };
    assert!(
        reason(&format!("{old}/missing.png")).contains("404"),
        "{done:?}"
    );
    assert!(
        reason(&format!("{old}/hop.png")).contains("elsewhere"),
        "{done:?}"
    );
    assert_eq!(
        done.failed.len(),
        2,
        "unnamed hosts are left alone: {done:?}"
    );

    let page = app.page("/pictures/", 200).await;
    let sources: Vec<String> = select(&page, ".content img")
        .iter()
        .map(|img| img.value().attr("src").unwrap_or_default().to_string())
        .collect();
    assert!(sources[0].starts_with("/media/"), "{sources:?}");
    assert_eq!(sources[1], format!("{old}/missing.png"));
    assert_eq!(sources[3], "https://elsewhere.invalid/x.png");
    assert_eq!(media_count(&app), 1);
}

#[tokio::test]
async fn a_site_moves_out_as_a_wordpress_export_and_back() {
    let site = spawn_app().await;
    import(&site, &data("ghost-theme-unit-test.json"));
    let mut wxr = Vec::new();
    quire::transfer::wxr_export::export_wxr(&site.db, &mut wxr, "https://blog.example.com", now())
        .unwrap();
    let text = String::from_utf8(wxr).unwrap();

    // A well-formed WXR 1.2 file, as WordPress's importer expects.
    let doc = roxmltree::Document::parse(&text).expect("well-formed XML");
    let wp = "http://wordpress.org/export/1.2/";
    let field = |item: roxmltree::Node, name: &str| {
        item.children()
            .find(|n| n.has_tag_name((wp, name)))
            .and_then(|n| n.text())
            .unwrap_or_default()
            .to_string()
    };
    let items: Vec<roxmltree::Node> = doc
        .descendants()
        .filter(|n| n.has_tag_name("item"))
        .collect();
    let kinds: Vec<String> = items.iter().map(|i| field(*i, "post_type")).collect();
    let (all, _) = counts(&site);
    let pages = kinds.iter().filter(|k| *k == "page").count();
    assert_eq!(pages, 2);
    assert_eq!(
        (kinds.iter().filter(|k| *k == "post").count() + pages) as i64,
        all
    );
    assert_eq!(
        kinds.iter().filter(|k| *k == "attachment").count(),
        2,
        "covers"
    );
    let version = doc
        .descendants()
        .find(|n| n.has_tag_name((wp, "wxr_version")))
        .and_then(|n| n.text());
    assert_eq!(version, Some("1.2"));
    let featured = items
        .iter()
        .find(|i| field(**i, "post_name") == "this-is-a-featured-post")
        .unwrap();
    assert_eq!(field(*featured, "is_sticky"), "1");
    assert_eq!(field(*featured, "status"), "publish");

    // Into an empty Quire: the same posts, reading the same.
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.xml");
    std::fs::write(&path, &text).unwrap();
    let copy = spawn_app().await;
    let report = import(&copy, &path);
    assert_eq!((report.posts as i64, report.pages), (all, 2), "{report:?}");
    assert!(report.skipped.is_empty(), "{:?}", report.skipped);
    for slug in [
        "this-is-a-featured-post",
        "nested-and-mixed-lists",
        "long-form",
        "static-page-markup-and-formatting",
    ] {
        let path = format!("/{slug}/");
        let (before, after) = (site.page(&path, 200).await, copy.page(&path, 200).await);
        assert_eq!(text_of(&before, "h1"), text_of(&after, "h1"), "{slug}");
        assert_eq!(
            text_of(&before, ".content"),
            text_of(&after, ".content"),
            "{slug}"
        );
        let texts = |doc: &scraper::Html, css: &str| -> Vec<String> {
            select(doc, css)
                .iter()
                .map(|e| e.text().collect())
                .collect()
        };
        assert_eq!(
            texts(&before, ".tags a"),
            texts(&after, ".tags a"),
            "{slug}"
        );
        assert_eq!(
            texts(&before, ".byline a"),
            texts(&after, ".byline a"),
            "{slug}"
        );
    }
}

static FEED_BUILT: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new("<lastBuildDate>[^<]*</lastBuildDate>").unwrap());
/// The feed's own `<updated>`, the first in an Atom feed (entries keep theirs).
static FEED_UPDATED: std::sync::LazyLock<regex::Regex> =
    std::sync::LazyLock::new(|| regex::Regex::new("<updated>[^<]*</updated>").unwrap());

/// Every public address of a site: its sitemaps' pages, the sitemaps, feeds and robots.txt.
async fn public_paths(app: &TestApp) -> Vec<String> {
    let mut paths = vec![
        "/sitemap.xml".to_string(),
        "/robots.txt".into(),
        "/rss/".into(),
        "/atom.xml".into(),
        "/feed.json".into(),
    ];
    let index = app.get("/sitemap.xml").await.text().await.unwrap();
    let locations = |xml: &str| -> Vec<String> {
        let doc = roxmltree::Document::parse(xml).unwrap();
        doc.descendants()
            .filter(|n| n.has_tag_name("loc"))
            .filter_map(|n| n.text())
            .map(|url| url.trim_start_matches(&app.base).to_string())
            .collect()
    };
    for sitemap in locations(&index) {
        let xml = app.get(&sitemap).await.text().await.unwrap();
        paths.push(sitemap.clone());
        paths.extend(locations(&xml));
    }
    paths.sort();
    paths.dedup();
    paths
}

#[tokio::test]
async fn an_archive_moves_a_whole_site_with_its_images() {
    let site = spawn_app().await;
    site.db
        .run_blocking(|conn| quire::content::fill_demo(conn, now()))
        .unwrap();
    // An image of the library, used in a post; a deleted address; an earlier version.
    let owner = site
        .signed_in_as("owner@example.com", quire::domain::users::Role::Owner)
        .await;
    let png = crate::media::picture(900, 600, image::ImageFormat::Png);
    let uploaded = crate::media::upload(&site, &owner, "harbour.png", png, "A harbour").await;
    assert_eq!(uploaded.status().as_u16(), 303);
    let library = site.db.run_blocking(quire::domain::media::all).unwrap();
    let image = library[0].url();
    let post = site.seed(
        SeedPost::published("with-a-picture", "With a picture")
            .markdown(&format!("Look:\n\n![A harbour]({image})")),
    );
    let earlier = now() - chrono::Duration::days(3);
    site.db
        .run_blocking(move |conn| {
            quire::domain::revisions::store(
                conn,
                post.id,
                None,
                "A first title",
                "A first text.",
                earlier,
            )?;
            quire::domain::gone::mark(conn, "/a-deleted-post/", earlier)
        })
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let zip = dir.path().join("site.zip");
    let media_dir = site.data_dir().join("media");
    let db = site.db.clone();
    let report = quire::transfer::archive::write_archive(
        &site.db,
        &media_dir,
        std::fs::File::create(&zip).unwrap(),
        |out| quire::transfer::export(&db, out, now()),
    )
    .unwrap();
    assert_eq!((report.media, report.revisions > 1), (1, true));

    let copy = spawn_app().await;
    let options = Options {
        media_dir: Some(copy.data_dir().join("media")),
        ..Options::default()
    };
    let imported = import_with(&copy, &zip, options).unwrap();
    assert_eq!(imported.format, "Quire archive");
    assert_eq!((imported.media, imported.gone), (1, 1), "{imported:?}");
    assert!(imported.skipped.is_empty(), "{:?}", imported.skipped);

    // Every public address answers the same, byte for byte but for the site's own address.
    let paths = public_paths(&site).await;
    assert!(paths.len() > 20, "{paths:?}");
    let mut compared = paths.clone();
    compared.extend([image.clone(), "/a-deleted-post/".to_string()]);
    for path in compared {
        let (a, b) = (site.get(&path).await, copy.get(&path).await);
        assert_eq!(a.status(), b.status(), "GET {path}");
        let a = a.bytes().await.unwrap();
        let b = b.bytes().await.unwrap();
        if path.starts_with("/media/") {
            assert_eq!(a, b, "{path}: the same image");
            continue;
        }
        // The copy changed when it was imported, and its feeds say so; nothing else differs.
        let settled = |body: &[u8], base: &str| {
            let text = String::from_utf8_lossy(body).replace(base, "");
            let text = FEED_BUILT.replace_all(&text, "").into_owned();
            FEED_UPDATED.replace(&text, "").into_owned()
        };
        let (a, b) = (settled(&a, &site.base), settled(&b, &copy.base));
        let first_difference = a
            .lines()
            .zip(b.lines())
            .find(|(x, y)| x != y)
            .map(|(x, y)| format!("\n  site: {x}\n  copy: {y}"))
            .unwrap_or_default();
        assert!(
            a == b,
            "GET {path} differs between the site and its copy:{first_difference}"
        );
    }
    assert_eq!(copy.get("/a-deleted-post/").await.status().as_u16(), 410);

    // The earlier version came along.
    let titles: Vec<String> = copy
        .db
        .run_blocking(|conn| {
            let id = quire::domain::posts::by_slug_any(conn, "with-a-picture")?.unwrap();
            quire::domain::revisions::of_post(conn, id)
        })
        .unwrap()
        .into_iter()
        .map(|listed| listed.revision.title)
        .collect();
    assert!(titles.contains(&"A first title".to_string()), "{titles:?}");
}

#[tokio::test]
async fn comments_move_out_and_back_with_their_threads() {
    let site = spawn_app().await;
    import(&site, &data("wordpress-theme-unit-test.xml"));
    let texts = |doc: &scraper::Html| -> Vec<(usize, String)> {
        // Each comment's text with how deep it sits.
        select(doc, "li.comment")
            .iter()
            .map(|li| {
                let depth = li
                    .ancestors()
                    .filter(|a| a.value().as_element().is_some_and(|e| e.name() == "li"))
                    .count();
                let text = li
                    .select(&scraper::Selector::parse(".comment__text").unwrap())
                    .next()
                    .map(|t| t.text().collect::<String>())
                    .unwrap_or_default();
                (depth, text.trim().to_string())
            })
            .collect()
    };
    let original = texts(&site.page("/template-comments/", 200).await);
    assert_eq!(original.len(), 19);

    // Quire's own format carries every comment with its thread and status.
    let mut json = Vec::new();
    let exported = quire::transfer::export(&site.db, &mut json, now()).unwrap();
    assert_eq!(exported.comments, 29);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("site.json");
    std::fs::write(&path, &json).unwrap();
    let copy = spawn_app().await;
    let report = import(&copy, &path);
    assert_eq!(report.comments, 29);
    assert_eq!(comment_count(&copy), 29);
    assert_eq!(
        texts(&copy.page("/template-comments/", 200).await),
        original
    );

    // A WordPress export carries them too, for WordPress's importer or ours.
    let mut wxr = Vec::new();
    let exported = quire::transfer::wxr_export::export_wxr(
        &site.db,
        &mut wxr,
        "https://blog.example.com",
        now(),
    )
    .unwrap();
    assert_eq!(exported.comments, 29);
    let path = dir.path().join("site.xml");
    std::fs::write(&path, &wxr).unwrap();
    let third = spawn_app().await;
    assert_eq!(import(&third, &path).comments, 29);
    assert_eq!(
        texts(&third.page("/template-comments/", 200).await),
        original
    );
}

#[tokio::test]
async fn authors_brought_in_without_a_password_are_invited_on_demand() {
    use diesel::prelude::*;
    use quire::db::schema::users;
    let app = spawn_app().await;
    import(&app, &data("wordpress-theme-unit-test.xml"));
    let (id, email): (i64, String) = app
        .db
        .run_blocking(|conn| {
            users::table
                .filter(users::password_hash.is_null())
                .order(users::id)
                .select((users::id, users::email))
                .first(conn)
        })
        .unwrap();
    let owner = app
        .signed_in_as("owner@example.com", quire::domain::users::Role::Owner)
        .await;
    let person = format!("/admin/people/{id}");
    let invite = format!("{person}/invite");
    let response = app.submit(&owner, &person, &invite, &[]).await;
    assert_eq!(response.status(), 303);
    let page = parse_html(
        &owner
            .get(app.url(&person))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(text_of(&page, ".notice").contains(&email));

    // The invitation sets a password on the account the import made, posts and all.
    let link = app.mailed_link(&email, "/account/invite");
    let token = link.split("token=").nth(1).unwrap().to_string();
    let author = browser();
    let response = app
        .submit(
            &author,
            &link,
            "/account/invite",
            &[
                ("token", &token),
                ("display_name", "Theme Buster"),
                ("password", "a writer's long secret"),
            ],
        )
        .await;
    assert_eq!(response.status(), 303);
    assert_eq!(
        app.sign_in(&browser(), &email, "a writer's long secret")
            .await
            .status(),
        303
    );
    // Once it has one, the page offers no invitation, and a forged one is refused.
    let page = parse_html(
        &owner
            .get(app.url(&person))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(select(&page, &format!("form[action='{invite}']")).is_empty());
    let response = app.submit(&owner, &person, &invite, &[]).await;
    assert_eq!(response.status(), 403);
}

#[tokio::test]
async fn a_ghost_exports_images_are_fetched_from_the_old_site_named() {
    let app = spawn_app_with(|config| config.job_workers = 0).await;
    let (old, server) = old_site().await;
    let ghost = serde_json::json!({"db": [{"meta": {"version": "5.80.0"}, "data": {"posts": [{
        "id": "1", "title": "Ghostly", "slug": "ghostly", "type": "post", "status": "published",
        "published_at": "2020-01-01T10:00:00.000Z",
        "html": "<p>Before.</p><p><img src=\"__GHOST_URL__/content/images/2020/01/img.png\" alt=\"A pier\"></p>",
        "feature_image": "__GHOST_URL__/content/images/2020/01/img.png"
    }]}}]});
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ghost.json");
    std::fs::write(&path, ghost.to_string()).unwrap();
    let host = url::Url::parse(&old)
        .unwrap()
        .host_str()
        .unwrap()
        .to_string();
    let report = import_with(
        &app,
        &path,
        Options {
            media: quire::transfer::media::MediaPolicy {
                remote: true,
                allow_hosts: vec![host],
                old_url: Some(old.clone()),
            },
            ..Options::default()
        },
    )
    .unwrap();
    assert_eq!(report.posts, 1);
    let (db, store_here) = (app.db.clone(), store(&app));
    let done = tokio::task::spawn_blocking(move || quire::transfer::media::drain(&db, &store_here))
        .await
        .unwrap()
        .unwrap();
    server.stop(true).await;
    assert_eq!((done.stored, done.failed.len()), (1, 0), "{done:?}");
    let page = app.page("/ghostly/", 200).await;
    assert!(attr_of(&page, ".content img", "src").starts_with("/media/"));
    assert_eq!(attr_of(&page, ".content img", "alt"), "A pier");
    assert!(attr_of(&page, ".post__cover img", "src").starts_with("/media/"));
    assert_eq!(media_count(&app), 1);
}

#[tokio::test]
async fn a_renamed_duplicate_keeps_its_own_comments() {
    let app = spawn_app().await;
    let item = |id: u32, words: &str| {
        format!(
            "<item><title>Contact {id}</title><content:encoded><![CDATA[<p>Page {id}</p>]]></content:encoded>\
             <wp:post_id>{id}</wp:post_id><wp:post_date_gmt>2020-01-0{id} 10:00:00</wp:post_date_gmt>\
             <wp:post_name>contact</wp:post_name><wp:status>publish</wp:status><wp:post_type>post</wp:post_type>\
             <wp:comment><wp:comment_id>{id}0</wp:comment_id><wp:comment_author>Reader {id}</wp:comment_author>\
             <wp:comment_date_gmt>2020-02-0{id} 10:00:00</wp:comment_date_gmt>\
             <wp:comment_content><![CDATA[{words}]]></wp:comment_content>\
             <wp:comment_approved>1</wp:comment_approved><wp:comment_parent>0</wp:comment_parent></wp:comment></item>"
        )
    };
    let wxr = format!(
        "<?xml version=\"1.0\"?><rss xmlns:wp=\"http://wordpress.org/export/1.2/\" \
         xmlns:content=\"http://purl.org/rss/1.0/modules/content/\"><channel><wp:wxr_version>1.2</wp:wxr_version>\
         {}{}</channel></rss>",
        item(1, "Said under the first"),
        item(2, "Said under the second")
    );
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("export.xml");
    std::fs::write(&path, wxr).unwrap();
    let report = import(&app, &path);
    assert_eq!(report.comments, 2);
    let first = app.page("/contact/", 200).await;
    assert_eq!(text_of(&first, ".comment__text"), "Said under the first");
    let second = app.page("/contact-2/", 200).await;
    assert_eq!(text_of(&second, ".comment__text"), "Said under the second");
}

/// A site still under its default name takes the old site's name and description; a site
/// its owner named keeps its own.
#[tokio::test]
async fn an_import_names_a_site_that_has_no_name_of_its_own() {
    let site = spawn_app().await;
    let report = import(&site, &data("wordpress-theme-unit-test.xml"));
    assert_eq!(report.site_name.as_deref(), Some("Theme Unit Test Data"));
    assert!(report.to_text().contains("named “Theme Unit Test Data”"));
    let home = site.page("/", 200).await;
    assert_eq!(text_of(&home, "title"), "Theme Unit Test Data");
    // Setup starts from that name.
    let setup = site.page(&site.setup_with_key(), 200).await;
    assert_eq!(attr_of(&setup, "#f-title", "value"), "Theme Unit Test Data");

    let ghost = spawn_app().await;
    import(&ghost, &data("ghost-theme-unit-test.json"));
    let home = ghost.page("/", 200).await;
    assert_eq!(text_of(&home, "title"), "Ghost");
    assert_eq!(
        attr_of(&home, "meta[name=description]", "content"),
        "Thoughts, stories, ideas."
    );

    let named = spawn_app().await;
    named.update_settings(|s| s.title = "My Own Name".into());
    let report = import(&named, &data("wordpress-theme-unit-test.xml"));
    assert_eq!(report.site_name, None);
    let home = named.page("/", 200).await;
    assert_eq!(text_of(&home, "title"), "My Own Name");
}
