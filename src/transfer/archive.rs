//! Zip files: what `quire import` and the admin's Import page unpack (a Markdown folder, or
//! a Quire archive: `site.json` and the media library's files), and what `quire export
//! --format archive` writes.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};

use chrono::NaiveDateTime;

use super::import::ImportError;
use super::source::{Sink, Source};
use crate::db::Db;
use crate::domain::media;

/// The export's name inside an archive.
pub const SITE_JSON: &str = "site.json";
/// The media library's files inside an archive.
pub const MEDIA_FOLDER: &str = "media";

/// Files in a zip at most; more is not a site's Markdown folder.
const MAX_ENTRIES: usize = 20_000;
/// Bytes unpacked from one zip at most (a zip bomb stops here).
const MAX_UNPACKED: u64 = 2 << 30;

#[derive(Debug, thiserror::Error)]
pub enum UnpackError {
    #[error("The zip file cannot be read: {0}")]
    Unreadable(String),
    #[error("The zip file holds more than {MAX_ENTRIES} files.")]
    TooManyFiles,
    #[error("The zip file unpacks to more than 2 GB.")]
    TooBig,
    #[error("The zip file holds a path that leads out of it: {0}")]
    Escapes(String),
    #[error("The upload could not be stored: {0}")]
    Io(#[from] std::io::Error),
}

/// Unpacks the zip at `zip` into the folder `into` (a Markdown folder, usually), refusing
/// paths that lead out of it and stopping at the limits; on error nothing is left behind.
pub fn unpack_zip(zip: &Path, into: &Path) -> Result<PathBuf, UnpackError> {
    let outcome = unpack(zip, into);
    if outcome.is_err() {
        let _ = std::fs::remove_dir_all(into);
    }
    outcome.map(|()| into.to_path_buf())
}

fn unpack(zip: &Path, into: &Path) -> Result<(), UnpackError> {
    let unreadable = |e: zip::result::ZipError| UnpackError::Unreadable(e.to_string());
    let file = std::fs::File::open(zip)?;
    let mut archive = zip::ZipArchive::new(file).map_err(unreadable)?;
    if archive.len() > MAX_ENTRIES {
        return Err(UnpackError::TooManyFiles);
    }
    std::fs::create_dir_all(into)?;
    let mut unpacked = 0u64;
    for i in 0..archive.len() {
        let mut entry = archive.by_index(i).map_err(unreadable)?;
        let Some(relative) = entry.enclosed_name() else {
            let name = entry.name().map(|n| n.into_owned()).unwrap_or_default();
            return Err(UnpackError::Escapes(name));
        };
        let target = into.join(relative);
        if entry.is_dir() {
            std::fs::create_dir_all(&target)?;
            continue;
        }
        if let Some(parent) = target.parent() {
            std::fs::create_dir_all(parent)?;
        }
        // The sizes a zip declares can lie: count what actually comes out.
        let room = MAX_UNPACKED.saturating_sub(unpacked);
        let mut out = std::fs::File::create(&target)?;
        let written = std::io::copy(&mut (&mut entry).take(room + 1), &mut out)?;
        unpacked += written;
        if unpacked > MAX_UNPACKED {
            return Err(UnpackError::TooBig);
        }
    }
    Ok(())
}

/// A folder that is removed when dropped: where a zip is unpacked for an import.
pub struct TempFolder(PathBuf);

impl TempFolder {
    fn new() -> std::io::Result<TempFolder> {
        let name: String = crate::auth::tokens::random_token()
            .chars()
            .filter(char::is_ascii_alphanumeric)
            .take(16)
            .collect();
        let path = std::env::temp_dir().join(format!("quire-import-{name}"));
        std::fs::create_dir_all(&path)?;
        Ok(TempFolder(path))
    }

    pub fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TempFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A source read from an unpacked zip, which keeps the folder while it is read.
struct Unpacked {
    source: Box<dyn Source>,
    _folder: TempFolder,
}

impl Source for Unpacked {
    fn format(&self) -> String {
        self.source.format()
    }
    fn read(&mut self, sink: &mut Sink<'_>) -> Result<(), ImportError> {
        self.source.read(sink)
    }
    fn size(&self) -> u64 {
        self.source.size()
    }
    fn bytes_read(&self) -> Option<std::sync::Arc<std::sync::atomic::AtomicU64>> {
        self.source.bytes_read()
    }
    fn media_files(&self) -> Option<&Path> {
        self.source.media_files()
    }
}

/// Opens a zip: a Quire archive when it holds `site.json`, else a folder of Markdown files.
pub fn open_zip(path: &Path, now: NaiveDateTime) -> Result<Box<dyn Source>, ImportError> {
    let shown = path.display().to_string();
    let malformed = |message: String| ImportError::Malformed {
        path: shown.clone(),
        message,
    };
    let folder = TempFolder::new().map_err(|e| malformed(e.to_string()))?;
    let unpacked = folder.path().join("site");
    unpack_zip(path, &unpacked).map_err(|e| malformed(e.to_string()))?;
    let source = open_folder(&unpacked, now)?;
    Ok(Box::new(Unpacked {
        source,
        _folder: folder,
    }))
}

/// Opens a folder: an unpacked Quire archive when it holds `site.json`, else a folder of
/// Markdown files.
pub fn open_folder(path: &Path, now: NaiveDateTime) -> Result<Box<dyn Source>, ImportError> {
    let site = path.join(SITE_JSON);
    if !site.is_file() {
        return Ok(Box::new(super::markdown_folder::MarkdownFolder::open(
            path, now,
        )?));
    }
    let shown = site.display().to_string();
    let bytes = std::fs::read(&site).map_err(|e| ImportError::Read {
        path: shown.clone(),
        message: e.to_string(),
    })?;
    let file =
        super::quire_json::QuireFile::parse(&shown, &bytes)?.with_media(path.join(MEDIA_FOLDER));
    Ok(Box::new(file))
}

/// Writes a Quire archive to `out`: the export as `site.json` and every file of the media
/// library under `media/`. `export` writes the JSON (it is spooled to a file first, so
/// memory stays flat).
pub fn write_archive(
    db: &Db,
    media_dir: &Path,
    out: std::fs::File,
    export: impl FnOnce(&mut dyn Write) -> anyhow::Result<super::export::ExportReport>,
) -> anyhow::Result<super::export::ExportReport> {
    let spool = TempFolder::new()?;
    let json_path = spool.path().join(SITE_JSON);
    let report = {
        let mut json = std::io::BufWriter::new(std::fs::File::create(&json_path)?);
        let report = export(&mut json)?;
        json.flush()?;
        report
    };
    let mut zip = zip::ZipWriter::new(out);
    // Images are compressed already; the JSON is stored as it is, to keep this simple and
    // quick (the archive is a container, not a compressor).
    let options =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    zip.start_file(SITE_JSON, options)?;
    std::io::copy(&mut std::fs::File::open(&json_path)?, &mut zip)?;
    let library = db.run_blocking(media::all)?;
    for item in library {
        for name in item.file_names() {
            let path = media_dir.join(&name);
            // Variants are made on demand for some formats: only what exists is carried.
            if let Ok(mut file) = std::fs::File::open(&path) {
                zip.start_file(format!("{MEDIA_FOLDER}/{name}"), options)?;
                std::io::copy(&mut file, &mut zip)?;
            }
        }
    }
    zip.finish()?;
    Ok(report)
}
