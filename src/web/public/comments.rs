//! Readers' comments: posting, replying, editing and deleting one's own, reporting, and the
//! later pages of a conversation. Every action is a plain form (POST with a CSRF token) that
//! returns to the comment it concerns; a refused text comes back in its form with the reason.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::SignedIn;
use crate::auth::rate_limit::{AccountKey, Action};
use crate::clock::now;
use crate::domain::comments::guests::GuestInput;
use crate::domain::comments::write::{self as comment_write, NewComment};
use crate::domain::comments::{self, Comment, Status, Viewer, Who, notify, rules};
use crate::domain::input::FieldErrors;
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::render::SafeHtml;
use crate::state::AppState;
use crate::web::account::client_ip;
use crate::web::conversation::page_url;
use crate::web::forms::{Empty, Field};
use crate::web::respond::{invalid, layout, ok, see_other, set_notice, use_case};
use crate::web::views::Layout;

/// A comment's form on a page of its own: a reply, an edit, or a refused comment again.
#[derive(Template)]
#[template(path = "public/comment_form.html")]
pub(super) struct CommentFormPage {
    layout: Layout,
    heading: String,
    /// The comment answered or changed, shown above the form.
    quoted: Option<Quoted>,
    action: String,
    csrf: String,
    post_id: String,
    parent_id: String,
    field: Field,
    /// A guest's name, address and website, when no one is signed in.
    guest: Option<GuestFields>,
    /// New comments and replies offer reply mail; an edit keeps what was chosen.
    offer_notify: bool,
    notify: bool,
    submit: &'static str,
    back: String,
}

/// What a guest tells about themselves; the text field follows.
pub(super) struct GuestFields {
    pub name: Field,
    pub email: Field,
    pub website: Field,
}

impl GuestFields {
    pub(super) fn new(input: &GuestInput, errors: &FieldErrors) -> GuestFields {
        GuestFields {
            name: Field::display_name()
                .value(&input.name)
                .error(errors.get("display_name")),
            email: Field::email("email", "Email")
                .value(&input.email)
                .hint("Never shown. We mail a link to it that publishes your comment.")
                .error(errors.get("email")),
            website: Field::new("website", "Website (optional)", "url")
                .value(&input.website)
                .autocomplete("url")
                .max(500)
                .error(errors.get("website")),
        }
    }
}

impl CommentFormPage {
    fn guest_error(&self) -> bool {
        self.guest.as_ref().is_some_and(|g| {
            g.name.error.is_some() || g.email.error.is_some() || g.website.error.is_some()
        })
    }
}

struct Quoted {
    author: String,
    html: SafeHtml,
}

fn text_field(text: &str, error: Option<String>) -> Field {
    Field::new("text", "Your comment", "textarea")
        .value(text)
        .required()
        .max(rules::MAX_CHARS)
        .hint("Markdown works: *emphasis*, **strong**, `code`, [links](https://…), > quotes and lists.")
        .error(error)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct CommentInput {
    post_id: String,
    parent_id: String,
    text: String,
    /// Ticked: mail me when someone replies.
    notify: Option<String>,
}

/// The slug of the live post a comment is under, for links back; 404 for a post readers
/// cannot see (its slug is not for them either).
pub(super) async fn slug_of(state: &AppState, post_id: i64) -> AppResult<String> {
    state
        .db
        .run(move |conn| crate::domain::posts::live_slug(conn, post_id, now()))
        .await?
        .ok_or(AppError::NotFound)
}

/// Where a comment is read: its page of the conversation (as `viewer` sees it), at its
/// anchor.
pub(super) async fn permalink(
    state: &AppState,
    comment: Comment,
    viewer: Viewer,
) -> AppResult<String> {
    let site = std::sync::Arc::clone(&state.site);
    let id = comment.id;
    let (slug, page) = state
        .db
        .run(move |conn| {
            let order = site.current(conn, now())?.settings.comments.order;
            let slug = crate::domain::posts::live_slug(conn, comment.post_id, now())?
                .ok_or(AppError::NotFound)?;
            let page = comments::page_of(conn, &comment, order, viewer)?;
            Ok::<_, AppError>((slug, page))
        })
        .await?;
    Ok(format!("{}#comment-{id}", page_url(&slug, page)))
}

/// How a signed-in reader sees a conversation: their own waiting comments, and everything
/// waiting when they moderate.
fn viewer_of(me: &SignedIn) -> Viewer {
    Viewer {
        user_id: Some(me.user.id),
        moderator: me
            .role()
            .can(crate::auth::permissions::Permission::ModerateComments),
    }
}

pub(super) fn parse_id(raw: &str) -> Option<i64> {
    raw.trim().parse::<i64>().ok().filter(|id| *id > 0)
}

pub(super) async fn find(state: &AppState, id: i64) -> AppResult<Comment> {
    state
        .db
        .run(move |conn| comments::by_id(conn, id))
        .await?
        .ok_or(AppError::NotFound)
}

/// What a comment's form page shows besides its post: the heading, where it posts, the
/// comment answered, what was typed and what was wrong with it.
pub(super) struct FormContent<'a> {
    pub heading: &'a str,
    pub action: String,
    pub post_id: i64,
    pub parent: Option<&'a Comment>,
    pub text: &'a str,
    /// `None` for an edit (reply mail is chosen when a comment is posted).
    pub notify: Option<bool>,
    pub error: Option<String>,
    pub submit: &'static str,
    /// For a guest: who they say they are.
    pub guest: Option<GuestFields>,
}

