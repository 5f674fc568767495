//! The `quire` binary: commands, usage errors, configuration errors, and its logs.

use std::io::{BufRead, BufReader, Write};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use quire::config::DatabaseUrl;
use quire::db::Db;

use crate::helpers::{PgTestDatabase, fresh_database};

/// A place for the binary to run: its own folder and database, and no inherited settings.
struct Sandbox {
    dir: tempfile::TempDir,
    database_url: String,
    _pg: Option<PgTestDatabase>,
}

impl Sandbox {
    fn new() -> Sandbox {
        let dir = tempfile::tempdir().unwrap();
        let (database_url, pg) = fresh_database(dir.path());
        Sandbox {
            dir,
            database_url,
            _pg: pg,
        }
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut command = Command::new(env!("CARGO_BIN_EXE_quire"));
        command.args(args).current_dir(self.dir.path());
        for (name, _) in quire::config::VARIABLES {
            command.env_remove(name);
        }
        command
            .env_remove("QUIRE_PASSWORD")
            .env("QUIRE_DATA_DIR", self.dir.path().join("data"))
            .env("QUIRE_DATABASE_URL", &self.database_url)
            .env("QUIRE_LOG", "warn");
        command
    }

    /// Starts `args` (a `serve`) on a free port, logging at info in `format` to a pipe.
    fn serve(&self, args: &[&str], format: &str) -> (std::process::Child, u16) {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = self
            .command(args)
            .env("QUIRE_BIND", format!("127.0.0.1:{port}"))
            .env("QUIRE_LOG_FORMAT", format)
            .env("QUIRE_LOG", "info")
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        (child, port)
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().unwrap()
    }

    fn run_with_stdin(&self, args: &[&str], input: &str) -> Output {
        let mut child = self
            .command(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        // The binary may refuse its arguments before it reads the password: a closed pipe
        // is expected then.
        let _ = child.stdin.take().unwrap().write_all(input.as_bytes());
        child.wait_with_output().unwrap()
    }

    fn user_count(&self) -> i64 {
        let url = DatabaseUrl::parse(&self.database_url).unwrap();
        quire::db::run_migrations(&url).unwrap();
        Db::connect(&url)
            .unwrap()
            .run_blocking(quire::domain::users::count)
            .unwrap()
    }
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

fn assert_clean_failure(output: &Output, code: i32, needle: &str) {
    let err = stderr(output);
    assert_eq!(output.status.code(), Some(code), "stderr: {err}");
    assert!(err.contains(needle), "expected {needle:?} in: {err}");
    assert!(!err.contains("panicked"), "{err}");
}

const CREATE: [&str; 7] = [
    "create-user",
    "--email",
    "ada@example.com",
    "--name",
    "Ada Lovelace",
    "--role",
    "owner",
];

fn with_stdin<'a>(args: &[&'a str]) -> Vec<&'a str> {
    let mut args = args.to_vec();
    args.push("--password-stdin");
    args
}

#[test]
fn every_command_has_help() {
    let sandbox = Sandbox::new();
    for args in [
        &["--help"][..],
        &["serve", "--help"],
        &["migrate", "--help"],
        &["create-user", "--help"],
        &["integration", "create", "--help"],
    ] {
        let output = sandbox.run(args);
        assert!(output.status.success(), "{args:?}");
        assert!(
            String::from_utf8_lossy(&output.stdout).contains("Usage"),
            "{args:?}"
        );
    }
    let help = String::from_utf8_lossy(&sandbox.run(&["--help"]).stdout).into_owned();
    for command in ["serve", "migrate", "create-user", "--demo"] {
        assert!(help.contains(command), "{command} missing from --help");
    }
}

#[test]
fn wrong_arguments_are_usage_errors() {
    let sandbox = Sandbox::new();
    for args in [
        &["frobnicate"][..],
        &["serve", "--bogus"],
        &["create-user", "--email", "a@example.com"],
        &["migrate", "extra"],
        &["--demo", "migrate"],
    ] {
        assert_clean_failure(&sandbox.run(args), 2, "Usage");
    }
}

