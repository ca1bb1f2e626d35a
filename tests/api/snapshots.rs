//! The main JSON answers, pinned to the last field: a changed, added or missing field shows up as
//! a snapshot diff to review (`tests/api/snapshots/`), never silently. The server's today is a
//! fixed date here, so the answers do not move with the calendar; instants (`…T…Z`) are the only
//! thing blanked.
//!
//! After an intended change: `INSTA_UPDATE=always cargo test --test api snapshots`, then read
//! the diff of the `.snap` files before committing them.

use chrono::NaiveDate;
use serde_json::{json, Value};

use crate::helpers::{spawn_app_on, Api, TestApp};
use pallay::auth::policy::Role;

/// Instants vary from run to run; everything else is pinned.
fn pinned(value: Value) -> Value {
    match value {
        Value::String(s) if s.len() >= 20 && s.as_bytes().get(10) == Some(&b'T') && s.ends_with('Z') => {
            Value::String("[instant]".into())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(pinned).collect()),
        Value::Object(fields) => Value::Object(fields.into_iter().map(|(k, v)| (k, pinned(v))).collect()),
        other => other,
    }
}

macro_rules! pin {
    ($name:expr, $response:expr, $status:expr) => {{
        let response = $response;
        assert_eq!(response.status, $status, "{}", response.body);
        insta::assert_json_snapshot!($name, pinned(response.json()));
    }};
}

struct Scene {
    app: TestApp,
    admin: Api,
    maker: Api,
    checker: Api,
    org: i64,
    fund: i64,
    member: i64,
}

/// A server whose today is 15 June 2026. Its instants stay real, so the loan only requested (an
/// instant, not a date) was asked for after that today: the portfolios count it nowhere, as they
/// would not count a request made after their day.
fn scene() -> Scene {
    let app = spawn_app_on(NaiveDate::from_ymd_opt(2026, 6, 15).unwrap());
    let admin = app.admin();
    let org = app.create_organization(&admin, "Pallaqueras de La Rinconada");
    let fund = admin.post(
        "/api/v1/funds",
        &json!({"organization_id": org, "name": "Fondo rotatorio", "penalty_amount": "5.00", "penalty_after_days": 7}),
    );
    assert_eq!(fund.status, 201, "{}", fund.body);
    let fund = fund.json()["id"].as_i64().unwrap();
    let member = app.create_member(
        &admin,
        org,
        json!({"first_name": "Justina", "last_name": "Mamani Quispe", "dni": "41234567", "phone": "987654321",
               "birth_date": "1984-03-02", "language": "qu", "consents": {"sms": true}}),
    )["id"]
        .as_i64()
        .unwrap();
    let (maker, _) = app.login_as(Role::Coordinator, vec![org], None);
    let (checker, _) = app.login_as(Role::Coordinator, vec![org], None);
    let c = maker.post(
        &format!("/api/v1/funds/{fund}/contributions"),
        &json!({"source": "donor", "amount": "2000.00", "date": "2026-01-02", "note": "ARM"}),
    );
    assert_eq!(c.status, 201, "{}", c.body);
    Scene {
        app,
        admin,
        maker,
        checker,
        org,
        fund,
        member,
    }
}

impl Scene {
    fn loan(&self, body: Value) -> i64 {
        let r = self.maker.post("/api/v1/loans", &body);
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["id"].as_i64().unwrap()
    }

    fn approve_and_disburse(&self, loan: i64, date: &str) {
        assert_eq!(
            self.checker
                .post(&format!("/api/v1/loans/{loan}/approve"), &json!({}))
                .status,
            200
        );
        let r = self
            .maker
            .post(&format!("/api/v1/loans/{loan}/disburse"), &json!({"date": date}));
        assert_eq!(r.status, 200, "{}", r.body);
    }
}

