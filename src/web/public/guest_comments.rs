//! Comments from guests, where the site takes them: a form asking for a name and an email
//! address besides the comment, a page saying where the confirmation link went, and the
//! link's page, which publishes the comment (or hands it to the moderators).
//!
//! Cached post pages carry no form token, so a guest starts from a link to
//! `/comments/new` (or a reply link), whose form does. A hidden field that people never
//! see catches the robots that fill every field: their comment is dropped, and they are
//! shown the same page as everyone else.

use actix_session::Session;
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use super::comments::{
    FormContent, GuestFields, find, form_page, guests_welcome, parse_id, permalink, slug_of,
};
use crate::auth::csrf::CsrfForm;
use crate::auth::identity::SignedIn;
use crate::auth::rate_limit::{AccountKey, Action};
use crate::domain::comments::guests::{self, Confirmed, GuestInput};
use crate::domain::comments::write::{self as comment_write, NewComment};
use crate::domain::comments::{Status, Viewer};
use crate::domain::input::FieldErrors;
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::render::SafeHtml;
use crate::state::AppState;
use crate::web::account::client_ip;
use crate::web::respond::{invalid, layout, ok, see_other, use_case};
use crate::web::views::Layout;

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct NewParams {
    post_id: String,
}

/// `/comments/new?post_id=…`: a guest's form for a new comment. Members go to the form
/// under the post; where guests may not comment, visitors are asked to sign in.
pub async fn new_form(
    state: web::Data<AppState>,
    me: Option<SignedIn>,
    session: Session,
    params: web::Query<NewParams>,
) -> AppResult<HttpResponse> {
    let post_id = parse_id(&params.post_id).ok_or(AppError::NotFound)?;
    let slug = slug_of(&state, post_id).await?;
    if me.is_some() {
        return Ok(see_other(&format!("/{slug}/#respond")));
    }
    if !guests_welcome(&state).await? {
        return Err(AppError::SignInRequired {
            next: format!("/{slug}/#respond"),
        });
    }
    let page = form_page(
        &state,
        &session,
        FormContent {
            heading: "Your comment",
            action: "/comments/guest".into(),
            post_id,
            parent: None,
            text: "",
            notify: Some(false),
            error: None,
            submit: "Post comment",
            guest: Some(GuestFields::new(
                &GuestInput::default(),
                &FieldErrors::default(),
            )),
        },
    )
    .await?;
    ok(&page)
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct GuestCommentInput {
    post_id: String,
    parent_id: String,
    display_name: String,
    email: String,
    website: String,
    text: String,
    notify: Option<String>,
    /// The hidden field: anything in it means a robot filled the form.
    homepage: String,
}

/// Where the confirmation link went.
#[derive(Template)]
#[template(path = "public/comment_sent.html")]
struct SentPage {
    layout: Layout,
    email: String,
    hours: i64,
    back: String,
}

async fn sent(state: &AppState, email: &str, slug: &str) -> AppResult<HttpResponse> {
    ok(&SentPage {
        layout: layout(state, "/comments/guest", "Check your email").await?,
        email: email.to_string(),
        hours: guests::CONFIRM_HOURS,
        back: format!("/{slug}/"),
    })
}

/// Takes a guest's comment and mails the link that publishes it.
pub async fn create(
    state: web::Data<AppState>,
    req: HttpRequest,
    session: Session,
    CsrfForm(input): CsrfForm<GuestCommentInput>,
) -> AppResult<HttpResponse> {
    let post_id = parse_id(&input.post_id).ok_or(AppError::NotFound)?;
    let parent_id = match input.parent_id.trim() {
        "" => None,
        raw => Some(parse_id(raw).ok_or(AppError::NotFound)?),
    };
    let slug = slug_of(&state, post_id).await?;
    if !input.homepage.is_empty() {
        tracing::info!("a guest comment filled the hidden field and was dropped");
        return sent(&state, input.email.trim(), &slug).await;
    }
    let guest_input = GuestInput {
        name: input.display_name.clone(),
        email: input.email.clone(),
        website: input.website.clone(),
    };
    let checked = guests::check(&guest_input);
    let prepared = comment_write::prepare(&input.text);
    let outcome = match (checked, prepared) {
        (Ok(guest), Ok(prepared)) => {
            // Per address, and per mailbox whatever the address: the mail is the cost.
            state.limits.check(
                Action::Comment,
                client_ip(&req),
                Some(&AccountKey::email(&guest.email)),
            )?;
            let new = NewComment {
                post_id,
                parent_id,
                text: String::new(),
                notify_replies: input.notify.is_some(),
            };
            let email = guest.email.as_str().to_string();
            let secret = state.config.secret_key.clone();
            use_case(&state, move |conn, head| {
                guests::receive(conn, &guest, &new, &prepared, (head, &secret))
            })
            .await?
            .map(|_| email)
        }
        (checked, prepared) => {
            let mut errors = checked.err().unwrap_or_default();
            if let Err(text) = prepared
                && let Some(message) = text.get("text")
            {
                errors.add("text", message);
            }
            Err(WriteError::Invalid(errors))
        }
    };
    match outcome {
        Ok(email) => sent(&state, &email, &slug).await,
        Err(WriteError::Invalid(errors)) => {
            let parent = match parent_id {
                Some(id) => Some(find(&state, id).await?)
                    .filter(|p| p.status == Status::Approved && p.post_id == post_id),
                None => None,
            };
            let page = form_page(
                &state,
                &session,
                FormContent {
                    heading: if parent.is_some() {
                        "Reply"
                    } else {
                        "Your comment"
                    },
                    action: "/comments/guest".into(),
                    post_id,
                    parent: parent.as_ref(),
                    text: &input.text,
                    notify: Some(input.notify.is_some()),
                    error: errors.get("text"),
                    submit: "Post comment",
                    guest: Some(GuestFields::new(&guest_input, &errors)),
                },
            )
            .await?;
            invalid(&page)
        }
        Err(refused) => Err(refused.into()),
    }
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ConfirmParams {
    token: String,
}

/// The confirmation link's page: the comment, and one button that publishes it (a mail
/// scanner opening the link publishes nothing).
#[derive(Template)]
#[template(path = "public/comment_confirm.html")]
struct ConfirmPage {
    layout: Layout,
    token: String,
    /// The waiting comment, while the link works.
    waiting: Option<Waiting>,
    /// What confirming did, once done.
    outcome: Option<String>,
    back: Option<String>,
}

struct Waiting {
    post: String,
    html: SafeHtml,
}

fn not_ours() -> AppError {
    AppError::BadRequest("This link is not one Quire sent.".into())
}

pub async fn confirm_form(
    state: web::Data<AppState>,
    params: web::Query<ConfirmParams>,
) -> AppResult<HttpResponse> {
    let id = guests::confirmed_id(&state.config.secret_key, &params.token).ok_or_else(not_ours)?;
    let found = state
        .db
        .run(move |conn| {
            let now = crate::clock::now();
            let Some(waiting) = guests::waiting(conn, id, now)? else {
                return Ok::<_, AppError>(None);
            };
            let post = crate::domain::posts::by_id(conn, waiting.post_id)?;
            Ok(Some((waiting, post.title, post.slug)))
        })
        .await?;
    let (waiting, back) = match found {
        Some((waiting, title, slug)) => (
            Some(Waiting {
                post: title,
                html: SafeHtml::from_stored(waiting.html),
            }),
            Some(format!("/{slug}/")),
        ),
        None => (None, None),
    };
    ok(&ConfirmPage {
        layout: layout(&state, "/comments/confirm", "Confirm your comment").await?,
        token: params.token.clone(),
        outcome: waiting.is_none().then(|| USED.to_string()),
        waiting,
        back,
    })
}

const USED: &str = "This link has been used already, or it has expired. A comment is published \
     once, by the first click; an unconfirmed one is deleted after two days.";

/// Publishes a guest's comment: the signed token is the authority, as the guest may open
/// the link in a browser that never saw the form.
pub async fn confirm(
    state: web::Data<AppState>,
    params: web::Query<ConfirmParams>,
) -> AppResult<HttpResponse> {
    let id = guests::confirmed_id(&state.config.secret_key, &params.token).ok_or_else(not_ours)?;
    let confirmed = use_case(&state, move |conn, head| {
        guests::confirm(conn, id, head.now)
    })
    .await?;
    let mut back = None;
    let outcome = match confirmed {
        Ok(Confirmed::Posted {
            comment,
            status: Status::Approved,
            ..
        }) => {
            let comment = find(&state, comment).await?;
            return Ok(see_other(
                &permalink(&state, comment, Viewer::default()).await?,
            ));
        }
        Ok(Confirmed::Posted {
            comment,
            status,
            held_because,
        }) => {
            let post_id = find(&state, comment).await?.post_id;
            back = Some(format!("/{}/", slug_of(&state, post_id).await?));
            // Why a comment went to spam is not told: it would teach the block list.
            waits_message(held_because.filter(|_| status == Status::Pending))
        }
        Ok(Confirmed::Used) => USED.into(),
        Err(WriteError::Invalid(errors)) => errors
            .iter()
            .map(|(_, message)| message.to_string())
            .collect::<Vec<_>>()
            .join(" "),
        Err(WriteError::Forbidden(message)) => message,
        Err(refused) => return Err(refused.into()),
    };
    let page = ConfirmPage {
        layout: layout(&state, "/comments/confirm", "Confirm your comment").await?,
        token: String::new(),
        waiting: None,
        outcome: Some(outcome),
        back,
    };
    ok(&page)
}

fn waits_message(why: Option<&str>) -> String {
    match why {
        Some(why) => format!(
            "Thank you: your address is confirmed. Your comment waits for a moderator ({why}) and appears once approved."
        ),
        None => "Thank you: your address is confirmed. Your comment waits for a moderator and appears once approved.".into(),
    }
}
