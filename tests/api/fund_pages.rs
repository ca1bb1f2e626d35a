use pallay::auth::policy::Role;
use serde_json::json;

use crate::browser::{csrf_token, Browser};
use crate::fund_helpers::{day, fund_with_cash};
use crate::helpers::PASSWORD;

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("no hidden {name}")) + marker.len();
    html[at..].split('"').next().unwrap().to_string()
}

fn signed_in(f: &crate::fund_helpers::Fund, role: Role, orgs: Vec<i64>, member: Option<i64>) -> Browser {
    let user = f.app.create_user(role, orgs, member);
    let mut browser = f.app.browser();
    assert_eq!(browser.login(&user.username, PASSWORD).status, 303);
    browser
}

#[test]
fn a_coordinator_runs_a_loan_in_the_browser_and_a_double_click_posts_once() {
    let f = fund_with_cash("2000.00");
    let mut maker = signed_in(&f, Role::Coordinator, vec![f.org], None);
    let mut checker = signed_in(&f, Role::Coordinator, vec![f.org], None);
    let fund_page = maker.get(&format!("/funds/{}", f.fund));
    assert!(fund_page.body.contains("2000.00"), "the dashboard shows the cash");

    // Request: the first post shows the schedule, the second saves it.
    let new = format!("/loans/new?fund_id={}", f.fund);
    let (fund, member) = (f.fund.to_string(), f.member.to_string());
    let first_due = day(30);
    let fields = [
        ("fund_id", fund.as_str()),
        ("member_id", member.as_str()),
        ("principal", "300"),
        ("interest_method", "flat"),
        ("rate_per_period", "2"),
        ("periods", "3"),
        ("frequency", "monthly"),
        ("first_due_date", first_due.as_str()),
        ("grace_periods", "0"),
        ("purpose", "crianza de cuyes"),
    ];
    let preview = maker.submit(&new, "/loans", &fields);
    assert_eq!(preview.status, 200);
    assert!(
        preview.body.contains("106.00") && preview.body.contains("name=\"confirm\""),
        "the schedule is shown first"
    );
    assert_eq!(f.app.count("loans"), 0, "nothing saved before confirming");
    let mut confirmed: Vec<(&str, &str)> = fields.to_vec();
    let once = hidden(&preview.body, "once");
    let seal = hidden(&preview.body, "previewed");
    let token = csrf_token(&preview.body).unwrap();
    confirmed.extend([
        ("confirm", "yes"),
        ("once", once.as_str()),
        ("previewed", seal.as_str()),
        ("csrf_token", token.as_str()),
    ]);
    // The details changed under the confirmation are not saved: the new schedule is shown.
    let tampered: Vec<(&str, &str)> = confirmed
        .iter()
        .map(|&(k, v)| if k == "principal" { (k, "900") } else { (k, v) })
        .collect();
    let shown_again = maker.post("/loans", &tampered);
    assert_eq!(shown_again.status, 200);
    assert!(
        shown_again.body.contains("S/ 900.00"),
        "the new details' schedule is shown"
    );
    assert_eq!(
        f.app.count("loans"),
        0,
        "a loan nobody saw the schedule of is not saved"
    );
    let saved = maker.post("/loans", &confirmed);
    assert_eq!(saved.status, 303);
    assert_eq!(maker.post("/loans", &confirmed).status, 303, "the same form again");
    assert_eq!(f.app.count("loans"), 1, "a resubmitted form makes one loan");
    let location = saved.header("location").unwrap().to_string();
    assert!(location.ends_with("?done=loan_requested"), "{location}");
    let landed = maker.get(&location);
    assert!(
        landed.body.contains("Solicitud registrada"),
        "she is told what happened"
    );
    let loan_path = location.split('?').next().unwrap().to_string();

    // The maker cannot approve her own request (her page says who must; a forged post is
    // refused); the checker can.
    assert!(
        !landed.body.contains("/approve\"") && landed.body.contains("otra persona debe aprobarla"),
        "no live approve button for the maker"
    );
    let token = csrf_token(&landed.body).unwrap();
    let refused = maker.post(&format!("{loan_path}/approve"), &[("csrf_token", token.as_str())]);
    assert_eq!(refused.status, 403);
    assert_eq!(
        checker.submit(&loan_path, &format!("{loan_path}/approve"), &[]).status,
        303
    );
    let today = day(0);
    let page = maker.get(&loan_path);
    let once = hidden(&page.body, "once");
    let disbursed = maker.post(
        &format!("{loan_path}/disburse"),
        &[
            ("csrf_token", &csrf_token(&page.body).unwrap()),
            ("once", &once),
            ("date", &today),
        ],
    );
    assert_eq!(disbursed.status, 303);

    // A repayment is checked first (its allocation shown), then confirmed; a double click posts once.
    let bad = maker.submit(
        &loan_path,
        &format!("{loan_path}/repayments"),
        &[("amount", "1e3"), ("date", &today)],
    );
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("value=\"1e3\"") && bad.body.contains("60,50"),
        "re-shown with its message"
    );
    let check = maker.submit(
        &loan_path,
        &format!("{loan_path}/repayments"),
        &[("amount", "106,00"), ("date", &today), ("receipt_number", "R-7")],
    );
    assert_eq!(check.status, 200);
    assert!(
        check.body.contains("S/ 6.00") && check.body.contains("S/ 100.00"),
        "the allocation is shown before posting"
    );
    let once = hidden(&check.body, "once");
    let seal = hidden(&check.body, "previewed");
    let token = csrf_token(&check.body).unwrap();
    let changed = [
        ("csrf_token", token.as_str()),
        ("amount", "212.00"),
        ("date", today.as_str()),
        ("receipt_number", "R-7"),
        ("once", once.as_str()),
        ("previewed", seal.as_str()),
        ("confirm", "yes"),
    ];
    let shown_again = maker.post(&format!("{loan_path}/repayments"), &changed);
    assert_eq!(
        shown_again.status, 200,
        "a changed repayment is checked again, not posted"
    );
    assert_eq!(f.app.count("repayments"), 0);
    let confirm = [
        ("csrf_token", token.as_str()),
        ("amount", "106,00"),
        ("date", today.as_str()),
        ("receipt_number", "R-7"),
        ("once", once.as_str()),
        ("previewed", seal.as_str()),
        ("confirm", "yes"),
    ];
    assert_eq!(maker.post(&format!("{loan_path}/repayments"), &confirm).status, 303);
    assert_eq!(maker.post(&format!("{loan_path}/repayments"), &confirm).status, 303);
    assert_eq!(f.app.count("repayments"), 1, "a double click posts once");
    let page = maker.get(&loan_path);
    assert!(page.body.contains("212.00"), "the outstanding balance: {}", page.body);
    f.assert_books_consistent();
}

