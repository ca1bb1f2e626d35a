//! The meeting's collection sheet and its batch (shared/API.md, "Collection sheet"): what each
//! borrower has due on a date, and a batch where each row is its own repayment with its own key.

use std::sync::Arc;

use pallay::auth::policy::Role;
use serde_json::{json, Value};

use crate::fund_helpers::{centimos, day, fund_with_cash, Fund};
use crate::notices::{borrower, notices};

fn receipts(f: &Fund) -> usize {
    notices(f, "channel=sms")
        .iter()
        .filter(|n| n["kind"] == "receipt")
        .count()
}

fn sheet(f: &Fund, query: &str) -> Value {
    let r = f
        .maker
        .get(&format!("/api/v1/funds/{}/collection-sheet?{query}", f.fund));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()
}

fn post(f: &Fund, body: &Value) -> crate::helpers::Response {
    f.maker.post(&format!("/api/v1/funds/{}/collections", f.fund), body)
}

fn repayments_of(f: &Fund, loan: i64) -> usize {
    f.repayments(loan).len()
}

fn another_borrower(f: &Fund, first_name: &str) -> i64 {
    f.app.create_member(&f.admin, f.org, json!({"first_name": first_name}))["id"]
        .as_i64()
        .unwrap()
}

/// A loan of `member`, requested, approved and disbursed.
fn loan_of(f: &Fund, member: i64, principal: &str, first_due: i64, grace: i64) -> i64 {
    let body = json!({"fund_id": f.fund, "member_id": member, "principal": principal,
                      "interest_method": "flat", "rate_per_period": "0.02", "periods": 4,
                      "frequency": "monthly", "first_due_date": day(first_due), "grace_periods": grace});
    let r = f.maker.post("/api/v1/loans", &body);
    assert_eq!(r.status, 201, "{}", r.body);
    let loan = r.json()["id"].as_i64().unwrap();
    f.approve_and_disburse(loan, first_due - 30);
    loan
}

/// What the loan's own page says is due by `date`: the schedule's unpaid lines due by then, and
/// the penalties it owes today (penalties fall only on installments already late).
fn due_by_the_loan_view(f: &Fund, loan: i64, date: &str) -> (i64, i64) {
    let view = f.admin.get(&format!("/api/v1/loans/{loan}")).json();
    let due: Vec<&Value> = view["schedule"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["due_date"].as_str().unwrap() <= date)
        .filter(|l| centimos(&l["total"]) > centimos(&l["paid"]))
        .collect();
    let amount: i64 = due.iter().map(|l| centimos(&l["total"]) - centimos(&l["paid"])).sum();
    (
        due.len() as i64,
        amount + centimos(&view["totals"]["outstanding_penalties"]),
    )
}

