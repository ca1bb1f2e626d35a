//! A loan's life beyond the plan (issue 17): paying off early, and closing a fund's books so the
//! past no longer moves.

use pallay::auth::policy::Role;
use serde_json::{json, Value};

use crate::fund_helpers::{centimos, day, fund_with_cash, Fund};
use crate::helpers::PASSWORD;

/// S/ 600 at 3 % a month over 6 months on a declining balance, disbursed `disbursed` days from today
/// (its first installment a month later).
fn declining(f: &Fund, disbursed: i64) -> i64 {
    let loan = f.request("600.00", "declining", "0.03", 6, disbursed + 30)["id"]
        .as_i64()
        .unwrap();
    f.approve_and_disburse(loan, disbursed);
    loan
}

fn interest_of(schedule: &Value) -> i64 {
    schedule
        .as_array()
        .unwrap()
        .iter()
        .map(|i| centimos(&i["interest"]))
        .sum()
}

#[test]
fn paying_a_declining_loan_off_early_waives_the_interest_not_yet_due_and_a_reversal_restores_it() {
    let f = fund_with_cash("2000.00");
    let loan = declining(&f, -45); // the first installment fell due 15 days ago, unpaid
    let before = f.maker.get(&format!("/api/v1/loans/{loan}")).json();
    let first_interest = centimos(&before["schedule"][0]["interest"]);
    assert_eq!(first_interest, 1_800, "600.00 × 3 %");

    let quote = f.maker.get(&format!("/api/v1/loans/{loan}/payoff")).json();
    assert_eq!(quote["date"], day(0));
    assert_eq!(quote["interest_method"], "declining");
    assert_eq!(quote["principal"], "600.00", "nothing paid yet");
    assert_eq!(quote["interest"], "18.00", "only the installment already due");
    assert_eq!(
        centimos(&quote["waived_interest"]),
        interest_of(&before["schedule"]) - first_interest,
        "the rest of the plan's interest"
    );
    assert_eq!(
        centimos(&quote["total"]),
        centimos(&quote["principal"]) + centimos(&quote["interest"]) + centimos(&quote["penalties"])
    );
    // The borrower may ask too (her own loan).
    let (borrower, _) = f.app.login_as(Role::Member, vec![], Some(f.member));
    assert_eq!(borrower.get(&format!("/api/v1/loans/{loan}/payoff")).status, 200);

    let paid = f.repay(loan, quote["total"].as_str().unwrap(), 0);
    assert_eq!(paid.status, 201, "{}", paid.body);
    assert_eq!(paid.json()["loan"]["status"], "repaid", "the payoff settles the loan");
    assert_eq!(paid.json()["allocation"]["interest"], "18.00");
    assert_eq!(
        f.fund_view()["interest_income"],
        "18.00",
        "interest is income when paid"
    );
    let after = f.maker.get(&format!("/api/v1/loans/{loan}")).json();
    assert_eq!(
        interest_of(&after["schedule"]),
        first_interest,
        "the future interest waived in the plan"
    );
    f.assert_books_consistent();

    // Undone (typed by mistake): the plan owes its interest again, as before the payment.
    let id = paid.json()["id"].as_i64().unwrap();
    let r = f
        .maker
        .post(&format!("/api/v1/repayments/{id}/reverse"), &json!({"reason": "error"}));
    assert_eq!(r.status, 201, "{}", r.body);
    let restored = f.maker.get(&format!("/api/v1/loans/{loan}")).json();
    assert_eq!(restored["status"], "disbursed");
    assert_eq!(restored["schedule"], before["schedule"], "the whole plan is back");
    f.assert_books_consistent();

    // Less than the payoff is an ordinary repayment: nothing waived.
    assert_eq!(f.repay(loan, "100.00", 0).status, 201);
    let partial = f.maker.get(&format!("/api/v1/loans/{loan}")).json();
    assert_eq!(interest_of(&partial["schedule"]), interest_of(&before["schedule"]));
}

