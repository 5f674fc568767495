//! The command line: `quire [serve] [--demo]`, `quire migrate`, `quire create-user`.

use std::io::{BufRead, IsTerminal};
use std::net::TcpListener;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Parser, Subcommand};

use crate::clock::now;
use crate::config::Config;
use crate::db::{self, Db};
use crate::domain::users::{Email, Password, Role, UserError, parse_display_name};
use crate::domain::write::Actor;
use crate::domain::{integrations, people};
use crate::{auth, startup, telemetry};

#[derive(Debug, Parser)]
#[command(
    name = "quire",
    version,
    about = "A fast, server-rendered publishing platform in one binary.",
    long_about = "A fast, server-rendered publishing platform in one binary.\n\n\
        Configuration comes from QUIRE_* environment variables (and a .env file if present); \
        see the README for the full list.",
    args_conflicts_with_subcommands = true
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Option<Command>,
    #[command(flatten)]
    pub serve: ServeArgs,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the site (the default when no command is given).
    Serve(ServeArgs),
    /// Apply pending database migrations, then exit.
    Migrate,
    /// Create a user account (the first owner, or staff and members).
    CreateUser(CreateUserArgs),
    /// Import a WordPress, Ghost or Quire export, or a folder of Markdown files (matched by
    /// slug: importing again updates, never duplicates).
    Import(ImportArgs),
    /// Export the whole site (settings, people, tags, posts, pages, drafts, redirects) as
    /// Quire JSON. The file includes password hashes: keep it private.
    Export(ExportArgs),
    /// Manage the programs that use the API.
    #[command(subcommand)]
    Integration(IntegrationCommand),
}

#[derive(Debug, clap::Subcommand)]
pub enum IntegrationCommand {
    /// Create an integration and print its keys as one JSON object on standard output:
    /// {"id":…,"content_key":…,"admin_key":…}. The keys are not shown again.
    Create {
        /// What it is called in the admin and the audit log.
        #[arg(long)]
        name: String,
        /// What it may do (repeat, or separate with commas): content:read, posts:write,
        /// media:write, users:manage, settings:manage.
        #[arg(
            long = "scope",
            value_name = "SCOPE",
            required = true,
            value_delimiter = ','
        )]
        scopes: Vec<String>,
    },
}

#[derive(Debug, Args)]
pub struct ImportArgs {
    /// A WordPress export (WXR), a Ghost JSON export, a Quire export or corpus file, or a
    /// folder of Markdown files; the format is told from the content.
    pub file: PathBuf,
    /// Check everything and print what would be imported, writing nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Stop at the first item that cannot be imported, writing nothing (by default such
    /// items are skipped and listed in the report).
    #[arg(long)]
    pub strict: bool,
    /// Where to keep the report (default: imports/import-<time>.txt in the data folder).
    #[arg(long)]
    pub report: Option<PathBuf>,
    /// Tell webhooks of each post and page the import publishes (by default an import
    /// tells no one).
    #[arg(long)]
    pub webhooks: bool,
    /// `fetch` also brings in images from the old site (from the hosts named with
    /// --allow-host); `keep` (the default) leaves their addresses. Images beside a Markdown
    /// folder's files are always brought in.
    #[arg(long, value_parser = ["fetch", "keep"], default_value = "keep")]
    pub media: String,
    /// A host images may be fetched from (repeat for several); a private or loopback
    /// address is fetched from only when named here itself.
    #[arg(long = "allow-host", value_name = "HOST")]
    pub allow_hosts: Vec<String>,
    /// The old site's address (https://old.example), for images the file names by a path
    /// on it, as a Ghost export does (`/content/images/…`). With --media fetch, its host is
    /// allowed too.
    #[arg(long = "old-url", value_name = "URL")]
    pub old_url: Option<String>,
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Where to write the export; `-` writes to standard output.
    pub file: PathBuf,
    /// `quire` (everything but the images' files, as JSON), `archive` (a zip of that JSON
    /// and the media library's files: everything, to move to another Quire) or `wxr` (a
    /// WordPress export, for WordPress's own importer).
    #[arg(long, value_parser = ["quire", "archive", "wxr"], default_value = "quire")]
    pub format: String,
}

#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Fill an empty site with demo posts, pages, tags and authors.
    #[arg(long)]
    pub demo: bool,
}

#[derive(Debug, Args)]
pub struct CreateUserArgs {
    /// Email address; also the login.
    #[arg(long)]
    pub email: String,
    /// Display name, shown in bylines.
    #[arg(long)]
    pub name: String,
    /// One of: owner, admin, editor, author, contributor, member.
    #[arg(long)]
    pub role: String,
    /// Read the password from the first line of standard input
    /// (otherwise it is taken from QUIRE_PASSWORD).
    #[arg(long)]
    pub password_stdin: bool,
    /// Accept a password the web would refuse as too common or equal to the address (its
    /// length is still checked): for test and demo accounts only.
    #[arg(long)]
    pub allow_weak_password: bool,
}

