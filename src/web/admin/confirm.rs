//! The page every destructive action passes through: what will happen, one button to do
//! it, and a way back. The action itself is a POST, so a link or a prefetch never does it.

use crate::web::admin::frame::admin_layout;
use actix_web::HttpResponse;
use askama::Template;

use crate::auth::csrf;
use crate::auth::identity::Staff;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::respond::ok;
use crate::web::views::Layout;

#[derive(Template)]
#[template(path = "admin/confirm.html")]
struct ConfirmPage {
    layout: Layout,
    heading: String,
    explanation: Vec<String>,
    action: String,
    csrf: String,
    hidden: Vec<(String, String)>,
    button: String,
    cancel: String,
}

/// What to ask before an action.
pub struct Question {
    pub heading: String,
    pub explanation: Vec<String>,
    /// Where the form posts.
    pub action: String,
    pub hidden: Vec<(String, String)>,
    pub button: String,
    pub cancel: String,
}

pub async fn ask(state: &AppState, me: &Staff, question: Question) -> AppResult<HttpResponse> {
    let page = ConfirmPage {
        layout: admin_layout(state, me, &question.action, &question.heading).await?,
        csrf: csrf::token(&me.0.session)?,
        heading: question.heading,
        explanation: question.explanation,
        action: question.action,
        hidden: question.hidden,
        button: question.button,
        cancel: question.cancel,
    };
    ok(&page)
}
