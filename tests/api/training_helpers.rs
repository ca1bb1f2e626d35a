//! A training with invited organisations, members and a guest, for the trainings' tests.

use pallay::auth::policy::Role;
use serde_json::{json, Value};

use crate::fund_helpers::day;
use crate::helpers::{spawn_app, Api, TestApp};

/// Two associations, members of both sexes, and gender staff.
pub(crate) struct Workshop {
    pub(crate) app: TestApp,
    pub(crate) admin: Api,
    pub(crate) staff: Api,
    pub(crate) rinconada: i64,
    pub(crate) cecomip: i64,
    /// Women of La Rinconada.
    pub(crate) women: Vec<i64>,
    /// A woman of both organisations.
    pub(crate) both: i64,
    /// A man of CECOMIP.
    pub(crate) man: i64,
}

pub(crate) fn workshop() -> Workshop {
    let app = spawn_app();
    let admin = app.admin();
    let rinconada = app.create_organization(&admin, "Pallaqueras de La Rinconada");
    let cecomip = app.create_organization(&admin, "CECOMIP");
    let women = ["Rosa", "Nilda", "Julia"]
        .iter()
        .map(|name| {
            app.create_member(&admin, rinconada, json!({"first_name": name}))["id"]
                .as_i64()
                .unwrap()
        })
        .collect();
    let both = app.create_member(
        &admin,
        rinconada,
        json!({"first_name": "Lucía", "organization_ids": [rinconada, cecomip]}),
    )["id"]
        .as_i64()
        .unwrap();
    let man = app.create_member(&admin, cecomip, json!({"first_name": "Mario", "sex": "male"}))["id"]
        .as_i64()
        .unwrap();
    // They were registered long before the workshops of the tests (a training invites the members
    // registered by its day).
    let long_ago = format!("{} 12:00:00", day(-730));
    diesel::connection::SimpleConnection::batch_execute(
        &mut app.db.get().unwrap(),
        &format!("UPDATE members SET created_at = '{long_ago}'"),
    )
    .unwrap();
    let (staff, _) = app.login_as(Role::GenderStaff, vec![], None);
    Workshop {
        app,
        admin,
        staff,
        rinconada,
        cecomip,
        women,
        both,
        man,
    }
}

impl Workshop {
    pub(crate) fn training(&self, topic: &str, date: String, orgs: &[i64]) -> i64 {
        let r = self.staff.post(
            "/api/v1/trainings",
            &json!({"title": format!("Taller de {topic}"), "topic": topic, "date": date, "place": "Ananea",
                    "facilitator": "ARM", "organization_ids": orgs}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["id"].as_i64().unwrap()
    }

    pub(crate) fn register(&self, training: i64, entries: Value) -> crate::helpers::Response {
        self.staff.request(
            "PUT",
            &format!("/api/v1/trainings/{training}/attendance"),
            Some(&json!({ "entries": entries }).to_string()),
        )
    }
}

/// A quarter built by the test, counted by hand.
pub(crate) fn quarter(w: &Workshop) -> (i64, i64, i64) {
    // Training 1 (first aid, La Rinconada): Rosa and Nilda present, Julia absent, Lucía excused.
    let t1 = w.training("first_aid", day(-20), &[w.rinconada]);
    let r = w.register(
        t1,
        json!([
            {"member_id": w.women[0], "status": "present"},
            {"member_id": w.women[1], "status": "present"},
            {"member_id": w.women[2], "status": "absent"},
            {"member_id": w.both, "status": "excused"},
        ]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Training 2 (safety at work, both): Rosa again, Mario, a guest man and a guest with no sex given.
    let t2 = w.training("safety_at_work", day(-10), &[w.rinconada, w.cecomip]);
    let r = w.register(
        t2,
        json!([
            {"member_id": w.women[0], "status": "present"},
            {"member_id": w.man, "status": "present"},
            {"name": "Juan Mamani", "sex": "male", "organization_id": w.cecomip, "status": "present"},
            {"name": "Visitante", "status": "present"},
        ]),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    // Outside the period.
    let t3 = w.training("first_aid", day(-200), &[w.rinconada]);
    assert_eq!(
        w.register(t3, json!([{"member_id": w.women[2], "status": "present"}]))
            .status,
        200
    );
    (t1, t2, t3)
}
