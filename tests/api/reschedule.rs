//! Rescheduling a loan (issue 17): proposed by one coordinator, approved by another; what is owed
//! on the date carried into the new plan exactly; the portfolio shows rescheduled loans apart.

use pallay::auth::policy::Role;
use serde_json::{json, Value};

use crate::fund_helpers::{centimos, day, fund_with, Fund};
use crate::helpers::PASSWORD;

/// A fund charging S/ 5.00 on each installment late, and a declining loan of S/ 600 at 3 % over
/// 6 months disbursed 100 days ago: the first installment paid on its day with S/ 10 more (towards
/// the second's interest), the second and third (due 40 and 10 days ago) no more.
fn late_loan() -> (Fund, i64) {
    let f = fund_with("2000.00", json!({"penalty_amount": "5.00"}));
    let loan = f.request("600.00", "declining", "0.03", 6, -70)["id"].as_i64().unwrap();
    f.approve_and_disburse(loan, -100);
    let first = centimos(&f.maker.get(&format!("/api/v1/loans/{loan}")).json()["schedule"][0]["total"]);
    let paid = f.repay(
        loan,
        &format!("{}.{:02}", (first + 1_000) / 100, (first + 1_000) % 100),
        -70,
    );
    assert_eq!(paid.status, 201, "{}", paid.body);
    (f, loan)
}

fn terms(date: i64) -> Value {
    json!({"date": day(date), "rate_per_period": "0.02", "periods": 8, "frequency": "monthly",
           "first_due_date": day(date + 30), "grace_periods": 1, "reason": "cerraron la cancha dos meses"})
}

fn sum(lines: &Value, field: &str) -> i64 {
    lines.as_array().unwrap().iter().map(|l| centimos(&l[field])).sum()
}

#[test]
fn a_reschedule_proposed_by_one_and_approved_by_another_carries_what_is_owed_exactly() {
    let (f, loan) = late_loan();
    let path = format!("/api/v1/loans/{loan}");
    let before = f.maker.get(&path).json();
    // The second installment fell due about 40 days ago (months differ in length).
    let late = before["days_past_due"].as_i64().unwrap();
    assert!((35..=45).contains(&late), "{late}");
    let payoff_before = f.maker.get(&format!("{path}/payoff")).json();
    let due_interest =
        centimos(&before["schedule"][1]["interest"]) + centimos(&before["schedule"][2]["interest"]) - 1_000;

    let proposed = f.maker.post(&format!("{path}/reschedules"), &terms(0));
    assert_eq!(proposed.status, 201, "{}", proposed.body);
    let proposed = proposed.json();
    assert_eq!(proposed["status"], "requested");
    let preview = &proposed["preview"];
    assert_eq!(preview["principal"], before["totals"]["outstanding_principal"]);
    assert_eq!(
        centimos(&preview["carried_interest"]),
        due_interest,
        "the second and third installments', less the S/ 10 paid"
    );
    assert_eq!(preview["carried_penalties"], "10.00", "two late installments");
    let plan = &preview["schedule"];
    assert_eq!(plan.as_array().unwrap().len(), 8);
    assert_eq!(
        sum(plan, "principal"),
        centimos(&preview["principal"]),
        "no céntimo created or lost"
    );
    assert_eq!(plan[0]["principal"], "0.00", "a grace period");
    assert_eq!(plan[0]["carried_penalty"], "10.00");
    // Nothing changes until another person approves.
    assert_eq!(f.maker.get(&path).json()["schedule"], before["schedule"]);
    let id = proposed["id"].as_i64().unwrap();
    assert_eq!(
        f.maker
            .post(&format!("/api/v1/reschedules/{id}/approve"), &json!({}))
            .status,
        403
    );
    let (borrower, _) = f.app.login_as(Role::Member, vec![], Some(f.member));
    assert_eq!(borrower.post(&format!("{path}/reschedules"), &terms(0)).status, 403);

    let approved = f.checker.post(&format!("/api/v1/reschedules/{id}/approve"), &json!({}));
    assert_eq!(approved.status, 200, "{}", approved.body);
    let after = approved.json();
    let record = &after["reschedules"][0];
    assert_eq!(record["id"], id);
    assert_eq!(record["reason"], "cerraron la cancha dos meses");
    assert_eq!(record["date"], day(0));
    assert!(record["requested_by"] != record["approved_by"]);
    let old: Vec<i64> = record["previous_schedule"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["number"].as_i64().unwrap())
        .collect();
    assert_eq!(old, vec![2, 3, 4, 5, 6], "the plan as it was stays readable");
    let schedule = after["schedule"].as_array().unwrap();
    assert_eq!(schedule.len(), 9, "the paid installment and the eight new ones");
    assert_eq!(
        schedule[0], before["schedule"][0],
        "paid installments stay as they were"
    );
    assert_eq!(schedule[1]["number"], 7);
    assert_eq!(after["totals"]["principal"], "600.00");
    assert_eq!(
        after["totals"]["outstanding_principal"],
        before["totals"]["outstanding_principal"]
    );
    assert_eq!(after["totals"]["outstanding_penalties"], "10.00");
    assert_eq!(after["days_past_due"], 0, "the new plan starts current");
    let payoff_after = f.maker.get(&format!("{path}/payoff")).json();
    assert_eq!(
        payoff_after["total"], payoff_before["total"],
        "what settles it today is the same"
    );
    assert_eq!(
        f.checker
            .post(&format!("/api/v1/reschedules/{id}/approve"), &json!({}))
            .status,
        409,
        "decided once"
    );

    // The old plan is closed to money: nothing dated before the reschedule, no undoing a payment
    // into installments it replaced (what they still owed was counted when it was carried).
    let early = f.repay(loan, "10.00", -5);
    assert_eq!(early.status, 422, "{}", early.body);
    assert_eq!(early.error_fields(), vec!["date"]);
    let first_repayment = f.repayments(loan)[0]["id"].as_i64().unwrap();
    let undo = f.maker.post(
        &format!("/api/v1/repayments/{first_repayment}/reverse"),
        &json!({"reason": "error"}),
    );
    assert_eq!(undo.status, 409, "{}", undo.body);

    // The new plan takes payments: penalties first, then the interest carried.
    let paid = f.repay(loan, "50.00", 0);
    assert_eq!(paid.status, 201, "{}", paid.body);
    assert_eq!(paid.json()["allocation"]["penalties"], "10.00");
    assert!(centimos(&paid.json()["allocation"]["interest"]) >= due_interest);
    f.assert_books_consistent();

    // The portfolio shows it apart; a day earlier it had not happened.
    let portfolio = |date: &str| {
        f.maker
            .get(&format!("/api/v1/funds/{}/portfolio?as_of={date}", f.fund))
            .json()
    };
    let today = portfolio(&day(0));
    assert_eq!(today["rescheduled"]["loans"], 1);
    assert_eq!(today["rescheduled"]["principal"], today["principal_outstanding"]);
    assert_eq!(today["par30"], "0.0000");
    assert_eq!(today["par30_excluding_rescheduled"], "0.0000");
    assert_eq!(
        today["sbs"]["deficiente"]["loans"], 1,
        "refinanced: graded as on its date (about 40 days late) until six installments are paid on time"
    );
    assert_eq!(today["sbs"]["normal"]["loans"], 0);
    let yesterday = portfolio(&day(-1));
    assert_eq!(yesterday["rescheduled"]["loans"], 0);
    assert_eq!(yesterday["par30"], "1.0000", "more than 30 days late the day before");
    assert_eq!(
        f.app.count_where("audit_log", "entity = 'loan_reschedule'"),
        2,
        "the proposal and the approval"
    );
}

