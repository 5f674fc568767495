//! The admin API: integrations' keys, scopes, and posts and pages written through the same
//! use cases as the editor's.

use quire::domain::integrations::{self, Keys, Scope};
use quire::domain::users::Role;
use quire::domain::write::Actor;
use serde_json::{Value, json};

use crate::helpers::*;

fn integration(app: &TestApp, name: &str, scopes: &[Scope]) -> (i64, Keys) {
    let (made, keys) = app
        .db
        .run_blocking(|conn| {
            integrations::create(conn, &Actor::command_line(), (name, scopes), now())
        })
        .expect("an integration");
    (made.id, keys)
}

/// Sends `body` (if any) to `path` with `key`; returns the status and the parsed JSON body
/// (`Null` when there is none).
async fn call(
    app: &TestApp,
    method: reqwest::Method,
    path: &str,
    key: Option<&str>,
    body: Option<Value>,
) -> (u16, Value) {
    let mut request = reqwest::Client::new().request(method, app.url(path));
    if let Some(key) = key {
        request = request.bearer_auth(key);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.expect("request");
    let status = response.status().as_u16();
    let text = response.text().await.unwrap();
    let body = if text.is_empty() {
        Value::Null
    } else {
        serde_json::from_str(&text).expect("JSON")
    };
    (status, body)
}

fn codes(body: &Value) -> Vec<(String, String)> {
    body["errors"]
        .as_array()
        .unwrap_or_else(|| panic!("errors in {body}"))
        .iter()
        .map(|e| {
            (
                e["code"].as_str().unwrap().to_string(),
                e["field"].as_str().unwrap_or_default().to_string(),
            )
        })
        .collect()
}

#[tokio::test]
async fn only_a_live_admin_key_with_the_scope_gets_in() {
    let app = spawn_app().await;
    let (_, writer) = integration(&app, "Newsroom", &[Scope::PostsWrite]);
    let (_, reader) = integration(&app, "Reader", &[Scope::ContentRead]);
    let (revoked_id, revoked) = integration(&app, "Old script", &[Scope::PostsWrite]);
    app.db
        .run_blocking(|conn| integrations::revoke(conn, &Actor::command_line(), revoked_id, now()))
        .unwrap();

    let (status, body) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/admin/posts/",
        Some(&writer.admin_key),
        None,
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert!(body["posts"].is_array());

    let unknown = format!("quire_{}", "ab".repeat(24));
    let unauthorized = [
        None,
        Some("not-a-key"),
        Some(unknown.as_str()),
        Some(revoked.admin_key.as_str()),
        Some(writer.content_key.as_str()),
    ];
    let mut answers = Vec::new();
    for key in unauthorized {
        let (status, body) = call(
            &app,
            reqwest::Method::GET,
            "/api/v1/admin/posts/",
            key,
            None,
        )
        .await;
        assert_eq!(status, 401, "{key:?}");
        answers.push(body);
    }
    assert!(
        answers.windows(2).all(|w| w[0] == w[1]),
        "one answer for every bad key: {answers:?}"
    );
    let response = reqwest::get(app.url("/api/v1/admin/posts/")).await.unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        "Bearer realm=\"quire\""
    );

    let (status, body) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/admin/posts/",
        Some(&reader.admin_key),
        None,
    )
    .await;
    assert_eq!(status, 403);
    assert!(
        body["errors"][0]["message"]
            .as_str()
            .unwrap()
            .contains("posts:write")
    );

    // A signed-in owner's cookie is no key.
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    let response = owner
        .get(app.url("/api/v1/admin/posts/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 401);
    // Nor may another site's page call the admin API from a browser.
    let preflight = reqwest::Client::new()
        .request(reqwest::Method::OPTIONS, app.url("/api/v1/admin/posts/"))
        .header("Origin", "https://elsewhere.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert!(
        preflight
            .headers()
            .get("access-control-allow-origin")
            .is_none()
    );
}

#[tokio::test]
async fn a_post_goes_from_draft_to_published_to_the_trash_through_the_api() {
    let app = spawn_app().await;
    let owner = app.has_an_owner();
    let (_, keys) = integration(&app, "Newsroom", &[Scope::PostsWrite]);
    let key = Some(keys.admin_key.as_str());
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/admin/posts/",
        key,
        Some(json!({"title": "From the newsroom", "markdown": "# Hello\n\nFirst *words*.", "tags": ["Wire", "News"]})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let post = &body["posts"][0];
    assert_eq!(post["status"], "draft");
    assert_eq!(post["slug"], "from-the-newsroom");
    assert_eq!(post["tags"], json!(["Wire", "News"]));
    assert_eq!(post["url"], Value::Null, "a draft has no public address");
    assert_eq!(
        post["authors"],
        json!([owner.id]),
        "the owner's, unless others are named"
    );
    let id = post["id"].as_i64().unwrap();
    let version = post["version"].as_i64().unwrap();
    app.page("/from-the-newsroom/", 404).await;
    let path = format!("/api/v1/admin/posts/{id}/");

    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &path,
        key,
        Some(json!({"status": "published", "version": version})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    let published = &body["posts"][0];
    assert_eq!(published["status"], "published");
    assert_eq!(published["url"], app.url("/from-the-newsroom/"));
    assert_eq!(
        published["markdown"], "# Hello\n\nFirst *words*.",
        "what was not sent is kept"
    );
    let page = app.page("/from-the-newsroom/", 200).await;
    assert!(text_of(&page, "article").contains("First words."));
    let listed = app
        .get("/api/v1/posts/?filter=tag:wire")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(listed["posts"][0]["id"], id);

    // Saving on the version read before is refused, with what is saved now.
    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &path,
        key,
        Some(json!({"title": "Stale", "version": version})),
    )
    .await;
    assert_eq!(status, 409, "{body}");
    assert_eq!(
        codes(&body),
        [("conflict".to_string(), "version".to_string())]
    );
    assert_eq!(body["saved"]["version"], published["version"]);
    assert_eq!(body["saved"]["title"], "From the newsroom");

    // Scheduling: a date to come takes it off the site until then.
    let later = (chrono::Utc::now() + chrono::Duration::days(2)).to_rfc3339();
    let version = published["version"].as_i64().unwrap();
    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &path,
        key,
        Some(json!({"status": "published", "published_at": later, "version": version})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["posts"][0]["status"], "scheduled");
    app.page("/from-the-newsroom/", 404).await;

    let version = body["posts"][0]["version"].as_i64().unwrap();
    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &path,
        key,
        Some(json!({"status": "draft", "published_at": null, "version": version})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["posts"][0]["status"], "draft");

    let (status, body) = call(&app, reqwest::Method::DELETE, &path, key, None).await;
    assert_eq!(status, 422, "only the trash is deleted for good: {body}");
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        &format!("{path}trash/"),
        key,
        None,
    )
    .await;
    assert_eq!(
        (status, body["posts"][0]["trashed"].clone()),
        (200, json!(true))
    );
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        &format!("{path}restore/"),
        key,
        None,
    )
    .await;
    assert_eq!(
        (status, body["posts"][0]["trashed"].clone()),
        (200, json!(false))
    );
    call(
        &app,
        reqwest::Method::POST,
        &format!("{path}trash/"),
        key,
        None,
    )
    .await;
    let (status, _) = call(&app, reqwest::Method::DELETE, &path, key, None).await;
    assert_eq!(status, 204);
    let (status, _) = call(&app, reqwest::Method::GET, &path, key, None).await;
    assert_eq!(status, 404);

    // Every write is in the audit log under the integration's name.
    let entries = app
        .db
        .run_blocking(|conn| quire::domain::audit::recent(conn, 20))
        .unwrap();
    let by_newsroom = entries
        .iter()
        .filter(|e| e.actor_name == "Integration: Newsroom")
        .count();
    assert!(by_newsroom >= 6, "{by_newsroom} entries by the integration");
}

