//! Settings from the environment, read and validated once at start.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use base64::Engine;
use base64::engine::general_purpose::STANDARD as BASE64;

/// Every variable Quire reads, with its default, in the order the README lists them.
pub const VARIABLES: &[(&str, &str)] = &[
    ("QUIRE_BIND", "127.0.0.1:8080"),
    ("QUIRE_DATABASE_URL", "sqlite://<QUIRE_DATA_DIR>/quire.db"),
    ("QUIRE_BASE_URL", "http://<QUIRE_BIND>"),
    (
        "QUIRE_SECRET_KEY",
        "generated once into <QUIRE_DATA_DIR>/secret.key",
    ),
    ("QUIRE_DATA_DIR", "data"),
    (
        "QUIRE_SMTP_URL",
        "unset: mail is kept in the outbox and logged",
    ),
    ("QUIRE_MAIL_FROM", "noreply@<host of QUIRE_BASE_URL>"),
    ("QUIRE_RATE_LIMIT_IP", "30/10m"),
    ("QUIRE_RATE_LIMIT_ACCOUNT", "10/10m"),
    ("QUIRE_RATE_LIMIT_ACCOUNT_TOTAL", "100/10m"),
    ("QUIRE_RATE_LIMIT_API", "600/1m"),
    ("QUIRE_LOG", "info"),
    ("QUIRE_LOG_FORMAT", "pretty"),
    ("QUIRE_PAGE_CACHE", "64MB"),
    ("QUIRE_UPLOAD_LIMIT", "10MB"),
    ("QUIRE_IMPORT_LIMIT", "1GB"),
    ("QUIRE_IMAGE_MAX_PIXELS", "50M"),
    ("QUIRE_IMAGE_JOBS", "1"),
    ("QUIRE_JOB_WORKERS", "2"),
    (
        "QUIRE_API_ORIGINS",
        "*: any site may read the content API from a browser",
    ),
];

pub const DEFAULT_UPLOAD_LIMIT: usize = 10 << 20;
/// A big WordPress export; larger sites import with `quire import` on the server.
const DEFAULT_IMPORT_LIMIT: usize = 1 << 30;
const MAX_UPLOAD_LIMIT: usize = 100 << 20;

impl Config {
    /// The directory uploaded images and their variants are kept in.
    /// Where an import's images go, with the same limits as uploads.
    pub fn media_store(&self) -> crate::transfer::media::MediaStore {
        crate::transfer::media::MediaStore {
            dir: self.media_dir(),
            max_bytes: self.upload_limit,
            pixels: self.image_limit,
        }
    }

    pub fn media_dir(&self) -> PathBuf {
        self.data_dir.join("media")
    }
}

/// A configuration problem, reported as one line that names the variable.
#[derive(Debug, thiserror::Error)]
#[error("{var}: {message}")]
pub struct ConfigError {
    pub var: &'static str,
    pub message: String,
}

fn invalid(var: &'static str, message: impl Into<String>) -> ConfigError {
    ConfigError {
        var,
        message: message.into(),
    }
}

/// Where the data lives; the scheme of `QUIRE_DATABASE_URL` picks the backend.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    Sqlite(PathBuf),
    Postgres(String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<DatabaseUrl, String> {
        let raw = raw.trim();
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            return Ok(DatabaseUrl::Postgres(raw.to_string()));
        }
        let path = raw
            .strip_prefix("sqlite://")
            .or_else(|| raw.strip_prefix("sqlite:"))
            .ok_or_else(|| {
                format!("unknown database scheme in '{raw}' (use sqlite://PATH or postgres://…)")
            })?;
        if path.is_empty() || path == ":memory:" {
            return Err("an SQLite URL needs a file path (sqlite://data/quire.db)".into());
        }
        Ok(DatabaseUrl::Sqlite(PathBuf::from(path)))
    }

    pub fn is_sqlite(&self) -> bool {
        matches!(self, DatabaseUrl::Sqlite(_))
    }
}

