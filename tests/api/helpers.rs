//! The test harness: a real Quire on a random port with a fresh database, and helpers to
//! seed content and read the HTML it serves.

use std::net::TcpListener;

use chrono::{Duration, NaiveDateTime, Utc};
use diesel::connection::SimpleConnection;
use diesel::{Connection, PgConnection};
use quire::config::Config;
use quire::db::Db;
use quire::domain::posts::input::{self, Cover, Intent, PostInput};
use quire::domain::posts::{self, Post, PostKind};
use quire::domain::settings::{self, SiteSettings};
use quire::domain::tags::{self, Tag, TagInput};
use quire::domain::users::{self, Email, NewUser, Role, User};
use quire::domain::write::Actor;
use reqwest::redirect::Policy;
use scraper::{ElementRef, Html, Selector};

pub struct TestApp {
    pub base: String,
    pub client: reqwest::Client,
    pub db: Db,
    pub cache: Option<std::sync::Arc<quire::web::page_cache::PageCache>>,
    /// This instance's job workers (`stop` them to play a crashed instance).
    pub jobs: std::sync::Arc<quire::state::JobWorkers>,
    pub feed: std::sync::Arc<quire::domain::changes::Feed>,
    secret_key: Vec<u8>,
    database_url: String,
    /// Kept so the folder outlives the server.
    _data_dir: tempfile::TempDir,
    _pg: Option<PgTestDatabase>,
}

/// A throwaway PostgreSQL database, dropped when the test ends.
pub struct PgTestDatabase {
    admin_url: String,
    name: String,
}

impl Drop for PgTestDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&self.admin_url) {
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// Where a test's data lives: a temp SQLite file, or a fresh PostgreSQL database when
/// `QUIRE_TEST_DATABASE_URL` names a server.
pub fn fresh_database(data_dir: &std::path::Path) -> (String, Option<PgTestDatabase>) {
    match std::env::var("QUIRE_TEST_DATABASE_URL") {
        Ok(admin_url) if !admin_url.is_empty() => {
            let name = format!("quire_test_{}", random_suffix());
            quire::db::prepare_tls();
            let mut conn = PgConnection::establish(&admin_url)
                .expect("QUIRE_TEST_DATABASE_URL must point at a reachable PostgreSQL");
            conn.batch_execute(&format!("CREATE DATABASE \"{name}\""))
                .expect("create test database");
            let mut url = url::Url::parse(&admin_url).expect("QUIRE_TEST_DATABASE_URL is a URL");
            url.set_path(&name);
            (url.to_string(), Some(PgTestDatabase { admin_url, name }))
        }
        _ => (
            format!("sqlite://{}", data_dir.join("quire.db").display()),
            None,
        ),
    }
}

fn random_suffix() -> String {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).unwrap();
    hex::encode(bytes)
}

pub fn test_config(data_dir: &std::path::Path, database_url: &str) -> Config {
    let data_dir = data_dir.to_string_lossy().into_owned();
    let database_url = database_url.to_string();
    Config::from_lookup(|name| match name {
        "QUIRE_DATA_DIR" => Some(data_dir.clone()),
        "QUIRE_DATABASE_URL" => Some(database_url.clone()),
        "QUIRE_BIND" => Some("127.0.0.1:0".into()),
        "QUIRE_LOG" => Some("warn".into()),
        _ => None,
    })
    .expect("test configuration is valid")
}

pub async fn spawn_app() -> TestApp {
    spawn_app_with(|_| {}).await
}

/// Starts the app after `adjust` has changed its configuration.
pub async fn spawn_app_with(adjust: impl FnOnce(&mut Config)) -> TestApp {
    let data_dir = tempfile::tempdir().unwrap();
    let (database_url, pg) = fresh_database(data_dir.path());
    start(data_dir, &database_url, pg, adjust)
}

/// Several instances of one site on one fresh database (PostgreSQL when the suite runs on
/// it), as behind a load balancer: the same secret key and base URL, each with its own
/// process state (page cache, change feed, job workers) and its own port. `adjust` is
/// given each instance's number.
pub async fn spawn_instances(count: usize, adjust: impl Fn(usize, &mut Config)) -> Vec<TestApp> {
    let first = spawn_app_with(|config| adjust(0, config)).await;
    let mut instances = Vec::new();
    for n in 1..count {
        let next = first.another_instance(|config| adjust(n, config)).await;
        instances.push(next);
    }
    instances.insert(0, first);
    instances
}