#[tokio::test]
async fn pages_have_their_own_address_and_ids_do_not_cross() {
    let app = spawn_app().await;
    let (_, keys) = integration(&app, "Newsroom", &[Scope::PostsWrite]);
    let key = Some(keys.admin_key.as_str());
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/admin/pages/",
        key,
        Some(json!({"title": "About", "status": "published"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["pages"][0]["kind"], "page");
    let id = body["pages"][0]["id"].as_i64().unwrap();
    app.page("/about/", 200).await;
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        &format!("/api/v1/admin/posts/{id}/"),
        key,
        None,
    )
    .await;
    assert_eq!(status, 404, "a page is not at a post's address");
    let (status, body) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/admin/pages/?status=published",
        key,
        None,
    )
    .await;
    assert_eq!(
        (status, body["meta"]["pagination"]["total"].clone()),
        (200, json!(1))
    );
}

#[tokio::test]
async fn bad_requests_are_refused_with_the_field_at_fault() {
    let app = spawn_app().await;
    let (_, keys) = integration(&app, "Newsroom", &[Scope::PostsWrite]);
    let key = Some(keys.admin_key.as_str());
    let create = "/api/v1/admin/posts/";
    let huge = "x".repeat(1_000_000);
    // Each body, and the field named in its 422.
    let cases: Vec<(Value, &str)> = vec![
        (json!({"title": 5}), "title"),
        (json!({"title": "A", "colour": "red"}), "colour"),
        (json!({"title": "A", "tags": [1]}), "tags[0]"),
        (json!({"markdown": "no title"}), "title"),
        (json!({"title": huge}), "title"),
        (
            json!({"title": "A", "published_at": "next week"}),
            "published_at",
        ),
        (json!({"title": "A", "status": "live"}), "status"),
        (json!({"title": "A", "version": 3}), "version"),
        (json!({"title": "A", "authors": [999999]}), "authors"),
        (
            json!({"title": "A", "canonical_url": "javascript:alert(1)"}),
            "canonical_url",
        ),
        (json!([1, 2]), "body"),
    ];
    for (body, field) in cases {
        let (got, answer) =
            call(&app, reqwest::Method::POST, create, key, Some(body.clone())).await;
        let shown = body.to_string().chars().take(80).collect::<String>();
        assert_eq!(got, 422, "{shown}: {answer}");
        let found = codes(&answer);
        assert!(
            found.iter().any(|(c, f)| c == "invalid" && f == field),
            "{shown}: {answer}"
        );
    }
    let client = reqwest::Client::new();
    let send = |body: Vec<u8>, content_type: &'static str| {
        client
            .post(app.url(create))
            .bearer_auth(&keys.admin_key)
            .header("Content-Type", content_type)
            .body(body)
            .send()
    };
    let malformed = send(b"{\"title\": ".to_vec(), "application/json")
        .await
        .unwrap();
    assert_eq!(malformed.status().as_u16(), 400);
    assert_eq!(codes(&malformed.json().await.unwrap())[0].0, "invalid_json");
    let not_utf8 = send(b"{\"title\": \"\xff\"}".to_vec(), "application/json")
        .await
        .unwrap();
    assert_eq!(not_utf8.status().as_u16(), 400);
    let form = send(b"title=A".to_vec(), "application/x-www-form-urlencoded")
        .await
        .unwrap();
    assert_eq!(form.status().as_u16(), 415);
    let enormous = send(vec![b' '; 9 * 1024 * 1024], "application/json")
        .await
        .unwrap();
    assert_eq!(enormous.status().as_u16(), 413);
    assert_eq!(
        codes(&enormous.json().await.unwrap())[0].0,
        "payload_too_large"
    );

    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        create,
        key,
        Some(json!({"title": "Kept"})),
    )
    .await;
    assert_eq!(status, 201);
    let id = body["posts"][0]["id"].as_i64().unwrap();
    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &format!("/api/v1/admin/posts/{id}/"),
        key,
        Some(json!({"title": "No version"})),
    )
    .await;
    assert_eq!((status, codes(&body)[0].1.as_str()), (422, "version"));
    for path in [
        "/api/v1/admin/posts/999999/",
        "/api/v1/admin/posts/abc/",
        "/api/v1/admin/nothing/",
    ] {
        let (status, body) = call(&app, reqwest::Method::GET, path, key, None).await;
        assert_eq!(
            (status, codes(&body)[0].0.as_str()),
            (404, "not_found"),
            "{path}"
        );
    }
    let (status, body) = call(&app, reqwest::Method::PATCH, create, key, None).await;
    assert_eq!(
        (status, codes(&body)[0].0.as_str()),
        (405, "method_not_allowed")
    );
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/admin/posts/?status=lost",
        key,
        None,
    )
    .await;
    assert_eq!(status, 400);
    // Nothing half-written: only the one good post exists besides the welcome post.
    let all = app
        .get("/api/v1/posts/")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(all["meta"]["pagination"]["total"], 1);
    let (_, drafts) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/admin/posts/?status=draft",
        key,
        None,
    )
    .await;
    assert_eq!(drafts["meta"]["pagination"]["total"], 1);
}

