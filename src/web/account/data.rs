//! A member's own data: downloading all of it, and deleting the account.

use actix_web::http::header::{CACHE_CONTROL, CONTENT_DISPOSITION, ContentType};
use actix_web::{HttpRequest, HttpResponse, web};
use serde::{Deserialize, Serialize};

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::{SignedIn, sign_out};
use crate::clock::now;
use crate::domain::accounts;
use crate::domain::sessions;
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::Field;
use crate::web::pages::{FormPage, link, message};
use crate::web::respond::{invalid, layout, ok, use_case};

#[derive(Serialize)]
struct Export {
    format: &'static str,
    exported_at: String,
    account: AccountData,
    sessions: Vec<SessionData>,
    comments: Vec<CommentData>,
    likes: Vec<LikeData>,
}

#[derive(Serialize)]
struct AccountData {
    email: String,
    display_name: String,
    slug: String,
    role: String,
    status: String,
    bio: String,
    website: String,
    created_at: String,
    updated_at: String,
}

#[derive(Serialize)]
struct CommentData {
    post: String,
    markdown: String,
    status: String,
    created_at: String,
    edited_at: Option<String>,
}

#[derive(Serialize)]
struct LikeData {
    post: String,
    liked_at: String,
}

#[derive(Serialize)]
struct SessionData {
    device: String,
    started_at: String,
    last_seen_at: String,
    expires_at: String,
}

fn iso(at: chrono::NaiveDateTime) -> String {
    at.and_utc()
        .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Everything Quire holds about the signed-in person, as a JSON download.
pub async fn export(state: web::Data<AppState>, me: SignedIn) -> AppResult<HttpResponse> {
    let id = me.user.id;
    let (rows, comments, likes) = state
        .db
        .run(move |conn| {
            Ok::<_, AppError>((
                sessions::of_user(conn, id, now())?,
                crate::domain::comments::by_author(conn, id)?,
                crate::domain::likes::liked_by(conn, id)?,
            ))
        })
        .await?;
    let user = &me.user;
    let export = Export {
        format: "quire-account-export/1",
        exported_at: iso(now()),
        account: AccountData {
            email: user.email.clone(),
            display_name: user.display_name.clone(),
            slug: user.slug.clone(),
            role: user.role.to_string(),
            status: user.status.to_string(),
            bio: user.bio.clone(),
            website: user.website.clone(),
            created_at: iso(user.created_at),
            updated_at: iso(user.updated_at),
        },
        sessions: rows
            .into_iter()
            .map(|row| SessionData {
                device: row.device,
                started_at: iso(row.created_at),
                last_seen_at: iso(row.last_seen_at),
                expires_at: iso(row.expires_at.min(row.idle_expires_at)),
            })
            .collect(),
        comments: comments
            .into_iter()
            .map(|(comment, post)| CommentData {
                post: format!("/{post}/"),
                markdown: comment.markdown,
                status: comment.status.to_string(),
                created_at: iso(comment.created_at),
                edited_at: comment.edited_at.map(iso),
            })
            .collect(),
        likes: likes
            .into_iter()
            .map(|(slug, at)| LikeData {
                post: format!("/{slug}/"),
                liked_at: iso(at),
            })
            .collect(),
    };
    let body = serde_json::to_string_pretty(&export).map_err(AppError::internal)?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::json())
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header((
            CONTENT_DISPOSITION,
            format!("attachment; filename=\"{}-data.json\"", user.slug),
        ))
        .body(body))
}

fn delete_page(
    layout: crate::web::views::Layout,
    csrf: String,
    problem: Option<String>,
) -> FormPage {
    let mut page = FormPage::new(layout, "Delete your account", "/account/delete", csrf);
    page.intro = Some(
        "This deletes your account, your profile and every session at once. It cannot be undone. \
         Download your data first if you want to keep it."
            .into(),
    );
    page.fields = vec![Field::current_password(
        "password",
        "Your password, to confirm",
    )];
    page.problem = problem;
    page.submit = "Delete my account";
    page.danger = true;
    page.links = vec![
        link("/account/export", "Download your data"),
        link("/account/", "Keep my account"),
    ];
    page
}

pub async fn show_delete(state: web::Data<AppState>, me: SignedIn) -> AppResult<HttpResponse> {
    let layout = layout(&state, "/account/delete", "Delete your account").await?;
    ok(&delete_page(layout, csrf::token(&me.session)?, None))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct DeleteForm {
    password: String,
}

pub async fn delete(
    state: web::Data<AppState>,
    me: SignedIn,
    req: HttpRequest,
    CsrfForm(form): CsrfForm<DeleteForm>,
) -> AppResult<HttpResponse> {
    let id = me.user.id;
    let problem = if !super::verify_own_password(&state, &req, id, form.password).await? {
        Some("That is not your password.".to_string())
    } else {
        let user = me.user.clone();
        match use_case(&state, move |conn, head| {
            accounts::delete_account(conn, &user, head.now)
        })
        .await?
        {
            Ok(()) => None,
            Err(WriteError::Forbidden(reason)) => Some(reason),
            Err(refused) => return Err(refused.into()),
        }
    };
    if let Some(problem) = problem {
        let layout = layout(&state, "/account/delete", "Delete your account").await?;
        return invalid(&delete_page(
            layout,
            csrf::token(&me.session)?,
            Some(problem),
        ));
    }
    sign_out(&me.session);
    message(
        &state,
        "/account/delete",
        "Your account has been deleted",
        vec!["Your account, profile and sessions are gone. Thank you for reading.".into()],
        vec![link("/", "Home page")],
    )
    .await
}
