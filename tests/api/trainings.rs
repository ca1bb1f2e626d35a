//! Trainings, registers and the attendance report, over real HTTP.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use pallay::auth::policy::Role;
use serde_json::{json, Value};

use crate::fund_helpers::day;
use crate::helpers::{spawn_app, Api, TestApp, PASSWORD};

/// Two associations, members of both sexes, and gender staff.
struct Workshop {
    app: TestApp,
    admin: Api,
    staff: Api,
    rinconada: i64,
    cecomip: i64,
    /// Women of La Rinconada.
    women: Vec<i64>,
    /// A woman of both organisations.
    both: i64,
    /// A man of CECOMIP.
    man: i64,
}

fn workshop() -> Workshop {
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
    fn training(&self, topic: &str, date: String, orgs: &[i64]) -> i64 {
        let r = self.staff.post(
            "/api/v1/trainings",
            &json!({"title": format!("Taller de {topic}"), "topic": topic, "date": date, "place": "Ananea",
                    "facilitator": "ARM", "organization_ids": orgs}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["id"].as_i64().unwrap()
    }

    fn register(&self, training: i64, entries: Value) -> crate::helpers::Response {
        self.staff.request(
            "PUT",
            &format!("/api/v1/trainings/{training}/attendance"),
            Some(&json!({ "entries": entries }).to_string()),
        )
    }
}

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

/// A quarter built by the test, counted by hand.
fn quarter(w: &Workshop) -> (i64, i64, i64) {
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

#[test]
fn the_report_counts_people_and_attendances_by_sex_topic_and_organisation() {
    let w = workshop();
    quarter(&w);
    let q = format!("/api/v1/reports/attendance?from={}&to={}", day(-60), day(0));
    let r = w.staff.get(&q);
    assert_eq!(r.status, 200, "{}", r.body);
    let report = r.json();
    assert_eq!(report["trainings"], 2);
    assert_eq!(
        report["participants"],
        json!({"female": 2, "male": 2, "other": 0, "undisclosed": 1, "total": 5}),
        "Rosa and Nilda; Mario and Juan; the visitor"
    );
    assert_eq!(report["attendances"]["female"], 3, "Rosa twice, Nilda once");
    assert_eq!(report["attendances"]["total"], 6);
    // Invited: the 4 women of La Rinconada and Mario; came: Rosa, Nilda, Mario.
    assert_eq!(
        (report["invited_members"].as_i64(), report["attending_members"].as_i64()),
        (Some(5), Some(3))
    );
    assert_eq!(report["participation_rate"], "0.6000");
    let absent: Vec<&str> = report["members_without_attendance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(absent, vec!["Quispe Mamani, Julia", "Quispe Mamani, Lucía"]);

    let by_topic = report["by_topic"].as_array().unwrap();
    let first_aid = by_topic.iter().find(|l| l["topic"] == "first_aid").unwrap();
    assert_eq!(
        (
            first_aid["trainings"].as_i64(),
            first_aid["attendances"]["total"].as_i64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(
        first_aid["participation_rate"], "0.5000",
        "2 of the 4 invited women came"
    );
    let by_org = report["by_organization"].as_array().unwrap();
    let cecomip = by_org.iter().find(|l| l["organization_id"] == w.cecomip).unwrap();
    assert_eq!(
        cecomip["attendances"],
        json!({"female": 0, "male": 2, "other": 0, "undisclosed": 0, "total": 2})
    );
    let sum: i64 = by_org.iter().map(|l| l["attendances"]["total"].as_i64().unwrap()).sum();
    assert_eq!(sum, 6, "every attendance under exactly one organisation (or none)");

    // Filters: one organisation, one topic.
    let only = w.staff.get(&format!("{q}&organization_id={}", w.cecomip)).json();
    assert_eq!(
        (only["trainings"].as_i64(), only["attendances"]["total"].as_i64()),
        (Some(1), Some(2))
    );
    let topic = w.staff.get(&format!("{q}&topic=safety_at_work")).json();
    assert_eq!(topic["attendances"]["total"], 4);

    // A coordinator counts her organisation only; a viewer sees counts and no names.
    let (coordinator, _) = w.app.login_as(Role::Coordinator, vec![w.rinconada], None);
    let hers = coordinator.get(&q).json();
    assert_eq!(hers["attendances"]["total"], 3, "{hers}");
    assert_eq!(
        coordinator.get(&format!("{q}&organization_id={}", w.cecomip)).status,
        404
    );
    let (viewer, _) = w.app.login_as(Role::Viewer, vec![], None);
    let seen = viewer.get(&q);
    assert_eq!(seen.status, 200);
    assert_eq!(seen.json()["members_without_attendance_count"], 2);
    assert!(seen.json().get("members_without_attendance").is_none());
    assert!(!seen.body.contains("Quispe"), "no names for viewers: {}", seen.body);

    for (query, field) in [
        ("from=2026-02-30", "from"),
        (&format!("from={}&to={}", day(0), day(-5)) as &str, "to"),
        ("topic=knitting", "topic"),
        ("organization_id=abc", "organization_id"),
    ] {
        let r = w.staff.get(&format!("/api/v1/reports/attendance?{query}"));
        assert_eq!(r.status, 422, "{query}");
        assert_eq!(r.error_fields(), vec![field], "{query}");
    }
}

#[test]
fn the_report_downloads_as_csv_and_as_a_real_spreadsheet_even_when_empty() {
    let w = workshop();
    quarter(&w);
    let staff = w.app.create_user(Role::GenderStaff, vec![], None);
    let mut browser = w.app.browser();
    browser.login(&staff.username, PASSWORD);
    let q = format!("from={}&to={}", day(-60), day(0));

    let page = browser.get(&format!("/reports/attendance?{q}"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Quispe Mamani, Julia"));

    let (status, csv_bytes) = browser.download(&format!("/reports/attendance.csv?{q}"));
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(csv_bytes.as_slice());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(headers.len(), 16);
    assert_eq!(headers[3], "Participantes mujeres");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(&rows[0][0], "Total");
    assert_eq!(&rows[0][2], "2", "trainings");
    assert_eq!(&rows[0][3], "2", "women who came");
    assert_eq!(&rows[0][12], "6", "attendances");
    assert_eq!(&rows[0][15], "0.6000");
    assert!(rows.iter().any(|r| &r[1] == "Primeros auxilios"));
    assert!(rows.iter().any(|r| &r[1] == "CECOMIP"));

    let (status, xlsx_bytes) = browser.download(&format!("/reports/attendance.xlsx?{q}&topic=first_aid"));
    assert_eq!(status, 200);
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx_bytes)).expect("a real XLSX");
    let sheet = workbook.worksheet_range("Asistencia").expect("the sheet");
    assert_eq!(sheet.get_value((1, 0)), Some(&Data::String("Periodo".into())));
    assert_eq!(
        sheet.get_value((1, 1)),
        Some(&Data::String(format!("{} – {}", day(-60), day(0))))
    );
    assert_eq!(
        sheet.get_value((3, 1)),
        Some(&Data::String("Primeros auxilios".into())),
        "the topic filter is written"
    );
    assert_eq!(
        sheet.get_value((6, 3)),
        Some(&Data::String("Participantes mujeres".into()))
    );
    assert_eq!(sheet.get_value((7, 3)), Some(&Data::Float(2.0)));
    assert_eq!(sheet.get_value((7, 12)), Some(&Data::Float(2.0)));
    let absent = workbook.worksheet_range("Sin asistencia").expect("second sheet");
    assert_eq!(absent.get_value((0, 1)), Some(&Data::Float(2.0)));
    assert_eq!(
        absent.get_value((2, 0)),
        Some(&Data::String("Quispe Mamani, Julia".into()))
    );

    // An empty period: still valid files with headers and a total line of zeros.
    let empty = "from=2020-01-01&to=2020-03-31";
    let (status, csv_bytes) = browser.download(&format!("/reports/attendance.csv?{empty}"));
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(csv_bytes.as_slice());
    assert_eq!(reader.headers().unwrap().len(), 16);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][2], "0");
    let (status, xlsx_bytes) = browser.download(&format!("/reports/attendance.xlsx?{empty}"));
    assert_eq!(status, 200);
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx_bytes)).expect("a real XLSX");
    assert!(workbook.worksheet_range("Asistencia").is_ok());

    // A viewer's workbook has the count but no names.
    let viewer = w.app.create_user(Role::Viewer, vec![], None);
    let mut donor = w.app.browser();
    donor.login(&viewer.username, PASSWORD);
    let (status, xlsx_bytes) = donor.download(&format!("/reports/attendance.xlsx?{q}"));
    assert_eq!(status, 200);
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx_bytes)).unwrap();
    let absent = workbook.worksheet_range("Sin asistencia").unwrap();
    assert_eq!(absent.get_value((0, 1)), Some(&Data::Float(2.0)));
    assert_eq!(absent.get_value((2, 0)), None, "no names for a viewer");
    assert_eq!(donor.download(&format!("/reports/attendance.pdf?{q}")).0, 404);
}