// Never print a PostgreSQL password into a log line.
impl fmt::Debug for DatabaseUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            DatabaseUrl::Sqlite(path) => write!(f, "sqlite://{}", path.display()),
            DatabaseUrl::Postgres(raw) => match url::Url::parse(raw) {
                Ok(mut url) => {
                    if url.password().is_some() {
                        let _ = url.set_password(Some("***"));
                    }
                    write!(f, "{url}")
                }
                Err(_) => write!(f, "postgres://…"),
            },
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Clone)]
pub struct Config {
    pub bind: SocketAddr,
    pub database_url: DatabaseUrl,
    /// Public origin without a trailing slash, e.g. `https://example.com`.
    pub base_url: String,
    pub secret_key: Vec<u8>,
    pub data_dir: PathBuf,
    pub smtp_url: Option<String>,
    /// The sender of the site's mail.
    pub mail_from: String,
    /// Attempts per client address at signing in, signing up, resetting and resending.
    pub rate_limit_ip: RateLimit,
    /// Attempts on one account: from one address where a password is guessed, from any
    /// address where mail is sent.
    pub rate_limit_account: RateLimit,
    /// Password guesses on one account from all addresses together.
    pub rate_limit_account_total: RateLimit,
    /// Requests with one API key.
    pub rate_limit_api: RateLimit,
    pub log_filter: String,
    pub log_format: LogFormat,
    /// The page cache's memory budget in bytes; `None` turns the cache off.
    pub page_cache: Option<usize>,
    /// The largest image upload accepted, in bytes.
    pub upload_limit: usize,
    /// The largest file the admin's Import page takes, in bytes (the command line has none).
    pub import_limit: usize,
    /// The most pixels an uploaded picture may have.
    pub image_limit: crate::images::PixelLimit,
    /// How many pictures may be processed at once (each takes a few times its decoded
    /// size in memory).
    pub image_jobs: usize,
    /// Job workers in this instance (0: this instance runs none, others do).
    pub job_workers: usize,
    /// How long a worker holds a job before another instance may take it over.
    pub job_lease: chrono::Duration,
    /// The origins whose pages may read the content API from a browser (CORS).
    pub api_origins: ApiOrigins,
    /// Whether webhooks may be sent to private, loopback and link-local addresses (a
    /// receiver on the same machine or network); off, such targets are refused.
    pub webhooks_allow_private: bool,
    /// How long a webhook's target has to answer.
    pub webhook_timeout: std::time::Duration,
}

/// Which web origins may call the content API from a browser.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ApiOrigins {
    Any,
    /// Origins without a trailing slash, as browsers send them.
    Only(Vec<String>),
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Config")
            .field("bind", &self.bind)
            .field("database_url", &self.database_url)
            .field("base_url", &self.base_url)
            .field("data_dir", &self.data_dir)
            .field("smtp", &self.smtp_url.is_some())
            .field("log_format", &self.log_format)
            .field("page_cache", &self.page_cache)
            .finish_non_exhaustive()
    }
}

const SECRET_KEY_LEN: usize = 64;

impl Config {
    /// Reads the process environment.
    pub fn from_env() -> Result<Config, ConfigError> {
        Config::from_lookup(|name| std::env::var(name).ok())
    }

    /// Reads settings through `lookup`, so tests can supply their own environment.
    /// Empty values count as unset.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let get = |name: &str| lookup(name).filter(|v| !v.trim().is_empty());

        let bind_raw = get("QUIRE_BIND").unwrap_or_else(|| "127.0.0.1:8080".into());
        let bind: SocketAddr = bind_raw.trim().parse().map_err(|_| {
            invalid(
                "QUIRE_BIND",
                format!("'{bind_raw}' is not an address:port such as 127.0.0.1:8080"),
            )
        })?;

        let data_dir = PathBuf::from(get("QUIRE_DATA_DIR").unwrap_or_else(|| "data".into()));
        prepare_data_dir(&data_dir).map_err(|m| invalid("QUIRE_DATA_DIR", m))?;
        std::fs::create_dir_all(data_dir.join("media")).map_err(|e| {
            invalid(
                "QUIRE_DATA_DIR",
                format!("cannot create its media directory: {e}"),
            )
        })?;

