//! The collection sheet as a page, without JavaScript: type what each paid, check, confirm; a
//! confirmation sent twice posts once, and a sheet changed after its check is checked again.

use pallay::auth::policy::Role;
use serde_json::json;

use crate::browser::{csrf_token, text_of, Browser};
use crate::fund_helpers::{day, fund_with_cash, Fund};
use crate::helpers::PASSWORD;

fn signed_in(f: &Fund) -> Browser {
    let user = f.app.create_user(Role::Coordinator, vec![f.org], None);
    let mut browser = f.app.browser();
    assert_eq!(browser.login(&user.username, PASSWORD).status, 303);
    browser
}

fn hidden(html: &str, name: &str) -> String {
    let marker = format!("name=\"{name}\" value=\"");
    let at = html.find(&marker).unwrap_or_else(|| panic!("no hidden {name}")) + marker.len();
    html[at..].split('"').next().unwrap().to_string()
}

fn repayments_of(f: &Fund, loan: i64) -> usize {
    f.repayments(loan).len()
}

#[test]
fn a_coordinator_types_the_meeting_s_payments_checks_them_and_posts_each_once() {
    let f = fund_with_cash("3000.00");
    let justina = f.disbursed("300.00", "0.02", 3, -40);
    let rosa = f.app.create_member(&f.admin, f.org, json!({"first_name": "Rosa"}))["id"]
        .as_i64()
        .unwrap();
    let r = f.maker.post("/api/v1/loans", &json!({"fund_id": f.fund, "member_id": rosa, "principal": "200.00",
        "interest_method": "flat", "rate_per_period": "0", "periods": 2, "frequency": "monthly", "first_due_date": day(-10)}));
    let rosa_loan = r.json()["id"].as_i64().unwrap();
    assert_eq!(
        f.checker
            .post(&format!("/api/v1/loans/{rosa_loan}/approve"), &json!({}))
            .status,
        200
    );
    assert_eq!(
        f.maker
            .post(
                &format!("/api/v1/loans/{rosa_loan}/disburse"),
                &json!({"date": day(-40)})
            )
            .status,
        200
    );

    let mut b = signed_in(&f);
    let path = format!("/funds/{}/collection", f.fund);
    let sheet = b.get(&path);
    assert_eq!(sheet.status, 200);
    let text = text_of(&sheet.body);
    assert!(text.contains("Justina") && text.contains("Rosa"), "{text}");
    assert!(text.contains("S/ 106.00"), "Justina owes her first installment: {text}");
    let token = csrf_token(&sheet.body).unwrap();
    let (key_j, key_r) = (
        hidden(&sheet.body, &format!("key_{justina}")),
        hidden(&sheet.body, &format!("key_{rosa_loan}")),
    );
    let (amount_j, amount_r) = (format!("amount_{justina}"), format!("amount_{rosa_loan}"));
    let (kj, kr) = (format!("key_{justina}"), format!("key_{rosa_loan}"));
    let today = day(0);
    let fields = |j: &'static str, r: &'static str, cash: &'static str| -> Vec<(String, String)> {
        vec![
            ("csrf_token".into(), token.clone()),
            ("date".into(), today.clone()),
            (amount_j.clone(), j.into()),
            (amount_r.clone(), r.into()),
            (kj.clone(), key_j.clone()),
            (kr.clone(), key_r.clone()),
            ("cash_counted".into(), cash.into()),
        ]
    };
    let send = |b: &mut Browser, fields: &[(String, String)]| {
        let pairs: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        b.post(&path, &pairs)
    };

    // An amount that cannot be read, and cash that does not match: the form again, nothing posted.
    let r = send(&mut b, &fields("1.234", "", ""));
    assert_eq!(r.status, 422);
    let r = send(&mut b, &fields("106,00", "100", "200"));
    assert_eq!(r.status, 422);
    assert!(
        text_of(&r.body).contains("6.00"),
        "says the difference: {}",
        text_of(&r.body)
    );

    // The check: each row's allocation, amounts fixed, and a confirmation.
    let r = send(&mut b, &fields("106,00", "100", "206,00"));
    assert_eq!(r.status, 200, "{}", text_of(&r.body));
    let checked = text_of(&r.body);
    assert!(checked.contains("Registrar todos los pagos"), "{checked}");
    assert!(checked.contains("Interés 6.00"), "interest first: {checked}");
    let seal = hidden(&r.body, "previewed");
    let mut confirm = fields("106,00", "100", "206,00");
    confirm.push(("previewed".into(), seal.clone()));
    confirm.push(("confirm".into(), "yes".into()));

    // Changed after the check: checked again, not posted.
    let mut changed = fields("106,00", "90", "196,00");
    changed.push(("previewed".into(), seal));
    changed.push(("confirm".into(), "yes".into()));
    let r = send(&mut b, &changed);
    assert_eq!(r.status, 200);
    assert_eq!((repayments_of(&f, justina), repayments_of(&f, rosa_loan)), (0, 0));

    let r = send(&mut b, &confirm);
    assert_eq!(r.status, 200, "{}", text_of(&r.body));
    let done = text_of(&r.body);
    assert!(done.contains("Pagos registrados: 2, por S/ 206.00"), "{done}");
    assert!(done.contains("Todavía deben a la fecha"), "{done}");
    assert_eq!((repayments_of(&f, justina), repayments_of(&f, rosa_loan)), (1, 1));
    // Sent again (a reload, a double tap): the same keys, nothing posted twice.
    let r = send(&mut b, &confirm);
    assert_eq!(r.status, 200);
    assert!(
        text_of(&r.body).contains("ya estaba registrado"),
        "{}",
        text_of(&r.body)
    );
    assert_eq!((repayments_of(&f, justina), repayments_of(&f, rosa_loan)), (1, 1));
    f.assert_books_consistent();
}
