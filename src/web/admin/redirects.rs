//! Redirects in the admin: list, add, edit and delete 301 and 302 redirects. A redirect to
//! itself, or one that would lead round in a loop, is refused with the reason.

use crate::web::admin::frame::admin_layout;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::domain::input::search_text;
use crate::domain::redirects::{self, Redirect, RedirectOrder, Target};
use crate::domain::write::WriteError;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::admin::confirm::{self, Question};
use crate::web::admin::listing::{Column, SortKey, columns};
use crate::web::forms::Empty;
use crate::web::forms::{Errors, Field};
use crate::web::pager::{Pagination, page_param};
use crate::web::respond::{invalid, ok, see_other, set_notice, take_notice, use_case};
use crate::web::views::Layout;

const PER_PAGE: i64 = 100;

#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct RedirectForm {
    from_path: String,
    to_path: String,
    code: String,
}

impl RedirectForm {
    fn from_redirect(redirect: &Redirect) -> RedirectForm {
        RedirectForm {
            from_path: redirect.from_path.clone(),
            to_path: redirect.to_path.clone(),
            code: redirect.code.to_string(),
        }
    }

    fn fields(&self, errors: &Errors) -> Vec<Field> {
        vec![
            Field::new("from_path", "From", "text")
                .value(&self.from_path)
                .required()
                .max(redirects::MAX_PATH)
                .hint("An address on this site, such as /2019/05/old-post/. It applies only where no page answers.")
                .error(errors.get("from_path")),
            Field::new("to_path", "To", "text")
                .value(&self.to_path)
                .required()
                .max(redirects::MAX_PATH)
                .hint("An address on this site, such as /new-post/, or a full https:// address.")
                .error(errors.get("to_path")),
            Field::new("code", "Kind", "select")
                .options([
                    ("301", "301: moved for good"),
                    ("302", "302: moved for now"),
                ])
                .value(if self.code.is_empty() { "301" } else { &self.code })
                .error(errors.get("code")),
        ]
    }
}

// ---- The list ----

#[derive(Template)]
#[template(path = "admin/redirects.html")]
struct RedirectsPage {
    layout: Layout,
    notice: Option<String>,
    csrf: String,
    redirects: Vec<Redirect>,
    fields: Vec<Field>,
    text: String,
    sort: &'static str,
    total: i64,
    columns: Vec<Column>,
    pagination: Pagination,
}

/// The redirects' orders: by source (the default), or by target.
const SORTS: [SortKey; 2] = [
    SortKey::new("from", "From", true),
    SortKey::new("to", "To", true),
];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListParams {
    q: String,
    sort: String,
    page: String,
}

/// Which redirects the list shows.
struct Listing {
    text: String,
    sort: SortKey,
    page: i64,
}

async fn redirects_page(
    state: &AppState,
    me: &Staff,
    listing: Listing,
    form: &RedirectForm,
    errors: &Errors,
) -> AppResult<RedirectsPage> {
    let (text, page) = (listing.text.clone(), listing.page);
    let order = match listing.sort.key {
        "to" => RedirectOrder::To,
        _ => RedirectOrder::From,
    };
    let (redirects, total) = state
        .db
        .run(move |conn| redirects::page(conn, (&text, order), page, PER_PAGE))
        .await?;
    let sort = listing.sort.param(&SORTS);
    let filters = [("q", listing.text.as_str())];
    let headers = [
        ("From", Some(SORTS[0])),
        ("To", Some(SORTS[1])),
        ("Kind", None),
        ("Change", None),
    ];
    Ok(RedirectsPage {
        layout: admin_layout(state, me, "/admin/redirects", "Redirects").await?,
        notice: take_notice(me.session()),
        csrf: csrf::token(me.session())?,
        redirects,
        fields: form.fields(errors),
        columns: columns("/admin/redirects", &filters, &headers, &SORTS, listing.sort),
        pagination: Pagination::by_query(
            "/admin/redirects",
            &[("q", &listing.text), ("sort", sort)],
            page,
            page * PER_PAGE < total,
        )
        .counting(total, PER_PAGE),
        total,
        sort,
        text: listing.text,
    })
}

pub async fn list_redirects(
    state: web::Data<AppState>,
    me: Staff,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ManageRedirects)?;
    let listing = Listing {
        text: search_text(&params.q, 200).map_err(AppError::BadRequest)?,
        sort: SortKey::pick(&SORTS, &params.sort),
        page: page_param(&params.page)?,
    };
    let form = RedirectForm::default();
    ok(&redirects_page(&state, &me, listing, &form, &Errors::default()).await?)
}

