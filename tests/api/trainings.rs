//! Trainings, registers and the attendance report, over real HTTP.

use serde_json::{json, Value};

use crate::fund_helpers::day;
use crate::training_helpers::workshop;

#[test]
fn a_register_round_trips_and_saving_twice_gives_the_same_register() {
    let w = workshop();
    let t = w.training("first_aid", day(-3), &[w.rinconada, w.cecomip]);
    let entries = json!([
        {"member_id": w.women[0], "status": "present"},
        {"member_id": w.women[1], "status": "absent"},
        {"member_id": w.both, "organization_id": w.cecomip, "status": "excused"},
        {"member_id": w.man, "status": "present"},
        {"name": "Juan Mamani", "sex": "male", "organization_id": w.cecomip, "status": "present"},
        {"name": "Vecina de Ananea", "status": "present"},
    ]);
    let first = w.register(t, entries.clone());
    assert_eq!(first.status, 200, "{}", first.body);
    let first = first.json();
    assert_eq!(
        (
            first["present"].as_i64(),
            first["absent"].as_i64(),
            first["excused"].as_i64()
        ),
        (Some(4), Some(1), Some(1))
    );
    let guest = first["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["name"] == "Vecina de Ananea")
        .unwrap();
    assert_eq!(
        guest["sex"], "undisclosed",
        "a sex not given is recorded as undisclosed, never guessed"
    );
    assert_eq!(guest["organization_id"], Value::Null);
    let lucia = first["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["member_id"] == w.both)
        .unwrap();
    assert_eq!(
        lucia["organization_id"], w.cecomip,
        "counted under the organisation she came for"
    );
    let mario = first["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["member_id"] == w.man)
        .unwrap();
    assert_eq!(mario["sex"], "male", "a member's sex is read from her or his record");

    let second = w.register(t, entries);
    assert_eq!(second.status, 200);
    assert_eq!(second.json(), first, "same body, same register");
    assert_eq!(w.app.count("attendances"), 6);
    let read = w.staff.get(&format!("/api/v1/trainings/{t}/attendance")).json();
    assert_eq!(read, first);

    // Saving a shorter register replaces the old one.
    let third = w.register(t, json!([{"member_id": w.women[2], "status": "present"}]));
    assert_eq!(third.status, 200);
    assert_eq!(w.app.count("attendances"), 1);
    let training = w.staff.get(&format!("/api/v1/trainings/{t}")).json();
    assert_eq!(training["attendance"]["present"], 1);
    assert_eq!(training["status"], "scheduled");

    let audit = w
        .admin
        .get(&format!("/api/v1/audit?entity=training&entity_id={t}"))
        .json();
    assert_eq!(audit["total"], 4, "created and three registers saved: {audit}");
}

#[test]
fn bad_registers_and_bad_trainings_are_refused_field_by_field_and_change_nothing() {
    let w = workshop();
    let t = w.training("empowerment", day(-1), &[w.rinconada]);
    assert_eq!(
        w.register(t, json!([{"member_id": w.women[0], "status": "present"}]))
            .status,
        200
    );
    let stranger = w.man; // CECOMIP only: not invited to a training of La Rinconada.
    let bad = w.register(
        t,
        json!([
            {"member_id": 999_999, "status": "present"},
            {"member_id": stranger, "status": "present"},
            {"member_id": w.women[1], "status": "late"},
            {"member_id": w.women[0], "status": "present"},
            {"member_id": w.women[0], "status": "absent"},
            {"member_id": w.both, "organization_id": w.cecomip, "status": "present"},
            {"name": "Juan", "organization_id": 999_999, "status": "present"},
        ]),
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(
        bad.error_fields(),
        vec!["entries[2].status"],
        "syntax first: {}",
        bad.body
    );
    let bad = w.register(
        t,
        json!([
            {"member_id": 999_999, "status": "present"},
            {"member_id": stranger, "status": "present"},
            {"member_id": w.women[0], "status": "present"},
            {"member_id": w.women[0], "status": "absent"},
            {"member_id": w.both, "organization_id": w.cecomip, "status": "present"},
            {"name": "Juan", "organization_id": 999_999, "status": "present"},
        ]),
    );
    assert_eq!(bad.status, 422, "{}", bad.body);
    assert_eq!(
        bad.error_fields(),
        vec![
            "entries[0].member_id",
            "entries[1].member_id",
            "entries[3].member_id",
            "entries[4].organization_id",
            "entries[5].organization_id",
        ]
    );
    assert!(
        bad.body.contains("belongs to none of the invited organisations"),
        "{}",
        bad.body
    );
    let register = w.staff.get(&format!("/api/v1/trainings/{t}/attendance")).json();
    assert_eq!(register["entries"].as_array().unwrap().len(), 1, "nothing changed");
    assert_eq!(register["present"], 1);

    for (body, field) in [
        (json!({"entries": "all"}), "entries"),
        (
            json!({"entries": [{"member_id": w.women[0], "sex": "female", "status": "present"}]}),
            "entries[0].sex",
        ),
        (json!({"entries": [{"status": "present"}]}), "entries[0].member_id"),
        (json!({}), "entries"),
    ] {
        let r = w.staff.request(
            "PUT",
            &format!("/api/v1/trainings/{t}/attendance"),
            Some(&body.to_string()),
        );
        assert_eq!(r.status, 422, "{body}");
        assert_eq!(r.error_fields(), vec![field], "{body}");
    }

    // Nobody is present at a training that has not happened yet.
    let ahead = w.training("first_aid", day(10), &[w.rinconada]);
    let early = w.register(ahead, json!([{"member_id": w.women[0], "status": "present"}]));
    assert_eq!(early.error_fields(), vec!["entries[0].status"]);
    assert_eq!(
        w.register(ahead, json!([{"member_id": w.women[0], "status": "absent"}]))
            .status,
        200
    );

    let trainings = w.app.count("trainings");
    for (body, field) in [
        (
            json!({"title": "T", "topic": "first_aid", "date": "2026-13-01", "organization_ids": [w.rinconada]}),
            "date",
        ),
        (
            json!({"title": "T", "topic": "knitting", "date": "2026-10-01", "organization_ids": [w.rinconada]}),
            "topic",
        ),
        (
            json!({"title": "T", "topic": "first_aid", "date": "2026-10-01", "organization_ids": []}),
            "organization_ids",
        ),
        (
            json!({"title": "T", "topic": "first_aid", "date": "2026-10-01", "organization_ids": [999_999]}),
            "organization_ids",
        ),
        (
            json!({"topic": "first_aid", "date": "2026-10-01", "organization_ids": [w.rinconada]}),
            "title",
        ),
        (
            json!({"title": "T", "topic": "first_aid", "date": "2026-10-01", "organization_ids": [w.rinconada], "room": 1}),
            "room",
        ),
    ] {
        let r = w.staff.post("/api/v1/trainings", &body);
        assert_eq!(r.status, 422, "{body}: {}", r.body);
        assert_eq!(r.error_fields(), vec![field], "{body}");
    }
    assert_eq!(w.app.count("trainings"), trainings);

    // Dropping an organisation whose people are on the register is refused.
    let r = w.staff.patch(
        &format!("/api/v1/trainings/{t}"),
        &json!({"organization_ids": [w.cecomip]}),
    );
    assert_eq!(r.error_fields(), vec!["organization_ids"]);
    let r = w.staff.patch(
        &format!("/api/v1/trainings/{t}"),
        &json!({"place": "Putina", "facilitator": null}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    assert_eq!(
        (r.json()["place"].as_str(), r.json()["facilitator"].as_str()),
        (Some("Putina"), None)
    );
}

#[test]
fn a_cancelled_training_takes_no_register_and_leaves_the_reports() {
    let w = workshop();
    let t = w.training("food_safety", day(-2), &[w.rinconada]);
    assert_eq!(
        w.register(t, json!([{"member_id": w.women[0], "status": "present"}]))
            .status,
        200
    );
    let q = format!("/api/v1/reports/attendance?from={}&to={}", day(-30), day(0));
    assert_eq!(w.staff.get(&q).json()["trainings"], 1);
    let missing = w.staff.post(&format!("/api/v1/trainings/{t}/cancel"), &json!({}));
    assert_eq!(missing.error_fields(), vec!["reason"]);
    let cancelled = w
        .staff
        .post(&format!("/api/v1/trainings/{t}/cancel"), &json!({"reason": "lluvia"}));
    assert_eq!(cancelled.status, 200, "{}", cancelled.body);
    assert_eq!(cancelled.json()["status"], "cancelled");
    assert_eq!(
        w.staff
            .post(&format!("/api/v1/trainings/{t}/cancel"), &json!({"reason": "otra vez"}))
            .status,
        409
    );
    assert_eq!(w.register(t, json!([])).status, 409);
    assert_eq!(
        w.staff
            .patch(&format!("/api/v1/trainings/{t}"), &json!({"place": "X"}))
            .status,
        409
    );
    assert_eq!(w.staff.get(&q).json()["trainings"], 0);
    let history = format!("/api/v1/members/{}/trainings", w.women[0]);
    assert_eq!(
        w.staff.get(&history).json()["items"],
        json!([]),
        "a workshop that did not happen is not in her history"
    );
}

#[test]
fn her_history_lists_the_newest_training_first_and_on_one_day_the_one_entered_later_first() {
    let w = workshop();
    let first_aid = w.training("first_aid", day(-5), &[w.rinconada]);
    let older = w.training("food_safety", day(-9), &[w.rinconada]);
    let same_day = w.training("safety_at_work", day(-5), &[w.rinconada]);
    for t in [first_aid, older, same_day] {
        let saved = w.register(t, json!([{"member_id": w.women[0], "status": "present"}]));
        assert_eq!(saved.status, 200, "{}", saved.body);
    }
    let history = w.staff.get(&format!("/api/v1/members/{}/trainings", w.women[0])).json();
    let order: Vec<i64> = history["items"]
        .as_array()
        .expect("items")
        .iter()
        .map(|line| line["training_id"].as_i64().expect("training_id"))
        .collect();
    assert_eq!(order, vec![same_day, first_aid, older]);
}

#[test]
fn admins_add_topics_and_only_known_topics_are_used() {
    let w = workshop();
    let topics = w.staff.get("/api/v1/topics").json();
    let keys: Vec<&str> = topics["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["key"].as_str().unwrap())
        .collect();
    for shipped in [
        "first_aid",
        "food_safety",
        "empowerment",
        "jewellery_design",
        "safety_at_work",
        "mercury_free_processing",
    ] {
        assert!(keys.contains(&shipped), "{shipped}");
    }
    let bad = w
        .admin
        .post("/api/v1/topics", &json!({"key": "Tejido a Mano", "name_es": "Tejido"}));
    assert_eq!(bad.error_fields(), vec!["key"]);
    let made = w.admin.post(
        "/api/v1/topics",
        &json!({"key": "weaving", "name_es": "Tejido a telar"}),
    );
    assert_eq!(made.status, 201, "{}", made.body);
    assert_eq!(
        made.json()["name_en"],
        "Tejido a telar",
        "English falls back to Spanish"
    );
    assert_eq!(
        w.admin
            .post("/api/v1/topics", &json!({"key": "weaving", "name_es": "Otra"}))
            .error_fields(),
        vec!["key"]
    );
    assert_eq!(
        w.staff
            .post("/api/v1/topics", &json!({"key": "x", "name_es": "X"}))
            .status,
        403
    );
    w.training("weaving", day(-1), &[w.rinconada]);
}
