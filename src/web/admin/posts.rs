//! Writing: the list of posts and pages, and the editor. Who may save, publish or trash a
//! post is decided here on the server for every request, from the role and authorship.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, web};
use askama::Template;
use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::Deserialize;

use crate::auth::csrf::{self, CsrfForm};
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::clock::now;
use crate::db::write_transaction;
use crate::domain::audit::{self, Object};
use crate::domain::write::Actor;
use crate::domain::editing::{self, Editable, ListQuery, Opened, Shelf, Sort};
use crate::domain::media::{self, Media};
use crate::domain::posts::{
    AuthorLink, MAX_MARKDOWN_BYTES, NewPost, Post, PostError, PostKind, PostStatus, TagLink,
};
use crate::domain::settings::{self, SiteSettings};
use crate::domain::tags;
use crate::domain::users::{self, is_hidden_control};
use crate::error::{AppError, AppResult};
use crate::render::{self, Slug};
use crate::state::AppState;
use crate::web::forms::Empty;
use crate::web::respond::{layout, private, see_other, set_notice, take_notice};
use crate::web::admin::confirm::{self, Question};
use crate::web::admin::forbidden;
use crate::web::forms::{Errors, Field};
use crate::web::public::post::{Found, render_post};
use crate::web::views::{DateView, Layout};

const PER_PAGE: i64 = 30;
const MAX_EXCERPT: usize = 500;
const MAX_TAGS: usize = 20;
const MAX_TAG_NAME: usize = 100;
const MAX_META_TITLE: usize = 300;
const MAX_META_DESCRIPTION: usize = 500;
const MAX_URL: usize = 2000;
const MAX_COVER_ALT: usize = 300;

fn kind_of(raw: &str) -> PostKind {
    PostKind::parse(raw).unwrap_or(PostKind::Post)
}

// ---- The list ----

#[derive(Template)]
#[template(path = "admin/posts.html")]
struct ListPage {
    layout: Layout,
    heading: &'static str,
    authors: Vec<(String, String)>,
    tags: Vec<(String, String)>,
    sorts: Vec<(&'static str, &'static str)>,
    author: String,
    tag: String,
    sort: &'static str,
    notice: Option<String>,
    kind: &'static str,
    base: &'static str,
    shelf: &'static str,
    shelves: Vec<ShelfLink>,
    text: String,
    entries: Vec<EntryView>,
    page: i64,
    newer_url: Option<String>,
    older_url: Option<String>,
}

struct ShelfLink {
    url: String,
    label: &'static str,
    current: bool,
}

struct EntryView {
    id: i64,
    title: String,
    status: &'static str,
    changed: DateView,
}

#[derive(Deserialize, Default)]
#[serde(default)]
pub struct ListParams {
    status: String,
    q: String,
    author: String,
    tag: String,
    sort: String,
    page: String,
}

/// A filter's id from the query string: empty is none, anything but a number is refused.
fn filter_id(raw: &str) -> AppResult<Option<i64>> {
    match raw.trim() {
        "" => Ok(None),
        raw => raw
            .parse::<i64>()
            .map(Some)
            .map_err(|_| AppError::BadRequest("Choose a filter from the lists.".into())),
    }
}

pub async fn list_posts(
    state: web::Data<AppState>,
    me: Staff,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    list(&state, &me, PostKind::Post, params.into_inner()).await
}

pub async fn list_pages(
    state: web::Data<AppState>,
    me: Staff,
    params: web::Query<ListParams>,
) -> AppResult<HttpResponse> {
    list(&state, &me, PostKind::Page, params.into_inner()).await
}

async fn list(
    state: &AppState,
    me: &Staff,
    kind: PostKind,
    params: ListParams,
) -> AppResult<HttpResponse> {
    let (heading, base) = match kind {
        PostKind::Post => ("Posts", "/admin/posts"),
        PostKind::Page => ("Pages", "/admin/pages"),
    };
    let shelf = Shelf::parse(&params.status);
    let page = crate::web::public::optional_page(&params.page)?;
    let text: String = params.q.chars().take(200).collect();
    let (author_id, tag_id) = (filter_id(&params.author)?, filter_id(&params.tag)?);
    let sort = Sort::parse(&params.sort);
    let query = ListQuery {
        kind,
        shelf,
        text: text.clone(),
        author_id,
        tag_id,
        sort,
        page,
        per_page: PER_PAGE,
    };
    let now = now();
    let (settings, (entries, more), staff, tag_names) = state
        .db
        .run(move |conn| {
            Ok::<_, AppError>((
                settings::current(conn, now)?,
                editing::list(conn, &query, now)?,
                users::staff(conn)?,
                tags::names(conn)?,
            ))
        })
        .await?;
    let url = |shelf: Shelf, page: i64| {
        let mut pairs = url::form_urlencoded::Serializer::new(String::new());
        pairs.append_pair("status", shelf.as_str());
        if !text.is_empty() {
            pairs.append_pair("q", &text);
        }
        if let Some(author) = author_id {
            pairs.append_pair("author", &author.to_string());
        }
        if let Some(tag) = tag_id {
            pairs.append_pair("tag", &tag.to_string());
        }
        if sort != Sort::Changed {
            pairs.append_pair("sort", sort.as_str());
        }
        if page > 1 {
            pairs.append_pair("page", &page.to_string());
        }
        format!("{base}?{}", pairs.finish())
    };
    let page_view = ListPage {
        layout: layout(state, base, heading).await?,
        heading,
        authors: staff
            .into_iter()
            .map(|u| (u.id.to_string(), u.display_name))
            .collect(),
        tags: tag_names
            .into_iter()
            .map(|(id, name)| (id.to_string(), name))
            .collect(),
        sorts: Sort::ALL.iter().map(|s| (s.as_str(), s.label())).collect(),
        author: author_id.map(|id| id.to_string()).unwrap_or_default(),
        tag: tag_id.map(|id| id.to_string()).unwrap_or_default(),
        sort: sort.as_str(),
        notice: take_notice(&me.0.session),
        kind: kind.as_str(),
        base,
        shelf: shelf.as_str(),
        shelves: Shelf::ALL
            .into_iter()
            .map(|s| ShelfLink {
                url: url(s, 1),
                label: s.label(),
                current: s == shelf,
            })
            .collect(),
        entries: entries
            .into_iter()
            .map(|entry| EntryView {
                id: entry.id,
                status: describe_status(entry.status, entry.published_at, entry.deleted_at, now),
                title: entry.title,
                changed: DateView::new(entry.updated_at, settings.timezone),
            })
            .collect(),
        newer_url: (page > 1).then(|| url(shelf, page - 1)),
        older_url: more.then(|| url(shelf, page + 1)),
        page,
        text,
    };
    private(StatusCode::OK, &page_view)
}

