//! Ghost JSON exports, Ghost 1 to 6: with or without the `{"db": [{meta, data}]}` wrapper,
//! posts and pages as `page` flags or `type` fields, metadata on the post or in
//! `posts_meta`, content as `html` (preferred), `mobiledoc` or `lexical`.
//!
//! A Ghost export is one JSON document, so it is read whole; fields are read leniently
//! (Ghost has written booleans as `1`, `"1"` and `true`, and dates in two shapes).

use std::collections::HashMap;

use chrono::{DateTime, NaiveDateTime, SecondsFormat};
use serde_json::Value;

use super::format::{AuthorDoc, PostDoc, TagDoc};
use super::html;
use super::import::ImportError;
use super::source::{Incoming, Item, Labelled, Sink, Source};
use crate::render::slugify;

pub struct GhostExport {
    version: String,
    data: Value,
}

/// The `data` object of an export, wherever the wrapper put it.
fn data_of(root: &mut Value) -> Option<Value> {
    if let Some(db) = root.get_mut("db").and_then(|db| db.get_mut(0)) {
        return db.get_mut("data").map(Value::take);
    }
    root.get_mut("data").map(Value::take)
}

fn version_of(root: &Value) -> String {
    let meta = root
        .get("db")
        .and_then(|db| db.get(0))
        .and_then(|db| db.get("meta"))
        .or_else(|| root.get("meta"));
    meta.and_then(|m| m.get("version"))
        .and_then(Value::as_str)
        .unwrap_or("unknown")
        .to_string()
}

impl GhostExport {
    pub fn parse(shown: &str, bytes: &[u8]) -> Result<GhostExport, ImportError> {
        let malformed = |message: String| ImportError::Malformed {
            path: shown.to_string(),
            message,
        };
        let mut root: Value = serde_json::from_slice(bytes)
            .map_err(|e| malformed(format!("not a Ghost export ({e})")))?;
        let version = version_of(&root);
        let data = data_of(&mut root)
            .filter(Value::is_object)
            .ok_or_else(|| malformed("a JSON file, but not a Ghost export (no data)".into()))?;
        if !data.get("posts").is_some_and(Value::is_array) {
            return Err(malformed(
                "a Ghost export without a list of posts (data.posts)".into(),
            ));
        }
        Ok(GhostExport { version, data })
    }

    fn table(&self, name: &str) -> &[Value] {
        self.data
            .get(name)
            .and_then(Value::as_array)
            .map_or(&[], Vec::as_slice)
    }
}

/// Ghost 4 and later write their own address as this placeholder in exports.
const GHOST_URL: &str = "__GHOST_URL__";

fn text(value: &Value, key: &str) -> String {
    match value.get(key) {
        // Addresses on the old site become paths here (`/content/images/…`).
        Some(Value::String(s)) => s.trim().replace(GHOST_URL, ""),
        Some(Value::Number(n)) => n.to_string(),
        _ => String::new(),
    }
}

fn optional(value: &Value, key: &str) -> Option<String> {
    Some(text(value, key)).filter(|s| !s.is_empty())
}

fn flag(value: &Value, key: &str) -> bool {
    match value.get(key) {
        Some(Value::Bool(b)) => *b,
        Some(Value::Number(n)) => n.as_i64() == Some(1),
        Some(Value::String(s)) => matches!(s.as_str(), "1" | "true"),
        _ => false,
    }
}

/// Ghost dates: `2015-03-01 21:08:20`, `2022-07-11T21:08:03.000Z`, or milliseconds.
fn date(value: &Value, key: &str) -> Option<String> {
    let at = match value.get(key)? {
        Value::String(s) => DateTime::parse_from_rfc3339(s.trim())
            .map(|d| d.naive_utc())
            .or_else(|_| NaiveDateTime::parse_from_str(s.trim(), "%Y-%m-%d %H:%M:%S"))
            .ok()?,
        Value::Number(n) => DateTime::from_timestamp_millis(n.as_i64()?)?.naive_utc(),
        _ => return None,
    };
    Some(at.and_utc().to_rfc3339_opts(SecondsFormat::Secs, true))
}

/// `[{post_id, other_id, sort_order}]` as each post's ids in order.
fn ordered_links(rows: &[Value], other: &str) -> HashMap<String, Vec<String>> {
    let mut links: HashMap<String, Vec<(i64, String)>> = HashMap::new();
    for row in rows {
        let order = row.get("sort_order").and_then(Value::as_i64).unwrap_or(0);
        links
            .entry(text(row, "post_id"))
            .or_default()
            .push((order, text(row, other)));
    }
    links
        .into_iter()
        .map(|(post, mut ids)| {
            ids.sort_by_key(|(order, _)| *order);
            (post, ids.into_iter().map(|(_, id)| id).collect())
        })
        .collect()
}