#[test]
fn a_member_sees_her_balance_and_schedule_and_no_actions() {
    let f = fund_with_cash("1000.00");
    let loan = f.disbursed("200.00", "0.02", 2, -40);
    let mut herself = signed_in(&f, Role::Member, vec![], Some(f.member));
    let own = herself.get(&format!("/members/{}", f.member));
    assert!(own.body.contains("208.00"), "her balance is on her page");
    // Read again after a repayment, her page shows what she owes now, never an older snapshot
    // (her page is read on a connection the server's thread keeps between requests).
    for (paid, left) in [("28.00", "180.00"), ("30.00", "150.00")] {
        assert_eq!(f.repay(loan, paid, 0).status, 201);
        let own = herself.get(&format!("/members/{}", f.member));
        assert!(own.body.contains(left), "{paid} paid, {left} left: {}", own.body);
    }
    let loan_page = herself.get(&format!("/loans/{loan}"));
    assert_eq!(loan_page.status, 200);
    assert!(
        loan_page.body.contains("104.00") && !loan_page.body.contains("/repayments\""),
        "no forms for her"
    );
    assert_eq!(herself.get(&format!("/funds/{}", f.fund)).status, 403);
    let other = f.app.create_member(&f.admin, f.org, json!({"first_name": "Rosa"}))["id"]
        .as_i64()
        .unwrap();
    assert_eq!(herself.get(&format!("/members/{other}")).status, 404);
}

#[test]
fn a_disbursement_beyond_the_cash_is_explained_on_the_loan_page() {
    let f = fund_with_cash("100.00");
    let loan = f.request("150.00", "flat", "0", 3, 30)["id"].as_i64().unwrap();
    f.checker.post(&format!("/api/v1/loans/{loan}/approve"), &json!({}));
    let mut maker = signed_in(&f, Role::Coordinator, vec![f.org], None);
    let path = format!("/loans/{loan}");
    let response = maker.submit(&path, &format!("{path}/disburse"), &[("date", &day(0))]);
    assert_eq!(response.status, 409);
    assert!(
        response.body.contains("no tiene suficiente dinero"),
        "{}",
        response.body
    );
}

#[test]
fn the_journal_page_shows_a_balanced_trial_balance() {
    let f = fund_with_cash("500.00");
    f.disbursed("100.00", "0", 2, -5);
    let mut browser = signed_in(&f, Role::GenderStaff, vec![], None);
    let page = browser.get(&format!("/funds/{}/journal", f.fund));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Balance de comprobación") && page.body.contains("desembolso"));
    // S/ 500.00 came in, S/ 100.00 went out as a loan: cash 500 debit / 100 credit, loans 100
    // debit, capital 500 credit; both columns total 600.00.
    let rows = crate::browser::table_rows(&page.body);
    let row = |name: &str| {
        rows.iter()
            .find(|r| r.first().map(String::as_str) == Some(name))
            .unwrap_or_else(|| panic!("no row {name}: {rows:?}"))
            .clone()
    };
    assert_eq!(row("Caja")[1..], ["500.00", "100.00", "400.00"]);
    assert_eq!(row("Préstamos por cobrar")[1..], ["100.00", "0.00", "100.00"]);
    assert_eq!(row("Total")[1..3], ["600.00", "600.00"], "{rows:?}");
    // The dashboard reads as of any date: before the donor's money came in, the fund held nothing.
    let now = browser.get(&format!("/funds/{}", f.fund));
    assert!(now.body.contains("S/ 400.00"), "cash today");
    let then = browser.get(&format!("/funds/{}?as_of={}", f.fund, day(-500)));
    assert!(
        then.body.contains("S/ 0.00") && !then.body.contains("S/ 400.00"),
        "cash then"
    );
}