fn describe_status(
    status: PostStatus,
    published_at: Option<NaiveDateTime>,
    deleted_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> &'static str {
    if deleted_at.is_some() {
        return "In the trash";
    }
    match status {
        PostStatus::Draft => "Draft",
        _ if published_at.is_some_and(|at| at > now) => "Scheduled",
        _ => "Published",
    }
}

// ---- The editor ----

#[derive(Template)]
#[template(path = "admin/editor.html")]
struct EditorPage {
    layout: Layout,
    heading: String,
    notice: Option<String>,
    problem: Option<String>,
    /// The text someone else saved while this form was open.
    conflict: Option<String>,
    action: String,
    csrf: String,
    version: i32,
    kind: &'static str,
    id: Option<i64>,
    fields: Vec<Field>,
    cover_fields: Vec<Field>,
    author_fields: Vec<Field>,
    status: &'static str,
    can_publish: bool,
    is_live: bool,
    is_published: bool,
    trashed: bool,
}

/// What the editor's form holds, as typed.
#[derive(Deserialize, Default, Clone)]
#[serde(default)]
pub struct EditorForm {
    kind: String,
    version: i32,
    action: String,
    title: String,
    slug: String,
    markdown: String,
    custom_excerpt: String,
    tags: String,
    featured: Option<String>,
    publish_at: String,
    meta_title: String,
    meta_description: String,
    canonical_url: String,
    noindex: Option<String>,
    author_1: String,
    author_2: String,
    author_3: String,
    /// A library image's stem, `current` for a cover from elsewhere kept as it is, or empty.
    cover: String,
    cover_alt: String,
}

/// The cover choice that keeps a cover which is not in the library (an imported one).
const CURRENT_COVER: &str = "current";

/// How many authors the editor offers to name, in order.
const AUTHOR_SLOTS: usize = 3;

impl EditorForm {
    fn author_slots(&self) -> [&str; AUTHOR_SLOTS] {
        [&self.author_1, &self.author_2, &self.author_3]
    }

    fn set_authors(&mut self, ids: &[i64]) {
        let mut ids = ids.iter().map(i64::to_string);
        self.author_1 = ids.next().unwrap_or_default();
        self.author_2 = ids.next().unwrap_or_default();
        self.author_3 = ids.next().unwrap_or_default();
    }

    /// Whether the form names authors at all (the fields only show to editors and above).
    fn names_authors(&self) -> bool {
        self.author_slots().iter().any(|s| !s.trim().is_empty())
    }

    fn from_post(opened: &Opened, tz: Tz) -> EditorForm {
        let post = &opened.post;
        let mut form = EditorForm {
            kind: post.kind.to_string(),
            version: post.version,
            action: String::new(),
            title: post.title.clone(),
            slug: post.slug.clone(),
            markdown: post.markdown.clone(),
            custom_excerpt: post.custom_excerpt.clone().unwrap_or_default(),
            tags: opened.tag_names.join(", "),
            featured: post.featured.then(|| "on".into()),
            publish_at: post
                .published_at
                .map(|at| {
                    at.and_utc()
                        .with_timezone(&tz)
                        .format("%Y-%m-%dT%H:%M")
                        .to_string()
                })
                .unwrap_or_default(),
            meta_title: post.meta_title.clone().unwrap_or_default(),
            meta_description: post.meta_description.clone().unwrap_or_default(),
            canonical_url: post.canonical_url.clone().unwrap_or_default(),
            noindex: post.noindex.then(|| "on".into()),
            ..EditorForm::default()
        };
        form.set_authors(&opened.author_ids);
        form.cover = match post.feature_image.as_deref() {
            Some(url) => Media::stem_of(url).unwrap_or(CURRENT_COVER).to_string(),
            None => String::new(),
        };
        form.cover_alt = post.feature_image_alt.clone().unwrap_or_default();
        form
    }

