//! The OpenAPI document served at `/api/openapi.json`, generated from the code.
//!
//! Each part describes its own operations beside its handlers: query parameters (`IntoParams` on
//! the very struct the handler reads), the request body, the answer's schema. What every operation
//! shares is added here, from the operation itself, so no part can forget it:
//! - each `{name}` of the path is an integer id ≥ 1 (a malformed one is a 404, like a missing row);
//! - every error answer is `application/problem+json` with the `Problem` schema, and the errors an
//!   operation can give are declared: 400 (malformed JSON or query), 401, 403, 404 (an id of the
//!   path or the query that is not there or not yours), 409 (an `Idempotency-Key` still in flight),
//!   413 (a body over the limit), 422 (invalid input), 503 (the database is busy: try again);
//! - the routes open to all (health, sign-in, the SMS gateway) say they need no token;
//! - a `201` of `POST /things` links to `GET /things/{id}` with the new `id`, so a client (and a
//!   stateful fuzzer) can follow what it created.

use std::collections::BTreeSet;

use serde_json::{json, Value};

use utoipa::openapi::path::{Operation, Parameter, ParameterBuilder, ParameterIn};
use utoipa::openapi::request_body::RequestBody;
use utoipa::openapi::schema::{AdditionalProperties, ObjectBuilder, Schema, Type};
use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityRequirement, SecurityScheme};
use utoipa::openapi::{Content, OpenApi, PathItem, Ref, RefOr, Required, Response};
use utoipa::{Modify, OpenApi as _, PartialSchema, ToSchema};

use crate::error::{Problem, ProblemField};

/// Routes that need no bearer token (the SMS gateway signs its body instead).
const OPEN: &[(&str, &str)] = &[
    ("get", "/api/v1/health"),
    ("post", "/api/v1/auth/token"),
    ("post", "/api/v1/sms/inbound"),
];

/// The document as served: [`document`], then what is simplest said on its JSON — the links, and
/// that an optional field or filter sent empty is the same as one left out.
pub fn served() -> Value {
    let mut doc = serde_json::to_value(document()).unwrap_or_default();
    link_created(&mut doc);
    allow_blank(&mut doc);
    doc
}

/// `GET /api/openapi.json`: the document as served.
pub fn routes(cfg: &mut actix_web::web::ServiceConfig) {
    cfg.route(
        "/api/openapi.json",
        actix_web::web::get().to(|| async { actix_web::HttpResponse::Ok().json(served()) }),
    );
}

/// The whole document: the health check, each part's paths, then the shared rules.
pub fn document() -> OpenApi {
    let mut doc = crate::api::ApiDoc::openapi();
    for part in [
        crate::auth::api::ApiDoc::openapi(),
        crate::users::api::ApiDoc::openapi(),
        crate::organizations::api::ApiDoc::openapi(),
        crate::members::api::ApiDoc::openapi(),
        crate::audit::api::ApiDoc::openapi(),
        crate::committee::api_doc::ApiDoc::openapi(),
        crate::fund::api_doc::ApiDoc::openapi(),
        crate::fund::collection::api::ApiDoc::openapi(),
        crate::trainings::api_doc::ApiDoc::openapi(),
        crate::notices::api::ApiDoc::openapi(),
    ] {
        doc.merge(part);
    }
    Contract.modify(&mut doc);
    doc
}

struct Contract;

impl Modify for Contract {
    fn modify(&self, doc: &mut OpenApi) {
        let components = doc.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.schemas.insert(Problem::name().into(), Problem::schema());
        components
            .schemas
            .insert(ProblemField::name().into(), ProblemField::schema());
        doc.security = Some(vec![SecurityRequirement::new("bearer", Vec::<String>::new())]);

        let mut bodies = BTreeSet::new();
        for (path, item) in doc.paths.paths.iter_mut() {
            for (method, operation) in operations(item) {
                complete(method, path, operation);
                bodies.extend(body_schema_name(operation));
            }
        }
        // The API refuses a field it does not know (a 422 naming it), so say so.
        let schemas = &mut doc.components.get_or_insert_with(Default::default).schemas;
        for name in bodies {
            if let Some(RefOr::T(Schema::Object(object))) = schemas.get_mut(&name) {
                object.additional_properties = Some(Box::new(AdditionalProperties::FreeForm(false)));
            }
        }
    }
}

