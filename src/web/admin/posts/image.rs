//! Adding an image from the editor without JavaScript: the whole editor form comes as
//! multipart with the file (the "Upload and insert" button sends it so). The image joins the
//! media library and its Markdown is added at the end of the text; a saved post keeps the
//! text as its writer's working copy (as autosave would: nothing is published), a new post
//! is saved as a draft. Either way the editor comes back with the image in the text.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};

use super::form::{Button, EditorForm, editor_page, saved, unsaved};
use super::open_for;
use super::save::{conflict, deleted_meanwhile, prepared};
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::clock::now;
use crate::domain::posts::editing::Opened;
use crate::domain::posts::{input::Intent, write};
use crate::domain::write::WriteError;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::EDITOR_LIMIT;
use crate::web::admin::media::{Stored, read_upload, store};
use crate::web::forms::{Errors, pair_value};
use crate::web::respond::{private, see_other, set_notice, use_case};

/// The alt text put in the Markdown when none was given: selected to be typed over.
pub const ALT_PLACEHOLDER: &str = "Describe the image";

pub async fn add_image_to_new(
    state: web::Data<AppState>,
    me: Staff,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    add_image(&state, &me, None, payload).await
}

pub async fn add_image_to_post(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    add_image(&state, &me, Some(id.into_inner()), payload).await
}

async fn add_image(
    state: &AppState,
    me: &Staff,
    id: Option<i64>,
    payload: Multipart,
) -> AppResult<HttpResponse> {
    me.require(Permission::UploadMedia)?;
    me.require(Permission::WriteDrafts)?;
    let limits = (state.config.upload_limit, EDITOR_LIMIT);
    let upload = read_upload(me.session(), payload, "image", limits).await?;
    let mut form = EditorForm::from_pairs(&upload.fields)?;
    let alt = pair_value(&upload.fields, "image_alt").to_string();
    // Someone else's post is refused before anything is stored.
    let opened = match id {
        Some(id) => Some(open_for(state, me, id).await?.0),
        None => None,
    };
    let uploader = (me.actor(), Some(me.user().id));
    let stored = match store(state, uploader, upload, &alt).await? {
        Ok(stored) => stored,
        Err((status, errors)) => {
            let errors = errors.renamed(&[("file", "image"), ("alt", "image_alt")]);
            let context = match &opened {
                Some(opened) => saved(me, opened, &form, now()),
                None => unsaved(me, form.kind()?, &form),
            };
            let mut page = editor_page(state, me, context, &errors, None).await?;
            page.keep_image_alt(&alt);
            return private(status, &page);
        }
    };
    form.add_paragraph(&stored.markdown(ALT_PLACEHOLDER));
    set_notice(me.session(), &added_notice(&stored));
    match opened {
        Some(opened) => keep(state, me, opened, form).await,
        None => create(state, me, form).await,
    }
}

fn added_notice(stored: &Stored) -> String {
    match stored.alt.is_empty() {
        true => format!(
            "Image added to the library and at the end of the text. Replace “{ALT_PLACEHOLDER}” with what it shows, then save."
        ),
        false => "Image added to the library and at the end of the text; save to keep it.".into(),
    }
}

/// A saved post: the text with the image becomes the working copy the editor shows.
async fn keep(
    state: &AppState,
    me: &Staff,
    opened: Opened,
    form: EditorForm,
) -> AppResult<HttpResponse> {
    let post_id = opened.post.id;
    match super::autosave::keep(state, me, post_id, &form).await? {
        Ok(()) => Ok(see_other(&format!("/admin/posts/{post_id}"))),
        // Saved by someone meanwhile: their text beside ours, as a save would show it.
        Err(WriteError::Conflict) => conflict(state, me, post_id, &form).await,
        // Deleted for good meanwhile: the text (image included) comes back as a new post.
        Err(WriteError::NotFound) => deleted_meanwhile(state, me, &form).await,
        Err(WriteError::Invalid(errors)) => {
            let context = saved(me, &opened, &form, now());
            let page = editor_page(state, me, context, &errors, None).await?;
            private(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(refused) => Err(refused.into()),
    }
}

/// A new post: saved as a draft with the image in it, or the form again with its problems
/// (the image stays in the text, and in the library).
async fn create(state: &AppState, me: &Staff, form: EditorForm) -> AppResult<HttpResponse> {
    let kind = form.kind()?;
    let prepared = match prepared(state, me, &form, kind, Button::Save(Intent::Save)).await? {
        Ok(prepared) => prepared,
        Err(errors) => return form_again(state, me, &form, &errors).await,
    };
    let actor = me.actor();
    let created = use_case(state, move |conn, head| {
        write::create(conn, &actor, prepared, head.now)
    })
    .await?;
    match created {
        Ok(saved) => Ok(see_other(&format!("/admin/posts/{}", saved.id))),
        Err(WriteError::Invalid(errors)) => form_again(state, me, &form, &errors).await,
        Err(refused) => Err(refused.into()),
    }
}

async fn form_again(
    state: &AppState,
    me: &Staff,
    form: &EditorForm,
    errors: &Errors,
) -> AppResult<HttpResponse> {
    let page = editor_page(state, me, unsaved(me, form.kind()?, form), errors, None).await?;
    private(StatusCode::UNPROCESSABLE_ENTITY, &page)
}
