use pallay::auth::policy::Role;
use serde_json::json;

use crate::helpers::{spawn_app, PASSWORD};

#[test]
fn an_admin_creates_renames_and_lists_organisations() {
    let app = spawn_app();
    let admin = app.admin();
    let id = app.create_organization(&admin, "Divinas");
    let renamed = admin.patch(
        &format!("/api/v1/organizations/{id}"),
        &json!({"name": "Divinas en Brillo de Oro"}),
    );
    assert_eq!(renamed.status, 200, "{}", renamed.body);
    assert_eq!(renamed.json()["kind"], "association");
    let list = admin.get("/api/v1/organizations").json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["name"], "Divinas en Brillo de Oro");
    let audit = admin
        .get(&format!("/api/v1/audit?entity=organization&entity_id={id}"))
        .json();
    assert_eq!(audit["items"][0]["before"]["name"], "Divinas");
}

#[test]
fn bad_organisations_are_refused_and_change_nothing() {
    let app = spawn_app();
    let admin = app.admin();
    let first = app.create_organization(&admin, "CECOMIP");
    let second = app.create_organization(&admin, "Pallaqueras");
    let before = app.count("organizations");
    let cases = [
        (json!({"name": "CECOMIP", "kind": "cooperative"}), "name"),
        (json!({"name": "X", "kind": "union"}), "kind"),
        (json!({"kind": "cooperative"}), "name"),
        (json!({"name": "x".repeat(201), "kind": "cooperative"}), "name"),
    ];
    for (body, field) in cases {
        assert_eq!(
            admin.post("/api/v1/organizations", &body).error_fields(),
            vec![field],
            "{body}"
        );
    }
    let taken = admin.patch(&format!("/api/v1/organizations/{second}"), &json!({"name": "CECOMIP"}));
    assert_eq!(taken.error_fields(), vec!["name"]);
    assert_eq!(app.count("organizations"), before);
    assert_eq!(
        admin.get(&format!("/api/v1/organizations/{first}")).json()["name"],
        "CECOMIP"
    );
    assert_eq!(
        admin
            .patch("/api/v1/organizations/424242", &json!({"name": "Z"}))
            .status,
        404
    );
}

#[test]
fn a_coordinator_sees_only_her_organisations() {
    let app = spawn_app();
    let admin = app.admin();
    let mine = app.create_organization(&admin, "Pallaqueras");
    app.create_organization(&admin, "CECOMIP");
    let (coordinator, _) = app.login_as(Role::Coordinator, vec![mine], None);
    let list = coordinator.get("/api/v1/organizations").json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], mine);
}

#[test]
fn an_admin_renames_an_organisation_in_the_browser() {
    let app = spawn_app();
    let admin = app.admin();
    let id = app.create_organization(&admin, "Divinas");
    let user = app.create_user(Role::Admin, vec![], None);
    let mut browser = app.browser();
    browser.login(&user.username, PASSWORD);
    let edit = format!("/organizations/{id}/edit");
    let action = format!("/organizations/{id}");
    let bad = browser.submit(&edit, &action, &[("name", " "), ("kind", "association")]);
    assert_eq!(bad.status, 422);
    let ok = browser.submit(
        &edit,
        &action,
        &[("name", "Divinas en Brillo de Oro"), ("kind", "association")],
    );
    assert_eq!(ok.status, 303);
    assert!(browser.get("/organizations").body.contains("Divinas en Brillo de Oro"));
}