#[test]
fn create_user_hashes_the_password_from_stdin() {
    let sandbox = Sandbox::new();
    let output = sandbox.run_with_stdin(&with_stdin(&CREATE), "correct horse battery staple\n");
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(String::from_utf8_lossy(&output.stdout).contains("Ada Lovelace"));
    assert_eq!(sandbox.user_count(), 1);

    let url = DatabaseUrl::parse(&sandbox.database_url).unwrap();
    let hash: Option<String> = Db::connect(&url)
        .unwrap()
        .run_blocking(|conn| {
            use diesel::prelude::*;
            use quire::db::schema::users;
            users::table
                .select(users::password_hash)
                .first::<Option<String>>(conn)
        })
        .unwrap();
    let hash = hash.expect("a password hash is stored");
    assert!(hash.starts_with("$argon2id$"));
    assert!(quire::auth::password::verify(
        "correct horse battery staple",
        &hash
    ));
}

#[test]
fn create_user_takes_the_password_from_the_environment() {
    let sandbox = Sandbox::new();
    let output = sandbox
        .command(&CREATE)
        .env("QUIRE_PASSWORD", "from the environment")
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(sandbox.user_count(), 1);
}

#[test]
fn create_user_refuses_a_duplicate_email_whatever_its_case() {
    let sandbox = Sandbox::new();
    let first = sandbox.run_with_stdin(&with_stdin(&CREATE), "first password\n");
    assert!(first.status.success(), "{}", stderr(&first));
    let mut again = CREATE;
    again[2] = "  ADA@Example.com ";
    let output = sandbox.run_with_stdin(&with_stdin(&again), "second password\n");
    assert_clean_failure(&output, 1, "already uses this address");
    assert_eq!(sandbox.user_count(), 1);
}

#[test]
fn create_user_rejects_bad_input_and_writes_nothing() {
    let sandbox = Sandbox::new();
    let cases: [(&[&str], &str, &str); 6] = [
        (
            &["--email", "not-an-email"],
            "long enough pass\n",
            "not a valid email",
        ),
        (&["--role", "emperor"], "long enough pass\n", "unknown role"),
        (
            &["--name", "   "],
            "long enough pass\n",
            "name cannot be empty",
        ),
        (&[], "short\n", "at least 8 characters"),
        (&[], "\n", "no password"),
        (&[], &format!("{}\n", "x".repeat(1025)), "at most 1024"),
    ];
    for (overrides, stdin, message) in cases {
        let mut args: Vec<&str> = CREATE.to_vec();
        for pair in overrides.chunks(2) {
            let at = args.iter().position(|a| *a == pair[0]).unwrap();
            args[at + 1] = pair[1];
        }
        let output = sandbox.run_with_stdin(&with_stdin(&args), stdin);
        assert_clean_failure(&output, 1, message);
    }
    let no_password = sandbox.run(&CREATE);
    assert_clean_failure(&no_password, 1, "QUIRE_PASSWORD");
    assert_eq!(sandbox.user_count(), 0);
}

#[test]
fn bad_configuration_stops_start_up_naming_the_variable() {
    let sandbox = Sandbox::new();
    let a_file = sandbox.dir.path().join("a-file");
    std::fs::write(&a_file, "x").unwrap();
    let cases = [
        ("QUIRE_BIND", "not-an-address".to_string()),
        ("QUIRE_DATABASE_URL", "mysql://localhost/quire".to_string()),
        ("QUIRE_DATA_DIR", a_file.join("data").display().to_string()),
        ("QUIRE_BASE_URL", "example.com".to_string()),
        ("QUIRE_SECRET_KEY", "short".to_string()),
        ("QUIRE_LOG_FORMAT", "xml".to_string()),
    ];
    for (var, value) in cases {
        for command in [&["serve"][..], &["migrate"]] {
            let output = sandbox.command(command).env(var, &value).output().unwrap();
            let err = stderr(&output);
            assert_eq!(output.status.code(), Some(1), "{var}: {err}");
            let first = err.lines().next().unwrap_or_default();
            assert!(first.starts_with(&format!("error: {var}:")), "{var}: {err}");
            assert_eq!(err.trim_end().lines().count(), 1, "one line: {err}");
        }
    }
}

#[test]
fn migrate_applies_then_reports_up_to_date() {
    let sandbox = Sandbox::new();
    let first = sandbox.run(&["migrate"]);
    assert!(first.status.success(), "{}", stderr(&first));
    assert!(String::from_utf8_lossy(&first.stdout).contains("applied"));
    let second = sandbox.run(&["migrate"]);
    assert!(second.status.success());
    assert!(String::from_utf8_lossy(&second.stdout).contains("up to date"));
}