/// Runs the parsed command; an `Err` is printed as one line and exits non-zero.
pub fn run(cli: Cli) -> anyhow::Result<()> {
    match cli.command {
        None => serve(cli.serve),
        Some(Command::Serve(args)) => serve(args),
        Some(Command::Migrate) => migrate(),
        Some(Command::CreateUser(args)) => create_user(args),
        Some(Command::Import(args)) => import(args),
        Some(Command::Export(args)) => export(args),
        Some(Command::Integration(command)) => integration(command),
    }
}

/// The configuration, and the log set up from it; keep the guard until the command ends,
/// so every line is written out.
fn load_config() -> anyhow::Result<(Config, telemetry::LogGuard)> {
    let config = Config::from_env()?;
    let log = telemetry::init(&config.log_filter, config.log_format);
    Ok((config, log))
}

fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let started = Instant::now();
    let (config, _log) = load_config()?;
    let listener = TcpListener::bind(config.bind)
        .with_context(|| format!("QUIRE_BIND: cannot listen on {}", config.bind))?;
    let state = startup::prepare(config)?;
    if args.demo {
        if startup::fill_demo(&state)? {
            tracing::info!("filled the site with demo content");
        } else {
            tracing::warn!("--demo ignored: the site already has content");
        }
    }
    let base_url = state.config.base_url.clone();
    let address = listener.local_addr()?;
    // The address that sets the site up; with accounts already there (an import), only
    // with the key, which only whoever reads this log has.
    let setup_url = match state.db.run_blocking(crate::domain::users::setup_state)? {
        crate::domain::users::Setup::Done => None,
        crate::domain::users::Setup::NobodyYet => Some("/admin/setup".to_string()),
        crate::domain::users::Setup::NoOwner => Some(format!(
            "/admin/setup?key={}",
            crate::web::admin::setup::setup_key(&state.config.secret_key)
        )),
    };
    actix_web::rt::System::new().block_on(async move {
        let server = startup::run(listener, state)?;
        tracing::info!(%address, %base_url, ready_in = ?started.elapsed(), "Quire is serving");
        if let Some(path) = setup_url {
            let url = format!("{}{path}", base_url.trim_end_matches('/'));
            tracing::info!(%url, "Set up the site and its owner at {url}");
        }
        server.await
    })?;
    Ok(())
}

fn migrate() -> anyhow::Result<()> {
    let (config, _log) = load_config()?;
    let applied = db::run_migrations(&config.database_url)?;
    if applied.is_empty() {
        println!("The database is up to date.");
    } else {
        for version in &applied {
            println!("applied {version}");
        }
    }
    Ok(())
}

fn create_user(args: CreateUserArgs) -> anyhow::Result<()> {
    // Validate everything before touching the database, so a mistake writes nothing.
    let email = Email::parse(&args.email)?;
    let display_name = parse_display_name(&args.name)?;
    let role = Role::from_input(&args.role)?;
    let typed = read_password(args.password_stdin)?;
    let password = if args.allow_weak_password {
        Password::parse(typed)?
    } else {
        Password::choose(typed, email.as_str()).map_err(|e| match e {
            UserError::PasswordCommon | UserError::PasswordIsEmail => {
                anyhow::anyhow!("{e} (--allow-weak-password accepts it for a test account)")
            }
            other => other.into(),
        })?
    };

    let db = open_database()?;
    let password_hash = auth::password::hash(&password)?;
    let actor = Actor::command_line();
    let user = db
        .run_blocking(|conn| {
            people::create(
                conn,
                &actor,
                email,
                display_name,
                role,
                password_hash,
                now(),
            )
        })
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "Created {} {} <{}>.",
        user.role, user.display_name, user.email
    );
    Ok(())
}

fn integration(command: IntegrationCommand) -> anyhow::Result<()> {
    let IntegrationCommand::Create { name, scopes } = command;
    // Checked before the database is opened, so a mistake writes nothing.
    let (name, scopes) = integrations::parse(&name, &scopes).map_err(|errors| {
        let messages: Vec<String> = errors.iter().map(|(_, m)| m.to_string()).collect();
        anyhow::anyhow!("{}", messages.join(" "))
    })?;
    let db = open_database()?;
    let actor = Actor::command_line();
    let (made, keys) = db
        .run_blocking(|conn| integrations::create(conn, &actor, (&name, &scopes), now()))
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    let printed = serde_json::json!({
        "id": made.id,
        "content_key": keys.content_key,
        "admin_key": keys.admin_key,
    });
    println!("{printed}");
    Ok(())
}