fn role_of(name: &str) -> &'static str {
    match name {
        "Owner" => "owner",
        "Administrator" => "admin",
        "Editor" => "editor",
        "Contributor" => "contributor",
        _ => "author",
    }
}

impl Source for GhostExport {
    fn format(&self) -> String {
        format!("Ghost export (Ghost {})", self.version)
    }

    fn read(&mut self, sink: &mut Sink<'_>) -> Result<(), ImportError> {
        let setting = |key: &str| {
            self.table("settings")
                .iter()
                .find(|s| text(s, "key") == key)
                .map(|s| text(s, "value"))
                .unwrap_or_default()
        };
        let title = setting("title");
        if !title.trim().is_empty() {
            sink(Item::SiteName {
                title,
                description: setting("description"),
            })?;
        }
        let role_names: HashMap<String, String> = self
            .table("roles")
            .iter()
            .map(|r| (text(r, "id"), text(r, "name")))
            .collect();
        let roles: HashMap<String, &'static str> = self
            .table("roles_users")
            .iter()
            .filter_map(|r| {
                let name = role_names.get(&text(r, "role_id"))?;
                Some((text(r, "user_id"), role_of(name)))
            })
            .collect();
        let mut user_slugs = HashMap::new();
        for (i, user) in self.table("users").iter().enumerate() {
            let slug = optional(user, "slug").unwrap_or_else(|| slugify(&text(user, "name")));
            user_slugs.insert(text(user, "id"), slug.clone());
            let doc = AuthorDoc {
                slug: slug.clone(),
                name: text(user, "name"),
                email: text(user, "email"),
                bio: text(user, "bio"),
                website: text(user, "website"),
                role: roles
                    .get(&text(user, "id"))
                    .copied()
                    .unwrap_or("author")
                    .into(),
                password_hash: None,
                updated_at: date(user, "updated_at"),
            };
            sink(Item::Author(Labelled::new(
                doc,
                format!("users[{i}] '{slug}'"),
            )))?;
        }
        for (i, member) in self.table("members").iter().enumerate() {
            let email = text(member, "email");
            let local = email.split('@').next().unwrap_or_default();
            let id: String = text(member, "id").chars().take(8).collect();
            let slug = slugify(&format!("member {local} {id}"));
            let name = optional(member, "name").unwrap_or_else(|| local.to_string());
            let doc = AuthorDoc {
                slug,
                name,
                email: email.clone(),
                bio: String::new(),
                website: String::new(),
                role: "member".into(),
                password_hash: None,
                updated_at: date(member, "created_at"),
            };
            sink(Item::Author(Labelled::new(
                doc,
                format!("members[{i}] '{email}'"),
            )))?;
        }
        let mut tag_slugs = HashMap::new();
        for (i, tag) in self.table("tags").iter().enumerate() {
            let slug = text(tag, "slug");
            if text(tag, "visibility") == "internal" || text(tag, "name").starts_with('#') {
                sink(Item::Ignored(
                    "internal tags (#tags), which readers never saw",
                ))?;
                continue;
            }
            tag_slugs.insert(text(tag, "id"), slug.clone());
            let doc = TagDoc {
                slug: slug.clone(),
                name: text(tag, "name"),
                description: text(tag, "description"),
                meta_title: optional(tag, "meta_title"),
                meta_description: optional(tag, "meta_description"),
                updated_at: date(tag, "updated_at"),
            };
            sink(Item::Tag(Labelled::new(doc, format!("tags[{i}] '{slug}'"))))?;
        }
        let post_tags = ordered_links(self.table("posts_tags"), "tag_id");
        let post_authors = ordered_links(self.table("posts_authors"), "author_id");
        let metas: HashMap<String, &Value> = self
            .table("posts_meta")
            .iter()
            .map(|m| (text(m, "post_id"), m))
            .collect();
        for (i, post) in self.table("posts").iter().enumerate() {
            let id = text(post, "id");
            let label = format!("posts[{i}] '{}'", text(post, "slug"));
            let meta = metas.get(&id).copied().unwrap_or(&Value::Null);
            let either = |key: &str| optional(meta, key).or_else(|| optional(post, key));
            let kind = if text(post, "type") == "page" || flag(post, "page") {
                "page"
            } else {
                "post"
            };
            let status = match text(post, "status").as_str() {
                "published" | "sent" => "published",
                "scheduled" => "scheduled",
                "draft" | "" => "draft",
                other => {
                    sink(Item::Unreadable {
                        label,
                        reason: format!("unknown status '{other}'"),
                    })?;
                    continue;
                }
            };
            let mut warnings = Vec::new();
            if !matches!(text(post, "visibility").as_str(), "" | "public") {
                warnings.push(
                    "was for members or paid members only; it is public here once published"
                        .to_string(),
                );
            }
            let authors: Vec<String> = match post_authors.get(&id) {
                Some(ids) => ids
                    .iter()
                    .filter_map(|a| user_slugs.get(a).cloned())
                    .collect(),
                None => user_slugs
                    .get(&text(post, "author_id"))
                    .cloned()
                    .into_iter()
                    .collect(),
            };
            let tags: Vec<String> = post_tags
                .get(&id)
                .map(|ids| {
                    ids.iter()
                        .filter_map(|t| tag_slugs.get(t).cloned())
                        .collect()
                })
                .unwrap_or_default();
            let title = match optional(post, "title") {
                Some(title) => title,
                None => {
                    warnings.push("has no title: named 'Untitled'".to_string());
                    "Untitled".to_string()
                }
            };
            let slug = optional(post, "slug").unwrap_or_else(|| slugify(&title));
            let doc = PostDoc {
                slug: slug.clone(),
                title,
                excerpt: optional(post, "custom_excerpt"),
                author: None,
                authors,
                tags,
                published_at: date(post, "published_at"),
                updated_at: date(post, "updated_at"),
                created_at: date(post, "created_at"),
                markdown: content(post),
                kind: kind.into(),
                status: status.into(),
                featured: flag(post, "featured"),
                feature_image: optional(post, "feature_image"),
                feature_image_alt: either("feature_image_alt"),
                meta_title: either("meta_title").or_else(|| either("og_title")),
                meta_description: either("meta_description").or_else(|| either("og_description")),
                canonical_url: either("canonical_url"),
                noindex: false,
                comments_open: true,
                deleted_at: None,
            };
            let mut incoming = Incoming::new(doc, label);
            incoming.warnings = warnings;
            incoming.old_paths.push(format!("/{slug}/"));
            sink(Item::Post(Box::new(incoming)))?;
        }
        Ok(())
    }
}