/// The name of the component a JSON request body refers to, if it does.
fn body_schema_name(operation: &Operation) -> Option<String> {
    let content = operation.request_body.as_ref()?.content.get("application/json")?;
    match content.schema.as_ref()? {
        RefOr::Ref(reference) => reference.ref_location.rsplit('/').next().map(str::to_string),
        RefOr::T(_) => None,
    }
}

fn operations(item: &mut PathItem) -> Vec<(&'static str, &mut Operation)> {
    [
        ("get", item.get.as_mut()),
        ("put", item.put.as_mut()),
        ("post", item.post.as_mut()),
        ("delete", item.delete.as_mut()),
        ("patch", item.patch.as_mut()),
    ]
    .into_iter()
    .filter_map(|(method, op)| Some((method, op?)))
    .collect()
}

fn complete(method: &str, path: &str, operation: &mut Operation) {
    let parameters = operation.parameters.get_or_insert_with(Vec::new);
    for name in path_names(path) {
        if !parameters.iter().any(|p| p.name == name) {
            parameters.push(id_parameter(name));
        }
    }
    let has_query = parameters.iter().any(|p| p.parameter_in == ParameterIn::Query);
    let names_an_id = !path_names(path).is_empty()
        || operation.request_body.is_some()
        || parameters
            .iter()
            .any(|p| p.parameter_in == ParameterIn::Query && p.name.ends_with("_id"));
    let idempotent = parameters.iter().any(|p| p.name == "Idempotency-Key");
    if parameters.is_empty() {
        operation.parameters = None;
    }
    let has_body = operation.request_body.is_some();
    let open = OPEN.contains(&(method, path));
    let health = path == "/api/v1/health";

    let mut errors: Vec<(u16, &str)> = Vec::new();
    if has_body || has_query {
        errors.push((400, "The body is not JSON, or a query parameter is not of its type."));
    }
    if !health {
        errors.push((
            401,
            "Not signed in: no token, an expired or revoked one (or a bad signature).",
        ));
    }
    if !open {
        errors.push((403, "Signed in, but this role may not do this."));
    }
    if names_an_id {
        errors.push((
            404,
            "Not found, or not within the caller's reach (an id of the path, the query or the body).",
        ));
    }
    if idempotent {
        errors.push((409, "A request with this Idempotency-Key is still being handled."));
    }
    if has_body {
        errors.push((413, "The body is larger than the server accepts."));
    }
    if has_body || has_query || idempotent {
        errors.push((422, "Invalid input: `errors` names each field and why."));
    }
    errors.push((503, "The database is busy for a moment: nothing was done; try again."));
    for (status, description) in errors {
        operation
            .responses
            .responses
            .entry(status.to_string())
            .or_insert_with(|| RefOr::T(Response::new(description)));
    }
    for (status, response) in operation.responses.responses.iter_mut() {
        if let RefOr::T(response) = response {
            if status.starts_with('4') || status.starts_with('5') {
                response.content.clear();
                response.content.insert(
                    "application/problem+json".into(),
                    Content::new(Some(Ref::from_schema_name("Problem"))),
                );
            }
        }
    }
    if open {
        operation.security = Some(vec![SecurityRequirement::default()]);
    }
    if let Some(body) = operation.request_body.as_mut() {
        require(body);
    }
}

/// A body the operation reads is a required JSON object.
fn require(body: &mut RequestBody) {
    body.required = Some(Required::True);
}

