//! The page of a post or page as readers see it: built from what `web::public::post` loads
//! for `/{slug}/`, and from the editor's unsaved text for its preview, so a preview is the
//! page exactly as it will be published.

use askama::Template;
use chrono::NaiveDateTime;

use crate::domain::changes::Touched;
use crate::domain::comments::{Conversation, Status, Viewer, Who, rules};
use crate::domain::media::{self, Media};
use crate::domain::posts::{AuthorLink, Post, PostLink, TagLink};
use crate::domain::settings::SiteSettings;
use crate::error::AppResult;
use crate::render::{SafeHtml, TocEntry};
use crate::state::AppState;
use crate::web::conversation::{self, CommentsSection, page_url};
use crate::web::seo::{self, jsonld};
use crate::web::views::{
    ArticleMeta, DateView, ImageMeta, Layout, Link, PublicPage, absolute, links,
};

/// Long posts get a table of contents; short ones would only repeat their headings.
const MIN_TOC_ENTRIES: usize = 3;

#[derive(Template)]
#[template(path = "public/post.html")]
pub struct PostPage {
    layout: Layout,
    is_page: bool,
    cover: Option<Cover>,
    title: String,
    content: SafeHtml,
    toc: Vec<TocEntry>,
    authors: Vec<Link>,
    tags: Vec<Link>,
    published: Option<DateView>,
    updated: Option<DateView>,
    reading_minutes: i32,
    older: Option<Link>,
    newer: Option<Link>,
    comments: Option<CommentsSection>,
    likes: Option<LikeButton>,
    /// Whether the page's small script has anything to do (a conversation to follow live,
    /// times to keep current, a like button to toggle): pages without load no script.
    enhanced: bool,
    /// A one-time message for the signed-in reader (after commenting).
    notice: Option<String>,
    /// The editor's address, for staff who may change the post.
    edit_url: Option<String>,
}

impl PostPage {
    fn cover_sizes(&self) -> &'static str {
        COVER_SIZES
    }
}

impl PublicPage for PostPage {
    fn layout(&self) -> &Layout {
        &self.layout
    }
}

/// The like button, with the count: a form for a signed-in reader, a way to sign in for
/// others.
pub struct LikeButton {
    post_id: i64,
    count: i64,
    mine: bool,
    csrf: Option<String>,
    sign_in: Option<String>,
}

impl LikeButton {
    fn count_text(&self) -> String {
        match self.count {
            1 => "1 like".into(),
            n => format!("{n} likes"),
        }
    }
}

/// A cover image from the media library, with its sizes and variants.
struct Cover {
    src: String,
    srcset: String,
    webp_srcset: String,
    width: i32,
    height: i32,
    alt: String,
}

/// The cover's `sizes`: the text column's width, or the screen's when narrower.
const COVER_SIZES: &str = "(max-width: 45rem) 100vw, 45rem";

/// Everything a post page shows, loaded from the database.
#[derive(Clone)]
pub struct Found {
    pub settings: SiteSettings,
    pub post: Box<Post>,
    pub authors: Vec<AuthorLink>,
    pub tags: Vec<TagLink>,
    pub older: Option<PostLink>,
    pub newer: Option<PostLink>,
    /// When the site last changed: the page's `Last-Modified`.
    pub changed: NaiveDateTime,
    /// The cover's library record, when the cover comes from the library.
    pub cover: Option<Media>,
    /// The page of the conversation shown, and who reads it (none in a preview).
    pub conversation: Option<Discussion>,
}

/// A page of the conversation under a post, as one reader sees it.
#[derive(Clone)]
pub struct Discussion {
    pub comments: std::sync::Arc<Conversation>,
    pub viewer: Viewer,
    /// The signed-in reader's form token.
    pub csrf: Option<String>,
    pub notice: Option<String>,
    /// Whether the reader may change the post (an "Edit" link to the admin's editor).
    pub editable: bool,
    pub now: NaiveDateTime,
    pub likes: crate::domain::likes::Likes,
}

impl Found {
    /// An unsaved post as its page will show it: the editor's preview.
    pub fn preview(
        settings: SiteSettings,
        post: Post,
        authors: Vec<AuthorLink>,
        tags: Vec<TagLink>,
        now: NaiveDateTime,
    ) -> Found {
        Found {
            settings,
            post: Box::new(post),
            authors,
            tags,
            older: None,
            newer: None,
            changed: now,
            cover: None,
            conversation: None,
        }
    }