pub async fn create_redirect(
    state: web::Data<AppState>,
    me: Staff,
    CsrfForm(form): CsrfForm<RedirectForm>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ManageRedirects)?;
    let (actor, base_url, typed) = (me.actor(), state.config.base_url.clone(), form.clone());
    let created = use_case(&state, move |conn, head| {
        let target = Target::parse_on(&base_url, &typed.from_path, &typed.to_path, &typed.code)?;
        redirects::add(conn, &actor, &target, head.now)
    })
    .await?;
    match created {
        Ok(_) => {
            set_notice(me.session(), "Redirect added.");
            Ok(see_other("/admin/redirects"))
        }
        Err(WriteError::Invalid(errors)) => invalid(
            &redirects_page(
                &state,
                &me,
                Listing {
                    text: String::new(),
                    sort: SORTS[0],
                    page: 1,
                },
                &form,
                &errors,
            )
            .await?,
        ),
        Err(refused) => Err(refused.into()),
    }
}

// ---- One redirect ----

#[derive(Template)]
#[template(path = "admin/redirect.html")]
struct RedirectPage {
    layout: Layout,
    notice: Option<String>,
    csrf: String,
    id: i64,
    fields: Vec<Field>,
}

async fn open_redirect(state: &AppState, me: &Staff, id: i64) -> AppResult<Redirect> {
    me.require(Permission::ManageRedirects)?;
    state
        .db
        .run(move |conn| redirects::by_id(conn, id))
        .await?
        .ok_or(AppError::NotFound)
}

async fn redirect_page(
    state: &AppState,
    me: &Staff,
    id: i64,
    form: &RedirectForm,
    errors: &Errors,
) -> AppResult<RedirectPage> {
    Ok(RedirectPage {
        layout: admin_layout(
            state,
            me,
            &format!("/admin/redirects/{id}"),
            "Edit redirect",
        )
        .await?,
        notice: take_notice(me.session()),
        csrf: csrf::token(me.session())?,
        id,
        fields: form.fields(errors),
    })
}

pub async fn edit_redirect(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let redirect = open_redirect(&state, &me, id.into_inner()).await?;
    let form = RedirectForm::from_redirect(&redirect);
    ok(&redirect_page(&state, &me, redirect.id, &form, &Errors::default()).await?)
}

pub async fn save_redirect(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<RedirectForm>,
) -> AppResult<HttpResponse> {
    let redirect = open_redirect(&state, &me, id.into_inner()).await?;
    let id = redirect.id;
    let (actor, base_url, typed) = (me.actor(), state.config.base_url.clone(), form.clone());
    let saved = use_case(&state, move |conn, head| {
        let target = Target::parse_on(&base_url, &typed.from_path, &typed.to_path, &typed.code)?;
        redirects::change(conn, &actor, id, &target, head.now)
    })
    .await?;
    match saved {
        Ok(()) => {
            set_notice(me.session(), "Redirect saved.");
            Ok(see_other("/admin/redirects"))
        }
        Err(WriteError::Invalid(errors)) => {
            invalid(&redirect_page(&state, &me, id, &form, &errors).await?)
        }
        Err(refused) => Err(refused.into()),
    }
}

pub async fn confirm_delete_redirect(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let redirect = open_redirect(&state, &me, id.into_inner()).await?;
    confirm::ask(
        &state,
        &me,
        Question {
            heading: format!("Delete the redirect from {}?", redirect.from_path),
            explanation: vec![format!(
                "{} will stop leading to {} and answer “not found” unless a page takes its place.",
                redirect.from_path, redirect.to_path
            )],
            action: format!("/admin/redirects/{}/delete", redirect.id),
            hidden: Vec::new(),
            button: "Delete the redirect".into(),
            cancel: "/admin/redirects".into(),
        },
    )
    .await
}

pub async fn delete_redirect(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let redirect = open_redirect(&state, &me, id.into_inner()).await?;
    let (id, actor) = (redirect.id, me.actor());
    use_case(&state, move |conn, head| {
        redirects::remove(conn, &actor, id, head.now)
    })
    .await??;
    set_notice(me.session(), "Redirect deleted.");
    Ok(see_other("/admin/redirects"))
}
