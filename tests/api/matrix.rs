//! Every route of the API and every page, for every role: exactly what DOMAIN.md grants.
//! A coordinator or member reaching for someone outside her scope gets 404, not 403.

use std::collections::BTreeSet;

use pallay::auth::policy::Role;
use serde_json::{json, Value};

use crate::helpers::{spawn_app, Api, TestApp};

pub(crate) const ROLES: [&str; 6] = ["anonymous", "admin", "gender_staff", "coordinator", "member", "viewer"];

pub(crate) struct World {
    pub(crate) app: TestApp,
    pub(crate) clients: Vec<(&'static str, Api)>,
    pub(crate) org_a: i64,
    pub(crate) org_b: i64,
    pub(crate) member_a: i64,
    pub(crate) member_b: i64,
    pub(crate) viewer_id: i64,
    /// A coordinator of organisation A outside the matrix, who requests the loans others decide on.
    pub(crate) maker: Api,
    pub(crate) fund_a: i64,
    pub(crate) fund_b: i64,
    pub(crate) loan_b: i64,
    pub(crate) committee_a: i64,
    pub(crate) committee_b: i64,
    /// An action of committee A that member A is responsible for, and one of committee B.
    pub(crate) action_a: i64,
    pub(crate) action_b: i64,
    /// A past training of organisation A (member A invited) and one of B.
    pub(crate) training_a: i64,
    pub(crate) training_b: i64,
}

pub(crate) fn world() -> World {
    let app = spawn_app();
    let admin = app.admin();
    let org_a = app.create_organization(&admin, "Pallaqueras");
    let org_b = app.create_organization(&admin, "CECOMIP");
    let member_a = app.create_member(&admin, org_a, json!({"first_name": "Rosa"}))["id"]
        .as_i64()
        .unwrap();
    let member_b = app.create_member(&admin, org_b, json!({"first_name": "Juan", "sex": "male"}))["id"]
        .as_i64()
        .unwrap();
    let (gender, _) = app.login_as(Role::GenderStaff, vec![], None);
    let (coordinator, _) = app.login_as(Role::Coordinator, vec![org_a], None);
    let (member, _) = app.login_as(Role::Member, vec![], Some(member_a));
    let (viewer, viewer_user) = app.login_as(Role::Viewer, vec![], None);
    let (maker, _) = app.login_as(Role::Coordinator, vec![org_a], None);
    let fund = |org: i64| {
        let r = admin.post("/api/v1/funds", &json!({"organization_id": org, "name": "Fondo"}));
        assert_eq!(r.status, 201, "{}", r.body);
        let id = r.json()["id"].as_i64().unwrap();
        let c = admin.post(
            &format!("/api/v1/funds/{id}/contributions"),
            &json!({"source": "donor", "amount": "100000.00", "date": "2025-01-02"}),
        );
        assert_eq!(c.status, 201, "{}", c.body);
        id
    };
    let (fund_a, fund_b) = (fund(org_a), fund(org_b));
    // Requested by another admin, so the matrix's admin may decide on it.
    let (other_admin, _) = app.login_as(Role::Admin, vec![], None);
    let loan_b = request_loan(&other_admin, fund_b, member_b)["id"].as_i64().unwrap();
    let committee = |org: i64| {
        let r = admin.post(
            "/api/v1/committees",
            &json!({"organization_id": org, "name": "Comité de género"}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["id"].as_i64().unwrap()
    };
    let (committee_a, committee_b) = (committee(org_a), committee(org_b));
    let action_a = new_action(&admin, committee_a, json!({"responsible_member_id": member_a}));
    let action_b = new_action(&admin, committee_b, json!({"responsible_name": "Juan"}));
    let (training_a, training_b) = (new_training(&admin, org_a), new_training(&admin, org_b));
    let clients = vec![
        ("anonymous", app.api()),
        ("admin", admin),
        ("gender_staff", gender),
        ("coordinator", coordinator),
        ("member", member),
        ("viewer", viewer),
    ];
    World {
        app,
        clients,
        org_a,
        org_b,
        member_a,
        member_b,
        viewer_id: viewer_user.id,
        maker,
        fund_a,
        fund_b,
        loan_b,
        committee_a,
        committee_b,
        action_a,
        action_b,
        training_a,
        training_b,
    }
}

pub(crate) fn new_training(api: &Api, organization_id: i64) -> i64 {
    let body = json!({"title": "Primeros auxilios", "topic": "first_aid", "date": "2026-10-01",
                      "organization_ids": [organization_id]});
    let r = api.post("/api/v1/trainings", &body);
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

pub(crate) fn new_action(api: &Api, committee: i64, responsible: Value) -> i64 {
    let mut body = json!({"description": "Taller", "due_date": "2027-03-01"});
    for (k, v) in responsible.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = api.post(&format!("/api/v1/committees/{committee}/actions"), &body);
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()["id"].as_i64().unwrap()
}

/// A notice to a member that the gateway gave up on, for the retry route.
pub(crate) fn failed_notice(app: &TestApp, member: i64) -> i64 {
    use diesel::prelude::*;
    use pallay::outbox::model::NewNotice;
    let now = pallay::clock::now();
    let mut conn = app.db.get().unwrap();
    NewNotice {
        member_id: member,
        kind: "receipt",
        channel: "sms",
        recipient: "+51987654321",
        language: "es",
        subject: None,
        body: "Recibimos S/ 10.00",
        html_body: None,
        status: "failed",
        attempts: 4,
        next_attempt_at: now,
        dedupe_key: None,
        created_at: now,
    }
    .writing()
    .execute(&mut *conn)
    .unwrap();
    use pallay::db::schema::notices;
    notices::table
        .select(diesel::dsl::max(notices::id))
        .get_result::<Option<i64>>(&mut *conn)
        .unwrap()
        .unwrap()
}

pub(crate) fn request_loan(api: &Api, fund: i64, member: i64) -> Value {
    let body = json!({"fund_id": fund, "member_id": member, "principal": "100.00", "interest_method": "flat",
                      "rate_per_period": "0.01", "periods": 4, "frequency": "monthly", "first_due_date": "2027-06-30"});
    let r = api.post("/api/v1/loans", &body);
    assert_eq!(r.status, 201, "{}", r.body);
    r.json()
}

/// A loan of member A in each state the routes need, made fresh for each role.
pub(crate) struct Loans {
    pub(crate) requested: [i64; 3],
    pub(crate) approved: i64,
    pub(crate) disbursed: i64,
    pub(crate) repayment: i64,
    /// The loan that `repayment` paid into.
    pub(crate) repaid_once: i64,
    pub(crate) to_write_off: i64,
}

pub(crate) fn fresh_loans(w: &World) -> Loans {
    let admin = &w.clients[1].1;
    let new = || request_loan(&w.maker, w.fund_a, w.member_a)["id"].as_i64().unwrap();
    let approved = |id: i64| {
        assert_eq!(
            admin.post(&format!("/api/v1/loans/{id}/approve"), &json!({})).status,
            200
        );
        id
    };
    let disbursed = |id: i64| {
        let r = admin.post(&format!("/api/v1/loans/{id}/disburse"), &json!({"date": "2026-01-05"}));
        assert_eq!(r.status, 200, "{}", r.body);
        id
    };
    let repaid_once = disbursed(approved(new()));
    let r = admin.post(
        &format!("/api/v1/loans/{repaid_once}/repayments"),
        &json!({"amount": "10.00", "date": "2026-02-01"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    Loans {
        requested: [new(), new(), new()],
        approved: approved(new()),
        disbursed: disbursed(approved(new())),
        repayment: r.json()["id"].as_i64().unwrap(),
        repaid_once,
        to_write_off: disbursed(approved(new())),
    }
}

/// (method, route as in the OpenAPI document, concrete path, body, expected status per role in ROLES order)
type Row = (&'static str, &'static str, String, Option<Value>, [u16; 6]);

#[rustfmt::skip]
fn rows(w: &World, n: &mut u32) -> Vec<Row> {
    let mut unique = || {
        *n += 1;
        *n
    };
    let (a, b, org, other_org) = (w.member_a, w.member_b, w.org_a, w.org_b);
    let (fa, fb, lb) = (w.fund_a, w.fund_b, w.loan_b);
    let l = fresh_loans(w);
    let (ca, cb, aa, ab) = (w.committee_a, w.committee_b, w.action_a, w.action_b);
    let fresh_action = new_action(&w.clients[1].1, ca, json!({"responsible_name": "Mario"}));
    let fresh_action_b = new_action(&w.clients[1].1, cb, json!({"responsible_name": "Mario"}));
    let seat = json!({"name": "Vilma Condori", "position": "secretaria", "term_start": "2026-01-01"});
    let meeting = json!({"date": "2026-10-01", "minutes": "Acta"});
    let action = json!({"description": "Charla", "responsible_name": "Mario", "due_date": "2027-01-01"});
    let [req1, req2, req3] = l.requested;
    let (ta, tb) = (w.training_a, w.training_b);
    let (fresh_training, fresh_training_b) = (new_training(&w.clients[1].1, org), new_training(&w.clients[1].1, other_org));
    let training = |o: i64| json!({"title": "Taller", "topic": "empowerment", "date": "2026-11-01", "organization_ids": [o]});
    let register_a = json!({"entries": [{"member_id": a, "status": "present"}]});
    let register_b = json!({"entries": [{"name": "Juan Apaza", "sex": "male", "status": "present"}]});
    let loan_body = json!({"fund_id": fa, "member_id": a, "principal": "50.00", "interest_method": "flat",
                           "rate_per_period": "0", "periods": 2, "frequency": "weekly", "first_due_date": "2027-01-10"});
    let new_member = |u: u32| json!({"first_name": format!("N{u}"), "last_name": "X", "sex": "female", "organization_ids": [org]});
    // Fund B's books closed a day before this role's closing row, on days later than the last role's.
    let turn = i64::from(unique());
    let day = |d: i64| (chrono::NaiveDate::from_ymd_opt(2024, 1, 1).unwrap() + chrono::Duration::days(d)).to_string();
    let closure_b = w.clients[1].1.post(&format!("/api/v1/funds/{fb}/closures"), &json!({"date": day(2 * turn)})).json()["id"].clone();
    let close_b = day(2 * turn + 1);
    // Two proposals by the maker for this role's disbursed loan, dated after its payments.
    let reschedule = json!({"date": "2026-03-02", "rate_per_period": "0.015", "periods": 4, "frequency": "monthly",
                            "first_due_date": "2026-04-02", "reason": "cerraron la cancha"});
    let propose = || {
        let r = w.maker.post(&format!("/api/v1/loans/{}/reschedules", l.disbursed), &reschedule);
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["id"].as_i64().unwrap()
    };
    let (to_approve, to_reject) = (propose(), propose());
    //                                                                                     anon admin gender coord member viewer
    vec![
        ("GET", "/api/v1/health", "/api/v1/health".into(), None,                          [200, 200, 200, 200, 200, 200]),
        ("GET", "/api/v1/organizations", "/api/v1/organizations".into(), None,            [401, 200, 200, 200, 403, 403]),
        ("POST", "/api/v1/organizations", "/api/v1/organizations".into(),
            Some(json!({"name": format!("Org {}", unique()), "kind": "cooperative"})),    [401, 201, 403, 403, 403, 403]),
        ("GET", "/api/v1/organizations/{id}", format!("/api/v1/organizations/{org}"), None, [401, 200, 200, 200, 403, 403]),
        ("GET", "/api/v1/organizations/{id}", format!("/api/v1/organizations/{other_org}"), None, [401, 200, 200, 404, 403, 403]),
        ("PATCH", "/api/v1/organizations/{id}", format!("/api/v1/organizations/{org}"),
            Some(json!({"kind": "association"})),                                         [401, 200, 403, 403, 403, 403]),
        ("GET", "/api/v1/users", "/api/v1/users".into(), None,                            [401, 200, 403, 403, 403, 403]),
        ("POST", "/api/v1/users", "/api/v1/users".into(),
            Some(json!({"username": format!("user{}", unique()), "password": "una clave larga", "role": "viewer"})),
                                                                                          [401, 201, 403, 403, 403, 403]),
        ("PATCH", "/api/v1/users/{id}", format!("/api/v1/users/{}", w.viewer_id),
            Some(json!({"disabled": false})),                                             [401, 200, 403, 403, 403, 403]),
        ("GET", "/api/v1/members", "/api/v1/members".into(), None,                        [401, 200, 200, 200, 200, 403]),
        ("POST", "/api/v1/members", "/api/v1/members".into(), Some(new_member(unique())), [401, 201, 403, 201, 403, 403]),
        ("GET", "/api/v1/members/{id}", format!("/api/v1/members/{a}"), None,             [401, 200, 200, 200, 200, 403]),
        ("GET", "/api/v1/members/{id}", format!("/api/v1/members/{b}"), None,             [401, 200, 200, 404, 404, 403]),
        ("PATCH", "/api/v1/members/{id}", format!("/api/v1/members/{a}"), Some(json!({"language": "ay"})), [401, 200, 403, 200, 403, 403]),
        ("PATCH", "/api/v1/members/{id}", format!("/api/v1/members/{b}"), Some(json!({"language": "ay"})), [401, 200, 403, 404, 403, 403]),
        ("GET", "/api/v1/members/{id}/export", format!("/api/v1/members/{a}/export"), None, [401, 200, 403, 403, 200, 403]),
        ("GET", "/api/v1/members/{id}/export", format!("/api/v1/members/{b}/export"), None, [401, 200, 403, 403, 404, 403]),
        ("POST", "/api/v1/members/{id}/anonymize", format!("/api/v1/members/{b}/anonymize"), Some(json!({})), [401, 200, 403, 403, 403, 403]),
        ("GET", "/api/v1/audit", "/api/v1/audit".into(), None,                            [401, 200, 403, 403, 403, 403]),
        ("GET", "/api/v1/funds", "/api/v1/funds".into(), None,                            [401, 200, 200, 200, 403, 403]),
        ("POST", "/api/v1/funds", "/api/v1/funds".into(),
            Some(json!({"organization_id": org, "name": format!("Fondo {}", unique())})),  [401, 201, 403, 403, 403, 403]),
        ("GET", "/api/v1/funds/{id}", format!("/api/v1/funds/{fa}"), None,                [401, 200, 200, 200, 403, 403]),
        ("GET", "/api/v1/funds/{id}", format!("/api/v1/funds/{fb}"), None,                [401, 200, 200, 404, 403, 403]),
        ("POST", "/api/v1/funds/{id}/contributions", format!("/api/v1/funds/{fa}/contributions"),
            Some(json!({"source": "donor", "amount": "1.00", "date": "2026-01-02"})),     [401, 201, 403, 201, 403, 403]),
        ("POST", "/api/v1/funds/{id}/contributions", format!("/api/v1/funds/{fb}/contributions"),
            Some(json!({"source": "donor", "amount": "1.00", "date": "2026-01-02"})),     [401, 201, 403, 404, 403, 403]),
        ("GET", "/api/v1/funds/{id}/portfolio", format!("/api/v1/funds/{fa}/portfolio"), None, [401, 200, 200, 200, 403, 200]),
        ("GET", "/api/v1/funds/{id}/portfolio", format!("/api/v1/funds/{fb}/portfolio"), None, [401, 200, 200, 404, 403, 200]),
        ("GET", "/api/v1/funds/{id}/journal", format!("/api/v1/funds/{fa}/journal"), None, [401, 200, 200, 200, 403, 403]),
        ("GET", "/api/v1/funds/{id}/trial-balance", format!("/api/v1/funds/{fa}/trial-balance"), None, [401, 200, 200, 200, 403, 403]),
        ("GET", "/api/v1/funds/{id}/trial-balance", format!("/api/v1/funds/{fb}/trial-balance"), None, [401, 200, 200, 404, 403, 403]),
        ("GET", "/api/v1/funds/{id}/collection-sheet", format!("/api/v1/funds/{fa}/collection-sheet"), None, [401, 200, 200, 200, 403, 403]),
        ("GET", "/api/v1/funds/{id}/collection-sheet", format!("/api/v1/funds/{fb}/collection-sheet"), None, [401, 200, 200, 404, 403, 403]),
        ("POST", "/api/v1/funds/{id}/collections", format!("/api/v1/funds/{fa}/collections"),
            Some(json!({"date": "2026-03-01", "rows": [{"loan_id": l.disbursed, "amount": "1.00", "key": "matrix"}]})), [401, 200, 403, 200, 403, 403]),
        ("POST", "/api/v1/funds/{id}/collections", format!("/api/v1/funds/{fb}/collections"),
            Some(json!({"date": "2026-03-01", "rows": [{"loan_id": lb, "amount": "1.00", "key": "matrix-b"}]})), [401, 200, 403, 404, 403, 403]),
        ("GET", "/api/v1/loans", format!("/api/v1/loans?fund_id={fa}"), None,             [401, 200, 200, 200, 403, 403]),
        ("GET", "/api/v1/loans", format!("/api/v1/loans?fund_id={fb}"), None,             [401, 200, 200, 404, 403, 403]),
        ("POST", "/api/v1/loans", "/api/v1/loans".into(), Some(loan_body),                [401, 201, 403, 201, 403, 403]),
        ("GET", "/api/v1/loans/{id}", format!("/api/v1/loans/{}", l.disbursed), None,     [401, 200, 200, 200, 200, 403]),
        ("GET", "/api/v1/loans/{id}", format!("/api/v1/loans/{lb}"), None,                [401, 200, 200, 404, 404, 403]),
        ("POST", "/api/v1/loans/{id}/approve", format!("/api/v1/loans/{req1}/approve"), Some(json!({})), [401, 200, 403, 200, 403, 403]),
        ("POST", "/api/v1/loans/{id}/reject", format!("/api/v1/loans/{req2}/reject"), Some(json!({})), [401, 200, 403, 200, 403, 403]),
        ("POST", "/api/v1/loans/{id}/cancel", format!("/api/v1/loans/{req3}/cancel"), Some(json!({})), [401, 200, 403, 200, 403, 403]),
        ("POST", "/api/v1/loans/{id}/approve", format!("/api/v1/loans/{lb}/approve"), Some(json!({})), [401, 200, 403, 404, 403, 403]),
        ("POST", "/api/v1/loans/{id}/disburse", format!("/api/v1/loans/{}/disburse", l.approved),
            Some(json!({"date": "2026-03-01"})),                                          [401, 200, 403, 200, 403, 403]),
        ("POST", "/api/v1/loans/{id}/repayments", format!("/api/v1/loans/{}/repayments", l.disbursed),
            Some(json!({"amount": "5.00", "date": "2026-03-01"})),                        [401, 201, 403, 201, 403, 403]),
        ("POST", "/api/v1/loans/{id}/repayments", format!("/api/v1/loans/{lb}/repayments"),
            Some(json!({"amount": "5.00", "date": "2026-03-01"})),                        [401, 409, 403, 404, 403, 403]),
        ("POST", "/api/v1/repayments/{id}/reverse", format!("/api/v1/repayments/{}/reverse", l.repayment),
            Some(json!({"reason": "error"})),                                             [401, 201, 403, 201, 403, 403]),
        ("POST", "/api/v1/loans/{id}/write-off", format!("/api/v1/loans/{}/write-off", l.to_write_off),
            Some(json!({"date": "2026-10-01", "reason": "se fue"})),                      [401, 200, 403, 403, 403, 403]),
        ("GET", "/api/v1/loans/{id}/payoff", format!("/api/v1/loans/{}/payoff", l.disbursed), None, [401, 200, 200, 200, 200, 403]),
        ("GET", "/api/v1/loans/{id}/repayments", format!("/api/v1/loans/{}/repayments", l.disbursed), None, [401, 200, 200, 200, 200, 403]),
        ("GET", "/api/v1/loans/{id}/repayments", format!("/api/v1/loans/{lb}/repayments"), None, [401, 200, 200, 404, 404, 403]),
        ("GET", "/api/v1/loans/{id}/payoff", format!("/api/v1/loans/{lb}/payoff"), None,  [401, 409, 409, 404, 404, 403]),
        ("POST", "/api/v1/loans/{id}/reschedules", format!("/api/v1/loans/{}/reschedules", l.disbursed), Some(reschedule.clone()), [401, 201, 403, 201, 403, 403]),
        ("POST", "/api/v1/loans/{id}/reschedules", format!("/api/v1/loans/{lb}/reschedules"), Some(reschedule), [401, 409, 403, 404, 403, 403]),
        ("POST", "/api/v1/reschedules/{id}/approve", format!("/api/v1/reschedules/{to_approve}/approve"), Some(json!({})), [401, 200, 403, 200, 403, 403]),
        ("POST", "/api/v1/reschedules/{id}/reject", format!("/api/v1/reschedules/{to_reject}/reject"), Some(json!({})), [401, 200, 403, 200, 403, 403]),
        ("GET", "/api/v1/funds/{id}/closures", format!("/api/v1/funds/{fa}/closures"), None, [401, 200, 200, 200, 403, 403]),
        ("GET", "/api/v1/funds/{id}/closures", format!("/api/v1/funds/{fb}/closures"), None, [401, 200, 200, 404, 403, 403]),
        ("POST", "/api/v1/closures/{id}/reopen", format!("/api/v1/closures/{closure_b}/reopen"),
            Some(json!({"reason": "faltaba un recibo"})),                                 [401, 200, 403, 403, 403, 403]),
        ("POST", "/api/v1/funds/{id}/closures", format!("/api/v1/funds/{fb}/closures"),
            Some(json!({"date": close_b})),                                               [401, 201, 403, 403, 403, 403]),
        ("GET", "/api/v1/members/{id}/balance", format!("/api/v1/members/{a}/balance"), None, [401, 200, 200, 200, 200, 403]),
        ("GET", "/api/v1/members/{id}/balance", format!("/api/v1/members/{b}/balance"), None, [401, 200, 200, 404, 404, 403]),
        ("GET", "/api/v1/committees", "/api/v1/committees".into(), None,                  [401, 200, 200, 200, 403, 403]),
        ("POST", "/api/v1/committees", "/api/v1/committees".into(),
            Some(json!({"organization_id": org, "name": format!("Comité {}", unique())})),  [401, 201, 201, 201, 403, 403]),
        ("GET", "/api/v1/committees/{id}", format!("/api/v1/committees/{ca}"), None,      [401, 200, 200, 200, 403, 403]),
        ("GET", "/api/v1/committees/{id}", format!("/api/v1/committees/{cb}"), None,      [401, 200, 200, 404, 403, 403]),
        ("POST", "/api/v1/committees/{id}/members", format!("/api/v1/committees/{ca}/members"), Some(seat.clone()), [401, 201, 201, 201, 403, 403]),
        ("POST", "/api/v1/committees/{id}/members", format!("/api/v1/committees/{cb}/members"), Some(seat), [401, 201, 201, 404, 403, 403]),
        ("POST", "/api/v1/committees/{id}/meetings", format!("/api/v1/committees/{ca}/meetings"), Some(meeting), [401, 201, 201, 201, 403, 403]),
        ("GET", "/api/v1/committees/{id}/actions", format!("/api/v1/committees/{ca}/actions"), None, [401, 200, 200, 200, 403, 403]),
        ("POST", "/api/v1/committees/{id}/actions", format!("/api/v1/committees/{ca}/actions"), Some(action.clone()), [401, 201, 201, 201, 403, 403]),
        ("POST", "/api/v1/committees/{id}/actions", format!("/api/v1/committees/{cb}/actions"), Some(action), [401, 201, 201, 404, 403, 403]),
        ("GET", "/api/v1/committees/{id}/board", format!("/api/v1/committees/{ca}/board"), None, [401, 200, 200, 200, 403, 403]),
        ("GET", "/api/v1/actions/{id}", format!("/api/v1/actions/{aa}"), None,            [401, 200, 200, 200, 200, 403]),
        ("GET", "/api/v1/actions/{id}", format!("/api/v1/actions/{ab}"), None,            [401, 200, 200, 404, 404, 403]),
        ("PATCH", "/api/v1/actions/{id}", format!("/api/v1/actions/{fresh_action}"),
            Some(json!({"status": "in_progress"})),                                       [401, 200, 200, 200, 403, 403]),
        ("PATCH", "/api/v1/actions/{id}", format!("/api/v1/actions/{fresh_action_b}"),
            Some(json!({"status": "cancelled", "reason": "x"})),                          [401, 200, 200, 404, 403, 403]),
        ("POST", "/api/v1/actions/{id}/notes", format!("/api/v1/actions/{aa}/notes"), Some(json!({"text": "avance"})), [401, 201, 201, 201, 403, 403]),
        ("GET", "/api/v1/topics", "/api/v1/topics".into(), None,                          [401, 200, 200, 200, 403, 200]),
        ("POST", "/api/v1/topics", "/api/v1/topics".into(),
            Some(json!({"key": format!("topic_{}", unique()), "name_es": "Tema"})),        [401, 201, 403, 403, 403, 403]),
        ("GET", "/api/v1/trainings", "/api/v1/trainings".into(), None,                    [401, 200, 200, 200, 403, 403]),
        ("POST", "/api/v1/trainings", "/api/v1/trainings".into(), Some(training(org)),    [401, 201, 201, 201, 403, 403]),
        ("POST", "/api/v1/trainings", "/api/v1/trainings".into(), Some(training(other_org)), [401, 201, 201, 422, 403, 403]),
        ("GET", "/api/v1/trainings/{id}", format!("/api/v1/trainings/{ta}"), None,        [401, 200, 200, 200, 403, 403]),
        ("GET", "/api/v1/trainings/{id}", format!("/api/v1/trainings/{tb}"), None,        [401, 200, 200, 404, 403, 403]),
        ("PATCH", "/api/v1/trainings/{id}", format!("/api/v1/trainings/{ta}"), Some(json!({"place": "Ananea"})), [401, 200, 200, 200, 403, 403]),
        ("PATCH", "/api/v1/trainings/{id}", format!("/api/v1/trainings/{tb}"), Some(json!({"place": "Ananea"})), [401, 200, 200, 404, 403, 403]),
        ("POST", "/api/v1/trainings/{id}/cancel", format!("/api/v1/trainings/{fresh_training}/cancel"),
            Some(json!({"reason": "lluvia"})),                                            [401, 200, 200, 200, 403, 403]),
        ("POST", "/api/v1/trainings/{id}/cancel", format!("/api/v1/trainings/{fresh_training_b}/cancel"),
            Some(json!({"reason": "lluvia"})),                                            [401, 200, 200, 404, 403, 403]),
        ("GET", "/api/v1/trainings/{id}/attendance", format!("/api/v1/trainings/{ta}/attendance"), None, [401, 200, 200, 200, 403, 403]),
        ("GET", "/api/v1/trainings/{id}/attendance", format!("/api/v1/trainings/{tb}/attendance"), None, [401, 200, 200, 404, 403, 403]),
        ("PUT", "/api/v1/trainings/{id}/attendance", format!("/api/v1/trainings/{ta}/attendance"), Some(register_a), [401, 200, 200, 200, 403, 403]),
        ("PUT", "/api/v1/trainings/{id}/attendance", format!("/api/v1/trainings/{tb}/attendance"), Some(register_b), [401, 200, 200, 404, 403, 403]),
        ("GET", "/api/v1/members/{id}/trainings", format!("/api/v1/members/{a}/trainings"), None, [401, 200, 200, 200, 200, 403]),
        ("GET", "/api/v1/members/{id}/trainings", format!("/api/v1/members/{b}/trainings"), None, [401, 200, 200, 404, 404, 403]),
        ("GET", "/api/v1/reports/attendance", "/api/v1/reports/attendance".into(), None,  [401, 200, 200, 200, 403, 200]),
        ("POST", "/api/v1/notices/balance", "/api/v1/notices/balance".into(), Some(json!({"fund_id": fa})), [401, 202, 403, 202, 403, 403]),
        ("POST", "/api/v1/notices/balance", "/api/v1/notices/balance".into(), Some(json!({"fund_id": fb})), [401, 202, 403, 404, 403, 403]),
        ("GET", "/api/v1/notices", "/api/v1/notices".into(), None,                        [401, 200, 403, 200, 403, 403]),
        ("POST", "/api/v1/notices/{id}/retry", format!("/api/v1/notices/{}/retry", failed_notice(&w.app, a)), Some(json!({})), [401, 200, 403, 200, 403, 403]),
        ("POST", "/api/v1/notices/{id}/retry", format!("/api/v1/notices/{}/retry", failed_notice(&w.app, b)), Some(json!({})), [401, 200, 403, 404, 403, 403]),
        ("POST", "/api/v1/notices/{id}/retry", "/api/v1/notices/999999/retry".into(), Some(json!({})), [401, 404, 403, 404, 403, 403]),
        // The gateway signs; a signed-in person's token is no signature.
        ("POST", "/api/v1/sms/inbound", "/api/v1/sms/inbound".into(),
            Some(json!({"from": "+51987654321", "body": "SALDO"})),                       [401, 401, 401, 401, 401, 401]),
        ("GET", "/api/v1/reports/attendance", format!("/api/v1/reports/attendance?organization_id={other_org}"), None, [401, 200, 200, 404, 403, 200]),
    ]
}

#[test]
fn every_api_route_gives_each_role_exactly_what_it_may() {
    let w = world();
    let mut n = 0;
    let mut covered = BTreeSet::new();
    let mut failures = Vec::new();
    for (role_index, role) in ROLES.iter().enumerate() {
        // Fresh rows per role, so each role's writes use their own unique names.
        for (method, route, path, body, expected) in rows(&w, &mut n) {
            covered.insert(format!("{} {}", method.to_lowercase(), route));
            let (_, client) = w.clients.iter().find(|(r, _)| r == role).unwrap();
            let response = client.request(method, &path, body.as_ref().map(|b| b.to_string()).as_deref());
            if response.status != expected[role_index] {
                failures.push(format!(
                    "{role} {method} {path}: expected {}, got {} {}",
                    expected[role_index], response.status, response.body
                ));
            }
            // A viewer reads aggregates only, and a refusal tells nothing about whom it refused.
            let body = response.body.to_lowercase();
            if (*role == "viewer" || response.status >= 400)
                && ["rosa", "juan", "quispe"].iter().any(|n| body.contains(n))
            {
                failures.push(format!(
                    "{role} {method} {path}: {} names a member: {}",
                    response.status, response.body
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // DELETE /auth/token: everyone signed in may revoke their own token.
    covered.insert("delete /api/v1/auth/token".into());
    covered.insert("post /api/v1/auth/token".into());
    for (role, client) in &w.clients {
        let expected = if *role == "anonymous" { 401 } else { 204 };
        assert_eq!(client.delete("/api/v1/auth/token").status, expected, "{role}");
    }

    // Every API route the router serves has a row here, and the OpenAPI document lists exactly
    // the router's routes: a route registered without a row, or undocumented, fails.
    let served: BTreeSet<String> = pallay::route_table()
        .into_iter()
        .filter(|(_, path)| path.starts_with("/api/v1/"))
        .map(|(method, path)| format!("{} {path}", method.to_lowercase()))
        .collect();
    assert!(served.len() > 40, "the router's table: {served:?}");
    let missing: Vec<_> = served.difference(&covered).collect();
    assert!(missing.is_empty(), "routes missing from the matrix: {missing:?}");
    let doc = w.app.api().get("/api/openapi.json").json();
    let mut documented = BTreeSet::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in item.as_object().unwrap().keys() {
            documented.insert(format!("{method} {path}"));
        }
    }
    assert_eq!(documented, served, "the OpenAPI document, then the router");
}

#[test]
fn a_member_lists_only_herself() {
    let w = world();
    let (_, member) = w.clients.iter().find(|(r, _)| *r == "member").unwrap();
    let list = member.get("/api/v1/members").json();
    assert_eq!(list["total"], 1);
    assert_eq!(list["items"][0]["id"], w.member_a);
    let (_, coordinator) = w.clients.iter().find(|(r, _)| *r == "coordinator").unwrap();
    let list = coordinator.get("/api/v1/members").json();
    assert_eq!(list["total"], 1, "a coordinator lists only her organisations' members");
    assert_eq!(
        list["items"][0]["id"], w.member_a,
        "not {} of the other organisation",
        w.member_b
    );
}
