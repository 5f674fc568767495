//! Structured data: one connected JSON-LD `@graph` per page, its nodes linked by `@id`.
//!
//! The nodes are typed structs serialised straight into the page's text: no map of values
//! is built and sorted on the way, which made this the costliest part of an uncached post.

use std::borrow::Cow;

use serde::Serialize;

use crate::web::views::DateView;

/// JSON-LD ready for a `<script type="application/ld+json">` block. Its only constructor
/// escapes `<`, `>` and `&` (and the JavaScript line separators), so no title can close the
/// script element early.
#[derive(Debug, Clone)]
pub struct JsonLd(String);

impl JsonLd {
    pub fn new(graph: &impl Serialize) -> JsonLd {
        let raw = serde_json::to_string(graph).unwrap_or_else(|_| "{}".into());
        if !raw.contains(['<', '>', '&', '\u{2028}', '\u{2029}']) {
            return JsonLd(raw);
        }
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

impl<'a> Site<'a> {
    fn home_url(&self) -> String {
        format!("{}/", self.base)
    }

    /// The first step of every breadcrumb trail.
    fn home_crumb(&self) -> Crumb<'a> {
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

    fn nodes(&self) -> Vec<Node<'_>> {
        let organization = Organization {
            kind: "Organization",
            id: self.organization_id(),
            name: self.name,
            url: self.home_url(),
            logo: self.logo.as_deref().map(ImageObject::new),
            same_as: &self.same_as,
        };
        let website = WebSite {
            kind: "WebSite",
            id: self.website_id(),
            url: self.home_url(),
            name: self.name,
            description: self.description,
            in_language: self.language,
            publisher: Ref::to(self.organization_id()),
        };
        vec![Node::Organization(organization), Node::WebSite(website)]
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
    fn node<'b>(&'b self, description: Option<&'b str>) -> Node<'b> {
        Node::Person(PersonNode {
            kind: "Person",
            id: Some(self.id()),
            name: self.name,
            url: Some(&self.url),
            description,
        })
    }
}

/// One step of a breadcrumb trail.
pub struct Crumb<'a> {
    pub name: &'a str,
    pub url: String,
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
    fn node(&self) -> CommentNode<'_> {
        CommentNode {
            kind: "Comment",
            id: &self.id,
            url: &self.id,
            text: &self.text,
            author: PersonNode {
                kind: "Person",
                id: None,
                name: &self.author,
                url: self.author_url.as_deref(),
                description: None,
            },
            date_created: &self.created,
        }
    }
}

// The schema.org vocabulary used here, one struct per node type.

#[derive(Serialize)]
struct Graph<'a> {
    #[serde(rename = "@context")]
    context: &'static str,
    #[serde(rename = "@graph")]
    graph: Vec<Node<'a>>,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Node<'a> {
    Organization(Organization<'a>),
    WebSite(WebSite<'a>),
    Page(WebPage<'a>),
    Posting(Box<BlogPosting<'a>>),
    Person(PersonNode<'a>),
    Breadcrumbs(BreadcrumbList<'a>),
}

/// A link to a node elsewhere in the graph.
#[derive(Serialize)]
struct Ref<'a> {
    #[serde(rename = "@id")]
    id: Cow<'a, str>,
}

impl<'a> Ref<'a> {
    fn to(id: impl Into<Cow<'a, str>>) -> Ref<'a> {
        Ref { id: id.into() }
    }
}

#[derive(Serialize)]
struct ImageObject<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    url: &'a str,
}

impl<'a> ImageObject<'a> {
    fn new(url: &'a str) -> ImageObject<'a> {
        ImageObject {
            kind: "ImageObject",
            url,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Organization<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "@id")]
    id: String,
    name: &'a str,
    url: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    logo: Option<ImageObject<'a>>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    same_as: &'a [&'a str],
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WebSite<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "@id")]
    id: String,
    url: String,
    name: &'a str,
    description: &'a str,
    in_language: &'a str,
    publisher: Ref<'a>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct WebPage<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "@id")]
    id: &'a str,
    url: &'a str,
    name: &'a str,
    description: &'a str,
    in_language: &'a str,
    is_part_of: Ref<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    about: Option<Ref<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    breadcrumb: Option<Ref<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    main_entity: Option<Ref<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    primary_image_of_page: Option<ImageObject<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct PersonNode<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "@id", skip_serializing_if = "Option::is_none")]
    id: Option<String>,
    name: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    url: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    description: Option<&'a str>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct CommentNode<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "@id")]
    id: &'a str,
    url: &'a str,
    text: &'a str,
    author: PersonNode<'a>,
    date_created: &'a str,
}

#[derive(Serialize)]
#[serde(untagged)]
enum Authors<'a> {
    People(Vec<Ref<'a>>),
    Publisher(Ref<'a>),
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct BlogPosting<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "@id")]
    id: String,
    headline: &'a str,
    description: &'a str,
    url: &'a str,
    main_entity_of_page: Ref<'a>,
    is_part_of: Ref<'a>,
    publisher: Ref<'a>,
    date_modified: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    date_published: Option<&'a str>,
    in_language: &'a str,
    word_count: i32,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    image: &'a [String],
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    keywords: &'a [&'a str],
    #[serde(skip_serializing_if = "Option::is_none")]
    comment_count: Option<i64>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    comment: Vec<CommentNode<'a>>,
    author: Authors<'a>,
}

#[derive(Serialize)]
struct BreadcrumbList<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    #[serde(rename = "@id")]
    id: &'a str,
    #[serde(rename = "itemListElement")]
    items: Vec<ListItem<'a>>,
}

