//! A folder of Markdown files with YAML front matter, as static site generators keep them
//! (Jekyll, Hugo, Eleventy, Astro, Gatsby): each `*.md` or `*.markdown` file a post, or a
//! page when its front matter says so.

use std::path::{Path, PathBuf};

use chrono::{DateTime, NaiveDate, NaiveDateTime, SecondsFormat};
use serde_norway::Value;

use super::format::PostDoc;
use super::import::ImportError;
use super::source::{Incoming, Item, Sink, Source};
use crate::domain::posts::MAX_MARKDOWN_BYTES;
use crate::render::slugify;

/// Folders never read: version control, dependencies, build output.
const SKIPPED_FOLDERS: &[&str] = &["node_modules", "_site", "public", "dist", "target"];
/// How deep the folder is searched.
const MAX_DEPTH: usize = 16;

pub struct MarkdownFolder {
    root: PathBuf,
    files: Vec<PathBuf>,
    size: u64,
    now: NaiveDateTime,
}

impl MarkdownFolder {
    pub fn open(root: &Path, now: NaiveDateTime) -> Result<MarkdownFolder, ImportError> {
        let mut files = Vec::new();
        collect(root, 0, &mut files).map_err(|e| ImportError::Read {
            path: root.display().to_string(),
            message: e.to_string(),
        })?;
        files.sort();
        if files.is_empty() {
            return Err(ImportError::Malformed {
                path: root.display().to_string(),
                message: "a folder with no Markdown files (*.md, *.markdown) in it".into(),
            });
        }
        let size = files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        Ok(MarkdownFolder {
            root: root.to_path_buf(),
            files,
            size,
            now,
        })
    }
}

fn collect(folder: &Path, depth: usize, files: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if depth > MAX_DEPTH {
        return Ok(());
    }
    for entry in std::fs::read_dir(folder)? {
        let entry = entry?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with('.') {
            continue;
        }
        // Links are not followed: a folder could lead out of what was given.
        let kind = entry.file_type()?;
        let path = entry.path();
        if kind.is_dir() && !SKIPPED_FOLDERS.contains(&name.as_str()) {
            collect(&path, depth + 1, files)?;
        } else if kind.is_file()
            && path
                .extension()
                .is_some_and(|e| e.eq_ignore_ascii_case("md") || e.eq_ignore_ascii_case("markdown"))
        {
            files.push(path);
        }
    }
    Ok(())
}

/// The front matter block and the text after it; a file without one is all text.
fn split_front_matter(text: &str) -> Result<(Option<&str>, &str), String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let Some(rest) = text
        .strip_prefix("---\n")
        .or_else(|| text.strip_prefix("---\r\n"))
    else {
        return Ok((None, text));
    };
    let mut offset = 0;
    for line in rest.split_inclusive('\n') {
        if matches!(line.trim_end(), "---" | "...") {
            return Ok((Some(&rest[..offset]), &rest[offset + line.len()..]));
        }
        offset += line.len();
    }
    Err("the front matter starting with --- never ends (no closing --- line)".into())
}

fn field<'a>(matter: &'a Value, keys: &[&str]) -> Option<&'a Value> {
    keys.iter()
        .find_map(|k| matter.get(*k))
        .filter(|v| !v.is_null())
}

