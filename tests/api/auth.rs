use pallay::auth::policy::Role;
use serde_json::json;

use crate::helpers::{spawn_app, PASSWORD};

#[test]
fn wrong_credentials_get_the_same_401_whether_or_not_the_user_exists() {
    let app = spawn_app();
    let user = app.create_user(Role::GenderStaff, vec![], None);
    let wrong_password = app.api().post(
        "/api/v1/auth/token",
        &json!({"username": user.username, "password": "not the password"}),
    );
    let unknown_user = app.api().post(
        "/api/v1/auth/token",
        &json!({"username": "nobody.here", "password": "not the password"}),
    );
    assert_eq!(wrong_password.status, 401);
    assert_eq!(unknown_user.status, 401);
    assert_eq!(wrong_password.body, unknown_user.body);
    assert_eq!(wrong_password.header("content-type"), Some("application/problem+json"));
}

#[test]
fn a_revoked_token_stops_working_and_bad_token_requests_are_422() {
    let app = spawn_app();
    let api = app.admin();
    let response = app
        .api()
        .post("/api/v1/auth/token", &json!({"username": "x", "password": 5}));
    assert_eq!(response.error_fields(), vec!["password"]);
    assert_eq!(app.api().post_raw("/api/v1/auth/token", "{not json").status, 400);
    assert_eq!(api.get("/api/v1/users").status, 200);
    assert_eq!(api.delete("/api/v1/auth/token").status, 204);
    assert_eq!(api.get("/api/v1/users").status, 401);
}

#[test]
fn the_token_answer_has_the_promised_shape() {
    let app = spawn_app();
    let org = app.create_organization(&app.admin(), "Pallaqueras");
    let user = app.create_user(Role::Coordinator, vec![org], None);
    let response = app.api().post(
        "/api/v1/auth/token",
        &json!({"username": user.username, "password": PASSWORD}),
    );
    assert_eq!(response.status, 201);
    let body = response.json();
    assert!(body["token"].as_str().is_some_and(|t| t.len() >= 32));
    assert!(body["expires_at"].as_str().is_some_and(|t| t.ends_with('Z')));
    assert_eq!(body["user"]["username"], user.username.as_str());
    assert_eq!(body["user"]["role"], "coordinator");
    assert_eq!(body["user"]["organization_ids"], json!([org]));
}

#[test]
fn disabling_a_user_ends_her_tokens_and_sessions_at_once() {
    let app = spawn_app();
    let admin = app.admin();
    let (api, user) = app.login_as(Role::GenderStaff, vec![], None);
    let mut browser = app.browser();
    assert_eq!(browser.login(&user.username, PASSWORD).status, 303);
    assert_eq!(browser.get("/members").status, 200);
    assert_eq!(api.get("/api/v1/members").status, 200);

    let response = admin.patch(&format!("/api/v1/users/{}", user.id), &json!({"disabled": true}));
    assert_eq!(response.status, 200, "{}", response.body);
    assert_eq!(response.json()["disabled"], true);

    assert_eq!(api.get("/api/v1/members").status, 401);
    let page = browser.get("/members");
    assert_eq!((page.status, page.header("location")), (303, Some("/login")));
    let again = app.api().post(
        "/api/v1/auth/token",
        &json!({"username": user.username, "password": PASSWORD}),
    );
    assert_eq!(again.status, 401);
}

#[test]
fn five_failures_lock_a_username_but_not_other_users() {
    let app = spawn_app();
    let target = app.create_user(Role::Viewer, vec![], None);
    let other = app.create_user(Role::Viewer, vec![], None);
    for _ in 0..5 {
        let r = app.api().post(
            "/api/v1/auth/token",
            &json!({"username": target.username, "password": "wrong password"}),
        );
        assert_eq!(r.status, 401);
    }
    let locked = app.api().post(
        "/api/v1/auth/token",
        &json!({"username": target.username, "password": PASSWORD}),
    );
    assert_eq!(locked.status, 429, "{}", locked.body);
    assert!(locked.header("retry-after").is_some());
    let fine = app.api().post(
        "/api/v1/auth/token",
        &json!({"username": other.username, "password": PASSWORD}),
    );
    assert_eq!(fine.status, 201);
    // The lock is in the database, so the login page (another route, any process) sees it too.
    let mut browser = app.browser();
    assert_eq!(browser.login(&target.username, PASSWORD).status, 429);
}

