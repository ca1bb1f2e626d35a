//! What the contract test (schemathesis over the served OpenAPI document, `.ci/contract`) found,
//! kept as tests of their own; and the document itself held to what the API does.

use serde_json::{json, Value};

use crate::fund_helpers::fund_with_cash;
use crate::helpers::spawn_app;

#[test]
fn a_known_path_with_another_method_is_405_with_its_methods_and_an_unknown_path_404() {
    let app = spawn_app();
    let admin = app.admin();
    let (status, head) = raw(&app.address, "TRACE", "/api/v1/loans");
    assert_eq!(status, 405, "{head}");
    assert!(head.to_lowercase().contains("allow: get, post"), "{head}");
    assert_eq!(raw(&app.address, "TRACE", "/api/v1/nothing/here").0, 404);
    for (method, path, allow) in [
        ("PUT", "/api/v1/members/1", "GET, PATCH"),
        ("DELETE", "/api/v1/funds", "GET, POST"),
        ("GET", "/api/v1/loans/1/approve", "POST"),
    ] {
        let r = admin.request(method, path, None);
        assert_eq!(r.status, 405, "{method} {path}: {}", r.body);
        assert_eq!(r.header("allow"), Some(allow), "{method} {path}");
        assert_eq!(r.header("content-type"), Some("application/problem+json"));
        assert_eq!(r.json()["status"], 405);
    }
    assert_eq!(admin.get("/api/v1/nothing-here").status, 404);
}

