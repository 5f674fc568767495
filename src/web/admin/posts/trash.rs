//! The trash: moving a post there (its address answers 410) and back, and deleting it for
//! good after a confirmation page.

use actix_web::{HttpResponse, web};

use super::{list_of, open_for};
use crate::auth::csrf::CsrfForm;
use crate::auth::identity::Staff;
use crate::domain::posts::write;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::admin::confirm::{self, Question};
use crate::web::forms::Empty;
use crate::web::respond::{see_other, set_notice, use_case};

async fn set_trashed(
    state: &AppState,
    me: &Staff,
    id: i64,
    trashed: bool,
) -> AppResult<HttpResponse> {
    let actor = me.actor();
    let saved = use_case(state, move |conn, head| {
        write::set_trashed(conn, &actor, id, trashed, head.now)
    })
    .await??;
    let notice = if trashed {
        "Moved to the trash. Its address now answers “gone”."
    } else {
        "Restored from the trash."
    };
    set_notice(me.session(), notice);
    Ok(see_other(list_of(saved.kind)))
}

pub async fn trash_post(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    set_trashed(&state, &me, id.into_inner(), true).await
}

pub async fn restore_post(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    set_trashed(&state, &me, id.into_inner(), false).await
}

pub async fn confirm_delete_post(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (opened, _) = open_for(&state, &me, id.into_inner()).await?;
    let post = &opened.post;
    if post.deleted_at.is_none() {
        return Err(AppError::BadRequest(
            "Only posts in the trash can be deleted for good. Move it to the trash first.".into(),
        ));
    }
    let is_author = opened.author_ids.contains(&me.user().id);
    if !me.role().can_publish(is_author) {
        return Err(crate::web::admin::forbidden("delete posts for good"));
    }
    confirm::ask(
        &state,
        &me,
        Question {
            heading: format!("Delete “{}” for good?", post.title),
            explanation: vec![
                "The text, its revisions and its links to tags and authors are removed. This cannot be undone.".into(),
                format!("Its address, /{}/, will answer “gone” (410), so search engines drop it.", post.slug),
            ],
            action: format!("/admin/posts/{}/delete", post.id),
            hidden: Vec::new(),
            button: "Delete for good".into(),
            cancel: format!("{}?status=trash", list_of(post.kind)),
        },
    )
    .await
}

pub async fn delete_post(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let (id, actor) = (id.into_inner(), me.actor());
    let deleted = use_case(&state, move |conn, head| {
        write::delete_forever(conn, &actor, id, head.now)
    })
    .await??;
    set_notice(me.session(), "Deleted for good.");
    Ok(see_other(&format!(
        "{}?status=trash",
        list_of(deleted.kind)
    )))
}
