//! The fund's promises one by one, each with the numbers that show it: rounding units, grace,
//! cash on the disbursement's date, SBS and ageing boundaries, past portfolios and reversals,
//! maker-checker for admins, idempotency on every money route, other organisations' loans, and
//! a repayment that stands or falls with its receipt.

use pallay::auth::policy::Role;
use serde_json::{json, Value};

use crate::fund_helpers::{day, fund_with_cash, Fund};

/// A fund of the same organisation with its own rules, S/ 1,000 in it.
fn fund_with(f: &Fund, rules: Value) -> i64 {
    let mut body = json!({"organization_id": f.org, "name": format!("Fondo {}", rules)});
    for (k, v) in rules.as_object().unwrap() {
        body[k] = v.clone();
    }
    let r = f.admin.post("/api/v1/funds", &body);
    assert_eq!(r.status, 201, "{}", r.body);
    let fund = r.json()["id"].as_i64().unwrap();
    let c = f.admin.post(
        &format!("/api/v1/funds/{fund}/contributions"),
        &json!({"source": "donor", "amount": "1000.00", "date": day(-300)}),
    );
    assert_eq!(c.status, 201, "{}", c.body);
    fund
}

fn loan_body(f: &Fund, fund: i64, principal: &str, method: &str, rate: &str, periods: i64, grace: i64) -> Value {
    json!({"fund_id": fund, "member_id": f.member, "principal": principal, "interest_method": method,
           "rate_per_period": rate, "periods": periods, "grace_periods": grace, "frequency": "monthly",
           "first_due_date": day(30)})
}

