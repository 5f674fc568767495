//! An import's images, brought into the media library: files beside a Markdown folder's
//! posts always, images on the old site when asked (`--media fetch` with `--allow-host`).
//!
//! Each imported post with images gets a job, enqueued in the batch that writes it, so a
//! large import's images keep coming after a restart; `quire import` runs its jobs itself
//! before it ends and lists what failed. A job stores each image through the same checks
//! and variants as an upload (an image already brought in, by its old address, is reused),
//! then saves the post with its text and cover pointing at the library; an image that
//! cannot be had keeps its old address.
//!
//! Fetching is careful: only the hosts named, over http(s), never to a private or loopback
//! address unless that address itself is named, redirects only within the same host, a
//! time limit and a size limit per file.

use std::path::{Path, PathBuf};
use std::sync::{Arc, LazyLock};
use std::time::Duration;

use regex::Regex;
use serde::{Deserialize, Serialize};
use sha2::Digest;

use crate::clock::now;
use crate::db::Db;
use crate::domain::media::{self, NewMedia};
use crate::domain::posts::{editing, write as post_write};
use crate::domain::write::Actor;
use crate::images::{self, PixelLimit};
use crate::jobs::queue::{self, Finish};
use crate::jobs::{Job, JobError};

/// What may be fetched from elsewhere.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct MediaPolicy {
    /// Fetch images from other sites (only from `allow_hosts`).
    pub remote: bool,
    /// Hosts (or addresses) images may be fetched from, lower case.
    pub allow_hosts: Vec<String>,
    /// The old site's address: images named by a path on it (a Ghost export's
    /// `/content/images/…`) are fetched from there.
    #[serde(default)]
    pub old_url: Option<String>,
}

impl MediaPolicy {
    /// A path on the old site (`/content/images/a.png`) as an address there.
    fn on_old_site(&self, address: &str) -> Option<url::Url> {
        if !self.remote || !address.starts_with('/') || address.starts_with("//") {
            return None;
        }
        if address.starts_with("/media/") {
            return None;
        }
        let base = url::Url::parse(self.old_url.as_deref()?).ok()?;
        base.join(address).ok()
    }
}

/// Where a post's relative image paths are read from (a Markdown folder's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LocalFiles {
    /// The folder of the post's file: relative paths start here.
    pub folder: String,
    /// The folder imported: nothing outside it is read.
    pub root: String,
    /// A cover named in front matter by a path.
    pub cover: Option<String>,
}

/// The job: bring in one imported post's images.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct ImportMedia {
    pub post: i64,
    pub local: Option<LocalFiles>,
    pub policy: MediaPolicy,
}

impl Job for ImportMedia {
    const KIND: &'static str = "import-media";
    const ATTEMPTS: i32 = 3;
}

/// How images are stored: the same limits as uploads.
#[derive(Debug, Clone)]
pub struct MediaStore {
    pub dir: PathBuf,
    pub max_bytes: usize,
    pub pixels: PixelLimit,
}

/// What a job did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct MediaOutcome {
    pub stored: usize,
    /// Each image that could not be brought in, and why.
    pub failed: Vec<(String, String)>,
}

impl MediaOutcome {
    /// Lines for an import's report.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        if self.stored > 0 || !self.failed.is_empty() {
            out.push_str(&format!(
                "Images: {} brought into the media library, {} could not be.\n",
                self.stored,
                self.failed.len()
            ));
        }
        for (address, reason) in &self.failed {
            out.push_str(&format!(
                "Image not brought in (its old address stays): {address}: {reason}\n"
            ));
        }
        out
    }
}

static MARKDOWN_IMAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"!\[([^\]]*)\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)"#).expect("valid pattern")
});
static HTML_IMAGE: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r#"(?i)<img\b[^>]*?\bsrc\s*=\s*["']([^"']+)["'][^>]*>"#).expect("valid pattern")
});
static HTML_ALT: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#"(?i)\balt\s*=\s*["']([^"']*)["']"#).expect("valid pattern"));

