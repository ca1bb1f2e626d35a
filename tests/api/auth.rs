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

/// Five failed logins for a username, from one address (or, behind a proxy, as forwarded).
fn fail_five_times(app: &crate::helpers::TestApp, username: &str, forwarded_for: &str) {
    for _ in 0..5 {
        let r = login_from(app, username, "wrong password", forwarded_for);
        assert_eq!(r.status, 401, "{}", r.body);
    }
}

fn login_from(
    app: &crate::helpers::TestApp,
    username: &str,
    password: &str,
    forwarded_for: &str,
) -> crate::helpers::Response {
    let body = json!({"username": username, "password": password}).to_string();
    app.api().request_with_headers(
        "POST",
        "/api/v1/auth/token",
        Some(&body),
        &[("X-Forwarded-For", forwarded_for)],
    )
}

#[test]
fn a_lock_ends_when_its_window_has_passed() {
    let app = spawn_app();
    let user = app.create_user(Role::Viewer, vec![], None);
    fail_five_times(&app, &user.username, "203.0.113.7");
    assert_eq!(login_from(&app, &user.username, PASSWORD, "203.0.113.7").status, 429);
    // Fourteen minutes later: still locked. Sixteen: the window has passed.
    let age = |minutes: i64| {
        use diesel::prelude::*;
        use pallay::db::schema::login_attempts;
        let mut conn = app.db.get().unwrap();
        diesel::update(login_attempts::table)
            .set(login_attempts::at.eq(pallay::clock::now() - chrono::Duration::minutes(minutes)))
            .execute(&mut *conn)
            .unwrap();
    };
    age(14);
    assert_eq!(login_from(&app, &user.username, PASSWORD, "203.0.113.7").status, 429);
    age(pallay::auth::login::WINDOW_MINUTES + 1);
    assert_eq!(login_from(&app, &user.username, PASSWORD, "203.0.113.7").status, 201);
}

#[test]
fn a_forwarded_address_is_believed_only_behind_a_proxy() {
    // Not behind a proxy: X-Forwarded-For is anyone's to write, so thirty failures "from" thirty
    // addresses are thirty from this one, and lock it.
    let direct = spawn_app();
    let user = direct.create_user(Role::Viewer, vec![], None);
    for i in 0..pallay::auth::login::MAX_FAILURES_PER_ADDRESS {
        let r = login_from(
            &direct,
            &format!("guess{i}"),
            "wrong password",
            &format!("198.51.100.{i}"),
        );
        assert_eq!(r.status, 401);
    }
    assert_eq!(login_from(&direct, &user.username, PASSWORD, "192.0.2.1").status, 429);

    // Behind a proxy, the address the proxy appended (the rightmost) is the client's: what the
    // client wrote to its left changes nothing. One address locked, another still signs in.
    let proxied = crate::helpers::spawn_app_with(|c| c.behind_proxy = true);
    let user = proxied.create_user(Role::Viewer, vec![], None);
    for i in 0..pallay::auth::login::MAX_FAILURES_PER_ADDRESS {
        let spoofed = format!("10.9.8.{i}, 198.51.100.1");
        let r = login_from(&proxied, &format!("guess{i}"), "wrong password", &spoofed);
        assert_eq!(r.status, 401);
    }
    let status = |forwarded: &str| login_from(&proxied, &user.username, PASSWORD, forwarded).status;
    assert_eq!(status("198.51.100.1"), 429);
    assert_eq!(status("10.0.0.1, 198.51.100.1"), 429);
    assert_eq!(status("198.51.100.1, 192.0.2.1"), 201);
}