#[tokio::test]
async fn each_key_has_its_own_request_budget() {
    let app = spawn_app_with(|config| {
        config.rate_limit_api = quire::config::RateLimit::per_minutes(3, 1);
    })
    .await;
    let (_, first) = integration(&app, "First", &[Scope::PostsWrite]);
    let (_, second) = integration(&app, "Second", &[Scope::PostsWrite]);
    for _ in 0..3 {
        let (status, _) = call(
            &app,
            reqwest::Method::GET,
            "/api/v1/admin/posts/",
            Some(&first.admin_key),
            None,
        )
        .await;
        assert_eq!(status, 200);
    }
    let response = reqwest::Client::new()
        .get(app.url("/api/v1/admin/posts/"))
        .bearer_auth(&first.admin_key)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 429);
    assert!(
        response.headers()["retry-after"]
            .to_str()
            .unwrap()
            .parse::<u64>()
            .unwrap()
            >= 1
    );
    assert_eq!(
        codes(&response.json().await.unwrap())[0].0,
        "too_many_requests"
    );
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/admin/posts/",
        Some(&second.admin_key),
        None,
    )
    .await;
    assert_eq!(status, 200, "another key is not held back");
}

#[tokio::test]
async fn a_thousand_posts_arrive_through_the_api_as_an_importer_sends_them() {
    // More than a key's default budget of 600 a minute, which an operator raises for this.
    let app = spawn_app_with(|config| {
        config.rate_limit_api = quire::config::RateLimit::per_minutes(5_000, 1);
    })
    .await;
    let (_, keys) = integration(&app, "Importer", &[Scope::PostsWrite]);
    // Eight writers at once, as an importer pushing a backlog would.
    let mut writers = tokio::task::JoinSet::new();
    for writer in 0..8 {
        let (url, key) = (app.url("/api/v1/admin/posts/"), keys.admin_key.clone());
        writers.spawn(async move {
            let client = reqwest::Client::new();
            let mut statuses = Vec::new();
            for n in (writer..1000).step_by(8) {
                let response = client
                    .post(&url)
                    .bearer_auth(&key)
                    .json(&json!({
                        "title": format!("Imported {n}"),
                        "markdown": format!("Post number {n}."),
                        "tags": [format!("batch-{}", n % 10)],
                        "status": "published",
                        "published_at": format!("2020-01-01T00:{:02}:{:02}Z", n / 60 % 60, n % 60),
                    }))
                    .send()
                    .await;
                statuses.push(response.map(|r| r.status().as_u16()).unwrap_or(0));
            }
            statuses
        });
    }
    let created: Vec<u16> = writers.join_all().await.into_iter().flatten().collect();
    assert_eq!(created.len(), 1000);
    assert!(
        created.iter().all(|s| *s == 201),
        "{:?}",
        created
            .iter()
            .filter(|s| **s != 201)
            .take(5)
            .collect::<Vec<_>>()
    );
    let all = app
        .get("/api/v1/posts/?limit=1")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(all["meta"]["pagination"]["total"], 1001);
    let batch = app
        .get("/api/v1/tags/slug/batch-3/?include=count.posts")
        .await
        .json::<Value>()
        .await
        .unwrap();
    assert_eq!(batch["tags"][0]["count"]["posts"], 100);
}