pub(super) async fn form_page(
    state: &AppState,
    session: &Session,
    content: FormContent<'_>,
) -> AppResult<CommentFormPage> {
    let FormContent {
        heading,
        action,
        post_id,
        parent,
        text,
        notify,
        error,
        submit,
        guest,
    } = content;
    let slug = slug_of(state, post_id).await?;
    Ok(CommentFormPage {
        layout: layout(state, &action, heading).await?,
        heading: heading.to_string(),
        quoted: parent.map(|c| Quoted {
            author: c.author_name.clone(),
            html: SafeHtml::from_stored(c.html.clone()),
        }),
        action,
        csrf: csrf::token(session)?,
        post_id: post_id.to_string(),
        parent_id: parent.map(|p| p.id.to_string()).unwrap_or_default(),
        field: text_field(text, error),
        guest,
        offer_notify: notify.is_some(),
        notify: notify.unwrap_or(false),
        submit,
        back: match parent {
            Some(p) => format!("/comments/{}", p.id),
            None => format!("/{slug}/#respond"),
        },
    })
}

/// Posts a comment (or a reply) and returns to it.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: SignedIn,
    CsrfForm(input): CsrfForm<CommentInput>,
) -> AppResult<HttpResponse> {
    let post_id = parse_id(&input.post_id).ok_or(AppError::NotFound)?;
    let parent_id = match input.parent_id.trim() {
        "" => None,
        raw => Some(parse_id(raw).ok_or(AppError::NotFound)?),
    };
    state.limits.check(
        Action::Comment,
        client_ip(&req),
        Some(&AccountKey::user(me.user.id)),
    )?;
    let new = NewComment {
        post_id,
        parent_id,
        text: input.text.clone(),
        notify_replies: input.notify.is_some(),
    };
    let actor = me.actor();
    let posted = match comment_write::prepare(&new.text) {
        Ok(prepared) => {
            use_case(&state, move |conn, head| {
                comment_write::post(conn, &actor, &new, &prepared, head.now)
            })
            .await?
        }
        Err(errors) => Err(WriteError::Invalid(errors)),
    };
    match posted {
        Ok(posted) => {
            let comment = find(&state, posted.id).await?;
            let notice = match (posted.status, posted.held_because) {
                (Status::Approved, _) => "Your comment is published.".to_string(),
                (Status::Pending, Some(why)) => format!(
                    "Thank you. Your comment waits for a moderator ({why}); only you see it until then."
                ),
                _ => "Thank you. Your comment waits for a moderator; only you see it until then."
                    .to_string(),
            };
            set_notice(&me.session, &notice);
            Ok(see_other(
                &permalink(&state, comment, viewer_of(&me)).await?,
            ))
        }
        Err(WriteError::Invalid(errors)) => {
            // Only a live comment is quoted back: the form never shows what readers may not.
            let parent = match parent_id {
                Some(id) => Some(find(&state, id).await?)
                    .filter(|p| p.status == Status::Approved && p.post_id == post_id),
                None => None,
            };
            let page = form_page(
                &state,
                &me.session,
                FormContent {
                    heading: if parent.is_some() {
                        "Reply"
                    } else {
                        "Your comment"
                    },
                    action: "/comments".into(),
                    post_id,
                    parent: parent.as_ref(),
                    text: &input.text,
                    notify: Some(input.notify.is_some()),
                    error: errors.get("text"),
                    submit: "Post comment",
                    guest: None,
                },
            )
            .await?;
            invalid(&page)
        }
        Err(refused) => Err(refused.into()),
    }
}

