//! The editor: its form as typed, the page around it, and turning what was typed into the
//! domain's `PostInput` (the local date and time, the buttons, the cover and author
//! choosers are the web's; every rule about the post itself is `posts::input`'s).

use crate::web::admin::frame::admin_layout;
use crate::web::admin::media::markdown_alt;
use askama::Template;
use chrono::{NaiveDateTime, TimeZone};
use chrono_tz::Tz;
use serde::{Deserialize, Serialize};

use super::describe_status;
use crate::auth::csrf;
use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::domain::media::{self, Media};
use crate::domain::posts::editing::Opened;
use crate::domain::posts::input::{
    Cover, Intent, MAX_COVER_ALT, MAX_EXCERPT, MAX_META_DESCRIPTION, MAX_META_TITLE, MAX_URL,
    PostInput,
};
use crate::domain::posts::{PostKind, PostStatus};
use crate::domain::users;
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::web::forms::{Errors, Field, Problem, problems};
use crate::web::respond::take_notice;
use crate::web::views::{DateView, Layout};

#[derive(Template)]
#[template(path = "admin/editor.html")]
pub struct EditorPage {
    layout: Layout,
    heading: String,
    notice: Option<String>,
    pub problem: Option<String>,
    /// Each field's problem, linked to the field, above the form.
    problems: Vec<Problem>,
    /// The public page, when the post is live.
    live_url: Option<String>,
    /// The text someone else saved while this form was open.
    conflict: Option<String>,
    /// When the working copy shown in the form was autosaved, if one is.
    pub restored: Option<DateView>,
    /// Where the script sends the form after a pause in typing.
    autosave_url: String,
    action: String,
    csrf: String,
    version: i32,
    kind: &'static str,
    id: Option<i64>,
    /// The writing space: title and text.
    fields: Vec<Field>,
    /// The side panel's groups: publishing (address, date, tags, excerpt, switches), search
    /// engines, the cover and the authors.
    publishing: Vec<Field>,
    search: Vec<Field>,
    /// The cover: the choice (its value, problem and hint), the pictures to choose from, and
    /// the alt text.
    cover: Field,
    cover_choices: Vec<Choice>,
    cover_alt: Vec<Field>,
    author_fields: Vec<Field>,
    /// Whether the person may add images to the library (pasting one into the text does).
    can_upload: bool,
    /// Adding an image to the text without JavaScript: the file and its alt text, sent with
    /// the whole form to `image_action`.
    image_fields: Vec<Field>,
    image_action: String,
    /// The newest library images, with the Markdown that shows each.
    library: Vec<LibraryImage>,
    open_images: bool,
    /// Which of the closed groups open at once: those with a problem, or a cover chosen.
    open_authors: bool,
    open_cover: bool,
    open_search: bool,
    status: &'static str,
    can_publish: bool,
    is_live: bool,
    is_published: bool,
    trashed: bool,
}

/// One picture to choose as the cover.
pub struct Choice {
    value: String,
    label: String,
    /// The thumbnail and its size; none for a cover from outside the library.
    thumbnail: Option<(String, i32, i32)>,
    chosen: bool,
}

/// A library image to put in the text.
pub struct LibraryImage {
    thumbnail: String,
    width: i32,
    height: i32,
    label: String,
    markdown: String,
}

/// How many library images the editor offers to insert (the media library has them all).
const LIBRARY_SHOWN: usize = 24;

impl EditorPage {
    /// Keeps the alt text typed for an image that could not be added.
    pub fn keep_image_alt(&mut self, alt: &str) {
        for field in self
            .image_fields
            .iter_mut()
            .filter(|f| f.name == "image_alt")
        {
            field.value = alt.to_string();
        }
    }
}

