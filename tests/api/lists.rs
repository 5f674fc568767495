//! The admin's lists beyond posts: tags, members, redirects, media and the audit log find,
//! sort by their column headers (marked with `aria-sort`), count what they hold, and say
//! how many pages there are. Odd query strings fall back to the defaults or are refused
//! plainly, never a 500.

use quire::domain::users::Role;
use reqwest::StatusCode;

use crate::helpers::{SeedPost, TestApp, attr_of, parse_html, select, spawn_app, text_of};

async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> scraper::Html {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    parse_html(&response.text().await.unwrap())
}

/// The first cell's text of each row.
fn first_cells(doc: &scraper::Html) -> Vec<String> {
    select(doc, "table tbody tr td:first-child")
        .iter()
        .map(|cell| cell.text().collect::<String>().trim().to_string())
        .collect()
}

#[tokio::test]
async fn tags_are_found_by_name_and_sorted_by_name_or_use() {
    let app = spawn_app().await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    let (apple, banana, cherry) = (
        app.tag("apple", "Apple"),
        app.tag("banana", "Banana"),
        app.tag("cherry", "Cherry pie"),
    );
    app.seed(SeedPost::published("one", "One").tags(&[&cherry, &banana]));
    app.seed(SeedPost::published("two", "Two").tags(&[&cherry]));
    let _ = apple;

    let doc = page(&app, &owner, "/admin/tags").await;
    assert_eq!(first_cells(&doc), ["Apple", "Banana", "Cherry pie"]);
    assert!(text_of(&doc, ".filter-bar__total").starts_with("3 tags"));
    assert_eq!(attr_of(&doc, "th[aria-sort]", "aria-sort"), "ascending");
    // The Posts header sorts by use, most first.
    let by_use = select(&doc, "th a")
        .into_iter()
        .find(|a| a.text().collect::<String>() == "Posts")
        .and_then(|a| a.value().attr("href").map(str::to_string))
        .unwrap();
    assert_eq!(by_use, "/admin/tags?sort=posts");
    let doc = page(&app, &owner, &by_use).await;
    assert_eq!(first_cells(&doc), ["Cherry pie", "Banana", "Apple"]);
    assert_eq!(attr_of(&doc, "th[aria-sort]", "aria-sort"), "descending");

    // Found by name, the sort kept.
    let doc = page(&app, &owner, "/admin/tags?q=PIE&sort=posts").await;
    assert_eq!(first_cells(&doc), ["Cherry pie"]);
    assert_eq!(
        attr_of(&doc, "form.filter-bar input[name=sort]", "value"),
        "posts"
    );
    assert!(text_of(&doc, ".filter-bar__total").starts_with("1 tag"));
    // Wildcards are letters, an unknown sort is the default, a page that is no number is
    // no page.
    assert!(first_cells(&page(&app, &owner, "/admin/tags?q=%25").await).is_empty());
    let doc = page(&app, &owner, "/admin/tags?sort=nonsense").await;
    assert_eq!(first_cells(&doc), ["Apple", "Banana", "Cherry pie"]);
    let response = owner
        .get(app.url("/admin/tags?page=zero"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn members_are_counted_by_status_sorted_and_paged() {
    let app = spawn_app().await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    for n in 0..52 {
        app.user_with_password(
            &format!("reader{n:02}@example.com"),
            Role::Member,
            crate::helpers::PASSWORD,
        );
    }
    app.user_with_password("aaron@example.com", Role::Member, crate::helpers::PASSWORD);

    let doc = page(&app, &owner, "/admin/members").await;
    let shelves: Vec<String> = select(&doc, ".shelves a")
        .iter()
        .map(|a| {
            a.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(shelves[0], "All (53)");
    assert!(
        shelves
            .iter()
            .any(|s| s.ends_with("(53)") && s != "All (53)"),
        "{shelves:?}"
    );
    assert!(text_of(&doc, ".pagination").contains("Page 1 of 2"));
    // Newest first by default: the last one made leads.
    assert_eq!(first_cells(&doc)[0], "aaron");
    assert_eq!(attr_of(&doc, "th[aria-sort]", "aria-sort"), "descending");

    let doc = page(&app, &owner, "/admin/members?sort=name").await;
    assert_eq!(first_cells(&doc)[..2], ["aaron", "reader00"]);
    assert_eq!(
        attr_of(&doc, "th[aria-sort] a", "href"),
        "/admin/members?sort=name"
    );
    let older = attr_of(&doc, ".pagination a[rel=next]", "href");
    assert!(
        older.contains("sort=name") && older.contains("page=2"),
        "{older}"
    );
    let doc = page(&app, &owner, &older).await;
    assert_eq!(first_cells(&doc), ["reader49", "reader50", "reader51"]);

    // A status shelf; an unknown status is refused in words.
    let doc = page(&app, &owner, "/admin/members?status=suspended").await;
    assert!(first_cells(&doc).is_empty());
    let current = text_of(&doc, ".shelves a[aria-current]").to_lowercase();
    assert!(current.contains("suspended"), "{current}");
    let response = owner
        .get(app.url("/admin/members?status=royal"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn redirects_media_and_the_audit_log_say_how_many_they_hold() {
    let app = spawn_app().await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    app.redirect("/b-old/", "/a-new/", 301);
    app.redirect("/a-old/", "/z-new/", 302);
    app.redirect("/c-gone/", "/b-new/", 301);

    let doc = page(&app, &owner, "/admin/redirects").await;
    assert_eq!(first_cells(&doc), ["/a-old/", "/b-old/", "/c-gone/"]);
    assert!(text_of(&doc, ".filter-bar__total").starts_with("3 redirects"));
    let doc = page(&app, &owner, "/admin/redirects?sort=to").await;
    assert_eq!(first_cells(&doc), ["/b-old/", "/c-gone/", "/a-old/"]);
    let doc = page(&app, &owner, "/admin/redirects?q=old&sort=to").await;
    assert_eq!(first_cells(&doc), ["/b-old/", "/a-old/"]);

    let doc = page(&app, &owner, "/admin/media").await;
    assert!(text_of(&doc, ".filter-bar__total").starts_with("0 images"));

    // Saving a tag writes the log; the log counts what its filters match.
    let token = app.csrf_token(&owner, "/admin/tags").await;
    let response = owner
        .post(app.url("/admin/tags"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("name", "Logged"),
            ("slug", ""),
        ])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let doc = page(&app, &owner, "/admin/audit?object=tag").await;
    assert!(
        text_of(&doc, ".filter-bar__total").starts_with("1 entry"),
        "{}",
        text_of(&doc, ".filter-bar__total")
    );
}

#[tokio::test]
async fn staff_are_counted_by_role_and_sorted_by_role_or_name() {
    let app = spawn_app().await;
    let owner = app.signed_in_as("zoe@example.com", Role::Owner).await;
    app.user_with_password("adam@example.com", Role::Author, crate::helpers::PASSWORD);
    app.user_with_password("bea@example.com", Role::Author, crate::helpers::PASSWORD);
    app.user_with_password("cy@example.com", Role::Editor, crate::helpers::PASSWORD);

    let doc = page(&app, &owner, "/admin/staff").await;
    assert_eq!(
        first_cells(&doc),
        ["zoe", "cy", "adam", "bea"],
        "by role, then name"
    );
    let shelves: Vec<String> = select(&doc, ".shelves a")
        .iter()
        .map(|a| {
            a.text()
                .collect::<String>()
                .split_whitespace()
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect();
    assert_eq!(
        shelves.len(),
        4,
        "everyone and the three roles in use: {shelves:?}"
    );
    assert_eq!(shelves[0], "Everyone (4)");

    let doc = page(&app, &owner, "/admin/staff?sort=name").await;
    assert_eq!(first_cells(&doc), ["adam", "bea", "cy", "zoe"]);
    let doc = page(&app, &owner, "/admin/staff?role=author&sort=name").await;
    assert_eq!(first_cells(&doc), ["adam", "bea"]);
    for bad in ["member", "emperor"] {
        let response = owner
            .get(app.url(&format!("/admin/staff?role={bad}")))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{bad}");
    }
}

#[tokio::test]
async fn select_all_ticks_every_row_of_the_page_without_a_script() {
    let app = spawn_app().await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    app.seed(SeedPost::published("one", "One"));
    app.seed(SeedPost::published("two", "Two"));

    let doc = page(&app, &owner, "/admin/posts?q=o").await;
    assert!(select(&doc, "input[name=post][checked]").is_empty());
    let link = attr_of(&doc, ".bulk-bar__select", "href");
    assert!(
        link.contains("select=all") && link.contains("q=o"),
        "{link}"
    );
    let doc = page(&app, &owner, &link).await;
    let rows = select(&doc, "input[name=post]").len();
    assert!(rows >= 2);
    assert_eq!(select(&doc, "input[name=post][checked]").len(), rows);
    assert_eq!(text_of(&doc, ".bulk-bar__select"), "Select none");
    assert!(!attr_of(&doc, ".bulk-bar__select", "href").contains("select="));
}

#[tokio::test]
async fn the_media_library_sorts_by_date_name_or_size() {
    use image::ImageFormat;
    let app = spawn_app().await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    for (name, size) in [
        ("b-small.png", 40),
        ("a-large.png", 900),
        ("c-mid.png", 300),
    ] {
        let picture = crate::media::picture(size, size, ImageFormat::Png);
        let response = crate::media::upload(&app, &owner, name, picture, "").await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{name}");
    }
    let names = |doc: &scraper::Html| -> Vec<String> {
        select(doc, ".media-grid li a span")
            .iter()
            .map(|s| s.text().collect::<String>())
            .collect()
    };
    let doc = page(&app, &owner, "/admin/media").await;
    assert_eq!(names(&doc), ["c-mid.png", "a-large.png", "b-small.png"]);
    assert_eq!(
        attr_of(&doc, "#media-sort option[selected]", "value"),
        "newest"
    );
    let doc = page(&app, &owner, "/admin/media?sort=oldest").await;
    assert_eq!(names(&doc), ["b-small.png", "a-large.png", "c-mid.png"]);
    let doc = page(&app, &owner, "/admin/media?sort=name&q=png").await;
    assert_eq!(names(&doc), ["a-large.png", "b-small.png", "c-mid.png"]);
    assert_eq!(
        attr_of(&doc, "#media-sort option[selected]", "value"),
        "name"
    );
    let doc = page(&app, &owner, "/admin/media?sort=size").await;
    assert_eq!(names(&doc), ["a-large.png", "c-mid.png", "b-small.png"]);
    let doc = page(&app, &owner, "/admin/media?sort=%00").await;
    assert_eq!(names(&doc).len(), 3, "an unknown order is the default");
}