/// `quire serve` running in a sandbox, logging JSON at info: its port, and its log lines
/// up to "Quire is serving" (the rest are still to be read).
struct Serving {
    child: std::process::Child,
    port: u16,
    before_ready: Vec<serde_json::Value>,
    lines: std::io::Lines<BufReader<std::process::ChildStderr>>,
}

impl Serving {
    fn start(sandbox: &Sandbox, args: &[&str]) -> Serving {
        let (mut child, port) = sandbox.serve(args, "json");
        let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
        let deadline = Instant::now() + Duration::from_secs(30);
        let mut before_ready = Vec::new();
        while Instant::now() < deadline {
            let Some(Ok(line)) = lines.next() else { break };
            let event: serde_json::Value =
                serde_json::from_str(&line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}"));
            let ready = event["message"] == "Quire is serving";
            before_ready.push(event);
            if ready {
                break;
            }
        }
        Serving {
            child,
            port,
            before_ready,
            lines,
        }
    }

    fn ready(&self) -> bool {
        self.before_ready
            .iter()
            .any(|e| e["message"] == "Quire is serving")
    }

    /// The status and body of a GET of `path`.
    fn get(&self, path: &str) -> (u16, String) {
        let runtime = tokio::runtime::Runtime::new().unwrap();
        runtime.block_on(async {
            let client = reqwest::Client::builder()
                .redirect(reqwest::redirect::Policy::none())
                .build()
                .unwrap();
            let response = client
                .get(format!("http://127.0.0.1:{}{path}", self.port))
                .send()
                .await
                .unwrap();
            let status = response.status().as_u16();
            (status, response.text().await.unwrap())
        })
    }

    /// Stops the server as an operator would (SIGTERM) and returns the next `n` log lines:
    /// the log's writer thread writes out what is queued, which a SIGKILL would lose.
    fn stop(mut self, n: usize) -> Vec<String> {
        #[cfg(all(target_os = "linux", target_env = "gnu"))]
        // SAFETY: signals our own child, whose PID we hold and have not reaped.
        unsafe {
            libc::kill(self.child.id() as libc::pid_t, libc::SIGTERM)
        };
        #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
        let _ = self.child.kill();
        let _ = self.child.wait();
        self.lines.take(n).map_while(Result::ok).collect()
    }
}

#[test]
fn serve_logs_json_and_answers_requests() {
    let sandbox = Sandbox::new();
    let server = Serving::start(&sandbox, &["serve", "--demo"]);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert!(server.ready(), "the server said it was serving");
        let (status, body) = server.get("/");
        assert_eq!(status, 200);
        assert!(body.contains("The Margin"), "demo content is served");
    }));
    let rest = server.stop(50);
    outcome.unwrap();
    // The request above was logged as JSON with its request id.
    assert!(
        rest.iter().any(|line| line.contains("request_id")),
        "requests are logged with their id"
    );
    // With nobody to sign in yet, the log says where to set the site up.
    assert!(
        rest.iter()
            .any(|line| line.contains("/admin/setup") && line.contains("Set up the site")),
        "the setup address is logged: {rest:?}"
    );
}

#[test]
fn a_site_imported_before_its_first_start_shows_no_welcome_post() {
    let sandbox = Sandbox::new();
    let file = corpus_file(sandbox.dir.path(), 3);
    let imported = sandbox.run(&["import", file.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let server = Serving::start(&sandbox, &["serve"]);
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        assert!(server.ready(), "the server said it was serving");
        assert_eq!(server.get("/post-0/").0, 200);
        assert_eq!(server.get("/welcome/").0, 404);
        // Imported authors, but no owner: setup needs the key the log prints.
        assert_eq!(server.get("/account/login").0, 200);
        assert_eq!(server.get("/admin/setup").0, 403);
    }));
    let rest = server.stop(20);
    outcome.unwrap();
    assert!(
        rest.iter()
            .any(|line| line.contains("/admin/setup?key=owner.")),
        "the log prints the setup address with its key: {rest:?}"
    );
    assert_eq!(exported_posts(&sandbox).as_array().unwrap().len(), 3);
}

