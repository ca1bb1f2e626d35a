use pallay::auth::policy::Role;
use serde_json::json;

use crate::helpers::{spawn_app, PASSWORD};

#[test]
fn pages_speak_spanish_by_default_and_english_on_request() {
    let app = spawn_app();
    let mut browser = app.browser();
    let page = browser.get("/login");
    assert!(page.body.contains("<html lang=\"es\">") && page.body.contains("Contraseña"));
    let switch = browser.get("/lang/en?next=/login");
    assert_eq!((switch.status, switch.header("location")), (303, Some("/login")));
    let page = browser.get("/login");
    assert!(page.body.contains("<html lang=\"en\">") && page.body.contains("Password"));
    // Never an open redirect, and never a 500 for a strange `next`: anything but a plain path of
    // this site sends her home.
    for next in [
        "//evil.example",
        "/%5Cevil.example",
        "/%5C/evil.example",
        "/%09/evil.example",
        "/%0d%0aSet-Cookie:%20x=1",
        "/%00",
        "/%7f",
        "https://evil.example",
        "evil.example",
    ] {
        let r = browser.get(&format!("/lang/es?next={next}"));
        assert_eq!((r.status, r.header("location")), (303, Some("/")), "next={next}");
    }
    // A path of this site keeps its query, spaces and accents encoded.
    let r = browser.get("/lang/es?next=%2Fmembers%3Fq%3DMar%C3%ADa%20Quispe");
    assert_eq!(r.header("location"), Some("/members?q=Mar%C3%ADa%20Quispe"));
}

#[test]
fn a_bad_member_form_is_shown_again_with_what_was_typed_and_a_message() {
    let app = spawn_app();
    let admin = app.admin();
    let org = app.create_organization(&admin, "Pallaqueras").to_string();
    let user = app.create_user(Role::Admin, vec![], None);
    let mut browser = app.browser();
    browser.login(&user.username, PASSWORD);
    let before = app.count("members");
    let response = browser.submit(
        "/members/new",
        "/members",
        &[
            ("first_name", "Basilia"),
            ("last_name", "Choque"),
            ("dni", "1234567"),
            ("sex", "female"),
            ("phone", "98765432a"),
            ("organization_ids", &org),
            ("consents.sms", "on"),
        ],
    );
    assert_eq!(response.status, 422);
    assert!(response.body.contains("value=\"Basilia\"") && response.body.contains("value=\"1234567\""));
    assert!(response.body.contains("el DNI debe tener exactamente 8 dígitos"));
    assert!(response.body.contains("no es un número de teléfono válido"));
    assert!(
        response.body.contains("name=\"consents.sms\" checked"),
        "the ticked consent stays ticked"
    );
    assert_eq!(app.count("members"), before);

    let ok = browser.submit(
        "/members/new",
        "/members",
        &[
            ("first_name", "Basilia"),
            ("last_name", "Choque"),
            ("dni", "12345678"),
            ("sex", "female"),
            ("organization_ids", &org),
        ],
    );
    assert_eq!(ok.status, 303);
    let detail = browser.get(ok.header("location").unwrap());
    assert!(detail.body.contains("Basilia Choque") && detail.body.contains("12345678"));
    assert!(detail.body.contains("Socia registrada."), "she is told what happened");
    let location = ok.redirected_path();

    // Editing through the form: the same checks, and the record changes.
    let edit = format!("{location}/edit");
    let response = browser.submit(
        &edit,
        &location,
        &[
            ("first_name", "Basilia"),
            ("last_name", "Choque Pari"),
            ("dni", "12345678"),
            ("sex", "female"),
            ("language", "ay"),
            ("organization_ids", &org),
        ],
    );
    assert_eq!(response.status, 303);
    assert!(browser.get(&location).body.contains("Choque Pari"));
}