#[test]
fn many_failures_from_one_address_lock_that_address() {
    let app = spawn_app();
    let user = app.create_user(Role::Viewer, vec![], None);
    for i in 0..30 {
        let r = app.api().post(
            "/api/v1/auth/token",
            &json!({"username": format!("guess{i}"), "password": "wrong password"}),
        );
        assert_eq!(r.status, 401);
    }
    let locked = app.api().post(
        "/api/v1/auth/token",
        &json!({"username": user.username, "password": PASSWORD}),
    );
    assert_eq!(locked.status, 429);
}

#[test]
fn login_starts_a_new_session_and_logout_ends_it() {
    let app = spawn_app();
    let user = app.create_user(Role::GenderStaff, vec![], None);
    let mut browser = app.browser();
    browser
        .cookies
        .insert("pallay_session".into(), "planted-by-an-attacker".into());
    let login = browser.login(&user.username, PASSWORD);
    assert_eq!((login.status, login.header("location")), (303, Some("/")));
    let cookie = login
        .headers
        .iter()
        .find(|(k, v)| k == "set-cookie" && v.starts_with("pallay_session="))
        .map(|(_, v)| v.clone());
    let cookie = cookie.expect("a session cookie");
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Lax"),
        "{cookie}"
    );
    let session = browser.cookies["pallay_session"].clone();
    assert_ne!(session, "planted-by-an-attacker");
    assert_eq!(browser.get("/members").status, 200);

    let logout = browser.submit("/members", "/logout", &[]);
    assert_eq!((logout.status, logout.header("location")), (303, Some("/login")));
    // The old cookie, replayed, no longer opens anything.
    browser.cookies.insert("pallay_session".into(), session);
    assert_eq!(browser.get("/members").status, 303);
}

#[test]
fn posts_without_the_right_csrf_token_are_refused_and_change_nothing() {
    let app = spawn_app();
    let admin = app.admin();
    let org = app.create_organization(&admin, "Divinas");
    let user = app.create_user(Role::Admin, vec![], None);
    let mut browser = app.browser();
    // Login itself needs the login form's token.
    let no_token = browser.post("/login", &[("username", &user.username), ("password", PASSWORD)]);
    assert_eq!(no_token.status, 403);
    assert_eq!(browser.login(&user.username, PASSWORD).status, 303);

    let before = app.count("members");
    let org = org.to_string();
    let fields = [
        ("first_name", "Rosa"),
        ("last_name", "Quispe"),
        ("sex", "female"),
        ("organization_ids", org.as_str()),
    ];
    assert_eq!(browser.post("/members", &fields).status, 403);
    let mut wrong = vec![("csrf_token", "0000")];
    wrong.extend_from_slice(&fields);
    assert_eq!(browser.post("/members", &wrong).status, 403);
    assert_eq!(app.count("members"), before);
    // With the page's token it works.
    assert_eq!(browser.submit("/members/new", "/members", &fields).status, 303);
    assert_eq!(app.count("members"), before + 1);
}