/// The keys a creation or rotation page shows, in order: content, admin.
fn shown_keys(page: &str) -> (String, String) {
    let doc = parse_html(page);
    let keys: Vec<String> = select(&doc, "code.key")
        .iter()
        .map(|k| k.text().collect::<String>())
        .collect();
    assert_eq!(keys.len(), 2, "{page}");
    (keys[0].clone(), keys[1].clone())
}

#[tokio::test]
async fn owners_make_rotate_and_revoke_integrations_in_the_admin() {
    let app = spawn_app().await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    let page = "/admin/integrations";
    let list = app.page_as(&owner, page).await;
    assert!(
        text_of(&list, "nav").contains("Integrations"),
        "a section of the admin"
    );

    let refused = app.submit(&owner, page, page, &[("name", "Script")]).await;
    assert_eq!(refused.status().as_u16(), 422);
    let doc = parse_html(&refused.text().await.unwrap());
    assert!(text_of(&doc, "#scopes-error").contains("at least one"));
    assert_eq!(
        attr_of(&doc, "#f-name", "value"),
        "Script",
        "what was typed is kept"
    );

    let made = app
        .submit(
            &owner,
            page,
            page,
            &[("name", "Newsroom"), ("posts_write", "on")],
        )
        .await;
    assert_eq!(made.status().as_u16(), 200);
    assert_eq!(made.headers()["cache-control"], "no-store");
    let (content_key, admin_key) = shown_keys(&made.text().await.unwrap());
    assert_eq!(content_key.len(), 26);
    let get = |key: String| {
        let url = app.url("/api/v1/admin/posts/");
        async move {
            reqwest::Client::new()
                .get(url)
                .bearer_auth(key)
                .send()
                .await
                .unwrap()
                .status()
                .as_u16()
        }
    };
    assert_eq!(get(admin_key.clone()).await, 200);
    let list = app.page_as(&owner, page).await;
    let row = text_of(&list, "tbody tr");
    assert!(
        row.contains("Newsroom") && row.contains(&admin_key[50..]),
        "{row}"
    );
    assert!(
        !list.html().contains(&admin_key),
        "the key itself is never shown again"
    );

    let id = app.db.run_blocking(integrations::list).unwrap()[0].id;
    let rotate = format!("/admin/integrations/{id}/rotate");
    let rotated = app.submit(&owner, &rotate, &rotate, &[]).await;
    let (_, new_key) = shown_keys(&rotated.text().await.unwrap());
    assert_eq!(get(admin_key).await, 401, "the old key stops at once");
    assert_eq!(get(new_key.clone()).await, 200);

    let revoke = format!("/admin/integrations/{id}/revoke");
    let revoked = app.submit(&owner, &revoke, &revoke, &[]).await;
    assert_eq!(revoked.status().as_u16(), 303);
    assert_eq!(get(new_key).await, 401);
    let list = app.page_as(&owner, page).await;
    assert!(text_of(&list, "tbody tr").contains("revoked"));

    let editor = app.signed_in_as("editor@example.com", Role::Editor).await;
    let response = editor.get(app.url(page)).send().await.unwrap();
    assert_eq!(
        response.status().as_u16(),
        403,
        "editors do not hand out keys"
    );
}