#[test]
fn error_pages_say_what_happened_and_nothing_more() {
    let app = spawn_app();
    let user = app.create_user(Role::Viewer, vec![], None);
    let mut browser = app.browser();
    let anonymous = browser.get("/members");
    assert_eq!((anonymous.status, anonymous.header("location")), (303, Some("/login")));
    browser.login(&user.username, PASSWORD);
    let forbidden = browser.get("/members");
    assert_eq!(forbidden.status, 403);
    assert!(forbidden.header("content-type").unwrap().starts_with("text/html"));
    assert!(forbidden.body.contains("Sin permiso"));
    let missing = browser.get("/members/999999");
    assert_eq!(missing.status, 403, "a viewer may not read members at all");
    let nowhere = browser.get("/no/such/page");
    assert_eq!(nowhere.status, 404);
    assert!(nowhere.body.contains("No encontrado") && !nowhere.body.to_lowercase().contains("diesel"));
}

#[test]
fn a_member_sees_only_her_own_record_and_can_download_it() {
    let app = spawn_app();
    let admin = app.admin();
    let org = app.create_organization(&admin, "Pallaqueras");
    let rosa = app.create_member(&admin, org, json!({"first_name": "Rosa"}))["id"]
        .as_i64()
        .unwrap();
    let juana = app.create_member(&admin, org, json!({"first_name": "Juana"}))["id"]
        .as_i64()
        .unwrap();
    let user = app.create_user(Role::Member, vec![], Some(rosa));
    let mut browser = app.browser();
    browser.login(&user.username, PASSWORD);
    let home = browser.get("/");
    assert_eq!(home.header("location"), Some(format!("/members/{rosa}").as_str()));
    let own = browser.get(&format!("/members/{rosa}"));
    assert!(own.body.contains("Rosa") && own.body.contains("export.json"));
    assert!(!own.body.contains("/edit"), "a member does not edit her record here");
    assert_eq!(browser.get(&format!("/members/{juana}")).status, 404);
    let export = browser.get(&format!("/members/{rosa}/export.json"));
    assert_eq!(export.status, 200);
    assert_eq!(export.json()["member"]["first_name"], "Rosa");

    // The same, as a page she can read and print: every value of the download is on it.
    let readable = browser.get(&format!("/members/{rosa}/data"));
    assert_eq!(readable.status, 200);
    let mut values = Vec::new();
    collect_leaves(&export.json(), &mut values);
    for value in values.iter().filter(|v| !v.contains('T') && !v.is_empty()) {
        assert!(readable.body.contains(value.as_str()), "{value} on her data page");
    }
    assert!(readable.body.contains("Nombres") && readable.body.contains("Historial de su registro"));

    // She says herself that she wants SMS, and no email.
    let saved = browser.submit(
        &format!("/members/{rosa}"),
        &format!("/members/{rosa}/consents"),
        &[("sms", "yes")],
    );
    assert_eq!(saved.status, 303);
    let after = browser.get(saved.header("location").unwrap());
    assert!(after.body.contains("Sus preferencias de mensajes quedaron guardadas."));
    let record = admin.request("GET", &format!("/api/v1/members/{rosa}"), None).json();
    assert_eq!(
        (
            record["consents"]["sms"].as_bool(),
            record["consents"]["email"].as_bool()
        ),
        (Some(true), Some(false))
    );
    assert_eq!(
        record["consents"]["sms_recorded_by"], user.id,
        "recorded as her own answer"
    );
}

/// Every scalar of a JSON document, as text.
fn collect_leaves(value: &serde_json::Value, out: &mut Vec<String>) {
    match value {
        serde_json::Value::Object(fields) => fields.values().for_each(|v| collect_leaves(v, out)),
        serde_json::Value::Array(items) => items.iter().for_each(|v| collect_leaves(v, out)),
        serde_json::Value::String(s) => out.push(s.clone()),
        serde_json::Value::Number(n) => out.push(n.to_string()),
        _ => {}
    }
}