fn read_password(from_stdin: bool) -> anyhow::Result<String> {
    if from_stdin {
        let stdin = std::io::stdin();
        if stdin.is_terminal() {
            eprint!("Password: ");
        }
        let mut line = String::new();
        stdin
            .lock()
            .read_line(&mut line)
            .context("cannot read the password from standard input")?;
        let password = line.trim_end_matches(['\r', '\n']).to_string();
        if password.is_empty() {
            anyhow::bail!("no password on standard input");
        }
        return Ok(password);
    }
    match std::env::var("QUIRE_PASSWORD") {
        Ok(password) if !password.is_empty() => Ok(password),
        _ => anyhow::bail!("no password given: use --password-stdin or set QUIRE_PASSWORD"),
    }
}

fn open_database() -> anyhow::Result<Db> {
    let (config, _log) = load_config()?;
    db::run_migrations(&config.database_url)?;
    Db::connect(&config.database_url)
}

fn import(args: ImportArgs) -> anyhow::Result<()> {
    let (config, _log) = load_config()?;
    db::run_migrations(&config.database_url)?;
    let db = Db::connect(&config.database_url)?;
    let old_host = match args.old_url.as_deref() {
        Some(raw) => match url::Url::parse(raw.trim()) {
            Ok(url) if matches!(url.scheme(), "http" | "https") && url.host_str().is_some() => {
                url.host_str().map(|h| h.to_ascii_lowercase())
            }
            _ => anyhow::bail!("--old-url needs a full address such as https://old.example"),
        },
        None => None,
    };
    let started = Instant::now();
    let terminal = std::io::stderr().is_terminal();
    let style = |template: &str| {
        indicatif::ProgressStyle::with_template(template)
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
    };
    // Checking: bytes of the file read (when the format can tell) and posts found; then
    // writing: posts written out of all. Each with the time left.
    let bar = terminal.then(|| indicatif::ProgressBar::new(0));
    let mut writing = false;
    let mut last_line = Instant::now();
    let mut progress = |progress: crate::transfer::Progress| match (&bar, progress) {
        (Some(bar), crate::transfer::Progress::Checking { posts, bytes, of }) if of > 0 => {
            bar.set_message(posts.to_string());
            if bar.length() != Some(of) {
                bar.set_style(style(
                    "checking {bar:40} {bytes}/{total_bytes} ({msg} posts, {eta} left)",
                ));
                bar.set_length(of);
            }
            bar.set_position(bytes);
        }
        (Some(bar), crate::transfer::Progress::Checking { posts, .. }) => {
            bar.set_style(style("checking {msg} posts"));
            bar.set_message(posts.to_string());
            bar.tick();
        }
        (Some(bar), crate::transfer::Progress::Writing { done, of }) => {
            if !writing {
                writing = true;
                bar.set_style(style("writing {bar:40} {pos}/{len} posts ({eta} left)"));
                bar.set_length(of as u64);
            }
            bar.set_position(done as u64);
        }
        // Plain lines: at most one every two seconds while checking.
        (None, crate::transfer::Progress::Checking { posts, bytes, of }) => {
            if last_line.elapsed() >= Duration::from_secs(2) {
                last_line = Instant::now();
                match of {
                    0 => eprintln!("checked {posts} posts"),
                    of => eprintln!(
                        "checked {posts} posts, {} of {} MB",
                        bytes >> 20,
                        of.max(1 << 20) >> 20
                    ),
                }
            }
        }
        (None, crate::transfer::Progress::Writing { done, of }) => {
            if of > 0 {
                eprintln!("imported {done}/{of} posts")
            }
        }
    };
    let options = crate::transfer::Options {
        dry_run: args.dry_run,
        strict: args.strict,
        keep_rendered: None,
        webhooks: args.webhooks,
        media_dir: Some(config.media_dir()),
        media: crate::transfer::media::MediaPolicy {
            remote: args.media == "fetch",
            allow_hosts: args
                .allow_hosts
                .iter()
                .map(|h| h.trim().to_ascii_lowercase())
                .chain(old_host.clone())
                .collect(),
            old_url: args.old_url.clone(),
        },
    };
    if options.media.remote && options.media.allow_hosts.is_empty() {
        anyhow::bail!("--media fetch needs the old site: add --old-url URL or --allow-host HOST");
    }
    // A zip is unpacked where uploads are (its images' jobs may run after this command).
    let file = unpacked_if_zip(&args.file, &config.data_dir)?;
    let report = crate::transfer::import(&db, &file, options, now(), &mut progress)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let mut text = report.to_text();
    if !report.dry_run {
        let images = crate::transfer::media::drain(&db, &config.media_store())
            .map_err(|e| anyhow::anyhow!("bringing in the images: {e}"))?;
        text.push_str(&images.to_text());
    }
    print!("{text}");
    println!("Done in {:.1}s.", started.elapsed().as_secs_f64());
    let kept = args.report.unwrap_or_else(|| {
        config
            .data_dir
            .join("imports")
            .join(format!("import-{}.txt", now().format("%Y%m%d-%H%M%S")))
    });
    let written = kept
        .parent()
        .map_or(Ok(()), std::fs::create_dir_all)
        .and_then(|()| std::fs::write(&kept, &text));
    match written {
        Ok(()) => println!("The report is kept in {}.", kept.display()),
        Err(e) => eprintln!(
            "warning: could not keep the report in {}: {e}",
            kept.display()
        ),
    }
    Ok(())
}