        let database_url = match get("QUIRE_DATABASE_URL") {
            Some(raw) => DatabaseUrl::parse(&raw).map_err(|m| invalid("QUIRE_DATABASE_URL", m))?,
            None => DatabaseUrl::Sqlite(data_dir.join("quire.db")),
        };
        if let DatabaseUrl::Sqlite(path) = &database_url {
            check_sqlite_parent(path).map_err(|m| invalid("QUIRE_DATABASE_URL", m))?;
        }

        let base_url = match get("QUIRE_BASE_URL") {
            Some(raw) => parse_base_url(&raw).map_err(|m| invalid("QUIRE_BASE_URL", m))?,
            None => format!("http://{bind}"),
        };

        let secret_key = match get("QUIRE_SECRET_KEY") {
            Some(raw) => decode_secret_key(&raw).map_err(|m| invalid("QUIRE_SECRET_KEY", m))?,
            None => load_or_create_secret_key(&data_dir.join("secret.key"))
                .map_err(|m| invalid("QUIRE_SECRET_KEY", m))?,
        };

        let smtp_url = get("QUIRE_SMTP_URL");
        if let Some(raw) = &smtp_url {
            let scheme_ok = url::Url::parse(raw)
                .map(|u| matches!(u.scheme(), "smtp" | "smtps"))
                .unwrap_or(false);
            if !scheme_ok {
                return Err(invalid(
                    "QUIRE_SMTP_URL",
                    "expected smtp://user:pass@host:port or smtps://…",
                ));
            }
        }

        let mail_from = match get("QUIRE_MAIL_FROM") {
            Some(raw) => {
                let raw = raw.trim().to_string();
                raw.parse::<lettre::message::Mailbox>().map_err(|e| {
                    invalid("QUIRE_MAIL_FROM", format!("'{raw}' is not a mailbox: {e}"))
                })?;
                raw
            }
            None => {
                let host = url::Url::parse(&base_url)
                    .ok()
                    .and_then(|u| u.host_str().map(str::to_string))
                    .unwrap_or_else(|| "localhost".into());
                format!("noreply@{host}")
            }
        };
        let rate_limit_api = match get("QUIRE_RATE_LIMIT_API") {
            Some(raw) => RateLimit::parse(&raw).map_err(|m| invalid("QUIRE_RATE_LIMIT_API", m))?,
            None => RateLimit::per_minutes(600, 1),
        };
        let rate_limit_ip = match get("QUIRE_RATE_LIMIT_IP") {
            Some(raw) => RateLimit::parse(&raw).map_err(|m| invalid("QUIRE_RATE_LIMIT_IP", m))?,
            None => RateLimit::per_minutes(30, 10),
        };
        let rate_limit_account = match get("QUIRE_RATE_LIMIT_ACCOUNT") {
            Some(raw) => {
                RateLimit::parse(&raw).map_err(|m| invalid("QUIRE_RATE_LIMIT_ACCOUNT", m))?
            }
            None => RateLimit::per_minutes(10, 10),
        };
        let rate_limit_account_total = match get("QUIRE_RATE_LIMIT_ACCOUNT_TOTAL") {
            Some(raw) => {
                RateLimit::parse(&raw).map_err(|m| invalid("QUIRE_RATE_LIMIT_ACCOUNT_TOTAL", m))?
            }
            None => RateLimit::per_minutes(100, 10),
        };

        let log_filter = get("QUIRE_LOG").unwrap_or_else(|| "info".into());
        tracing_subscriber::EnvFilter::try_new(&log_filter)
            .map_err(|e| invalid("QUIRE_LOG", format!("not a valid filter: {e}")))?;

        let log_format = match get("QUIRE_LOG_FORMAT").as_deref().map(str::trim) {
            None | Some("pretty") => LogFormat::Pretty,
            Some("json") => LogFormat::Json,
            Some(other) => {
                return Err(invalid(
                    "QUIRE_LOG_FORMAT",
                    format!("'{other}' is not one of: pretty, json"),
                ));
            }
        };

        let page_cache = match get("QUIRE_PAGE_CACHE") {
            Some(raw) => parse_size(&raw).map_err(|m| invalid("QUIRE_PAGE_CACHE", m))?,
            None => Some(DEFAULT_PAGE_CACHE),
        };