#[test]
fn the_sheet_shows_each_borrower_s_arrears_penalties_and_what_falls_due_by_the_date() {
    let f = fund_with_cash("5000.00");
    let r = f.admin.get(&format!("/api/v1/funds/{}", f.fund));
    assert_eq!(r.status, 200);
    // A fund that charges S/ 5.00 on an installment more than 3 days late.
    let r = f.admin.post(
        "/api/v1/funds",
        &json!({"organization_id": f.org, "name": "Fondo con mora", "penalty_amount": "5.00", "penalty_after_days": 3}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let fund = r.json()["id"].as_i64().unwrap();
    let r = f.maker.post(
        &format!("/api/v1/funds/{fund}/contributions"),
        &json!({"source": "donor", "amount": "5000.00", "date": day(-400)}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let f = Fund { fund, ..f };
    let zoila = another_borrower(&f, "Zoila");
    let ana = another_borrower(&f, "Ana");
    // Two installments late (one partly paid), one with a grace period, one not yet due.
    let late = loan_of(&f, f.member, "400.00", -70, 0);
    assert_eq!(f.repay(late, "30.00", -20).status, 201);
    let grace = loan_of(&f, zoila, "300.00", -40, 1);
    let future = loan_of(&f, ana, "200.00", 20, 0);

    let today = day(0);
    let s = sheet(&f, &format!("date={today}"));
    assert_eq!(s["date"], today);
    assert!(s["as_of_instant"].as_str().unwrap().ends_with('Z'));
    let names: Vec<&str> = s["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["member_name"].as_str().unwrap())
        .collect();
    assert_eq!(names.len(), 3);
    let mut sorted = names.clone();
    sorted.sort();
    assert_eq!(names, sorted, "sorted by name");
    let mut total = 0;
    for row in s["rows"].as_array().unwrap() {
        let loan = row["loan_id"].as_i64().unwrap();
        let (count, amount) = due_by_the_loan_view(&f, loan, &today);
        assert_eq!(row["installments_due"].as_i64().unwrap(), count, "loan {loan}: {row}");
        assert_eq!(centimos(&row["amount_due"]), amount, "loan {loan}: {row}");
        let view = f.admin.get(&format!("/api/v1/loans/{loan}")).json();
        assert_eq!(row["outstanding"], view["totals"]["outstanding_total"]);
        total += amount;
    }
    assert_eq!(centimos(&s["total_due"]), total);
    let row_of = |s: &Value, loan: i64| {
        s["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["loan_id"] == loan)
            .unwrap()
            .clone()
    };
    assert_eq!(
        row_of(&s, late)["installments_due"],
        3,
        "three monthly installments since day -70"
    );
    assert!(centimos(&row_of(&s, late)["amount_due"]) > 0);
    assert_eq!(row_of(&s, future)["installments_due"], 0);
    assert_eq!(row_of(&s, future)["amount_due"], "0.00");
    assert_eq!(row_of(&s, future)["next_due_date"], day(20));
    // On the grace installment only interest is due: S/ 6.00 on S/ 300 at 2 %, plus its penalty.
    let grace_view = f.admin.get(&format!("/api/v1/loans/{grace}")).json();
    assert_eq!(
        grace_view["schedule"][0]["principal"], "0.00",
        "the first installment is grace"
    );

    // A later date brings the next installment in, not yet late: no penalty on it.
    let later = f.admin.get(&format!("/api/v1/loans/{future}")).json()["schedule"][0]["due_date"]
        .as_str()
        .unwrap()
        .to_string();
    let s = f
        .admin
        .get(&format!("/api/v1/funds/{}/collection-sheet?date={later}", f.fund));
    assert_eq!(s.status, 200, "{}", s.body);
    let row = row_of(&s.json(), future);
    assert_eq!(row["installments_due"], 1);
    assert_eq!(
        row["amount_due"],
        f.admin.get(&format!("/api/v1/loans/{future}")).json()["schedule"][0]["total"]
    );

    // Of one organisation only; bad parameters are 422s naming them.
    let other = f.app.create_organization(&f.admin, "Divinas en Brillo de Oro");
    assert_eq!(sheet(&f, &format!("organization_id={other}"))["rows"], json!([]));
    for (query, field) in [
        ("date=", "date"),
        ("date=2026-2-3", "date"),
        ("organization_id=x", "organization_id"),
    ] {
        let r = f
            .maker
            .get(&format!("/api/v1/funds/{}/collection-sheet?{query}", f.fund));
        assert_eq!(r.error_fields(), vec![field], "{query}: {}", r.body);
    }
}

#[test]
fn a_batch_with_bad_rows_posts_the_good_ones_and_the_same_batch_again_posts_nothing() {
    let (f, first) = borrower("es");
    let rosa = another_borrower(&f, "Rosa");
    let second = loan_of(&f, rosa, "200.00", -5, 0);
    let batch = json!({"date": day(0), "rows": [
        {"loan_id": first, "amount": "50.00", "receipt_number": "R-1", "key": "fila-1"},
        {"loan_id": second, "amount": "9999.00", "key": "fila-2"},
        {"loan_id": second, "amount": "0.00", "key": "fila-3"},
        {"loan_id": second, "amount": "abc", "key": "fila-4"},
        {"loan_id": second, "amount": "20.00", "key": "fila-5"},
    ]});
    let r = post(&f, &batch);
    assert_eq!(r.status, 200, "{}", r.body);
    let answer = r.json();
    let statuses: Vec<&str> = answer["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["posted", "refused", "skipped", "refused", "posted"]);
    assert_eq!(answer["rows"][1]["errors"][0]["field"], "rows[1].amount");
    assert_eq!(answer["rows"][1]["errors"][0]["code"], "repayment_exceeds_balance");
    assert_eq!(answer["rows"][3]["errors"][0]["field"], "rows[3].amount");
    assert_eq!(
        answer["rows"][0]["allocation"]["interest"], "6.00",
        "interest first: 2 % of 300"
    );
    assert_eq!(answer["posted_total"], "70.00");
    assert_eq!((repayments_of(&f, first), repayments_of(&f, second)), (1, 1));
    assert_eq!(receipts(&f), 1, "her receipt, once (Rosa has no phone)");

    // Sent again (a retry on a weak signal): the same rows, nothing posted twice.
    let again = post(&f, &batch).json();
    let statuses: Vec<&str> = again["rows"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["status"].as_str().unwrap())
        .collect();
    assert_eq!(statuses, ["replayed", "refused", "skipped", "refused", "replayed"]);
    assert_eq!(again["rows"][0]["repayment_id"], answer["rows"][0]["repayment_id"]);
    assert_eq!(again["rows"][0]["allocation"], answer["rows"][0]["allocation"]);
    assert_eq!(again["posted_total"], "0.00");
    assert_eq!((repayments_of(&f, first), repayments_of(&f, second)), (1, 1));
    assert_eq!(receipts(&f), 1);

    // A key used again for a different payment refuses that row only.
    let reused = post(
        &f,
        &json!({"date": day(0), "rows": [
            {"loan_id": first, "amount": "55.00", "key": "fila-1"},
            {"loan_id": second, "amount": "10.00", "key": "fila-6"},
        ]}),
    )
    .json();
    assert_eq!(reused["rows"][0]["status"], "refused");
    assert_eq!(reused["rows"][0]["errors"][0]["field"], "rows[0].key");
    assert_eq!(reused["rows"][1]["status"], "posted");
    f.assert_books_consistent();
}

#[test]
fn cash_counted_that_differs_from_the_rows_is_a_422_and_nothing_is_posted() {
    let f = fund_with_cash("2000.00");
    let loan = f.disbursed("300.00", "0", 3, -40);
    let before = f.fund_view();
    let rows =
        json!([{"loan_id": loan, "amount": "60.00", "key": "a"}, {"loan_id": loan, "amount": "40.00", "key": "b"}]);
    let r = post(&f, &json!({"date": day(0), "cash_counted": "95.00", "rows": rows}));
    assert_eq!(r.status, 422, "{}", r.body);
    assert_eq!(r.error_fields(), vec!["cash_counted"]);
    assert!(r.body.contains("5.00"), "says by how much: {}", r.body);
    assert_eq!(repayments_of(&f, loan), 0);
    assert_eq!(f.fund_view()["cash"], before["cash"]);
    for (body, field) in [
        (json!({"date": day(0), "rows": []}), "rows"),
        (json!({"date": day(1), "rows": rows}), "date"),
        (json!({"rows": rows}), "date"),
        (json!({"date": day(0), "rows": rows, "extra": 1}), "extra"),
    ] {
        assert_eq!(post(&f, &body).error_fields(), vec![field], "{body}");
    }
    let r = post(&f, &json!({"date": day(0), "cash_counted": "100.00", "rows": rows}));
    assert_eq!(r.json()["posted_total"], "100.00", "{}", r.body);
    assert_eq!(repayments_of(&f, loan), 2);
}

#[test]
fn two_coordinators_sending_the_same_loan_s_payment_at_once_never_overpay_it() {
    let f = Arc::new(fund_with_cash("2000.00"));
    let loan = f.disbursed("300.00", "0", 3, -40);
    let owed = f.admin.get(&format!("/api/v1/loans/{loan}")).json()["totals"]["outstanding_total"].clone();
    for round in 0..2 {
        let threads: Vec<_> = [f.maker.clone(), f.checker.clone()]
            .into_iter()
            .enumerate()
            .map(|(i, api)| {
                let (f, owed) = (Arc::clone(&f), owed.clone());
                std::thread::spawn(move || {
                    let body = json!({"date": day(0), "rows": [{"loan_id": loan, "amount": owed, "key": format!("k{round}{i}")}]});
                    let r = api.post(&format!("/api/v1/funds/{}/collections", f.fund), &body);
                    assert_eq!(r.status, 200, "{}", r.body);
                    r.json()["rows"][0]["status"].as_str().unwrap().to_string()
                })
            })
            .collect();
        let statuses: Vec<String> = threads.into_iter().map(|t| t.join().unwrap()).collect();
        let posted = statuses.iter().filter(|s| *s == "posted").count();
        assert_eq!(posted, usize::from(round == 0), "round {round}: {statuses:?}");
    }
    assert_eq!(repayments_of(&f, loan), 1);
    let view = f.admin.get(&format!("/api/v1/loans/{loan}")).json();
    assert_eq!(view["status"], "repaid");
    assert_eq!(view["totals"]["outstanding_total"], "0.00");
    f.assert_books_consistent();
}

#[test]
fn only_those_who_keep_the_fund_see_its_sheet_and_only_its_writers_post() {
    let f = fund_with_cash("1000.00");
    let loan = f.disbursed("300.00", "0", 3, -40);
    let other = f.app.create_organization(&f.admin, "CECOMIP");
    let (outsider, _) = f.app.login_as(Role::Coordinator, vec![other], None);
    let (staff, _) = f.app.login_as(Role::GenderStaff, vec![], None);
    let (viewer, _) = f.app.login_as(Role::Viewer, vec![], None);
    let (member, _) = f.app.login_as(Role::Member, vec![], Some(f.member));
    let sheet_path = format!("/api/v1/funds/{}/collection-sheet", f.fund);
    let post_path = format!("/api/v1/funds/{}/collections", f.fund);
    let body = json!({"date": day(0), "rows": [{"loan_id": loan, "amount": "10.00", "key": "x"}]});
    assert_eq!(staff.get(&sheet_path).status, 200);
    assert_eq!(outsider.get(&sheet_path).status, 404);
    assert_eq!(viewer.get(&sheet_path).status, 403);
    assert_eq!(member.get(&sheet_path).status, 403);
    assert_eq!(outsider.post(&post_path, &body).status, 404);
    assert_eq!(staff.post(&post_path, &body).status, 403);
    assert_eq!(member.post(&post_path, &body).status, 403);
    // A loan of another fund, sent on this fund's sheet, is refused on its row.
    let r = f.admin.post(
        "/api/v1/funds",
        &json!({"organization_id": f.org, "name": "Otro fondo"}),
    );
    let second_fund = r.json()["id"].as_i64().unwrap();
    let r = f
        .maker
        .post(&format!("/api/v1/funds/{second_fund}/collections"), &body)
        .json();
    assert_eq!(r["rows"][0]["status"], "refused");
    assert_eq!(r["rows"][0]["errors"][0]["field"], "rows[0].loan_id");
    assert_eq!(repayments_of(&f, loan), 0);
}
