//! Every public page type, what it shows, and what it hides.

use chrono::Duration;

use crate::helpers::*;

#[tokio::test]
async fn a_new_site_serves_its_welcome_post() {
    let app = spawn_app().await;
    let home = app.page("/", 200).await;
    assert_eq!(attr_of(&home, "html", "lang"), "en");
    assert_eq!(select(&home, "h1").len(), 1);
    assert_eq!(text_of(&home, "title"), "Quire");
    assert_eq!(attr_of(&home, "link[rel=canonical]", "href"), app.url("/"));
    assert!(!attr_of(&home, "meta[name=description]", "content").is_empty());
    assert_eq!(card_links(&home), ["/welcome/"]);

    let welcome = app.page("/welcome/", 200).await;
    assert_eq!(text_of(&welcome, "h1"), "Welcome to Quire");
    assert_eq!(text_of(&welcome, "title"), "Welcome to Quire · Quire");
    assert!(text_of(&welcome, ".content").contains("quire create-user"));
}

#[tokio::test]
async fn every_page_has_landmarks_and_a_skip_link() {
    let app = spawn_app().await;
    let doc = app.page("/welcome/", 200).await;
    let skip = &select(&doc, "body > a")[0];
    assert_eq!(skip.value().attr("href"), Some("#main"));
    assert_eq!(select(&doc, "main#main").len(), 1);
    assert_eq!(select(&doc, "body > header").len(), 1);
    assert_eq!(select(&doc, "body > footer").len(), 1);
    assert_eq!(select(&doc, "nav[aria-label=Main]").len(), 1);
    // Public pages need no JavaScript: a post's one small script only enhances (live
    // updates, likes in place), fingerprinted and deferred.
    for script in select(&doc, "script:not([type='application/ld+json'])") {
        let src = script.value().attr("src").unwrap_or_default();
        assert!(src.starts_with("/static/post."), "{src}");
        assert!(script.value().attr("defer").is_some(), "{src}");
    }
    let home = app.page("/", 200).await;
    assert!(select(&home, "script:not([type='application/ld+json'])").is_empty());
}

#[tokio::test]
async fn home_lists_featured_posts_first_then_newest() {
    let app = spawn_app().await;
    app.seed(
        SeedPost::published("old-featured", "Old featured")
            .hours_ago(50)
            .featured(),
    );
    app.seed(SeedPost::published("newest", "Newest").hours_ago(2));
    app.seed(SeedPost::published("middle", "Middle").hours_ago(10));
    let home = app.page("/", 200).await;
    assert_eq!(
        card_links(&home),
        ["/old-featured/", "/welcome/", "/newest/", "/middle/"],
        "the welcome post was published when the site started, so it is the newest"
    );
    assert_eq!(select(&home, ".card--featured").len(), 1);
}

#[tokio::test]
async fn home_pagination_has_bounds() {
    let app = spawn_app().await;
    app.update_settings(|s| s.posts_per_page = 2);
    for n in 1..=4 {
        app.seed(SeedPost::published(&format!("post-{n}"), &format!("Post {n}")).hours_ago(n));
    }
    // Five posts in all (with the welcome post): pages 1, 2 and 3.
    let first = app.page("/", 200).await;
    assert_eq!(card_links(&first), ["/welcome/", "/post-1/"]);
    assert_eq!(attr_of(&first, ".pagination__older", "href"), "/page/2/");
    assert!(select(&first, ".pagination__newer").is_empty());

    let second = app.page("/page/2/", 200).await;
    assert_eq!(card_links(&second), ["/post-2/", "/post-3/"]);
    assert_eq!(
        attr_of(&second, "link[rel=canonical]", "href"),
        app.url("/page/2/")
    );
    assert_eq!(attr_of(&second, ".pagination__newer", "href"), "/");
    assert_eq!(text_of(&second, ".pagination__status"), "Page 2");
    assert_eq!(attr_of(&second, ".pagination__older", "href"), "/page/3/");

    let third = app.page("/page/3/", 200).await;
    assert_eq!(card_links(&third), ["/post-4/"]);
    assert!(select(&third, ".pagination__older").is_empty());

    assert_redirect(&app, "/page/1/", "/").await;
    for path in [
        "/page/4/",
        "/page/0/",
        "/page/-1/",
        "/page/abc/",
        "/page/999999/",
        "/page/01/",
        "/page/99999999999999999999/",
    ] {
        app.page(path, 404).await;
    }
}

