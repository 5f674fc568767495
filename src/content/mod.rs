//! Content Quire ships: the welcome post for a new site, and the demo publication.

use chrono::{Duration, NaiveDateTime};
use chrono_tz::Tz;

use crate::db::DbConn;
use crate::domain::changes::Touched;
use crate::domain::posts::input::{self, Intent, PostInput, Prepared};
use crate::domain::posts::{self, PostKind, PostStatus};
use crate::domain::settings::{self, NavItem, SiteSettings};
use crate::domain::users::{self, Email, NewUser, Role};
use crate::domain::write::{self, Actor, WriteError};
use crate::domain::{redirects, tags};
use crate::render::Slug;

pub const WELCOME_SLUG: &str = "welcome";

fn slug(raw: &str) -> Slug {
    Slug::parse(raw).expect("shipped slugs are valid")
}

/// A shipped post, checked and rendered like any other (before any transaction).
fn shipped(input: PostInput) -> Prepared {
    input::prepare(input).expect("shipped content is valid")
}

fn post_input(kind: PostKind, slug: &str, title: &str, markdown: &str) -> PostInput {
    PostInput {
        slug: slug.into(),
        title: title.into(),
        markdown: markdown.into(),
        ..PostInput::new(kind)
    }
}

/// On a database that has never been set up, stores default settings and, unless an import
/// came first, the welcome post.
/// Returns whether it did anything. Runs in one transaction, so it happens exactly once even
/// when several instances start together.
pub fn first_run(conn: &mut DbConn, now: NaiveDateTime) -> Result<bool, WriteError> {
    let mut welcome = post_input(
        PostKind::Post,
        WELCOME_SLUG,
        "Welcome to Quire",
        include_str!("welcome.md"),
    );
    welcome.custom_excerpt = "Your publication is running. Here is what to do next.".into();
    welcome.intent = Intent::Publish;
    let welcome = shipped(welcome);
    let actor = Actor::command_line();
    write::transaction(conn, &actor, now, |tx| {
        if settings::load(tx.conn)?.is_some() {
            return Ok(false);
        }
        settings::save_row(tx.conn, &SiteSettings::defaults(now))?;
        tx.touch(Touched::Site);
        // A site imported before its first start has its own content to show.
        if posts::count(tx.conn)? == 0 {
            posts::write::create(tx.conn, &actor, welcome, now)?;
        }
        Ok(true)
    })
}

struct DemoPost {
    slug: &'static str,
    title: &'static str,
    markdown: &'static str,
    days_ago: i64,
    authors: &'static [usize],
    tags: &'static [usize],
    featured: bool,
    status: PostStatus,
}

const DEMO_AUTHORS: &[(&str, &str, Role, &str)] = &[
    (
        "maya@example.com",
        "Maya Okafor",
        Role::Editor,
        "Editor of The Margin. Spent ten years on a newspaper copy desk before going independent.",
    ),
    (
        "tomas@example.com",
        "Tomás Lindqvist",
        Role::Author,
        "Writes about editing, feeds and the habits of small publications.",
    ),
    (
        "priya@example.net",
        "Priya Raman",
        Role::Author,
        "Builds fast websites and measures them honestly.",
    ),
];

const DEMO_TAGS: &[(&str, &str, &str)] = &[
    (
        "publishing",
        "Publishing",
        "How independent publications start, grow and keep going.",
    ),
    (
        "writing",
        "Writing",
        "The craft of writing and editing for readers on the web.",
    ),
    (
        "audience",
        "Audience",
        "Finding readers and keeping them, without tracking them.",
    ),
    (
        "technology",
        "Technology",
        "The tools behind a fast, durable publication.",
    ),
    (
        "guides",
        "Guides",
        "Practical, step-by-step advice for editors and writers.",
    ),
];