#[test]
fn a_reschedule_is_refused_when_the_loan_or_the_date_does_not_allow_it() {
    let (f, loan) = late_loan();
    let path = format!("/api/v1/loans/{loan}/reschedules");
    let fields = |body: Value| f.maker.post(&path, &body).error_fields();
    let with = |key: &str, value: Value| {
        let mut body = terms(0);
        body[key] = value;
        body
    };
    assert_eq!(fields(with("reason", json!(""))), vec!["reason"]);
    assert_eq!(fields(with("first_due_date", json!(day(0)))), vec!["first_due_date"]);
    assert_eq!(fields(with("date", json!(day(1)))), vec!["date"], "not in the future");
    assert_eq!(fields(with("grace_periods", json!(8))), vec!["grace_periods"]);
    assert_eq!(fields(with("frequency", json!("yearly"))), vec!["frequency"]);
    assert_eq!(fields(with("interest_method", json!("flat"))), vec!["interest_method"]);
    let mut early = terms(-101);
    early["first_due_date"] = json!(day(30));
    assert_eq!(fields(early), vec!["date"], "before the disbursement");
    // A payment dated after the reschedule's date was allocated to the old plan.
    assert_eq!(f.maker.post(&path, &terms(-80)).status, 409);
    // Not a disbursed loan.
    let requested = f.request("100.00", "flat", "0.02", 4, 30)["id"].as_i64().unwrap();
    let r = f
        .maker
        .post(&format!("/api/v1/loans/{requested}/reschedules"), &terms(0));
    assert_eq!(r.status, 409, "{}", r.body);
    // Closed books.
    let closed = f.admin.post(
        &format!("/api/v1/funds/{}/closures", f.fund),
        &json!({"date": day(-10)}),
    );
    assert_eq!(closed.status, 201, "{}", closed.body);
    let r = f.maker.post(&path, &terms(-20));
    assert_eq!(r.status, 409);
    assert!(r.json()["detail"].as_str().unwrap().contains(&day(-10)), "{}", r.body);
    // Another organisation's coordinator does not see the loan.
    let other = f.app.create_organization(&f.admin, "Divinas en Brillo de Oro");
    let (stranger, _) = f.app.login_as(Role::Coordinator, vec![other], None);
    assert_eq!(stranger.post(&path, &terms(0)).status, 404);
    assert_eq!(f.app.count("loan_reschedules"), 0, "nothing refused was kept");

    // Rejected: the plan untouched; decided once.
    let before = f.maker.get(&format!("/api/v1/loans/{loan}")).json();
    let id = f.maker.post(&path, &terms(0)).json()["id"].as_i64().unwrap();
    let rejected = f.checker.post(&format!("/api/v1/reschedules/{id}/reject"), &json!({}));
    assert_eq!(rejected.status, 200, "{}", rejected.body);
    assert_eq!(rejected.json()["schedule"], before["schedule"]);
    assert_eq!(rejected.json()["reschedules"], json!([]));
    assert_eq!(
        f.checker
            .post(&format!("/api/v1/reschedules/{id}/approve"), &json!({}))
            .status,
        409
    );

    // Two proposals for the same day: the second cannot be approved after the first.
    let a = f.maker.post(&path, &terms(0)).json()["id"].as_i64().unwrap();
    let b = f.maker.post(&path, &terms(0)).json()["id"].as_i64().unwrap();
    assert_eq!(
        f.checker
            .post(&format!("/api/v1/reschedules/{a}/approve"), &json!({}))
            .status,
        200
    );
    assert_eq!(
        f.checker
            .post(&format!("/api/v1/reschedules/{b}/approve"), &json!({}))
            .status,
        409
    );
    f.assert_books_consistent();
}

