//! The lists of posts and pages: counts per status, sortable columns, the page count, and
//! bulk actions with a confirmation page, refused post by post where the rules say so.

use quire::domain::users::Role;
use reqwest::StatusCode;
use scraper::Html;

use crate::helpers::{
    SeedPost, TestApp, attr_of, location, parse_html, select, spawn_app, text_of,
};

async fn html(client: &reqwest::Client, app: &TestApp, path: &str) -> Html {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    parse_html(&response.text().await.unwrap())
}

/// The checkbox value ("ID:VERSION") the list shows for the post titled `title`.
fn item_of(list: &Html, title: &str) -> String {
    select(list, ".list-table tbody tr")
        .into_iter()
        .find(|row| row.text().collect::<String>().contains(title))
        .and_then(|row| {
            row.select(&scraper::Selector::parse("input[name=post]").unwrap())
                .next()
                .and_then(|input| input.value().attr("value").map(str::to_string))
        })
        .unwrap_or_else(|| panic!("no row for {title}"))
}

/// Posts the bulk form of the list at `list` with these fields (its CSRF token added).
async fn bulk(
    app: &TestApp,
    client: &reqwest::Client,
    action: &str,
    fields: &[(&str, &str)],
) -> reqwest::Response {
    let token = app.csrf_token(client, "/admin/posts").await;
    let mut form: Vec<(&str, &str)> = fields.to_vec();
    form.push(("csrf_token", &token));
    client
        .post(app.url(action))
        .form(&form)
        .send()
        .await
        .unwrap()
}

fn rows(doc: &Html) -> Vec<(String, String)> {
    select(doc, "tbody tr")
        .iter()
        .map(|row| {
            let cells: Vec<String> = row
                .select(&scraper::Selector::parse("td").unwrap())
                .map(|td| td.text().collect::<String>().trim().to_string())
                .collect();
            (cells[0].clone(), cells[1].clone())
        })
        .collect()
}

#[tokio::test]
async fn the_list_counts_sorts_and_links_to_live_posts() {
    let app = spawn_app().await;
    for i in 0..32 {
        app.seed(
            SeedPost::published(&format!("post-{i:02}"), &format!("Post {i:02}")).hours_ago(i),
        );
    }
    app.seed(SeedPost::published("a-draft", "A draft").draft());
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;

    let list = html(&editor, &app, "/admin/posts").await;
    let shelves: Vec<String> = select(&list, ".shelves a")
        .iter()
        .map(|a| a.text().collect::<String>())
        .collect();
    // The welcome post is the 34th.
    assert_eq!(
        shelves,
        vec![
            "All (34)",
            "Drafts (1)",
            "Scheduled (0)",
            "Published (33)",
            "Trash (0)"
        ]
    );
    assert_eq!(text_of(&list, ".pagination span"), "Page 1 of 2");
    assert_eq!(select(&list, ".list-table tbody tr").len(), 30);
    // Live posts link to their page; the draft does not.
    let views = select(&list, ".list-table__view");
    assert_eq!(views.len(), 29, "every row but the draft's");
    assert!(
        views
            .iter()
            .all(|a| a.value().attr("href").unwrap().starts_with("/post-")
                || a.value().attr("href") == Some("/welcome/"))
    );
    let drafts = html(&editor, &app, "/admin/posts?status=drafts").await;
    assert!(select(&drafts, ".list-table__view").is_empty());
    assert_eq!(text_of(&drafts, ".bulk-bar__total"), "1 post");

    // Sorting by title from the column header, ascending, and marked.
    let by_title = attr_of(&list, "th a[href*='sort=title']", "href");
    let sorted = html(&editor, &app, &by_title).await;
    assert_eq!(attr_of(&sorted, "th[aria-sort]", "aria-sort"), "ascending");
    let titles: Vec<String> = select(&sorted, ".list-table__title > a:first-child")
        .iter()
        .map(|a| a.text().collect::<String>())
        .collect();
    let mut expected = titles.clone();
    expected.sort();
    assert_eq!(titles, expected);
    assert_eq!(titles[0], "A draft");
    // The next page keeps the order.
    let next = attr_of(&sorted, ".pagination a[rel=next]", "href");
    assert!(
        next.contains("sort=title") && next.contains("page=2"),
        "{next}"
    );
}