        let import_limit = match get("QUIRE_IMPORT_LIMIT") {
            Some(raw) => parse_size(&raw)
                .and_then(|size| {
                    size.ok_or_else(|| "the Import page cannot be turned off this way".to_string())
                })
                .map_err(|m| invalid("QUIRE_IMPORT_LIMIT", m))?,
            None => DEFAULT_IMPORT_LIMIT,
        };

        let upload_limit = match get("QUIRE_UPLOAD_LIMIT") {
            Some(raw) => parse_size(&raw)
                .and_then(|size| size.ok_or_else(|| "uploads cannot be turned off".to_string()))
                .and_then(|size| {
                    (size <= MAX_UPLOAD_LIMIT)
                        .then_some(size)
                        .ok_or_else(|| "at most 100MB".to_string())
                })
                .map_err(|m| invalid("QUIRE_UPLOAD_LIMIT", m))?,
            None => DEFAULT_UPLOAD_LIMIT,
        };

        let image_limit = match get("QUIRE_IMAGE_MAX_PIXELS") {
            Some(raw) => crate::images::PixelLimit {
                max_pixels: parse_pixels(&raw).map_err(|m| invalid("QUIRE_IMAGE_MAX_PIXELS", m))?,
            },
            None => crate::images::PixelLimit::default(),
        };
        let image_jobs = match get("QUIRE_IMAGE_JOBS") {
            Some(raw) => raw
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=64).contains(n))
                .ok_or_else(|| {
                    invalid(
                        "QUIRE_IMAGE_JOBS",
                        format!("'{raw}' is not a number from 1 to 64"),
                    )
                })?,
            None => 1,
        };

        let job_workers = match get("QUIRE_JOB_WORKERS") {
            Some(raw) => raw
                .trim()
                .parse::<usize>()
                .ok()
                .filter(|n| *n <= 64)
                .ok_or_else(|| {
                    invalid(
                        "QUIRE_JOB_WORKERS",
                        format!("'{raw}' is not a number from 0 to 64"),
                    )
                })?,
            None => 2,
        };

        let webhooks_allow_private = match get("QUIRE_WEBHOOKS_ALLOW_PRIVATE") {
            Some(raw) => parse_switch(&raw)
                .ok_or_else(|| invalid("QUIRE_WEBHOOKS_ALLOW_PRIVATE", "use true or false"))?,
            None => false,
        };
        let api_origins = match get("QUIRE_API_ORIGINS") {
            Some(raw) => parse_origins(&raw).map_err(|m| invalid("QUIRE_API_ORIGINS", m))?,
            None => ApiOrigins::Any,
        };

        Ok(Config {
            bind,
            database_url,
            base_url,
            secret_key,
            data_dir,
            smtp_url,
            mail_from,
            rate_limit_ip,
            rate_limit_account,
            rate_limit_account_total,
            rate_limit_api,
            log_filter,
            log_format,
            page_cache,
            upload_limit,
            import_limit,
            image_limit,
            image_jobs,
            job_workers,
            job_lease: chrono::Duration::minutes(5),
            api_origins,
            webhooks_allow_private,
            webhook_timeout: std::time::Duration::from_secs(15),
        })
    }

    /// Whether the public origin is https (cookies get `Secure`, responses get HSTS).
    pub fn is_https(&self) -> bool {
        self.base_url.starts_with("https://")
    }
}

/// A pixel count: a whole number, or megapixels with `M` (`50M`), from 1 to 1000 megapixels.
fn parse_pixels(raw: &str) -> Result<u64, String> {
    let raw = raw.trim();
    let bad = || format!("'{raw}' is not a pixel count such as 50M (1M to 1000M)");
    let pixels = match raw.strip_suffix(['M', 'm']) {
        Some(mega) => mega
            .trim()
            .parse::<u64>()
            .map_err(|_| bad())?
            .checked_mul(1_000_000),
        None => raw.parse::<u64>().ok(),
    }
    .ok_or_else(bad)?;
    (1_000_000..=1_000_000_000)
        .contains(&pixels)
        .then_some(pixels)
        .ok_or_else(bad)
}