/// A reply's form, under the comment it answers: a member's, or a guest's where guests
/// may comment (anyone else is asked to sign in first).
pub async fn reply_form(
    state: web::Data<AppState>,
    req: HttpRequest,
    me: Option<SignedIn>,
    session: Session,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let parent = find(&state, id.into_inner()).await?;
    if parent.status != Status::Approved {
        return Err(AppError::NotFound);
    }
    let guest = match &me {
        Some(_) => None,
        None if guests_welcome(&state).await? => Some(GuestFields::new(
            &GuestInput::default(),
            &FieldErrors::default(),
        )),
        None => {
            return Err(AppError::SignInRequired {
                next: req.path().to_string(),
            });
        }
    };
    let heading = format!("Reply to {}", parent.author_name);
    let page = form_page(
        &state,
        &session,
        FormContent {
            heading: &heading,
            action: if guest.is_some() {
                "/comments/guest".into()
            } else {
                "/comments".into()
            },
            post_id: parent.post_id,
            parent: Some(&parent),
            text: "",
            notify: Some(false),
            error: None,
            submit: "Post reply",
            guest,
        },
    )
    .await?;
    ok(&page)
}

/// Whether the site takes comments from guests who confirm their address.
pub(super) async fn guests_welcome(state: &AppState) -> AppResult<bool> {
    let site = std::sync::Arc::clone(&state.site);
    state
        .db
        .run(move |conn| {
            Ok::<_, AppError>(site.current(conn, now())?.settings.comments.who == Who::Guests)
        })
        .await
}

/// Sends a reader to a comment wherever it is in its conversation.
pub async fn show(state: web::Data<AppState>, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let comment = find(&state, id.into_inner()).await?;
    if !matches!(comment.status, Status::Approved | Status::Deleted) {
        return Err(AppError::NotFound);
    }
    Ok(see_other(
        &permalink(&state, comment, Viewer::default()).await?,
    ))
}

async fn own_comment(state: &AppState, me: &SignedIn, id: i64) -> AppResult<Comment> {
    let comment = find(state, id).await?;
    // One's own comment as long as it is one's own to change: live or waiting, not
    // deleted, and not what a moderator removed.
    if comment.user_id != Some(me.user.id)
        || !matches!(comment.status, Status::Approved | Status::Pending)
    {
        return Err(AppError::NotFound);
    }
    Ok(comment)
}

pub async fn edit_form(
    state: web::Data<AppState>,
    me: SignedIn,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let comment = own_comment(&state, &me, id.into_inner()).await?;
    let error = (!comment.editable_by(me.user.id, now())).then(|| {
        format!(
            "A comment can be edited for {} minutes after it is posted; this one can only be deleted now.",
            rules::EDIT_MINUTES
        )
    });
    let page = form_page(
        &state,
        &me.session,
        FormContent {
            heading: "Edit your comment",
            action: format!("/comments/{}/edit", comment.id),
            post_id: comment.post_id,
            parent: None,
            text: &comment.markdown,
            notify: None,
            error,
            submit: "Save",
            guest: None,
        },
    )
    .await?;
    ok(&page)
}

pub async fn save_edit(
    state: web::Data<AppState>,
    me: SignedIn,
    id: web::Path<i64>,
    CsrfForm(input): CsrfForm<CommentInput>,
) -> AppResult<HttpResponse> {
    let comment = own_comment(&state, &me, id.into_inner()).await?;
    let (actor, comment_id) = (me.actor(), comment.id);
    let saved = match comment_write::prepare(&input.text) {
        Ok(prepared) => {
            use_case(&state, move |conn, head| {
                comment_write::edit(conn, &actor, comment_id, &prepared, head.now)
            })
            .await?
        }
        Err(errors) => Err(WriteError::Invalid(errors)),
    };
    match saved {
        Ok(status) => {
            set_notice(
                &me.session,
                if status == Status::Approved {
                    "Your comment is saved."
                } else {
                    "Your comment is saved and waits for a moderator."
                },
            );
            let comment = find(&state, comment_id).await?;
            Ok(see_other(
                &permalink(&state, comment, viewer_of(&me)).await?,
            ))
        }
        Err(WriteError::Invalid(errors)) => {
            let page = form_page(
                &state,
                &me.session,
                FormContent {
                    heading: "Edit your comment",
                    action: format!("/comments/{comment_id}/edit"),
                    post_id: comment.post_id,
                    parent: None,
                    text: &input.text,
                    notify: None,
                    error: errors.get("text"),
                    submit: "Save",
                    guest: None,
                },
            )
            .await?;
            invalid(&page)
        }
        Err(refused) => Err(refused.into()),
    }
}

