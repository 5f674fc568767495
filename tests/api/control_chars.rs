//! Control characters in every text a person can type: each form answers with the form
//! again and a message, never a 500 and never a half-saved change, on both backends (a NUL
//! cannot even be sent to PostgreSQL). Query strings get a clear 400.

use image::ImageFormat;
use quire::domain::users::Role;
use reqwest::StatusCode;

use crate::helpers::*;
use crate::media::{picture, upload};

/// How many audit entries exist: every write that succeeds adds one.
fn audited(app: &TestApp) -> usize {
    app.db
        .run_blocking(|conn| quire::domain::audit::recent(conn, 100_000))
        .unwrap()
        .len()
}

/// Values for the other controls of a form, so only the NUL is wrong.
type Fill<'a> = &'a [(&'a str, &'a str)];

/// Text the control must refuse, with something valid around it.
const TYPED: &str = "fine\0text";

/// Posts the form at `action` on `page` once per typeable control, with a NUL in that one
/// control and `fill` in the others; each answer must be the form again with a message.
async fn each_field_refuses_nul(
    app: &TestApp,
    client: &reqwest::Client,
    (page, action): (&str, &str),
    fill: &[(&str, &str)],
) -> usize {
    let controls = form_controls(app, client, page, action).await;
    let typeable: Vec<String> = controls
        .iter()
        .filter(|(_, kind, _)| {
            !matches!(
                kind.as_str(),
                "hidden" | "checkbox" | "radio" | "select" | "file" | "submit"
            )
        })
        // The editor's image alt text goes only with "Upload and insert" (a NUL there is
        // refused in `editor_images`); saving ignores it.
        .filter(|(name, _, _)| name != "image_alt")
        .map(|(name, _, _)| name.clone())
        .collect();
    assert!(!typeable.is_empty(), "{action} has text to type");
    for target in &typeable {
        // Fresh each time: a refused form keeps nothing, so the token and version still hold.
        let mut form: Vec<(String, String)> = form_controls(app, client, page, action)
            .await
            .into_iter()
            .map(|(name, _, value)| (name, value))
            .collect();
        for (name, value) in fill {
            form.retain(|(n, _)| n != name);
            form.push((name.to_string(), value.to_string()));
        }
        form.retain(|(n, _)| n != target);
        form.push((target.clone(), TYPED.to_string()));
        let response = client
            .post(app.url(action))
            .form(&form)
            .send()
            .await
            .unwrap();
        let status = response.status();
        let body = response.text().await.unwrap();
        assert!(
            status == StatusCode::UNPROCESSABLE_ENTITY,
            "{action} with a NUL in {target}: {status}"
        );
        let doc = parse_html(&body);
        let says = select(&doc, ".field__error, .notice--error, [role=alert]");
        assert!(
            !says.is_empty(),
            "{action} / {target}: the page says what is wrong"
        );
    }
    typeable.len()
}

#[tokio::test]
async fn every_admin_form_refuses_control_characters_and_keeps_nothing() {
    let app = spawn_app().await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    let tag = app.tag("craft", "Craft");
    app.redirect("/old/", "/new/", 301);
    let redirect_id = app
        .db
        .run_blocking(|conn| {
            quire::domain::redirects::page(
                conn,
                ("", quire::domain::redirects::RedirectOrder::From),
                1,
                10,
            )
        })
        .unwrap()
        .0[0]
        .id;
    let member = app.user_with_password("member@example.com", Role::Member, PASSWORD);
    let uploaded = upload(
        &app,
        &owner,
        "p.png",
        picture(40, 30, ImageFormat::Png),
        "A dot",
    )
    .await;
    assert_eq!(uploaded.status(), StatusCode::SEE_OTHER);
    let media_path = location(&uploaded);
    let before = audited(&app);

    let tag_path = format!("/admin/tags/{}", tag.id);
    let redirect_path = format!("/admin/redirects/{redirect_id}");
    let person_path = format!("/admin/people/{}", member.id);
    let post_fill = [
        ("title", "A title"),
        ("markdown", "Words."),
        ("action", "save"),
    ];
    let forms: Vec<(&str, &str, Fill)> = vec![
        ("/admin/posts/new", "/admin/posts/new", &post_fill),
        ("/admin/tags", "/admin/tags", &[("name", "News")]),
        (&tag_path, &tag_path, &[]),
        (
            "/admin/redirects",
            "/admin/redirects",
            &[("from_path", "/a/"), ("to_path", "/b/")],
        ),
        (&redirect_path, &redirect_path, &[]),
        ("/admin/settings", "/admin/settings", &[]),
        (
            "/admin/members",
            "/admin/members",
            &[("email", "new@example.com"), ("display_name", "New")],
        ),
        (&person_path, &person_path, &[]),
        (
            "/admin/staff",
            "/admin/staff/invite",
            &[("email", "ed@example.com"), ("display_name", "Ed")],
        ),
        (&media_path, &media_path, &[]),
        ("/account/", "/account/", &[]),
    ];
    let mut fields = 0;
    for (page, action, fill) in forms {
        fields += each_field_refuses_nul(&app, &owner, (page, action), fill).await;
    }
    assert!(fields >= 30, "only {fields} fields were tried");
    assert_eq!(audited(&app), before, "nothing was written");
}

#[tokio::test]
async fn account_forms_refuse_control_characters() {
    let app = spawn_app().await;
    let visitor = browser();
    each_field_refuses_nul(
        &app,
        &visitor,
        ("/account/signup", "/account/signup"),
        &[
            ("email", "new@example.com"),
            ("display_name", "New"),
            ("password", PASSWORD),
        ],
    )
    .await;
    let member = app.signed_in_as("member@example.com", Role::Member).await;
    let before = audited(&app);
    each_field_refuses_nul(
        &app,
        &member,
        ("/account/", "/account/email"),
        &[("email", "other@example.com"), ("password", PASSWORD)],
    )
    .await;
    assert_eq!(audited(&app), before, "nothing was written");
}

#[tokio::test]
async fn control_characters_in_a_query_string_are_a_clear_400() {
    let app = spawn_app().await;
    let owner = app.signed_in_as("owner@example.com", Role::Owner).await;
    for path in [
        "/admin/posts?q=%00",
        "/admin/pages?q=a%00b",
        "/admin/members?q=%00",
        "/admin/media?q=%07",
        "/search?q=%00",
    ] {
        let client = if path.starts_with("/search") {
            browser()
        } else {
            owner.clone()
        };
        let response = client.get(app.url(path)).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST, "{path}");
        let page = parse_html(&response.text().await.unwrap());
        assert!(
            text_of(&page, "main").contains("control character")
                || text_of(&page, "main").contains("NUL"),
            "{path}"
        );
    }
    // Tabs and line breaks are only spaces.
    let tabbed = owner
        .get(app.url("/admin/posts?q=a%09b"))
        .send()
        .await
        .unwrap();
    assert_eq!(tabbed.status(), StatusCode::OK);
}