#[test]
fn create_user_refuses_weak_passwords_unless_told_and_a_second_owner() {
    let sandbox = Sandbox::new();
    let weak = sandbox.run_with_stdin(&with_stdin(&CREATE), "password123\n");
    assert_clean_failure(&weak, 1, "too common");
    assert!(stderr(&weak).contains("--allow-weak-password"));
    let same = sandbox.run_with_stdin(&with_stdin(&CREATE), "ada@example.com\n");
    assert_clean_failure(&same, 1, "cannot be your email address");
    assert_eq!(sandbox.user_count(), 0);
    // Length is checked even when told.
    let mut told = with_stdin(&CREATE);
    told.push("--allow-weak-password");
    let short = sandbox.run_with_stdin(&told, "pass\n");
    assert_clean_failure(&short, 1, "at least 8 characters");
    assert!(!stderr(&short).contains("--allow-weak-password"));
    let accepted = sandbox.run_with_stdin(&told, "password123\n");
    assert!(accepted.status.success(), "{}", stderr(&accepted));
    assert_eq!(sandbox.user_count(), 1);

    // One owner only: a second is refused, saying how ownership moves.
    let mut second = with_stdin(&CREATE);
    second[2] = "grace@example.com";
    let refused = sandbox.run_with_stdin(&second, "a long password\n");
    assert_clean_failure(&refused, 1, "has an owner already");
    assert_eq!(sandbox.user_count(), 1);
}

