//! Sanitised HTML: the only kind of string a template may print unescaped.

use std::collections::HashSet;
use std::sync::LazyLock;

/// HTML that has been through the sanitiser. Templates mark only this type `|safe`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SafeHtml(String);

/// How the sanitiser writes the start of an image (`src` comes first from Markdown).
const IMG_SRC: &str = "<img src=\"";

/// A known image's size and responsive variants.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ImageSize {
    pub width: i32,
    pub height: i32,
    pub srcset: String,
    pub sizes: String,
}

static SANITIZER: LazyLock<ammonia::Builder<'static>> = LazyLock::new(sanitizer);

fn sanitizer() -> ammonia::Builder<'static> {
    let mut builder = ammonia::Builder::default();
    builder
        .url_schemes(HashSet::from(["http", "https", "mailto"]))
        // Every link leaving the page must not get a handle on it (window.opener).
        .link_rel(Some("noopener"))
        .add_tags(["input", "section"])
        .add_tag_attributes("input", ["type", "checked", "disabled"])
        .add_tag_attributes("span", ["class"])
        .add_tag_attributes("code", ["class"])
        .add_tag_attributes("pre", ["class"])
        .add_tag_attributes("div", ["class", "id"])
        .add_tag_attributes("section", ["class"])
        .add_tag_attributes("sup", ["class", "id"])
        .add_tag_attributes("li", ["id"])
        .add_tag_attributes("a", ["id"])
        .add_tag_attributes("th", ["style"])
        .add_tag_attributes("td", ["style"])
        .add_tag_attributes("ol", ["start"])
        .add_tag_attributes("img", ["width", "height"])
        // Ids only where the pipeline puts them: headings (anchors) and footnotes.
        .add_tag_attributes("h2", ["id"])
        .add_tag_attributes("h3", ["id"])
        .add_tag_attributes("h4", ["id"])
        .add_tag_attributes("h5", ["id"])
        .add_tag_attributes("h6", ["id"])
        // Only alignment survives in style attributes (tables use it).
        .filter_style_properties(HashSet::from(["text-align"]))
        .set_tag_attribute_value("input", "disabled", "")
        // Images in a post sit below its header: let the browser fetch them as they near view.
        .set_tag_attribute_value("img", "loading", "lazy")
        .set_tag_attribute_value("img", "decoding", "async");
    builder
}

/// The sanitiser adds `loading` and `decoding` to images from a hash map, in an order that
/// differs between sanitisers (each feed builds one, each process has its own): written in
/// one order, the same text gives the same bytes everywhere, so ETags agree.
fn in_one_order(html: String) -> String {
    const SWAPPED: &str = " decoding=\"async\" loading=\"lazy\"";
    if html.contains(SWAPPED) {
        html.replace(SWAPPED, " loading=\"lazy\" decoding=\"async\"")
    } else {
        html
    }
}

impl SafeHtml {
    /// Cleans arbitrary HTML: no scripts, event handlers, frames or dangerous URLs.
    pub fn sanitize(html: &str) -> SafeHtml {
        SafeHtml(in_one_order(SANITIZER.clean(html).to_string()))
    }

    /// Wraps HTML read back from our own database, where only `sanitize` output is stored.
    pub fn from_stored(html: String) -> SafeHtml {
        SafeHtml(html)
    }

    /// The same HTML with relative links and images made absolute against `base`, for
    /// places read away from the site (feeds).
    pub fn with_absolute_urls(&self, base: &url::Url) -> SafeHtml {
        let mut builder = sanitizer();
        builder.url_relative(ammonia::UrlRelative::RewriteWithBase(base.clone()));
        SafeHtml(in_one_order(builder.clean(&self.0).to_string()))
    }

    /// The `src` of every `<img>` whose address starts with `prefix`, as serialised by the
    /// sanitiser (`<img src="…"`), in order.
    pub fn image_sources(&self, prefix: &str) -> Vec<String> {
        let mark = format!("{IMG_SRC}{prefix}");
        let mut sources = Vec::new();
        let mut rest = self.0.as_str();
        while let Some(at) = rest.find(&mark) {
            let tail = &rest[at + IMG_SRC.len()..];
            let Some(end) = tail.find('"') else { break };
            sources.push(tail[..end].to_string());
            rest = &tail[end..];
        }
        sources
    }

    /// The same HTML with a size (and any `srcset`/`sizes`) on the images `sized` knows, so
    /// the page does not jump while they load. Images that already have a width are left
    /// alone; values with characters that would need escaping are never written.
    pub fn with_image_sizes(&self, sized: impl Fn(&str) -> Option<ImageSize>) -> SafeHtml {
        let mut out = String::with_capacity(self.0.len() + 128);
        let mut rest = self.0.as_str();
        while let Some(at) = rest.find(IMG_SRC) {
            out.push_str(&rest[..at]);
            let tail = &rest[at + IMG_SRC.len()..];
            let tag_end = tail.find('>').unwrap_or(tail.len());
            let source = tail.split('"').next().unwrap_or_default();
            out.push_str("<img");
            let plain = |v: &str| !v.contains(['"', '<', '>', '&']);
            if !tail[..tag_end].contains(" width=")
                && let Some(size) = sized(source).filter(|s| plain(&s.srcset) && plain(&s.sizes))
            {
                out.push_str(&format!(
                    " width=\"{}\" height=\"{}\"",
                    size.width, size.height
                ));
                if !size.srcset.is_empty() {
                    out.push_str(&format!(
                        " srcset=\"{}\" sizes=\"{}\"",
                        size.srcset, size.sizes
                    ));
                }
            }
            out.push_str(" src=\"");
            rest = tail;
        }
        out.push_str(rest);
        SafeHtml(out)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl std::fmt::Display for SafeHtml {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