    /// The cover chooser: library images, newest first, and a cover kept from elsewhere.
    fn cover_fields(
        &self,
        library: &[Media],
        has_outside_cover: bool,
        errors: &Errors,
    ) -> Vec<Field> {
        let mut choices = vec![(String::new(), "No cover image".to_string())];
        if has_outside_cover {
            choices.push((
                CURRENT_COVER.into(),
                "The current image (not in the library)".into(),
            ));
        }
        choices.extend(library.iter().map(|item| {
            let label = match item.alt.trim() {
                "" => item.original_name.clone(),
                alt => format!("{} ({alt})", item.original_name),
            };
            (item.stem.clone(), label)
        }));
        vec![
            Field::new("cover", "Cover image", "select")
                .options(choices)
                .value(&self.cover)
                .hint("From the media library; upload images there first.")
                .error(errors.get("cover")),
            Field::new("cover_alt", "Cover image alt text", "text")
                .value(&self.cover_alt)
                .max(MAX_COVER_ALT)
                .hint("What the image shows. Required with a cover; empty uses the library's alt text.")
                .error(errors.get("cover_alt")),
        ]
    }

    /// The author choosers, for those who may choose: (id, name) of each staff member.
    fn author_fields(&self, staff: &[(String, String)], errors: &Errors) -> Vec<Field> {
        let mut choices = vec![(String::new(), "—".to_string())];
        choices.extend(staff.iter().cloned());
        let labels = ["First author", "Second author", "Third author"];
        let names = ["author_1", "author_2", "author_3"];
        (0..AUTHOR_SLOTS)
            .map(|n| {
                let field = Field::new(names[n], labels[n], "select")
                    .options(if n == 0 {
                        staff.to_vec()
                    } else {
                        choices.clone()
                    })
                    .value(self.author_slots()[n]);
                if n == 0 {
                    field
                        .hint("The first author is the byline's; the others follow in order.")
                        .error(errors.get("author_1"))
                } else {
                    field
                }
            })
            .collect()
    }

    fn fields(&self, errors: &Errors) -> Vec<Field> {
        let text = |name, label, value: &str, max| {
            Field::new(name, label, "text")
                .value(value)
                .max(max)
                .error(errors.get(name))
        };
        vec![
            text("title", "Title", &self.title, 255).required(),
            text("slug", "Slug", &self.slug, 200)
                .hint("The address: lowercase letters, digits and hyphens. Leave empty to make one from the title."),
            Field::new("markdown", "Text (Markdown)", "textarea")
                .value(&self.markdown)
                .error(errors.get("markdown")),
            Field::new("custom_excerpt", "Excerpt", "textarea")
                .value(&self.custom_excerpt)
                .max(MAX_EXCERPT)
                .hint("Shown in lists and as the description. Leave empty to use the opening of the text.")
                .error(errors.get("custom_excerpt")),
            text("tags", "Tags", &self.tags, 2000)
                .hint("Separated by commas, the primary tag first. New names create new tags."),
            Field::new("featured", "Featured", "checkbox").checked(self.featured.is_some()),
            Field::new("publish_at", "Publication date and time", "datetime-local")
                .value(&self.publish_at)
                .hint("In the site's time zone. Empty: now, on publishing; a future time schedules the post.")
                .error(errors.get("publish_at")),
            text("meta_title", "Search engine title", &self.meta_title, MAX_META_TITLE)
                .hint("Up to about 60 characters show in search results."),
            Field::new("meta_description", "Search engine description", "textarea")
                .value(&self.meta_description)
                .max(MAX_META_DESCRIPTION)
                .hint("Up to about 155 characters show in search results.")
                .error(errors.get("meta_description")),
            Field::new("canonical_url", "Canonical URL", "url")
                .value(&self.canonical_url)
                .max(MAX_URL)
                .hint("Only when the text first appeared elsewhere.")
                .error(errors.get("canonical_url")),
            Field::new("noindex", "Hide from search engines", "checkbox").checked(self.noindex.is_some()),
        ]
    }
}

/// What a valid form becomes, before the action decides the status.
struct Checked {
    slug: Slug,
    title: String,
    markdown: String,
    custom_excerpt: Option<String>,
    tag_names: Vec<String>,
    publish_at: Option<NaiveDateTime>,
    meta_title: Option<String>,
    meta_description: Option<String>,
    canonical_url: Option<String>,
}

fn optional(raw: &str) -> Option<String> {
    let trimmed = raw.trim();
    (!trimmed.is_empty()).then(|| trimmed.to_string())
}