/// `true`/`false` as people write them in an environment file.
fn parse_switch(raw: &str) -> Option<bool> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "true" | "on" | "yes" | "1" => Some(true),
        "false" | "off" | "no" | "0" => Some(false),
        _ => None,
    }
}

/// A size such as `64MB` (at least 1MB), or `off`: the page cache's budget and the upload
/// limit are written this way.
pub fn parse_size(raw: &str) -> Result<Option<usize>, String> {
    let raw = raw.trim().to_ascii_lowercase();
    if matches!(raw.as_str(), "off" | "0" | "false" | "no") {
        return Ok(None);
    }
    if matches!(raw.as_str(), "on" | "true" | "yes") {
        return Ok(Some(DEFAULT_PAGE_CACHE));
    }
    let split = raw.find(|c: char| !c.is_ascii_digit()).unwrap_or(raw.len());
    let (digits, unit) = raw.split_at(split);
    let number: usize = digits
        .parse()
        .map_err(|_| format!("'{raw}' is not off or a size such as 64MB"))?;
    let multiplier = match unit.trim() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        other => return Err(format!("unknown size unit '{other}' (use KB, MB or GB)")),
    };
    let budget = number
        .checked_mul(multiplier)
        .filter(|b| *b >= 1 << 20)
        .ok_or_else(|| format!("'{raw}' must be at least 1MB, or off"))?;
    Ok(Some(budget))
}

/// The page cache's default memory budget.
pub const DEFAULT_PAGE_CACHE: usize = 64 << 20;

/// At most `attempts` within `period`, refilled evenly: written `30/10m` (s, m or h).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RateLimit {
    pub attempts: u32,
    pub period: std::time::Duration,
}

impl RateLimit {
    pub fn per_minutes(attempts: u32, minutes: u64) -> RateLimit {
        RateLimit {
            attempts,
            period: std::time::Duration::from_secs(minutes * 60),
        }
    }

    pub fn parse(raw: &str) -> Result<RateLimit, String> {
        let bad = || format!("'{raw}' is not a rate such as 30/10m (attempts/period in s, m or h)");
        let (attempts, period) = raw.trim().split_once('/').ok_or_else(bad)?;
        let attempts: u32 = attempts.trim().parse().map_err(|_| bad())?;
        let period = period.trim();
        let split = period.len().checked_sub(1).ok_or_else(bad)?;
        let (count, unit) = period.split_at(split);
        let count: u64 = if count.is_empty() {
            Ok(1)
        } else {
            count.parse()
        }
        .map_err(|_| bad())?;
        let seconds = match unit {
            "s" => count,
            "m" => count * 60,
            "h" => count * 3600,
            _ => return Err(bad()),
        };
        if attempts == 0 || seconds == 0 || seconds > 7 * 24 * 3600 {
            return Err(bad());
        }
        Ok(RateLimit {
            attempts,
            period: std::time::Duration::from_secs(seconds),
        })
    }
}

fn prepare_data_dir(dir: &Path) -> Result<(), String> {
    std::fs::create_dir_all(dir)
        .map_err(|e| format!("cannot create directory '{}': {e}", dir.display()))?;
    // Prove the directory is usable now rather than failing on the first upload.
    let probe = dir.join(".quire-write-test");
    std::fs::write(&probe, b"ok")
        .and_then(|_| std::fs::remove_file(&probe))
        .map_err(|e| format!("directory '{}' is not writable: {e}", dir.display()))
}

fn check_sqlite_parent(path: &Path) -> Result<(), String> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(parent) => std::fs::create_dir_all(parent)
            .map_err(|e| format!("cannot create directory '{}': {e}", parent.display())),
        None => Ok(()),
    }
}

fn parse_base_url(raw: &str) -> Result<String, String> {
    let url = url::Url::parse(raw.trim()).map_err(|e| format!("'{raw}' is not a URL: {e}"))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(format!("'{raw}' must be an http:// or https:// origin"));
    }
    if url.query().is_some() || url.fragment().is_some() || url.path() != "/" {
        return Err(format!(
            "'{raw}' must be an origin only (scheme, host, port), with no path"
        ));
    }
    Ok(url.as_str().trim_end_matches('/').to_string())
}

