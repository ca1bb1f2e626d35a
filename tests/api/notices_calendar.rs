//! The calendar's notices: one statement a month, reminders before and after a due date, and the
//! email to whoever is responsible for a committee action.

use chrono::{Datelike, Months, NaiveDate};
use serde_json::{json, Value};

use crate::fund_helpers::{day, today, Fund};
use crate::notices::{borrower, notices, now};

/// The calendar with a statement day and reminders as given, run on one day.
fn run_calendar(f: &Fund, statement_day: u32, reminders: bool, on: NaiveDate) -> usize {
    let calendar = pallay::outbox::Calendar {
        statement_day,
        // No reminder window (0..=-1 is empty) and no arrears within the test's dates.
        reminder_days: if reminders { 3 } else { -1 },
        arrears_days: if reminders { 7 } else { 100_000 },
        action_days: 7,
    };
    let mut conn = f.app.db.get().unwrap();
    pallay::db::write_transaction(&mut conn, |c| {
        pallay::notices::schedule::queue_scheduled(c, &calendar, on, now())
    })
    .unwrap()
}

#[test]
fn a_member_gets_one_statement_a_month_whether_the_button_or_the_calendar_asks_first() {
    let (f, _) = borrower("es");
    let r = f.maker.post("/api/v1/notices/balance", &json!({"fund_id": f.fund}));
    assert_eq!(r.status, 202, "{}", r.body);
    assert_eq!(r.json()["queued"], 2, "SMS and email to the one borrower");
    let again = f.maker.post("/api/v1/notices/balance", &json!({"fund_id": f.fund}));
    assert_eq!(
        again.json()["queued"],
        0,
        "a second press in the same month queues nothing"
    );
    assert_eq!(
        f.maker.post("/api/v1/notices/balance", &json!({})).error_fields(),
        vec!["fund_id"]
    );

    // The statement day of this month (before or after today): she already has this month's.
    let this_month = today().with_day(28).unwrap();
    assert_eq!(
        run_calendar(&f, 28, false, this_month),
        0,
        "the button's statement counts for the month"
    );
    // Next month's: a new statement, once however often the calendar runs that day.
    let next_month = (today().with_day(1).unwrap() + Months::new(1)).with_day(28).unwrap();
    assert_eq!(
        run_calendar(&f, 28, false, next_month),
        2,
        "next month's statement, both channels"
    );
    assert_eq!(run_calendar(&f, 28, false, next_month), 0, "once");
    let again = f.maker.post("/api/v1/notices/balance", &json!({"fund_id": f.fund}));
    assert_eq!(again.json()["queued"], 0, "the button on the same day as the calendar");
    assert_eq!(notices(&f, "channel=sms").len(), 2, "two months, two statements by SMS");
}

#[test]
fn the_calendar_queues_each_reminder_once() {
    let (f, _) = borrower("es");
    // The first installment falls due in 20 days: 3 days before, a reminder; after 7 late days,
    // arrears. No statement day (0 is no day of the month), so only reminders are counted.
    let run = |offset: i64| run_calendar(&f, 0, true, today() + chrono::Duration::days(offset));
    let first_due = 20;
    assert_eq!(run(first_due - 5), 0);
    assert_eq!(run(first_due - 3), 2, "the due reminder, on both channels");
    assert_eq!(run(first_due - 2), 0, "once");
    assert_eq!(run(first_due + 3), 0, "not yet in arrears long enough");
    assert_eq!(run(first_due + 7), 2, "the arrears reminder");
    assert_eq!(run(first_due + 8), 0, "once per late installment");
    let arrears = notices(&f, "channel=sms");
    let body = arrears[0]["body"].as_str().unwrap();
    assert!(body.contains("vencido hace 7 dias"), "{body}");
    assert_eq!(
        arrears.len(),
        2,
        "the due reminder and the arrears reminder, nothing else"
    );
}

#[test]
fn the_person_responsible_for_an_action_gets_an_email_before_it_is_due() {
    let (f, _) = borrower("es");
    let committee = f
        .admin
        .post(
            "/api/v1/committees",
            &json!({"organization_id": f.org, "name": "Comité de género"}),
        )
        .json()["id"]
        .as_i64()
        .unwrap();
    let r = f.admin.post(
        &format!("/api/v1/committees/{committee}/actions"),
        &json!({"description": "Guardería en la planta", "responsible_member_id": f.member, "due_date": day(5)}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let mut conn = f.app.db.get().unwrap();
    let calendar = pallay::outbox::Calendar {
        statement_day: 28,
        ..Default::default()
    };
    let queued = pallay::db::write_transaction(&mut conn, |c| {
        pallay::notices::schedule::queue_scheduled(c, &calendar, today(), now())
    })
    .unwrap();
    drop(conn);
    let emails: Vec<Value> = notices(&f, "channel=email")
        .into_iter()
        .filter(|n| n["kind"] == "action_due")
        .collect();
    assert_eq!(emails.len(), 1, "{queued} queued");
    assert!(emails[0]["body"].as_str().unwrap().contains("Guardería en la planta"));
    assert!(
        notices(&f, "channel=sms").iter().all(|n| n["kind"] != "action_due"),
        "by email only"
    );
}
