//! Settled loans (`src/fund/settled.rs`): a loan repaid in full whose dates have all passed is
//! counted in its fund's running totals, and today's portfolio stays the same; a reversal of one
//! of its repayments reopens it; `pallay check` finds totals that do not match.

use diesel::connection::SimpleConnection;
use pallay::fund::portfolio::{portfolio_with, PaidAsOf};
use pallay::fund::settled::settle_all;
use pallay::maintenance::check::{check, Checks};
use serde_json::{json, Value};

use crate::fund_helpers::{fund_with_cash, today, Fund};

/// A loan lent 200 days ago over three months (its last due date 110 days ago), paid in full today.
fn repaid_loan(f: &Fund) -> (i64, i64) {
    let loan = f.disbursed("300.00", "0.02", 3, -200);
    let owed = f.admin.get(&format!("/api/v1/loans/{loan}")).json()["totals"]["outstanding_total"]
        .as_str()
        .unwrap()
        .to_string();
    let paid = f.repay(loan, &owed, 0);
    assert_eq!(paid.status, 201, "{}", paid.body);
    assert_eq!(paid.json()["loan"]["status"], "repaid", "{}", paid.body);
    (loan, paid.json()["id"].as_i64().unwrap())
}

fn portfolio(f: &Fund) -> Value {
    f.admin.get(&format!("/api/v1/funds/{}/portfolio", f.fund)).json()
}

/// Today's report summed from the repayments, with no running totals at all.
fn summed(f: &Fund) -> Value {
    let mut conn = f.app.db.get().unwrap();
    serde_json::to_value(portfolio_with(&mut conn, f.fund, today(), PaidAsOf::FromRepayments).unwrap()).unwrap()
}

fn problems(f: &Fund) -> Vec<String> {
    let mut conn = f.app.db.get().unwrap();
    check(&mut conn, &Checks { schema: true })
        .unwrap()
        .into_iter()
        .map(|p| p.to_string())
        .collect()
}

#[test]
fn a_repaid_loan_is_settled_into_the_totals_and_a_reversal_reopens_it() {
    let f = fund_with_cash("2000.00");
    let (loan, repayment) = repaid_loan(&f);
    // A loan still moving beside it: never settled.
    let moving = f.disbursed("400.00", "0", 4, -10);
    let before = portfolio(&f);
    let settled = settle_all(&mut f.app.db.get().unwrap(), today()).unwrap();
    assert_eq!(settled, 1, "the repaid loan, not the one in progress");
    assert_eq!(
        f.app
            .count_where("loans", &format!("id = {loan} AND settled_on IS NOT NULL")),
        1
    );
    assert_eq!(
        f.app
            .count_where("loans", &format!("id = {moving} AND settled_on IS NULL")),
        1
    );
    let after = portfolio(&f);
    assert_eq!(after, before, "the same report, the settled loan read from the totals");
    assert_eq!(after, summed(&f));
    assert_eq!(after["by_status"]["repaid"], 1, "{after}");
    assert_eq!(after["by_purpose"][0]["loans"], 2, "{after}");
    assert_eq!(after["due_to_date"], "318.00", "{after}");
    assert_eq!(problems(&f), Vec::<String>::new());
    assert_eq!(
        settle_all(&mut f.app.db.get().unwrap(), today()).unwrap(),
        0,
        "settled once"
    );

    // Her payment was entered by mistake: undone, the loan owes again and is no longer settled.
    let reversed = f.maker.post(
        &format!("/api/v1/repayments/{repayment}/reverse"),
        &json!({"reason": "recibo duplicado"}),
    );
    assert_eq!(reversed.status, 201, "{}", reversed.body);
    assert_eq!(
        f.app
            .count_where("loans", &format!("id = {loan} AND settled_on IS NULL")),
        1
    );
    assert_eq!(
        f.app
            .count_where("settled_loan_totals", "loans = 0 AND due = 0 AND collected = 0"),
        1
    );
    let reopened = portfolio(&f);
    assert_eq!(reopened, summed(&f));
    assert_eq!(reopened["loans_outstanding"], 2, "{reopened}");
    assert!(reopened["by_status"].get("repaid").is_none(), "{reopened}");
    assert_eq!(problems(&f), Vec::<String>::new());
    assert_eq!(
        settle_all(&mut f.app.db.get().unwrap(), today()).unwrap(),
        0,
        "it owes again"
    );
    f.assert_books_consistent();
}

#[test]
fn a_repaid_loan_with_a_date_still_ahead_is_not_settled() {
    let f = fund_with_cash("1000.00");
    // Lent 20 days ago over three months and paid off today: what falls due later is still to
    // come in the report of those days, so it waits.
    let loan = f.disbursed("300.00", "0", 3, -20);
    let owed = f.admin.get(&format!("/api/v1/loans/{loan}")).json()["totals"]["outstanding_total"]
        .as_str()
        .unwrap()
        .to_string();
    assert_eq!(f.repay(loan, &owed, 0).json()["loan"]["status"], "repaid");
    assert_eq!(settle_all(&mut f.app.db.get().unwrap(), today()).unwrap(), 0);
    assert_eq!(portfolio(&f), summed(&f));
}

#[test]
fn the_database_check_finds_settled_totals_that_do_not_match_their_loans() {
    let f = fund_with_cash("1000.00");
    let (loan, _) = repaid_loan(&f);
    settle_all(&mut f.app.db.get().unwrap(), today()).unwrap();
    assert_eq!(problems(&f), Vec::<String>::new());
    let mut conn = f.app.db.get().unwrap();
    conn.batch_execute("UPDATE settled_loan_totals SET collected = collected + 1")
        .unwrap();
    let found = problems(&f);
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(
        found[0].starts_with("settled_loans: settled_loan_totals (fund"),
        "{found:?}"
    );
    conn.batch_execute("UPDATE settled_loan_totals SET collected = collected - 1")
        .unwrap();
    // A loan marked settled that still owes.
    conn.batch_execute(&format!("UPDATE loans SET status = 'disbursed' WHERE id = {loan}"))
        .unwrap();
    let found = problems(&f);
    assert!(
        found
            .iter()
            .any(|p| p.starts_with(&format!("settled_loans: loans {loan}: settled, but"))),
        "{found:?}"
    );
}
