//! Bad money and bad loan requests are refused field by field, over the API and on the forms.

use pallay::auth::policy::Role;
use serde_json::json;

use crate::fund_helpers::{day, fund_with_cash};

/// Every money field of every route refuses malformed amounts, naming the field.
#[test]
fn every_money_field_refuses_what_is_not_an_amount() {
    let f = fund_with_cash("1000.00");
    let loan = f.disbursed("100.00", "0", 2, -5);
    let bad = [
        json!("1e3"),
        json!("-5"),
        json!(150),
        json!("150.001"),
        json!("١٥٠"),
        json!(""),
        json!("NaN"),
        json!("10000000.01"),
        json!("0.00"),
    ];
    let routes = [
        (
            format!("/api/v1/funds/{}/contributions", f.fund),
            json!({"source": "donor", "date": day(0)}),
            "amount",
        ),
        (
            "/api/v1/loans".to_string(),
            json!({"fund_id": f.fund, "member_id": f.member, "interest_method": "flat",
            "rate_per_period": "0", "periods": 2, "frequency": "weekly", "first_due_date": day(7)}),
            "principal",
        ),
        (
            format!("/api/v1/loans/{loan}/repayments"),
            json!({"date": day(0)}),
            "amount",
        ),
    ];
    let entries_before = f.admin.get(&format!("/api/v1/funds/{}/journal", f.fund)).json()["total"].clone();
    for (path, base, field) in &routes {
        for value in &bad {
            let mut body = base.clone();
            body[*field] = value.clone();
            let response = f.maker.post(path, &body);
            assert_eq!(
                response.error_fields(),
                vec![field.to_string()],
                "{path} {field}={value}"
            );
        }
    }
    for field in ["rounding_unit", "penalty_amount"] {
        for value in [json!("1e3"), json!(5), json!("0.001"), json!("-1")] {
            let body = json!({"organization_id": f.org, "name": "Otro", field: value});
            assert_eq!(
                f.admin.post("/api/v1/funds", &body).error_fields(),
                vec![field],
                "{field}={value}"
            );
        }
    }
    assert_eq!(
        f.admin.get(&format!("/api/v1/funds/{}/journal", f.fund)).json()["total"],
        entries_before
    );
}

#[test]
fn bad_loan_requests_are_refused_field_by_field() {
    let f = fund_with_cash("1000.00");
    let base = json!({"fund_id": f.fund, "member_id": f.member, "principal": "100.00", "interest_method": "flat",
                      "rate_per_period": "0.02", "periods": 4, "frequency": "monthly", "first_due_date": day(30)});
    let with = |k: &str, v: serde_json::Value| {
        let mut b = base.clone();
        b[k] = v;
        b
    };
    let outsider = {
        let other = f.app.create_organization(&f.admin, "CECOMIP");
        f.app
            .create_member(&f.admin, other, json!({"first_name": "Juan", "sex": "male"}))["id"]
            .as_i64()
            .unwrap()
    };
    let cases = [
        (with("interest_method", json!("compound")), "interest_method"),
        (with("rate_per_period", json!(0.02)), "rate_per_period"),
        (with("rate_per_period", json!("2")), "rate_per_period"),
        (with("periods", json!(0)), "periods"),
        (with("periods", json!("4")), "periods"),
        (with("grace_periods", json!(4)), "grace_periods"),
        (with("frequency", json!("daily")), "frequency"),
        (with("first_due_date", json!("2026-02-30")), "first_due_date"),
        (with("fund_id", json!(999_999)), "fund_id"),
        (with("member_id", json!(outsider)), "member_id"),
    ];
    for (body, field) in cases {
        assert_eq!(
            f.maker.post("/api/v1/loans", &body).error_fields(),
            vec![field],
            "{body}"
        );
    }
    assert_eq!(f.app.count("loans"), 0);
}

#[test]
fn every_money_field_of_the_forms_refuses_what_is_not_an_amount() {
    let f = fund_with_cash("1000.00");
    let loan = f.disbursed("100.00", "0", 2, -5);
    let user = f.app.create_user(Role::Coordinator, vec![f.org], None);
    let mut browser = f.app.browser();
    browser.login(&user.username, crate::helpers::PASSWORD);
    let (loan_page, fund_page) = (format!("/loans/{loan}"), format!("/funds/{}", f.fund));
    let today = day(0);
    for bad in ["1e3", "-5", "150.001", "١٥٠", "NaN", "10000000.01", "0"] {
        let r = browser.submit(
            &loan_page,
            &format!("{loan_page}/repayments"),
            &[("amount", bad), ("date", &today)],
        );
        assert_eq!(r.status, 422, "repayment {bad}");
        let r = browser.submit(
            &fund_page,
            &format!("{fund_page}/contributions"),
            &[("source", "donor"), ("amount", bad), ("date", &today)],
        );
        assert_eq!(r.status, 422, "contribution {bad}");
        assert!(
            r.body.contains("aria-invalid") || r.body.contains("class=\"error\""),
            "the message is shown"
        );
    }
    assert_eq!(f.app.count("repayments"), 0);
    // What Peruvians type is read on the pages (the API stays strict, above).
    let cash_before = f.admin.get(&format!("/api/v1/funds/{}", f.fund)).json()["cash"].clone();
    let r = browser.submit(
        &fund_page,
        &format!("{fund_page}/contributions"),
        &[("source", "donor"), ("amount", "1.234,50"), ("date", &today)],
    );
    assert_eq!(r.status, 303, "{}", r.body);
    let cash = f.admin.get(&format!("/api/v1/funds/{}", f.fund)).json()["cash"].clone();
    let centimos = |v: &serde_json::Value| pallay::money::Money::parse(v.as_str().unwrap()).unwrap().centimos();
    assert_eq!(centimos(&cash) - centimos(&cash_before), 123_450, "S/ 1,234.50 came in");
}