/// The fund's page lists a screenful of loans, newest first, with a link to the older ones; a
/// search by the borrower's full name, accents ignored, finds a loan however old it is.
#[test]
fn the_fund_page_lists_a_screenful_of_loans_and_finds_an_old_one_by_name() {
    let f = fund_with_cash("50000.00");
    let nelida = f.app.create_member(
        &f.admin,
        f.org,
        json!({"first_name": "Nélida", "last_name": "Quispe Mamani"}),
    )["id"]
        .as_i64()
        .unwrap();
    let ask = |member: i64| {
        let body = json!({"fund_id": f.fund, "member_id": member, "principal": "100", "interest_method": "flat",
                          "rate_per_period": "0.02", "periods": 2, "frequency": "monthly", "first_due_date": day(30)});
        let response = f.maker.post("/api/v1/loans", &body);
        assert_eq!(response.status, 201, "{}", response.body);
        response.json()["id"].as_i64().unwrap()
    };
    let oldest = ask(nelida);
    let newer: Vec<i64> = (0..25).map(|_| ask(f.member)).collect();
    let mut browser = signed_in(&f, Role::Coordinator, vec![f.org], None);
    let link = |loan: i64| format!("href=\"/loans/{loan}\"");

    let first = browser.get(&format!("/funds/{}", f.fund));
    assert_eq!(first.status, 200);
    assert_eq!(first.body.matches("class=\"row-link\"").count(), 25, "a screenful");
    assert!(newer.iter().all(|loan| first.body.contains(&link(*loan))));
    assert!(
        !first.body.contains(&link(oldest)),
        "the oldest is on the next screenful"
    );
    assert!(first.body.contains("Anteriores") && !first.body.contains("Más recientes"));
    let older = format!(
        "/funds/{}?q=&amp;status=&amp;as_of={}&amp;offset=25#loans",
        f.fund,
        day(0)
    );
    assert!(first.body.contains(&older), "a link to the older loans");

    let second = browser.get(&older.replace("&amp;", "&"));
    assert_eq!(second.status, 200);
    assert_eq!(second.body.matches("class=\"row-link\"").count(), 1);
    assert!(second.body.contains(&link(oldest)) && second.body.contains("Nélida Quispe Mamani"));
    assert!(second.body.contains("Más recientes") && !second.body.contains("Anteriores"));

    for q in ["nelida%20quispe", "N%C3%89LIDA%20QUISPE%20M", "n%C3%A9lida"] {
        let found = browser.get(&format!("/funds/{}?q={q}", f.fund));
        assert_eq!(found.body.matches("class=\"row-link\"").count(), 1, "{q}");
        assert!(found.body.contains(&link(oldest)), "{q}");
    }
    // An offset past every loan, however large, is an empty screenful; one that is not a number
    // is refused, naming it.
    let past = browser.get(&format!("/funds/{}?offset={}", f.fund, i64::MAX));
    assert_eq!(past.status, 200);
    assert!(past.body.matches("class=\"row-link\"").count() == 0 && past.body.contains("Más recientes"));
    let bad = browser.get(&format!("/funds/{}?offset=diez", f.fund));
    assert_eq!(bad.status, 422, "{}", bad.body);
    let none = browser.get(&format!("/funds/{}?q=rosa", f.fund));
    assert!(none.body.matches("class=\"row-link\"").count() == 0 && !none.body.contains("Anteriores"));
}

/// Lists paged by an offset answer any offset a link could carry, up to the largest number, with
/// an empty screenful instead of a failure (adding a screenful to it used to overflow).
#[test]
fn a_list_far_past_its_end_is_an_empty_page() {
    let f = fund_with_cash("1000.00");
    let loan = f.disbursed("200.00", "0.02", 2, -40);
    let mut admin = signed_in(&f, Role::Admin, vec![], None);
    for path in [
        format!("/members?offset={}", i64::MAX),
        format!("/audit?offset={}", i64::MAX),
        format!("/loans/{loan}/repayments?offset={}", i64::MAX),
        format!("/funds/{}?offset={}", f.fund, i64::MAX),
    ] {
        let page = admin.get(&path);
        assert_eq!(page.status, 200, "{path}: {}", page.body);
    }
}