#[test]
fn staff_take_attendance_on_the_register_form_and_a_member_sees_her_history() {
    let w = workshop();
    let staff = w.app.create_user(Role::GenderStaff, vec![], None);
    let mut browser = w.app.browser();
    browser.login(&staff.username, PASSWORD);
    let rinconada = w.rinconada.to_string();
    let date = day(-1);
    let created = browser.submit(
        "/trainings",
        "/trainings",
        &[
            ("title", "Primeros auxilios"),
            ("topic", "first_aid"),
            ("date", &date),
            ("organization_ids", &rinconada),
        ],
    );
    assert_eq!(created.status, 303, "{}", created.body);
    let register = created.header("location").unwrap().to_string();
    let form = browser.get(&register);
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Quispe Mamani, Rosa") && form.body.contains("type=\"radio\""));
    assert!(
        !form.body.contains("Mario"),
        "only members of the invited organisations are listed"
    );

    let (rosa, nilda) = (format!("status_{}", w.women[0]), format!("status_{}", w.women[1]));
    let bad = browser.submit(
        &register,
        &register,
        &[
            (&rosa, "present"),
            (&nilda, "tarde"),
            ("guest_name_0", "Juan Mamani"),
            ("guest_sex_0", "male"),
            ("guest_status_0", "present"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("elija presente, ausente o justificada"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("value=\"Juan Mamani\""), "what was typed is kept");
    assert_eq!(w.app.count("attendances"), 0);

    let saved = browser.submit(
        &register,
        &register,
        &[
            (&rosa, "present"),
            (&nilda, "excused"),
            ("guest_name_0", "Juan Mamani"),
            ("guest_sex_0", "male"),
            ("guest_status_0", "present"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(w.app.count("attendances"), 3);
    let page = browser.get(saved.header("location").unwrap());
    assert!(page.body.contains("Juan Mamani"));

    // Rosa sees it on her own page.
    let account = w.app.create_user(Role::Member, vec![], Some(w.women[0]));
    let mut rosa_browser = w.app.browser();
    rosa_browser.login(&account.username, PASSWORD);
    let own = rosa_browser.get(&format!("/members/{}", w.women[0]));
    assert!(
        own.body.contains("Primeros auxilios") && own.body.contains("presente"),
        "{}",
        own.body
    );
    let (member_api, _) = w.app.login_as(Role::Member, vec![], Some(w.women[0]));
    let history = member_api
        .get(&format!("/api/v1/members/{}/trainings", w.women[0]))
        .json();
    assert_eq!(history["items"][0]["status"], "present");
    let export = member_api.get(&format!("/api/v1/members/{}/export", w.women[0])).json();
    assert_eq!(
        export["trainings"][0]["title"], "Primeros auxilios",
        "her trainings are part of her data"
    );
    assert_eq!(
        member_api
            .get(&format!("/api/v1/members/{}/trainings", w.women[1]))
            .status,
        404
    );
}