/// A post's text as Markdown, from whichever form the export has.
fn content(post: &Value) -> String {
    if let Some(html) = optional(post, "html") {
        return html::to_markdown(&html);
    }
    let parsed =
        |key: &str| optional(post, key).and_then(|raw| serde_json::from_str::<Value>(&raw).ok());
    if let Some(lexical) = parsed("lexical") {
        // Markdown cards are kept as written; everything else goes through HTML.
        let blocks = lexical
            .pointer("/root/children")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
            .map(|block| match text(block, "type").as_str() {
                "markdown" => text(block, "markdown"),
                _ => {
                    let mut html = String::new();
                    lexical_html(block, &mut html);
                    html::to_markdown(&html)
                }
            })
            .filter(|block| !block.trim().is_empty())
            .collect::<Vec<_>>();
        return blocks.join("\n\n");
    }
    if let Some(mobiledoc) = parsed("mobiledoc") {
        return mobiledoc_markdown(&mobiledoc);
    }
    optional(post, "plaintext").unwrap_or_default()
}

/// Mobiledoc as Ghost wrote it: Markdown cards carry the text; other sections are plain.
fn mobiledoc_markdown(doc: &Value) -> String {
    let cards: Vec<&Value> = doc
        .get("cards")
        .and_then(Value::as_array)
        .map(|cards| cards.iter().collect())
        .unwrap_or_default();
    let card_text = |card: &Value| -> String {
        let payload = card.get(1).unwrap_or(&Value::Null);
        match card.get(0).and_then(Value::as_str) {
            Some("markdown" | "card-markdown") => text(payload, "markdown"),
            Some("html") => html::to_markdown(&text(payload, "html")),
            Some("image") => format!("![{}]({})", text(payload, "alt"), text(payload, "src")),
            Some("code") => format!("```\n{}\n```", text(payload, "code")),
            _ => String::new(),
        }
    };
    let mut blocks = Vec::new();
    for section in doc
        .get("sections")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        match section.get(0).and_then(Value::as_i64) {
            // A card section: [10, card index].
            Some(10) => {
                if let Some(card) = section
                    .get(1)
                    .and_then(Value::as_u64)
                    .and_then(|i| cards.get(i as usize))
                {
                    blocks.push(card_text(card));
                }
            }
            // A markup section: [1, tag, [[marker type, markups, closes, text], ...]].
            Some(1) => {
                let words: String = section
                    .get(2)
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .filter_map(|marker| marker.get(3).and_then(Value::as_str))
                    .collect();
                let prefix = match section.get(1).and_then(Value::as_str) {
                    Some("h2") => "## ",
                    Some("h3") => "### ",
                    Some("blockquote") => "> ",
                    _ => "",
                };
                blocks.push(format!("{prefix}{words}"));
            }
            _ => {}
        }
    }
    blocks.retain(|b| !b.trim().is_empty());
    blocks.join("\n\n")
}

