//! Structured data: one connected JSON-LD `@graph` per page, its nodes linked by `@id`.

use serde_json::{Value, json};

use crate::web::views::DateView;

/// JSON-LD ready for a `<script type="application/ld+json">` block. Its only constructor
/// escapes `<`, `>` and `&` (and the JavaScript line separators), so no title can close the
/// script element early.
#[derive(Debug, Clone)]
pub struct JsonLd(String);

impl JsonLd {
    pub fn new(graph: &Value) -> JsonLd {
        let raw = serde_json::to_string(graph).unwrap_or_else(|_| "{}".into());
        let mut escaped = String::with_capacity(raw.len() + 16);
        for c in raw.chars() {
            match c {
                '<' => escaped.push_str("\\u003c"),
                '>' => escaped.push_str("\\u003e"),
                '&' => escaped.push_str("\\u0026"),
                '\u{2028}' => escaped.push_str("\\u2028"),
                '\u{2029}' => escaped.push_str("\\u2029"),
                other => escaped.push(other),
            }
        }
        JsonLd(escaped)
    }
}

impl std::fmt::Display for JsonLd {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// What every page's graph shares: the publisher and the website.
pub struct Site<'a> {
    pub base: &'a str,
    pub name: &'a str,
    pub description: &'a str,
    pub language: &'a str,
    pub logo: Option<String>,
    /// The publication's profiles elsewhere.
    pub same_as: Vec<&'a str>,
}

impl Site<'_> {
    fn home_url(&self) -> String {
        format!("{}/", self.base)
    }

    /// The first step of every breadcrumb trail.
    fn home_crumb(&self) -> Crumb<'_> {
        Crumb {
            name: self.name,
            url: self.home_url(),
        }
    }

    fn organization_id(&self) -> String {
        format!("{}/#organization", self.base)
    }
    fn website_id(&self) -> String {
        format!("{}/#website", self.base)
    }

    fn nodes(&self) -> Vec<Value> {
        let mut organization = json!({
            "@type": "Organization",
            "@id": self.organization_id(),
            "name": self.name,
            "url": self.home_url(),
        });
        if let Some(logo) = &self.logo {
            organization["logo"] = json!({ "@type": "ImageObject", "url": logo });
        }
        if !self.same_as.is_empty() {
            organization["sameAs"] = json!(self.same_as);
        }
        let website = json!({
            "@type": "WebSite",
            "@id": self.website_id(),
            "url": self.home_url(),
            "name": self.name,
            "description": self.description,
            "inLanguage": self.language,
            "publisher": { "@id": self.organization_id() },
        });
        vec![organization, website]
    }
}

/// A person, linked from bylines and profile pages.
pub struct Person<'a> {
    pub name: &'a str,
    /// Absolute URL of their author page.
    pub url: String,
}

impl Person<'_> {
    fn id(&self) -> String {
        format!("{}#person", self.url)
    }
    fn node(&self) -> Value {
        json!({ "@type": "Person", "@id": self.id(), "name": self.name, "url": self.url })
    }
}

/// One step of a breadcrumb trail.
pub struct Crumb<'a> {
    pub name: &'a str,
    pub url: String,
}

fn breadcrumb(id: &str, trail: &[Crumb]) -> Value {
    let items: Vec<Value> = trail
        .iter()
        .enumerate()
        .map(|(i, crumb)| {
            json!({
                "@type": "ListItem",
                "position": i + 1,
                "name": crumb.name,
                "item": crumb.url,
            })
        })
        .collect();
    json!({ "@type": "BreadcrumbList", "@id": id, "itemListElement": items })
}

fn web_page(site: &Site, kind: &str, canonical: &str, name: &str, description: &str) -> Value {
    json!({
        "@type": kind,
        "@id": canonical,
        "url": canonical,
        "name": name,
        "description": description,
        "inLanguage": site.language,
        "isPartOf": { "@id": site.website_id() },
    })
}

fn graph(nodes: Vec<Value>) -> JsonLd {
    JsonLd::new(&json!({ "@context": "https://schema.org", "@graph": nodes }))
}

/// The home page and its numbered pages.
pub fn home(site: &Site, canonical: &str, name: &str) -> JsonLd {
    let mut nodes = site.nodes();
    let mut page = web_page(site, "CollectionPage", canonical, name, site.description);
    page["about"] = json!({ "@id": site.organization_id() });
    nodes.push(page);
    graph(nodes)
}

/// A tag's archive.
pub fn tag(site: &Site, canonical: &str, name: &str, description: &str) -> JsonLd {
    let mut nodes = site.nodes();
    let crumbs_id = format!("{canonical}#breadcrumb");
    let mut page = web_page(site, "CollectionPage", canonical, name, description);
    page["breadcrumb"] = json!({ "@id": crumbs_id });
    nodes.push(page);
    nodes.push(breadcrumb(
        &crumbs_id,
        &[
            site.home_crumb(),
            Crumb {
                name,
                url: canonical.to_string(),
            },
        ],
    ));
    graph(nodes)
}