#[tokio::test]
async fn bulk_actions_confirm_then_apply_post_by_post() {
    let app = spawn_app().await;
    app.seed(SeedPost::published("one", "Draft one").draft());
    app.seed(SeedPost::published("two", "Draft two").draft());
    app.seed(SeedPost::published("live", "Live one"));
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let list = html(&editor, &app, "/admin/posts?status=drafts").await;
    let (one, two) = (item_of(&list, "Draft one"), item_of(&list, "Draft two"));
    let all = html(&editor, &app, "/admin/posts").await;
    let live = item_of(&all, "Live one");

    // The confirmation page says what will happen to each, and changes nothing.
    let back = "/admin/posts?status=drafts";
    let confirm = bulk(
        &app,
        &editor,
        "/admin/posts/bulk",
        &[
            ("action", "publish"),
            ("post", &one),
            ("post", &two),
            ("post", &live),
            ("back", back),
        ],
    )
    .await;
    assert_eq!(confirm.status(), StatusCode::OK);
    let doc = parse_html(&confirm.text().await.unwrap());
    assert_eq!(text_of(&doc, "h1"), "Publish 3 posts?");
    assert_eq!(
        rows(&doc),
        vec![
            ("Draft one".to_string(), "Goes live now".to_string()),
            ("Draft two".to_string(), "Goes live now".to_string()),
            (
                "Live one".to_string(),
                "Not changed: It is published or scheduled already.".to_string()
            ),
        ]
    );
    assert_eq!(app.get("/one/").await.status(), StatusCode::NOT_FOUND);
    // Only the two that can go ahead are sent with the confirmation.
    let sent: Vec<String> = select(&doc, "form input[name=post]")
        .iter()
        .map(|i| i.value().attr("value").unwrap().to_string())
        .collect();
    assert_eq!(sent, vec![one.clone(), two.clone()]);
    assert_eq!(text_of(&doc, "form.buttons button"), "Publish 2 posts");

    let applied = bulk(
        &app,
        &editor,
        "/admin/posts/bulk",
        &[
            ("action", "publish"),
            ("confirm", "yes"),
            ("post", &one),
            ("post", &two),
            ("back", back),
        ],
    )
    .await;
    assert_eq!(applied.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&applied), back);
    assert_eq!(app.get("/one/").await.status(), StatusCode::OK);
    assert_eq!(app.get("/two/").await.status(), StatusCode::OK);
    let after = html(&editor, &app, back).await;
    assert_eq!(text_of(&after, ".notice"), "Published: 2 posts.");

    // Sent again with the versions the list showed: both changed since, a conflict each.
    let stale = bulk(
        &app,
        &editor,
        "/admin/posts/bulk",
        &[
            ("action", "unpublish"),
            ("confirm", "yes"),
            ("post", &one),
            ("post", &two),
        ],
    )
    .await;
    assert_eq!(stale.status(), StatusCode::OK);
    let doc = parse_html(&stale.text().await.unwrap());
    assert_eq!(text_of(&doc, "h1"), "Back to drafts: 0 of 2 posts");
    for (_, what) in rows(&doc) {
        assert!(what.contains("changed by someone else"), "{what}");
    }
    assert_eq!(app.get("/one/").await.status(), StatusCode::OK);

    // A tag for two, then the trash and back.
    let all = html(&editor, &app, "/admin/posts").await;
    let (one, two) = (item_of(&all, "Draft one"), item_of(&all, "Draft two"));
    let tagged = bulk(
        &app,
        &editor,
        "/admin/posts/bulk",
        &[
            ("action", "tag"),
            ("tag", "Field notes"),
            ("confirm", "yes"),
            ("post", &one),
            ("post", &two),
        ],
    )
    .await;
    assert_eq!(tagged.status(), StatusCode::SEE_OTHER);
    let tag_page = app.page("/tag/field-notes/", 200).await;
    assert_eq!(select(&tag_page, ".card").len(), 2);
    // The same tag under another spelling of its name is the tag they have.
    let all = html(&editor, &app, "/admin/posts").await;
    let again = bulk(
        &app,
        &editor,
        "/admin/posts/bulk",
        &[
            ("action", "tag"),
            ("tag", "FIELD-NOTES"),
            ("post", &item_of(&all, "Draft two")),
        ],
    )
    .await;
    let doc = Html::parse_document(&again.text().await.unwrap());
    let (_, what) = rows(&doc).into_iter().next().unwrap();
    assert!(what.contains("has this tag already"), "{what}");

    let all = html(&editor, &app, "/admin/posts").await;
    let one = item_of(&all, "Draft one");
    let trashed = bulk(
        &app,
        &editor,
        "/admin/posts/bulk",
        &[("action", "trash"), ("confirm", "yes"), ("post", &one)],
    )
    .await;
    assert_eq!(trashed.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get("/one/").await.status(), StatusCode::GONE);
    let trash = html(&editor, &app, "/admin/posts?status=trash").await;
    let options: Vec<String> = select(&trash, "#f-bulk-action option")
        .iter()
        .map(|o| o.value().attr("value").unwrap().to_string())
        .collect();
    assert_eq!(options, vec!["restore"]);
    let one = item_of(&trash, "Draft one");
    let restored = bulk(
        &app,
        &editor,
        "/admin/posts/bulk",
        &[("action", "restore"), ("confirm", "yes"), ("post", &one)],
    )
    .await;
    assert_eq!(restored.status(), StatusCode::SEE_OTHER);
    assert_eq!(app.get("/one/").await.status(), StatusCode::OK);
}