fn escape(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// Lexical (Ghost 5 and later) as HTML, for the node kinds that carry content.
fn lexical_html(node: &Value, out: &mut String) {
    let children = |out: &mut String| {
        for child in node
            .get("children")
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            lexical_html(child, out);
        }
    };
    let wrap = |tag: &str, out: &mut String| {
        out.push_str(&format!("<{tag}>"));
        children(out);
        out.push_str(&format!("</{tag}>"));
    };
    match text(node, "type").as_str() {
        "root" => children(out),
        "paragraph" => wrap("p", out),
        "heading" => {
            let tag = match text(node, "tag").as_str() {
                t @ ("h1" | "h2" | "h3" | "h4" | "h5" | "h6") => t.to_string(),
                _ => "h2".to_string(),
            };
            wrap(&tag, out)
        }
        "quote" | "aside" => wrap("blockquote", out),
        "list" => wrap(
            if text(node, "listType") == "number" {
                "ol"
            } else {
                "ul"
            },
            out,
        ),
        "listitem" => wrap("li", out),
        "linebreak" => out.push_str("<br>"),
        "link" => {
            out.push_str(&format!("<a href=\"{}\">", escape(&text(node, "url"))));
            children(out);
            out.push_str("</a>");
        }
        "text" | "extended-text" => {
            let format = node.get("format").and_then(Value::as_i64).unwrap_or(0);
            let mut piece = escape(&text(node, "text"));
            if format & 16 != 0 {
                piece = format!("<code>{piece}</code>");
            }
            if format & 2 != 0 {
                piece = format!("<em>{piece}</em>");
            }
            if format & 1 != 0 {
                piece = format!("<strong>{piece}</strong>");
            }
            out.push_str(&piece);
        }
        "image" => {
            out.push_str(&format!(
                "<figure><img src=\"{}\" alt=\"{}\">",
                escape(&text(node, "src")),
                escape(&text(node, "alt"))
            ));
            if let Some(caption) = optional(node, "caption") {
                out.push_str(&format!("<figcaption>{caption}</figcaption>"));
            }
            out.push_str("</figure>");
        }
        "codeblock" => out.push_str(&format!(
            "<pre><code class=\"language-{}\">{}</code></pre>",
            escape(&text(node, "language")),
            escape(&text(node, "code"))
        )),
        "html" => out.push_str(&text(node, "html")),
        "horizontalrule" => out.push_str("<hr>"),
        _ => children(out),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn lenient_fields() {
        let post = json!({"a": "1", "b": true, "c": 0, "d": "2015-03-01 21:08:20", "e": "2022-07-11T21:08:03.000Z", "f": 1_500_000_000_000_i64});
        assert!(flag(&post, "a") && flag(&post, "b") && !flag(&post, "c"));
        assert_eq!(date(&post, "d").as_deref(), Some("2015-03-01T21:08:20Z"));
        assert_eq!(date(&post, "e").as_deref(), Some("2022-07-11T21:08:03Z"));
        assert_eq!(date(&post, "f").as_deref(), Some("2017-07-14T02:40:00Z"));
        let ghost5 = json!({"feature_image": "__GHOST_URL__/content/images/a.jpg"});
        assert_eq!(text(&ghost5, "feature_image"), "/content/images/a.jpg");
    }

    #[test]
    fn content_from_lexical_and_mobiledoc() {
        let lexical = json!({"root": {"type": "root", "children": [
            {"type": "heading", "tag": "h2", "children": [{"type": "text", "text": "Title"}]},
            {"type": "paragraph", "children": [{"type": "text", "text": "Bold", "format": 1}]}
        ]}});
        let post = json!({"lexical": lexical.to_string()});
        let md = content(&post);
        assert!(md.contains("## Title") && md.contains("**Bold**"), "{md}");
        let mobiledoc = json!({"version": "0.3.1", "cards": [["card-markdown", {"markdown": "# Hi\n\nThere"}]], "sections": [[10, 0]]});
        let post = json!({"mobiledoc": mobiledoc.to_string()});
        assert_eq!(content(&post), "# Hi\n\nThere");
    }
}