/// An author's archive: a profile page about a person.
pub fn author(site: &Site, canonical: &str, person: &Person, description: &str) -> JsonLd {
    let mut nodes = site.nodes();
    let crumbs_id = format!("{canonical}#breadcrumb");
    let mut page = web_page(site, "ProfilePage", canonical, person.name, description);
    page["breadcrumb"] = json!({ "@id": crumbs_id });
    page["mainEntity"] = json!({ "@id": person.id() });
    let mut node = person.node();
    if !description.is_empty() {
        node["description"] = json!(description);
    }
    nodes.push(page);
    nodes.push(node);
    nodes.push(breadcrumb(
        &crumbs_id,
        &[
            site.home_crumb(),
            Crumb {
                name: person.name,
                url: canonical.to_string(),
            },
        ],
    ));
    graph(nodes)
}

/// What a post's or page's graph says about it.
pub struct Article<'a> {
    pub canonical: &'a str,
    pub headline: &'a str,
    pub description: &'a str,
    pub image: Option<String>,
    /// The cover in the aspect ratios search engines ask for (16:9, 4:3, 1:1), when the
    /// library made them; otherwise the image alone is given.
    pub image_crops: Vec<String>,
    pub published: Option<&'a DateView>,
    pub modified: &'a DateView,
    pub authors: Vec<Person<'a>>,
    pub keywords: Vec<&'a str>,
    pub word_count: i32,
    /// The primary tag, shown between home and the post in the breadcrumb trail.
    pub section: Option<Crumb<'a>>,
    /// Approved comments on the whole post (none in a preview).
    pub comment_count: Option<i64>,
    /// The comments on this page of the conversation.
    pub comments: Vec<CommentLd>,
}

/// A reader's comment as structured data.
pub struct CommentLd {
    pub id: String,
    pub text: String,
    pub author: String,
    pub author_url: Option<String>,
    pub created: String,
}

impl CommentLd {
    fn node(&self) -> Value {
        let mut author = json!({ "@type": "Person", "name": self.author });
        if let Some(url) = &self.author_url {
            author["url"] = json!(url);
        }
        json!({
            "@type": "Comment",
            "@id": self.id,
            "url": self.id,
            "text": self.text,
            "author": author,
            "dateCreated": self.created,
        })
    }
}

/// Longest headline search engines accept.
const MAX_HEADLINE_CHARS: usize = 110;

/// A post: a BlogPosting on a WebPage. A standalone page is a WebPage alone.
pub fn article(site: &Site, article: &Article, is_post: bool) -> JsonLd {
    let mut nodes = site.nodes();
    let canonical = article.canonical;
    let crumbs_id = format!("{canonical}#breadcrumb");
    let mut page = web_page(
        site,
        "WebPage",
        canonical,
        article.headline,
        article.description,
    );
    if let Some(image) = &article.image {
        page["primaryImageOfPage"] = json!({ "@type": "ImageObject", "url": image });
    }
    if !is_post {
        nodes.push(page);
        return graph(nodes);
    }
    page["breadcrumb"] = json!({ "@id": crumbs_id });
    nodes.push(page);

    let headline = crate::render::trim_at_word(article.headline, MAX_HEADLINE_CHARS);
    let mut posting = json!({
        "@type": "BlogPosting",
        "@id": format!("{canonical}#article"),
        "headline": headline,
        "description": article.description,
        "url": canonical,
        "mainEntityOfPage": { "@id": canonical },
        "isPartOf": { "@id": canonical },
        "publisher": { "@id": site.organization_id() },
        "dateModified": article.modified.iso,
        "inLanguage": site.language,
        "wordCount": article.word_count,
    });
    if let Some(published) = article.published {
        posting["datePublished"] = json!(published.iso);
    }
    if !article.image_crops.is_empty() {
        posting["image"] = json!(article.image_crops);
    } else if let Some(image) = &article.image {
        posting["image"] = json!([image]);
    }
    if !article.keywords.is_empty() {
        posting["keywords"] = json!(article.keywords);
    }
    if let Some(count) = article.comment_count {
        posting["commentCount"] = json!(count);
    }
    if !article.comments.is_empty() {
        posting["comment"] = json!(
            article
                .comments
                .iter()
                .map(CommentLd::node)
                .collect::<Vec<_>>()
        );
    }
    let people: Vec<Value> = article
        .authors
        .iter()
        .map(|p| json!({ "@id": p.id() }))
        .collect();
    posting["author"] = if people.is_empty() {
        json!({ "@id": site.organization_id() })
    } else {
        json!(people)
    };
    nodes.push(posting);
    nodes.extend(article.authors.iter().map(Person::node));

    let mut trail = vec![site.home_crumb()];
    if let Some(section) = &article.section {
        trail.push(Crumb {
            name: section.name,
            url: section.url.clone(),
        });
    }
    trail.push(Crumb {
        name: &headline,
        url: canonical.to_string(),
    });
    nodes.push(breadcrumb(&crumbs_id, &trail));
    graph(nodes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn script_breaking_text_is_escaped() {
        let ld = JsonLd::new(&json!({ "name": "</script><script>alert(1)</script> & \u{2028}" }));
        let text = ld.to_string();
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            back["name"],
            "</script><script>alert(1)</script> & \u{2028}"
        );
    }
}
