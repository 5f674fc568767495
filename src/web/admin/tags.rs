//! Tags in the admin: the list with post counts, creating and editing (name, slug,
//! description, search engine fields), deleting, and merging one tag into another.

use crate::web::admin::frame::admin_layout;
use actix_web::{HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::clock::now;
use crate::domain::input::search_text;
use crate::domain::tags::{self, Counted, Tag, TagInput, TagOrder};
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
pub struct TagForm {
    name: String,
    slug: String,
    description: String,
    meta_title: String,
    meta_description: String,
}

impl TagForm {
    fn from_tag(tag: &Tag) -> TagForm {
        TagForm {
            name: tag.name.clone(),
            slug: tag.slug.clone(),
            description: tag.description.clone(),
            meta_title: tag.meta_title.clone().unwrap_or_default(),
            meta_description: tag.meta_description.clone().unwrap_or_default(),
        }
    }

    fn fields(&self, errors: &Errors) -> Vec<Field> {
        vec![
            Field::new("name", "Name", "text")
                .value(&self.name)
                .required()
                .max(100)
                .error(errors.get("name")),
            Field::new("slug", "Slug", "text")
                .value(&self.slug)
                .max(200)
                .hint("The tag's address, /tag/slug/. Leave empty to make one from the name.")
                .error(errors.get("slug")),
            Field::new("description", "Description", "textarea")
                .value(&self.description)
                .max(500)
                .hint("Shown at the top of the tag's page.")
                .error(errors.get("description")),
            Field::new("meta_title", "Search engine title", "text")
                .value(&self.meta_title)
                .max(300)
                .hint("Up to about 60 characters show in search results. Empty: the name.")
                .error(errors.get("meta_title")),
            Field::new("meta_description", "Search engine description", "textarea")
                .value(&self.meta_description)
                .max(500)
                .hint("Up to about 155 characters show in search results. Empty: the description.")
                .error(errors.get("meta_description")),
        ]
    }

    fn input(&self) -> TagInput {
        TagInput {
            name: self.name.clone(),
            slug: self.slug.clone(),
            description: self.description.clone(),
            meta_title: self.meta_title.clone(),
            meta_description: self.meta_description.clone(),
        }
    }
}

// ---- The list ----

#[derive(Template)]
#[template(path = "admin/tags.html")]
struct TagsPage {
    layout: Layout,
    notice: Option<String>,
    csrf: String,
    tags: Vec<Counted>,
    fields: Vec<Field>,
    text: String,
    sort: &'static str,
    total: i64,
    columns: Vec<Column>,
    pagination: Pagination,
}

/// The tag list's orders: by name (the default), or most used first.
const SORTS: [SortKey; 2] = [
    SortKey::new("name", "Name", true),
    SortKey::new("posts", "Posts", false),
];

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListParams {
    q: String,
    sort: String,
    page: String,
}

/// Which tags the list shows: those whose name holds `text`, in `sort` order, page `page`.
struct Listing {
    text: String,
    sort: SortKey,
    page: i64,
}

impl Listing {
    fn first() -> Listing {
        Listing {
            text: String::new(),
            sort: SORTS[0],
            page: 1,
        }
    }
}

async fn tags_page(
    state: &AppState,
    me: &Staff,
    listing: Listing,
    form: &TagForm,
    errors: &Errors,
) -> AppResult<TagsPage> {
    let (text, page) = (listing.text.clone(), listing.page);
    let order = match listing.sort.key {
        "posts" => TagOrder::Posts,
        _ => TagOrder::Name,
    };
    let (tags, total) = state
        .db
        .run(move |conn| tags::counted(conn, (&text, order), page, PER_PAGE, now()))
        .await?;
    let sort = listing.sort.param(&SORTS);
    let filters = [("q", listing.text.as_str())];
    let headers = [
        ("Name", Some(SORTS[0])),
        ("Address", None),
        ("Posts", Some(SORTS[1])),
        ("Published", None),
    ];
    Ok(TagsPage {
        layout: admin_layout(state, me, "/admin/tags", "Tags").await?,
        notice: take_notice(me.session()),
        csrf: csrf::token(me.session())?,
        tags,
        fields: form.fields(errors),
        columns: columns("/admin/tags", &filters, &headers, &SORTS, listing.sort),
        pagination: Pagination::by_query(
            "/admin/tags",
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

pub async fn list_tags(
    state: web::Data<AppState>,
    me: Staff,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ManageTags)?;
    let listing = Listing {
        text: search_text(&params.q, 100).map_err(AppError::BadRequest)?,
        sort: SortKey::pick(&SORTS, &params.sort),
        page: page_param(&params.page)?,
    };
    let page = tags_page(
        &state,
        &me,
        listing,
        &TagForm::default(),
        &Errors::default(),
    )
    .await?;
    ok(&page)
}

pub async fn create_tag(
    state: web::Data<AppState>,
    me: Staff,
    CsrfForm(form): CsrfForm<TagForm>,
) -> AppResult<HttpResponse> {
    me.require(Permission::ManageTags)?;
    let (input, actor) = (form.input(), me.actor());
    let created = use_case(&state, move |conn, head| {
        let fields = tags::parse(&input)?;
        tags::add(conn, &actor, &fields, head.now)
    })
    .await?;
    match created {
        Ok(tag) => {
            set_notice(me.session(), &format!("Tag “{}” created.", tag.name));
            Ok(see_other("/admin/tags"))
        }
        Err(WriteError::Invalid(errors)) => {
            invalid(&tags_page(&state, &me, Listing::first(), &form, &errors).await?)
        }
        Err(refused) => Err(refused.into()),
    }
}

// ---- One tag ----

#[derive(Template)]
#[template(path = "admin/tag.html")]
struct TagPage {
    layout: Layout,
    notice: Option<String>,
    csrf: String,
    tag: Tag,
    fields: Vec<Field>,
    /// Tags this one can be merged into: (id, name).
    others: Vec<(i64, String)>,
}

async fn open_tag(state: &AppState, me: &Staff, id: i64) -> AppResult<Tag> {
    me.require(Permission::ManageTags)?;
    state
        .db
        .run(move |conn| tags::by_id(conn, id))
        .await?
        .ok_or(AppError::NotFound)
}

async fn tag_page(
    state: &AppState,
    me: &Staff,
    tag: Tag,
    form: &TagForm,
    errors: &Errors,
) -> AppResult<TagPage> {
    let id = tag.id;
    let others = state
        .db
        .run(move |conn| {
            tags::names(conn).map(|all| all.into_iter().filter(|(i, _)| *i != id).collect())
        })
        .await?;
    Ok(TagPage {
        layout: admin_layout(state, me, &format!("/admin/tags/{id}"), "Edit tag").await?,
        notice: take_notice(me.session()),
        csrf: csrf::token(me.session())?,
        fields: form.fields(errors),
        tag,
        others,
    })
}

pub async fn edit_tag(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let tag = open_tag(&state, &me, id.into_inner()).await?;
    let form = TagForm::from_tag(&tag);
    ok(&tag_page(&state, &me, tag, &form, &Errors::default()).await?)
}

pub async fn save_tag(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<TagForm>,
) -> AppResult<HttpResponse> {
    let tag = open_tag(&state, &me, id.into_inner()).await?;
    let (id, input, actor) = (tag.id, form.input(), me.actor());
    let saved = use_case(&state, move |conn, head| {
        let fields = tags::parse(&input)?;
        tags::update(conn, &actor, id, &fields, head.now)
    })
    .await?;
    match saved {
        Ok(_) => {
            set_notice(me.session(), "Tag saved.");
            Ok(see_other(&format!("/admin/tags/{id}")))
        }
        Err(WriteError::Invalid(errors)) => {
            invalid(&tag_page(&state, &me, tag, &form, &errors).await?)
        }
        Err(refused) => Err(refused.into()),
    }
}

pub async fn confirm_delete_tag(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let tag = open_tag(&state, &me, id.into_inner()).await?;
    confirm::ask(
        &state,
        &me,
        Question {
            heading: format!("Delete the tag “{}”?", tag.name),
            explanation: vec![
                "Posts keep their text; only their link to this tag is removed.".into(),
                format!("Its page, {}, will answer “gone” (410). To send readers to another tag instead, merge the two.", tag.path()),
            ],
            action: format!("/admin/tags/{}/delete", tag.id),
            hidden: Vec::new(),
            button: "Delete the tag".into(),
            cancel: format!("/admin/tags/{}", tag.id),
        },
    )
    .await
}

pub async fn delete_tag(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(_): CsrfForm<Empty>,
) -> AppResult<HttpResponse> {
    let tag = open_tag(&state, &me, id.into_inner()).await?;
    let (id, actor) = (tag.id, me.actor());
    use_case(&state, move |conn, head| {
        tags::delete(conn, &actor, id, head.now)
    })
    .await??;
    set_notice(me.session(), &format!("Tag “{}” deleted.", tag.name));
    Ok(see_other("/admin/tags"))
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct MergeForm {
    into: String,
}

async fn merge_target(state: &AppState, source: &Tag, raw: &str) -> AppResult<Tag> {
    let into = raw
        .trim()
        .parse::<i64>()
        .ok()
        .filter(|id| *id != source.id)
        .ok_or_else(|| AppError::BadRequest("Choose another tag to merge into.".into()))?;
    state
        .db
        .run(move |conn| tags::by_id(conn, into))
        .await?
        .ok_or_else(|| AppError::BadRequest("The tag to merge into no longer exists.".into()))
}

pub async fn confirm_merge_tag(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    params: web::Query<MergeForm>,
) -> AppResult<HttpResponse> {
    let source = open_tag(&state, &me, id.into_inner()).await?;
    let target = merge_target(&state, &source, &params.into).await?;
    confirm::ask(
        &state,
        &me,
        Question {
            heading: format!("Merge “{}” into “{}”?", source.name, target.name),
            explanation: vec![
                format!(
                    "Every post tagged “{}” will be tagged “{}” instead, and “{}” will be deleted.",
                    source.name, target.name, source.name
                ),
                format!(
                    "Its page, {}, will redirect to {}.",
                    source.path(),
                    target.path()
                ),
            ],
            action: format!("/admin/tags/{}/merge", source.id),
            hidden: vec![("into".into(), target.id.to_string())],
            button: "Merge the tags".into(),
            cancel: format!("/admin/tags/{}", source.id),
        },
    )
    .await
}

pub async fn merge_tag(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<MergeForm>,
) -> AppResult<HttpResponse> {
    let source = open_tag(&state, &me, id.into_inner()).await?;
    let target = merge_target(&state, &source, &form.into).await?;
    let (from, into, actor) = (source.id, target.id, me.actor());
    use_case(&state, move |conn, head| {
        tags::merge(conn, &actor, from, into, head.now)
    })
    .await??;
    set_notice(
        me.session(),
        &format!("“{}” merged into “{}”.", source.name, target.name),
    );
    Ok(see_other(&format!("/admin/tags/{into}")))
}