/// The images a text shows: each address once, with its alt text.
pub fn image_references(markdown: &str) -> Vec<(String, String)> {
    let mut found: Vec<(String, String)> = Vec::new();
    let mut add = |address: &str, alt: &str| {
        if !address.starts_with("/media/") && !found.iter().any(|(a, _)| a == address) {
            found.push((address.to_string(), alt.trim().to_string()));
        }
    };
    for c in MARKDOWN_IMAGE.captures_iter(markdown) {
        add(&c[2], &c[1]);
    }
    for c in HTML_IMAGE.captures_iter(markdown) {
        let alt = HTML_ALT
            .captures(&c[0])
            .map(|a| a[1].to_string())
            .unwrap_or_default();
        add(&c[1], &alt);
    }
    found
}

/// Whether a post written by an import has images worth a job.
pub fn worth_a_job(
    markdown: &str,
    cover: Option<&str>,
    local: &Option<LocalFiles>,
    policy: &MediaPolicy,
) -> bool {
    let remote = |address: &str| address.starts_with("http://") || address.starts_with("https://");
    let references = image_references(markdown);
    if local.is_some()
        && (references.iter().any(|(a, _)| !remote(a))
            || local.as_ref().is_some_and(|l| l.cover.is_some()))
    {
        return true;
    }
    let fetchable = |address: &str| remote(address) || policy.on_old_site(address).is_some();
    policy.remote && (references.iter().any(|(a, _)| fetchable(a)) || cover.is_some_and(fetchable))
}

/// Where an image comes from.
enum Origin {
    File(PathBuf),
    Web(url::Url),
}

fn origin(
    address: &str,
    local: Option<&LocalFiles>,
    policy: &MediaPolicy,
) -> Result<Option<Origin>, String> {
    if let Ok(url) = url::Url::parse(address) {
        return match url.scheme() {
            "http" | "https" if policy.remote => {
                let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
                if policy.allow_hosts.contains(&host) {
                    Ok(Some(Origin::Web(url)))
                } else {
                    Ok(None)
                }
            }
            _ => Ok(None),
        };
    }
    if let Some(url) = policy.on_old_site(address) {
        let host = url.host_str().unwrap_or_default().to_ascii_lowercase();
        return Ok(policy
            .allow_hosts
            .contains(&host)
            .then_some(Origin::Web(url)));
    }
    let Some(local) = local else {
        return Ok(None);
    };
    if address.starts_with('/') || address.starts_with('#') || address.contains('\\') {
        return Ok(None);
    }
    let decoded = percent_encoding::percent_decode_str(address)
        .decode_utf8_lossy()
        .into_owned();
    let root = Path::new(&local.root)
        .canonicalize()
        .map_err(|e| e.to_string())?;
    let path = Path::new(&local.folder)
        .join(decoded)
        .canonicalize()
        .map_err(|_| "no such file beside the post".to_string())?;
    if !path.starts_with(&root) {
        return Err("the path leads out of the imported folder".into());
    }
    Ok(Some(Origin::File(path)))
}

fn client(policy: &MediaPolicy) -> Result<reqwest::Client, String> {
    reqwest::Client::builder()
        // A proxy would resolve names itself, past the address check.
        .no_proxy()
        .dns_resolver(Arc::new(crate::net::PublicOnly {
            allowed: policy.allow_hosts.clone(),
        }))
        .redirect(reqwest::redirect::Policy::custom(|attempt| {
            let same_host =
                attempt.previous().first().map(|u| u.host_str()) == Some(attempt.url().host_str());
            if attempt.previous().len() >= 3 || !same_host {
                attempt.stop()
            } else {
                attempt.follow()
            }
        }))
        .connect_timeout(Duration::from_secs(10))
        .timeout(Duration::from_secs(60))
        .build()
        .map_err(|e| e.to_string())
}

