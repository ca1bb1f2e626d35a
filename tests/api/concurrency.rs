//! Several clients writing at once: every write succeeds or is refused cleanly, none is lost
//! (on SQLite this is what BEGIN IMMEDIATE is for).

use std::sync::Arc;

use serde_json::json;

use crate::helpers::spawn_app;

#[test]
fn parallel_writers_all_succeed_and_nothing_is_lost() {
    let app = Arc::new(spawn_app());
    let admin = app.admin();
    let org = app.create_organization(&admin, "Pallaqueras");
    let token = admin.token.clone();
    let before = app.count("members");
    let threads: Vec<_> = (0..6)
        .map(|t| {
            let app = Arc::clone(&app);
            let token = token.clone();
            std::thread::spawn(move || {
                let mut api = app.api();
                api.token = token;
                (0..15)
                    .map(|i| {
                        let body = json!({"first_name": format!("T{t}"), "last_name": format!("N{i}"), "sex": "female",
                                          "organization_ids": [org], "dni": format!("{:08}", 10_000_000 + t * 100 + i)});
                        let created = api.post("/api/v1/members", &body);
                        // Each write is read straight back and changed, mixing reads and writes.
                        let id = created.json()["id"].as_i64().unwrap_or_default();
                        let patched = api.patch(&format!("/api/v1/members/{id}"), &json!({"language": "qu"}));
                        (created.status, patched.status)
                    })
                    .collect::<Vec<_>>()
            })
        })
        .collect();
    for thread in threads {
        for statuses in thread.join().unwrap() {
            assert_eq!(statuses, (201, 200));
        }
    }
    assert_eq!(app.count("members"), before + 90);
}

#[test]
fn the_same_dni_sent_at_once_registers_one_person() {
    let app = Arc::new(spawn_app());
    let admin = app.admin();
    let org = app.create_organization(&admin, "CECOMIP");
    let token = admin.token.clone();
    let threads: Vec<_> = (0..8)
        .map(|_| {
            let (app, token) = (Arc::clone(&app), token.clone());
            std::thread::spawn(move || {
                let mut api = app.api();
                api.token = token;
                let body = json!({"first_name": "Rosa", "last_name": "Ccama", "sex": "female", "organization_ids": [org], "dni": "77778888"});
                api.post("/api/v1/members", &body).status
            })
        })
        .collect();
    let mut statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    statuses.sort();
    assert_eq!(statuses, vec![201, 422, 422, 422, 422, 422, 422, 422]);
}
