//! Opening the editor and saving it: a new post or page, an edit, a preview. Each save reads
//! the form, prepares the post (`posts::input`), and calls the use case; what comes back
//! picks the answer: 303 to the saved post, the form again with its messages (422), the
//! conflict page (409), a refusal (403), or the text back in a new post's editor when the
//! post was deleted meanwhile (410).

use actix_web::http::StatusCode;
use actix_web::http::header::{CACHE_CONTROL, ContentType};
use actix_web::{HttpResponse, web};
use serde::Deserialize;

use super::form::{Button, EditorContext, EditorForm, editor_page, saved, unsaved};
use super::open_for;
use crate::auth::csrf::CsrfForm;
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::clock::now;
use crate::domain::posts::editing::Opened;
use crate::domain::posts::input::{self, PostInput};
use crate::domain::posts::{PostKind, PostStatus, working_copy, write};
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::Errors;
use crate::web::post_page::{Found, render_post};
use crate::web::respond::{private, see_other, set_notice, use_case};
use crate::web::views::DateView;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewParams {
    kind: String,
}

pub async fn new_post(
    state: web::Data<AppState>,
    me: Staff,
    params: web::Query<NewParams>,
) -> AppResult<HttpResponse> {
    me.require(Permission::WriteDrafts)?;
    let kind = match params.kind.as_str() {
        "" => PostKind::Post,
        raw => PostKind::parse(raw)
            .ok_or_else(|| AppError::BadRequest("Unknown kind of post.".into()))?,
    };
    if kind == PostKind::Page {
        me.require(Permission::EditAnyPost)?;
    }
    let form = EditorForm::new(kind, me.user().id);
    let page = editor_page(
        &state,
        &me,
        unsaved(&me, kind, &form),
        &Errors::default(),
        None,
    )
    .await?;
    private(StatusCode::OK, &page)
}

pub async fn edit_post(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (opened, settings) = open_for(&state, &me, id.into_inner()).await?;
    let stored = EditorForm::from_post(&opened, settings.timezone);
    let (post_id, user_id) = (opened.post.id, me.user().id);
    let copy = state
        .db
        .run(move |conn| working_copy::find(conn, post_id, user_id))
        .await?;
    // Text autosaved and never saved comes back: in the form, or beside the text someone
    // saved since (the conflict view), so nothing written is lost and nothing overwritten.
    let restored = copy.and_then(|copy| {
        EditorForm::restored(&copy.form, &stored)
            .map(|form| (form, copy.base_version, copy.saved_at))
    });
    let Some((form, base_version, saved_at)) = restored else {
        let context = saved(&me, &opened, &stored, now());
        let page = editor_page(&state, &me, context, &Errors::default(), None).await?;
        return private(StatusCode::OK, &page);
    };
    let theirs = (base_version != opened.post.version).then(|| opened.post.markdown.clone());
    let context = saved(&me, &opened, &form, now());
    let mut page = editor_page(&state, &me, context, &Errors::default(), theirs).await?;
    page.restored = Some(DateView::with_time(saved_at, settings.timezone));
    private(StatusCode::OK, &page)
}

/// The form again, with the messages beside their fields (422).
async fn form_again(
    state: &AppState,
    me: &Staff,
    context: EditorContext<'_>,
    errors: &Errors,
) -> AppResult<HttpResponse> {
    let page = editor_page(state, me, context, errors, None).await?;
    private(StatusCode::UNPROCESSABLE_ENTITY, &page)
}

/// What the form asks for, checked and rendered; `Err` holds the messages to show.
pub(super) async fn prepared(
    state: &AppState,
    me: &Staff,
    form: &EditorForm,
    kind: PostKind,
    button: Button,
) -> AppResult<Result<input::Prepared, Errors>> {
    let tz = {
        let site = std::sync::Arc::clone(&state.site);
        state
            .db
            .run(move |conn| site.current(conn, now()))
            .await?
            .settings
            .timezone
    };
    let intent = match button {
        Button::Save(intent) => intent,
        Button::Preview => input::Intent::Save,
    };
    let choosers = me.role().can(Permission::EditAnyPost);
    let input: PostInput = match form.to_input(kind, intent, tz, choosers)? {
        Ok(input) => input,
        Err(errors) => return Ok(Err(errors)),
    };
    // Rendering takes time in proportion to the text: off the async workers.
    web::block(move || input::prepare(input))
        .await
        .map_err(AppError::internal)
}