    pub fn with_cover(mut self, cover: Option<Media>) -> Found {
        self.cover = cover;
        self
    }

    /// What the page shows from elsewhere: the post, its neighbours (linked by title), its
    /// authors and tags (by name).
    pub fn shows(&self) -> Vec<Touched> {
        let neighbours = self
            .older
            .iter()
            .chain(&self.newer)
            .map(|p| Touched::Post(p.id));
        std::iter::once(Touched::Post(self.post.id))
            .chain([Touched::Conversation(self.post.id)])
            .chain(neighbours)
            .chain(self.authors.iter().map(|a| Touched::Author(a.id)))
            .chain(self.tags.iter().map(|t| Touched::Tag(t.id)))
            .collect()
    }
}

/// The post page's HTML for what `find_post` loaded (the template alone, for benchmarks).
pub fn render_post(state: &AppState, found: Found) -> AppResult<String> {
    Ok(post_page(state, found).render()?)
}

/// The library record of a post's cover, if the cover is from the library.
pub fn library_cover(
    conn: &mut crate::db::DbConn,
    post: &Post,
) -> diesel::QueryResult<Option<Media>> {
    match post.feature_image.as_deref().and_then(Media::stem_of) {
        Some(stem) => media::by_stem(conn, stem),
        None => Ok(None),
    }
}

