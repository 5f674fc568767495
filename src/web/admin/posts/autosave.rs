//! What the editor's script asks of the server while someone writes: autosave, and the
//! text rendered for the Preview tab.
//!
//! Autosave: the script sends the whole form after a few seconds without typing.
//! A saved post's form becomes the writer's working copy (no revision, nothing readers see);
//! a new post's first autosave creates its draft, so later ones have a post to belong to.
//! Every answer is JSON for the script: what happened, or the problem in words.

use actix_web::http::StatusCode;
use actix_web::http::header::CACHE_CONTROL;
use actix_web::{HttpResponse, web};
use serde_json::json;

use super::form::{Button, EditorForm};
use super::save::prepared;
use crate::auth::csrf::CsrfForm;
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::domain::posts::{input::Intent, working_copy, write};
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::Empty;
use crate::web::respond::{see_other, set_notice, use_case};

fn answer(status: StatusCode, body: serde_json::Value) -> HttpResponse {
    HttpResponse::build(status)
        .insert_header((CACHE_CONTROL, "no-store"))
        .json(body)
}

/// A refusal as the script shows it.
fn refused(error: WriteError) -> AppResult<HttpResponse> {
    let (status, message) = match error {
        WriteError::Conflict => (
            StatusCode::CONFLICT,
            "Someone saved this post after you opened it. Save to compare their text with yours."
                .to_string(),
        ),
        WriteError::NotFound => (
            StatusCode::GONE,
            "This post was deleted meanwhile. Save to keep your text in a new post.".into(),
        ),
        WriteError::Invalid(errors) => (StatusCode::UNPROCESSABLE_ENTITY, errors.to_string()),
        WriteError::Forbidden(why) => (StatusCode::FORBIDDEN, why),
        WriteError::Database(error) => return Err(error.into()),
    };
    Ok(answer(
        status,
        json!({ "error": message, "conflict": status == StatusCode::CONFLICT }),
    ))
}

/// Keeps `form` as `me`'s working copy of the post (autosave, and an image added without a
/// script).
pub(super) async fn keep(
    state: &AppState,
    me: &Staff,
    post_id: i64,
    form: &EditorForm,
) -> AppResult<Result<(), WriteError>> {
    let (base, actor) = (form.version(), me.actor());
    let typed = serde_json::to_string(&form.for_keeping()).map_err(AppError::internal)?;
    use_case(state, move |conn, head| {
        working_copy::keep(conn, &actor, post_id, base, &typed, head.now)
    })
    .await
}

/// Keeps the form as the writer's working copy of a saved post.
pub async fn autosave_post(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<EditorForm>,
) -> AppResult<HttpResponse> {
    match keep(&state, &me, id.into_inner(), &form).await? {
        Ok(()) => Ok(answer(StatusCode::OK, json!({ "saved": true }))),
        Err(error) => refused(error),
    }
}

/// A new post's first autosave: its draft, as "Save draft" would make it. The script then
/// edits that draft (its address, version and autosave address come back).
pub async fn autosave_new(
    state: web::Data<AppState>,
    me: Staff,
    CsrfForm(form): CsrfForm<EditorForm>,
) -> AppResult<HttpResponse> {
    me.require(Permission::WriteDrafts)?;
    let kind = form.kind()?;
    let prepared = match prepared(&state, &me, &form, kind, Button::Save(Intent::Save)).await? {
        Ok(prepared) => prepared,
        Err(errors) => return refused(WriteError::Invalid(errors)),
    };
    let actor = me.actor();
    let created = use_case(&state, move |conn, head| {
        write::create(conn, &actor, prepared, head.now)
    })
    .await?;
    match created {
        Ok(saved) => Ok(answer(
            StatusCode::CREATED,
            json!({
                "saved": true,
                "id": saved.id,
                // A new post starts at its first version.
                "version": 1,
                "edit_url": format!("/admin/posts/{}", saved.id),
                "autosave_url": format!("/admin/posts/{}/autosave", saved.id),
            }),
        )),
        Err(error) => refused(error),
    }
}

/// Throws the writer's working copy away: the editor shows the saved post again.
pub async fn discard_working_copy(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let (post_id, user_id) = (id.into_inner(), me.user().id);
    let gone = state
        .db
        .run(move |conn| working_copy::discard(conn, post_id, user_id))
        .await?;
    if gone {
        set_notice(me.session(), "The autosaved changes were discarded.");
    }
    Ok(see_other(&format!("/admin/posts/{post_id}")))
}

/// The text alone, for the editor's Preview tab.
#[derive(serde::Deserialize)]
pub struct TextForm {
    markdown: String,
}

/// The text rendered as readers will see it (the same renderer as saving), for the editor's
/// Preview tab: `{html, words}`, or the problem that would stop a save.
pub async fn preview_text(
    me: Staff,
    CsrfForm(form): CsrfForm<TextForm>,
) -> AppResult<HttpResponse> {
    me.require(Permission::WriteDrafts)?;
    let rendered = web::block(move || crate::render::render(&form.markdown))
        .await
        .map_err(AppError::internal)?;
    Ok(match rendered {
        Ok(rendered) => answer(
            StatusCode::OK,
            json!({ "html": rendered.html.as_str(), "words": rendered.word_count }),
        ),
        Err(problem) => answer(
            StatusCode::UNPROCESSABLE_ENTITY,
            json!({ "error": problem.to_string() }),
        ),
    })
}