#[tokio::test]
async fn the_api_reference_is_rendered_in_the_admin_from_the_contract() {
    let app = spawn_app().await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    let page = app.page_as(&owner, "/admin/integrations/reference").await;
    let operations: Vec<String> = select(&page, ".api-operation h3")
        .iter()
        .map(|h| h.text().collect::<String>())
        .collect();
    let document = app
        .get("/api/v1/openapi.json")
        .await
        .json::<Value>()
        .await
        .unwrap();
    let in_document: usize = document["paths"]
        .as_object()
        .unwrap()
        .values()
        .map(|item| item.as_object().unwrap().len())
        .sum();
    assert_eq!(
        operations.len(),
        in_document,
        "every operation is on the page"
    );
    assert!(
        operations
            .iter()
            .any(|o| o.contains("PUT") && o.contains("/api/v1/admin/posts/{id}/"))
    );
    assert!(
        !select(&page, "#type-PostBody").is_empty(),
        "and every type"
    );
    assert!(
        select(&page, "script[src^=http]").is_empty(),
        "no third-party script"
    );
    let editor = app.signed_in_as("editor@example.com", Role::Editor).await;
    let response = editor
        .get(app.url("/admin/integrations/reference"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 403);
}

#[tokio::test]
async fn tags_are_made_changed_and_deleted_through_the_api() {
    let app = spawn_app().await;
    let (_, keys) = integration(&app, "Desk", &[Scope::PostsWrite]);
    let key = Some(keys.admin_key.as_str());
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/admin/tags/",
        key,
        Some(json!({"name": "Night Shift", "description": "After dark."})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let tag = &body["tags"][0];
    assert_eq!(tag["slug"], "night-shift");
    let id = tag["id"].as_i64().unwrap();
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/admin/tags/",
        key,
        Some(json!({"name": "Other", "slug": "night-shift"})),
    )
    .await;
    assert_eq!(
        (status, codes(&body)),
        (422, vec![("invalid".to_string(), "slug".to_string())])
    );
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/admin/tags/",
        key,
        Some(json!({"description": "no name"})),
    )
    .await;
    assert_eq!((status, codes(&body)[0].1.as_str()), (422, "name"));

    let path = format!("/api/v1/admin/tags/{id}/");
    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &path,
        key,
        Some(json!({"meta_title": "Nights"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["tags"][0]["meta_title"], "Nights");
    assert_eq!(
        body["tags"][0]["description"], "After dark.",
        "what was not sent is kept"
    );

    call(
        &app,
        reqwest::Method::POST,
        "/api/v1/admin/posts/",
        key,
        Some(json!({"title": "Late", "tags": ["Night Shift"], "status": "published"})),
    )
    .await;
    let (_, listed) = call(&app, reqwest::Method::GET, "/api/v1/admin/tags/", key, None).await;
    let night = listed["tags"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["id"] == id)
        .unwrap()
        .clone();
    assert_eq!(night["posts"], 1);
    app.page("/tag/night-shift/", 200).await;

    let (status, _) = call(&app, reqwest::Method::DELETE, &path, key, None).await;
    assert_eq!(status, 204);
    app.page("/tag/night-shift/", 410).await;
    let (status, _) = call(&app, reqwest::Method::GET, &path, key, None).await;
    assert_eq!(status, 404);
    let (_, reader) = integration(&app, "Reader", &[Scope::ContentRead]);
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/admin/tags/",
        Some(&reader.admin_key),
        None,
    )
    .await;
    assert_eq!(status, 403);
}

#[tokio::test]
async fn redirects_are_managed_through_the_api_with_the_admins_checks() {
    let app = spawn_app().await;
    let (_, keys) = integration(&app, "Ops", &[Scope::SettingsManage]);
    let key = Some(keys.admin_key.as_str());
    let base = "/api/v1/admin/redirects/";
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        base,
        key,
        Some(json!({"from": "/old-home/", "to": "/welcome/"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["redirects"][0]["code"], 301);
    let id = body["redirects"][0]["id"].as_i64().unwrap();
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(app.url("/old-home/"))
        .send()
        .await
        .unwrap();
    assert_eq!(response.status().as_u16(), 301);
    assert_eq!(response.headers()["location"], "/welcome/");

    for (body, field) in [
        (json!({"from": "/same/", "to": "/same/"}), "to"),
        (json!({"from": "not a path", "to": "/welcome/"}), "from"),
        (
            json!({"from": "/x/", "to": "/welcome/", "code": 418}),
            "code",
        ),
    ] {
        let (status, answer) =
            call(&app, reqwest::Method::POST, base, key, Some(body.clone())).await;
        assert_eq!(status, 422, "{body}: {answer}");
        assert!(
            codes(&answer).iter().any(|(_, f)| f == field),
            "{body}: {answer}"
        );
    }
    let path = format!("{base}{id}/");
    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &path,
        key,
        Some(json!({"code": 302})),
    )
    .await;
    assert_eq!(
        (status, body["redirects"][0]["to"].clone()),
        (200, json!("/welcome/"))
    );
    assert_eq!(body["redirects"][0]["code"], 302);
    let (_, listed) = call(&app, reqwest::Method::GET, base, key, None).await;
    assert_eq!(listed["meta"]["pagination"]["total"], 1);
    let (status, _) = call(&app, reqwest::Method::DELETE, &path, key, None).await;
    assert_eq!(status, 204);
    app.page("/old-home/", 404).await;
    let (_, writer) = integration(&app, "Writer", &[Scope::PostsWrite]);
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        base,
        Some(&writer.admin_key),
        None,
    )
    .await;
    assert_eq!(status, 403, "redirects need settings:manage");
}

#[tokio::test]
async fn people_are_invited_changed_suspended_and_removed_by_the_admins_rules() {
    let app = spawn_app().await;
    let owner = app.has_an_owner();
    let other_admin = app.user_with_password(
        "second-admin@example.com",
        Role::Admin,
        "a long enough password",
    );
    let (_, keys) = integration(&app, "HR", &[Scope::UsersManage]);
    let key = Some(keys.admin_key.as_str());
    let base = "/api/v1/admin/users/";

    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        base,
        key,
        Some(json!({"email": "new.editor@example.com", "role": "editor", "name": "Nell Editor"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    let invited = &body["users"][0];
    assert_eq!(
        (invited["status"].clone(), invited["role"].clone()),
        (json!("pending"), json!("editor"))
    );
    assert!(
        app.outbox()
            .iter()
            .any(|m| m.recipient == "new.editor@example.com"),
        "the invitation is mailed"
    );
    let id = invited["id"].as_i64().unwrap();

    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        base,
        key,
        Some(json!({"email": "boss@example.com", "role": "owner"})),
    )
    .await;
    assert_eq!(
        (status, codes(&body)[0].1.as_str()),
        (422, "role"),
        "nobody is invited as the owner"
    );
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        base,
        key,
        Some(json!({"email": "not an address", "role": "author"})),
    )
    .await;
    assert_eq!((status, codes(&body)[0].1.as_str()), (422, "email"));

    let path = format!("{base}{id}/");
    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &path,
        key,
        Some(json!({"role": "author", "name": "Nell Writer"})),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(
        (
            body["users"][0]["role"].clone(),
            body["users"][0]["name"].clone()
        ),
        (json!("author"), json!("Nell Writer"))
    );
    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        &path,
        key,
        Some(json!({"status": "suspended"})),
    )
    .await;
    assert_eq!(
        (status, body["users"][0]["status"].clone()),
        (200, json!("suspended"))
    );

    for person in [owner.id, other_admin.id] {
        let (status, body) = call(
            &app,
            reqwest::Method::PUT,
            &format!("{base}{person}/"),
            key,
            Some(json!({"name": "Renamed"})),
        )
        .await;
        assert_eq!(status, 403, "{body}");
        let (status, _) = call(
            &app,
            reqwest::Method::DELETE,
            &format!("{base}{person}/"),
            key,
            None,
        )
        .await;
        assert_eq!(status, 403);
    }

    let (_, staff) = call(&app, reqwest::Method::GET, base, key, None).await;
    let emails: Vec<&str> = staff["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["email"].as_str().unwrap())
        .collect();
    assert!(emails.contains(&owner.email.as_str()) && emails.contains(&"new.editor@example.com"));

    // A removed author's posts stay, credited to the owner.
    let author = app.author("Departing Author");
    let post = app.seed(SeedPost::published("farewell", "Farewell").authors(&[&author]));
    let (status, _) = call(
        &app,
        reqwest::Method::DELETE,
        &format!("{base}{}/", author.id),
        key,
        None,
    )
    .await;
    assert_eq!(status, 204);
    let authors = app
        .db
        .run_blocking(|conn| quire::domain::posts::authors_of_post(conn, post.id))
        .unwrap();
    assert_eq!(authors.iter().map(|a| a.id).collect::<Vec<_>>(), [owner.id]);

    let (_, writer) = integration(&app, "Writer", &[Scope::PostsWrite]);
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        base,
        Some(&writer.admin_key),
        None,
    )
    .await;
    assert_eq!(status, 403, "people need users:manage");
}

#[tokio::test]
async fn settings_are_read_and_changed_through_the_api_with_the_pages_checks() {
    let app = spawn_app().await;
    let (_, keys) = integration(&app, "Ops", &[Scope::SettingsManage]);
    let key = Some(keys.admin_key.as_str());
    let path = "/api/v1/admin/settings/";
    let (status, body) = call(&app, reqwest::Method::GET, path, key, None).await;
    assert_eq!(
        (status, body["settings"]["title"].clone()),
        (200, json!("Quire"))
    );
    let (status, body) = call(
        &app,
        reqwest::Method::PUT,
        path,
        key,
        Some(json!({
            "title": "The Night Desk",
            "navigation": [{"label": "Home", "url": "/"}, {"label": "About", "url": "/about/"}],
        })),
    )
    .await;
    assert_eq!(status, 200, "{body}");
    assert_eq!(body["settings"]["title"], "The Night Desk");
    assert_eq!(
        body["settings"]["posts_per_page"], 10,
        "what was not sent is kept"
    );
    let home = app.page("/", 200).await;
    assert!(text_of(&home, "title").contains("The Night Desk"));
    assert!(select(&home, "nav a[href='/about/']").len() == 1);

    for (sent, field) in [
        (json!({"posts_per_page": 0}), "posts_per_page"),
        (json!({"timezone": "Mars/Olympus_Mons"}), "timezone"),
        (json!({"title": null}), "title"),
        (json!({"theme": "dark"}), "theme"),
    ] {
        let (status, answer) =
            call(&app, reqwest::Method::PUT, path, key, Some(sent.clone())).await;
        assert_eq!(status, 422, "{sent}: {answer}");
        assert!(
            codes(&answer).iter().any(|(_, f)| f == field),
            "{sent}: {answer}"
        );
    }
    let (_, still) = call(&app, reqwest::Method::GET, path, key, None).await;
    assert_eq!(
        still["settings"]["title"], "The Night Desk",
        "a refused change changes nothing"
    );
    let (_, writer) = integration(&app, "Writer", &[Scope::PostsWrite]);
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        path,
        Some(&writer.admin_key),
        None,
    )
    .await;
    assert_eq!(status, 403);
}

