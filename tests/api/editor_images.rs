//! Images from the editor without JavaScript: "Upload and insert" sends the whole form with
//! the file; the image joins the library and its Markdown the text, and nothing typed is
//! lost whatever goes wrong. The cover is chosen from thumbnails.

use image::ImageFormat;
use quire::domain::users::Role;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::editor::{editor_fields, post, with, write};
use crate::helpers::{TestApp, attr_of, location, parse_html, select, spawn_app, text_of};
use crate::media::picture;

/// Sends the editor's `fields` with an image file, as the "Upload and insert" button does.
async fn upload_from_editor(
    app: &TestApp,
    client: &reqwest::Client,
    action: &str,
    fields: &[(String, String)],
    file: (&str, Vec<u8>),
) -> reqwest::Response {
    // The token first, as the form puts it.
    let mut form = Form::new();
    let mut ordered: Vec<&(String, String)> =
        fields.iter().filter(|(n, _)| n == "csrf_token").collect();
    ordered.extend(fields.iter().filter(|(n, _)| n != "csrf_token"));
    for (name, value) in ordered {
        form = form.text(name.clone(), value.clone());
    }
    let form = form.part("image", Part::bytes(file.1).file_name(file.0.to_string()));
    client
        .post(app.url(action))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn page(app: &TestApp, client: &reqwest::Client, path: &str) -> scraper::Html {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    parse_html(&response.text().await.unwrap())
}

async fn library_size(app: &TestApp, client: &reqwest::Client) -> usize {
    select(&page(app, client, "/admin/media").await, ".media-grid li").len()
}

#[tokio::test]
async fn an_image_uploaded_from_the_editor_lands_in_the_text_unpublished() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let path = write(&app, &editor, "Harbour", "harbour", "publish").await;
    let fields = with(
        editor_fields(&app, &editor, &path).await,
        &[
            ("markdown", "Typed, not saved."),
            ("image_alt", "Boats at dawn"),
        ],
    );
    let response = upload_from_editor(
        &app,
        &editor,
        &format!("{path}/image"),
        &fields,
        ("boats.png", picture(640, 360, ImageFormat::Png)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location(&response), path);

    // The editor comes back with the typed text and the image after it, as a paragraph.
    let doc = page(&app, &editor, &path).await;
    let text = text_of(&doc, "#f-markdown");
    assert!(
        text.starts_with("Typed, not saved.\n\n![Boats at dawn](/media/"),
        "{text}"
    );
    assert!(text_of(&doc, ".notice").contains("Image added"));
    assert!(!select(&doc, ".notice--restored").is_empty());
    let url = text
        .split("](")
        .nth(1)
        .unwrap()
        .trim_end()
        .trim_end_matches(')');
    assert_eq!(app.get(url).await.status(), StatusCode::OK, "{url}");
    // The library has it, with its alt text; readers still see the published text.
    assert_eq!(library_size(&app, &editor).await, 1);
    let public = app.get("/harbour/").await.text().await.unwrap();
    assert!(!public.contains("Typed, not saved"));
    // The library offers it for the next insert, with its Markdown.
    let offered = select(&doc, ".library-picker code")
        .first()
        .map(|code| code.text().collect::<String>())
        .unwrap();
    assert_eq!(offered, format!("![Boats at dawn]({url})"));
}

#[tokio::test]
async fn a_new_post_is_saved_as_a_draft_with_its_first_image() {
    let app = spawn_app().await;
    let author = app.signed_in_as("au@example.com", Role::Author).await;
    let fields = editor_fields(&app, &author, "/admin/posts/new").await;

    // Without a title: the form again, the image already in the text and the library.
    let untitled = with(fields.clone(), &[("markdown", "Words first.")]);
    let response = upload_from_editor(
        &app,
        &author,
        "/admin/posts/new/image",
        &untitled,
        ("a.png", picture(300, 200, ImageFormat::Png)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let doc = parse_html(&response.text().await.unwrap());
    assert_eq!(attr_of(&doc, ".error-summary a", "href"), "#f-title");
    let text = text_of(&doc, "#f-markdown");
    assert!(text.contains("![Describe the image](/media/"), "{text}");

    let titled = with(untitled, &[("title", "Pictured"), ("markdown", "Words.")]);
    let response = upload_from_editor(
        &app,
        &author,
        "/admin/posts/new/image",
        &titled,
        ("b.png", picture(300, 200, ImageFormat::Png)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let edit = location(&response);
    let doc = page(&app, &author, &edit).await;
    assert_eq!(attr_of(&doc, "#f-title", "value"), "Pictured");
    assert!(text_of(&doc, "#f-markdown").starts_with("Words.\n\n![Describe the image](/media/"));
    assert!(
        text_of(&doc, ".notice").contains("Describe the image"),
        "asks for alt text"
    );
    assert_eq!(
        app.get("/pictured/").await.status(),
        StatusCode::NOT_FOUND,
        "a draft"
    );
}

#[tokio::test]
async fn a_bad_image_from_the_editor_is_explained_and_loses_no_text() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let path = write(&app, &editor, "Careful", "careful", "save").await;
    let fields = with(
        editor_fields(&app, &editor, &path).await,
        &[("markdown", "Precious words."), ("image_alt", "Kept alt")],
    );
    let response = upload_from_editor(
        &app,
        &editor,
        &format!("{path}/image"),
        &fields,
        ("notes.png", b"not an image at all".to_vec()),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let doc = parse_html(&response.text().await.unwrap());
    assert_eq!(attr_of(&doc, ".error-summary a", "href"), "#f-image");
    assert_eq!(attr_of(&doc, "#f-image", "aria-invalid"), "true");
    assert_eq!(text_of(&doc, "#f-markdown"), "Precious words.");
    assert_eq!(attr_of(&doc, "#f-image_alt", "value"), "Kept alt");
    assert!(!select(&doc, "details#images[open]").is_empty());
    assert_eq!(library_size(&app, &editor).await, 0);

    // A control character in the alt text is refused beside the field, the image not kept.
    let response = upload_from_editor(
        &app,
        &editor,
        &format!("{path}/image"),
        &with(fields.clone(), &[("image_alt", "bad\0alt")]),
        ("fine.png", picture(100, 100, ImageFormat::Png)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let doc = parse_html(&response.text().await.unwrap());
    assert_eq!(attr_of(&doc, "#f-image_alt", "aria-invalid"), "true");
    assert_eq!(text_of(&doc, "#f-markdown"), "Precious words.");
    assert_eq!(library_size(&app, &editor).await, 0);

    // A form of thousands of fields is refused before it is read to the end.
    let token = crate::helpers::attr_of(&doc, "input[name=csrf_token]", "value");
    let mut flood = Form::new().text("csrf_token", token);
    for n in 0..300 {
        flood = flood.text(format!("f{n}"), "");
    }
    let response = editor
        .post(app.url(&format!("{path}/image")))
        .multipart(flood)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    assert_eq!(library_size(&app, &editor).await, 0);

    // Someone else's post, for an author: refused before anything is stored.
    let author = app.signed_in_as("au@example.com", Role::Author).await;
    let token = app.csrf_token(&author, "/admin/posts/new").await;
    let forged = with(fields, &[("csrf_token", &token)]);
    let response = upload_from_editor(
        &app,
        &author,
        &format!("{path}/image"),
        &forged,
        ("c.png", picture(100, 100, ImageFormat::Png)),
    )
    .await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(library_size(&app, &editor).await, 0);
    // A form without its token is refused too.
    let response = client_without_token(&app, &editor, &format!("{path}/image")).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert_eq!(library_size(&app, &editor).await, 0);
}

async fn client_without_token(
    app: &TestApp,
    client: &reqwest::Client,
    action: &str,
) -> reqwest::Response {
    let form = Form::new().text("title", "No token").part(
        "image",
        Part::bytes(picture(10, 10, ImageFormat::Png)).file_name("d.png"),
    );
    client
        .post(app.url(action))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_cover_is_chosen_from_thumbnails() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let response = crate::media::upload(
        &app,
        &editor,
        "harbour.jpg",
        picture(1200, 800, ImageFormat::Jpeg),
        "Harbour at noon",
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let path = write(&app, &editor, "Covered", "covered", "save").await;
    let doc = page(&app, &editor, &path).await;
    let choices = select(&doc, "#f-cover input[type=radio][name=cover]");
    assert_eq!(choices.len(), 2, "no cover, and the one image");
    assert_eq!(
        attr_of(&doc, "#f-cover input[name=cover][checked]", "value"),
        "",
        "no cover yet"
    );
    let stem = choices[1].value().attr("value").unwrap().to_string();
    let thumbnail = attr_of(&doc, "#f-cover .picker__item img", "src");
    assert!(
        thumbnail.starts_with(&format!("/media/{stem}")),
        "{thumbnail}"
    );
    assert_eq!(app.get(&thumbnail).await.status(), StatusCode::OK);

    let fields = editor_fields(&app, &editor, &path).await;
    let chosen = with(fields, &[("cover", &stem), ("action", "save")]);
    assert_eq!(
        post(&app, &editor, &path, &chosen).await.status(),
        StatusCode::SEE_OTHER
    );
    let doc = page(&app, &editor, &path).await;
    assert_eq!(
        attr_of(&doc, "#f-cover input[name=cover][checked]", "value"),
        stem
    );
    assert!(
        !select(&doc, "details.panel[open] #f-cover").is_empty(),
        "the cover panel is open"
    );
}