/// A request with any method, as bytes on a socket: its status and its head.
fn raw(address: &str, method: &str, path: &str) -> (u16, String) {
    use std::io::{Read, Write};
    let mut stream = std::net::TcpStream::connect(address.trim_start_matches("http://")).unwrap();
    write!(
        stream,
        "{method} {path} HTTP/1.1\r\nHost: pallay\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut answer = String::new();
    stream.read_to_string(&mut answer).unwrap();
    let head = answer.split("\r\n\r\n").next().unwrap_or_default().to_string();
    let status = head.split(' ').nth(1).and_then(|s| s.parse().ok()).unwrap_or(0);
    (status, head)
}

#[test]
fn an_empty_as_of_is_refused_not_read_as_today() {
    let f = fund_with_cash("500.00");
    for report in ["portfolio", "trial-balance"] {
        let path = format!("/api/v1/funds/{}/{report}", f.fund);
        assert_eq!(
            f.admin.get(&format!("{path}?as_of=")).error_fields(),
            vec!["as_of"],
            "{report}"
        );
        assert_eq!(f.admin.get(&path).status, 200, "{report} without it is today's");
    }
    // A filter left empty is no filter (the document says so): the journal with `?from=`.
    let journal = f.admin.get(&format!("/api/v1/funds/{}/journal?from=&to=", f.fund));
    assert_eq!(journal.status, 200, "{}", journal.body);
}

#[test]
fn an_audit_filter_by_a_non_id_is_refused() {
    let app = spawn_app();
    for bad in ["0", "-3", "x"] {
        let r = app.admin().get(&format!("/api/v1/audit?entity_id={bad}"));
        assert_eq!(r.error_fields(), vec!["entity_id"], "{bad}");
    }
}

fn document() -> Value {
    let app = spawn_app();
    let doc = app.api().get("/api/openapi.json").json();
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    doc
}

#[test]
fn the_document_declares_bodies_parameters_answers_and_errors() {
    let doc = document();
    let op = |method: &str, path: &str| doc["paths"][path][method].clone();
    let schema = |name: &str| doc["components"]["schemas"][name].clone();

    // Path ids, query parameters with their types, bodies that refuse unknown fields.
    let loans = op("get", "/api/v1/loans");
    let names: Vec<&str> = loans["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["fund_id", "status", "member_id", "limit", "offset"]);
    assert_eq!(loans["parameters"][0]["required"], true, "fund_id is required");
    let repay = op("post", "/api/v1/loans/{id}/repayments");
    assert!(repay["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "id" && p["in"] == "path" && p["schema"]["minimum"] == 1));
    assert!(repay["parameters"]
        .as_array()
        .unwrap()
        .iter()
        .any(|p| p["name"] == "Idempotency-Key" && p["in"] == "header"));
    assert_eq!(
        repay["requestBody"]["content"]["application/json"]["schema"]["$ref"],
        "#/components/schemas/RepaymentBody"
    );
    assert_eq!(schema("RepaymentBody")["additionalProperties"], false);
    assert_eq!(schema("RepaymentBody")["required"], json!(["amount", "date"]));

    // Lists are {items, total}; every error is problem+json; 201 links to what it made.
    let members = op("get", "/api/v1/members");
    let list = members["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        .as_str()
        .unwrap()
        .rsplit('/')
        .next()
        .unwrap()
        .to_string();
    assert_eq!(schema(&list)["required"], json!(["items", "total"]), "{list}");
    for status in ["401", "403", "422", "503"] {
        assert_eq!(
            members["responses"][status]["content"]["application/problem+json"]["schema"]["$ref"],
            "#/components/schemas/Problem",
            "{status}"
        );
    }
    let created = op("post", "/api/v1/members");
    assert_eq!(
        created["responses"]["201"]["links"]["get_member"]["parameters"]["id"],
        "$response.body#/id"
    );
    assert_eq!(op("get", "/api/v1/health")["security"], json!([{}]), "open to all");
    assert!(op("post", "/api/v1/sms/inbound")["responses"]["401"].is_object());
}

#[test]
fn what_the_document_says_of_a_blank_optional_field_holds() {
    let doc = document();
    // The document: an optional field of a body may be "" (the same as leaving it out).
    let place = &doc["components"]["schemas"]["TrainingBody"]["properties"]["place"];
    assert!(
        place["anyOf"][1] == json!({"type": "string", "maxLength": 0}),
        "{place}"
    );
    // The API: it is.
    let app = spawn_app();
    let admin = app.admin();
    let org = app.create_organization(&admin, "Divinas en Brillo de Oro");
    let member = app.create_member(&admin, org, json!({"phone": "", "email": "", "dni": ""}));
    assert_eq!(member["phone"], Value::Null, "{member}");
}

/// Issue 15, item 1: a write that cannot get the database (another process held it past the busy
/// timeout) is a 503 with `Retry-After` that changed nothing, never a 500 — and reads go on.
#[test]
fn a_write_kept_waiting_by_another_process_is_503_and_reads_go_on() {
    use diesel::connection::SimpleConnection;
    let app = spawn_app();
    if app.backend() != pallay::db::Backend::Sqlite {
        return; // PostgreSQL queues writers on row locks; there is no database-wide lock to hold.
    }
    let admin = app.admin();
    let org = app.create_organization(&admin, "Pallaqueras de La Rinconada");
    let members = app.count("members");
    let mut other = pallay::db::establish(&app.database_url).expect("a second connection");
    other.batch_execute("BEGIN IMMEDIATE").expect("take the write lock");
    let started = std::time::Instant::now();
    let held = std::thread::scope(|s| {
        let write = s.spawn(|| {
            admin.post(
                "/api/v1/members",
                &json!({"first_name": "Nélida", "last_name": "Quispe", "sex": "female", "organization_ids": [org]}),
            )
        });
        std::thread::sleep(std::time::Duration::from_millis(500));
        let read_started = std::time::Instant::now();
        assert_eq!(admin.get("/api/v1/members").status, 200, "a read while the write waits");
        assert!(read_started.elapsed().as_secs() < 2, "reads never wait for writes");
        write.join().unwrap()
    });
    other.batch_execute("ROLLBACK").unwrap();
    assert_eq!(held.status, 503, "{}", held.body);
    assert_eq!(held.header("retry-after"), Some("2"));
    assert_eq!(held.header("content-type"), Some("application/problem+json"));
    assert!(started.elapsed().as_secs() >= 5, "it waited for the lock first");
    assert_eq!(app.count("members"), members, "nothing written");
    // Once the lock is free, the same request goes through.
    let again = admin.post(
        "/api/v1/members",
        &json!({"first_name": "Nélida", "last_name": "Quispe", "sex": "female", "organization_ids": [org]}),
    );
    assert_eq!(again.status, 201, "{}", again.body);
}
