//! The admin's Import page: upload, a check first, the import as a job with its progress
//! and report on the page, and uploads that are refused.

use std::io::Write;
use std::time::Duration;

use quire::domain::users::Role;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::helpers::*;

const WXR: &str = concat!(
    env!("CARGO_MANIFEST_DIR"),
    "/tests/data/wordpress-theme-unit-test.xml"
);

async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    bytes: Vec<u8>,
    dry_run: bool,
) -> reqwest::Response {
    let token = app.csrf_token(client, "/admin/import").await;
    let mut form = Form::new().text("csrf_token", token);
    if dry_run {
        form = form.text("dry_run", "1");
    }
    let form = form.part("file", Part::bytes(bytes).file_name(name.to_string()));
    client
        .post(app.url("/admin/import"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

/// The run page once the job has finished with it.
async fn finished(app: &TestApp, client: &reqwest::Client, path: &str) -> scraper::Html {
    for _ in 0..300 {
        let response = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK, "GET {path}");
        let refreshing = response.headers().contains_key("refresh");
        let page = parse_html(&response.text().await.unwrap());
        let status = text_of(&page, "#import-status");
        let running = status.starts_with("Running") || status.starts_with("Waiting");
        assert_eq!(
            running, refreshing,
            "the page refreshes itself while it runs: {status}"
        );
        if !running {
            return page;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the import at {path} did not finish");
}

fn post_count(app: &TestApp) -> i64 {
    app.db.run_blocking(quire::domain::posts::count).unwrap()
}

#[tokio::test]
async fn an_upload_is_checked_first_then_imported_by_a_job() {
    let app = spawn_app().await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    let before = post_count(&app);

    let response = upload(
        &app,
        &owner,
        "export.xml",
        std::fs::read(WXR).unwrap(),
        true,
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let check = location(&response);
    let page = finished(&app, &owner, &check).await;
    assert!(text_of(&page, "#import-status").starts_with("Checked"));
    let report = text_of(&page, "#import-report");
    assert!(
        report.contains("Would import 79 posts and pages (79 new"),
        "{report}"
    );
    assert!(text_of(&page, "#import-status").contains("WordPress export (WXR 1.2)"));
    assert!(
        text_of(&page, "#import-report").contains("70 menu items"),
        "{report}"
    );
    assert_eq!(post_count(&app), before, "a check writes nothing");

    // Imported for real from the check's page.
    let token = app.csrf_token(&owner, &check).await;
    let response = owner
        .post(app.url(&format!("{check}/run")))
        .form(&[("csrf_token", token)])
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let run = location(&response);
    assert_ne!(run, check);
    let page = finished(&app, &owner, &run).await;
    assert!(text_of(&page, "#import-status").starts_with("Imported"));
    assert!(text_of(&page, "#import-report").contains("Imported 79 posts"));
    assert!(
        select(&page, "form[action$='/run']").is_empty(),
        "an import is not run twice"
    );
    assert_eq!(post_count(&app), before + 79);
    assert_redirect(&app, "/?p=1148", "/template-comments/").await;

    // Both runs are listed.
    let list = parse_html(
        &owner
            .get(app.url("/admin/import"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert_eq!(select(&list, "tbody tr").len(), 2);
}

fn zip_of(files: &[(&str, &str)]) -> Vec<u8> {
    let mut out = std::io::Cursor::new(Vec::new());
    let mut zip = zip::ZipWriter::new(&mut out);
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    for (name, contents) in files {
        zip.start_file(*name, options).unwrap();
        zip.write_all(contents.as_bytes()).unwrap();
    }
    zip.finish().unwrap();
    out.into_inner()
}

#[tokio::test]
async fn a_zip_of_markdown_imports_and_bad_uploads_are_refused() {
    let app = spawn_app().await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;

    let site = zip_of(&[
        ("blog/hello.md", "---\ntitle: Hello from a zip\n---\nWords."),
        ("blog/about.md", "---\ntitle: About\nlayout: page\n---\nUs."),
    ]);
    let response = upload(&app, &owner, "site.zip", site, false).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = finished(&app, &owner, &location(&response)).await;
    let report = text_of(&page, "#import-report");
    assert!(report.contains("Imported 2 posts and pages"), "{report}");
    assert_eq!(
        text_of(&app.page("/hello/", 200).await, "h1"),
        "Hello from a zip"
    );

    // A zip leading out of itself is refused at once, and nothing is queued.
    let escaping = zip_of(&[("../../evil.md", "---\ntitle: x\n---\n")]);
    let response = upload(&app, &owner, "evil.zip", escaping, false).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = parse_html(&response.text().await.unwrap());
    assert!(text_of(&page, "[role=alert]").contains("leads out of it"));

    // No file.
    let response = upload(&app, &owner, "", Vec::new(), true).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    // A file that is no export: the job records why, and nothing changes.
    let before = post_count(&app);
    let response = upload(&app, &owner, "notes.txt", b"just words".to_vec(), false).await;
    let page = finished(&app, &owner, &location(&response)).await;
    assert!(text_of(&page, "#import-status").starts_with("Refused"));
    assert!(text_of(&page, "#import-error").contains("not a file Quire can import"));
    assert_eq!(post_count(&app), before);

    // Editors cannot import.
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let response = editor.get(app.url("/admin/import")).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn an_import_whose_job_gave_up_says_so_and_stops_reloading() {
    // No workers: the job is taken and failed here, as if every attempt had.
    let app = spawn_app_with(|config| config.job_workers = 0).await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    let response = upload(
        &app,
        &owner,
        "export.xml",
        std::fs::read(WXR).unwrap(),
        true,
    )
    .await;
    let run = location(&response);
    let waiting = owner.get(app.url(&run)).send().await.unwrap();
    assert!(
        waiting.headers().contains_key("refresh"),
        "waiting: it reloads"
    );
    app.db
        .run_blocking(|conn| {
            let claimed = quire::jobs::queue::claim(
                conn,
                &["import"],
                "test",
                chrono::Duration::minutes(1),
                now(),
            )?
            .expect("the import's job");
            let failed = quire::jobs::queue::Finish::Failed("the database went away".into());
            quire::jobs::queue::finish(conn, &claimed, "test", &failed, now())
        })
        .unwrap();
    let response = owner.get(app.url(&run)).send().await.unwrap();
    assert!(!response.headers().contains_key("refresh"));
    let page = parse_html(&response.text().await.unwrap());
    assert!(text_of(&page, "#import-status").starts_with("Stopped"));
    assert!(text_of(&page, "#import-error").contains("the database went away"));
}

#[tokio::test]
async fn a_file_over_the_limit_is_refused_and_not_kept() {
    let app = spawn_app_with(|config| config.import_limit = 1 << 20).await;
    let before = post_count(&app);
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    let page = parse_html(
        &owner
            .get(app.url("/admin/import"))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap(),
    );
    assert!(
        text_of(&page, "main").contains("1 MB"),
        "the page says the limit"
    );
    let response = upload(&app, &owner, "big.xml", vec![b'x'; (1 << 20) + 1], true).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let page = parse_html(&response.text().await.unwrap());
    assert!(text_of(&page, "[role=alert]").contains("larger than 1 MB"));
    let uploads = app.data_dir().join("imports").join("uploads");
    let kept = std::fs::read_dir(&uploads)
        .map(|dir| dir.count())
        .unwrap_or(0);
    assert_eq!(kept, 0, "nothing of the upload stays on disk");
    assert_eq!(post_count(&app), before);
}