#[test]
fn a_flat_loan_owes_its_agreed_interest_and_a_quote_has_its_limits() {
    let f = fund_with_cash("2000.00");
    let loan = f.disbursed("300.00", "0.02", 3, -10);
    let quote = f.maker.get(&format!("/api/v1/loans/{loan}/payoff")).json();
    assert_eq!(quote["interest_method"], "flat");
    assert_eq!(quote["interest"], "18.00", "all of it: 300.00 × 2 % × 3");
    assert_eq!(quote["waived_interest"], "0.00");
    assert_eq!(quote["total"], "318.00");
    let ahead = f.maker.get(&format!("/api/v1/loans/{loan}/payoff?date={}", day(60)));
    assert_eq!(ahead.status, 200, "a date ahead: what she would owe then");
    for bad in [day(-11), day(400), "2026-2-3".into(), String::new()] {
        let r = f.maker.get(&format!("/api/v1/loans/{loan}/payoff?date={bad}"));
        assert_eq!(r.error_fields(), vec!["date"], "{bad}: {}", r.body);
    }
    let requested = f.request("100.00", "flat", "0.02", 2, 30)["id"].as_i64().unwrap();
    assert_eq!(f.maker.get(&format!("/api/v1/loans/{requested}/payoff")).status, 409);
    assert_eq!(f.repay(loan, "318.00", 0).json()["loan"]["status"], "repaid");
    f.assert_books_consistent();
}

#[test]
fn closed_books_refuse_anything_dated_in_them_and_their_reports_never_change() {
    let f = fund_with_cash("2000.00");
    let loan = f.disbursed("300.00", "0.02", 3, -60);
    assert_eq!(f.repay(loan, "50.00", -20).status, 201);
    // Approved, to be disbursed once the books are closed (requested now: its instant is the
    // test's real now, whatever day the suite pins as today, so it is asked for before the reports).
    let other = f.request("100.00", "flat", "0", 2, 20)["id"].as_i64().unwrap();
    assert_eq!(
        f.checker
            .post(&format!("/api/v1/loans/{other}/approve"), &json!({}))
            .status,
        200
    );
    let closed = day(-10);
    let report = |path: &str| {
        let r = f.admin.get(&format!("/api/v1/funds/{}/{path}?as_of={closed}", f.fund));
        assert_eq!(r.status, 200, "{}", r.body);
        r.json()
    };
    let (portfolio, trial_balance) = (report("portfolio"), report("trial-balance"));
    let closures = format!("/api/v1/funds/{}/closures", f.fund);

    assert_eq!(
        f.maker.post(&closures, &json!({"date": closed})).status,
        403,
        "an administrator's act"
    );
    assert_eq!(
        f.admin.post(&closures, &json!({"date": day(1)})).error_fields(),
        vec!["date"]
    );
    let closure = f.admin.post(&closures, &json!({"date": closed}));
    assert_eq!(closure.status, 201, "{}", closure.body);
    assert_eq!(closure.json()["date"], closed);

    // Every way money moves, dated on or before the closed day: 409 naming it.
    let refused = |r: crate::helpers::Response, what: &str| {
        assert_eq!(r.status, 409, "{what}: {}", r.body);
        assert!(
            r.json()["detail"].as_str().unwrap().contains(&closed),
            "{what}: {}",
            r.body
        );
    };
    refused(f.repay(loan, "10.00", -10), "a repayment on the closed day");
    refused(f.repay(loan, "10.00", -15), "a repayment before it");
    refused(
        f.maker.post(
            &format!("/api/v1/funds/{}/contributions", f.fund),
            &json!({"source": "donor", "amount": "5.00", "date": day(-30)}),
        ),
        "a contribution",
    );
    refused(
        f.maker
            .post(&format!("/api/v1/loans/{other}/disburse"), &json!({"date": day(-12)})),
        "a disbursement",
    );
    refused(
        f.admin.post(
            &format!("/api/v1/loans/{loan}/write-off"),
            &json!({"date": day(-11), "reason": "x"}),
        ),
        "a write-off",
    );
    let batch = f.maker.post(
        &format!("/api/v1/funds/{}/collections", f.fund),
        &json!({"date": closed, "rows": [{"loan_id": loan, "amount": "10.00", "key": "cerrado-1"}]}),
    );
    assert_eq!(batch.json()["rows"][0]["status"], "refused", "{}", batch.body);
    assert_eq!(batch.json()["rows"][0]["errors"][0]["code"], "books_closed");

    // After the closed day, and reversals (dated today), as always.
    let late = f.repay(loan, "20.00", -5);
    assert_eq!(late.status, 201, "{}", late.body);
    let id = late.json()["id"].as_i64().unwrap();
    assert_eq!(
        f.maker
            .post(&format!("/api/v1/repayments/{id}/reverse"), &json!({"reason": "x"}))
            .status,
        201
    );
    assert_eq!(f.repay(loan, "30.00", -9).status, 201);
    assert_eq!(
        report("portfolio"),
        portfolio,
        "the closed day's portfolio is as it was"
    );
    assert_eq!(report("trial-balance"), trial_balance, "and its trial balance");

    // Closing earlier than the closure that holds: reopen it first.
    assert_eq!(f.admin.post(&closures, &json!({"date": day(-20)})).status, 409);
    let id = closure.json()["id"].as_i64().unwrap();
    let reopen = format!("/api/v1/closures/{id}/reopen");
    assert_eq!(f.maker.post(&reopen, &json!({"reason": "x"})).status, 403);
    assert_eq!(f.admin.post(&reopen, &json!({})).error_fields(), vec!["reason"]);
    let reopened = f
        .admin
        .post(&reopen, &json!({"reason": "faltaba un recibo de octubre"}));
    assert_eq!(reopened.status, 200, "{}", reopened.body);
    assert_eq!(reopened.json()["reopen_reason"], "faltaba un recibo de octubre");
    assert_eq!(
        f.admin.post(&reopen, &json!({"reason": "otra vez"})).status,
        409,
        "no longer holds"
    );
    assert_eq!(f.repay(loan, "10.00", -10).status, 201, "open again");
    let list = f.maker.get(&closures).json();
    assert_eq!(list["total"], 1);
    assert!(list["items"][0]["reopened_at"].is_string());
    let audit = f
        .admin
        .get(&format!("/api/v1/audit?entity=fund&entity_id={}", f.fund))
        .json();
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["action"].as_str().unwrap())
        .collect();
    assert!(
        actions.contains(&"close_books") && actions.contains(&"reopen_books"),
        "{actions:?}"
    );
    f.assert_books_consistent();
}

