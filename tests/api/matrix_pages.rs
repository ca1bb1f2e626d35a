//! Every page and every form, for every role: exactly what DOMAIN.md grants, never a form post
//! without its CSRF token, and no name on a page a role may open but must not read names on.
//! The lists are checked against the router's own table: a page registered without a row fails.

use std::collections::BTreeSet;

use pallay::auth::policy::Role;
use serde_json::json;

use crate::browser::{csrf_token, Browser};
use crate::helpers::{Response, PASSWORD};
use crate::matrix::{failed_notice, fresh_loans, new_action, new_training, world, World, ROLES};

/// Names of the two members of the world (A: Rosa Quispe Mamani, B: Juan Quispe Mamani), in lower
/// case: none may appear on a page a viewer reads, nor on any refusal.
const NAMES: [&str; 3] = ["rosa", "juan", "quispe"];

fn browsers(w: &World) -> Vec<Browser> {
    ROLES
        .iter()
        .map(|role| {
            let mut browser = w.app.browser();
            if *role != "anonymous" {
                let user = w.app.create_user(
                    Role::parse(role).unwrap(),
                    if *role == "coordinator" { vec![w.org_a] } else { vec![] },
                    (*role == "member").then_some(w.member_a),
                );
                assert_eq!(browser.login(&user.username, PASSWORD).status, 303);
            }
            browser
        })
        .collect()
}

/// The page routes the router serves with a method, as `METHOD /path/{id}`.
fn served(method: &str) -> BTreeSet<String> {
    pallay::route_table()
        .into_iter()
        .filter(|(m, p)| m == method && !p.starts_with("/api/"))
        .map(|(_, p)| p)
        .collect()
}

/// What a response says, as text: an XLSX's cells, else the body.
fn readable(response: &Response, bytes: &[u8]) -> String {
    if bytes.starts_with(b"PK") {
        use calamine::{Reader, Xlsx};
        let mut book: Xlsx<_> = Xlsx::new(std::io::Cursor::new(bytes.to_vec())).expect("an XLSX");
        let mut text = String::new();
        for name in book.sheet_names() {
            let range = book.worksheet_range(&name).expect("a sheet");
            for cell in range.cells() {
                text.push_str(&cell.2.to_string());
                text.push(' ');
            }
        }
        text
    } else {
        response.body.clone()
    }
}

fn leaked_name(text: &str) -> Option<&'static str> {
    let text = text.to_lowercase();
    NAMES.into_iter().find(|n| text.contains(n))
}