pub fn post_page(state: &AppState, found: Found) -> PostPage {
    let Found {
        settings,
        post,
        authors,
        tags,
        older,
        newer,
        cover,
        conversation,
        ..
    } = found;
    let base_url = &state.config.base_url;
    let tz = settings.timezone;
    let description = post
        .meta_description
        .as_deref()
        .filter(|d| !d.trim().is_empty())
        .unwrap_or(post.summary());
    let mut layout = Layout::new(
        &settings,
        &state.assets,
        base_url,
        &conversation.as_ref().map_or_else(
            || page_url(&post.slug, 1),
            |d| page_url(&post.slug, d.comments.page),
        ),
        Some(&post.title),
        description,
    );
    let comment_page = conversation.as_ref().map_or(1, |d| d.comments.page);
    if comment_page > 1 {
        layout.title = format!("{} – comments, page {comment_page}", post.title);
    }
    if let Some(meta_title) = post.meta_title.as_deref().filter(|t| !t.trim().is_empty()) {
        layout.title = meta_title.trim().to_string();
    }
    // A later page of comments is its own page, canonical to itself.
    if let Some(canonical) = post
        .canonical_url
        .as_deref()
        .filter(|c| !c.is_empty() && comment_page == 1)
    {
        layout.canonical = canonical.to_string();
    }
    layout.noindex |= post.noindex;
    layout.image = post
        .feature_image
        .as_deref()
        .filter(|i| !i.is_empty())
        .map(|url| ImageMeta {
            url: absolute(base_url, url),
            alt: post.feature_image_alt.clone().unwrap_or_default(),
            width: cover.as_ref().map(|c| c.width),
            height: cover.as_ref().map(|c| c.height),
        });
    let image_crops: Vec<String> = cover
        .as_ref()
        .map(Media::crop_urls)
        .unwrap_or_default()
        .iter()
        .map(|url| absolute(base_url, url))
        .collect();
    // Only library images are shown on the page: their sizes are known, so the layout does
    // not jump while they load, and their variants serve every screen.
    let cover = cover.map(|item| {
        let (srcset, webp_srcset) = item.srcsets();
        Cover {
            src: item.url(),
            srcset,
            webp_srcset,
            width: item.width,
            height: item.height,
            alt: post
                .feature_image_alt
                .clone()
                .filter(|a| !a.trim().is_empty())
                .unwrap_or(item.alt),
        }
    });

    let published = post.published_at.map(|at| DateView::new(at, tz));
    let modified = DateView::new(post.updated_at, tz);
    let author_links = links(Some(&authors));
    let tag_links = links(Some(&tags));
    let is_post = !post.is_page();
    if is_post {
        layout.og_type = "article";
        layout.article = Some(ArticleMeta {
            published: published.as_ref().map(|d| d.iso.clone()),
            modified: modified.iso.clone(),
            tags: tags.iter().map(|t| t.name.clone()).collect(),
        });
    }
    layout.json_ld = Some(jsonld::article(
        &seo::site(&settings, base_url),
        &jsonld::Article {
            canonical: &layout.canonical,
            headline: &post.title,
            description: &layout.description,
            image: layout.image.as_ref().map(|i| i.url.clone()),
            image_crops,
            published: published.as_ref(),
            modified: &modified,
            authors: author_links
                .iter()
                .map(|a| jsonld::Person {
                    name: &a.label,
                    url: absolute(base_url, &a.url),
                })
                .collect(),
            keywords: tags.iter().map(|t| t.name.as_str()).collect(),
            word_count: post.word_count,
            section: tag_links.first().map(|t| jsonld::Crumb {
                name: &t.label,
                url: absolute(base_url, &t.url),
            }),
            comment_count: conversation.as_ref().map(|d| d.comments.approved),
            comments: conversation
                .as_ref()
                .map(|d| comments_ld(&d.comments, &layout.canonical, tz))
                .unwrap_or_default(),
        },
        is_post,
    ));

    // Show "updated" only for a real revision, not the save that published the post.
    let updated = post
        .published_at
        .filter(|at| post.updated_at - *at > chrono::Duration::days(1))
        .map(|_| modified);
    let toc = post.table_of_contents();
    let notice = conversation.as_ref().and_then(|d| d.notice.clone());
    let edit_url = conversation
        .as_ref()
        .filter(|d| d.editable)
        .map(|_| format!("/admin/posts/{}", post.id));
    let likes = conversation.as_ref().map(|d| LikeButton {
        post_id: post.id,
        count: d.likes.count,
        mine: d.likes.mine,
        csrf: d.viewer.user_id.and(d.csrf.clone()),
        sign_in: d
            .viewer
            .user_id
            .is_none()
            .then(|| crate::auth::identity::sign_in_url(&format!("/{}/#likes", post.slug))),
    });
    let comments = conversation.and_then(|d| {
        let closed = rules::closed_because(
            &settings.comments,
            post.comments_open,
            post.published_at,
            d.now,
        );
        // A page shows a conversation only when it takes comments or has some.
        (is_post || closed.is_none() || d.comments.approved > 0).then(|| {
            conversation::section(
                &d.comments,
                &conversation::Context {
                    slug: &post.slug,
                    viewer: d.viewer,
                    tz,
                    now: d.now,
                    closed,
                    csrf: d.csrf.clone(),
                    post_id: post.id,
                    guests: settings.comments.who == Who::Guests,
                },
            )
        })
    });
    PostPage {
        layout,
        is_page: !is_post,
        cover,
        toc: if toc.len() >= MIN_TOC_ENTRIES {
            toc
        } else {
            Vec::new()
        },
        authors: author_links,
        tags: tag_links,
        published,
        updated,
        reading_minutes: post.reading_minutes,
        older: older.map(post_link),
        newer: newer.map(post_link),
        title: post.title.clone(),
        content: SafeHtml::from_stored(post.html),
        // Every page with a conversation follows it live; a preview has none.
        enhanced: comments.is_some() || likes.as_ref().is_some_and(|l| l.csrf.is_some()),
        comments,
        likes,
        notice,
        edit_url,
    }
}

/// The approved comments on the page, for structured data.
fn comments_ld(
    conversation: &Conversation,
    canonical: &str,
    tz: chrono_tz::Tz,
) -> Vec<jsonld::CommentLd> {
    conversation
        .comments
        .iter()
        .filter(|c| c.status == Status::Approved)
        .map(|c| jsonld::CommentLd {
            id: format!("{canonical}#comment-{}", c.id),
            text: crate::render::plain_text_of(&SafeHtml::from_stored(c.html.clone())),
            author: c.author_name.clone(),
            author_url: Some(c.author_url.clone()).filter(|u| u.starts_with("http")),
            created: DateView::new(c.created_at, tz).iso,
        })
        .collect()
}

fn post_link(link: PostLink) -> Link {
    Link {
        url: format!("/{}/", link.slug),
        label: link.title,
    }
}
