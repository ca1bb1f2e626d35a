use pallay::auth::policy::Role;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, TestApp};

fn setup() -> (TestApp, crate::helpers::Api, i64) {
    let app = spawn_app();
    let admin = app.admin();
    let org = app.create_organization(&admin, "Pallaqueras de La Rinconada");
    (app, admin, org)
}

#[test]
fn a_member_is_created_read_updated_and_listed() {
    let (app, admin, org) = setup();
    let created = app.create_member(
        &admin,
        org,
        json!({"dni": "40123456", "phone": "987 654 321", "email": "Rosa@Example.PE", "birth_date": "1984-03-12",
               "language": "qu", "consents": {"sms": true, "email": false}}),
    );
    assert_eq!(created["phone"], "+51987654321");
    assert_eq!(created["email"], "Rosa@example.pe");
    assert_eq!(created["consents"]["sms"], true);
    assert!(created["consents"]["sms_recorded_at"].is_string());
    let id = created["id"].as_i64().unwrap();

    let read = admin.get(&format!("/api/v1/members/{id}")).json();
    assert_eq!(read, created);

    let patched = admin.patch(
        &format!("/api/v1/members/{id}"),
        &json!({"phone": null, "last_name": "Mamani"}),
    );
    assert_eq!(patched.status, 200, "{}", patched.body);
    let patched = patched.json();
    assert_eq!(patched["phone"], Value::Null);
    assert_eq!(patched["last_name"], "Mamani");
    assert_eq!(patched["dni"], "40123456", "fields not sent stay as they were");

    app.create_member(&admin, org, json!({"first_name": "Justina", "last_name": "Apaza"}));
    let list = admin.get("/api/v1/members?q=apaz").json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["first_name"], "Justina");
    let by_dni = admin.get("/api/v1/members?q=4012345").json();
    assert_eq!(by_dni["items"][0]["id"], id);
}

#[test]
fn lists_are_paged_with_limit_and_offset() {
    let (app, admin, org) = setup();
    for i in 0..7 {
        app.create_member(&admin, org, json!({"last_name": format!("Condori {i}")}));
    }
    let page = admin.get("/api/v1/members?limit=3&offset=6").json();
    assert_eq!(page["total"], 7);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
    assert_eq!(admin.get("/api/v1/members?limit=501").error_fields(), vec!["limit"]);
    assert_eq!(admin.get("/api/v1/members?offset=-1").error_fields(), vec!["offset"]);
}

/// Each bad body is refused with 422 naming the field, and no member is written.
#[test]
fn bad_member_input_is_refused_field_by_field_and_changes_nothing() {
    let (app, admin, org) = setup();
    app.create_member(&admin, org, json!({"dni": "11112222"}));
    let base = json!({"first_name": "Rosa", "last_name": "Quispe", "sex": "female", "organization_ids": [org]});
    let with = |field: &str, value: Value| {
        let mut body = base.clone();
        body[field] = value;
        body
    };
    let without = |field: &str| {
        let mut body = base.clone();
        body.as_object_mut().unwrap().remove(field);
        body
    };
    let long_name = "a".repeat(10_000);
    let cases: Vec<(Value, &str)> = vec![
        (with("first_name", json!(42)), "first_name"),
        (with("organization_ids", json!("1")), "organization_ids"),
        (with("organization_ids", json!([])), "organization_ids"),
        (without("first_name"), "first_name"),
        (without("sex"), "sex"),
        (without("organization_ids"), "organization_ids"),
        (with("dni", json!("1234567")), "dni"),
        (with("dni", json!("123456789")), "dni"),
        (with("dni", json!(12345678)), "dni"),
        (with("dni", json!("11112222")), "dni"),
        (with("phone", json!("98765432a")), "phone"),
        (with("email", json!("rosa@")), "email"),
        (with("first_name", json!(long_name)), "first_name"),
        (with("sex", json!("woman")), "sex"),
        (with("language", json!("fr")), "language"),
        (with("birth_date", json!("1990-02-30")), "birth_date"),
        (with("organization_ids", json!([org, 999_999])), "organization_ids"),
        (with("consents", json!({"sms": "yes"})), "consents.sms"),
        (with("nickname", json!("Rosi")), "nickname"),
    ];
    let before = app.count("members");
    let audit_before = app.count("audit_log");
    for (body, field) in cases {
        let response = admin.post("/api/v1/members", &body);
        assert_eq!(response.error_fields(), vec![field.to_string()], "body: {body}");
    }
    assert_eq!(admin.post_raw("/api/v1/members", "{\"first_name\": ").status, 400);
    assert_eq!(admin.post_raw("/api/v1/members", "[1, 2]").error_fields(), vec!["body"]);
    assert_eq!(app.count("members"), before);
    assert_eq!(app.count("audit_log"), audit_before);
}