async fn upload(app: &TestApp, key: &str, form: reqwest::multipart::Form) -> (u16, Value) {
    let response = reqwest::Client::new()
        .post(app.url("/api/v1/admin/images/"))
        .bearer_auth(key)
        .multipart(form)
        .send()
        .await
        .unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.expect("JSON"))
}

#[tokio::test]
async fn images_are_uploaded_to_the_library_as_the_form_does() {
    use crate::media::picture;
    use image::ImageFormat;
    use reqwest::multipart::{Form, Part};
    let app = spawn_app_with(|config| config.upload_limit = 1 << 20).await;
    let (_, keys) = integration(&app, "Newsroom", &[Scope::MediaWrite, Scope::PostsWrite]);
    let (_, reader) = integration(&app, "Reader", &[Scope::ContentRead]);
    let png = || Part::bytes(picture(40, 30, ImageFormat::Png)).file_name("chart.png");

    let form = Form::new().part("file", png()).text("alt", "A rising line");
    let (status, body) = upload(&app, &keys.admin_key, form).await;
    assert_eq!(status, 201, "{body}");
    let image = &body["images"][0];
    assert_eq!(image["alt"], "A rising line");
    let url = image["url"].as_str().unwrap();
    assert!(url.starts_with(&app.url("/media/")), "{url}");
    let served = reqwest::get(url).await.unwrap();
    assert_eq!(served.status(), 200);
    assert_eq!(served.headers()["content-type"], "image/png");
    // It is in the library, and a post can take it as its cover.
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/admin/posts/",
        Some(&keys.admin_key),
        Some(
            json!({"title": "Charts", "feature_image": url, "feature_image_alt": "A rising line"}),
        ),
    )
    .await;
    assert_eq!(status, 201, "{body}");

    // Refusals, each in the API's shape.
    let (status, body) = upload(&app, &reader.admin_key, Form::new().part("file", png())).await;
    assert_eq!((status, codes(&body)[0].0.as_str()), (403, "forbidden"));
    let not_a_picture = Part::bytes(b"<?php echo 1;".to_vec()).file_name("x.png");
    let (status, body) = upload(
        &app,
        &keys.admin_key,
        Form::new().part("file", not_a_picture),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(codes(&body), [("invalid".to_string(), "file".to_string())]);
    let (status, body) = upload(&app, &keys.admin_key, Form::new().text("alt", "Nothing")).await;
    assert_eq!(status, 422);
    assert_eq!(codes(&body)[0].1, "file");
    let huge = Part::bytes(vec![0u8; 2 << 20]).file_name("huge.png");
    let (status, body) = upload(&app, &keys.admin_key, Form::new().part("file", huge)).await;
    assert_eq!(status, 413, "{body}");
    let long_alt = "a".repeat(5000);
    let form = Form::new().part("file", png()).text("alt", long_alt);
    let (status, body) = upload(&app, &keys.admin_key, form).await;
    assert_eq!((status, codes(&body)[0].1.as_str()), (422, "alt"));
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/admin/images/",
        Some(&keys.admin_key),
        Some(json!({"file": "x"})),
    )
    .await;
    assert_eq!(status, 415, "{body}");
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/admin/images/",
        Some(&keys.admin_key),
        None,
    )
    .await;
    assert_eq!(status, 405);
    let count: i64 = app
        .db
        .run_blocking(|conn| {
            use diesel::prelude::*;
            quire::db::schema::media::table
                .count()
                .get_result::<i64>(conn)
        })
        .unwrap();
    assert_eq!(count, 1, "nothing refused was kept");
}

