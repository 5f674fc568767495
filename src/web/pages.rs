//! Pages with one form or one message, shared by the account pages and the admin's
//! first-run setup: a heading, a few words, the form's fields, and links onwards.

use actix_web::HttpResponse;
use askama::Template;

use crate::error::AppResult;
use crate::state::AppState;
use crate::web::forms::{Field, Hidden};
use crate::web::respond::{layout, ok};
use crate::web::views::{Layout, Link};

/// A page with one form: most account pages.
#[derive(Template)]
#[template(path = "account/form.html")]
pub struct FormPage {
    pub layout: Layout,
    pub heading: &'static str,
    pub intro: Option<String>,
    pub notice: Option<String>,
    /// A problem with the form as a whole (e.g. "wrong email or password").
    pub problem: Option<String>,
    pub action: String,
    pub csrf: String,
    pub hidden: Vec<Hidden>,
    pub fields: Vec<Field>,
    pub submit: &'static str,
    pub danger: bool,
    pub links: Vec<Link>,
}

impl FormPage {
    pub fn new(layout: Layout, heading: &'static str, action: &str, csrf: String) -> FormPage {
        FormPage {
            layout,
            heading,
            intro: None,
            notice: None,
            problem: None,
            action: action.to_string(),
            csrf,
            hidden: Vec::new(),
            fields: Vec::new(),
            submit: "Continue",
            danger: false,
            links: Vec::new(),
        }
    }
}

/// A page that only tells something ("check your email", "this link has expired").
#[derive(Template)]
#[template(path = "account/message.html")]
pub struct MessagePage {
    pub layout: Layout,
    pub heading: &'static str,
    pub paragraphs: Vec<String>,
    pub links: Vec<Link>,
}

pub async fn message(
    state: &AppState,
    path: &str,
    heading: &'static str,
    paragraphs: Vec<String>,
    links: Vec<Link>,
) -> AppResult<HttpResponse> {
    let page = MessagePage {
        layout: layout(state, path, heading).await?,
        heading,
        paragraphs,
        links,
    };
    ok(&page)
}

pub fn link(url: &str, label: &str) -> Link {
    Link {
        url: url.into(),
        label: label.into(),
    }
}