impl TestApp {
    /// One more instance of this site, on its database, started now.
    pub async fn another_instance(&self, adjust: impl FnOnce(&mut Config)) -> TestApp {
        let (secret, base_url) = (self.secret_key.clone(), self.base.clone());
        start(
            tempfile::tempdir().unwrap(),
            &self.database_url,
            None,
            |config| {
                config.secret_key = secret;
                config.base_url = base_url;
                adjust(config);
            },
        )
    }
}

fn start(
    data_dir: tempfile::TempDir,
    database_url: &str,
    pg: Option<PgTestDatabase>,
    adjust: impl FnOnce(&mut Config),
) -> TestApp {
    let mut config = test_config(data_dir.path(), database_url);
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    config.base_url = format!("http://127.0.0.1:{port}");
    adjust(&mut config);
    let secret_key = config.secret_key.clone();
    let state = quire::startup::prepare(config).expect("app prepares");
    let db = state.db.clone();
    let cache = state.page_cache.clone();
    let jobs = std::sync::Arc::clone(&state.jobs);
    let feed = std::sync::Arc::clone(&state.feed);
    let server = quire::startup::run(listener, state).expect("server starts");
    tokio::spawn(server);
    let client = reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap();
    TestApp {
        base: format!("http://127.0.0.1:{port}"),
        client,
        db,
        cache,
        jobs,
        feed,
        secret_key,
        database_url: database_url.to_string(),
        _data_dir: data_dir,
        _pg: pg,
    }
}

pub fn now() -> NaiveDateTime {
    Utc::now().naive_utc()
}

/// A post to seed, built up with the methods below, stored through the same use case as
/// the editor's (by the command line's actor).
pub struct SeedPost(PostInput);

