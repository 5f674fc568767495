//! One address per page: variants of a public URL (missing trailing slash, capitals,
//! `index.html`, doubled slashes) answer 301 to the canonical form.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;
use actix_web::{Error, HttpResponse};

/// Longer paths are never content, so they are not worth redirecting.
const MAX_PATH: usize = 512;

pub async fn canonical_urls(
    req: ServiceRequest,
    next: Next<impl MessageBody>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, Error> {
    let is_read = matches!(*req.method(), Method::GET | Method::HEAD);
    if let Some(target) = is_read.then(|| canonical_path(req.path())).flatten() {
        let location = match req.query_string() {
            "" => target,
            query => format!("{target}?{query}"),
        };
        let response = HttpResponse::MovedPermanently()
            .insert_header(("Location", location))
            .finish();
        return Ok(req.into_response(response).map_into_right_body());
    }
    next.call(req)
        .await
        .map(ServiceResponse::map_into_left_body)
}

/// The canonical form of `path`, when it differs and looks like a public page's address.
pub fn canonical_path(path: &str) -> Option<String> {
    if path.len() > MAX_PATH || super::in_own_section(path) {
        return None;
    }
    let mut segments: Vec<String> = path
        .split('/')
        .filter(|s| !s.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    if matches!(
        segments.last().map(String::as_str),
        Some("index.html" | "index.htm")
    ) {
        segments.pop();
    }
    // Files (robots.txt, sitemap.xml, feed.json) keep their names and have no trailing slash.
    let plausible = segments.iter().all(|s| {
        !s.is_empty()
            && s.len() <= 200
            && s.bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    });
    if !plausible {
        return None;
    }
    let canonical = if segments.is_empty() {
        "/".to_string()
    } else {
        format!("/{}/", segments.join("/"))
    };
    (canonical != path).then_some(canonical)
}

#[cfg(test)]
mod tests {
    use super::canonical_path;

    #[test]
    fn variants_map_to_the_canonical_form() {
        assert_eq!(canonical_path("/hello"), Some("/hello/".into()));
        assert_eq!(
            canonical_path("/Hello-World/"),
            Some("/hello-world/".into())
        );
        assert_eq!(canonical_path("/tag/News"), Some("/tag/news/".into()));
        assert_eq!(canonical_path("/index.html"), Some("/".into()));
        assert_eq!(canonical_path("/about/index.html"), Some("/about/".into()));
        assert_eq!(canonical_path("//evil.example"), None, "dots are not slugs");
        assert_eq!(
            canonical_path("//double//slash"),
            Some("/double/slash/".into())
        );
        assert_eq!(canonical_path("/page/2"), Some("/page/2/".into()));
        // Posts whose slugs begin like the site's own sections are still posts.
        assert_eq!(canonical_path("/Searchlight"), Some("/searchlight/".into()));
        assert_eq!(
            canonical_path("/administrivia"),
            Some("/administrivia/".into())
        );
        assert_eq!(canonical_path("/static-site"), Some("/static-site/".into()));
    }

    #[test]
    fn canonical_and_foreign_paths_are_left_alone() {
        for path in [
            "/",
            "/hello/",
            "/tag/news/page/2/",
            "/robots.txt",
            "/static/site.css",
            "/admin",
            "/admin/posts",
            "/account/login",
            "/search",
            "/%FF%FE",
            "/caf%C3%A9",
        ] {
            assert_eq!(canonical_path(path), None, "{path}");
        }
        assert_eq!(canonical_path(&format!("/{}", "a".repeat(600))), None);
    }
}