fn string(value: Option<&Value>) -> Option<String> {
    match value? {
        Value::String(s) => Some(s.trim().to_string()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        _ => None,
    }
    .filter(|s| !s.is_empty())
}

/// Dates as static sites write them: `2022-12-06T13:47:17.655Z`, `2021-9-1`,
/// `2020-05-03 10:00`, `2020-05-03 10:00:00 +0200`.
pub fn parse_loose_date(raw: &str) -> Option<String> {
    let raw = raw.trim();
    let at = DateTime::parse_from_rfc3339(raw)
        .map(|d| d.naive_utc())
        .or_else(|_| DateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S %z").map(|d| d.naive_utc()))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%dT%H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M:%S"))
        .or_else(|_| NaiveDateTime::parse_from_str(raw, "%Y-%m-%d %H:%M"))
        .or_else(|_| {
            NaiveDate::parse_from_str(raw, "%Y-%m-%d").map(|d| d.and_time(Default::default()))
        })
        .ok()?;
    Some(at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// Tags as a list, or a string (`a, b`, or `# express # node`, which YAML reads as a
/// comment and so as nothing: then the raw line is read).
fn tag_names(matter: &Value, raw_matter: &str) -> Vec<String> {
    let from_value = match field(matter, &["tags", "categories", "category"]) {
        Some(Value::Sequence(items)) => items.iter().filter_map(|v| string(Some(v))).collect(),
        Some(Value::String(s)) => split_tags(s),
        _ => Vec::new(),
    };
    if !from_value.is_empty() {
        return from_value;
    }
    raw_matter
        .lines()
        .find_map(|line| {
            ["tags:", "categories:"]
                .iter()
                .find_map(|key| line.trim_start().strip_prefix(key))
                .map(split_tags)
        })
        .unwrap_or_default()
}

fn split_tags(raw: &str) -> Vec<String> {
    raw.split([',', '#'])
        .map(|t| {
            t.trim()
                .trim_matches(['"', '\'', '[', ']'])
                .trim()
                .to_string()
        })
        .filter(|t| !t.is_empty())
        .collect()
}

impl MarkdownFolder {
    fn read_file(&self, path: &Path, n: usize) -> Item {
        let relative = path.strip_prefix(&self.root).unwrap_or(path);
        let label = format!("file {n} '{}'", relative.display());
        let unreadable = |reason: String| Item::Unreadable {
            label: label.clone(),
            reason,
        };
        let size = std::fs::metadata(path).map(|m| m.len()).unwrap_or(0);
        // Front matter and a text at the editor's limit, with room to spare.
        if size > 2 * MAX_MARKDOWN_BYTES as u64 {
            return unreadable(format!("is {} MB, more than a post can hold", size >> 20));
        }
        let bytes = match std::fs::read(path) {
            Ok(bytes) => bytes,
            Err(e) => return unreadable(format!("cannot be read: {e}")),
        };
        let Ok(text) = String::from_utf8(bytes) else {
            return unreadable("is not UTF-8 text".into());
        };
        let (raw_matter, body) = match split_front_matter(&text) {
            Ok(split) => split,
            Err(reason) => return unreadable(reason),
        };
        let matter: Value = match raw_matter.map(serde_norway::from_str::<Value>) {
            None => Value::Null,
            Some(Ok(value)) => value,
            Some(Err(e)) => return unreadable(format!("has front matter that is not YAML: {e}")),
        };
        if !matches!(matter, Value::Mapping(_) | Value::Null) {
            return unreadable("has front matter that is not a set of keys and values".into());
        }
        let mut warnings = Vec::new();
        let stem = relative
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        // `post/index.md` is named by its folder.
        let name = if stem.eq_ignore_ascii_case("index") || stem.eq_ignore_ascii_case("readme") {
            relative
                .parent()
                .and_then(|p| p.file_name())
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or(stem.clone())
        } else {
            stem.clone()
        };
        // Jekyll names posts `2021-09-01-title.md`.
        let dated_name = name.get(..11).filter(|p| {
            p.as_bytes()[10] == b'-' && NaiveDate::parse_from_str(&p[..10], "%Y-%m-%d").is_ok()
        });
        let (name_date, name) = match dated_name {
            Some(prefix) => (parse_loose_date(&prefix[..10]), name[11..].to_string()),
            None => (None, name),
        };
        let title = string(field(&matter, &["title"])).unwrap_or_else(|| {
            // The first heading, else the file's name.
            body.lines()
                .find_map(|l| l.strip_prefix("# ").map(|t| t.trim().to_string()))
                .unwrap_or_else(|| name.replace(['-', '_'], " "))
        });
        let slug = string(field(&matter, &["slug"]))
            .map(|s| slugify(&s))
            .unwrap_or_else(|| slugify(&name));
        let date = match string(field(
            &matter,
            &["date", "pubDate", "published", "publishDate"],
        )) {
            Some(raw) => match parse_loose_date(&raw) {
                Some(date) => Some(date),
                None => {
                    warnings.push(format!("has a date Quire cannot read ('{raw}'), left out"));
                    name_date
                }
            },
            None => name_date,
        };
        let draft = matches!(field(&matter, &["draft"]), Some(Value::Bool(true)))
            || matches!(field(&matter, &["published"]), Some(Value::Bool(false)));
        let in_future = date
            .as_deref()
            .and_then(|d| DateTime::parse_from_rfc3339(d).ok())
            .is_some_and(|d| d.naive_utc() > self.now);
        let status = match (draft, in_future) {
            (true, _) => "draft",
            (false, true) => "scheduled",
            (false, false) => "published",
        };
        let is_page = matches!(
            string(field(&matter, &["layout", "type"])).as_deref(),
            Some("page")
        ) || matches!(field(&matter, &["page"]), Some(Value::Bool(true)));
        let cover = string(field(
            &matter,
            &["image", "cover", "cover_image", "feature_image", "hero"],
        ));
        // A cover by a path is brought into the media library with the post's images.
        let (feature_image, local_cover) = match cover {
            Some(c) if c.starts_with("https://") || c.starts_with("http://") => (Some(c), None),
            Some(c) => (None, Some(c.trim_start_matches("./").to_string())),
            None => (None, None),
        };
        let tags: Vec<String> = tag_names(&matter, raw_matter.unwrap_or_default())
            .iter()
            .map(|t| slugify(t))
            .collect();
        let new_tags = tag_names(&matter, raw_matter.unwrap_or_default())
            .into_iter()
            .map(|name| super::format::TagDoc {
                slug: slugify(&name),
                name,
                description: String::new(),
                meta_title: None,
                meta_description: None,
                updated_at: None,
            })
            .collect();
        let author = string(field(&matter, &["author"])).map(|a| slugify(&a));
        let doc = PostDoc {
            slug,
            title,
            excerpt: string(field(
                &matter,
                &["description", "excerpt", "preview", "summary"],
            )),
            author,
            authors: Vec::new(),
            tags,
            published_at: date,
            updated_at: string(field(&matter, &["updated", "lastmod", "modified"]))
                .and_then(|d| parse_loose_date(&d)),
            created_at: None,
            markdown: body.trim().to_string(),
            kind: if is_page { "page" } else { "post" }.into(),
            status: status.into(),
            featured: matches!(
                field(&matter, &["featured", "sticky"]),
                Some(Value::Bool(true))
            ),
            feature_image,
            feature_image_alt: string(field(&matter, &["image_alt", "cover_alt", "imageAlt"])),
            meta_title: None,
            meta_description: None,
            canonical_url: string(field(&matter, &["canonical_url", "canonical"])),
            noindex: false,
            // Jekyll and Hugo themes read `comments: false` as "no comments here".
            comments_open: !matches!(field(&matter, &["comments"]), Some(Value::Bool(false))),
            deleted_at: None,
        };
        let mut incoming = Incoming::new(doc, label);
        incoming.warnings = warnings;
        incoming.new_tags = new_tags;
        incoming.local = Some(super::media::LocalFiles {
            folder: path.parent().unwrap_or(&self.root).display().to_string(),
            root: self.root.display().to_string(),
            cover: local_cover,
        });
        let path_as_url = relative.with_extension("");
        let old = format!("/{}/", path_as_url.to_string_lossy().replace('\\', "/"));
        incoming.old_paths.push(old);
        if let Some(permalink) = string(field(&matter, &["permalink", "url"]))
            && permalink.starts_with('/')
        {
            incoming.old_paths.push(permalink);
        }
        Item::Post(Box::new(incoming))
    }
}

impl Source for MarkdownFolder {
    fn format(&self) -> String {
        format!("folder of {} Markdown files", self.files.len())
    }

    fn size(&self) -> u64 {
        self.size
    }

    fn read(&mut self, sink: &mut Sink<'_>) -> Result<(), ImportError> {
        for (n, path) in self.files.iter().enumerate() {
            sink(self.read_file(path, n + 1))?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_in_many_shapes() {
        for (raw, expected) in [
            ("2022-12-06T13:47:17.655Z", "2022-12-06T13:47:17Z"),
            ("2021-9-1", "2021-09-01T00:00:00Z"),
            ("2020-05-03 10:00", "2020-05-03T10:00:00Z"),
            ("2020-05-03 10:00:00 +0200", "2020-05-03T08:00:00Z"),
        ] {
            assert_eq!(parse_loose_date(raw).as_deref(), Some(expected), "{raw}");
        }
        assert_eq!(parse_loose_date("last tuesday"), None);
    }

    #[test]
    fn front_matter_and_tags() {
        let (matter, body) =
            split_front_matter("---\ntitle: A\ntags: # express # node\n---\nBody").unwrap();
        assert_eq!(body, "Body");
        let value: Value = serde_norway::from_str(matter.unwrap()).unwrap();
        assert_eq!(tag_names(&value, matter.unwrap()), ["express", "node"]);
        assert!(split_front_matter("---\ntitle: A\nBody").is_err());
        assert_eq!(
            split_front_matter("No matter").unwrap(),
            (None, "No matter")
        );
        let list: Value = serde_norway::from_str("tags: [a, b]").unwrap();
        assert_eq!(tag_names(&list, ""), ["a", "b"]);
    }
}
