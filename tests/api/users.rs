use pallay::auth::policy::Role;
use serde_json::json;

use crate::helpers::spawn_app;

#[test]
fn an_admin_creates_users_of_every_role_with_the_right_scope() {
    let app = spawn_app();
    let admin = app.admin();
    let org = app.create_organization(&admin, "CECOMIP");
    let member = app.create_member(&admin, org, json!({}))["id"].as_i64().unwrap();
    let cases = [
        (
            json!({"username": "Coord.Ananea", "password": "una clave larga", "role": "coordinator", "organization_ids": [org]}),
            "coord.ananea",
        ),
        (
            json!({"username": "genero1", "password": "una clave larga", "role": "gender_staff", "organization_ids": []}),
            "genero1",
        ),
        (
            json!({"username": "rosa", "password": "una clave larga", "role": "member", "organization_ids": [], "member_id": member}),
            "rosa",
        ),
        (
            json!({"username": "visor", "password": "una clave larga", "role": "viewer"}),
            "visor",
        ),
    ];
    for (body, username) in cases {
        let response = admin.post("/api/v1/users", &body);
        assert_eq!(response.status, 201, "{}", response.body);
        let user = response.json();
        assert_eq!(user["username"], username);
        assert!(user.get("password_hash").is_none() && !response.body.contains("argon2"));
    }
    let listed = admin.get("/api/v1/users").json();
    assert_eq!(listed["total"], 5);
}

#[test]
fn bad_user_input_is_refused_and_creates_nobody() {
    let app = spawn_app();
    let admin = app.admin();
    let org = app.create_organization(&admin, "Divinas");
    let ok = json!({"username": "nueva", "password": "una clave larga", "role": "viewer"});
    let with = |k: &str, v: serde_json::Value| {
        let mut b = ok.clone();
        b[k] = v;
        b
    };
    let cases = [
        (with("role", json!("superuser")), "role"),
        (with("password", json!("corta")), "password"),
        (with("password", json!("password123")), "password"),
        (with("password", json!("nueva")), "password"),
        (with("username", json!("a b")), "username"),
        (with("username", json!(7)), "username"),
        (with("organization_ids", json!([org])), "organization_ids"),
        (
            json!({"username": "coord1", "password": "una clave larga", "role": "coordinator"}),
            "organization_ids",
        ),
        (
            json!({"username": "coord1", "password": "una clave larga", "role": "coordinator", "organization_ids": [4242]}),
            "organization_ids",
        ),
        (
            json!({"username": "miembro1", "password": "una clave larga", "role": "member"}),
            "member_id",
        ),
        (
            json!({"username": "miembro1", "password": "una clave larga", "role": "member", "member_id": 4242}),
            "member_id",
        ),
    ];
    let before = app.count("users");
    for (body, field) in cases {
        assert_eq!(
            admin.post("/api/v1/users", &body).error_fields(),
            vec![field.to_string()],
            "{body}"
        );
    }
    assert_eq!(admin.post("/api/v1/users", &ok).status, 201);
    assert_eq!(
        admin.post("/api/v1/users", &ok).error_fields(),
        vec!["username"],
        "taken"
    );
    assert_eq!(app.count("users"), before + 1);
}

#[test]
fn an_admin_cannot_disable_herself_and_a_reenabled_user_signs_in_again() {
    let app = spawn_app();
    let (admin, me) = app.login_as(Role::Admin, vec![], None);
    assert_eq!(
        admin
            .patch(&format!("/api/v1/users/{}", me.id), &json!({"disabled": true}))
            .error_fields(),
        vec!["disabled"]
    );
    let other = app.create_user(Role::Viewer, vec![], None);
    let disabled = admin.patch(&format!("/api/v1/users/{}", other.id), &json!({"disabled": true}));
    assert_eq!(disabled.status, 200, "{}", disabled.body);
    assert_eq!(disabled.json()["disabled"], true);
    let r = admin.patch(&format!("/api/v1/users/{}", other.id), &json!({"disabled": false}));
    assert_eq!(r.json()["disabled"], false);
    app.token_for(&other.username);
    assert_eq!(
        admin.patch("/api/v1/users/999999", &json!({"disabled": true})).status,
        404
    );
}