/// What the editor's form holds, as typed (and as a working copy keeps it).
#[derive(Deserialize, Serialize, Default, Clone, PartialEq, Eq, Debug)]
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
    /// Ticked: readers may not comment (unticked, the default, leaves it to the site).
    close_comments: Option<String>,
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

    /// The form as a working copy keeps it: what was typed, not which button sent it.
    pub fn for_keeping(&self) -> EditorForm {
        EditorForm {
            action: String::new(),
            ..self.clone()
        }
    }

    /// A working copy's form, unless it is the saved post's own (nothing to restore) or
    /// unreadable (kept by an older Quire: the saved post is shown).
    pub fn restored(kept: &str, saved: &EditorForm) -> Option<EditorForm> {
        let form: EditorForm = serde_json::from_str(kept).ok()?;
        let comparable = EditorForm {
            version: saved.version,
            kind: saved.kind.clone(),
            ..form.clone()
        };
        (comparable != *saved).then_some(form)
    }

    /// The form sent as multipart pairs (with an image, see `image`): as if posted plainly.
    pub fn from_pairs(pairs: &[(String, String)]) -> AppResult<EditorForm> {
        let encoded = serde_urlencoded::to_string(pairs).map_err(AppError::internal)?;
        serde_urlencoded::from_str(&encoded)
            .map_err(|e| AppError::BadRequest(format!("The form could not be read: {e}.")))
    }

    /// Adds `markdown` at the end of the text as a paragraph of its own.
    pub fn add_paragraph(&mut self, markdown: &str) {
        let text = self.markdown.trim_end();
        self.markdown = match text.is_empty() {
            true => format!("{markdown}\n"),
            false => format!("{text}\n\n{markdown}\n"),
        };
    }

    /// An empty form for a new post or page of `kind`, by `author`.
    pub fn new(kind: PostKind, author: i64) -> EditorForm {
        let mut form = EditorForm {
            kind: kind.to_string(),
            ..EditorForm::default()
        };
        form.set_authors(&[author]);
        form
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

    pub fn from_post(opened: &Opened, tz: Tz) -> EditorForm {
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
            close_comments: (!post.comments_open).then(|| "on".into()),
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

    /// The cover chooser: no cover, a cover kept from elsewhere, and the library's images
    /// (newest first), each with its thumbnail.
    fn cover_choices(&self, library: &[Media], has_outside_cover: bool) -> Vec<Choice> {
        let choice = |value: String, label: String, thumbnail| Choice {
            chosen: self.cover == value,
            value,
            label,
            thumbnail,
        };
        let mut choices = vec![choice(String::new(), "No cover image".into(), None)];
        if has_outside_cover {
            choices.push(choice(
                CURRENT_COVER.into(),
                "The current image (not in the library)".into(),
                None,
            ));
        }
        choices.extend(library.iter().map(|item| {
            let label = match item.alt.trim() {
                "" => item.original_name.clone(),
                alt => alt.to_string(),
            };
            choice(item.stem.clone(), label, Some(item.thumbnail()))
        }));
        choices
    }

    fn cover_field(&self, errors: &Errors) -> Field {
        Field::new("cover", "Cover image", "radio")
            .value(&self.cover)
            .hint("From the media library: upload images there or below, under Images.")
            .error(errors.get("cover"))
    }

    fn cover_alt_field(&self, errors: &Errors) -> Field {
        Field::new("cover_alt", "Cover image alt text", "text")
            .value(&self.cover_alt)
            .max(MAX_COVER_ALT)
            .hint("What the image shows. Required with a cover; empty uses the library's alt text.")
            .error(errors.get("cover_alt"))
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
            Field::new("close_comments", "Close comments", "checkbox")
                .checked(self.close_comments.is_some())
                .hint("Comments already there stay; readers cannot add new ones."),
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

/// What the buttons ask for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Button {
    Save(Intent),
    Preview,
}

impl EditorForm {
    /// The post's kind, from the form; anything but `post` or `page` is a forged form.
    pub fn kind(&self) -> AppResult<PostKind> {
        match self.kind.as_str() {
            "" => Ok(PostKind::Post),
            raw => PostKind::parse(raw)
                .ok_or_else(|| AppError::BadRequest("Unknown kind of post.".into())),
        }
    }

    pub fn version(&self) -> i32 {
        self.version
    }

    pub fn button(&self) -> AppResult<Button> {
        match self.action.as_str() {
            "" | "save" => Ok(Button::Save(Intent::Save)),
            "publish" => Ok(Button::Save(Intent::Publish)),
            "unpublish" => Ok(Button::Save(Intent::Unpublish)),
            "preview" => Ok(Button::Preview),
            _ => Err(AppError::BadRequest("Unknown editor action.".into())),
        }
    }

    /// What was typed, as the domain's input: the local time read in `tz`, the choosers
    /// read as the cover and the ordered authors.
    /// `choosers` says whether the form showed the author choosers (to those who may
    /// choose): then empty choosers mean no author, which the post may not have.
    pub fn to_input(
        &self,
        kind: PostKind,
        intent: Intent,
        tz: Tz,
        choosers: bool,
    ) -> AppResult<Result<PostInput, Errors>> {
        let mut errors = Errors::default();
        let publish_at = match self.publish_at.trim() {
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
        let authors = if choosers || self.names_authors() {
            let mut ids = Vec::new();
            for raw in self.author_slots() {
                match raw.trim() {
                    "" => {}
                    raw => ids.push(raw.parse::<i64>().map_err(|_| {
                        AppError::BadRequest("Choose the authors from the lists.".into())
                    })?),
                }
            }
            Some(ids)
        } else {
            None
        };
        let cover = match self.cover.trim() {
            "" => Cover::None,
            CURRENT_COVER => Cover::Keep,
            stem => Cover::Library(stem.to_string()),
        };
        if !errors.is_empty() {
            return Ok(Err(errors));
        }
        Ok(Ok(PostInput {
            kind,
            title: self.title.clone(),
            slug: self.slug.clone(),
            markdown: self.markdown.clone(),
            custom_excerpt: self.custom_excerpt.clone(),
            tags: self.tags.split(',').map(str::to_string).collect(),
            authors,
            featured: self.featured.is_some(),
            noindex: self.noindex.is_some(),
            comments_open: self.close_comments.is_none(),
            publish_at,
            meta_title: self.meta_title.clone(),
            meta_description: self.meta_description.clone(),
            canonical_url: self.canonical_url.clone(),
            cover,
            cover_alt: self.cover_alt.clone(),
            intent,
        }))
    }
}

/// Where the editor stands: which post, its status, what the person may do with it.
pub struct EditorContext<'a> {
    heading: String,
    action: String,
    id: Option<i64>,
    kind: PostKind,
    version: i32,
    status: &'static str,
    can_publish: bool,
    is_live: bool,
    live_url: Option<String>,
    is_published: bool,
    trashed: bool,
    /// Whether the post has a cover from outside the library.
    outside_cover: bool,
    form: &'a EditorForm,
}

pub async fn editor_page(
    state: &AppState,
    me: &Staff,
    context: EditorContext<'_>,
    errors: &Errors,
    conflict: Option<String>,
) -> AppResult<EditorPage> {
    let fields = context.form.fields(errors);
    let library = state.db.run(media::choices).await?;
    let cover_choices = context.form.cover_choices(&library, context.outside_cover);
    let cover_fields = vec![
        context.form.cover_field(errors),
        context.form.cover_alt_field(errors),
    ];
    let can_upload = me.role().can(Permission::UploadMedia);
    let image_fields = match can_upload {
        true => image_fields(errors),
        false => Vec::new(),
    };
    let author_fields = match me.role().can(Permission::EditAnyPost) {
        true => context
            .form
            .author_fields(&staff_choices(state).await?, errors),
        false => Vec::new(),
    };
    let problems = problems(
        fields
            .iter()
            .chain(&cover_fields)
            .chain(&author_fields)
            .chain(&image_fields),
    );
    let (mut writing, mut publishing, mut search) = (Vec::new(), Vec::new(), Vec::new());
    for field in fields {
        match field.name {
            "title" | "markdown" => writing.push(field),
            "meta_title" | "meta_description" | "canonical_url" | "noindex" => search.push(field),
            _ => publishing.push(field),
        }
    }
    // A problem no field shows (should one ever arise) is still said.
    let problem = (!errors.is_empty() && problems.is_empty())
        .then(|| "The post could not be saved; please check it.".to_string());
    Ok(EditorPage {
        layout: admin_layout(state, me, &context.action, &context.heading).await?,
        heading: context.heading,
        notice: take_notice(me.session()),
        problem,
        conflict,
        restored: None,
        autosave_url: match context.id {
            Some(id) => format!("/admin/posts/{id}/autosave"),
            None => "/admin/posts/autosave".into(),
        },
        csrf: csrf::token(me.session())?,
        version: context.version,
        kind: context.kind.as_str(),
        id: context.id,
        can_upload,
        open_authors: author_fields.iter().any(|f| f.error.is_some()),
        open_cover: cover_fields
            .iter()
            .any(|f| f.error.is_some() || (f.name == "cover" && !f.value.is_empty())),
        open_search: search.iter().any(|f| f.error.is_some()),
        open_images: image_fields.iter().any(|f| f.error.is_some()),
        image_fields,
        image_action: match context.id {
            Some(id) => format!("/admin/posts/{id}/image"),
            None => "/admin/posts/new/image".into(),
        },
        library: library
            .iter()
            .take(LIBRARY_SHOWN)
            .map(|item| {
                let (thumbnail, width, height) = item.thumbnail();
                let alt = match item.alt.trim() {
                    "" => super::image::ALT_PLACEHOLDER,
                    alt => alt,
                };
                LibraryImage {
                    thumbnail,
                    width,
                    height,
                    label: item.original_name.clone(),
                    markdown: format!("![{}]({})", markdown_alt(alt), item.url()),
                }
            })
            .collect(),
        fields: writing,
        publishing,
        search,
        cover_alt: cover_fields.into_iter().skip(1).collect(),
        cover: context.form.cover_field(errors),
        cover_choices,
        author_fields,
        problems,
        live_url: context.live_url,
        status: context.status,
        can_publish: context.can_publish,
        is_live: context.is_live,
        is_published: context.is_published,
        trashed: context.trashed,
        action: context.action,
    })
}

/// The file and alt text of an image to add to the text.
fn image_fields(errors: &Errors) -> Vec<Field> {
    vec![
        Field::new("image", "Image file", "file")
            .hint("PNG, JPEG, GIF or WebP. It joins the media library and goes at the end of the text.")
            .error(errors.get("image")),
        Field::new("image_alt", "Its alt text", "text")
            .max(media::MAX_ALT)
            .hint("What the image shows, for people who cannot see it.")
            .error(errors.get("image_alt")),
    ]
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

/// The editor for a post not saved yet.
pub fn unsaved<'a>(me: &Staff, kind: PostKind, form: &'a EditorForm) -> EditorContext<'a> {
    EditorContext {
        heading: format!("New {}", kind.as_str()),
        action: "/admin/posts/new".into(),
        id: None,
        kind,
        version: 0,
        status: "Draft (not saved yet)",
        can_publish: me.role().can_publish(true),
        is_live: false,
        live_url: None,
        is_published: false,
        trashed: false,
        outside_cover: false,
        form,
    }
}

/// The editor for a saved post.
pub fn saved<'a>(
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
        live_url: post.is_live(now).then(|| format!("/{}/", post.slug)),
        is_published: post.status() != PostStatus::Draft,
        trashed: post.deleted_at.is_some(),
        outside_cover: post
            .feature_image
            .as_deref()
            .is_some_and(|url| Media::stem_of(url).is_none()),
        form,
    }
}