pub async fn create_post(
    state: web::Data<AppState>,
    me: Staff,
    CsrfForm(form): CsrfForm<EditorForm>,
) -> AppResult<HttpResponse> {
    me.require(Permission::WriteDrafts)?;
    let (kind, button) = (form.kind()?, form.button()?);
    let prepared = match prepared(&state, &me, &form, kind, button).await? {
        Ok(prepared) => prepared,
        Err(errors) => return form_again(&state, &me, unsaved(&me, kind, &form), &errors).await,
    };
    if button == Button::Preview {
        return preview(&state, &me, prepared, None).await;
    }
    let actor = me.actor();
    let outcome = use_case(&state, move |conn, head| {
        write::create(conn, &actor, prepared, head.now)
    })
    .await?;
    match outcome {
        Ok(saved) => {
            set_notice(me.session(), saved_notice(saved.status));
            Ok(see_other(&format!("/admin/posts/{}", saved.id)))
        }
        Err(WriteError::Invalid(errors)) => {
            form_again(&state, &me, unsaved(&me, kind, &form), &errors).await
        }
        Err(refused) => Err(refused.into()),
    }
}

pub async fn save_post(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<EditorForm>,
) -> AppResult<HttpResponse> {
    let (opened, _) = match open_for(&state, &me, id.into_inner()).await {
        Err(AppError::NotFound) => return deleted_meanwhile(&state, &me, &form).await,
        opened => opened?,
    };
    let (kind, button) = (opened.post.kind, form.button()?);
    let context = || saved(&me, &opened, &form, now());
    let prepared = match prepared(&state, &me, &form, kind, button).await? {
        Ok(prepared) => prepared,
        Err(errors) => return form_again(&state, &me, context(), &errors).await,
    };
    if button == Button::Preview {
        return preview(&state, &me, prepared, Some(opened)).await;
    }
    let (post_id, version, actor) = (opened.post.id, form.version(), me.actor());
    let outcome = use_case(&state, move |conn, head| {
        write::update(conn, &actor, post_id, version, prepared, head.now)
    })
    .await?;
    match outcome {
        Ok(saved) => {
            set_notice(me.session(), saved_notice(saved.status));
            Ok(see_other(&format!("/admin/posts/{post_id}")))
        }
        Err(WriteError::Invalid(errors)) => form_again(&state, &me, context(), &errors).await,
        Err(WriteError::Conflict) => conflict(&state, &me, post_id, &form).await,
        Err(WriteError::NotFound) => deleted_meanwhile(&state, &me, &form).await,
        Err(refused) => Err(refused.into()),
    }
}

/// Someone saved the post meanwhile: their text beside ours, which stays in the form against
/// their version (409).
pub(super) async fn conflict(
    state: &AppState,
    me: &Staff,
    post_id: i64,
    form: &EditorForm,
) -> AppResult<HttpResponse> {
    let (latest, _) = open_for(state, me, post_id).await?;
    let theirs = latest.post.markdown.clone();
    let context = saved(me, &latest, form, now());
    let page = editor_page(state, me, context, &Errors::default(), Some(theirs)).await?;
    private(StatusCode::CONFLICT, &page)
}

/// The post was deleted for good while this form was open: the text comes back in a new
/// post's editor, so saving keeps it.
pub(super) async fn deleted_meanwhile(
    state: &AppState,
    me: &Staff,
    form: &EditorForm,
) -> AppResult<HttpResponse> {
    me.require(Permission::WriteDrafts)?;
    let kind = form.kind()?;
    let mut page =
        editor_page(state, me, unsaved(me, kind, form), &Errors::default(), None).await?;
    page.problem = Some(
        "This post was deleted for good while you were editing it. Your text is below: saving creates a new post."
            .into(),
    );
    private(StatusCode::GONE, &page)
}

/// The page exactly as readers would see it, not saved, never indexed or cached.
async fn preview(
    state: &AppState,
    me: &Staff,
    prepared: input::Prepared,
    current: Option<Opened>,
) -> AppResult<HttpResponse> {
    let actor = me.actor();
    let site = std::sync::Arc::clone(&state.site);
    let (preview, settings) = state
        .db
        .run(move |conn| {
            let now = now();
            let settings = site.current(conn, now)?.settings.clone();
            let preview = write::preview(conn, &actor, prepared, current.as_ref(), now);
            Ok::<_, AppError>((preview, settings))
        })
        .await?;
    let preview = preview?;
    let found = Found::preview(settings, preview.post, preview.authors, preview.tags, now())
        .with_cover(preview.cover);
    let html = render_post(state, found)?;
    Ok(HttpResponse::Ok()
        .content_type(ContentType::html())
        .insert_header((CACHE_CONTROL, "no-store"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .body(html))
}

fn saved_notice(status: PostStatus) -> &'static str {
    match status {
        PostStatus::Draft => "Saved as a draft.",
        PostStatus::Scheduled => "Saved and scheduled.",
        PostStatus::Published => "Saved and published.",
    }
}