fn check(form: &EditorForm, tz: Tz, errors: &mut Errors) -> Option<Checked> {
    let title = form.title.trim().to_string();
    if title.is_empty() {
        errors.add("title", "Give it a title.");
    } else if title.chars().count() > 255 {
        errors.add("title", "The title can be at most 255 characters.");
    } else if title.chars().any(is_hidden_control) {
        errors.add(
            "title",
            "The title cannot contain control or text-direction characters.",
        );
    }
    let slug_source = if form.slug.trim().is_empty() {
        render::slugify(&title)
    } else {
        form.slug.trim().to_string()
    };
    let slug = errors.check("slug", Slug::parse_top_level(&slug_source));
    if form.markdown.len() > MAX_MARKDOWN_BYTES {
        errors.add("markdown", "The text can be at most 2 MB.");
    } else if let Err(error) = render::render(&form.markdown) {
        errors.add("markdown", error);
    }
    if form.custom_excerpt.trim().chars().count() > MAX_EXCERPT {
        errors.add(
            "custom_excerpt",
            "The excerpt can be at most 500 characters.",
        );
    }
    let tag_names: Vec<String> = form.tags.split(',').filter_map(optional).collect();
    if tag_names.len() > MAX_TAGS {
        errors.add("tags", "A post can have at most 20 tags.");
    } else if tag_names
        .iter()
        .any(|t| t.chars().count() > MAX_TAG_NAME || t.chars().any(is_hidden_control))
    {
        errors.add(
            "tags",
            "Each tag name can be at most 100 characters, without control characters.",
        );
    }
    let publish_at = match form.publish_at.trim() {
        "" => None,
        raw => match NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M")
            .ok()
            .and_then(|local| tz.from_local_datetime(&local).earliest())
        {
            Some(at) => Some(at.naive_utc()),
            None => {
                errors.add(
                    "publish_at",
                    "Enter a date and time such as 2026-12-01T09:30.",
                );
                None
            }
        },
    };
    if form.meta_title.trim().chars().count() > MAX_META_TITLE {
        errors.add(
            "meta_title",
            "The search engine title can be at most 300 characters.",
        );
    }
    if form.meta_description.trim().chars().count() > MAX_META_DESCRIPTION {
        errors.add(
            "meta_description",
            "The search engine description can be at most 500 characters.",
        );
    }
    let canonical_url = optional(&form.canonical_url);
    if let Some(raw) = &canonical_url {
        let ok = raw.len() <= MAX_URL
            && url::Url::parse(raw).is_ok_and(|u| matches!(u.scheme(), "http" | "https"));
        if !ok {
            errors.add(
                "canonical_url",
                "Enter a full address starting with https://, or leave it empty.",
            );
        }
    }
    if !errors.is_empty() {
        return None;
    }
    Some(Checked {
        slug: slug?,
        title,
        markdown: form.markdown.replace("\r\n", "\n"),
        custom_excerpt: optional(&form.custom_excerpt),
        tag_names,
        publish_at,
        meta_title: optional(&form.meta_title),
        meta_description: optional(&form.meta_description),
        canonical_url,
    })
}

/// What the buttons ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Intent {
    Save,
    Publish,
    Unpublish,
    Preview,
}

fn intent(raw: &str) -> AppResult<Intent> {
    match raw {
        "" | "save" => Ok(Intent::Save),
        "publish" => Ok(Intent::Publish),
        "unpublish" => Ok(Intent::Unpublish),
        "preview" => Ok(Intent::Preview),
        _ => Err(AppError::BadRequest("Unknown editor action.".into())),
    }
}

/// The status and date a save leaves the post with, from its current status and the intent.
fn outcome(
    intent: Intent,
    current: PostStatus,
    publish_at: Option<NaiveDateTime>,
    now: NaiveDateTime,
) -> (PostStatus, Option<NaiveDateTime>) {
    let go_live = |at: Option<NaiveDateTime>| match at {
        Some(at) if at > now => (PostStatus::Scheduled, Some(at)),
        at => (PostStatus::Published, Some(at.unwrap_or(now))),
    };
    match (intent, current) {
        (Intent::Publish, _) => go_live(publish_at),
        (Intent::Unpublish, _) => (PostStatus::Draft, None),
        (_, PostStatus::Draft) => (PostStatus::Draft, publish_at),
        // Saving a published or scheduled post keeps it so, with any new date.
        (_, _) => go_live(publish_at),
    }
}

struct EditorContext<'a> {
    heading: String,
    action: String,
    id: Option<i64>,
    kind: PostKind,
    version: i32,
    status: &'static str,
    can_publish: bool,
    is_live: bool,
    is_published: bool,
    trashed: bool,
    /// Whether the post has a cover from outside the library.
    outside_cover: bool,
    form: &'a EditorForm,
}

async fn editor_page(
    state: &AppState,
    me: &Staff,
    context: EditorContext<'_>,
    errors: &Errors,
    conflict: Option<String>,
) -> AppResult<EditorPage> {
    let problem =
        (!errors.is_empty()).then(|| "Some fields need attention; see below.".to_string());
    Ok(EditorPage {
        layout: layout(state, &context.action, &context.heading).await?,
        heading: context.heading,
        notice: take_notice(&me.0.session),
        problem,
        conflict,
        csrf: csrf::token(&me.0.session)?,
        version: context.version,
        kind: context.kind.as_str(),
        id: context.id,
        fields: context.form.fields(errors),
        cover_fields: {
            let library = state.db.run(media::choices).await?;
            context
                .form
                .cover_fields(&library, context.outside_cover, errors)
        },
        author_fields: match me.role().can(Permission::EditAnyPost) {
            true => context
                .form
                .author_fields(&staff_choices(state).await?, errors),
            false => Vec::new(),
        },
        status: context.status,
        can_publish: context.can_publish,
        is_live: context.is_live,
        is_published: context.is_published,
        trashed: context.trashed,
        action: context.action,
    })
}