/// `*`, or origins separated by commas or spaces (`https://app.example.com`).
fn parse_origins(raw: &str) -> Result<ApiOrigins, String> {
    if raw.trim() == "*" {
        return Ok(ApiOrigins::Any);
    }
    raw.split(|c: char| c == ',' || c.is_whitespace())
        .filter(|part| !part.is_empty())
        .map(parse_base_url)
        .collect::<Result<Vec<_>, _>>()
        .map(ApiOrigins::Only)
}

fn decode_secret_key(raw: &str) -> Result<Vec<u8>, String> {
    let key = BASE64
        .decode(raw.trim())
        .map_err(|_| "must be base64 (generate one with: openssl rand -base64 64)".to_string())?;
    if key.len() < SECRET_KEY_LEN {
        return Err(format!(
            "must decode to at least {SECRET_KEY_LEN} bytes, got {}",
            key.len()
        ));
    }
    Ok(key)
}

/// The key survives restarts so sessions do too; it is created once, readable only by us.
fn load_or_create_secret_key(path: &Path) -> Result<Vec<u8>, String> {
    match std::fs::read_to_string(path) {
        Ok(text) => decode_secret_key(&text).map_err(|m| format!("{}: {m}", path.display())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            let mut key = vec![0u8; SECRET_KEY_LEN];
            getrandom::fill(&mut key).map_err(|e| format!("no randomness available: {e}"))?;
            write_private_file(path, BASE64.encode(&key).as_bytes())
                .map_err(|e| format!("cannot write '{}': {e}", path.display()))?;
            Ok(key)
        }
        Err(e) => Err(format!("cannot read '{}': {e}", path.display())),
    }
}