impl SeedPost {
    pub fn published(slug: &str, title: &str) -> SeedPost {
        let mut post = PostInput::new(PostKind::Post);
        post.slug = slug.into();
        post.title = title.into();
        post.markdown = format!("Text of {title}.");
        post.intent = Intent::Publish;
        post.publish_at = Some(now() - Duration::hours(1));
        SeedPost(post)
    }
    pub fn page(slug: &str, title: &str) -> SeedPost {
        let mut seed = SeedPost::published(slug, title);
        seed.0.kind = PostKind::Page;
        seed
    }
    pub fn draft(mut self) -> SeedPost {
        self.0.intent = Intent::Save;
        self.0.publish_at = None;
        self
    }
    pub fn scheduled_at(mut self, at: NaiveDateTime) -> SeedPost {
        self.0.intent = Intent::Publish;
        self.0.publish_at = Some(at);
        self
    }
    pub fn at(mut self, at: NaiveDateTime) -> SeedPost {
        self.0.publish_at = Some(at);
        self
    }
    pub fn hours_ago(self, hours: i64) -> SeedPost {
        self.at(now() - Duration::hours(hours))
    }
    pub fn featured(mut self) -> SeedPost {
        self.0.featured = true;
        self
    }
    pub fn cover(mut self, url: &str, alt: &str) -> SeedPost {
        self.0.cover = Cover::Address(url.into());
        self.0.cover_alt = alt.into();
        self
    }
    /// Changes the post before it is stored (SEO fields and the like).
    pub fn with(mut self, change: impl FnOnce(&mut PostInput)) -> SeedPost {
        change(&mut self.0);
        self
    }
    pub fn markdown(mut self, markdown: &str) -> SeedPost {
        self.0.markdown = markdown.into();
        self
    }
    pub fn authors(mut self, authors: &[&User]) -> SeedPost {
        self.0.authors = Some(authors.iter().map(|u| u.id).collect());
        self
    }
    pub fn tags(mut self, tags: &[&Tag]) -> SeedPost {
        self.0.tags = tags.iter().map(|t| t.slug.clone()).collect();
        self
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    /// The app's `QUIRE_DATA_DIR`.
    pub fn data_dir(&self) -> &std::path::Path {
        self._data_dir.path()
    }

    /// Sends `request_line`'s path exactly as written (no client rewrites `..` or
    /// percent-escapes); returns the status and the body.
    pub async fn raw_get(&self, path: &[u8]) -> (u16, Vec<u8>) {
        use tokio::io::{AsyncReadExt, AsyncWriteExt};
        let address = self.base.trim_start_matches("http://").to_string();
        let mut stream = tokio::net::TcpStream::connect(&address).await.unwrap();
        let mut request = b"GET ".to_vec();
        request.extend_from_slice(path);
        request.extend_from_slice(b" HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
        stream.write_all(&request).await.unwrap();
        let mut response = Vec::new();
        stream.read_to_end(&mut response).await.unwrap();
        let head_end = response
            .windows(4)
            .position(|w| w == b"\r\n\r\n")
            .map_or(response.len(), |at| at + 4);
        let status = String::from_utf8_lossy(&response[9..12])
            .parse()
            .unwrap_or(0);
        (status, response[head_end..].to_vec())
    }

    /// GETs `path` anonymously. A page the cache is still compressing after answering is
    /// stored before this returns, so what a test checks next sees it.
    pub async fn get(&self, path: &str) -> reqwest::Response {
        let response = self
            .client
            .get(self.url(path))
            .send()
            .await
            .expect("request");
        if let Some(cache) = &self.cache {
            cache.settled().await;
        }
        response
    }

    /// GETs `path` as `client` (someone signed in), expects 200, and parses the body.
    pub async fn page_as(&self, client: &reqwest::Client, path: &str) -> Html {
        let response = client.get(self.url(path)).send().await.expect("request");
        assert_eq!(response.status().as_u16(), 200, "GET {path}");
        parse_html(&response.text().await.expect("body"))
    }

    /// GETs `path`, expects `status`, and parses the body as an HTML document.
    pub async fn page(&self, path: &str, status: u16) -> Html {
        let response = self.get(path).await;
        assert_eq!(response.status().as_u16(), status, "GET {path}");
        let content_type = response.headers()["content-type"]
            .to_str()
            .unwrap()
            .to_string();
        assert!(
            content_type.starts_with("text/html"),
            "GET {path}: {content_type}"
        );
        Html::parse_document(&response.text().await.unwrap())
    }

    pub fn seed(&self, seed: SeedPost) -> Post {
        let prepared = input::prepare(seed.0).expect("a valid seed post");
        // Written when published (or now), so the post does not look edited since.
        let written = prepared
            .publish_at
            .filter(|at| *at < now())
            .unwrap_or_else(now);
        let saved = self
            .db
            .run_blocking(|conn| {
                posts::write::create(conn, &Actor::command_line(), prepared, written)
            })
            .expect("seed post");
        self.db
            .run_blocking(|conn| posts::by_id(conn, saved.id))
            .expect("the seeded post")
    }

    /// Moves a post to the trash, as the editor's button does.
    pub fn trash(&self, id: i64) {
        self.db
            .run_blocking(|conn| {
                posts::write::set_trashed(conn, &Actor::command_line(), id, true, now())
            })
            .expect("trash the post");
    }

    /// Adds a redirect, as the admin's form does.
    pub fn redirect(&self, from: &str, to: &str, code: i32) {
        let target =
            quire::domain::redirects::Target::parse(from, to, &code.to_string()).expect("valid");
        self.db
            .run_blocking(|conn| {
                quire::domain::redirects::add(conn, &Actor::command_line(), &target, now())
            })
            .expect("add the redirect");
    }

    pub fn author(&self, name: &str) -> User {
        let email = format!("{}@example.com", quire::render::slugify(name));
        self.db
            .run_blocking(|conn| {
                users::create(
                    conn,
                    NewUser {
                        status: users::Status::Active,
                        email: Email::parse(&email).unwrap(),
                        display_name: name.into(),
                        role: Role::Author,
                        bio: format!("{name} writes here."),
                        website: "https://example.com/".into(),
                        password_hash: None,
                    },
                    now(),
                )
            })
            .expect("seed author")
    }

    pub fn tag(&self, slug: &str, name: &str) -> Tag {
        let input = TagInput {
            name: name.into(),
            slug: slug.into(),
            description: "About it.".into(),
            ..TagInput::default()
        };
        let fields = tags::parse(&input).expect("a valid tag");
        self.db
            .run_blocking(|conn| tags::add(conn, &Actor::command_line(), &fields, now()))
            .expect("seed tag")
    }

    /// Changes the settings, as the settings page does.
    pub fn update_settings(&self, change: impl FnOnce(&mut SiteSettings)) {
        self.db
            .run_blocking(|conn| {
                let mut current = settings::current(conn, now())?;
                change(&mut current);
                current.updated_at = now();
                settings::update(conn, &Actor::command_line(), &current, now())?;
                // The comment settings are saved on their own page.
                quire::domain::comments::write::save_settings(
                    conn,
                    &Actor::command_line(),
                    &current.comments,
                    now(),
                )
            })
            .expect("save settings");
    }
}

/// Asserts a permanent redirect to `location` (a path on this site).
pub async fn assert_redirect(app: &TestApp, path: &str, location: &str) {
    let response = app.get(path).await;
    assert_eq!(response.status().as_u16(), 301, "GET {path}");
    assert_eq!(response.headers()["location"], location, "GET {path}");
}

pub fn select<'a>(doc: &'a Html, css: &str) -> Vec<ElementRef<'a>> {
    doc.select(&Selector::parse(css).unwrap()).collect()
}

