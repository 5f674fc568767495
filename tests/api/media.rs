//! The media library: uploads checked by content and re-encoded without their metadata,
//! variants generated and served for good, every bad file explained, and deletion warning
//! when an image is in use.

use std::io::Cursor;

use image::{DynamicImage, ImageBuffer, ImageFormat, Rgb};
use quire::domain::users::Role;
use reqwest::StatusCode;
use reqwest::multipart::{Form, Part};

use crate::helpers::{
    SeedPost, TestApp, attr_of, location, parse_html, select, spawn_app, spawn_app_with, text_of,
};

pub fn picture(width: u32, height: u32, format: ImageFormat) -> Vec<u8> {
    let pixels = ImageBuffer::from_fn(width, height, |x, y| {
        Rgb([(x % 256) as u8, (y % 256) as u8, 90])
    });
    let mut out = Vec::new();
    DynamicImage::ImageRgb8(pixels)
        .write_to(&mut Cursor::new(&mut out), format)
        .unwrap();
    out
}

/// A JPEG carrying an EXIF block (as a camera would write, with a GPS-looking marker).
fn jpeg_with_exif() -> Vec<u8> {
    let jpeg = picture(400, 300, ImageFormat::Jpeg);
    let mut payload = b"Exif\0\0".to_vec();
    payload.extend(b"MM\0*\0\0\0\x08\0\0GPS-SECRET-LOCATION");
    let mut out = jpeg[..2].to_vec();
    out.extend([0xFF, 0xE1]);
    out.extend(((payload.len() + 2) as u16).to_be_bytes());
    out.extend(payload);
    out.extend(&jpeg[2..]);
    out
}

pub async fn upload(
    app: &TestApp,
    client: &reqwest::Client,
    name: &str,
    bytes: Vec<u8>,
    alt: &str,
) -> reqwest::Response {
    let token = app.csrf_token(client, "/admin/media").await;
    let form = Form::new()
        .text("csrf_token", token)
        .text("alt", alt.to_string())
        .part("file", Part::bytes(bytes).file_name(name.to_string()));
    client
        .post(app.url("/admin/media"))
        .multipart(form)
        .send()
        .await
        .unwrap()
}

async fn html(app: &TestApp, client: &reqwest::Client, path: &str) -> scraper::Html {
    let response = client.get(app.url(path)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::OK, "GET {path}");
    parse_html(&response.text().await.unwrap())
}

#[tokio::test]
async fn an_upload_is_re_encoded_with_variants_served_for_good() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let response = upload(
        &app,
        &editor,
        "wide.png",
        picture(1200, 600, ImageFormat::Png),
        "A gradient",
    )
    .await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let item = location(&response);
    let page = html(&app, &editor, &item).await;
    assert_eq!(attr_of(&page, "img.media-preview", "width"), "1200");
    assert_eq!(attr_of(&page, "img.media-preview", "height"), "600");
    assert_eq!(attr_of(&page, "img.media-preview", "alt"), "A gradient");
    let srcset = attr_of(&page, "picture source", "srcset");
    assert_eq!(
        srcset.matches("w,").count() + 1,
        4,
        "320, 640, 1024 and the full width: {srcset}"
    );

    // Every file is served, typed and cached for good.
    let full = attr_of(&page, "img.media-preview", "src");
    for url in srcset
        .split(", ")
        .map(|entry| entry.split(' ').next().unwrap().to_string())
        .chain([full])
    {
        let response = app.get(&url).await;
        assert_eq!(response.status(), StatusCode::OK, "{url}");
        let kind = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(kind == "image/webp" || kind == "image/png", "{url}: {kind}");
        assert!(
            response.headers()["cache-control"]
                .to_str()
                .unwrap()
                .contains("immutable")
        );
        assert_eq!(response.headers()["x-content-type-options"], "nosniff");
        let bytes = response.bytes().await.unwrap();
        let decoded = image::load_from_memory(&bytes).unwrap();
        if url.contains("-320.") {
            assert_eq!((decoded.width(), decoded.height()), (320, 160));
        }
    }

    // The library lists it; the search finds it by name or alt text.
    let library = html(&app, &editor, "/admin/media?q=gradient").await;
    assert_eq!(select(&library, ".media-grid li").len(), 1);
    let library = html(&app, &editor, "/admin/media?q=nothing-like-it").await;
    assert!(select(&library, ".media-grid li").is_empty());
}