#[test]
fn a_coordinator_proposes_from_the_loans_page_and_another_approves_there() {
    let (f, loan) = late_loan();
    let page = format!("/loans/{loan}");
    let form = format!("{page}/reschedule");
    let maker = f.app.create_user(Role::Coordinator, vec![f.org], None);
    let checker = f.app.create_user(Role::Coordinator, vec![f.org], None);
    let mut browser = f.app.browser();
    browser.login(&maker.username, PASSWORD);
    assert!(
        browser.get(&page).body.contains(&form),
        "the loan's page links to the form"
    );
    let mut fields = vec![
        ("date", day(0)),
        ("rate_per_period", "2".to_string()),
        ("periods", "8".to_string()),
        ("frequency", "monthly".to_string()),
        ("first_due_date", day(0)),
        ("grace_periods", "1".to_string()),
        ("reason", "cerraron la cancha".to_string()),
    ];
    let submit = |browser: &mut crate::browser::Browser, fields: &[(&'static str, String)]| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
        browser.submit(&form, &form, &pairs)
    };
    let refused = submit(&mut browser, &fields);
    assert_eq!(
        refused.status, 422,
        "the first installment falls due on the date itself"
    );
    assert!(
        refused.body.contains("después de la fecha de la reprogramación"),
        "{}",
        refused.body
    );
    assert!(refused.body.contains("cerraron la cancha"), "what she typed is kept");
    assert_eq!(f.app.count("loan_reschedules"), 0);
    fields[4].1 = day(30);
    let r = submit(&mut browser, &fields);
    assert_eq!(r.status, 303, "{}", r.body);
    let shown = browser.get(&format!("{page}?done=reschedule_requested")).body;
    assert!(shown.contains("otra persona debe aprobarla"), "she is told");
    assert!(
        shown.contains("Pasan al nuevo plan") && shown.contains("S/ 10.00"),
        "{shown}"
    );
    assert!(!shown.contains("/approve\""), "not hers to approve");

    let mut other = f.app.browser();
    other.login(&checker.username, PASSWORD);
    let id = f.app.count("loan_reschedules");
    let r = other.submit(&page, &format!("/reschedules/{id}/approve"), &[]);
    assert_eq!(r.status, 303, "{}", r.body);
    let after = other.get(&format!("{page}?done=reschedule_approved")).body;
    assert!(after.contains("nuevo plan de pagos"), "she is told");
    assert!(
        after.contains("Reprogramado el") && after.contains("Plan anterior"),
        "the old plan stays readable"
    );
    let r = other.submit(&page, &format!("/reschedules/{id}/reject"), &[]);
    assert_eq!(r.status, 409, "decided once; the page says why");
    assert!(r.body.contains("ya fue decidida"));
}

#[test]
fn the_database_check_finds_a_new_plan_that_does_not_repay_what_was_carried() {
    use diesel::connection::SimpleConnection;
    let (f, loan) = late_loan();
    let id = f
        .maker
        .post(&format!("/api/v1/loans/{loan}/reschedules"), &terms(0))
        .json()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        f.checker
            .post(&format!("/api/v1/reschedules/{id}/approve"), &json!({}))
            .status,
        200
    );
    let checks = pallay::maintenance::check::Checks { schema: true };
    let mut conn = f.app.db.get().unwrap();
    assert_eq!(pallay::maintenance::check::check(&mut conn, &checks).unwrap(), vec![]);
    conn.batch_execute(&format!(
        "UPDATE installments SET principal = principal + 10 WHERE loan_id = {loan} AND number = 9"
    ))
    .unwrap();
    let found: Vec<String> = pallay::maintenance::check::check(&mut conn, &checks)
        .unwrap()
        .into_iter()
        .map(|p| p.to_string())
        .collect();
    assert_eq!(found.len(), 1, "{found:?}");
    assert!(found[0].starts_with("reschedules: loan_reschedules"), "{found:?}");
}