#[test]
fn export_and_import_from_the_command_line() {
    let sandbox = Sandbox::new();
    let created = sandbox.run_with_stdin(&with_stdin(&CREATE), "a long password\n");
    assert!(created.status.success(), "{}", stderr(&created));
    let file = sandbox.dir.path().join("site.json");
    let exported = sandbox.run(&["export", file.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    assert_eq!(document["format"], "quire-export");
    assert_eq!(document["authors"][0]["email"], "ada@example.com");
    assert!(!sandbox.dir.path().join("site.partial").exists());

    let imported = sandbox.run(&["import", file.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    let said = String::from_utf8_lossy(&imported.stdout).into_owned();
    assert!(said.contains("Imported 0 posts and pages"), "{said}");
    assert!(said.contains("1 people"), "{said}");
    let reports = std::fs::read_dir(sandbox.dir.path().join("data").join("imports"))
        .map(|entries| entries.count())
        .unwrap_or(0);
    assert_eq!(reports, 1, "the report is kept in the data folder");
    assert_eq!(sandbox.user_count(), 1, "the same person, updated in place");

    std::fs::write(
        &file,
        "{\"format\": \"quire-export\", \"version\": 1, \"posts\": [",
    )
    .unwrap();
    let broken = sandbox.run(&["import", file.to_str().unwrap()]);
    assert_clean_failure(&broken, 1, "not a Quire JSON file");
    assert_eq!(stderr(&broken).trim_end().lines().count(), 1);
    assert_clean_failure(&sandbox.run(&["import"]), 2, "Usage");

    let wxr = sandbox.dir.path().join("site.xml");
    let exported = sandbox.run(&["export", "--format", "wxr", wxr.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let text = std::fs::read_to_string(&wxr).unwrap();
    let doc = roxmltree::Document::parse(&text).expect("a well-formed WordPress export");
    assert_eq!(doc.root_element().tag_name().name(), "rss");
    assert!(text.contains("<wp:author_email><![CDATA[ada@example.com]]>"));
    assert_clean_failure(&sandbox.run(&["export", "--format", "pdf", "x"]), 2, "wxr");
    let archive = sandbox.dir.path().join("site.zip");
    let exported = sandbox.run(&["export", "--format", "archive", archive.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let imported = sandbox.run(&["import", archive.to_str().unwrap()]);
    assert!(imported.status.success(), "{}", stderr(&imported));
    assert!(String::from_utf8_lossy(&imported.stdout).contains("Format: Quire archive"));
    assert_clean_failure(
        &sandbox.run(&["export", "--format", "archive", "-"]),
        1,
        "give it a name",
    );
    assert_clean_failure(
        &sandbox.run(&["import", "--media", "fetch", wxr.to_str().unwrap()]),
        1,
        "--allow-host",
    );
}

#[test]
fn every_variable_and_command_is_documented_in_the_readme() {
    let readme = include_str!("../../README.md");
    for (name, _) in quire::config::VARIABLES {
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "{name} is in the README's table"
        );
    }
    for command in ["serve", "migrate", "create-user", "import", "export"] {
        assert!(
            readme.contains(&format!("quire {command}")),
            "`quire {command}` is in the README"
        );
    }
}

/// A corpus of `n` posts in Quire's corpus format.
fn corpus_file(dir: &std::path::Path, n: usize) -> std::path::PathBuf {
    let posts: Vec<serde_json::Value> = (0..n)
        .map(|i| {
            serde_json::json!({
                "slug": format!("post-{i}"), "title": format!("Post {i}"),
                "markdown": format!("## Part {i}\n\n{}", "Some words to render. ".repeat(200)),
                "author": "ada", "tags": ["craft"],
                "published_at": "2026-01-01T10:00:00Z", "updated_at": "2026-01-02T10:00:00Z"
            })
        })
        .collect();
    let corpus = serde_json::json!({
        "format": "quire-corpus", "version": 1, "seed": 1,
        "authors": [{ "id": 1, "slug": "ada", "name": "Ada", "email": "ada@example.com", "bio": "" }],
        "tags": [{ "id": 1, "slug": "craft", "name": "Craft", "description": "" }],
        "posts": posts
    });
    let path = dir.join("corpus.json");
    std::fs::write(&path, corpus.to_string()).unwrap();
    path
}

/// What a site holds, for comparing two: its posts as exported, in order.
fn exported_posts(sandbox: &Sandbox) -> serde_json::Value {
    let file = sandbox.dir.path().join("out.json");
    let exported = sandbox.run(&["export", file.to_str().unwrap()]);
    assert!(exported.status.success(), "{}", stderr(&exported));
    let mut document: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&file).unwrap()).unwrap();
    let mut posts = document["posts"].take();
    posts
        .as_array_mut()
        .unwrap()
        .sort_by_key(|p| p["slug"].as_str().unwrap().to_string());
    posts
}

#[test]
fn an_import_killed_midway_and_run_again_equals_one_run() {
    let whole = Sandbox::new();
    let file = corpus_file(whole.dir.path(), 2000);
    let once = whole.run(&["import", file.to_str().unwrap()]);
    assert!(once.status.success(), "{}", stderr(&once));

    let killed = Sandbox::new();
    let file = corpus_file(killed.dir.path(), 2000);
    let mut child = killed
        .command(&["import", file.to_str().unwrap()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Killed (SIGKILL, no chance to tidy up) once the first batch is in.
    let lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let mut written = false;
    for line in lines.map_while(Result::ok) {
        if line.starts_with("imported 250/2000") {
            written = true;
            break;
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    assert!(
        written,
        "the import wrote a first batch before it was killed"
    );
    let partial = exported_posts(&killed).as_array().unwrap().len();
    assert!(
        (250..2000).contains(&partial),
        "{partial} posts after the kill"
    );

    let again = killed.run(&["import", file.to_str().unwrap()]);
    assert!(again.status.success(), "{}", stderr(&again));
    let said = String::from_utf8_lossy(&again.stdout).into_owned();
    assert!(
        said.contains(&format!("{} new, {partial} updated", 2000 - partial)),
        "{said}"
    );
    assert_eq!(exported_posts(&killed), exported_posts(&whole));
}

/// `quire serve` with its whole log collected: started in `format` at info, sent `requests`
/// (a path and how many times), then stopped the way an operator stops it (SIGTERM).
/// Returns each request's `X-Request-Id` with its path and status, and every log line.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn serve_and_stop(
    format: &str,
    requests: &[(&str, usize)],
) -> (Vec<(String, String, u16)>, Vec<String>) {
    let sandbox = Sandbox::new();
    let (mut child, port) = sandbox.serve(&["serve", "--demo"], format);
    // Read all along, so a full pipe never holds the server up.
    let stderr = child.stderr.take().unwrap();
    let reader = std::thread::spawn(move || {
        BufReader::new(stderr)
            .lines()
            .map_while(Result::ok)
            .collect::<Vec<_>>()
    });
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let sent = runtime.block_on(async {
        let client = reqwest::Client::new();
        let url = |path: &str| format!("http://127.0.0.1:{port}{path}");
        let deadline = Instant::now() + Duration::from_secs(30);
        while client.get(url("/healthz")).send().await.is_err() {
            assert!(Instant::now() < deadline, "the server did not start");
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let mut sent = Vec::new();
        for (path, times) in requests {
            for _ in 0..*times {
                let response = client.get(url(path)).send().await.unwrap();
                let id = response.headers()["x-request-id"]
                    .to_str()
                    .unwrap()
                    .to_string();
                sent.push((id, path.to_string(), response.status().as_u16()));
            }
        }
        sent
    });
    // SAFETY: signals our own child, whose PID we hold and have not reaped.
    unsafe { libc::kill(child.id() as libc::pid_t, libc::SIGTERM) };
    let status = child.wait().unwrap();
    assert!(status.success(), "a graceful stop exits cleanly: {status}");
    (sent, reader.join().unwrap())
}

/// Hits, misses and not-found pages, each logged once with what an operator looks for.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const MIXED: &[(&str, usize)] = &[
    ("/", 200),
    ("/welcome/", 3),
    ("/no-such-page/", 2),
    ("/healthz", 1),
];

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn every_request_is_logged_as_json_and_nothing_is_lost_at_a_graceful_stop() {
    let (sent, lines) = serve_and_stop("json", MIXED);
    let requests: Vec<serde_json::Value> = lines
        .iter()
        .map(|line| serde_json::from_str(line).unwrap_or_else(|e| panic!("not JSON ({e}): {line}")))
        .filter(|event: &serde_json::Value| event["message"] == "request")
        .collect();
    assert_eq!(
        requests.len(),
        sent.len() + 1,
        "every request, the readiness probe too"
    );
    for (id, path, status) in &sent {
        let logged: Vec<_> = requests
            .iter()
            .filter(|e| e["request_id"] == id.as_str())
            .collect();
        assert_eq!(logged.len(), 1, "request {id} is logged once");
        let event = logged[0];
        assert_eq!(event["method"], "GET");
        assert_eq!(event["path"], path.as_str());
        assert_eq!(event["status"], *status);
        assert_eq!(event["level"], "INFO");
        assert!(event["elapsed_us"].is_u64(), "{event}");
    }
    let ids: std::collections::HashSet<_> = sent.iter().map(|(id, _, _)| id).collect();
    assert_eq!(ids.len(), sent.len(), "ids are unique");
    assert!(
        sent.iter()
            .any(|(_, path, status)| path == "/no-such-page/" && *status == 404)
    );
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
#[test]
fn every_request_is_logged_in_the_pretty_format_too() {
    let (sent, lines) = serve_and_stop("pretty", MIXED);
    let requests: Vec<&String> = lines
        .iter()
        .filter(|line| line.contains(" request "))
        .collect();
    assert_eq!(
        requests.len(),
        sent.len() + 1,
        "{:?}",
        &lines[..lines.len().min(5)]
    );
    for (id, path, status) in &sent {
        let line = requests
            .iter()
            .find(|line| line.contains(&format!("request_id={id} ")))
            .unwrap_or_else(|| panic!("request {id} is logged"));
        assert!(line.contains(" INFO "), "{line}");
        assert!(line.contains("method=GET"), "{line}");
        assert!(
            line.contains(&format!("path=\"{path}\"")) || line.contains(&format!("path={path}")),
            "{line}"
        );
        assert!(line.contains(&format!("status={status}")), "{line}");
        assert!(line.contains("elapsed_us="), "{line}");
    }
}

#[test]
fn integration_create_prints_its_keys_as_json_and_refuses_bad_scopes() {
    let sandbox = Sandbox::new();
    let output = sandbox.run(&[
        "integration",
        "create",
        "--name",
        "Newsroom",
        "--scope",
        "posts:write",
        "--scope",
        "content:read,media:write",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("one JSON object on standard output");
    let content_key = printed["content_key"].as_str().unwrap();
    let admin_key = printed["admin_key"].as_str().unwrap();
    assert_eq!(content_key.len(), 26);
    assert!(admin_key.starts_with("quire_") && admin_key.len() == 54);
    let url = DatabaseUrl::parse(&sandbox.database_url).unwrap();
    let db = Db::connect(&url).unwrap();
    let found = db
        .run_blocking(|conn| {
            quire::domain::integrations::authenticate(
                conn,
                quire::domain::integrations::KeyKind::Admin,
                admin_key,
                quire::clock::now(),
            )
        })
        .unwrap()
        .expect("the printed key works");
    assert_eq!(found.name, "Newsroom");
    assert_eq!(found.scopes().len(), 3);

    for (args, needle) in [
        (
            &["integration", "create", "--name", "X", "--scope", "root"][..],
            "'root' is not a scope",
        ),
        (
            &[
                "integration",
                "create",
                "--name",
                " ",
                "--scope",
                "posts:write",
            ],
            "Give the integration a name",
        ),
        (&["integration", "create", "--name", "X"], "--scope"),
    ] {
        let output = sandbox.run(args);
        assert_ne!(output.status.code(), Some(0), "{args:?}");
        assert!(
            stderr(&output).contains(needle),
            "{args:?}: {}",
            stderr(&output)
        );
        assert!(output.stdout.is_empty(), "no keys printed for {args:?}");
    }
}