fn path_names(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|segment| segment.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

fn id_parameter(name: &str) -> Parameter {
    ParameterBuilder::new()
        .name(name)
        .parameter_in(ParameterIn::Path)
        .required(Required::True)
        .description(Some("The id of the resource the path names."))
        .schema(Some(
            ObjectBuilder::new()
                .schema_type(Type::Integer)
                .format(Some(utoipa::openapi::SchemaFormat::KnownFormat(
                    utoipa::openapi::KnownFormat::Int64,
                )))
                .minimum(Some(1)),
        ))
        .build()
}

/// `POST /things` answering 201 links to `GET /things/{id}` with the new `id`.
fn link_created(doc: &mut Value) {
    let Some(paths) = doc["paths"].as_object_mut() else {
        return;
    };
    let readers: Vec<(String, String)> = paths
        .iter()
        .filter_map(|(path, item)| Some((path.clone(), item["get"]["operationId"].as_str()?.to_string())))
        .collect();
    for (path, item) in paths.iter_mut() {
        let Some((_, reader)) = readers.iter().find(|(p, _)| *p == format!("{path}/{{id}}")) else {
            continue;
        };
        let created = item
            .get_mut("post")
            .and_then(|post| post.get_mut("responses"))
            .and_then(|responses| responses.get_mut("201"));
        if let Some(created) = created {
            created["links"] = json!({
                reader: {
                    "operationId": reader,
                    "parameters": {"id": "$response.body#/id"},
                    "description": "What was just created."
                }
            });
        }
    }
}

/// Query filters that an empty value leaves out (`?from=` is no bound); `as_of`, a sheet's `date`
/// and paging are strict.
const STRICT_QUERY: &[&str] = &["as_of", "date", "limit", "offset"];

/// The API reads an optional field sent as `""` like one not sent (on a change: cleared), and an
/// empty filter like no filter: the schemas say so, or a client following them would be misled.
fn allow_blank(doc: &mut Value) {
    let blank = json!({"type": "string", "maxLength": 0});
    let or_blank = |schema: &mut Value| {
        let original = schema.take();
        *schema = json!({"anyOf": [original, blank.clone()]});
    };
    let mut bodies = BTreeSet::new();
    if let Some(paths) = doc["paths"].as_object_mut() {
        for item in paths.values_mut() {
            for operation in item.as_object_mut().into_iter().flat_map(|o| o.values_mut()) {
                if let Some(name) = operation
                    .pointer("/requestBody/content/application~1json/schema/$ref")
                    .and_then(Value::as_str)
                    .and_then(|r| r.rsplit('/').next())
                {
                    bodies.insert(name.to_string());
                }
                let parameters = operation.get_mut("parameters").and_then(Value::as_array_mut);
                for parameter in parameters.into_iter().flatten() {
                    let name = parameter["name"].as_str().unwrap_or_default();
                    if parameter["in"] == "query" && parameter["required"] != true && !STRICT_QUERY.contains(&name) {
                        or_blank(&mut parameter["schema"]);
                    }
                }
            }
        }
    }
    // The bodies and the objects inside them (a register's lines, a batch's rows, consents).
    let schemas = &mut doc["components"]["schemas"];
    let mut pending: Vec<String> = bodies.into_iter().collect();
    let mut done = BTreeSet::new();
    while let Some(name) = pending.pop() {
        if !done.insert(name.clone()) {
            continue;
        }
        let Some(schema) = schemas.get_mut(&name) else {
            continue;
        };
        let required: Vec<String> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(|n| n.as_str().map(str::to_string)).collect())
            .unwrap_or_default();
        let properties = schema.get_mut("properties").and_then(Value::as_object_mut);
        for (field, property) in properties.into_iter().flatten() {
            let text = property.to_string();
            for reference in text.split("\"#/components/schemas/").skip(1) {
                let inner = reference.split('"').next().unwrap_or_default();
                if inner.ends_with("Body") || inner.ends_with("Line") {
                    pending.push(inner.to_string());
                }
            }
            let kind =
                |t: &str| text.contains(&format!("\"type\":\"{t}\"")) || text.contains(&format!("\"{t}\",\"null\""));
            let structured = kind("integer") || kind("boolean") || kind("array") || kind("object");
            if !required.contains(field) && !structured {
                or_blank(property);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_of_the_path() {
        assert_eq!(path_names("/api/v1/loans/{id}/repayments"), vec!["id"]);
        assert!(path_names("/api/v1/loans").is_empty());
    }

    #[test]
    fn every_operation_is_complete() {
        let doc = served();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, op) in item.as_object().unwrap() {
                let responses = op["responses"].as_object().unwrap();
                assert!(responses.contains_key("503"), "{method} {path}");
                for (status, response) in responses {
                    if status.starts_with('4') {
                        assert_eq!(
                            response["content"]["application/problem+json"]["schema"]["$ref"],
                            "#/components/schemas/Problem",
                            "{method} {path} {status}"
                        );
                    }
                }
                if path.contains("{id}") {
                    let params = op["parameters"].as_array().expect("{method} {path}: parameters");
                    assert!(
                        params.iter().any(|p| p["name"] == "id" && p["in"] == "path"),
                        "{method} {path}"
                    );
                }
                if ["post", "put", "patch"].contains(&method.as_str()) && !path.ends_with("/approve") {
                    let needs_no_body = ["/reject", "/cancel", "/anonymize", "/retry"]
                        .iter()
                        .any(|end| path.ends_with(end));
                    assert!(
                        needs_no_body || op["requestBody"].is_object(),
                        "{method} {path} declares its body"
                    );
                }
            }
        }
    }
}