#[tokio::test]
async fn exif_is_stripped_by_re_encoding() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let original = jpeg_with_exif();
    assert!(original.windows(4).any(|w| w == b"Exif"));
    let response = upload(&app, &editor, "photo.jpg", original, "").await;
    let page = html(&app, &editor, &location(&response)).await;
    let stored = app
        .get(&attr_of(&page, "img.media-preview", "src"))
        .await
        .bytes()
        .await
        .unwrap();
    assert!(stored.starts_with(&[0xFF, 0xD8]), "still a JPEG");
    assert!(!stored.windows(4).any(|w| w == b"Exif"));
    assert!(!stored.windows(10).any(|w| w == b"GPS-SECRET"));
}

#[tokio::test]
async fn bad_files_are_explained_and_nothing_is_kept() {
    let app = spawn_app_with(|config| config.upload_limit = 1 << 20).await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let bomb = {
        // A PNG claiming 30000 × 30000 pixels with no picture behind it.
        let mut chunk = b"IHDR".to_vec();
        chunk.extend(30_000u32.to_be_bytes());
        chunk.extend(30_000u32.to_be_bytes());
        chunk.extend([8, 2, 0, 0, 0]);
        let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
        png.extend(13u32.to_be_bytes());
        png.extend(&chunk);
        png.extend(crc32(&chunk).to_be_bytes());
        png
    };
    // A real PNG of 100 megapixels (400 MB decoded) that compresses to a few hundred KB.
    let compressed_bomb = black_png(10_000, 10_000);
    assert!(compressed_bomb.len() < 1 << 20);
    let cases: Vec<(&str, Vec<u8>, StatusCode, &str)> = vec![
        (
            "notes.png",
            b"These are my notes, not a picture.".to_vec(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "not an image",
        ),
        (
            "empty.png",
            Vec::new(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "empty",
        ),
        (
            "bomb.png",
            bomb,
            StatusCode::UNPROCESSABLE_ENTITY,
            "30000 × 30000",
        ),
        (
            "compressed-bomb.png",
            compressed_bomb,
            StatusCode::UNPROCESSABLE_ENTITY,
            "(100 megapixels); at most 50 megapixels",
        ),
        (
            "big.png",
            vec![0u8; 2 << 20],
            StatusCode::PAYLOAD_TOO_LARGE,
            "larger than the 1 MB",
        ),
    ];
    for (name, bytes, status, message) in cases {
        let response = upload(&app, &editor, name, bytes, "Kept alt").await;
        assert_eq!(response.status(), status, "{name}");
        let doc = parse_html(&response.text().await.unwrap());
        assert!(
            text_of(&doc, "#file-error").contains(message),
            "{name}: {}",
            text_of(&doc, "#file-error")
        );
        assert_eq!(attr_of(&doc, "#f-file", "aria-invalid"), "true");
        assert_eq!(
            attr_of(&doc, "#f-alt", "value"),
            "Kept alt",
            "{name}: the alt text is kept"
        );
    }
    let library = html(&app, &editor, "/admin/media").await;
    assert!(
        select(&library, ".media-grid li").is_empty(),
        "nothing was added"
    );

    // Without the form's token, nothing happens.
    let form = Form::new().part(
        "file",
        Part::bytes(picture(10, 10, ImageFormat::Png)).file_name("a.png"),
    );
    let response = editor
        .post(app.url("/admin/media"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    // The token must come before the file: one sent after it is never reached.
    let token = app.csrf_token(&editor, "/admin/media").await;
    let form = Form::new()
        .part(
            "file",
            Part::bytes(picture(10, 10, ImageFormat::Png)).file_name("a.png"),
        )
        .text("csrf_token", token);
    let response = editor
        .post(app.url("/admin/media"))
        .multipart(form)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let library = html(&app, &editor, "/admin/media").await;
    assert!(select(&library, ".media-grid li").is_empty());
}

fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = flate2::Crc::new();
    crc.update(bytes);
    crc.sum()
}

/// A valid PNG of black RGBA pixels, compressed a row at a time.
fn black_png(width: u32, height: u32) -> Vec<u8> {
    use std::io::Write;
    let chunk = |png: &mut Vec<u8>, kind: &[u8], data: &[u8]| {
        png.extend((data.len() as u32).to_be_bytes());
        let mut typed = kind.to_vec();
        typed.extend(data);
        png.extend(&typed);
        png.extend(crc32(&typed).to_be_bytes());
    };
    let row = vec![0u8; 1 + width as usize * 4];
    let mut zlib = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..height {
        zlib.write_all(&row).unwrap();
    }
    let mut header = width.to_be_bytes().to_vec();
    header.extend(height.to_be_bytes());
    header.extend([8, 6, 0, 0, 0]);
    let mut png = b"\x89PNG\r\n\x1a\n".to_vec();
    chunk(&mut png, b"IHDR", &header);
    chunk(&mut png, b"IDAT", &zlib.finish().unwrap());
    chunk(&mut png, b"IEND", &[]);
    png
}

#[tokio::test]
async fn deleting_warns_when_in_use_and_removes_every_file() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let response = upload(
        &app,
        &editor,
        "cover.png",
        picture(700, 400, ImageFormat::Png),
        "Cover",
    )
    .await;
    let item = location(&response);
    let page = html(&app, &editor, &item).await;
    let src = attr_of(&page, "img.media-preview", "src");
    app.seed(
        SeedPost::published("illustrated", "Illustrated").markdown(&format!("![Cover]({src})")),
    );

    // Alt text is editable.
    let response = app
        .submit(&editor, &item, &item, &[("alt", "A new description")])
        .await;
    assert_eq!(location(&response), item);
    let page = html(&app, &editor, &item).await;
    assert!(
        text_of(&page, "main").contains("Illustrated"),
        "usage is listed"
    );

    let delete = format!("{item}/delete");
    let confirm = html(&app, &editor, &delete).await;
    assert!(
        text_of(&confirm, "main").contains("Warning: it is in use by 1 post or page (Illustrated)")
    );

    // A contributor cannot delete someone else's image.
    let contributor = app.signed_in_as("co@example.com", Role::Contributor).await;
    let response = contributor.get(app.url(&delete)).send().await.unwrap();
    assert_eq!(response.status(), StatusCode::FORBIDDEN);

    let response = app.submit(&editor, &delete, &delete, &[]).await;
    assert_eq!(location(&response), "/admin/media");
    assert_eq!(app.get(&src).await.status(), StatusCode::NOT_FOUND);
    assert_eq!(
        editor.get(app.url(&item)).send().await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
}

#[tokio::test]
async fn a_library_image_becomes_a_cover_with_sizes_and_variants() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let response = upload(
        &app,
        &editor,
        "harbour.jpg",
        picture(1600, 900, ImageFormat::Jpeg),
        "",
    )
    .await;
    let item = html(&app, &editor, &location(&response)).await;
    let src = attr_of(&item, "img.media-preview", "src");
    let stem = src
        .trim_start_matches("/media/")
        .trim_end_matches(".jpg")
        .to_string();

    let path = crate::editor::write(&app, &editor, "Harbour", "harbour", "save").await;
    let fields = crate::editor::editor_fields(&app, &editor, &path).await;
    // The image has no alt text of its own, so the cover needs one.
    let response = crate::editor::post(
        &app,
        &editor,
        &path,
        &crate::editor::with(fields.clone(), &[("cover", &stem), ("action", "publish")]),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let doc = parse_html(&response.text().await.unwrap());
    assert_eq!(attr_of(&doc, "#f-cover_alt", "aria-invalid"), "true");
    let response = crate::editor::post(
        &app,
        &editor,
        &path,
        &crate::editor::with(
            fields.clone(),
            &[("cover", "no-such-image"), ("cover_alt", "x")],
        ),
    )
    .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);

    let chosen = crate::editor::with(
        fields,
        &[
            ("cover", &stem),
            ("cover_alt", "Boats at dawn"),
            ("action", "publish"),
        ],
    );
    let response = crate::editor::post(&app, &editor, &path, &chosen).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let page = app.page("/harbour/", 200).await;
    let img = ".post__cover img";
    assert_eq!(attr_of(&page, img, "src"), src);
    assert_eq!(attr_of(&page, img, "width"), "1600");
    assert_eq!(attr_of(&page, img, "height"), "900");
    assert_eq!(attr_of(&page, img, "alt"), "Boats at dawn");
    assert!(attr_of(&page, img, "srcset").contains(&format!("/media/{stem}-640.jpg 640w")));
    assert!(!attr_of(&page, img, "sizes").is_empty());
    assert!(attr_of(&page, ".post__cover source", "srcset").contains(".webp 1600w"));
    assert_eq!(
        attr_of(&page, "meta[property='og:image:width']", "content"),
        "1600"
    );
    assert_eq!(
        attr_of(&page, "meta[property='og:image:height']", "content"),
        "900"
    );
    assert!(attr_of(&page, "meta[property='og:image']", "content").ends_with(&src));
    // Every image on the page has its size and alt text.
    for image in select(&page, "img") {
        assert!(image.value().attr("width").is_some() && image.value().attr("alt").is_some());
    }

    // Structured data offers the cover in the three ratios search engines ask for.
    let graph: serde_json::Value =
        serde_json::from_str(&text_of(&page, "script[type='application/ld+json']")).unwrap();
    let posting = graph["@graph"]
        .as_array()
        .unwrap()
        .iter()
        .find(|node| node["@type"] == "BlogPosting")
        .unwrap();
    let images: Vec<&str> = posting["image"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i.as_str().unwrap())
        .collect();
    assert_eq!(images.len(), 3, "{images:?}");
    for (image, ratio) in images.iter().zip(["16x9", "4x3", "1x1"]) {
        assert!(
            image.starts_with("http") && image.ends_with(&format!("-{ratio}.jpg")),
            "{image}"
        );
        let bytes = app
            .get(&image[app.base.len()..])
            .await
            .bytes()
            .await
            .unwrap();
        let decoded = image::load_from_memory(&bytes).unwrap();
        let (w, h) = (decoded.width() as f64, decoded.height() as f64);
        let expected = match ratio {
            "16x9" => 16.0 / 9.0,
            "4x3" => 4.0 / 3.0,
            _ => 1.0,
        };
        assert!((w / h - expected).abs() < 0.01, "{ratio}: {w}×{h}");
    }

    // A library image in the text gets its size and variants too.
    let fields = crate::editor::editor_fields(&app, &editor, &path).await;
    let markdown = format!("Some words.\n\n![A boat]({src})");
    crate::editor::post(
        &app,
        &editor,
        &path,
        &crate::editor::with(fields, &[("markdown", &markdown), ("action", "save")]),
    )
    .await;
    let page = app.page("/harbour/", 200).await;
    let inline = ".content img";
    assert_eq!(attr_of(&page, inline, "width"), "1600");
    assert_eq!(attr_of(&page, inline, "height"), "900");
    assert_eq!(attr_of(&page, inline, "alt"), "A boat");
    assert_eq!(attr_of(&page, inline, "loading"), "lazy");
    assert!(attr_of(&page, inline, "srcset").contains("320w"));

    // The editor shows the choice again.
    let fields = crate::editor::editor_fields(&app, &editor, &path).await;
    assert!(fields.contains(&("cover".to_string(), stem.clone())));
    assert!(fields.contains(&("cover_alt".to_string(), "Boats at dawn".to_string())));
}

/// The editor's script uploads a pasted or dropped image asking for JSON: it gets the
/// image's address and the Markdown to insert, or the problem in words, with the same
/// checks as the library's form.
#[tokio::test]
async fn an_upload_from_the_editor_answers_with_the_markdown_to_insert() {
    let app = spawn_app().await;
    let editor = app.signed_in_as("ed@example.com", Role::Editor).await;
    let send = |name: &'static str, bytes: Vec<u8>, alt: &'static str| {
        let (app, editor) = (&app, editor.clone());
        async move {
            let token = app.csrf_token(&editor, "/admin/posts/new").await;
            let form = Form::new()
                .text("csrf_token", token)
                .text("alt", alt)
                .part("file", Part::bytes(bytes).file_name(name));
            editor
                .post(app.url("/admin/media"))
                .header("Accept", "application/json")
                .multipart(form)
                .send()
                .await
                .unwrap()
        }
    };
    let added = send(
        "photo.png",
        picture(640, 480, ImageFormat::Png),
        "A [test] card",
    )
    .await;
    assert_eq!(added.status(), StatusCode::CREATED);
    let answer: serde_json::Value = added.json().await.unwrap();
    let url = answer["url"].as_str().unwrap().to_string();
    assert!(url.starts_with("/media/") && url.ends_with(".png"), "{url}");
    assert_eq!(
        answer["markdown"].as_str().unwrap(),
        format!("![A \\[test\\] card]({url})")
    );
    assert_eq!(app.get(&url).await.status(), StatusCode::OK);

    let refused = send("notes.png", b"not a picture".to_vec(), "").await;
    assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let answer: serde_json::Value = refused.json().await.unwrap();
    assert!(
        answer["error"].as_str().unwrap().contains("not an image"),
        "{answer}"
    );
    // The editor's form says where its images go.
    let page = html(&app, &editor, "/admin/posts/new").await;
    assert_eq!(
        attr_of(&page, "form.editor-form", "data-upload"),
        "/admin/media"
    );
}