#[test]
fn an_admin_manages_organisations_and_users_in_the_browser() {
    let app = spawn_app();
    let user = app.create_user(Role::Admin, vec![], None);
    let mut browser = app.browser();
    browser.login(&user.username, PASSWORD);
    let bad = browser.submit(
        "/organizations",
        "/organizations",
        &[("name", ""), ("kind", "association")],
    );
    assert_eq!(bad.status, 422);
    let ok = browser.submit(
        "/organizations",
        "/organizations",
        &[("name", "Divinas en Brillo de Oro"), ("kind", "association")],
    );
    assert_eq!(ok.status, 303);
    assert!(browser.get("/organizations").body.contains("Divinas en Brillo de Oro"));

    let weak = browser.submit(
        "/users",
        "/users",
        &[
            ("username", "genero2"),
            ("password", "password"),
            ("role", "gender_staff"),
        ],
    );
    assert_eq!(weak.status, 422);
    assert!(weak.body.contains("value=\"genero2\"") && !weak.body.contains("value=\"password\""));
    let ok = browser.submit(
        "/users",
        "/users",
        &[
            ("username", "genero2"),
            ("password", "una clave larga"),
            ("role", "gender_staff"),
        ],
    );
    assert_eq!(ok.status, 303);
    let mut staff = app.browser();
    assert_eq!(staff.login("genero2", "una clave larga").status, 303);
    let id = app
        .api()
        .post(
            "/api/v1/auth/token",
            &json!({"username": "genero2", "password": "una clave larga"}),
        )
        .json()["user"]["id"]
        .as_i64()
        .unwrap();
    let disabled = browser.submit("/users", &format!("/users/{id}/disabled"), &[("disabled", "true")]);
    assert_eq!(disabled.status, 303);
    assert_eq!(
        staff.get("/members").status,
        303,
        "her session ended when she was disabled"
    );
}

#[test]
fn health_names_the_database_in_use() {
    let app = spawn_app();
    let body = app.api().get("/api/v1/health").json();
    // Asked of the database itself, not of the URL the harness chose: only SQLite answers
    // sqlite_version().
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct Version {
        #[diesel(sql_type = diesel::sql_types::Text)]
        v: String,
    }
    let mut conn = app.db.get().unwrap();
    let engine = match diesel::sql_query("SELECT sqlite_version() AS v").get_result::<Version>(&mut *conn) {
        Ok(version) => {
            assert!(version.v.starts_with('3'), "{}", version.v);
            "sqlite"
        }
        Err(_) => {
            let version = diesel::sql_query("SELECT version() AS v")
                .get_result::<Version>(&mut *conn)
                .unwrap();
            assert!(version.v.starts_with("PostgreSQL"), "{}", version.v);
            "postgres"
        }
    };
    assert_eq!(body, json!({"status": "ok", "database": engine}));
}

#[test]
fn searches_ignore_case_and_accents_and_notices_show_names() {
    let app = spawn_app();
    let admin = app.admin();
    let org = app.create_organization(&admin, "Pallaqueras");
    let nelida = app.create_member(
        &admin,
        org,
        json!({"first_name": "Nélida", "last_name": "Núñez Ccama", "phone": "+51987654321",
               "consents": {"sms": true}}),
    )["id"]
        .as_i64()
        .unwrap();
    app.create_member(&admin, org, json!({"first_name": "Rosa", "last_name": "Quispe"}));
    let user = app.create_user(Role::Admin, vec![], None);
    let mut browser = app.browser();
    browser.login(&user.username, PASSWORD);
    for typed in ["nelida", "NELIDA", "nunez", "Núñez", "ccama"] {
        let query: String = typed
            .bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() {
                    (b as char).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect();
        let found = browser.get(&format!("/members?q={query}"));
        assert!(found.body.contains("Núñez Ccama, Nélida"), "{typed} finds her");
        assert!(!found.body.contains("Quispe, Rosa"), "{typed} finds only her");
    }
    // Her notices, found by her name and shown with it (not a number).
    let mut conn = app.db.get().unwrap();
    let queued = pallay::fund::receipt::queue_balance(
        &mut conn,
        nelida,
        pallay::outbox::queue::Kind::Statement,
        pallay::fund::receipt::BOTH,
        None,
        crate::helpers::test_today(),
        pallay::clock::now(),
    )
    .unwrap();
    assert_eq!(queued, 1, "her statement by SMS");
    let notices = browser.get("/notices?name=nelida");
    assert!(notices.body.contains(">Nélida Núñez Ccama</a>"), "{}", notices.body);
    let nobody = browser.get("/notices?name=rosa");
    assert!(!nobody.body.contains("Nélida"));
}