fn write_private_file(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    options.open(path)?.write_all(contents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn config_with(vars: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let dir = tempfile::tempdir().unwrap();
        let mut env: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        env.entry("QUIRE_DATA_DIR".into())
            .or_insert_with(|| dir.path().to_string_lossy().into_owned());
        let result = Config::from_lookup(|k| env.get(k).cloned());
        drop(dir);
        result
    }

    #[test]
    fn defaults_are_sane() {
        let config = config_with(&[]).unwrap();
        assert_eq!(config.bind.to_string(), "127.0.0.1:8080");
        assert_eq!(config.base_url, "http://127.0.0.1:8080");
        assert!(config.database_url.is_sqlite());
        assert_eq!(config.secret_key.len(), 64);
        assert_eq!(config.log_format, LogFormat::Pretty);
    }

    #[test]
    fn each_bad_value_names_its_variable() {
        let cases = [
            ("QUIRE_BIND", "not-an-address"),
            ("QUIRE_DATABASE_URL", "mysql://localhost/quire"),
            ("QUIRE_BASE_URL", "ftp://example.com"),
            ("QUIRE_BASE_URL", "https://example.com/blog"),
            ("QUIRE_SECRET_KEY", "too-short"),
            ("QUIRE_SMTP_URL", "http://mail.example.com"),
            ("QUIRE_LOG_FORMAT", "xml"),
            ("QUIRE_LOG", "[[["),
            ("QUIRE_PAGE_CACHE", "lots"),
            ("QUIRE_UPLOAD_LIMIT", "off"),
            ("QUIRE_UPLOAD_LIMIT", "1GB"),
            ("QUIRE_RATE_LIMIT_ACCOUNT_TOTAL", "many"),
            ("QUIRE_IMAGE_MAX_PIXELS", "huge"),
            ("QUIRE_IMAGE_MAX_PIXELS", "5000M"),
            ("QUIRE_IMAGE_MAX_PIXELS", "1000"),
            ("QUIRE_IMAGE_JOBS", "0"),
            ("QUIRE_IMAGE_JOBS", "two"),
            ("QUIRE_JOB_WORKERS", "100"),
            ("QUIRE_API_ORIGINS", "app.example.com"),
            ("QUIRE_API_ORIGINS", "https://app.example.com/path"),
        ];
        for (var, value) in cases {
            let err = config_with(&[(var, value)]).expect_err(var);
            assert_eq!(err.var, var, "{var}={value} blamed {}", err.var);
            assert!(err.to_string().starts_with(var), "{err}");
        }
    }

    #[test]
    fn api_origins_are_any_or_a_list_of_origins() {
        assert_eq!(parse_origins(" * "), Ok(ApiOrigins::Any));
        assert_eq!(
            parse_origins("https://app.example.com, http://localhost:3000/"),
            Ok(ApiOrigins::Only(vec![
                "https://app.example.com".into(),
                "http://localhost:3000".into()
            ]))
        );
        let defaults = config_with(&[]).unwrap();
        assert_eq!(defaults.api_origins, ApiOrigins::Any);
    }

    #[test]
    fn budgets_parse() {
        assert_eq!(parse_size("off"), Ok(None));
        assert_eq!(parse_size("64MB"), Ok(Some(64 << 20)));
        assert_eq!(parse_size("1gb"), Ok(Some(1 << 30)));
        assert_eq!(parse_size("2048 KiB"), Ok(Some(2 << 20)));
        assert!(parse_size("12 parsecs").is_err());
        assert!(parse_size("10KB").is_err(), "too small to be useful");
        assert!(parse_size("").is_err());
    }

    #[test]
    fn image_limits_parse() {
        let config =
            config_with(&[("QUIRE_IMAGE_MAX_PIXELS", "24M"), ("QUIRE_IMAGE_JOBS", "3")]).unwrap();
        assert_eq!(config.image_limit.max_pixels, 24_000_000);
        assert_eq!(config.image_jobs, 3);
        assert_eq!(parse_pixels("12000000"), Ok(12_000_000));
        let defaults = config_with(&[]).unwrap();
        assert_eq!(defaults.image_limit.max_pixels, 50_000_000);
        assert_eq!(defaults.image_jobs, 1);
    }

    #[test]
    fn unwritable_data_dir_is_reported() {
        let file = tempfile::NamedTempFile::new().unwrap();
        let inside_a_file = file.path().join("data");
        let err = config_with(&[("QUIRE_DATA_DIR", inside_a_file.to_str().unwrap())]).unwrap_err();
        assert_eq!(err.var, "QUIRE_DATA_DIR");
    }

    #[test]
    fn secret_key_is_generated_once_and_private() {
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().to_str().unwrap().to_string();
        let lookup = |k: &str| (k == "QUIRE_DATA_DIR").then(|| data.clone());
        let first = Config::from_lookup(lookup).unwrap().secret_key;
        let second = Config::from_lookup(lookup).unwrap().secret_key;
        assert_eq!(first, second);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join("secret.key"))
                .unwrap()
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn rate_limits_parse() {
        assert_eq!(
            RateLimit::parse("30/10m"),
            Ok(RateLimit::per_minutes(30, 10))
        );
        assert_eq!(
            RateLimit::parse(" 5 / h "),
            Ok(RateLimit {
                attempts: 5,
                period: std::time::Duration::from_secs(3600)
            })
        );
        for bad in [
            "", "30", "0/1m", "3/0m", "3/10x", "x/1m", "3/-1m", "3/99999h",
        ] {
            assert!(RateLimit::parse(bad).is_err(), "{bad}");
        }
        let error = config_with(&[("QUIRE_RATE_LIMIT_IP", "lots")]).unwrap_err();
        assert_eq!(error.var, "QUIRE_RATE_LIMIT_IP");
        let error = config_with(&[("QUIRE_MAIL_FROM", "not a mailbox")]).unwrap_err();
        assert_eq!(error.var, "QUIRE_MAIL_FROM");
    }

    #[test]
    fn database_urls_pick_the_backend() {
        assert!(matches!(
            DatabaseUrl::parse("postgres://u:p@localhost/q"),
            Ok(DatabaseUrl::Postgres(_))
        ));
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/x.db"),
            Ok(DatabaseUrl::Sqlite("data/x.db".into()))
        );
        assert!(DatabaseUrl::parse("sqlite://").is_err());
        assert!(DatabaseUrl::parse("data/x.db").is_err());
        let shown = format!(
            "{:?}",
            DatabaseUrl::parse("postgres://u:secret@h/q").unwrap()
        );
        assert!(!shown.contains("secret"), "{shown}");
    }
}