/// Asks before deleting one's own comment.
#[derive(Template)]
#[template(path = "public/comment_delete.html")]
struct DeletePage {
    layout: Layout,
    csrf: String,
    id: i64,
    html: SafeHtml,
    back: String,
}

pub async fn confirm_delete(
    state: web::Data<AppState>,
    me: SignedIn,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let comment = own_comment(&state, &me, id.into_inner()).await?;
    let path = format!("/comments/{}/delete", comment.id);
    ok(&DeletePage {
        layout: layout(&state, &path, "Delete your comment?").await?,
        csrf: csrf::token(&me.session)?,
        id: comment.id,
        html: SafeHtml::from_stored(comment.html.clone()),
        back: format!("/comments/{}", comment.id),
    })
}

pub async fn delete(
    state: web::Data<AppState>,
    me: SignedIn,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let comment = own_comment(&state, &me, id.into_inner()).await?;
    let (actor, comment_id, post_id) = (me.actor(), comment.id, comment.post_id);
    use_case(&state, move |conn, head| {
        comment_write::delete_own(conn, &actor, comment_id, head.now)
    })
    .await??;
    set_notice(&me.session, "Your comment is deleted.");
    let slug = slug_of(&state, post_id).await?;
    Ok(see_other(&format!("/{slug}/#comments")))
}

pub async fn report(
    state: web::Data<AppState>,
    me: SignedIn,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let comment = find(&state, id.into_inner()).await?;
    let (actor, comment_id) = (me.actor(), comment.id);
    use_case(&state, move |conn, head| {
        comment_write::report(conn, &actor, comment_id, head.now)
    })
    .await??;
    set_notice(
        &me.session,
        "Thank you for the report: a moderator will read the comment.",
    );
    Ok(see_other(
        &permalink(&state, comment, viewer_of(&me)).await?,
    ))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct UnsubscribeParams {
    token: String,
}

/// The page a reply notification's link opens: one button, so that a mail scanner
/// following links stops nothing; mail clients use the one-click POST instead.
#[derive(Template)]
#[template(path = "public/unsubscribe.html")]
struct UnsubscribePage {
    layout: Layout,
    token: String,
    done: bool,
    post: Option<(String, String)>,
}

async fn unsubscribe_page(state: &AppState, token: &str, done: bool) -> AppResult<HttpResponse> {
    let comment = notify::unsubscribed_comment(&state.config.secret_key, token)
        .ok_or_else(|| AppError::BadRequest("This link is not one Quire sent.".into()))?;
    let post = state
        .db
        .run(move |conn| {
            let Some(comment) = comments::by_id(conn, comment)? else {
                return Ok::<_, AppError>(None);
            };
            let post = crate::domain::posts::by_id(conn, comment.post_id)?;
            Ok(Some((post.title, format!("/{}/", post.slug))))
        })
        .await?;
    let page = UnsubscribePage {
        layout: layout(state, "/comments/unsubscribe", "Replies by mail").await?,
        token: token.to_string(),
        done,
        post,
    };
    ok(&page)
}

pub async fn confirm_unsubscribe(
    state: web::Data<AppState>,
    params: web::Query<UnsubscribeParams>,
) -> AppResult<HttpResponse> {
    unsubscribe_page(&state, &params.token, false).await
}

/// Stops reply mail for one comment. The signed token in the address is the authority: no
/// session and no form token, so a mail client's one-click POST (RFC 8058) works too.
pub async fn unsubscribe(
    state: web::Data<AppState>,
    params: web::Query<UnsubscribeParams>,
) -> AppResult<HttpResponse> {
    let comment = notify::unsubscribed_comment(&state.config.secret_key, &params.token)
        .ok_or_else(|| AppError::BadRequest("This link is not one Quire sent.".into()))?;
    use_case(&state, move |conn, head| {
        notify::stop_replies(conn, comment, head.now)
    })
    .await??;
    unsubscribe_page(&state, &params.token, true).await
}
