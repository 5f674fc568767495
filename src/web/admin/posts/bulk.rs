//! Bulk actions from the lists of posts and pages: the selection is checked and shown on a
//! confirmation page, then applied post by post; refusals are listed, the rest goes ahead.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;

use super::list_of;
use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::domain::posts::PostKind;
use crate::domain::posts::bulk::{self, Action, Item, MAX_ITEMS, Outcome};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::admin::frame::admin_layout;
use crate::web::forms::pair_value;
use crate::web::respond::{private, see_other, set_notice, use_case};
use crate::web::views::Layout;

#[derive(Template)]
#[template(path = "admin/bulk.html")]
struct BulkPage {
    layout: Layout,
    heading: String,
    /// Before: a question with the button that applies it; after: what happened.
    confirming: bool,
    csrf: String,
    action: &'static str,
    tag: String,
    back: String,
    outcomes: Vec<OutcomeView>,
    /// The posts that can go ahead (sent again with the confirmation).
    ready: Vec<String>,
    button: String,
}

struct OutcomeView {
    title: String,
    id: i64,
    change: Option<&'static str>,
    refused: Option<String>,
}

impl From<Outcome> for OutcomeView {
    fn from(outcome: Outcome) -> OutcomeView {
        let (change, refused) = match outcome.result {
            Ok(change) => (Some(change), None),
            Err(why) => (None, Some(why)),
        };
        OutcomeView {
            title: outcome.title,
            id: outcome.item.id,
            change,
            refused,
        }
    }
}

pub async fn bulk_posts(
    state: web::Data<AppState>,
    me: Staff,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    bulk_action(&state, &me, PostKind::Post, pairs).await
}

pub async fn bulk_pages(
    state: web::Data<AppState>,
    me: Staff,
    CsrfForm(pairs): CsrfForm<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    bulk_action(&state, &me, PostKind::Page, pairs).await
}

/// The list the form came from, filters and page included; only a list of this kind.
fn back_to(kind: PostKind, raw: &str) -> String {
    let list = list_of(kind);
    match raw.strip_prefix(list) {
        Some(rest) if rest.is_empty() || rest.starts_with('?') => raw.to_string(),
        _ => list.to_string(),
    }
}

async fn bulk_action(
    state: &AppState,
    me: &Staff,
    kind: PostKind,
    pairs: Vec<(String, String)>,
) -> AppResult<HttpResponse> {
    me.require(Permission::WriteDrafts)?;
    let value = |name: &str| pair_value(&pairs, name);
    let back = back_to(kind, value("back"));
    let mut items: Vec<Item> = Vec::new();
    for (_, raw) in pairs.iter().filter(|(key, _)| key == "post") {
        let item = Item::parse(raw)
            .ok_or_else(|| AppError::BadRequest("The selection could not be read.".into()))?;
        if !items.iter().any(|seen| seen.id == item.id) {
            items.push(item);
        }
    }
    if items.is_empty() {
        set_notice(
            me.session(),
            &format!("Select the {kind}s to change first."),
        );
        return Ok(see_other(&back));
    }
    if items.len() > MAX_ITEMS {
        set_notice(
            me.session(),
            &format!("Select at most {MAX_ITEMS} {kind}s at a time."),
        );
        return Ok(see_other(&back));
    }
    let action = match Action::parse(value("action"), value("tag")) {
        Ok(action) => action,
        Err(problem) => {
            set_notice(me.session(), &problem);
            return Ok(see_other(&back));
        }
    };
    let confirmed = value("confirm") == "yes";
    let (actor, todo, count) = (me.actor(), action.clone(), items.len());
    let outcomes = use_case(state, move |conn, head| match confirmed {
        true => bulk::apply(conn, &actor, (kind, &todo), &items, head.now),
        false => bulk::plan(conn, &actor, (kind, &todo), &items, head.now),
    })
    .await??;
    let done = outcomes.iter().filter(|o| o.result.is_ok()).count();
    if confirmed && done == count {
        set_notice(
            me.session(),
            &format!("{}: {done} {}.", action.done(), plural(kind, done)),
        );
        return Ok(see_other(&back));
    }
    let heading = if confirmed {
        format!(
            "{}: {done} of {count} {}",
            action.done(),
            plural(kind, count)
        )
    } else {
        format!("{} {count} {}?", action.verb(), plural(kind, count))
    };
    let ready: Vec<String> = outcomes
        .iter()
        .filter(|o| o.result.is_ok())
        .map(|o| o.item.as_value())
        .collect();
    let page = BulkPage {
        layout: admin_layout(state, me, list_of(kind), &heading).await?,
        button: format!(
            "{} {} {}",
            action.verb(),
            ready.len(),
            plural(kind, ready.len())
        ),
        heading,
        confirming: !confirmed,
        csrf: csrf::token(me.session())?,
        action: action.as_str(),
        tag: match &action {
            Action::AddTag(name) => name.clone(),
            _ => String::new(),
        },
        back,
        outcomes: outcomes.into_iter().map(OutcomeView::from).collect(),
        ready,
    };
    private(StatusCode::OK, &page)
}

fn plural(kind: PostKind, n: usize) -> String {
    match n {
        1 => kind.to_string(),
        _ => format!("{kind}s"),
    }
}