/// Everyone who can be named an author: active or invited staff, as (id, name).
async fn staff_choices(state: &AppState) -> AppResult<Vec<(String, String)>> {
    let staff = state.db.run(users::staff).await?;
    Ok(staff
        .into_iter()
        .filter(|u| u.status() != users::Status::Suspended)
        .map(|u| (u.id.to_string(), u.display_name))
        .collect())
}

/// The cover a save sets: (address, alt text). A library image needs alt text (its own
/// serves when the field is empty); `current` keeps what the post has.
async fn chosen_cover(
    state: &AppState,
    form: &EditorForm,
    current: Option<&Editable>,
    errors: &mut Errors,
) -> AppResult<(Option<String>, Option<String>)> {
    let typed_alt = errors.text("cover_alt", "The alt text", &form.cover_alt, MAX_COVER_ALT);
    match form.cover.trim() {
        "" => Ok((None, None)),
        CURRENT_COVER => match current {
            Some(post) if post.feature_image.is_some() => {
                let alt = Some(typed_alt).filter(|a| !a.is_empty());
                Ok((
                    post.feature_image.clone(),
                    alt.or_else(|| post.feature_image_alt.clone()),
                ))
            }
            _ => {
                errors.add("cover", "Choose an image from the library.");
                Ok((None, None))
            }
        },
        stem => {
            let lookup = stem.to_string();
            let Some(item) = state
                .db
                .run(move |conn| media::by_stem(conn, &lookup))
                .await?
            else {
                errors.add(
                    "cover",
                    "That image is no longer in the library; choose another.",
                );
                return Ok((None, None));
            };
            let alt = if typed_alt.is_empty() {
                item.alt.clone()
            } else {
                typed_alt
            };
            if alt.trim().is_empty() {
                errors.add(
                    "cover_alt",
                    "Describe the cover image for people who cannot see it.",
                );
            }
            Ok((Some(item.url()), Some(alt)))
        }
    }
}

/// The ordered authors a save names. Editors and above choose them (each must be staff);
/// anyone else keeps `current`, and a form naming others is refused.
async fn chosen_authors(
    state: &AppState,
    me: &Staff,
    form: &EditorForm,
    current: Vec<i64>,
    errors: &mut Errors,
) -> AppResult<Vec<i64>> {
    if !me.role().can(Permission::EditAnyPost) {
        let mut unchanged = EditorForm::default();
        unchanged.set_authors(&current);
        if form.names_authors() && form.author_slots() != unchanged.author_slots() {
            return Err(forbidden("choose the authors"));
        }
        return Ok(current);
    }
    let staff = staff_choices(state).await?;
    let mut ids = Vec::new();
    for raw in form.author_slots() {
        let raw = raw.trim();
        if raw.is_empty() {
            continue;
        }
        let Some((id, _)) = staff.iter().find(|(id, _)| id == raw) else {
            return Err(AppError::BadRequest(
                "Choose the authors from the lists.".into(),
            ));
        };
        let id: i64 = id.parse().unwrap_or_default();
        if !ids.contains(&id) {
            ids.push(id);
        }
    }
    if ids.is_empty() {
        errors.add("author_1", "Choose at least one author.");
    }
    Ok(ids)
}

/// The editor for a post not saved yet.
fn unsaved<'a>(me: &Staff, kind: PostKind, form: &'a EditorForm) -> EditorContext<'a> {
    EditorContext {
        heading: format!("New {}", kind.as_str()),
        action: "/admin/posts/new".into(),
        id: None,
        kind,
        version: 0,
        status: "Draft (not saved yet)",
        can_publish: me.role().can_publish(true),
        is_live: false,
        is_published: false,
        trashed: false,
        outside_cover: false,
        form,
    }
}

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
    let kind = kind_of(&params.kind);
    let mut form = EditorForm {
        kind: kind.to_string(),
        ..EditorForm::default()
    };
    form.set_authors(&[me.user().id]);
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