fn totals(loan: &Value) -> Vec<String> {
    loan["schedule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["total"].as_str().unwrap().to_string())
        .collect()
}

#[test]
fn a_fund_that_rounds_to_whole_soles_rounds_installments_but_not_grace_interest() {
    let f = fund_with_cash("100.00");
    let fund = fund_with(&f, json!({"rounding_unit": "1.00"}));
    let loan = f
        .maker
        .post("/api/v1/loans", &loan_body(&f, fund, "100.00", "flat", "0", 3, 0));
    assert_eq!(loan.status, 201, "{}", loan.body);
    assert_eq!(totals(&loan.json()), ["33.00", "33.00", "34.00"]);
    // Grace installments are interest only, to the céntimo: 1.23 % of 1,000 is 12.30, not 12.00.
    let graced = f.maker.post(
        "/api/v1/loans",
        &loan_body(&f, fund, "1000.00", "declining", "0.0123", 5, 2),
    );
    assert_eq!(graced.status, 201, "{}", graced.body);
    let graced = graced.json();
    for line in &graced["schedule"].as_array().unwrap()[..2] {
        assert_eq!(
            (line["principal"].as_str(), line["interest"].as_str()),
            (Some("0.00"), Some("12.30"))
        );
    }
    for line in &graced["schedule"].as_array().unwrap()[2..4] {
        assert!(line["total"].as_str().unwrap().ends_with(".00"), "{line}");
    }
    // S/ 2.00 in three installments of whole soles cannot be: refused, naming the periods.
    let tiny = f
        .maker
        .post("/api/v1/loans", &loan_body(&f, fund, "2.00", "flat", "0", 3, 0));
    assert_eq!(tiny.error_fields(), vec!["periods"]);
    assert!(tiny.body.contains("too many installments"), "{}", tiny.body);
}

#[test]
fn a_disbursement_is_refused_when_the_cash_was_short_on_its_date() {
    let f = fund_with_cash("500.00");
    let more = f.maker.post(
        &format!("/api/v1/funds/{}/contributions", f.fund),
        &json!({"source": "member", "member_id": f.member, "amount": "500.00", "date": day(-10)}),
    );
    assert_eq!(more.status, 201, "{}", more.body);
    let loan = f.request("800.00", "flat", "0", 2, 30)["id"].as_i64().unwrap();
    assert_eq!(
        f.checker
            .post(&format!("/api/v1/loans/{loan}/approve"), &json!({}))
            .status,
        200
    );
    let then = f
        .maker
        .post(&format!("/api/v1/loans/{loan}/disburse"), &json!({"date": day(-20)}));
    assert_eq!(
        then.status, 409,
        "S/ 1,000 today, but S/ 500 twenty days ago: {}",
        then.body
    );
    assert_eq!(f.fund_view()["cash"], "1000.00");
    let now = f
        .maker
        .post(&format!("/api/v1/loans/{loan}/disburse"), &json!({"date": day(-5)}));
    assert_eq!(now.status, 200, "{}", now.body);
    f.assert_books_consistent();
}

#[test]
fn no_day_is_left_short_of_cash_by_a_back_dated_disbursement_or_a_reversal() {
    let f = fund_with_cash("300.00");
    // S/ 300 lent 30 days ago and S/ 100 repaid 20 days ago: S/ 100 in hand since.
    let first = f.disbursed("300.00", "0", 3, -30);
    let paid = f.repay(first, "100.00", -20);
    assert_eq!(paid.status, 201, "{}", paid.body);
    // Lent again 10 days ago; S/ 60 came in today. S/ 100 fifteen days ago and S/ 60 today, but
    // nothing in between.
    f.disbursed("100.00", "0", 2, -10);
    let today = f.maker.post(
        &format!("/api/v1/funds/{}/contributions", f.fund),
        &json!({"source": "donor", "amount": "60.00", "date": day(0)}),
    );
    assert_eq!(today.status, 201, "{}", today.body);
    let third = f.request("50.00", "flat", "0", 2, 30)["id"].as_i64().unwrap();
    assert_eq!(
        f.checker
            .post(&format!("/api/v1/loans/{third}/approve"), &json!({}))
            .status,
        200
    );
    let back_dated = f
        .maker
        .post(&format!("/api/v1/loans/{third}/disburse"), &json!({"date": day(-15)}));
    assert_eq!(
        back_dated.status, 409,
        "enough then and now, but not in between: {}",
        back_dated.body
    );
    // Reversing the repayment would take out S/ 100 the fund lent since.
    let repayment = paid.json()["id"].as_i64().unwrap();
    let journal = f.app.count("journal_entries");
    let reversal = f.maker.post(
        &format!("/api/v1/repayments/{repayment}/reverse"),
        &json!({"reason": "no pagó"}),
    );
    assert_eq!(reversal.status, 409, "{}", reversal.body);
    assert!(reversal.body.contains("lent out since"), "{}", reversal.body);
    assert_eq!(f.app.count("journal_entries"), journal);
    // Once the money that really came in is recorded, the reversal goes through.
    let more = f.maker.post(
        &format!("/api/v1/funds/{}/contributions", f.fund),
        &json!({"source": "donor", "amount": "100.00", "date": day(0)}),
    );
    assert_eq!(more.status, 201, "{}", more.body);
    assert_eq!(
        f.maker
            .post(
                &format!("/api/v1/repayments/{repayment}/reverse"),
                &json!({"reason": "no pagó"})
            )
            .status,
        201
    );
    f.assert_books_consistent();
}

/// A one-installment loan of S/ 100 whose installment fell due `late` days ago.
fn late_loan(f: &Fund, late: i64) -> i64 {
    let loan = f.request("100.00", "flat", "0", 1, -late)["id"].as_i64().unwrap();
    assert_eq!(
        f.checker
            .post(&format!("/api/v1/loans/{loan}/approve"), &json!({}))
            .status,
        200
    );
    let r = f
        .maker
        .post(&format!("/api/v1/loans/{loan}/disburse"), &json!({"date": day(-200)}));
    assert_eq!(r.status, 200, "{}", r.body);
    loan
}

#[test]
fn sbs_grades_ageing_and_par30_fall_on_their_boundaries() {
    let f = fund_with_cash("1000.00");
    let days = [8, 9, 30, 31, 60, 61, 120, 121];
    let loans: Vec<i64> = days.iter().map(|&d| late_loan(&f, d)).collect();
    // S/ 40 paid on the 121-day loan: still late (its installment is not fully paid).
    assert_eq!(f.repay(loans[7], "40.00", 0).status, 201);
    let p = f.admin.get(&format!("/api/v1/funds/{}/portfolio", f.fund)).json();
    let count = |table: &str, bucket: &str| p[table][bucket]["loans"].as_i64().unwrap_or(-1);
    let sbs: Vec<i64> = ["normal", "cpp", "deficiente", "dudoso", "perdida"]
        .iter()
        .map(|b| count("sbs", b))
        .collect();
    assert_eq!(sbs, [1, 2, 2, 2, 1], "8 | 9 30 | 31 60 | 61 120 | 121: {p}");
    let aging: Vec<i64> = ["1_30", "31_60", "61_90", "91_180", "181_360", "over_360"]
        .iter()
        .map(|b| count("aging", b))
        .collect();
    assert_eq!(aging, [3, 2, 1, 2, 0, 0], "8 9 30 | 31 60 | 61 | 120 121: {p}");
    assert_eq!(p["sbs"]["perdida"]["principal"], "60.00");
    // More than 30 days late: 31, 60, 61, 120 (S/ 100 each) and 121 (S/ 60) of S/ 760.
    assert_eq!(p["par30"], "0.6053", "460 / 760");
    // Due by today S/ 800, collected S/ 40.
    assert_eq!(p["repayment_rate"], "0.0500");
}

#[test]
fn a_past_portfolio_counts_a_repayment_unless_it_was_reversed_by_then() {
    let f = fund_with_cash("1000.00");
    let loan = late_loan(&f, 40);
    let paid = f.repay(loan, "100.00", -30);
    assert_eq!(paid.status, 201, "{}", paid.body);
    let repayment = paid.json()["id"].as_i64().unwrap();
    let reversed = f.maker.post(
        &format!("/api/v1/repayments/{repayment}/reverse"),
        &json!({"reason": "era de otra socia"}),
    );
    assert_eq!(reversed.status, 201, "{}", reversed.body);
    let on = |offset: i64| {
        f.admin
            .get(&format!("/api/v1/funds/{}/portfolio?as_of={}", f.fund, day(offset)))
            .json()
    };
    // Twenty days ago it had been repaid, and the reversal (today) had not happened yet.
    assert_eq!(on(-20)["loans_outstanding"], 0);
    assert_eq!(on(-20)["collected_to_date"], "100.00");
    // Today the reversal counts: owed again, 40 days late.
    let today = on(0);
    assert_eq!(
        (
            today["loans_outstanding"].as_i64(),
            today["principal_outstanding"].as_str()
        ),
        (Some(1), Some("100.00"))
    );
    assert_eq!(today["sbs"]["deficiente"]["loans"], 1);
    assert_eq!(today["collected_to_date"], "0.00");
    // Before the repayment: owed, 5 days late.
    assert_eq!(on(-35)["sbs"]["normal"]["loans"], 1);
}

#[test]
fn an_admin_cannot_approve_her_own_request() {
    let f = fund_with_cash("1000.00");
    let mut body = loan_body(&f, f.fund, "100.00", "flat", "0", 2, 0);
    body["fund_id"] = json!(f.fund);
    let loan = f.admin.post("/api/v1/loans", &body);
    assert_eq!(loan.status, 201, "{}", loan.body);
    let id = loan.json()["id"].as_i64().unwrap();
    assert_eq!(
        f.admin.post(&format!("/api/v1/loans/{id}/approve"), &json!({})).status,
        403
    );
    assert_eq!(
        f.admin.post(&format!("/api/v1/loans/{id}/reject"), &json!({})).status,
        403
    );
    assert_eq!(
        f.admin.get(&format!("/api/v1/loans/{id}")).json()["status"],
        "requested"
    );
    assert_eq!(
        f.checker
            .post(&format!("/api/v1/loans/{id}/approve"), &json!({}))
            .status,
        200
    );
}

#[test]
fn a_coordinator_moves_no_money_on_another_organisations_loan() {
    let f = fund_with_cash("1000.00");
    let loan = f.disbursed("300.00", "0", 3, -10);
    let approved = f.request("100.00", "flat", "0", 2, 30)["id"].as_i64().unwrap();
    assert_eq!(
        f.checker
            .post(&format!("/api/v1/loans/{approved}/approve"), &json!({}))
            .status,
        200
    );
    let paid = f.repay(loan, "50.00", 0).json()["id"].as_i64().unwrap();
    let other_org = f.app.create_organization(&f.admin, "CECOMIP");
    let (stranger, _) = f.app.login_as(Role::Coordinator, vec![other_org], None);
    let journal = f.app.count("journal_entries");
    for (path, body) in [
        (
            format!("/api/v1/loans/{loan}/repayments"),
            json!({"amount": "10.00", "date": day(0)}),
        ),
        (format!("/api/v1/loans/{approved}/disburse"), json!({"date": day(0)})),
        (format!("/api/v1/repayments/{paid}/reverse"), json!({"reason": "no"})),
        (
            format!("/api/v1/loans/{loan}/write-off"),
            json!({"date": day(0), "reason": "no"}),
        ),
        (
            format!("/api/v1/funds/{}/contributions", f.fund),
            json!({"source": "donor", "amount": "1.00", "date": day(0)}),
        ),
    ] {
        let r = stranger.post(&path, &body);
        let expected = if path.ends_with("write-off") { 403 } else { 404 };
        assert_eq!(r.status, expected, "{path}: {}", r.body);
    }
    assert_eq!(f.app.count("journal_entries"), journal, "nothing moved");
}

/// Sends `body` to `path` twice with one key and once with the same key by another person and
/// on another route, and says how many journal entries each made.
fn entries_made(f: &Fund, who: &crate::helpers::Api, path: &str, body: &Value, key: &str) -> (u16, i64, String) {
    let before = f.app.count("journal_entries");
    let r = who.request_with_headers("POST", path, Some(&body.to_string()), &[("Idempotency-Key", key)]);
    (r.status, f.app.count("journal_entries") - before, r.body)
}

#[test]
fn every_money_route_posts_once_per_key_and_keys_belong_to_one_person_and_route() {
    let f = fund_with_cash("2000.00");
    let loan = f.disbursed("300.00", "0", 3, -10);
    let to_disburse = f.request("100.00", "flat", "0", 2, 30)["id"].as_i64().unwrap();
    assert_eq!(
        f.checker
            .post(&format!("/api/v1/loans/{to_disburse}/approve"), &json!({}))
            .status,
        200
    );
    let paid = f.repay(loan, "50.00", 0).json()["id"].as_i64().unwrap();
    let to_write_off = f.disbursed("200.00", "0", 2, -10);
    let contribution = (
        format!("/api/v1/funds/{}/contributions", f.fund),
        json!({"source": "donor", "amount": "5.00", "date": day(0)}),
    );
    let routes = [
        (&f.maker, contribution.0.clone(), contribution.1.clone()),
        (
            &f.maker,
            format!("/api/v1/loans/{to_disburse}/disburse"),
            json!({"date": day(0)}),
        ),
        (
            &f.maker,
            format!("/api/v1/repayments/{paid}/reverse"),
            json!({"reason": "doble"}),
        ),
        (
            &f.admin,
            format!("/api/v1/loans/{to_write_off}/write-off"),
            json!({"date": day(0), "reason": "se fue"}),
        ),
    ];
    for (who, path, body) in &routes {
        let (status, made, first) = entries_made(&f, who, path, body, "llave-1");
        assert!(matches!(status, 200 | 201), "{path}: {status} {first}");
        assert_eq!(made, 1, "{path}: one entry");
        let (again, made, replay) = entries_made(&f, who, path, body, "llave-1");
        assert_eq!(
            (again, made, replay),
            (status, 0, first),
            "{path}: replayed, not posted"
        );
    }
    // The same key by someone else is her own request; on another route, another request.
    let (status, made, _) = entries_made(&f, &f.checker, &contribution.0, &contribution.1, "llave-1");
    assert_eq!((status, made), (201, 1), "another person's key");
    let repay = format!("/api/v1/loans/{loan}/repayments");
    let (status, made, body) = entries_made(
        &f,
        &f.maker,
        &repay,
        &json!({"amount": "5.00", "date": day(0)}),
        "llave-1",
    );
    assert_eq!((status, made), (201, 1), "another route's key: {body}");
    f.assert_books_consistent();
}

/// A database that refuses to queue a notice, to prove a repayment stands or falls with its receipt.
fn refuse_notices(f: &Fund, refuse: bool) {
    use diesel::connection::SimpleConnection;
    let mut conn = f.app.db.get().unwrap();
    let sql = match (f.app.backend(), refuse) {
        (pallay::db::Backend::Sqlite, true) => {
            "CREATE TRIGGER test_refuse_notices BEFORE INSERT ON notices BEGIN SELECT RAISE(ABORT, 'test: no notices'); END;"
        }
        (pallay::db::Backend::Sqlite, false) => "DROP TRIGGER test_refuse_notices;",
        (pallay::db::Backend::Postgres, true) => {
            "CREATE FUNCTION test_refuse_notices() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'test: no notices'; END $$; \
             CREATE TRIGGER test_refuse_notices BEFORE INSERT ON notices FOR EACH ROW EXECUTE FUNCTION test_refuse_notices();"
        }
        (pallay::db::Backend::Postgres, false) => {
            "DROP TRIGGER test_refuse_notices ON notices; DROP FUNCTION test_refuse_notices();"
        }
    };
    conn.batch_execute(sql).unwrap();
}

#[test]
fn a_repayment_and_its_receipt_are_written_both_or_neither() {
    let (f, loan) = crate::notices::borrower("es");
    let (repayments, journal, notices) = (
        f.app.count("repayments"),
        f.app.count("journal_entries"),
        f.app.count("notices"),
    );
    refuse_notices(&f, true);
    let refused = f.repay(loan, "10.00", 0);
    assert!(refused.status >= 500, "{} {}", refused.status, refused.body);
    assert_eq!(
        (
            f.app.count("repayments"),
            f.app.count("journal_entries"),
            f.app.count("notices")
        ),
        (repayments, journal, notices),
        "no repayment without its receipt"
    );
    refuse_notices(&f, false);
    assert_eq!(f.repay(loan, "10.00", 0).status, 201);
    assert_eq!(f.app.count("repayments"), repayments + 1);
    assert!(f.app.count("notices") > notices, "and its receipt");
    f.assert_books_consistent();
}

#[test]
fn every_date_is_written_yyyy_mm_dd_and_lies_where_it_can() {
    let f = fund_with_cash("1000.00");
    let before = (f.app.count("loans"), f.app.count("journal_entries"));
    for due in [
        "+10000-01-01",
        "9999-12-31",
        "0001-01-01",
        "1900-01-01",
        "1999-12-31",
        "2026-2-3",
        "2026-02-30",
    ] {
        let mut body = loan_body(&f, f.fund, "100.00", "flat", "0", 2, 0);
        body["first_due_date"] = json!(due);
        assert_eq!(
            f.maker.post("/api/v1/loans", &body).error_fields(),
            vec!["first_due_date"],
            "{due}"
        );
    }
    let mut far = loan_body(&f, f.fund, "100.00", "flat", "0", 2, 0);
    far["first_due_date"] = json!(day(3 * 365));
    assert_eq!(
        f.maker.post("/api/v1/loans", &far).error_fields(),
        vec!["first_due_date"],
        "three years away"
    );
    for date in ["0001-01-01", "-0001-01-01", "1999-12-31", "2026-1-5", " 2026-01-05x"] {
        let r = f.maker.post(
            &format!("/api/v1/funds/{}/contributions", f.fund),
            &json!({"source": "donor", "amount": "1.00", "date": date}),
        );
        assert_eq!(r.error_fields(), vec!["date"], "{date}");
    }
    assert_eq!(
        (f.app.count("loans"), f.app.count("journal_entries")),
        before,
        "nothing written"
    );
    // The edges that are possible.
    let edge = f.maker.post(
        &format!("/api/v1/funds/{}/contributions", f.fund),
        &json!({"source": "donor", "amount": "1.00", "date": "2000-01-01"}),
    );
    assert_eq!(edge.status, 201, "{}", edge.body);
    let mut soon = loan_body(&f, f.fund, "100.00", "flat", "0", 2, 0);
    soon["first_due_date"] = json!(day(700));
    assert_eq!(f.maker.post("/api/v1/loans", &soon).status, 201);
}