#[test]
fn a_csrf_token_from_another_session_opens_nothing() {
    let app = spawn_app();
    let admin = app.admin();
    let org = app.create_organization(&admin, "Divinas").to_string();
    let (one, two) = (
        app.create_user(Role::Admin, vec![], None),
        app.create_user(Role::Admin, vec![], None),
    );
    let (mut mine, mut theirs) = (app.browser(), app.browser());
    assert_eq!(mine.login(&one.username, PASSWORD).status, 303);
    assert_eq!(theirs.login(&two.username, PASSWORD).status, 303);
    let their_token = crate::browser::csrf_token(&theirs.get("/members/new").body).unwrap();
    let my_token = crate::browser::csrf_token(&mine.get("/members/new").body).unwrap();
    assert_ne!(their_token, my_token);
    let before = app.count("members");
    let fields = |token: &str| {
        vec![
            ("csrf_token", token.to_string()),
            ("first_name", "Rosa".to_string()),
            ("last_name", "Quispe".to_string()),
            ("sex", "female".to_string()),
            ("organization_ids", org.clone()),
        ]
    };
    let post = |browser: &mut crate::browser::Browser, token: &str| {
        let f = fields(token);
        let pairs: Vec<(&str, &str)> = f.iter().map(|(k, v)| (*k, v.as_str())).collect();
        browser.post("/members", &pairs).status
    };
    assert_eq!(post(&mut mine, &their_token), 403);
    assert_eq!(app.count("members"), before);
    assert_eq!(post(&mut mine, &my_token), 303);
    assert_eq!(app.count("members"), before + 1);
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
        assert_eq!(r.header("cache-control"), Some("no-store"), "{path}");
    }
    // What holds personal data is never cached: a member's record, her export, a spreadsheet.
    let admin = app.admin();
    let org = app.create_organization(&admin, "Divinas");
    let member = app.create_member(&admin, org, json!({"dni": "40123456"}))["id"]
        .as_i64()
        .unwrap();
    for path in [
        format!("/api/v1/members/{member}"),
        format!("/api/v1/members/{member}/export"),
    ] {
        assert_eq!(admin.get(&path).header("cache-control"), Some("no-store"), "{path}");
    }
    let user = app.create_user(Role::Admin, vec![], None);
    let mut browser = app.browser();
    browser.login(&user.username, PASSWORD);
    for path in [
        format!("/members/{member}"),
        format!("/members/{member}/export.json"),
        "/reports/donor.xlsx".into(),
    ] {
        let r = browser.get(&path);
        assert_eq!((r.status, r.header("cache-control")), (200, Some("no-store")), "{path}");
    }
    // The style sheet, which holds nothing of anyone, is cached for a day.
    assert_eq!(
        app.api().get("/static/style.css").header("cache-control"),
        Some("public, max-age=86400")
    );
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

#[test]
fn every_api_error_is_problem_json_even_a_body_too_large() {
    let app = spawn_app();
    let admin = app.admin();
    let huge = format!("{{\"first_name\": \"{}\"}}", "a".repeat(300 * 1024));
    let r = admin.post_raw("/api/v1/members", &huge);
    assert_eq!(r.status, 413, "{}", &r.body[..r.body.len().min(200)]);
    assert_eq!(r.header("content-type"), Some("application/problem+json"));
    assert_eq!(r.json()["status"], 413);
    assert_eq!(r.header("cache-control"), Some("no-store"));
    for (method, path) in [("GET", "/api/v1/nothing-here"), ("DELETE", "/api/v1/members")] {
        let r = admin.request(method, path, None);
        assert!(r.status >= 400, "{method} {path}");
        assert_eq!(
            r.header("content-type"),
            Some("application/problem+json"),
            "{method} {path}"
        );
    }
}

#[test]
fn a_stranger_cannot_lock_the_real_person_out() {
    let app = crate::helpers::spawn_app_with(|c| c.behind_proxy = true);
    let admin = app.create_user(Role::Admin, vec![], None);
    fail_five_times(&app, &admin.username, "203.0.113.66");
    assert_eq!(
        login_from(&app, &admin.username, PASSWORD, "203.0.113.66").status,
        429,
        "the stranger is locked"
    );
    assert_eq!(
        login_from(&app, &admin.username, PASSWORD, "192.0.2.10").status,
        201,
        "she is not"
    );
}