#[test]
fn a_duplicate_dni_on_update_is_refused_and_the_record_kept() {
    let (app, admin, org) = setup();
    app.create_member(&admin, org, json!({"dni": "22223333"}));
    let other = app.create_member(&admin, org, json!({"dni": "44445555"}));
    let id = other["id"].as_i64().unwrap();
    let response = admin.patch(
        &format!("/api/v1/members/{id}"),
        &json!({"dni": "22223333", "first_name": "Nélida"}),
    );
    assert_eq!(response.error_fields(), vec!["dni"]);
    let after = admin.get(&format!("/api/v1/members/{id}")).json();
    assert_eq!(
        (after["dni"].as_str(), after["first_name"].as_str()),
        (Some("44445555"), Some("Rosa"))
    );
}

#[test]
fn html_in_a_name_is_stored_verbatim_and_shown_escaped() {
    let (app, _, org) = setup();
    let user = app.create_user(Role::Admin, vec![], None);
    let admin = app.token_for(&user.username);
    let created = app.create_member(&admin, org, json!({"first_name": "<script>alert(1)</script>"}));
    assert_eq!(created["first_name"], "<script>alert(1)</script>");
    let mut browser = app.browser();
    browser.login(&user.username, crate::helpers::PASSWORD);
    for path in [format!("/members/{}", created["id"]), "/members".to_string()] {
        let page = browser.get(&path);
        assert_eq!(page.status, 200);
        assert!(!page.body.contains("<script>alert(1)"), "{path} shows raw HTML");
        let escaped = page.body.contains("&lt;script&gt;alert(1)") || page.body.contains("&#60;script&#62;alert(1)");
        assert!(escaped, "{path} does not show the name");
    }
}

#[test]
fn a_coordinator_changes_only_her_own_organisations_memberships() {
    let (app, admin, rinconada) = setup();
    let cecomip = app.create_organization(&admin, "CECOMIP");
    let divinas = app.create_organization(&admin, "Divinas en Brillo de Oro");
    let both = app.create_member(&admin, divinas, json!({"organization_ids": [divinas, cecomip]}));
    let id = both["id"].as_i64().unwrap();
    let (coordinator, _) = app.login_as(Role::Coordinator, vec![divinas], None);

    let refused = coordinator.post(
        "/api/v1/members",
        &json!({"first_name": "A", "last_name": "B", "sex": "female", "organization_ids": [rinconada]}),
    );
    assert_eq!(refused.error_fields(), vec!["organization_ids"]);
    let refused = coordinator.patch(
        &format!("/api/v1/members/{id}"),
        &json!({"organization_ids": [divinas, rinconada]}),
    );
    assert_eq!(refused.error_fields(), vec!["organization_ids"]);

    // Sending only her own organisation keeps the membership of CECOMIP, which is not hers to change.
    let response = coordinator.patch(
        &format!("/api/v1/members/{id}"),
        &json!({"organization_ids": [divinas]}),
    );
    assert_eq!(response.status, 200, "{}", response.body);
    let mut orgs = vec![divinas, cecomip];
    orgs.sort();
    assert_eq!(response.json()["organization_ids"], json!(orgs));
}

#[test]
fn a_consent_change_records_who_and_when() {
    let (app, admin, org) = setup();
    let created = app.create_member(&admin, org, json!({"consents": {"sms": false, "email": false}}));
    let id = created["id"].as_i64().unwrap();
    let (coordinator, coord_user) = app.login_as(Role::Coordinator, vec![org], None);
    let updated = coordinator
        .patch(&format!("/api/v1/members/{id}"), &json!({"consents": {"sms": true}}))
        .json();
    assert_eq!(updated["consents"]["sms"], true);
    assert_eq!(updated["consents"]["sms_recorded_by"], coord_user.id);
    assert_ne!(
        updated["consents"]["sms_recorded_at"],
        created["consents"]["sms_recorded_at"]
    );
    assert_eq!(
        updated["consents"]["email_recorded_at"],
        created["consents"]["email_recorded_at"]
    );
}

#[test]
fn writes_and_staff_reads_are_audited_with_before_and_after() {
    let (app, admin, org) = setup();
    let created = app.create_member(&admin, org, json!({}));
    let id = created["id"].as_i64().unwrap();
    admin.patch(&format!("/api/v1/members/{id}"), &json!({"first_name": "Hilaria"}));
    admin.get(&format!("/api/v1/members/{id}"));
    let audit = admin.get(&format!("/api/v1/audit?entity=member&entity_id={id}")).json();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert_eq!(actions, vec!["view", "update", "create"]);
    let update = &audit["items"][1];
    assert_eq!(update["before"]["first_name"], "Rosa");
    assert_eq!(update["after"]["first_name"], "Hilaria");
    assert!(update["user_id"].is_i64());
    assert_eq!(admin.get("/api/v1/audit?entity=banana").error_fields(), vec!["entity"]);
}