#[tokio::test]
async fn personal_tokens_act_as_their_owner_with_their_role_s_rights() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("editor@example.com", Role::Editor).await;
    let me = app.user("editor@example.com");
    let token = app.csrf_token(&editor, "/account/tokens").await;
    let made = editor
        .post(app.url("/account/tokens"))
        .form(&[("csrf_token", token.as_str()), ("name", "My script")])
        .send()
        .await
        .unwrap();
    assert_eq!(made.status(), 200);
    let doc = parse_html(&made.text().await.unwrap());
    let key = text_of(&doc, "section.notice code.key");
    assert!(key.starts_with("quire_"), "{key}");

    // Writes are in the editor's name; what an editor may not do is refused.
    let (status, body) = call(
        &app,
        reqwest::Method::POST,
        "/api/v1/admin/posts/",
        Some(&key),
        Some(json!({"title": "From my script", "status": "published"})),
    )
    .await;
    assert_eq!(status, 201, "{body}");
    assert_eq!(body["posts"][0]["authors"], json!([me.id]));
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/admin/settings/",
        Some(&key),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/admin/users/",
        Some(&key),
        None,
    )
    .await;
    assert_eq!(status, 403);
    let audit = app
        .page_as(
            &app.signed_in_as("owner@example.com", Role::Owner).await,
            "/admin/audit",
        )
        .await;
    assert!(
        text_of(&audit, "main").contains("editor"),
        "the audit log names the editor"
    );
    // Not an integration: the integrations page does not list it.
    let owner = app.signed_in_as("admin@example.com", Role::Admin).await;
    let integrations = app.page_as(&owner, "/admin/integrations").await;
    assert!(!text_of(&integrations, "main").contains("My script"));

    // An account that is suspended takes its tokens with it.
    let id = me.id;
    app.db
        .run_blocking(move |conn| {
            quire::domain::users::set_status(
                conn,
                id,
                quire::domain::users::Status::Suspended,
                now(),
            )
        })
        .unwrap();
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/admin/posts/",
        Some(&key),
        None,
    )
    .await;
    assert_eq!(status, 401);
    app.db
        .run_blocking(move |conn| {
            quire::domain::users::set_status(conn, id, quire::domain::users::Status::Active, now())
        })
        .unwrap();
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/admin/posts/",
        Some(&key),
        None,
    )
    .await;
    assert_eq!(status, 200);

    // Revoked by its owner, it stops at once.
    let page = app.page_as(&editor, "/account/tokens").await;
    let action = attr_of(&page, "form[action$='/revoke']", "action");
    let token = app.csrf_token(&editor, "/account/tokens").await;
    let revoked = editor
        .post(app.url(&action))
        .form(&[("csrf_token", token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(revoked.status(), 303);
    let (status, _) = call(
        &app,
        reqwest::Method::GET,
        "/api/v1/admin/posts/",
        Some(&key),
        None,
    )
    .await;
    assert_eq!(status, 401);

    // Members have no admin to script.
    let member = app.signed_in_as("member@example.com", Role::Member).await;
    let refused = member.get(app.url("/account/tokens")).send().await.unwrap();
    assert_eq!(refused.status(), 403);
}