pub fn text_of(doc: &Html, css: &str) -> String {
    select(doc, css)
        .first()
        .map(|e| e.text().collect::<String>().trim().to_string())
        .unwrap_or_else(|| panic!("no element matches {css}"))
}

pub fn attr_of(doc: &Html, css: &str, attr: &str) -> String {
    select(doc, css)
        .first()
        .and_then(|e| e.value().attr(attr))
        .unwrap_or_else(|| panic!("no {css}[{attr}]"))
        .to_string()
}

/// The hrefs of the post cards in a listing, in order.
pub fn card_links(doc: &Html) -> Vec<String> {
    select(doc, ".card__title a")
        .iter()
        .map(|a| a.value().attr("href").unwrap().to_string())
        .collect()
}

/// A separate browser: its own cookie jar, not following redirects.
pub fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(Policy::none())
        .cookie_store(true)
        .build()
        .unwrap()
}

pub fn parse_html(body: &str) -> Html {
    Html::parse_document(body)
}

/// The password of the accounts tests create.
pub const PASSWORD: &str = "a tidy margin of error";

/// Account helpers: forms with their CSRF token, the outbox, users with passwords.
impl TestApp {
    /// A browser signed in to a new active account with `role` (password `PASSWORD`).
    pub async fn signed_in_as(&self, email: &str, role: Role) -> reqwest::Client {
        self.user_with_password(email, role, PASSWORD);
        let client = browser();
        let response = self.sign_in(&client, email, PASSWORD).await;
        assert_eq!(response.status(), 303, "{email} signs in");
        client
    }

    /// The CSRF token of the first form on the page at `path`, as `client` sees it.
    pub async fn csrf_token(&self, client: &reqwest::Client, path: &str) -> String {
        let response = client.get(self.url(path)).send().await.unwrap();
        assert_eq!(response.status(), 200, "GET {path}");
        let doc = Html::parse_document(&response.text().await.unwrap());
        attr_of(&doc, "input[name=csrf_token]", "value")
    }

    /// Fetches the form page at `page`, then posts `fields` (plus its CSRF token) to `action`.
    pub async fn submit(
        &self,
        client: &reqwest::Client,
        page: &str,
        action: &str,
        fields: &[(&str, &str)],
    ) -> reqwest::Response {
        let token = self.csrf_token(client, page).await;
        let mut form: Vec<(&str, &str)> = fields.to_vec();
        form.push(("csrf_token", &token));
        client
            .post(self.url(action))
            .form(&form)
            .send()
            .await
            .unwrap()
    }

    pub fn outbox(&self) -> Vec<quire::mail::Queued> {
        self.db.run_blocking(quire::mail::outbox).unwrap()
    }

    /// The path and query of the newest link to `path` mailed to `to`.
    pub fn mailed_link(&self, to: &str, path: &str) -> String {
        let prefix = format!("{}{path}", self.base);
        self.outbox()
            .into_iter()
            .filter(|m| m.recipient.eq_ignore_ascii_case(to))
            .find_map(|m| {
                m.body
                    .split_whitespace()
                    .find(|word| word.starts_with(&prefix))
                    .map(|url| url[self.base.len()..].to_string())
            })
            .unwrap_or_else(|| panic!("no mail to {to} with a link to {path}"))
    }

    /// A site past its first-run setup: an owner exists (a site with nobody at all sends
    /// its sign-in page to setup).
    pub fn has_an_owner(&self) -> User {
        self.user_with_password("owner@example.com", Role::Owner, PASSWORD)
    }