#[derive(Serialize)]
struct ListItem<'a> {
    #[serde(rename = "@type")]
    kind: &'static str,
    position: usize,
    name: &'a str,
    item: &'a str,
}

fn breadcrumb<'a>(id: &'a str, trail: &'a [Crumb]) -> Node<'a> {
    let items = trail
        .iter()
        .enumerate()
        .map(|(i, crumb)| ListItem {
            kind: "ListItem",
            position: i + 1,
            name: crumb.name,
            item: &crumb.url,
        })
        .collect();
    Node::Breadcrumbs(BreadcrumbList {
        kind: "BreadcrumbList",
        id,
        items,
    })
}

fn web_page<'a>(
    site: &'a Site,
    kind: &'static str,
    canonical: &'a str,
    name: &'a str,
    description: &'a str,
) -> WebPage<'a> {
    WebPage {
        kind,
        id: canonical,
        url: canonical,
        name,
        description,
        in_language: site.language,
        is_part_of: Ref::to(site.website_id()),
        about: None,
        breadcrumb: None,
        main_entity: None,
        primary_image_of_page: None,
    }
}

fn graph(nodes: Vec<Node>) -> JsonLd {
    JsonLd::new(&Graph {
        context: "https://schema.org",
        graph: nodes,
    })
}

/// The home page and its numbered pages.
pub fn home(site: &Site, canonical: &str, name: &str) -> JsonLd {
    let mut nodes = site.nodes();
    let mut page = web_page(site, "CollectionPage", canonical, name, site.description);
    page.about = Some(Ref::to(site.organization_id()));
    nodes.push(Node::Page(page));
    graph(nodes)
}

/// A tag's archive.
pub fn tag(site: &Site, canonical: &str, name: &str, description: &str) -> JsonLd {
    let mut nodes = site.nodes();
    let crumbs_id = format!("{canonical}#breadcrumb");
    let mut page = web_page(site, "CollectionPage", canonical, name, description);
    page.breadcrumb = Some(Ref::to(crumbs_id.as_str()));
    nodes.push(Node::Page(page));
    let trail = [
        site.home_crumb(),
        Crumb {
            name,
            url: canonical.to_string(),
        },
    ];
    nodes.push(breadcrumb(&crumbs_id, &trail));
    graph(nodes)
}

/// An author's archive: a profile page about a person.
pub fn author(site: &Site, canonical: &str, person: &Person, description: &str) -> JsonLd {
    let mut nodes = site.nodes();
    let crumbs_id = format!("{canonical}#breadcrumb");
    let mut page = web_page(site, "ProfilePage", canonical, person.name, description);
    page.breadcrumb = Some(Ref::to(crumbs_id.as_str()));
    page.main_entity = Some(Ref::to(person.id()));
    nodes.push(Node::Page(page));
    nodes.push(person.node(Some(description).filter(|d| !d.is_empty())));
    let trail = [
        site.home_crumb(),
        Crumb {
            name: person.name,
            url: canonical.to_string(),
        },
    ];
    nodes.push(breadcrumb(&crumbs_id, &trail));
    graph(nodes)
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
    page.primary_image_of_page = article.image.as_deref().map(ImageObject::new);
    if !is_post {
        nodes.push(Node::Page(page));
        return graph(nodes);
    }
    page.breadcrumb = Some(Ref::to(crumbs_id.as_str()));
    nodes.push(Node::Page(page));

    let headline = crate::render::trim_at_word(article.headline, MAX_HEADLINE_CHARS);
    let single_image: Vec<String> = match (&article.image_crops[..], &article.image) {
        ([], Some(image)) => vec![image.clone()],
        _ => Vec::new(),
    };
    let author = if article.authors.is_empty() {
        Authors::Publisher(Ref::to(site.organization_id()))
    } else {
        Authors::People(article.authors.iter().map(|p| Ref::to(p.id())).collect())
    };
    let posting = BlogPosting {
        kind: "BlogPosting",
        id: format!("{canonical}#article"),
        headline: &headline,
        description: article.description,
        url: canonical,
        main_entity_of_page: Ref::to(canonical),
        is_part_of: Ref::to(canonical),
        publisher: Ref::to(site.organization_id()),
        date_modified: &article.modified.iso,
        date_published: article.published.map(|p| p.iso.as_str()),
        in_language: site.language,
        word_count: article.word_count,
        image: if article.image_crops.is_empty() {
            &single_image
        } else {
            &article.image_crops
        },
        keywords: &article.keywords,
        comment_count: article.comment_count,
        comment: article.comments.iter().map(CommentLd::node).collect(),
        author,
    };
    nodes.push(Node::Posting(Box::new(posting)));
    nodes.extend(article.authors.iter().map(|person| person.node(None)));

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
        let ld = JsonLd::new(
            &serde_json::json!({ "name": "</script><script>alert(1)</script> & \u{2028}" }),
        );
        let text = ld.to_string();
        assert!(!text.contains('<') && !text.contains('>') && !text.contains('&'));
        let back: serde_json::Value = serde_json::from_str(&text).unwrap();
        assert_eq!(
            back["name"],
            "</script><script>alert(1)</script> & \u{2028}"
        );
    }
}