const DEMO_POSTS: &[DemoPost] = &[
    DemoPost {
        slug: "why-we-started-an-independent-publication",
        title: "Why we started an independent publication",
        markdown: include_str!("demo/independent.md"),
        days_ago: 1,
        authors: &[0],
        tags: &[0],
        featured: true,
        status: PostStatus::Published,
    },
    DemoPost {
        slug: "a-style-guide-writers-actually-read",
        title: "A style guide writers actually read",
        markdown: include_str!("demo/style-guide.md"),
        days_ago: 4,
        authors: &[1],
        tags: &[1, 4],
        featured: false,
        status: PostStatus::Published,
    },
    DemoPost {
        slug: "measuring-what-matters-without-tracking-readers",
        title: "Measuring what matters without tracking readers",
        markdown: include_str!("demo/measuring.md"),
        days_ago: 8,
        authors: &[2],
        tags: &[2],
        featured: false,
        status: PostStatus::Published,
    },
    DemoPost {
        slug: "the-anatomy-of-a-fast-web-page",
        title: "The anatomy of a fast web page",
        markdown: include_str!("demo/fast-pages.md"),
        days_ago: 12,
        authors: &[2],
        tags: &[3, 4],
        featured: true,
        status: PostStatus::Published,
    },
    DemoPost {
        slug: "editing-is-a-conversation",
        title: "Editing is a conversation",
        markdown: include_str!("demo/editing.md"),
        days_ago: 16,
        authors: &[0, 1],
        tags: &[1],
        featured: false,
        status: PostStatus::Published,
    },
    DemoPost {
        slug: "newsletters-feeds-and-the-open-web",
        title: "Newsletters, feeds and the open web",
        markdown: include_str!("demo/open-web.md"),
        days_ago: 21,
        authors: &[1],
        tags: &[2, 3],
        featured: false,
        status: PostStatus::Published,
    },
    DemoPost {
        slug: "keeping-an-editorial-calendar",
        title: "Keeping an editorial calendar",
        markdown: include_str!("demo/calendar.md"),
        days_ago: 27,
        authors: &[0],
        tags: &[0, 4],
        featured: false,
        status: PostStatus::Published,
    },
    DemoPost {
        slug: "coming-soon-our-reader-survey",
        title: "Coming soon: our reader survey",
        markdown: include_str!("demo/survey.md"),
        days_ago: -7,
        authors: &[0],
        tags: &[2],
        featured: false,
        status: PostStatus::Scheduled,
    },
    DemoPost {
        slug: "notes-for-the-next-issue",
        title: "Notes for the next issue",
        markdown: include_str!("demo/draft.md"),
        days_ago: 0,
        authors: &[1],
        tags: &[0],
        featured: false,
        status: PostStatus::Draft,
    },
];

/// Whether the site holds nothing but what `first_run` put there.
fn is_pristine(conn: &mut DbConn) -> diesel::QueryResult<bool> {
    Ok(posts::count(conn)? <= 1 && users::count(conn)? == 0)
}

/// A demo post with its tags named, dated, rendered (its authors are known once created).
fn demo_post(demo: &DemoPost, now: NaiveDateTime) -> (Prepared, NaiveDateTime) {
    let mut post = post_input(PostKind::Post, demo.slug, demo.title, demo.markdown);
    post.featured = demo.featured;
    post.intent = match demo.status {
        PostStatus::Draft => Intent::Save,
        _ => Intent::Publish,
    };
    post.publish_at = match demo.status {
        PostStatus::Draft => None,
        _ => Some(now - Duration::days(demo.days_ago) - Duration::hours(3)),
    };
    post.tags = demo
        .tags
        .iter()
        .map(|&i| DEMO_TAGS[i].1.to_string())
        .collect();
    // Written when published, so no demo post looks edited since.
    let written = post.publish_at.filter(|at| *at < now).unwrap_or(now);
    (shipped(post), written)
}