#[test]
fn an_administrator_closes_and_reopens_the_books_from_the_fund_page() {
    let f = fund_with_cash("500.00");
    let admin = f.app.create_user(Role::Admin, vec![], None);
    let mut browser = f.app.browser();
    browser.login(&admin.username, PASSWORD);
    let page = format!("/funds/{}", f.fund);
    let closed = day(-3);
    let r = browser.submit(&page, &format!("{page}/closures"), &[("closure_date", &closed)]);
    assert_eq!(r.status, 303, "{}", r.body);
    let shown = browser.get(&format!("{page}?done=books_closed")).body;
    assert!(shown.contains("Libros cerrados"), "she is told");
    let day_shown = chrono::NaiveDate::parse_from_str(&closed, "%Y-%m-%d")
        .unwrap()
        .format("%d/%m/%Y")
        .to_string();
    assert!(shown.contains(&day_shown), "the closed day is on the page");
    // A refusal shows on the page and changes nothing.
    let r = browser.submit(&page, &format!("{page}/closures"), &[("closure_date", &day(-5))]);
    assert_eq!(r.status, 409);
    assert!(r.body.contains(&closed));
    let id = f.admin.get(&format!("/api/v1/funds/{}/closures", f.fund)).json()["items"][0]["id"].clone();
    let r = browser.submit(&page, &format!("/closures/{id}/reopen"), &[("reopen_reason", "")]);
    assert_eq!(r.status, 422, "a reason is needed");
    let r = browser.submit(
        &page,
        &format!("/closures/{id}/reopen"),
        &[("reopen_reason", "error de fecha")],
    );
    assert_eq!(r.status, 303);
    // A coordinator sees the state, not the forms.
    let coordinator = f.app.create_user(Role::Coordinator, vec![f.org], None);
    let mut other = f.app.browser();
    other.login(&coordinator.username, PASSWORD);
    let seen = other.get(&page).body;
    assert!(
        seen.contains("libros están abiertos") && !seen.contains("closure_date"),
        "{seen}"
    );
}