#[test]
fn a_member_downloads_all_her_data_and_nobody_elses() {
    let (app, admin, org) = setup();
    let rosa = app.create_member(&admin, org, json!({"dni": "40123456"}));
    let other = app.create_member(&admin, org, json!({"first_name": "Juana"}));
    let rosa_id = rosa["id"].as_i64().unwrap();
    let (herself, _) = app.login_as(Role::Member, vec![], Some(rosa_id));
    let export = herself.get(&format!("/api/v1/members/{rosa_id}/export"));
    assert_eq!(export.status, 200);
    assert!(export
        .header("content-disposition")
        .is_some_and(|h| h.contains("attachment")));
    let doc = export.json();
    assert_eq!(doc["member"]["dni"], "40123456");
    assert_eq!(doc["organizations"][0]["name"], "Pallaqueras de La Rinconada");
    assert!(doc["user_accounts"].as_array().is_some_and(|a| a.len() == 1));
    assert!(doc["record_history"].as_array().is_some_and(|h| !h.is_empty()));
    assert_eq!(
        herself.get(&format!("/api/v1/members/{}/export", other["id"])).status,
        404
    );
    assert_eq!(admin.get(&format!("/api/v1/members/{rosa_id}/export")).status, 200);
}

#[test]
fn anonymising_a_person_who_leaves_keeps_the_record_and_forgets_who_she_was() {
    let (app, admin, org) = setup();
    let rosa = app.create_member(
        &admin,
        org,
        json!({"dni": "40123456", "phone": "987654321", "email": "rosa@example.pe",
                                                     "birth_date": "1980-01-01", "consents": {"sms": true}}),
    );
    let id = rosa["id"].as_i64().unwrap();
    let (herself, account) = app.login_as(Role::Member, vec![], Some(id));

    let response = admin.post(&format!("/api/v1/members/{id}/anonymize"), &json!({}));
    assert_eq!(response.status, 200, "{}", response.body);
    let after = response.json();
    assert_eq!(after["anonymized"], true);
    for field in ["dni", "phone", "email", "birth_date"] {
        assert_eq!(after[field], Value::Null, "{field}");
    }
    assert_ne!(after["first_name"], "Rosa");
    assert_eq!(after["consents"]["sms"], false);
    assert_eq!(after["organization_ids"], json!([org]), "the record and its links stay");
    assert_eq!(after["sex"], "female", "kept for aggregate reports by sex");

    // Her account is closed, and nothing that names or reaches her is left anywhere: not in the
    // audit log, the outbox, her account or its sessions — in whatever case it was written.
    assert_eq!(herself.get(&format!("/api/v1/members/{id}")).status, 401);
    for secret in [
        "Rosa",
        "Quispe Mamani",
        "40123456",
        "987654321",
        "ROSA@example.pe",
        "1980-01-01",
        account.username.as_str(),
    ] {
        let found = app.columns_holding(secret);
        assert!(found.is_empty(), "{secret} is still in {found:?}");
    }
    assert_eq!(
        admin
            .post(&format!("/api/v1/members/{id}/anonymize"), &json!({}))
            .status,
        409
    );
    assert_eq!(
        admin
            .patch(&format!("/api/v1/members/{id}"), &json!({"first_name": "Rosa"}))
            .status,
        409
    );
    // The DNI is free again for a new registration.
    app.create_member(&admin, org, json!({"dni": "40123456"}));
}

#[test]
fn a_dni_held_in_another_association_is_refused_without_saying_so() {
    let (app, admin, org) = setup();
    let other = app.create_organization(&admin, "Divinas en Brillo de Oro");
    app.create_member(&admin, other, json!({"dni": "40123456"}));
    app.create_member(&admin, org, json!({"dni": "40999999"}));
    let (coordinator, _) = app.login_as(Role::Coordinator, vec![org], None);
    let body = |dni: &str| json!({"first_name": "Nueva", "last_name": "Socia", "sex": "female", "organization_ids": [org], "dni": dni});
    // Held by a member of her own association: she may know, and is told.
    let mine = coordinator.post("/api/v1/members", &body("40999999"));
    assert_eq!(mine.error_fields(), vec!["dni"]);
    assert!(
        mine.body.contains("another person is already registered"),
        "{}",
        mine.body
    );
    // Held elsewhere: refused all the same, but nothing says a person elsewhere has it.
    let elsewhere = coordinator.post("/api/v1/members", &body("40123456"));
    assert_eq!(elsewhere.error_fields(), vec!["dni"]);
    assert!(elsewhere.body.contains("cannot be registered"), "{}", elsewhere.body);
    assert!(!elsewhere.body.contains("already registered"), "{}", elsewhere.body);
    // An admin reaches everyone, and is told.
    assert!(admin
        .post("/api/v1/members", &body("40123456"))
        .body
        .contains("already registered"));
}

#[test]
fn names_with_hidden_direction_marks_are_refused() {
    let (app, admin, org) = setup();
    let before = app.count("members");
    let r = admin.post(
        "/api/v1/members",
        &json!({"first_name": "Rosa\u{202E}", "last_name": "Quispe", "sex": "female", "organization_ids": [org]}),
    );
    assert_eq!(r.error_fields(), vec!["first_name"]);
    assert_eq!(app.count("members"), before);
}