pub async fn create_post(
    state: web::Data<AppState>,
    me: Staff,
    CsrfForm(form): CsrfForm<EditorForm>,
) -> AppResult<HttpResponse> {
    me.require(Permission::WriteDrafts)?;
    let kind = kind_of(&form.kind);
    let intent = intent(&form.action)?;
    if intent == Intent::Publish && !me.role().can_publish(true) {
        return Err(forbidden("publish"));
    }
    let settings = state.db.run(|conn| settings::current(conn, now())).await?;
    let mut errors = Errors::default();
    let author_ids = chosen_authors(&state, &me, &form, vec![me.user().id], &mut errors).await?;
    let cover = chosen_cover(&state, &form, None, &mut errors).await?;
    let Some(checked) = check(&form, settings.timezone, &mut errors) else {
        let page = editor_page(&state, &me, unsaved(&me, kind, &form), &errors, None).await?;
        return private(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let now = now();
    let (status, published_at) = outcome(intent, PostStatus::Draft, checked.publish_at, now);
    let author = me.user().id;
    let extras = Extras::new(&form, author_ids).with_cover(cover);
    if intent == Intent::Preview {
        return preview(
            &state,
            settings,
            kind,
            checked,
            extras,
            (status, published_at),
        )
        .await;
    }
    let actor = Actor::of(me.user());
    let saved = state
        .db
        .run(move |conn| {
            let new = to_store(conn, kind, checked, (status, published_at), extras, now)?;
            let title = new.title.clone();
            let created = write_transaction(conn, |conn| {
                let id = editing::create(conn, new, author, now)?;
                let object = (Object::of_kind(kind), Some(id));
                audit::record(conn, &actor, status_verb(None, status), object, &title, now)?;
                Ok::<_, PostError>(id)
            });
            match created {
                Ok(id) => Ok::<_, AppError>(Ok(id)),
                Err(PostError::SlugTaken(slug)) => Ok(Err(slug)),
                Err(other) => Err(other.into()),
            }
        })
        .await?;
    match saved {
        Ok(id) => {
            set_notice(&me.0.session, saved_notice(status));
            Ok(see_other(&format!("/admin/posts/{id}")))
        }
        Err(slug) => {
            errors.add("slug", slug_taken(&slug));
            let page = editor_page(&state, &me, unsaved(&me, kind, &form), &errors, None).await?;
            private(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
    }
}

fn slug_taken(slug: &str) -> String {
    format!("The slug “{slug}” is already used by another post or page. Choose another.")
}

/// The audit log's verb for a save that took a post from `before` (`None`: new) to `after`.
fn status_verb(before: Option<PostStatus>, after: PostStatus) -> &'static str {
    match (before, after) {
        (None, PostStatus::Draft) => "created",
        (Some(b), a) if b == a => "updated",
        (_, PostStatus::Draft) => "unpublished",
        (_, PostStatus::Scheduled) => "scheduled",
        (_, PostStatus::Published) => "published",
    }
}

fn saved_notice(status: PostStatus) -> &'static str {
    match status {
        PostStatus::Draft => "Saved as a draft.",
        PostStatus::Scheduled => "Saved and scheduled.",
        PostStatus::Published => "Saved and published.",
    }
}

/// What a post keeps beside the checked form: the checkboxes, the cover image and the
/// ordered authors.
struct Extras {
    featured: bool,
    noindex: bool,
    feature_image: Option<String>,
    feature_image_alt: Option<String>,
    author_ids: Vec<i64>,
}

impl Extras {
    fn new(form: &EditorForm, author_ids: Vec<i64>) -> Extras {
        Extras {
            featured: form.featured.is_some(),
            noindex: form.noindex.is_some(),
            feature_image: None,
            feature_image_alt: None,
            author_ids,
        }
    }

    fn with_cover(mut self, (image, alt): (Option<String>, Option<String>)) -> Extras {
        self.feature_image = image;
        self.feature_image_alt = alt;
        self
    }
}

/// The post to store: the checked form, the status the action decided and the extras; its
/// tags are found or created by name.
fn to_store(
    conn: &mut crate::db::DbConn,
    kind: PostKind,
    checked: Checked,
    (status, published_at): (PostStatus, Option<NaiveDateTime>),
    extras: Extras,
    now: NaiveDateTime,
) -> diesel::QueryResult<NewPost> {
    let Extras {
        featured,
        noindex,
        feature_image,
        feature_image_alt,
        author_ids,
    } = extras;
    let tags = editing::tags_named(conn, &checked.tag_names, now)?;
    Ok(NewPost {
        kind,
        slug: checked.slug,
        title: checked.title,
        markdown: checked.markdown,
        custom_excerpt: checked.custom_excerpt,
        status,
        published_at,
        featured,
        feature_image,
        feature_image_alt,
        meta_title: checked.meta_title,
        meta_description: checked.meta_description,
        canonical_url: checked.canonical_url,
        noindex,
        author_ids,
        tag_ids: tags.iter().map(|t| t.id).collect(),
    })
}

async fn preview(
    state: &AppState,
    settings: SiteSettings,
    kind: PostKind,
    checked: Checked,
    extras: Extras,
    (status, published_at): (PostStatus, Option<NaiveDateTime>),
) -> AppResult<HttpResponse> {
    let now = now();
    let rendered =
        render::render(&checked.markdown).map_err(|e| AppError::BadRequest(e.to_string()))?;
    let Extras {
        author_ids,
        feature_image,
        feature_image_alt,
        ..
    } = extras;
    let cover_url = feature_image.clone();
    let (authors, cover) = state
        .db
        .run(move |conn| {
            let cover = match cover_url.as_deref().and_then(Media::stem_of) {
                Some(stem) => media::by_stem(conn, stem)?,
                None => None,
            };
            let mut links = Vec::new();
            for id in author_ids {
                if let Some(user) = users::by_id(conn, id)? {
                    links.push(AuthorLink {
                        slug: user.slug,
                        display_name: user.display_name,
                    });
                }
            }
            Ok::<_, AppError>((links, cover))
        })
        .await?;
    let tags = checked
        .tag_names
        .iter()
        .map(|name| TagLink {
            slug: render::slugify(name),
            name: name.clone(),
        })
        .collect();
    let post = Post {
        id: 0,
        kind,
        slug: checked.slug.to_string(),
        title: checked.title,
        custom_excerpt: checked.custom_excerpt,
        excerpt: rendered.excerpt.clone(),
        html: rendered.html.as_str().to_string(),
        toc: serde_json::to_string(&rendered.toc).unwrap_or_else(|_| "[]".into()),
        reading_minutes: rendered.reading_minutes as i32,
        word_count: rendered.word_count.min(i32::MAX as usize) as i32,
        status,
        published_at: published_at.or(Some(now)),
        created_at: now,
        updated_at: now,
        featured: false,
        feature_image,
        feature_image_alt,
        meta_title: checked.meta_title,
        meta_description: checked.meta_description,
        canonical_url: checked.canonical_url,
        // A preview is never for search engines.
        noindex: true,
    };
    let found = Found::preview(settings, post, authors, tags, now).with_cover(cover);
    let html = render_post(state, found)?;
    Ok(HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::html())
        .insert_header((actix_web::http::header::CACHE_CONTROL, "no-store"))
        .insert_header(("X-Robots-Tag", "noindex"))
        .body(html))
}

/// Loads a post for `me`, refusing (403) one their role may not change.
pub(super) async fn open_for(
    state: &AppState,
    me: &Staff,
    id: i64,
) -> AppResult<(Opened, SiteSettings)> {
    let (opened, settings) = state
        .db
        .run(move |conn| {
            Ok::<_, AppError>((editing::open(conn, id)?, settings::current(conn, now())?))
        })
        .await?;
    let opened = opened.ok_or(AppError::NotFound)?;
    let is_author = opened.author_ids.contains(&me.user().id);
    let published = opened.post.status() != PostStatus::Draft;
    if !me.role().can_edit_post(is_author, published) {
        return Err(forbidden("change this post"));
    }
    Ok((opened, settings))
}

fn saved<'a>(
    me: &Staff,
    opened: &Opened,
    form: &'a EditorForm,
    now: NaiveDateTime,
) -> EditorContext<'a> {
    let post = &opened.post;
    let is_author = opened.author_ids.contains(&me.user().id);
    EditorContext {
        heading: format!("Edit {}", post.kind),
        action: format!("/admin/posts/{}", post.id),
        id: Some(post.id),
        kind: post.kind,
        version: post.version,
        status: describe_status(post.status, post.published_at, post.deleted_at, now),
        can_publish: me.role().can_publish(is_author),
        is_live: post.is_live(now),
        is_published: post.status() != PostStatus::Draft,
        trashed: post.deleted_at.is_some(),
        outside_cover: post
            .feature_image
            .as_deref()
            .is_some_and(|url| Media::stem_of(url).is_none()),
        form,
    }
}