/// Writes `target` through a file beside it, renamed into place once whole: a failed export
/// never leaves half a file.
fn write_beside<T>(
    target: &std::path::Path,
    write: impl FnOnce(std::fs::File) -> anyhow::Result<T>,
) -> anyhow::Result<T> {
    let partial = target.with_extension("partial");
    let file = std::fs::File::create(&partial)
        .with_context(|| format!("cannot write {}", partial.display()))?;
    match write(file) {
        Ok(value) => {
            std::fs::rename(&partial, target)
                .with_context(|| format!("cannot write {}", target.display()))?;
            Ok(value)
        }
        Err(error) => {
            let _ = std::fs::remove_file(&partial);
            Err(error)
        }
    }
}

/// A zip of the export and the media library's files.
fn export_archive(
    db: &Db,
    media_dir: &std::path::Path,
    target: &std::path::Path,
) -> anyhow::Result<()> {
    if target.as_os_str() == "-" {
        anyhow::bail!("an archive is a zip file: give it a name, such as site.zip");
    }
    let report = write_beside(target, |file| {
        crate::transfer::archive::write_archive(db, media_dir, file, |out| {
            crate::transfer::export(db, out, now())
        })
    })?;
    println!(
        "Exported {} posts, {} people, {} tags, {} redirects, {} images, {} revisions and {} comments to {}.",
        report.posts,
        report.authors,
        report.tags,
        report.redirects,
        report.media,
        report.revisions,
        report.comments,
        target.display()
    );
    Ok(())
}

/// `file` itself, or when it is a zip, the folder under `imports/` it is unpacked into.
fn unpacked_if_zip(file: &std::path::Path, data_dir: &std::path::Path) -> anyhow::Result<PathBuf> {
    use std::io::Read;
    let mut head = [0u8; 4];
    let is_zip = std::fs::File::open(file)
        .and_then(|mut f| f.read_exact(&mut head))
        .is_ok()
        && head == *b"PK\x03\x04";
    if !is_zip {
        return Ok(file.to_path_buf());
    }
    let name = format!("zip-{}", now().format("%Y%m%d-%H%M%S%f"));
    let folder = data_dir.join("imports").join("uploads").join(name);
    crate::transfer::archive::unpack_zip(file, &folder)
        .map_err(|e| anyhow::anyhow!("{}: {e}", file.display()))
}

fn export(args: ExportArgs) -> anyhow::Result<()> {
    let (config, _log) = load_config()?;
    db::run_migrations(&config.database_url)?;
    let db = Db::connect(&config.database_url)?;
    let base_url = config.base_url.clone();
    if args.format == "archive" {
        return export_archive(&db, &config.media_dir(), &args.file);
    }
    let write = move |db: &Db, out: &mut dyn std::io::Write| match args.format.as_str() {
        "wxr" => crate::transfer::wxr_export::export_wxr(db, out, &base_url, now()),
        _ => crate::transfer::export(db, out, now()),
    };
    if args.file.as_os_str() == "-" {
        let stdout = std::io::stdout();
        let mut out = std::io::BufWriter::new(stdout.lock());
        write(&db, &mut out)?;
        return Ok(());
    }
    let target = &args.file;
    let report = write_beside(target, |file| {
        let mut out = std::io::BufWriter::new(file);
        let report = write(&db, &mut out)?;
        std::io::Write::flush(&mut out)?;
        Ok(report)
    })?;
    println!(
        "Exported {} posts, {} people, {} tags, {} redirects and {} comments to {}.",
        report.posts,
        report.authors,
        report.tags,
        report.redirects,
        report.comments,
        target.display()
    );
    Ok(())
}
