//! The portfolio a server keeps between views (`src/fund/portfolio_kept.rs`): after every kind of
//! change to a fund's loans, the portfolio served is the one read afresh from the database, and the
//! fund's page shows it too.

use pallay::auth::policy::Role;
use serde_json::{json, Value};

use crate::fund_helpers::{day, fund_with, today, Fund};
use crate::helpers::PASSWORD;

/// The portfolio of today as the API serves it (kept between views), twice: the second answer is
/// the kept one.
fn served(f: &Fund) -> Value {
    let path = format!("/api/v1/funds/{}/portfolio", f.fund);
    let first = f.admin.get(&path);
    assert_eq!(first.status, 200, "{}", first.body);
    let again = f.admin.get(&path).json();
    assert_eq!(first.json(), again, "the same portfolio, asked again");
    again
}

/// The portfolio of today read from the database now, as if nothing were kept.
fn fresh(f: &Fund) -> Value {
    let mut conn = f.app.db.get().expect("conn");
    let portfolio = pallay::fund::portfolio::portfolio(&mut conn, f.fund, today()).expect("the portfolio");
    serde_json::to_value(portfolio).expect("json")
}

#[test]
fn the_kept_portfolio_follows_every_change_to_the_fund() {
    let f = fund_with("3000.00", json!({"penalty_amount": "5.00"}));
    let mut before = served(&f);
    assert_eq!(before, fresh(&f), "a fund with only its capital");
    let mut changed = |what: &str| {
        let now = served(&f);
        assert_eq!(now, fresh(&f), "after {what}: the kept portfolio is today's");
        assert_ne!(now, before, "{what} changes the portfolio (or this step tests nothing)");
        before = now;
    };

    let loan = f.request("600.00", "declining", "0.03", 6, -70)["id"].as_i64().unwrap();
    changed("a loan asked for");
    let approved = f.checker.post(&format!("/api/v1/loans/{loan}/approve"), &json!({}));
    assert_eq!(approved.status, 200, "{}", approved.body);
    changed("its approval");
    let disbursed = f
        .maker
        .post(&format!("/api/v1/loans/{loan}/disburse"), &json!({"date": day(-100)}));
    assert_eq!(disbursed.status, 200, "{}", disbursed.body);
    changed("its disbursement");
    let repaid = f.repay(loan, "150.00", -60);
    assert_eq!(repaid.status, 201, "{}", repaid.body);
    changed("a repayment");
    let repayment = repaid.json()["id"].as_i64().unwrap();
    let reversed = f.maker.post(
        &format!("/api/v1/repayments/{repayment}/reverse"),
        &json!({"reason": "recibo duplicado"}),
    );
    assert_eq!(reversed.status, 201, "{}", reversed.body);
    changed("its reversal");

    let terms = json!({"date": day(0), "rate_per_period": "0.02", "periods": 8, "frequency": "monthly",
                       "first_due_date": day(30), "grace_periods": 1, "reason": "cerraron la cancha"});
    let proposed = f.maker.post(&format!("/api/v1/loans/{loan}/reschedules"), &terms);
    assert_eq!(proposed.status, 201, "{}", proposed.body);
    let reschedule = proposed.json()["id"].as_i64().unwrap();
    let rescheduled = f
        .checker
        .post(&format!("/api/v1/reschedules/{reschedule}/approve"), &json!({}));
    assert_eq!(rescheduled.status, 200, "{}", rescheduled.body);
    changed("a reschedule");

    let other = f.request("200.00", "flat", "0", 2, 30)["id"].as_i64().unwrap();
    changed("another loan asked for");
    let rejected = f.checker.post(&format!("/api/v1/loans/{other}/reject"), &json!({}));
    assert_eq!(rejected.status, 200, "{}", rejected.body);
    changed("its rejection");
    // The fund's page shows the kept figures too: the rescheduled loan, until it is written off.
    let user = f.app.create_user(Role::Coordinator, vec![f.org], None);
    let mut browser = f.app.browser();
    assert_eq!(browser.login(&user.username, PASSWORD).status, 303);
    let mut page = || browser.get(&format!("/funds/{}", f.fund)).body;
    let rescheduled = served(&f)["rescheduled"].clone();
    let line = format!(
        "{} · S/ {}",
        rescheduled["loans"],
        rescheduled["principal"].as_str().unwrap()
    );
    let shown = page();
    assert!(shown.contains(&line), "{line} on the page: {shown}");
    let written_off = f.admin.post(
        &format!("/api/v1/loans/{loan}/write-off"),
        &json!({"date": day(0), "reason": "prueba"}),
    );
    assert_eq!(written_off.status, 200, "{}", written_off.body);
    changed("a write-off");
    assert!(!page().contains(&line), "the written-off loan is no longer on the page");

    // Money that moves no loan (a contribution) moves the fund's number but no loan's: the kept
    // portfolio is read again with no loan to read, and stays the same.
    let contribution = f.maker.post(
        &format!("/api/v1/funds/{}/contributions", f.fund),
        &json!({"source": "donor", "amount": "50.00", "date": day(0), "note": "ARM"}),
    );
    assert_eq!(contribution.status, 201, "{}", contribution.body);
    assert_eq!(served(&f), before, "after a contribution");
    assert_eq!(before, fresh(&f), "after a contribution: the kept portfolio is today's");
}