pub async fn edit_post(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let (opened, settings) = open_for(&state, &me, id.into_inner()).await?;
    let form = EditorForm::from_post(&opened, settings.timezone);
    let page = editor_page(
        &state,
        &me,
        saved(&me, &opened, &form, now()),
        &Errors::default(),
        None,
    )
    .await?;
    private(StatusCode::OK, &page)
}

/// The post was deleted for good while this form was open: the text comes back in a new
/// post's editor, so saving keeps it.
async fn deleted_meanwhile(
    state: &AppState,
    me: &Staff,
    form: &EditorForm,
) -> AppResult<HttpResponse> {
    me.require(Permission::WriteDrafts)?;
    let kind = kind_of(&form.kind);
    let mut page =
        editor_page(state, me, unsaved(me, kind, form), &Errors::default(), None).await?;
    page.problem = Some(
        "This post was deleted for good while you were editing it. Your text is below: saving creates a new post."
            .into(),
    );
    private(StatusCode::GONE, &page)
}

/// The editor shows times to the minute; an unchanged minute keeps the stored seconds.
fn keep_seconds(
    typed: Option<NaiveDateTime>,
    stored: Option<NaiveDateTime>,
) -> Option<NaiveDateTime> {
    match (typed, stored) {
        (Some(typed), Some(stored))
            if stored.format("%Y-%m-%dT%H:%M").to_string()
                == typed.format("%Y-%m-%dT%H:%M").to_string() =>
        {
            Some(stored)
        }
        (typed, _) => typed,
    }
}