    /// The setup address with its key, as the start-up log prints it for a site with
    /// accounts but no owner.
    pub fn setup_with_key(&self) -> String {
        format!(
            "/admin/setup?key={}",
            quire::web::admin::setup::setup_key(&self.secret_key)
        )
    }

    /// The account with this address (which must exist).
    pub fn user(&self, email: &str) -> User {
        let email = Email::parse(email).unwrap();
        self.db
            .run_blocking(move |conn| users::by_email(conn, &email))
            .unwrap()
            .expect("the account exists")
            .0
    }

    /// An active account with a password, created directly in the database.
    pub fn user_with_password(&self, email: &str, role: Role, password: &str) -> User {
        let hash =
            quire::auth::password::hash(&users::Password::parse(password.into()).unwrap()).unwrap();
        let email = Email::parse(email).unwrap();
        let name = email.as_str().split('@').next().unwrap().to_string();
        self.db
            .run_blocking(|conn| {
                users::create(
                    conn,
                    NewUser {
                        status: users::Status::Active,
                        email,
                        display_name: name,
                        role,
                        bio: String::new(),
                        website: String::new(),
                        password_hash: Some(hash),
                    },
                    now(),
                )
            })
            .expect("seed user")
    }

    /// Signs `client` in; returns the response to the sign-in form.
    pub async fn sign_in(
        &self,
        client: &reqwest::Client,
        email: &str,
        password: &str,
    ) -> reqwest::Response {
        self.submit(
            client,
            "/account/login",
            "/account/login",
            &[("email", email), ("password", password)],
        )
        .await
    }
}

pub fn location(response: &reqwest::Response) -> String {
    response.headers()["location"].to_str().unwrap().to_string()
}

/// A form's controls as a browser would submit it: the form posting to `action` on the page
/// at `page`, with each control's current value (hidden ones included, unchecked boxes left
/// out), and each control's `type` (`textarea` and `select` for those).
pub async fn form_controls(
    app: &TestApp,
    client: &reqwest::Client,
    page: &str,
    action: &str,
) -> Vec<(String, String, String)> {
    let response = client.get(app.url(page)).send().await.unwrap();
    assert_eq!(response.status(), 200, "GET {page}");
    let doc = parse_html(&response.text().await.unwrap());
    let form = format!("form[method=post][action=\"{action}\"]");
    let css = format!("{form} input[name], {form} textarea[name], {form} select[name]");
    let selected = Selector::parse("option[selected]").unwrap();
    let mut controls = Vec::new();
    for control in select(&doc, &css) {
        let element = control.value();
        let name = element.attr("name").unwrap().to_string();
        let (kind, value) = match element.name() {
            "textarea" => ("textarea".to_string(), control.text().collect::<String>()),
            "select" => (
                "select".to_string(),
                control
                    .select(&selected)
                    .next()
                    .and_then(|o| o.value().attr("value"))
                    .unwrap_or("")
                    .to_string(),
            ),
            _ => {
                let kind = element.attr("type").unwrap_or("text").to_string();
                if matches!(kind.as_str(), "checkbox" | "radio")
                    && element.attr("checked").is_none()
                {
                    continue;
                }
                let value = match kind.as_str() {
                    "checkbox" => element.attr("value").unwrap_or("on").to_string(),
                    _ => element.attr("value").unwrap_or("").to_string(),
                };
                (kind, value)
            }
        };
        controls.push((name, kind, value));
    }
    assert!(
        !controls.is_empty(),
        "no form posting to {action} on {page}"
    );
    controls
}

/// Reads the stream until `needle` shows up, or fails after `within`.
pub async fn hear(
    response: &mut reqwest::Response,
    needle: &str,
    within: std::time::Duration,
) -> String {
    let deadline = std::time::Instant::now() + within;
    let mut heard = String::new();
    while !heard.contains(needle) {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        assert!(
            !left.is_zero(),
            "nothing like {needle:?} in time; heard {heard:?}"
        );
        match tokio::time::timeout(left, response.chunk()).await {
            Ok(Ok(Some(chunk))) => heard.push_str(&String::from_utf8_lossy(&chunk)),
            Ok(other) => panic!("the stream ended: {other:?}; heard {heard:?}"),
            Err(_) => panic!("nothing like {needle:?} in time; heard {heard:?}"),
        }
    }
    heard
}