/// Fills a new, empty site with the demo publication; leaves a site with content alone.
/// Returns whether it added anything.
pub fn fill_demo(conn: &mut DbConn, now: NaiveDateTime) -> Result<bool, WriteError> {
    let actor = Actor::command_line();
    // Rendered first: nothing slow runs while the write lock is held.
    let demo_posts: Vec<_> = DEMO_POSTS.iter().map(|demo| demo_post(demo, now)).collect();
    let pages: Vec<Prepared> = [
        ("about", "About The Margin", include_str!("demo/about.md")),
        ("colophon", "Colophon", include_str!("demo/colophon.md")),
    ]
    .into_iter()
    .map(|(page_slug, title, markdown)| {
        let mut page = post_input(PostKind::Page, page_slug, title, markdown);
        page.publish_at = Some(now - Duration::days(30));
        page.intent = Intent::Publish;
        shipped(page)
    })
    .collect();
    write::transaction(conn, &actor, now, |tx| {
        let conn = &mut *tx.conn;
        if !is_pristine(conn)? {
            return Ok(false);
        }
        tx.touch(Touched::Site);
        let conn = &mut *tx.conn;
        settings::save_row(
            conn,
            &SiteSettings {
                title: "The Margin".into(),
                description: "Notes on the craft and business of independent publishing.".into(),
                language: "en".into(),
                timezone: Tz::Europe__London,
                posts_per_page: 5,
                navigation: vec![
                    NavItem {
                        label: "Home".into(),
                        url: "/".into(),
                    },
                    NavItem {
                        label: "Guides".into(),
                        url: "/tag/guides/".into(),
                    },
                    NavItem {
                        label: "About".into(),
                        url: "/about/".into(),
                    },
                    NavItem {
                        label: "Colophon".into(),
                        url: "/colophon/".into(),
                    },
                ],
                updated_at: now,
                discourage_search: false,
                logo_url: None,
                feed_items: 20,
                icon_url: None,
                social: Vec::new(),
                comments: Default::default(),
                staff_two_factor: false,
                content_api_key_required: false,
            },
        )?;

        let mut author_ids = Vec::new();
        for (email, name, role, bio) in DEMO_AUTHORS {
            let user = users::create(
                conn,
                NewUser {
                    status: users::Status::Active,
                    email: Email::parse(email).expect("shipped addresses are valid"),
                    display_name: (*name).into(),
                    role: *role,
                    bio: (*bio).into(),
                    website: String::new(),
                    password_hash: None,
                },
                now,
            )
            .map_err(crate::domain::accounts::user_error)?;
            author_ids.push(user.id);
        }
        for (tag_slug, name, description) in DEMO_TAGS {
            tags::create(conn, &slug(tag_slug), name, description, now)?;
        }

        for (demo, (mut post, written)) in DEMO_POSTS.iter().zip(demo_posts) {
            post.authors = Some(demo.authors.iter().map(|&i| author_ids[i]).collect());
            posts::write::create(tx.conn, &actor, post, written)?;
        }
        for mut page in pages {
            page.authors = Some(vec![author_ids[0]]);
            let written = page.publish_at.unwrap_or(now);
            posts::write::create(tx.conn, &actor, page, written)?;
        }
        demo_conversation(tx.conn, now)?;
        let conn = &mut *tx.conn;
        // An old address kept alive, as a site that moved from elsewhere would have.
        redirects::create_unchecked(
            conn,
            "/2026/10/why-we-started/",
            "/why-we-started-an-independent-publication/",
            301,
            now,
        )?;
        Ok(true)
    })
}

/// The post the demo's conversation is under.
const DEMO_CONVERSATION_POST: &str = "editing-is-a-conversation";

/// (author, email, website, index of the comment it answers, staff, text)
type DemoComment = (
    &'static str,
    &'static str,
    &'static str,
    Option<usize>,
    bool,
    &'static str,
);

/// A conversation under one demo post: (author, email, website, index of the comment it
/// answers, staff, text), in order. Shows threads, a staff reply and Markdown in comments.
const DEMO_CONVERSATION: &[DemoComment] = &[
    (
        "Ada Brennan",
        "ada.brennan@example.net",
        "https://ada.example/",
        None,
        false,
        "The point about reading drafts *aloud* changed how I edit. I catch twice as many \
         clumsy sentences that way.",
    ),
    (
        "Kofi Mensah",
        "kofi@example.net",
        "",
        Some(0),
        false,
        "Same here. I also print the last draft: mistakes hide on screens.",
    ),
    (
        "Maya Okafor",
        "maya@example.com",
        "",
        Some(1),
        true,
        "We do both for long pieces. For short ones, reading aloud is enough; printing \
         everything would use a forest.",
    ),
    (
        "Sam Whitfield",
        "sam@example.net",
        "",
        None,
        false,
        "How do you handle a writer who disagrees with an edit? Our small team argues \
         about commas more than anything else.\n\n> Editing is a conversation\n\nGood \
         title, but who gets the last word?",
    ),
    (
        "Maya Okafor",
        "maya@example.com",
        "",
        Some(3),
        true,
        "The writer, almost always: their name is on it. We explain the edit once, then let \
         it go. Our [style guide](/a-style-guide-writers-actually-read/) settles the commas.",
    ),
];

/// Writes the demo conversation, approved, as an import would.
fn demo_conversation(conn: &mut DbConn, now: NaiveDateTime) -> Result<(), WriteError> {
    use crate::domain::comments::{Status, write as comments};
    let Some(post_id) = posts::by_slug_any(conn, DEMO_CONVERSATION_POST)? else {
        return Ok(());
    };
    let published = posts::by_id(conn, post_id)?.published_at.unwrap_or(now);
    let mut placed: Vec<comments::Placed> = Vec::new();
    for (i, (name, email, website, parent, staff, text)) in DEMO_CONVERSATION.iter().enumerate() {
        let at = (published + chrono::Duration::hours(3 * (i as i64 + 1))).min(now);
        let html = crate::render::render_comment(text).html;
        let written = comments::save_imported(
            conn,
            &comments::Imported {
                post_id,
                parent: parent.map(|p| placed[p]),
                author_name: name,
                author_email: email,
                author_url: website,
                staff: *staff,
                status: Status::Approved,
                created_at: at,
                edited_at: None,
                markdown: text,
                html: html.as_str(),
            },
        )?;
        placed.push(written);
    }
    Ok(())
}