#[tokio::test]
async fn a_post_shows_byline_dates_reading_time_tags_and_neighbours() {
    let app = spawn_app().await;
    let ada = app.author("Ada Lovelace");
    let grace = app.author("Grace Hopper");
    let craft = app.tag("craft", "Craft");
    let notes = app.tag("notes", "Notes");
    app.seed(SeedPost::published("older", "Older").hours_ago(30));
    let body = format!(
        "## One\n\n{}\n\n## Two\n\ntext\n\n### Two point one\n\nmore\n\n## Three\n\nend",
        "word ".repeat(500)
    );
    app.seed(
        SeedPost::published("middle", "The middle post")
            .hours_ago(20)
            .markdown(&body)
            .authors(&[&grace, &ada])
            .tags(&[&notes, &craft]),
    );
    app.seed(SeedPost::published("newer", "Newer").hours_ago(10));

    let doc = app.page("/middle/", 200).await;
    assert_eq!(text_of(&doc, "h1"), "The middle post");
    let byline: Vec<_> = select(&doc, ".post__header .byline a")
        .iter()
        .map(|a| {
            (
                a.value().attr("href").unwrap().to_string(),
                a.text().collect::<String>(),
            )
        })
        .collect();
    assert_eq!(
        byline,
        [
            (
                "/author/grace-hopper/".to_string(),
                "Grace Hopper".to_string()
            ),
            (
                "/author/ada-lovelace/".to_string(),
                "Ada Lovelace".to_string()
            ),
        ],
        "authors in order, primary first"
    );
    let datetime = attr_of(&doc, ".post__header time", "datetime");
    assert!(
        chrono::DateTime::parse_from_rfc3339(&datetime).is_ok(),
        "{datetime}"
    );
    assert!(text_of(&doc, ".post__header .meta").contains("3 min read"));
    let tags: Vec<_> = select(&doc, ".post__footer .tags a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(tags, ["/tag/notes/", "/tag/craft/"], "primary tag first");
    assert_eq!(text_of(&doc, ".kicker"), "Notes");

    let toc: Vec<_> = select(&doc, ".toc a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect();
    assert_eq!(toc, ["#one", "#two", "#two-point-one", "#three"]);
    assert_eq!(select(&doc, ".content h2#two").len(), 1);

    assert_eq!(attr_of(&doc, ".post-nav__older", "href"), "/older/");
    assert_eq!(attr_of(&doc, ".post-nav__newer", "href"), "/newer/");
    let oldest = app.page("/older/", 200).await;
    assert!(
        select(&oldest, ".post-nav__older").is_empty()
            || attr_of(&oldest, ".post-nav__older", "href") == "/welcome/"
    );
}

#[tokio::test]
async fn short_posts_have_no_table_of_contents() {
    let app = spawn_app().await;
    app.seed(SeedPost::published("short", "Short").markdown("## Only\n\nOne heading."));
    let doc = app.page("/short/", 200).await;
    assert!(select(&doc, ".toc").is_empty());
}

#[tokio::test]
async fn a_page_has_no_byline_or_neighbours() {
    let app = spawn_app().await;
    let ada = app.author("Ada Lovelace");
    app.seed(SeedPost::page("about", "About us").authors(&[&ada]));
    let doc = app.page("/about/", 200).await;
    assert_eq!(text_of(&doc, "h1"), "About us");
    assert!(select(&doc, ".byline, .post-nav, time").is_empty());
    let home = app.page("/", 200).await;
    assert!(
        !card_links(&home).contains(&"/about/".to_string()),
        "pages are not listed"
    );
}

#[tokio::test]
async fn tag_pages_list_their_posts_and_paginate() {
    let app = spawn_app().await;
    app.update_settings(|s| s.posts_per_page = 2);
    let craft = app.tag("craft", "Craft");
    let empty = app.tag("empty", "Empty");
    for n in 1..=3 {
        app.seed(
            SeedPost::published(&format!("tagged-{n}"), &format!("Tagged {n}"))
                .hours_ago(n)
                .tags(&[&craft]),
        );
    }
    app.seed(SeedPost::published("untagged", "Untagged"));
    app.seed(
        SeedPost::published("tagged-draft", "Draft")
            .draft()
            .tags(&[&empty]),
    );

    let doc = app.page("/tag/craft/", 200).await;
    assert_eq!(text_of(&doc, "h1"), "Craft");
    assert_eq!(text_of(&doc, "title"), "Craft · Quire");
    assert_eq!(card_links(&doc), ["/tagged-1/", "/tagged-2/"]);
    assert_eq!(
        attr_of(&doc, ".pagination__older", "href"),
        "/tag/craft/page/2/"
    );
    let second = app.page("/tag/craft/page/2/", 200).await;
    assert_eq!(card_links(&second), ["/tagged-3/"]);
    assert_redirect(&app, "/tag/craft/page/1/", "/tag/craft/").await;
    app.page("/tag/craft/page/3/", 404).await;
    app.page("/tag/craft/page/zero/", 404).await;

    // No soft 404s: a tag with nothing published has no page.
    app.page("/tag/empty/", 404).await;
    app.page("/tag/no-such-tag/", 404).await;
    let _ = empty;
}

#[tokio::test]
async fn author_pages_list_their_posts() {
    let app = spawn_app().await;
    let ada = app.author("Ada Lovelace");
    let idle = app.author("Idle Writer");
    app.seed(SeedPost::published("by-ada", "By Ada").authors(&[&ada]));
    app.seed(
        SeedPost::published("by-both", "By both")
            .hours_ago(5)
            .authors(&[&idle, &ada]),
    );
    app.seed(
        SeedPost::published("ada-draft", "Ada's draft")
            .draft()
            .authors(&[&ada]),
    );

    let doc = app.page("/author/ada-lovelace/", 200).await;
    assert_eq!(text_of(&doc, "h1"), "Ada Lovelace");
    assert_eq!(text_of(&doc, ".intro__text"), "Ada Lovelace writes here.");
    assert_eq!(card_links(&doc), ["/by-ada/", "/by-both/"]);
    app.page("/author/idle-writer/", 200).await;
    app.page("/author/nobody/", 404).await;
    let _ = idle;
}

#[tokio::test]
async fn drafts_are_invisible_everywhere() {
    let app = spawn_app().await;
    let ada = app.author("Ada Lovelace");
    let tag = app.tag("secret", "Secret");
    app.seed(
        SeedPost::published("secret-plan", "Secret plan")
            .draft()
            .authors(&[&ada])
            .tags(&[&tag]),
    );
    app.page("/secret-plan/", 404).await;
    let home = app.page("/", 200).await;
    assert!(!card_links(&home).contains(&"/secret-plan/".to_string()));
    app.page("/tag/secret/", 404).await;
    app.page("/author/ada-lovelace/", 404).await;
}

#[tokio::test]
async fn scheduled_posts_appear_at_their_time_without_a_restart() {
    let app = spawn_app().await;
    let at = now() + Duration::milliseconds(1500);
    app.seed(SeedPost::published("soon", "Soon").scheduled_at(at));
    app.page("/soon/", 404).await;
    assert!(!card_links(&app.page("/", 200).await).contains(&"/soon/".to_string()));

    tokio::time::sleep(std::time::Duration::from_millis(1800)).await;
    app.page("/soon/", 200).await;
    assert_eq!(card_links(&app.page("/", 200).await)[0], "/soon/");
}

#[tokio::test]
async fn deleted_content_answers_410_with_a_page() {
    let app = spawn_app().await;
    let post = app.seed(SeedPost::published("gone", "Gone"));
    app.trash(post.id);
    let doc = app.page("/gone/", 410).await;
    assert_eq!(text_of(&doc, "h1"), "Page removed");
    assert!(!card_links(&app.page("/", 200).await).contains(&"/gone/".to_string()));
}

#[tokio::test]
async fn navigation_comes_from_settings() {
    let app = spawn_app().await;
    app.seed(SeedPost::page("about", "About"));
    app.update_settings(|s| {
        s.title = "The Daily Quire".into();
        s.language = "fr".into();
        s.navigation = vec![
            quire::domain::settings::NavItem {
                label: "Accueil".into(),
                url: "/".into(),
            },
            quire::domain::settings::NavItem {
                label: "À propos".into(),
                url: "/about/".into(),
            },
        ];
    });
    let doc = app.page("/about/", 200).await;
    assert_eq!(attr_of(&doc, "html", "lang"), "fr");
    assert_eq!(text_of(&doc, ".site-title"), "The Daily Quire");
    let nav: Vec<_> = select(&doc, ".site-nav a")
        .iter()
        .map(|a| a.text().collect::<String>())
        .collect();
    assert_eq!(nav, ["Accueil", "À propos"]);
    assert_eq!(
        attr_of(&doc, ".site-nav a[aria-current]", "href"),
        "/about/"
    );
}

#[tokio::test]
async fn dates_are_shown_in_the_site_timezone() {
    let app = spawn_app().await;
    app.update_settings(|s| s.timezone = chrono_tz::Tz::Pacific__Auckland);
    let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 31)
        .unwrap()
        .and_hms_opt(20, 0, 0)
        .unwrap();
    app.seed(SeedPost::published("late", "Late").at(at));
    let doc = app.page("/late/", 200).await;
    // 20:00 UTC on 31 January is 09:00 on 1 February in Auckland (UTC+13 in summer).
    assert_eq!(
        attr_of(&doc, ".post__header time", "datetime"),
        "2026-02-01T09:00:00+13:00"
    );
    assert_eq!(text_of(&doc, ".post__header time"), "1 February 2026");
}

#[tokio::test]
async fn the_demo_fills_every_page_type() {
    let app = spawn_app().await;
    let added = app
        .db
        .run_blocking(|conn| quire::content::fill_demo(conn, now()))
        .unwrap();
    assert!(added);
    let home = app.page("/", 200).await;
    assert_eq!(text_of(&home, "h1"), "The Margin");
    let first = card_links(&home);
    assert_eq!(select(&home, ".card--featured").len(), 2);
    for path in first.iter().map(String::as_str).chain([
        "/page/2/",
        "/about/",
        "/colophon/",
        "/tag/guides/",
        "/author/maya-okafor/",
        "/the-anatomy-of-a-fast-web-page/",
    ]) {
        app.page(path, 200).await;
    }
    app.page("/coming-soon-our-reader-survey/", 404).await;
    app.page("/notes-for-the-next-issue/", 404).await;
    let long = app.page("/the-anatomy-of-a-fast-web-page/", 200).await;
    assert!(!select(&long, "pre.hl").is_empty());
    assert!(!select(&long, ".toc").is_empty());
    // A second run leaves a site with content alone.
    let again = app
        .db
        .run_blocking(|conn| quire::content::fill_demo(conn, now()))
        .unwrap();
    assert!(!again);
}

#[tokio::test]
async fn featured_posts_come_first_across_pages() {
    let app = spawn_app().await;
    app.update_settings(|s| s.posts_per_page = 2);
    for n in 1..=3 {
        app.seed(
            SeedPost::published(&format!("f{n}"), &format!("F{n}"))
                .hours_ago(n * 10)
                .featured(),
        );
        app.seed(SeedPost::published(&format!("r{n}"), &format!("R{n}")).hours_ago(n));
    }
    // Seven posts with the welcome post: featured f1 f2 f3, then welcome r1 r2 r3.
    assert_eq!(card_links(&app.page("/", 200).await), ["/f1/", "/f2/"]);
    assert_eq!(
        card_links(&app.page("/page/2/", 200).await),
        ["/f3/", "/welcome/"]
    );
    assert_eq!(
        card_links(&app.page("/page/3/", 200).await),
        ["/r1/", "/r2/"]
    );
    assert_eq!(card_links(&app.page("/page/4/", 200).await), ["/r3/"]);
    app.page("/page/5/", 404).await;
}

#[tokio::test]
async fn neighbours_at_the_same_moment_follow_creation_order() {
    let app = spawn_app().await;
    let at = now() - Duration::hours(5);
    for slug in ["tie-a", "tie-b", "tie-c"] {
        app.seed(SeedPost::published(slug, slug).at(at));
    }
    let middle = app.page("/tie-b/", 200).await;
    assert_eq!(attr_of(&middle, ".post-nav__older", "href"), "/tie-a/");
    assert_eq!(attr_of(&middle, ".post-nav__newer", "href"), "/tie-c/");
    let first = app.page("/tie-a/", 200).await;
    assert_eq!(attr_of(&first, ".post-nav__newer", "href"), "/tie-b/");
    assert!(select(&first, ".post-nav__older").is_empty());
}

#[tokio::test]
async fn tag_and_author_pages_follow_a_post_being_redated() {
    use diesel::prelude::*;
    use quire::db::schema::posts;
    let app = spawn_app().await;
    let ada = app.author("Ada Lovelace");
    let craft = app.tag("craft", "Craft");
    let first = app.seed(
        SeedPost::published("first", "First")
            .hours_ago(30)
            .authors(&[&ada])
            .tags(&[&craft]),
    );
    app.seed(
        SeedPost::published("second", "Second")
            .hours_ago(20)
            .authors(&[&ada])
            .tags(&[&craft]),
    );
    let listings = ["/tag/craft/", "/author/ada-lovelace/"];
    for path in listings {
        assert_eq!(
            card_links(&app.page(path, 200).await),
            ["/second/", "/first/"]
        );
    }

    // Re-dated by any write, not only the editor's (one that records what it touched, as
    // every write must): the listings follow, their order kept by the database's triggers.
    let redate = |at: Option<chrono::NaiveDateTime>| {
        app.db
            .run_blocking(move |conn| {
                let actor = quire::domain::write::Actor::command_line();
                quire::domain::write::transaction(conn, &actor, now(), |tx| {
                    diesel::update(posts::table.find(first.id))
                        .set(posts::published_at.eq(at))
                        .execute(tx.conn)?;
                    tx.touch(quire::domain::changes::Touched::Listings);
                    Ok(())
                })
            })
            .unwrap();
    };
    redate(Some(now() - Duration::hours(1)));
    for path in listings {
        assert_eq!(
            card_links(&app.page(path, 200).await),
            ["/first/", "/second/"]
        );
    }
    // Moved into the future, it waits like any scheduled post.
    redate(Some(now() + Duration::hours(1)));
    for path in listings {
        assert_eq!(card_links(&app.page(path, 200).await), ["/second/"]);
    }
}