#[test]
fn an_old_weaker_hash_is_upgraded_at_login() {
    use argon2::password_hash::{rand_core::OsRng, PasswordHasher, SaltString};
    use diesel::prelude::*;
    use pallay::db::schema::users;
    let app = spawn_app();
    let user = app.create_user(Role::Viewer, vec![], None);
    let weak = argon2::Argon2::new(
        argon2::Algorithm::Argon2id,
        argon2::Version::V0x13,
        argon2::Params::new(4096, 1, 1, None).unwrap(),
    )
    .hash_password(PASSWORD.as_bytes(), &SaltString::generate(&mut OsRng))
    .unwrap()
    .to_string();
    let mut conn = app.db.get().unwrap();
    diesel::update(users::table.find(user.id))
        .set(users::password_hash.eq(&weak))
        .execute(&mut *conn)
        .unwrap();
    app.token_for(&user.username);
    let stored: String = users::table
        .find(user.id)
        .select(users::password_hash)
        .first(&mut *conn)
        .unwrap();
    assert!(stored.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"), "{stored}");
}

#[test]
fn every_response_carries_the_security_headers() {
    let app = spawn_app();
    for path in ["/login", "/api/v1/health", "/no-such-page", "/api/v1/members"] {
        let r = app.api().get(path);
        let csp = r.header("content-security-policy").unwrap_or_default();
        assert!(
            csp.contains("frame-ancestors 'none'") && !csp.contains("unsafe-inline"),
            "{path}: {csp}"
        );
        assert_eq!(r.header("x-content-type-options"), Some("nosniff"), "{path}");
        assert!(r.header("referrer-policy").is_some(), "{path}");
    }
}

#[test]
fn expired_tokens_and_sessions_open_nothing() {
    use diesel::prelude::*;
    use pallay::db::schema::{api_tokens, sessions};
    let app = spawn_app();
    let (api, user) = app.login_as(Role::GenderStaff, vec![], None);
    let mut browser = app.browser();
    browser.login(&user.username, PASSWORD);
    let past = chrono::Utc::now().naive_utc() - chrono::Duration::minutes(1);
    let mut conn = app.db.get().unwrap();
    diesel::update(api_tokens::table)
        .set(api_tokens::expires_at.eq(past))
        .execute(&mut *conn)
        .unwrap();
    diesel::update(sessions::table)
        .set(sessions::expires_at.eq(past))
        .execute(&mut *conn)
        .unwrap();
    assert_eq!(api.get("/api/v1/members").status, 401);
    assert_eq!(browser.get("/members").status, 303);
    let malformed = app.api().request("GET", "/api/v1/members", None);
    assert_eq!(malformed.status, 401);
    assert_eq!(malformed.header("www-authenticate"), Some("Bearer"));
}

#[test]
fn anyone_signed_in_changes_her_password_and_is_signed_out_everywhere() {
    let app = spawn_app();
    let user = app.create_user(Role::Member, vec![], None);
    let api = app.token_for(&user.username);
    let mut browser = app.browser();
    browser.login(&user.username, PASSWORD);
    let attempts = [
        (
            vec![
                ("current", "not it"),
                ("new", "una clave nueva"),
                ("confirm", "una clave nueva"),
            ],
            "actual no es correcta",
        ),
        (
            vec![
                ("current", PASSWORD),
                ("new", "una clave nueva"),
                ("confirm", "otra cosa"),
            ],
            "no coinciden",
        ),
        (
            vec![("current", PASSWORD), ("new", "password"), ("confirm", "password")],
            "demasiado común",
        ),
    ];
    for (fields, message) in attempts {
        let r = browser.submit("/password", "/password", &fields);
        assert_eq!(r.status, 422);
        assert!(r.body.contains(message), "{message}: {}", r.body);
    }
    let ok = browser.submit(
        "/password",
        "/password",
        &[
            ("current", PASSWORD),
            ("new", "una clave nueva"),
            ("confirm", "una clave nueva"),
        ],
    );
    assert_eq!((ok.status, ok.header("location")), (303, Some("/login")));
    assert_eq!(api.get("/api/v1/members").status, 401, "her tokens are revoked");
    let old = app.api().post(
        "/api/v1/auth/token",
        &json!({"username": user.username, "password": PASSWORD}),
    );
    assert_eq!(old.status, 401);
    let new = app.api().post(
        "/api/v1/auth/token",
        &json!({"username": user.username, "password": "una clave nueva"}),
    );
    assert_eq!(new.status, 201);
}
