//! The API's reference in the admin, rendered on the server from the OpenAPI document the
//! API serves (no third-party script): each operation with its parameters and answers, and
//! each type with its fields.

use actix_web::{HttpResponse, web};
use askama::Template;
use serde_json::Value;

use crate::auth::identity::Staff;
use crate::auth::permissions::Permission;
use crate::error::AppResult;
use crate::state::AppState;
use crate::web::admin::frame::admin_layout;
use crate::web::api::openapi;
use crate::web::respond::ok;
use crate::web::views::Layout;

struct Operation {
    anchor: String,
    method: String,
    path: String,
    summary: String,
    needs_key: bool,
    parameters: Vec<Parameter>,
    body: Option<String>,
    /// How the body is sent: `JSON` or `multipart/form-data`.
    body_format: &'static str,
    responses: Vec<(String, String, Option<String>)>,
}

struct Parameter {
    name: String,
    place: String,
    required: bool,
    kind: String,
    description: Prose,
}

struct Section {
    anchor: &'static str,
    heading: &'static str,
    introduction: &'static str,
    operations: Vec<Operation>,
}

struct Schema {
    name: String,
    description: String,
    fields: Vec<(String, String, Prose)>,
}

#[derive(Template)]
#[template(path = "admin/api_reference.html")]
struct ReferencePage {
    layout: Layout,
    description: Prose,
    sections: Vec<Section>,
    schemas: Vec<Schema>,
}

/// Text with `code` marked: the pieces, each saying whether it is code. The template
/// escapes both, so nothing in the document can become markup.
type Prose = Vec<(bool, String)>;

fn prose(value: &Value) -> Prose {
    text(value)
        .split('`')
        .enumerate()
        .filter(|(_, piece)| !piece.is_empty())
        .map(|(at, piece)| (at % 2 == 1, piece.to_string()))
        .collect()
}

fn text(value: &Value) -> String {
    value.as_str().unwrap_or_default().to_string()
}

/// A schema's name, from a `$ref` (`#/components/schemas/Post` → `Post`).
fn reference(value: &Value) -> Option<String> {
    value["$ref"]
        .as_str()
        .map(|r| r.rsplit('/').next().unwrap_or(r).to_string())
}

/// A short description of a schema's type: `string`, `integer`, `array of Link`, `Post`.
fn kind(schema: &Value) -> String {
    if let Some(name) = reference(schema) {
        return name;
    }
    if let Some(options) = schema["oneOf"].as_array() {
        let kinds: Vec<String> = options.iter().map(kind).filter(|k| k != "null").collect();
        return format!("{} or null", kinds.join(" or "));
    }
    match &schema["type"] {
        Value::String(t) if t == "array" => format!("array of {}", kind(&schema["items"])),
        Value::String(t) => t.clone(),
        Value::Array(types) => types.iter().map(text).collect::<Vec<_>>().join(" or "),
        _ => "object".into(),
    }
}

/// The body schema named in a request body or response.
fn body_schema(holder: &Value) -> Option<String> {
    reference(&holder["content"]["application/json"]["schema"])
}

/// The schema of a request body sent as a form with a file.
fn upload_schema(holder: &Value) -> Option<String> {
    reference(&holder["content"]["multipart/form-data"]["schema"])
}

fn operations(document: &Value, tag: &str) -> Vec<Operation> {
    let mut found = Vec::new();
    let Some(paths) = document["paths"].as_object() else {
        return found;
    };
    for (path, item) in paths {
        let Some(methods) = item.as_object() else {
            continue;
        };
        for (method, operation) in methods {
            let tagged = operation["tags"]
                .as_array()
                .is_some_and(|tags| tags.iter().any(|t| t == tag));
            if !tagged {
                continue;
            }
            let parameters = operation["parameters"]
                .as_array()
                .map(|list| {
                    list.iter()
                        .map(|p| Parameter {
                            name: text(&p["name"]),
                            place: text(&p["in"]),
                            required: p["required"].as_bool().unwrap_or(false),
                            kind: kind(&p["schema"]),
                            description: prose(&p["description"]),
                        })
                        .collect()
                })
                .unwrap_or_default();
            let responses = operation["responses"]
                .as_object()
                .map(|all| {
                    all.iter()
                        .map(|(status, r)| {
                            (status.clone(), text(&r["description"]), body_schema(r))
                        })
                        .collect()
                })
                .unwrap_or_default();
            found.push(Operation {
                anchor: text(&operation["operationId"]),
                method: method.to_uppercase(),
                path: path.clone(),
                summary: text(&operation["summary"]),
                needs_key: operation.get("security").is_some(),
                parameters,
                body: body_schema(&operation["requestBody"])
                    .or_else(|| upload_schema(&operation["requestBody"])),
                body_format: if upload_schema(&operation["requestBody"]).is_some() {
                    "multipart/form-data"
                } else {
                    "JSON"
                },
                responses,
            });
        }
    }
    found
}

fn schemas(document: &Value) -> Vec<Schema> {
    let Some(all) = document["components"]["schemas"].as_object() else {
        return Vec::new();
    };
    all.iter()
        .map(|(name, schema)| Schema {
            name: name.clone(),
            description: text(&schema["description"]),
            fields: schema["properties"]
                .as_object()
                .map(|properties| {
                    properties
                        .iter()
                        .map(|(field, s)| (field.clone(), kind(s), prose(&s["description"])))
                        .collect()
                })
                .unwrap_or_default(),
        })
        .collect()
}

pub async fn show(state: web::Data<AppState>, me: Staff) -> AppResult<HttpResponse> {
    me.require(Permission::ManageSettings)?;
    let document = openapi::document(&state.config.base_url);
    let page = ReferencePage {
        layout: admin_layout(
            &state,
            &me,
            "/admin/integrations/reference",
            "API reference",
        )
        .await?,
        description: prose(&document["info"]["description"]),
        sections: vec![
            Section {
                anchor: "content-api",
                heading: "Content API",
                introduction: "Public and read-only: what the site shows, as JSON.",
                operations: operations(&document, "content"),
            },
            Section {
                anchor: "admin-api",
                heading: "Admin API",
                introduction: "With an integration's admin key: what the admin's forms do.",
                operations: operations(&document, "admin"),
            },
        ],
        schemas: schemas(&document),
    };
    ok(&page)
}