#[tokio::test]
async fn bulk_actions_refuse_what_the_rules_refuse_and_change_nothing_else() {
    let app = spawn_app().await;
    let author = app.signed_in_as("author@example.com", Role::Author).await;
    let me = app.user("author@example.com");
    let mine = app.seed(SeedPost::published("mine", "Mine").draft().authors(&[&me]));
    let theirs = app.seed(SeedPost::published("theirs", "Theirs").draft());
    let page = app.seed(SeedPost::page("about", "About").draft());
    let versions = |id: i64| format!("{id}:1");
    let (mine_item, theirs_item, page_item) =
        (versions(mine.id), versions(theirs.id), versions(page.id));
    let list = html(&author, &app, "/admin/posts?status=drafts").await;
    assert_eq!(
        item_of(&list, "Mine"),
        mine_item,
        "a new post is at version 1"
    );

    let response = bulk(
        &app,
        &author,
        "/admin/posts/bulk",
        &[
            ("action", "publish"),
            ("confirm", "yes"),
            ("post", &mine_item),
            ("post", &theirs_item),
            ("post", &page_item),
            ("post", "999999:1"),
        ],
    )
    .await;
    assert_eq!(response.status(), StatusCode::OK);
    let doc = parse_html(&response.text().await.unwrap());
    assert_eq!(text_of(&doc, "h1"), "Published: 1 of 4 posts");
    let outcomes = rows(&doc);
    assert_eq!(
        outcomes[0],
        ("Mine".to_string(), "Goes live now".to_string())
    );
    assert!(
        outcomes[1]
            .1
            .starts_with("Not changed: Your role does not allow"),
        "{:?}",
        outcomes[1]
    );
    assert_eq!(outcomes[2].1, "Not changed: It is a page, not a post.");
    assert_eq!(outcomes[3].1, "Not changed: It no longer exists.");
    assert_eq!(app.get("/mine/").await.status(), StatusCode::OK);
    assert_eq!(app.get("/theirs/").await.status(), StatusCode::NOT_FOUND);
    assert_eq!(app.get("/about/").await.status(), StatusCode::NOT_FOUND);

    // No selection, an unknown action, an empty tag: back to the list, saying why.
    for (fields, said) in [
        (
            vec![("action", "publish")],
            "Select the posts to change first.",
        ),
        (
            vec![("action", "explode"), ("post", mine_item.as_str())],
            "Choose what to do with the selected posts.",
        ),
        (
            vec![
                ("action", "tag"),
                ("tag", " "),
                ("post", mine_item.as_str()),
            ],
            "Type the name of the tag to add.",
        ),
    ] {
        let response = bulk(&app, &author, "/admin/posts/bulk", &fields).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER);
        assert_eq!(location(&response), "/admin/posts");
        let list = html(&author, &app, "/admin/posts").await;
        assert_eq!(text_of(&list, ".notice"), said);
    }
    // A selection that is not one, or a way back elsewhere: refused, or kept in the list.
    let garbled = bulk(
        &app,
        &author,
        "/admin/posts/bulk",
        &[("action", "trash"), ("post", "mine")],
    )
    .await;
    assert_eq!(garbled.status(), StatusCode::BAD_REQUEST);
    let elsewhere = bulk(
        &app,
        &author,
        "/admin/posts/bulk",
        &[("action", "publish"), ("back", "https://evil.example/")],
    )
    .await;
    assert_eq!(location(&elsewhere), "/admin/posts");
    // Members have no lists to act from.
    let member = app.signed_in_as("member@example.com", Role::Member).await;
    let token = app.csrf_token(&member, "/account/").await;
    let refused = member
        .post(app.url("/admin/posts/bulk"))
        .form(&[
            ("csrf_token", token.as_str()),
            ("action", "trash"),
            ("post", &mine_item),
        ])
        .send()
        .await
        .unwrap();
    assert!(
        matches!(
            refused.status(),
            StatusCode::FORBIDDEN | StatusCode::SEE_OTHER
        ),
        "{}",
        refused.status()
    );
    assert_eq!(app.get("/mine/").await.status(), StatusCode::OK);
}
