//! The API's contract: an OpenAPI 3.1 document generated from the handlers' annotations and
//! the types they send and read, served at `/api/v1/openapi.json`. The routes that answer
//! in the same shape elsewhere (Ghost's content paths, pages beside posts in the admin API)
//! are copied from their originals here, so the document lists every address there is.

use std::sync::LazyLock;

use serde_json::{Value, json};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{admin, content, error, views};

#[derive(OpenApi)]
#[openapi(
    info(
        title = "Quire API",
        version = "1",
        description = "The content API (public, read-only) and the admin API (an integration's \
                       admin key as `Authorization: Bearer quire_…`). Every error answers \
                       `{\"errors\":[{\"code\",\"message\",\"field\"}]}`."
    ),
    paths(
        content::browse_posts,
        content::read_post,
        content::read_post_by_slug,
        content::browse_pages,
        content::read_page,
        content::read_page_by_slug,
        content::browse_tags,
        content::read_tag,
        content::read_tag_by_slug,
        content::browse_authors,
        content::read_author,
        content::read_author_by_slug,
        content::read_settings,
        content::search,
        admin::posts::list,
        admin::posts::create,
        admin::posts::read,
        admin::posts::update,
        admin::posts::trash,
        admin::posts::restore,
        admin::posts::delete,
        admin::tags::list,
        admin::tags::create,
        admin::tags::read,
        admin::tags::update,
        admin::tags::delete,
        admin::redirects::list,
        admin::redirects::create,
        admin::redirects::read,
        admin::redirects::update,
        admin::redirects::delete,
        admin::users::list,
        admin::users::invite,
        admin::users::read,
        admin::users::update,
        admin::users::remove,
        admin::settings::read,
        admin::settings::update,
        admin::images::upload,
        admin::webhooks::list,
        admin::webhooks::create,
        admin::webhooks::read,
        admin::webhooks::update,
        admin::webhooks::delete,
    ),
    components(schemas(
        views::PostView,
        views::TagView,
        views::AuthorView,
        views::SettingsView,
        error::Errors,
        error::Problem,
        crate::domain::posts::snapshot::StaffPost,
        admin::posts::PostBody,
    )),
    modifiers(&AdminKey),
    tags(
        (name = "content", description = "What the public site shows, as JSON."),
        (name = "admin", description = "What the admin's forms do, with an admin key."),
    )
)]
struct Contract;

struct AdminKey;

impl Modify for AdminKey {
    fn modify(&self, api: &mut utoipa::openapi::OpenApi) {
        let components = api.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "admin_key",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

/// The document, made once.
static DOCUMENT: LazyLock<Value> = LazyLock::new(complete);

/// The document for a site at `base_url`.
pub fn document(base_url: &str) -> Value {
    let mut document = DOCUMENT.clone();
    document["servers"] = json!([{ "url": base_url }]);
    document
}

fn complete() -> Value {
    let mut document = serde_json::to_value(Contract::openapi()).unwrap_or_default();
    let paths = document["paths"].as_object().cloned().unwrap_or_default();
    let mut all = serde_json::Map::new();
    for (path, item) in paths {
        if let Some(rest) = path.strip_prefix("/api/v1/admin/posts/") {
            // Pages answer beside posts, under their own name.
            let text = item
                .to_string()
                .replace("AdminPosts", "AdminPages")
                .replace("\"operationId\":\"", "\"operationId\":\"pages_")
                .replace("The post's id", "The page's id");
            let copy: Value = serde_json::from_str(&text).unwrap_or_default();
            all.insert(format!("/api/v1/admin/pages/{rest}"), copy);
        } else if let Some(rest) = path.strip_prefix("/api/v1/")
            && rest != "search/"
            && !rest.starts_with("admin/")
        {
            // Ghost's clients read the same answers at Ghost's paths.
            let text = item
                .to_string()
                .replace("\"operationId\":\"", "\"operationId\":\"ghost_");
            let copy: Value = serde_json::from_str(&text).unwrap_or_default();
            all.insert(format!("/ghost/api/content/{rest}"), copy);
        }
        all.insert(path, item);
    }
    document["paths"] = Value::Object(all);
    let schemas = &mut document["components"]["schemas"];
    let mut pages = schemas["AdminPosts"].clone();
    if let Some(properties) = pages["properties"].as_object_mut()
        && let Some(list) = properties.remove("posts")
    {
        properties.insert("pages".into(), list);
    }
    pages["required"] = json!(["pages"]);
    schemas["AdminPages"] = pages;
    // With `fields`, an item carries only the fields asked for.
    for name in ["Post", "Tag", "Author"] {
        if let Some(schema) = schemas[name].as_object_mut() {
            schema.remove("required");
        }
    }
    document
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_route_is_in_the_document() {
        let document = document("https://example.com");
        assert_eq!(document["openapi"], "3.1.0");
        let paths = document["paths"].as_object().unwrap();
        for path in [
            "/api/v1/posts/",
            "/api/v1/posts/{id}/",
            "/api/v1/posts/slug/{slug}/",
            "/api/v1/pages/",
            "/api/v1/tags/slug/{slug}/",
            "/api/v1/authors/{id}/",
            "/api/v1/settings/",
            "/api/v1/search/",
            "/ghost/api/content/posts/",
            "/ghost/api/content/settings/",
            "/api/v1/admin/posts/",
            "/api/v1/admin/posts/{id}/trash/",
            "/api/v1/admin/pages/{id}/",
        ] {
            assert!(paths.contains_key(path), "{path} is missing");
        }
        assert!(!paths.contains_key("/ghost/api/content/search/"));
        assert!(
            !paths
                .keys()
                .any(|p| p.starts_with("/ghost/api/content/admin/"))
        );
        let operation_ids: Vec<&str> = paths
            .values()
            .flat_map(|item| item.as_object().unwrap().values())
            .filter_map(|op| op["operationId"].as_str())
            .collect();
        let unique: std::collections::HashSet<&&str> = operation_ids.iter().collect();
        assert_eq!(
            unique.len(),
            operation_ids.len(),
            "operation ids are unique"
        );
        let pages = &paths["/api/v1/admin/pages/"]["get"]["responses"]["200"];
        assert!(pages.to_string().contains("AdminPages"), "{pages}");
        assert!(
            document["components"]["schemas"]["Post"]
                .get("required")
                .is_none()
        );
        assert_eq!(document["servers"][0]["url"], "https://example.com");
    }
}