async fn fetch(
    client: &reqwest::Client,
    url: &url::Url,
    policy: &MediaPolicy,
    max: usize,
) -> Result<Vec<u8>, String> {
    if !crate::net::literal_host_allowed(url, &policy.allow_hosts) {
        return Err("a private address".into());
    }
    let mut response = client
        .get(url.as_str())
        .send()
        .await
        .map_err(|e| format!("could not be fetched ({e})"))?;
    let status = response.status();
    if status.is_redirection() {
        return Err(format!("the old site sent it elsewhere ({status})"));
    }
    if !status.is_success() {
        return Err(format!("the old site answered {status}"));
    }
    let mut bytes = Vec::new();
    while let Some(chunk) = response.chunk().await.map_err(|e| e.to_string())? {
        if bytes.len() + chunk.len() > max {
            return Err(format!("larger than {} MB", max >> 20));
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

fn read_file(path: &Path, max: usize) -> Result<Vec<u8>, String> {
    let size = std::fs::metadata(path).map_err(|e| e.to_string())?.len();
    if size > max as u64 {
        return Err(format!("larger than {} MB", max >> 20));
    }
    std::fs::read(path).map_err(|e| e.to_string())
}

/// Runs one job: stores the post's images and points the post at them.
pub fn run(db: &Db, store: &MediaStore, job: &ImportMedia) -> Result<MediaOutcome, JobError> {
    let retry = |e: String| JobError::Retry(e);
    let post = job.post;
    let Some(opened) = db
        .run_blocking(move |conn| editing::open(conn, post))
        .map_err(|e| retry(e.to_string()))?
    else {
        return Ok(MediaOutcome::default());
    };
    let mut wanted = image_references(&opened.post.markdown);
    let mut cover_address = None;
    if let Some(cover) = job.local.as_ref().and_then(|l| l.cover.clone()) {
        cover_address = Some(cover.clone());
        wanted.push((
            cover,
            opened.post.feature_image_alt.clone().unwrap_or_default(),
        ));
    } else if let Some(cover) = opened
        .post
        .feature_image
        .clone()
        .filter(|c| !c.starts_with("/media/"))
    {
        cover_address = Some(cover.clone());
        if !wanted.iter().any(|(a, _)| *a == cover) {
            wanted.push((
                cover,
                opened.post.feature_image_alt.clone().unwrap_or_default(),
            ));
        }
    }
    let web = if job.policy.remote {
        Some(client(&job.policy).map_err(retry)?)
    } else {
        None
    };
    let mut outcome = MediaOutcome::default();
    let mut replaced: Vec<(String, String)> = Vec::new();
    let mut cover_stem = None;
    for (address, alt) in wanted {
        let stored = bring_in(db, store, job, web.as_ref(), &address, &alt);
        match stored {
            Ok(None) => {}
            Ok(Some((url, stem, fresh))) => {
                if fresh {
                    outcome.stored += 1;
                }
                if cover_address.as_deref() == Some(address.as_str()) {
                    cover_stem = Some(stem);
                }
                replaced.push((address, url));
            }
            Err(reason) => outcome.failed.push((address, reason)),
        }
    }
    if !replaced.is_empty() || cover_stem.is_some() {
        // The cover is set apart; its address may also appear in the text.
        db.run_blocking(move |conn| {
            let _quiet = crate::domain::webhooks::Held::begin();
            post_write::relink_images(
                conn,
                &Actor::command_line(),
                post,
                &replaced,
                cover_stem,
                now(),
            )
        })
        .map_err(|e| retry(e.to_string()))?;
    }
    Ok(outcome)
}

/// One image into the library: `(its address, its stem, whether it is new)`, or `None`
/// when it is not to be brought in.
fn bring_in(
    db: &Db,
    store: &MediaStore,
    job: &ImportMedia,
    web: Option<&reqwest::Client>,
    address: &str,
    alt: &str,
) -> Result<Option<(String, String, bool)>, String> {
    let Some(origin) = origin(address, job.local.as_ref(), &job.policy)? else {
        return Ok(None);
    };
    // An image is known again by its old address, or (a file, which each upload unpacks
    // somewhere new) by its path in the folder and its content.
    let (known_as, read) = match origin {
        Origin::File(path) => {
            let bytes = read_file(&path, store.max_bytes)?;
            let root = job
                .local
                .as_ref()
                .map(|l| PathBuf::from(&l.root))
                .unwrap_or_default();
            let root = root.canonicalize().unwrap_or(root);
            let relative = path
                .strip_prefix(&root)
                .unwrap_or(&path)
                .display()
                .to_string();
            let digest = hex::encode(sha2::Sha256::digest(&bytes));
            (format!("{relative} #{}", &digest[..12]), Some(bytes))
        }
        Origin::Web(url) => (url.to_string(), None),
    };
    let name = known_as.clone();
    let existing = db
        .run_blocking(move |conn| media::by_original_name(conn, &name))
        .map_err(|e| e.to_string())?;
    if let Some(existing) = existing {
        return Ok(Some((existing.url(), existing.stem, false)));
    }
    let bytes = match read {
        Some(bytes) => bytes,
        None => {
            let client = web.ok_or("fetching is off")?;
            let url = url::Url::parse(&known_as).map_err(|e| e.to_string())?;
            crate::net::block_on(fetch(client, &url, &job.policy, store.max_bytes))??
        }
    };
    let processed = images::process(&bytes, store.pixels).map_err(|e| e.to_string())?;
    let stem = new_stem();
    for file in &processed.files {
        std::fs::write(
            store.dir.join(format!("{stem}{}", file.suffix)),
            &file.bytes,
        )
        .map_err(|e| e.to_string())?;
    }
    let new = NewMedia {
        stem: stem.clone(),
        extension: processed.extension.to_string(),
        original_name: known_as,
        width: processed.width as i32,
        height: processed.height as i32,
        bytes: processed.files.iter().map(|f| f.bytes.len() as i64).sum(),
        variants: processed.variants.clone(),
        crops: processed.crops.clone(),
        alt: alt.chars().take(300).collect(),
        uploaded_by: None,
    };
    let url = format!("/media/{stem}.{}", processed.extension);
    db.run_blocking(move |conn| media::add(conn, &Actor::command_line(), &new, now()))
        .map_err(|e| e.to_string())?;
    Ok(Some((url, stem, true)))
}

fn new_stem() -> String {
    crate::auth::tokens::random_token()
        .chars()
        .filter(char::is_ascii_alphanumeric)
        .take(20)
        .collect::<String>()
        .to_lowercase()
}

/// Runs every waiting image job here and now (the command line does, before it ends),
/// adding up what they did.
pub fn drain(db: &Db, store: &MediaStore) -> Result<MediaOutcome, String> {
    let worker = format!("import-{}", std::process::id());
    let mut total = MediaOutcome::default();
    loop {
        let claimed = db
            .run_blocking(|conn| {
                queue::claim(
                    conn,
                    &[ImportMedia::KIND],
                    &worker,
                    chrono::Duration::minutes(10),
                    now(),
                )
            })
            .map_err(|e| e.to_string())?;
        let Some(claimed) = claimed else {
            return Ok(total);
        };
        let finish = match serde_json::from_str::<ImportMedia>(&claimed.payload) {
            Ok(job) => match run(db, store, &job) {
                Ok(outcome) => {
                    total.stored += outcome.stored;
                    total.failed.extend(outcome.failed);
                    Finish::Done
                }
                Err(JobError::Retry(e) | JobError::RetryIn(e, _) | JobError::Permanent(e)) => {
                    total
                        .failed
                        .push((format!("the images of post {}", job.post), e.clone()));
                    Finish::Failed(e)
                }
            },
            Err(e) => Finish::Failed(e.to_string()),
        };
        db.run_blocking(|conn| queue::finish(conn, &claimed, &worker, &finish, now()))
            .map_err(|e| e.to_string())?;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn images_are_found_in_markdown_and_html() {
        let text = "![A cat](cat.jpg \"Title\") and <img alt=\"Dog\" src=\"https://old.test/dog.png\"> \
            and ![x](/media/kept.jpg) and ![A cat again](cat.jpg)";
        assert_eq!(
            image_references(text),
            [
                ("cat.jpg".to_string(), "A cat".to_string()),
                ("https://old.test/dog.png".to_string(), "Dog".to_string())
            ]
        );
    }
}
