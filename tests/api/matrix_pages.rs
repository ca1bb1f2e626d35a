//! Every page and every form, for every role: exactly what DOMAIN.md grants, and never a form
//! post without its CSRF token.

use pallay::auth::policy::Role;

use crate::helpers::PASSWORD;
use crate::matrix::{world, ROLES};

#[test]
fn every_page_gives_each_role_exactly_what_it_may() {
    let w = world();
    let (a, b) = (w.member_a, w.member_b);
    // (path, expected per role in ROLES order); anonymous visitors are sent to the login page.
    #[rustfmt::skip]
    let pages: Vec<(String, [u16; 6])> = vec![
        ("/".into(),                                  [303, 200, 200, 200, 303, 200]),
        ("/members".into(),                           [303, 200, 200, 200, 200, 403]),
        ("/members/new".into(),                       [303, 200, 403, 200, 403, 403]),
        (format!("/members/{a}"),                     [303, 200, 200, 200, 200, 403]),
        (format!("/members/{b}"),                     [303, 200, 200, 404, 404, 403]),
        (format!("/members/{a}/edit"),                [303, 200, 403, 200, 403, 403]),
        (format!("/members/{b}/edit"),                [303, 200, 403, 404, 403, 403]),
        (format!("/members/{a}/export.json"),         [303, 200, 403, 403, 200, 403]),
        ("/organizations".into(),                     [303, 200, 200, 200, 403, 403]),
        (format!("/organizations/{}/edit", w.org_a),  [303, 200, 403, 403, 403, 403]),
        ("/users".into(),                             [303, 200, 403, 403, 403, 403]),
        ("/audit".into(),                             [303, 200, 403, 403, 403, 403]),
        ("/funds".into(),                             [303, 200, 200, 200, 403, 403]),
        (format!("/funds/{}", w.fund_a),              [303, 200, 200, 200, 403, 403]),
        (format!("/funds/{}", w.fund_b),              [303, 200, 200, 404, 403, 403]),
        (format!("/funds/{}/journal", w.fund_a),      [303, 200, 200, 200, 403, 403]),
        (format!("/loans/new?fund_id={}", w.fund_a),  [303, 200, 403, 200, 403, 403]),
        (format!("/loans/{}", w.loan_b),              [303, 200, 200, 404, 404, 403]),
        ("/password".into(),                          [303, 200, 200, 200, 200, 200]),
        ("/committees".into(),                        [303, 200, 200, 200, 403, 403]),
        (format!("/committees/{}", w.committee_a),    [303, 200, 200, 200, 403, 403]),
        (format!("/committees/{}", w.committee_b),    [303, 200, 200, 404, 403, 403]),
        (format!("/committees/{}/actions.xlsx", w.committee_a), [303, 200, 200, 200, 403, 403]),
        (format!("/actions/{}", w.action_a),          [303, 200, 200, 200, 200, 403]),
        (format!("/actions/{}", w.action_b),          [303, 200, 200, 404, 404, 403]),
        ("/trainings".into(),                         [303, 200, 200, 200, 403, 403]),
        (format!("/trainings/{}", w.training_a),      [303, 200, 200, 200, 403, 403]),
        (format!("/trainings/{}", w.training_b),      [303, 200, 200, 404, 403, 403]),
        (format!("/trainings/{}/attendance", w.training_a), [303, 200, 200, 200, 403, 403]),
        (format!("/trainings/{}/attendance", w.training_b), [303, 200, 200, 404, 403, 403]),
        ("/reports/attendance".into(),                [303, 200, 200, 200, 403, 200]),
        ("/notices".into(),                           [303, 200, 403, 200, 403, 403]),
        ("/reports/donor.xlsx".into(),                [303, 200, 200, 403, 403, 200]),
        ("/import".into(),                            [303, 200, 200, 200, 403, 403]),
        ("/import/sample/members.csv".into(),         [303, 200, 403, 200, 403, 403]),
        ("/reports/attendance.xlsx".into(),           [303, 200, 200, 200, 403, 200]),
        ("/reports/attendance.csv".into(),            [303, 200, 200, 200, 403, 200]),
    ];
    let mut browsers = Vec::new();
    for role in ROLES {
        let mut browser = w.app.browser();
        if role != "anonymous" {
            let user = w.app.create_user(
                pallay::auth::policy::Role::parse(role).unwrap(),
                if role == "coordinator" { vec![w.org_a] } else { vec![] },
                (role == "member").then_some(a),
            );
            assert_eq!(browser.login(&user.username, PASSWORD).status, 303);
        }
        browsers.push(browser);
    }
    let mut failures = Vec::new();
    for (path, expected) in &pages {
        for (i, browser) in browsers.iter_mut().enumerate() {
            let r = browser.get(path);
            if r.status != expected[i] {
                failures.push(format!(
                    "{} GET {path}: expected {}, got {}",
                    ROLES[i], expected[i], r.status
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_form_post_refuses_a_missing_csrf_token() {
    let w = world();
    let user = w.app.create_user(Role::Admin, vec![], None);
    let mut browser = w.app.browser();
    browser.login(&user.username, PASSWORD);
    let a = w.member_a;
    let (org, fund, loan) = (w.org_a, w.fund_a, w.loan_b);
    // Every POST route of the pages.
    let paths = [
        "/logout".to_string(),
        "/members".into(),
        format!("/members/{a}"),
        format!("/members/{a}/anonymize"),
        "/organizations".into(),
        format!("/organizations/{org}"),
        "/users".into(),
        format!("/users/{}/disabled", user.id),
        "/funds".into(),
        format!("/funds/{fund}/contributions"),
        "/loans".into(),
        format!("/loans/{loan}/approve"),
        format!("/loans/{loan}/reject"),
        format!("/loans/{loan}/cancel"),
        format!("/loans/{loan}/disburse"),
        format!("/loans/{loan}/repayments"),
        format!("/loans/{loan}/write-off"),
        "/repayments/1/reverse".into(),
        "/password".into(),
        "/committees".into(),
        format!("/committees/{}/members", w.committee_a),
        format!("/committees/{}/meetings", w.committee_a),
        format!("/committees/{}/actions", w.committee_a),
        format!("/actions/{}/status", w.action_a),
        format!("/actions/{}/notes", w.action_a),
        "/trainings".into(),
        "/topics".into(),
        format!("/trainings/{}", w.training_a),
        format!("/trainings/{}/cancel", w.training_a),
        format!("/trainings/{}/attendance", w.training_a),
        "/notices/1/retry".into(),
        "/import/1/apply".into(),
        format!("/funds/{fund}/statements"),
    ];
    let journal_before = w.app.count("journal_entries");
    for path in paths {
        let response = browser.post(
            &path,
            &[
                ("confirm", "yes"),
                ("disabled", "true"),
                ("fund_id", "1"),
                ("loan_id", "1"),
            ],
        );
        assert_eq!(response.status, 403, "{path}");
    }
    assert_eq!(w.app.count("journal_entries"), journal_before);
    assert_eq!(browser.get("/members").status, 200, "still signed in: nothing happened");
}