pub async fn save_post(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
    CsrfForm(form): CsrfForm<EditorForm>,
) -> AppResult<HttpResponse> {
    let (opened, settings) = match open_for(&state, &me, id.into_inner()).await {
        Err(AppError::NotFound) => return deleted_meanwhile(&state, &me, &form).await,
        opened => opened?,
    };
    let intent = intent(&form.action)?;
    let is_author = opened.author_ids.contains(&me.user().id);
    let now = now();
    let mut errors = Errors::default();
    let author_ids =
        chosen_authors(&state, &me, &form, opened.author_ids.clone(), &mut errors).await?;
    let cover = chosen_cover(&state, &form, Some(&opened.post), &mut errors).await?;
    let Some(mut checked) = check(&form, settings.timezone, &mut errors) else {
        let page = editor_page(&state, &me, saved(&me, &opened, &form, now), &errors, None).await?;
        return private(StatusCode::UNPROCESSABLE_ENTITY, &page);
    };
    let post: &Editable = &opened.post;
    checked.publish_at = keep_seconds(checked.publish_at, post.published_at);
    let current = post.status();
    let (status, published_at) = outcome(intent, current, checked.publish_at, now);
    let kind = post.kind;
    let extras = Extras::new(&form, author_ids).with_cover(cover);
    if intent == Intent::Preview {
        return preview(
            &state,
            settings,
            kind,
            checked,
            extras,
            (status, published_at),
        )
        .await;
    }
    // Publishing, unpublishing, scheduling or re-dating is publishing, whatever the button.
    let publishes =
        status != current || (status != PostStatus::Draft && published_at != post.published_at);
    if publishes && !me.role().can_publish(is_author) {
        return Err(forbidden("publish"));
    }
    let (post_id, version) = (post.id, form.version);
    let actor = Actor::of(me.user());
    let outcome = state
        .db
        .run(move |conn| {
            let new = to_store(conn, kind, checked, (status, published_at), extras, now)?;
            let title = new.title.clone();
            let updated = write_transaction(conn, |conn| {
                editing::update(conn, post_id, version, new, actor.id.unwrap_or_default(), now)?;
                let object = (Object::of_kind(kind), Some(post_id));
                let verb = status_verb(Some(current), status);
                audit::record(conn, &actor, verb, object, &title, now)?;
                Ok::<_, PostError>(())
            });
            match updated {
                Ok(_) => Ok::<_, AppError>(Ok(())),
                Err(PostError::SlugTaken(slug)) => Ok(Err(Some(slug))),
                Err(PostError::Conflict) => Ok(Err(None)),
                Err(other) => Err(other.into()),
            }
        })
        .await?;
    match outcome {
        Ok(()) => {
            set_notice(&me.0.session, saved_notice(status));
            Ok(see_other(&format!("/admin/posts/{post_id}")))
        }
        Err(Some(slug)) => {
            errors.add("slug", slug_taken(&slug));
            let page =
                editor_page(&state, &me, saved(&me, &opened, &form, now), &errors, None).await?;
            private(StatusCode::UNPROCESSABLE_ENTITY, &page)
        }
        Err(None) => {
            // Someone saved meanwhile: show their text and keep ours, against their version.
            let (latest, _) = open_for(&state, &me, post_id).await?;
            let theirs = latest.post.markdown.clone();
            let page = editor_page(
                &state,
                &me,
                saved(&me, &latest, &form, now),
                &errors,
                Some(theirs),
            )
            .await?;
            private(StatusCode::CONFLICT, &page)
        }
    }
}

async fn set_trashed(
    state: &AppState,
    me: &Staff,
    id: i64,
    trashed: bool,
) -> AppResult<HttpResponse> {
    let (opened, _) = open_for(state, me, id).await?;
    let is_author = opened.author_ids.contains(&me.user().id);
    // Taking a live post down is unpublishing it.
    if opened.post.is_live(now()) && !me.role().can_publish(is_author) {
        return Err(forbidden("take this post down"));
    }
    let actor = Actor::of(me.user());
    let (object, title) = (Object::of_kind(opened.post.kind), opened.post.title.clone());
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                editing::set_trashed(conn, id, trashed, now())?;
                let verb = if trashed { "trashed" } else { "restored" };
                audit::record(conn, &actor, verb, (object, Some(id)), &title, now())
            })
        })
        .await?;
    let notice = if trashed {
        "Moved to the trash. Its address now answers “gone”."
    } else {
        "Restored from the trash."
    };
    set_notice(&me.0.session, notice);
    Ok(see_other(list_of(opened.post.kind)))
}

fn list_of(kind: PostKind) -> &'static str {
    if kind == PostKind::Page {
        "/admin/pages"
    } else {
        "/admin/posts"
    }
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

/// Loads a trashed post that `me` may delete for good: editors and above, or its author
/// when it never went live.
async fn open_for_deletion(state: &AppState, me: &Staff, id: i64) -> AppResult<Opened> {
    let (opened, _) = open_for(state, me, id).await?;
    if opened.post.deleted_at.is_none() {
        return Err(AppError::BadRequest(
            "Only posts in the trash can be deleted for good. Move it to the trash first.".into(),
        ));
    }
    let is_author = opened.author_ids.contains(&me.user().id);
    if !me.role().can_publish(is_author) {
        return Err(forbidden("delete posts for good"));
    }
    Ok(opened)
}

pub async fn confirm_delete_post(
    state: web::Data<AppState>,
    me: Staff,
    id: web::Path<i64>,
) -> AppResult<HttpResponse> {
    let opened = open_for_deletion(&state, &me, id.into_inner()).await?;
    let post = &opened.post;
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
    let opened = open_for_deletion(&state, &me, id.into_inner()).await?;
    let actor = Actor::of(me.user());
    let id = opened.post.id;
    let (object, title) = (Object::of_kind(opened.post.kind), opened.post.title.clone());
    state
        .db
        .run(move |conn| {
            write_transaction(conn, |conn| {
                if editing::delete_forever(conn, id, now())? {
                    audit::record(conn, &actor, "deleted", (object, Some(id)), &title, now())?;
                }
                Ok::<_, AppError>(())
            })
        })
        .await?;
    set_notice(&me.0.session, "Deleted for good.");
    Ok(see_other(&format!(
        "{}?status=trash",
        list_of(opened.post.kind)
    )))
}