#[test]
fn the_fund_answers_are_pinned() {
    let s = scene();
    let request = json!({"fund_id": s.fund, "member_id": s.member, "principal": "600.00", "interest_method": "declining",
                         "rate_per_period": "0.02", "periods": 6, "frequency": "monthly", "first_due_date": "2026-02-05",
                         "purpose": "venta de comida"});
    pin!("loan_requested", s.maker.post("/api/v1/loans", &request), 201);
    let loan = 1;
    s.approve_and_disburse(loan, "2026-01-05");
    pin!(
        "repayment_posted",
        s.maker.post(
            &format!("/api/v1/loans/{loan}/repayments"),
            &json!({"amount": "110.00", "date": "2026-02-05", "receipt_number": "R-1"})
        ),
        201
    );
    // A second one, late (a penalty), and a mistaken third, reversed.
    let r = s.maker.post(
        &format!("/api/v1/loans/{loan}/repayments"),
        &json!({"amount": "120.00", "date": "2026-03-20"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let mistaken = s.maker.post(
        &format!("/api/v1/loans/{loan}/repayments"),
        &json!({"amount": "15.00", "date": "2026-04-01"}),
    );
    assert_eq!(mistaken.status, 201, "{}", mistaken.body);
    pin!(
        "repayment_reversed",
        s.maker.post(
            &format!("/api/v1/repayments/{}/reverse", mistaken.json()["id"]),
            &json!({"reason": "era de otra socia"})
        ),
        201
    );
    let flat = s.loan(json!({"fund_id": s.fund, "member_id": s.member, "principal": "300.00", "interest_method": "flat",
                             "rate_per_period": "0.03", "periods": 3, "frequency": "fortnightly", "first_due_date": "2026-07-01"}));
    assert_eq!(flat, 2);

    pin!("loan", s.admin.get(&format!("/api/v1/loans/{loan}")), 200);
    pin!(
        "loan_repayments",
        s.admin.get(&format!("/api/v1/loans/{loan}/repayments")),
        200
    );
    pin!("loans", s.admin.get(&format!("/api/v1/loans?fund_id={}", s.fund)), 200);
    pin!("fund", s.admin.get(&format!("/api/v1/funds/{}", s.fund)), 200);
    pin!(
        "portfolio",
        s.admin.get(&format!("/api/v1/funds/{}/portfolio", s.fund)),
        200
    );
    pin!(
        "portfolio_as_of",
        s.admin
            .get(&format!("/api/v1/funds/{}/portfolio?as_of=2026-03-01", s.fund)),
        200
    );
    pin!(
        "trial_balance",
        s.admin.get(&format!("/api/v1/funds/{}/trial-balance", s.fund)),
        200
    );
    pin!(
        "journal",
        s.admin.get(&format!("/api/v1/funds/{}/journal", s.fund)),
        200
    );
    pin!(
        "member_balance",
        s.admin.get(&format!("/api/v1/members/{}/balance", s.member)),
        200
    );
    pin!("member", s.admin.get(&format!("/api/v1/members/{}", s.member)), 200);
}

#[test]
fn the_programme_answers_are_pinned() {
    let s = scene();
    let training = s.admin.post(
        "/api/v1/trainings",
        &json!({"title": "Primeros auxilios", "topic": "first_aid", "date": "2026-05-20",
                "place": "La Rinconada", "organization_ids": [s.org]}),
    );
    pin!("training_created", training, 201);
    let register = json!({"entries": [
        {"member_id": s.member, "status": "present"},
        {"name": "Juan Apaza", "sex": "male", "status": "present"},
        {"name": "Rosa Condori", "sex": "female", "status": "absent"}]});
    pin!(
        "attendance",
        s.admin
            .request("PUT", "/api/v1/trainings/1/attendance", Some(&register.to_string())),
        200
    );
    pin!(
        "attendance_report",
        s.admin.get("/api/v1/reports/attendance?from=2026-01-01&to=2026-06-30"),
        200
    );
    let committee = s.admin.post(
        "/api/v1/committees",
        &json!({"organization_id": s.org, "name": "Comité de equidad"}),
    );
    assert_eq!(committee.status, 201, "{}", committee.body);
    for (description, due) in [
        ("Taller de liderazgo", "2026-06-01"),
        ("Charla de seguridad", "2026-07-10"),
    ] {
        let a = s.admin.post(
            "/api/v1/committees/1/actions",
            &json!({"description": description, "responsible_member_id": s.member, "due_date": due}),
        );
        assert_eq!(a.status, 201, "{}", a.body);
    }
    pin!("board", s.admin.get("/api/v1/committees/1/board"), 200);
    pin!("action", s.admin.get("/api/v1/actions/1"), 200);
    assert_eq!(s.app.count("attendances"), 3);
}