#[test]
fn every_page_gives_each_role_exactly_what_it_may() {
    let w = world();
    let (a, b) = (w.member_a, w.member_b);
    let (ca, ta) = (w.committee_a, w.training_a);
    // (route as the router has it, path, expected per role in ROLES order); anonymous visitors are
    // sent to the login page.
    #[rustfmt::skip]
    let pages: Vec<(&str, String, [u16; 6])> = vec![
        ("/static/style.css", "/static/style.css".into(),                   [200, 200, 200, 200, 200, 200]),
        ("/login", "/login".into(),                                         [200, 303, 303, 303, 303, 303]),
        ("/lang/{code}", "/lang/en?next=/password".into(),                  [303, 303, 303, 303, 303, 303]),
        ("/", "/".into(),                                                   [303, 200, 200, 200, 303, 200]),
        ("/members", "/members".into(),                                     [303, 200, 200, 200, 200, 403]),
        ("/members/new", "/members/new".into(),                             [303, 200, 403, 200, 403, 403]),
        ("/members/{id}", format!("/members/{a}"),                          [303, 200, 200, 200, 200, 403]),
        ("/members/{id}", format!("/members/{b}"),                          [303, 200, 200, 404, 404, 403]),
        ("/members/{id}/edit", format!("/members/{a}/edit"),                [303, 200, 403, 200, 403, 403]),
        ("/members/{id}/edit", format!("/members/{b}/edit"),                [303, 200, 403, 404, 403, 403]),
        ("/members/{id}/export.json", format!("/members/{a}/export.json"),  [303, 200, 403, 403, 200, 403]),
        ("/members/{id}/export.json", format!("/members/{b}/export.json"),  [303, 200, 403, 403, 404, 403]),
        ("/members/{id}/data", format!("/members/{a}/data"),                [303, 200, 403, 403, 200, 403]),
        ("/members/{id}/data", format!("/members/{b}/data"),                [303, 200, 403, 403, 404, 403]),
        ("/organizations", "/organizations".into(),                         [303, 200, 200, 200, 403, 403]),
        ("/organizations/{id}/edit", format!("/organizations/{}/edit", w.org_a), [303, 200, 403, 403, 403, 403]),
        ("/users", "/users".into(),                                         [303, 200, 403, 403, 403, 403]),
        ("/audit", "/audit".into(),                                         [303, 200, 403, 403, 403, 403]),
        ("/funds", "/funds".into(),                                         [303, 200, 200, 200, 403, 403]),
        ("/funds/{id}", format!("/funds/{}", w.fund_a),                     [303, 200, 200, 200, 403, 403]),
        ("/funds/{id}", format!("/funds/{}", w.fund_b),                     [303, 200, 200, 404, 403, 403]),
        ("/funds/{id}/journal", format!("/funds/{}/journal", w.fund_a),     [303, 200, 200, 200, 403, 403]),
        ("/funds/{id}/collection", format!("/funds/{}/collection", w.fund_a), [303, 200, 200, 200, 403, 403]),
        ("/funds/{id}/collection", format!("/funds/{}/collection", w.fund_b), [303, 200, 200, 404, 403, 403]),
        ("/static/pallay.js", "/static/pallay.js".into(),                   [200, 200, 200, 200, 200, 200]),
        ("/static/meeting.css", "/static/meeting.css".into(),               [200, 200, 200, 200, 200, 200]),
        ("/sw.js", "/sw.js".into(),                                         [200, 200, 200, 200, 200, 200]),
        ("/offline", "/offline".into(),                                     [200, 200, 200, 200, 200, 200]),
        ("/check", "/check".into(),                                         [303, 200, 403, 403, 403, 403]),
        ("/funds/{id}/journal", format!("/funds/{}/journal", w.fund_b),     [303, 200, 200, 404, 403, 403]),
        ("/loans/new", format!("/loans/new?fund_id={}", w.fund_a),          [303, 200, 403, 200, 403, 403]),
        ("/loans/{id}", format!("/loans/{}", w.loan_b),                     [303, 200, 200, 404, 404, 403]),
        ("/loans/{id}/repayments", format!("/loans/{}/repayments", w.loan_b), [303, 200, 200, 404, 404, 403]),
        ("/loans/{id}/reschedule", format!("/loans/{}/reschedule", w.loan_b), [303, 409, 403, 404, 403, 403]),
        ("/password", "/password".into(),                                   [303, 200, 200, 200, 200, 200]),
        ("/committees", "/committees".into(),                               [303, 200, 200, 200, 403, 403]),
        ("/committees/{id}", format!("/committees/{ca}"),                   [303, 200, 200, 200, 403, 403]),
        ("/committees/{id}", format!("/committees/{}", w.committee_b),      [303, 200, 200, 404, 403, 403]),
        ("/committees/{id}/actions.{format}", format!("/committees/{ca}/actions.xlsx"), [303, 200, 200, 200, 403, 403]),
        ("/committees/{id}/actions.{format}", format!("/committees/{ca}/actions.csv"), [303, 200, 200, 200, 403, 403]),
        ("/committees/{id}/actions.{format}", format!("/committees/{}/actions.csv", w.committee_b), [303, 200, 200, 404, 403, 403]),
        ("/actions/{id}", format!("/actions/{}", w.action_a),               [303, 200, 200, 200, 200, 403]),
        ("/actions/{id}", format!("/actions/{}", w.action_b),               [303, 200, 200, 404, 404, 403]),
        ("/trainings", "/trainings".into(),                                 [303, 200, 200, 200, 403, 403]),
        ("/trainings/{id}", format!("/trainings/{ta}"),                     [303, 200, 200, 200, 403, 403]),
        ("/trainings/{id}", format!("/trainings/{}", w.training_b),         [303, 200, 200, 404, 403, 403]),
        ("/trainings/{id}/attendance", format!("/trainings/{ta}/attendance"), [303, 200, 200, 200, 403, 403]),
        ("/trainings/{id}/attendance", format!("/trainings/{}/attendance", w.training_b), [303, 200, 200, 404, 403, 403]),
        ("/reports/attendance", "/reports/attendance".into(),               [303, 200, 200, 200, 403, 200]),
        ("/reports/attendance.{format}", "/reports/attendance.xlsx".into(), [303, 200, 200, 200, 403, 200]),
        ("/reports/attendance.{format}", "/reports/attendance.csv".into(),  [303, 200, 200, 200, 403, 200]),
        ("/reports/donor.xlsx", "/reports/donor.xlsx".into(),               [303, 200, 200, 403, 403, 200]),
        ("/notices", "/notices".into(),                                     [303, 200, 403, 200, 403, 403]),
        ("/import", "/import".into(),                                       [303, 200, 200, 200, 403, 403]),
        ("/import/sample/{name}", "/import/sample/members.csv".into(),      [303, 200, 403, 200, 403, 403]),
    ];
    let missing: Vec<_> = served("GET")
        .into_iter()
        .filter(|route| !pages.iter().any(|(r, _, _)| r == route))
        .collect();
    assert!(missing.is_empty(), "pages missing from the matrix: {missing:?}");

    // The viewer's pages carry the member names to find if they leaked: a training with Rosa
    // and Juan present, a repayment in each fund.
    let admin = &w.clients[1].1;
    for (training, member) in [(ta, a), (w.training_b, b)] {
        let r = admin.request(
            "PUT",
            &format!("/api/v1/trainings/{training}/attendance"),
            Some(&json!({"entries": [{"member_id": member, "status": "present"}]}).to_string()),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }

    let mut browsers = browsers(&w);
    let mut failures = Vec::new();
    for (_, path, expected) in &pages {
        for (i, browser) in browsers.iter_mut().enumerate() {
            let (response, bytes) = browser.get_bytes(path);
            if response.status != expected[i] {
                failures.push(format!(
                    "{} GET {path}: expected {}, got {}",
                    ROLES[i], expected[i], response.status
                ));
            }
            let must_not_name = ROLES[i] == "viewer" || response.status >= 400;
            if let Some(name) = leaked_name(&readable(&response, &bytes)).filter(|_| must_not_name) {
                failures.push(format!(
                    "{} GET {path}: {} shows the name {name:?}",
                    ROLES[i], response.status
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));

    // The check above sees a name where there is one, in a page and in a spreadsheet.
    let admin = &mut browsers[1];
    let (page, bytes) = admin.get_bytes(&format!("/trainings/{ta}/attendance"));
    assert_eq!(leaked_name(&readable(&page, &bytes)), Some("rosa"));
    let (sheet, bytes) = admin.get_bytes(&format!("/committees/{ca}/actions.xlsx"));
    assert!(bytes.starts_with(b"PK"));
    assert_eq!(leaked_name(&readable(&sheet, &bytes)), Some("rosa"));
}

/// A form's fields, or an upload.
enum Form {
    Fields(Vec<(&'static str, String)>),
    Upload(&'static str, Vec<u8>),
    /// What the pages' script sends: JSON, with the page's token in `X-CSRF-Token`.
    Json(String),
}

fn fields(pairs: &[(&'static str, &str)]) -> Form {
    Form::Fields(pairs.iter().map(|(k, v)| (*k, v.to_string())).collect())
}

/// (route as the router has it, path, form, expected per role in ROLES order). Made afresh for
/// each role, so each acts on her own loans, actions and members.
type PostRow = (&'static str, String, Form, [u16; 6]);

#[rustfmt::skip]
fn post_rows(w: &World, role: &str, n: usize) -> Vec<PostRow> {
    let admin = &w.clients[1].1;
    let (a, b, org, fa, fb) = (w.member_a, w.member_b, w.org_a, w.fund_a, w.fund_b);
    let (ca, cb) = (w.committee_a, w.committee_b);
    let l = fresh_loans(w);
    let [req1, req2, req3] = l.requested;
    let fresh_member = w.app.create_member(admin, org, json!({"first_name": "Eva"}))["id"].as_i64().unwrap();
    let action_a = new_action(admin, ca, json!({"responsible_name": "Mario"}));
    let action_b = new_action(admin, cb, json!({"responsible_name": "Mario"}));
    let training_a = new_training(admin, org);
    let training_b = new_training(admin, w.org_b);
    let member = |first: &str, o: i64| fields(&[("first_name", first), ("last_name", "Mamani"), ("sex", "female"),
                                                ("language", "es"), ("organization_ids", &o.to_string())]);
    let training = |o: i64| fields(&[("title", "Taller"), ("topic", "empowerment"), ("date", "2026-11-01"),
                                     ("organization_ids", &o.to_string())]);
    let register = |m: i64| fields(&[("member_id", &m.to_string()), ("status", "present")]);
    let today = crate::fund_helpers::day(0);
    let sheet = format!("dni;prestamo;monto;fecha;recibo\n41234567;{};1,00;{today};M-{n}\n", l.disbursed);
    // The collection sheet: a payment typed for member A's loan (of fund A; fund B's sheet has no
    // such row, so there is nothing to check: 422).
    let amount_field: &'static str = Box::leak(format!("amount_{}", l.disbursed).into_boxed_str());
    let rows_body = json!({"date": "2026-03-01", "rows": [{"loan_id": l.disbursed, "amount": "1,00", "key": format!("m{n}")}]}).to_string();
    // Fund B's books closed by each role's turn a month later; the admin reopens that closure, then
    // closes them again mid-month (before the next turn's closure).
    let closure = admin.post(&format!("/api/v1/funds/{fb}/closures"), &json!({"date": format!("2025-{:02}-01", n + 1)}));
    assert_eq!(closure.status, 201, "{}", closure.body);
    let closure = closure.json()["id"].as_i64().unwrap();
    let mid_month = format!("2025-{:02}-15", n + 1);
    // Two proposals by the maker for this role's disbursed loan, dated after its payments.
    let propose = || {
        let body = json!({"date": "2026-03-02", "rate_per_period": "0.015", "periods": 4, "frequency": "monthly",
                          "first_due_date": "2026-04-02", "reason": "cerraron la cancha"});
        let r = w.maker.post(&format!("/api/v1/loans/{}/reschedules", l.disbursed), &body);
        assert_eq!(r.status, 201, "{}", r.body);
        r.json()["id"].as_i64().unwrap()
    };
    let (to_approve, to_reject) = (propose(), propose());
    //                                                                                          anon admin gender coord member viewer
    vec![
        // The login form's token is the signed-out visitor's; a session's token is not it.
        ("/login", "/login".into(), fields(&[("username", "nadie"), ("password", "x")]),         [401, 403, 403, 403, 403, 403]),
        ("/password", "/password".into(), fields(&[("current", "not it"), ("new", "x"), ("confirm", "x")]), [303, 422, 422, 422, 422, 422]),
        ("/members", "/members".into(), member(&format!("Nueva{n}"), org),                            [303, 303, 403, 303, 403, 403]),
        ("/members/{id}", format!("/members/{a}"), member("Rosa", org),                               [303, 303, 403, 303, 403, 403]),
        ("/members/{id}", format!("/members/{b}"), member("Juan", w.org_b),                               [303, 303, 403, 404, 403, 403]),
        ("/members/{id}/anonymize", format!("/members/{fresh_member}/anonymize"), fields(&[]),     [303, 303, 403, 403, 403, 403]),
        ("/members/{id}/consents", format!("/members/{a}/consents"), fields(&[("sms", "yes")]),    [303, 404, 403, 403, 303, 403]),
        ("/members/{id}/consents", format!("/members/{b}/consents"), fields(&[("sms", "yes")]),    [303, 404, 403, 403, 404, 403]),
        ("/organizations", "/organizations".into(), fields(&[("name", &format!("Org {role}")), ("kind", "association")]), [303, 303, 403, 403, 403, 403]),
        ("/organizations/{id}", format!("/organizations/{org}"), fields(&[("name", "Pallaqueras"), ("kind", "association")]), [303, 303, 403, 403, 403, 403]),
        ("/users", "/users".into(), fields(&[("username", &format!("nuevo{n}")), ("password", "una clave larga"), ("role", "viewer")]), [303, 303, 403, 403, 403, 403]),
        ("/users/{id}/disabled", format!("/users/{}/disabled", w.viewer_id), fields(&[("disabled", "false")]), [303, 303, 403, 403, 403, 403]),
        ("/funds", "/funds".into(), fields(&[("organization_id", &org.to_string()), ("name", &format!("Fondo {n}"))]), [303, 303, 403, 403, 403, 403]),
        ("/closures/{id}/reopen", format!("/closures/{closure}/reopen"), fields(&[("reopen_reason", "faltaba un recibo")]), [303, 303, 403, 403, 403, 403]),
        ("/funds/{id}/closures", format!("/funds/{fb}/closures"), fields(&[("closure_date", &mid_month)]), [303, 303, 403, 403, 403, 403]),
        ("/funds/{id}/contributions", format!("/funds/{fa}/contributions"), fields(&[("source", "donor"), ("amount", "1.00"), ("date", "2026-01-02")]), [303, 303, 403, 303, 403, 403]),
        ("/funds/{id}/contributions", format!("/funds/{fb}/contributions"), fields(&[("source", "donor"), ("amount", "1.00"), ("date", "2026-01-02")]), [303, 303, 403, 404, 403, 403]),
        ("/funds/{id}/collection", format!("/funds/{fa}/collection"), fields(&[("date", "2026-03-01"), (amount_field, "1,00")]), [303, 200, 403, 200, 403, 403]),
        ("/funds/{id}/collection", format!("/funds/{fb}/collection"), fields(&[("date", "2026-03-01"), (amount_field, "1,00")]), [303, 422, 403, 404, 403, 403]),
        ("/funds/{id}/collection/rows", format!("/funds/{fa}/collection/rows"), Form::Json(rows_body.clone()), [303, 200, 403, 200, 403, 403]),
        ("/funds/{id}/collection/rows", format!("/funds/{fb}/collection/rows"), Form::Json(rows_body), [303, 200, 403, 404, 403, 403]),
        ("/funds/{id}/statements", format!("/funds/{fa}/statements"), fields(&[]),                 [303, 303, 403, 303, 403, 403]),
        ("/funds/{id}/statements", format!("/funds/{fb}/statements"), fields(&[]),                 [303, 303, 403, 404, 403, 403]),
        ("/loans", "/loans".into(), fields(&[("fund_id", &fa.to_string()), ("member_id", &a.to_string()), ("principal", "50.00"),
            ("interest_method", "flat"), ("rate_per_period", "0"), ("periods", "2"), ("frequency", "weekly"), ("first_due_date", "2027-01-10")]),
                                                                                                   [303, 200, 403, 200, 403, 403]),
        ("/loans/{id}/approve", format!("/loans/{req1}/approve"), fields(&[]),                    [303, 303, 403, 303, 403, 403]),
        ("/loans/{id}/approve", format!("/loans/{}/approve", w.loan_b), fields(&[]),              [303, 303, 403, 404, 403, 403]),
        ("/loans/{id}/reject", format!("/loans/{req2}/reject"), fields(&[("reason", "no")]),      [303, 303, 403, 303, 403, 403]),
        ("/loans/{id}/cancel", format!("/loans/{req3}/cancel"), fields(&[("reason", "no")]),      [303, 303, 403, 303, 403, 403]),
        ("/loans/{id}/disburse", format!("/loans/{}/disburse", l.approved), fields(&[("date", "2026-03-01")]), [303, 303, 403, 303, 403, 403]),
        ("/loans/{id}/repayments", format!("/loans/{}/repayments", l.disbursed), fields(&[("amount", "5.00"), ("date", "2026-03-01")]), [303, 200, 403, 200, 403, 403]),
        ("/loans/{id}/write-off", format!("/loans/{}/write-off", l.to_write_off), fields(&[("date", "2026-10-01"), ("reason", "se fue")]), [303, 303, 403, 403, 403, 403]),
        ("/repayments/{id}/reverse", format!("/repayments/{}/reverse", l.repayment), fields(&[("reason", "error"), ("loan_id", &l.repaid_once.to_string())]), [303, 303, 403, 303, 403, 403]),
        ("/loans/{id}/reschedule", format!("/loans/{}/reschedule", l.disbursed), fields(&[("date", "2026-03-02"), ("rate_per_period", "1.5"), ("periods", "4"),
            ("frequency", "monthly"), ("first_due_date", "2026-04-02"), ("reason", "cerraron la cancha")]), [303, 303, 403, 303, 403, 403]),
        ("/reschedules/{id}/approve", format!("/reschedules/{to_approve}/approve"), fields(&[]), [303, 303, 403, 303, 403, 403]),
        ("/reschedules/{id}/reject", format!("/reschedules/{to_reject}/reject"), fields(&[]),   [303, 303, 403, 303, 403, 403]),
        ("/committees", "/committees".into(), fields(&[("organization_id", &org.to_string()), ("name", &format!("Comité {n}"))]), [303, 303, 303, 303, 403, 403]),
        ("/committees/{id}/members", format!("/committees/{ca}/members"), fields(&[("name", "Vilma Condori"), ("position", "secretaria"), ("term_start", "2026-01-01")]), [303, 303, 303, 303, 403, 403]),
        ("/committees/{id}/members", format!("/committees/{cb}/members"), fields(&[("name", "Vilma Condori"), ("position", "secretaria"), ("term_start", "2026-01-01")]), [303, 303, 303, 404, 403, 403]),
        ("/committees/{id}/meetings", format!("/committees/{ca}/meetings"), fields(&[("date", "2026-10-01"), ("minutes", "Acta")]), [303, 303, 303, 303, 403, 403]),
        ("/committees/{id}/actions", format!("/committees/{ca}/actions"), fields(&[("description", "Charla"), ("responsible_name", "Mario"), ("due_date", "2027-01-01")]), [303, 303, 303, 303, 403, 403]),
        ("/committees/{id}/actions", format!("/committees/{cb}/actions"), fields(&[("description", "Charla"), ("responsible_name", "Mario"), ("due_date", "2027-01-01")]), [303, 303, 303, 404, 403, 403]),
        ("/actions/{id}/status", format!("/actions/{action_a}/status"), fields(&[("status", "in_progress")]), [303, 303, 303, 303, 403, 403]),
        ("/actions/{id}/status", format!("/actions/{action_b}/status"), fields(&[("status", "in_progress")]), [303, 303, 303, 404, 403, 403]),
        ("/actions/{id}/notes", format!("/actions/{action_a}/notes"), fields(&[("text", "avance")]),  [303, 303, 303, 303, 403, 403]),
        ("/trainings", "/trainings".into(), training(org),                                         [303, 303, 303, 303, 403, 403]),
        ("/trainings", "/trainings".into(), training(w.org_b),                                     [303, 303, 303, 422, 403, 403]),
        ("/topics", "/topics".into(), fields(&[("key", &format!("tema_{n}")), ("name_es", "Tema"), ("name_en", "Topic")]), [303, 303, 403, 403, 403, 403]),
        ("/trainings/{id}", format!("/trainings/{training_a}"), training(org),                     [303, 303, 303, 303, 403, 403]),
        ("/trainings/{id}", format!("/trainings/{training_b}"), training(w.org_b),                 [303, 303, 303, 404, 403, 403]),
        ("/trainings/{id}/attendance", format!("/trainings/{training_a}/attendance"), register(a), [303, 303, 303, 303, 403, 403]),
        ("/trainings/{id}/attendance", format!("/trainings/{training_b}/attendance"), register(b), [303, 303, 303, 404, 403, 403]),
        ("/trainings/{id}/cancel", format!("/trainings/{training_a}/cancel"), fields(&[("reason", "lluvia")]), [303, 303, 303, 303, 403, 403]),
        ("/trainings/{id}/cancel", format!("/trainings/{training_b}/cancel"), fields(&[("reason", "lluvia")]), [303, 303, 303, 404, 403, 403]),
        ("/notices/{id}/retry", format!("/notices/{}/retry", failed_notice(&w.app, a)), fields(&[]), [303, 303, 403, 303, 403, 403]),
        ("/notices/{id}/retry", format!("/notices/{}/retry", failed_notice(&w.app, b)), fields(&[]), [303, 303, 403, 404, 403, 403]),
        // Repayments are not among the kinds gender staff may import: the form says so (422).
        ("/import", "/import".into(), Form::Upload("repayments", sheet.into_bytes()),              [303, 200, 422, 200, 403, 403]),
        ("/import/{id}/apply", "/import/999999/apply".into(), fields(&[("mode", "valid")]),        [303, 404, 404, 404, 403, 403]),
        ("/logout", "/logout".into(), fields(&[]),                                                 [303, 303, 303, 303, 303, 303]),
    ]
}

fn send(browser: &mut Browser, token: &str, path: &str, form: &Form) -> Response {
    match form {
        Form::Fields(pairs) => {
            let mut all: Vec<(&str, &str)> = vec![("csrf_token", token)];
            all.extend(pairs.iter().map(|(k, v)| (*k, v.as_str())));
            browser.post(path, &all)
        }
        Form::Upload(kind, bytes) => browser.upload_with_token(token, path, &[("kind", kind)], ("sheet.csv", bytes)),
        Form::Json(body) => browser.post_json(path, token, body),
    }
}

#[test]
fn every_form_post_gives_each_role_exactly_what_it_may_and_nothing_without_its_token() {
    let w = world();
    // Member A's DNI, for the collection sheet's rows.
    let r = w.clients[1]
        .1
        .patch(&format!("/api/v1/members/{}", w.member_a), &json!({"dni": "41234567"}));
    assert_eq!(r.status, 200, "{}", r.body);
    let mut browsers = browsers(&w);
    let mut failures = Vec::new();
    let mut covered = BTreeSet::new();
    for (i, browser) in browsers.iter_mut().enumerate() {
        let role = ROLES[i];
        let token_page = if role == "anonymous" { "/login" } else { "/password" };
        let token = csrf_token(&browser.get(token_page).body).expect("a CSRF token");
        for (route, path, form, expected) in post_rows(&w, role, i) {
            covered.insert(route);
            // Without the token (or with another session's), nothing happens, whoever asks.
            let journal_before = w.app.count("journal_entries");
            // A visitor who is not signed in is sent to sign in first.
            let forged = send(browser, "forged-token", &path, &form);
            let refused = match role {
                "anonymous" if route != "/login" => forged.status == 303 && forged.header("location") == Some("/login"),
                _ => forged.status == 403,
            };
            if !refused {
                failures.push(format!("{role} POST {path} without its token: got {}", forged.status));
            }
            assert_eq!(
                w.app.count("journal_entries"),
                journal_before,
                "{role} POST {path} without a token"
            );
            let response = send(browser, &token, &path, &form);
            if response.status != expected[i] {
                failures.push(format!(
                    "{role} POST {path}: expected {}, got {} {}",
                    expected[i],
                    response.status,
                    crate::browser::text_of(&response.body)
                        .chars()
                        .take(300)
                        .collect::<String>()
                ));
            }
            if response.status >= 400 {
                if let Some(name) = leaked_name(&response.body) {
                    failures.push(format!("{role} POST {path}: the refusal shows the name {name:?}"));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let missing: Vec<_> = served("POST")
        .into_iter()
        .filter(|route| !covered.contains(route.as_str()))
        .collect();
    assert!(missing.is_empty(), "form posts missing from the matrix: {missing:?}");
}
