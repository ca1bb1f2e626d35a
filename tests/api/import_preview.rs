//! A long preview keeps nobody waiting: it checks a copy of the database (SQLite) or a transaction
//! that is rolled back (PostgreSQL), never the write lock everyone else needs.

use std::time::Instant;

use pallay::auth::policy::Role;
use serde_json::json;

use crate::helpers::{spawn_app, PASSWORD};

#[test]
fn while_a_long_list_is_previewed_others_sign_in_and_save() {
    let app = spawn_app();
    let admin = app.admin();
    let org = app.create_organization(&admin, "Pallaqueras de La Rinconada");
    let rosa = app.create_member(&admin, org, json!({"first_name": "Rosa"}))["id"]
        .as_i64()
        .unwrap();
    let importer = app.create_user(Role::Admin, vec![], None);
    let other = app.create_user(Role::Admin, vec![], None);
    let mut file = String::from("nombres,apellidos,dni,sexo,organizacion\n");
    for i in 0..8_000 {
        file.push_str(&format!(
            "Ana,Quispe {i},{},mujer,Pallaqueras de La Rinconada\n",
            50_000_000 + i
        ));
    }
    let members_before = app.count("members");

    let address = app.address.clone();
    let preview = std::thread::spawn(move || {
        let mut browser = crate::browser::Browser {
            base: address,
            cookies: Default::default(),
        };
        browser.login(&importer.username, PASSWORD);
        let started = Instant::now();
        let page = browser.upload(
            "/import",
            "/import",
            &[("kind", "members")],
            ("lista.csv", file.as_bytes()),
        );
        (page, started, Instant::now())
    });
    // Once the preview has surely begun, someone else signs in for a token and edits a member.
    std::thread::sleep(std::time::Duration::from_millis(500));
    let token = app.api().post(
        "/api/v1/auth/token",
        &json!({"username": other.username, "password": PASSWORD}),
    );
    let edited = admin.request(
        "PATCH",
        &format!("/api/v1/members/{rosa}"),
        Some(&json!({"phone": "+51987654321"}).to_string()),
    );
    let others_done = Instant::now();
    let (page, started, preview_done) = preview.join().unwrap();

    assert_eq!(page.status, 200, "{}", &page.body[..page.body.len().min(400)]);
    assert!(page.body.contains("8000"), "the preview counted every row");
    assert!(
        preview_done.duration_since(started).as_millis() > 1_000,
        "the preview must last long enough to be overtaken for this test to mean anything"
    );
    assert_eq!(token.status, 201, "{}", token.body);
    assert_eq!(edited.status, 200, "{}", edited.body);
    assert!(
        others_done < preview_done,
        "the token and the edit were answered while the preview was still running"
    );
    assert_eq!(app.count("members"), members_before, "a preview writes nothing");
}

#[test]
fn a_long_list_shows_every_row_with_a_problem_and_a_screenful_of_the_rest() {
    let app = spawn_app();
    let admin = app.admin();
    app.create_organization(&admin, "Pallaqueras de La Rinconada");
    let importer = app.create_user(Role::Admin, vec![], None);
    let mut file = String::from("nombres,apellidos,dni,sexo,organizacion\n");
    for i in 0..70 {
        // Row 2 is the first after the header; the 66th woman (row 67) has a sex nobody can read.
        let sex = if i == 65 { "quizás" } else { "mujer" };
        file.push_str(&format!(
            "Ana,Quispe{i:03},{},{sex},Pallaqueras de La Rinconada\n",
            60_000_000 + i
        ));
    }
    let mut browser = crate::browser::Browser {
        base: app.address.clone(),
        cookies: Default::default(),
    };
    browser.login(&importer.username, PASSWORD);
    let page = browser.upload(
        "/import",
        "/import",
        &[("kind", "members")],
        ("lista.csv", file.as_bytes()),
    );

    assert_eq!(page.status, 422, "a row has a problem");
    let listed = |n: usize| page.body.contains(&format!("Quispe{n:03}"));
    assert!(
        listed(0) && listed(49),
        "the first fifty rows without problems are listed"
    );
    assert!(!listed(50) && !listed(64) && !listed(69), "the rest of them are not");
    assert!(listed(65), "the row with a problem is listed, wherever it is");
    assert!(
        page.body.contains("19 filas más sin problemas"),
        "the page says how many it leaves out"
    );
}