#[test]
fn a_loans_repayments_come_a_page_at_a_time_newest_first() {
    let f = fund_with_cash("2000.00");
    let loan = f.disbursed("300.00", "0.02", 3, -40);
    let mut ids = Vec::new();
    for (amount, day_offset) in [("10.00", -30), ("11.00", -20), ("12.00", -10)] {
        ids.push(f.repay(loan, amount, day_offset).json()["id"].as_i64().unwrap());
    }
    let r = f.maker.post(
        &format!("/api/v1/repayments/{}/reverse", ids[1]),
        &json!({"reason": "doble"}),
    );
    assert_eq!(r.status, 201);
    let reversal = r.json()["id"].clone();
    let path = format!("/api/v1/loans/{loan}/repayments");
    let first = f.maker.get(&format!("{path}?limit=2")).json();
    assert_eq!(first["total"], 3);
    let page: Vec<&Value> = first["items"].as_array().unwrap().iter().collect();
    assert_eq!(page.len(), 2);
    assert_eq!(
        (page[0]["id"].as_i64(), page[0]["amount"].as_str()),
        (Some(ids[2]), Some("12.00")),
        "newest first"
    );
    assert_eq!(page[0]["date"], day(-10));
    assert_eq!(page[1]["reversed_by"], reversal);
    assert_eq!(page[0]["reversed_by"], Value::Null);
    let rest = f.maker.get(&format!("{path}?limit=2&offset=2")).json();
    assert_eq!(rest["items"][0]["id"].as_i64(), Some(ids[0]));
    assert_eq!(
        rest["items"][0]["allocation"],
        json!({"penalties": "0.00", "interest": "6.00", "principal": "4.00"}),
        "the oldest paid the first installment's interest first"
    );
    assert_eq!(f.maker.get(&format!("{path}?limit=0")).error_fields(), vec!["limit"]);
    let (borrower, _) = f.app.login_as(Role::Member, vec![], Some(f.member));
    assert_eq!(borrower.get(&path).json()["total"], 3, "she sees her own");
}

#[test]
fn the_loan_page_shows_the_latest_payments_and_links_to_the_rest() {
    let f = fund_with_cash("2000.00");
    let loan = f.disbursed("300.00", "0.02", 3, -40);
    for i in 0..12 {
        assert_eq!(f.repay(loan, "1.00", -30 + i).status, 201);
    }
    let coordinator = f.app.create_user(Role::Coordinator, vec![f.org], None);
    let mut browser = f.app.browser();
    browser.login(&coordinator.username, PASSWORD);
    let page = browser.get(&format!("/loans/{loan}")).body;
    assert_eq!(
        page.matches("action=\"/repayments/").count(),
        10,
        "the latest ten, each reversible"
    );
    assert!(page.contains(&format!("href=\"/loans/{loan}/repayments\"")) && page.contains("(12)"));
    assert!(
        page.contains(&day(-19)) && !page.contains(&format!(">{}<", day(-30))),
        "newest first"
    );
    let all = browser.get(&format!("/loans/{loan}/repayments"));
    assert_eq!(all.status, 200);
    assert_eq!(all.body.matches("action=\"/repayments/").count(), 12, "all of them");
    assert!(all.body.contains("1–12 / 12"), "she is told which");
}

#[test]
fn an_imported_sheet_with_a_payment_in_a_closed_month_says_so_and_posts_nothing() {
    use pallay::i18n::{Lang, Tr};
    use pallay::import::{import, Kind, Listing, Mode, Request};
    let f = fund_with_cash("2000.00");
    let r = f
        .admin
        .patch(&format!("/api/v1/members/{}", f.member), &json!({"dni": "41234567"}));
    assert_eq!(r.status, 200, "{}", r.body);
    let loan = f.disbursed("300.00", "0", 3, -40);
    let closed = day(-10);
    assert_eq!(
        f.admin
            .post(&format!("/api/v1/funds/{}/closures", f.fund), &json!({"date": closed}))
            .status,
        201
    );
    let sheet = format!("DNI;Préstamo;Monto;Fecha\n41234567;{loan};10,00;{}\n", day(-12));
    let actor = f.app.create_user(Role::Admin, vec![], None);
    let mut conn = f.app.db.get().unwrap();
    let report = pallay::db::write_transaction(&mut conn, |c| {
        let request = Request {
            kind: Kind::Repayments,
            bytes: sheet.as_bytes(),
            training_id: None,
            mode: Mode::AllOrNothing,
            listing: Listing::Every,
            today: crate::fund_helpers::today(),
        };
        import(c, &actor, Tr::new(Lang::Es), request)
    })
    .unwrap();
    drop(conn);
    let said: Vec<&String> = report.rows.iter().flat_map(|r| &r.problems).collect();
    assert!(
        said.iter().any(|p| p.contains("cerrados") && p.contains(&closed)),
        "{said:?}"
    );
    assert_eq!(f.app.count("repayments"), 0);
}
