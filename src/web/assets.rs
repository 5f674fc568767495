//! Static assets: embedded in the binary, fingerprinted by content, precompressed, and written
//! once at start to a folder that actix-files serves with `Cache-Control: immutable`.

use std::path::{Path, PathBuf};

use std::io::Write;

use sha2::{Digest, Sha256};

use crate::render::syntax_css;

/// The public URL of each asset; a new version gets a new name, so browsers cache forever.
#[derive(Debug, Clone)]
pub struct Assets {
    dir: PathBuf,
    pub site_css: String,
    /// The admin's own rules, loaded only by admin pages.
    pub admin_css: String,
    pub syntax_css: String,
    pub favicon: String,
    /// The editor's optional helpers (slug suggestion, character counts).
    pub editor_js: String,
    /// A post page's enhancements: comments' "days ago" kept current on cached pages, the
    /// like button toggled in place.
    pub post_js: String,
    /// The moderation queue's live updates.
    pub moderation_js: String,
}

const SITE_CSS: &[u8] = include_bytes!("../../static/css/site.css");
const ADMIN_CSS: &[u8] = include_bytes!("../../static/css/admin.css");
const FAVICON: &[u8] = include_bytes!("../../static/img/favicon.svg");
const EDITOR_JS: &[u8] = include_bytes!("../../static/js/editor.js");
const POST_JS: &[u8] = include_bytes!("../../static/js/post.js");
const MODERATION_JS: &[u8] = include_bytes!("../../static/js/moderation.js");

impl Assets {
    /// Writes every asset under `data_dir/static` by its fingerprinted name.
    pub fn prepare(data_dir: &Path) -> std::io::Result<Assets> {
        let dir = data_dir.join("static");
        std::fs::create_dir_all(&dir)?;
        let syntax = syntax_css();
        Ok(Assets {
            site_css: write_fingerprinted(&dir, "site", "css", SITE_CSS)?,
            admin_css: write_fingerprinted(&dir, "admin", "css", ADMIN_CSS)?,
            syntax_css: write_fingerprinted(&dir, "syntax", "css", syntax.as_bytes())?,
            favicon: write_fingerprinted(&dir, "favicon", "svg", FAVICON)?,
            editor_js: write_fingerprinted(&dir, "editor", "js", EDITOR_JS)?,
            post_js: write_fingerprinted(&dir, "post", "js", POST_JS)?,
            moderation_js: write_fingerprinted(&dir, "moderation", "js", MODERATION_JS)?,
            dir,
        })
    }

    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

/// Writes `bytes` as `stem.HASH.ext`, with brotli (`.br`) and gzip (`.gz`) copies compressed
/// once here rather than on every request, and returns its URL.
fn write_fingerprinted(dir: &Path, stem: &str, ext: &str, bytes: &[u8]) -> std::io::Result<String> {
    let digest = hex::encode(&Sha256::digest(bytes)[..6]);
    let name = format!("{stem}.{digest}.{ext}");
    write_once(&dir.join(&name), || Ok(bytes.to_vec()))?;
    write_once(&dir.join(format!("{name}.br")), || {
        let mut out = Vec::new();
        let params = brotli::enc::BrotliEncoderParams {
            quality: 11,
            ..Default::default()
        };
        brotli::BrotliCompress(&mut &bytes[..], &mut out, &params)?;
        Ok(out)
    })?;
    write_once(&dir.join(format!("{name}.gz")), || {
        let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
        encoder.write_all(bytes)?;
        encoder.finish()
    })?;
    Ok(format!("/static/{name}"))
}

/// Writes a file unless it exists, atomically, so instances starting together never see a
/// half-written one.
fn write_once(
    path: &Path,
    contents: impl FnOnce() -> std::io::Result<Vec<u8>>,
) -> std::io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let name = path.file_name().unwrap_or_default().to_string_lossy();
    let temp = path.with_file_name(format!(".{name}.{}", std::process::id()));
    std::fs::write(&temp, contents()?)?;
    std::fs::rename(&temp, path)
}
