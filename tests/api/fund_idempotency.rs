//! Idempotency keys and concurrent writers: a repayment posts once, however often it is sent.

use std::sync::Arc;

use serde_json::json;

use crate::fund_helpers::{day, fund_with_cash};

#[test]
fn the_same_idempotency_key_gives_the_same_answer_and_posts_once() {
    let f = fund_with_cash("1000.00");
    let loan = f.disbursed("300.00", "0", 3, -5);
    let path = format!("/api/v1/loans/{loan}/repayments");
    let send = |body: &str, key: &str| {
        f.maker
            .request_with_headers("POST", &path, Some(body), &[("Idempotency-Key", key)])
    };
    let body = json!({"amount": "50.00", "date": day(0), "receipt_number": "R-001"}).to_string();
    let first = send(&body, "recibo-001");
    let again = send(&body, "recibo-001");
    assert_eq!(first.status, 201);
    assert_eq!((again.status, again.body.clone()), (first.status, first.body.clone()));
    let changed = json!({"amount": "60.00", "date": day(0)}).to_string();
    assert_eq!(send(&changed, "recibo-001").error_fields(), vec!["Idempotency-Key"]);
    assert_eq!(send(&body, &"k".repeat(65)).error_fields(), vec!["Idempotency-Key"]);
    assert_eq!(f.repayments(loan).len(), 1);
}

#[test]
fn fifty_concurrent_requests_with_one_key_post_once_with_identical_answers() {
    let f = Arc::new(fund_with_cash("1000.00"));
    let loan = f.disbursed("300.00", "0", 3, -5);
    let body = json!({"amount": "25.00", "date": day(0)}).to_string();
    let threads: Vec<_> = (0..50)
        .map(|_| {
            let (f, body) = (Arc::clone(&f), body.clone());
            std::thread::spawn(move || {
                let r = f.maker.request_with_headers(
                    "POST",
                    &format!("/api/v1/loans/{loan}/repayments"),
                    Some(&body),
                    &[("Idempotency-Key", "same-key")],
                );
                (r.status, r.body)
            })
        })
        .collect();
    let answers: Vec<(u16, String)> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let first = answers.iter().find(|(s, _)| *s == 201).expect("one accepted").clone();
    for answer in &answers {
        assert!(answer == &first || answer.0 == 409, "a different answer: {answer:?}");
    }
    assert_eq!(f.repayments(loan).len(), 1, "posted exactly once");
    f.assert_books_consistent();
}

#[test]
fn two_coordinators_repaying_one_loan_at_once_never_overpay_it() {
    let f = Arc::new(fund_with_cash("2000.00"));
    let loan = f.disbursed("1000.00", "0", 10, -5);
    let threads: Vec<_> = (0..12)
        .map(|i| {
            let f = Arc::clone(&f);
            std::thread::spawn(move || {
                let api = if i % 2 == 0 { &f.maker } else { &f.checker };
                let r = api.post(
                    &format!("/api/v1/loans/{loan}/repayments"),
                    &json!({"amount": "150.00", "date": day(0)}),
                );
                r.status
            })
        })
        .collect();
    let statuses: Vec<u16> = threads.into_iter().map(|t| t.join().unwrap()).collect();
    let accepted = statuses.iter().filter(|s| **s == 201).count();
    assert_eq!(accepted, 6, "1000.00 owed takes six payments of 150.00: {statuses:?}");
    assert!(statuses.iter().all(|s| *s == 201 || *s == 422), "{statuses:?}");
    let view = f.admin.get(&format!("/api/v1/loans/{loan}")).json();
    assert_eq!(view["totals"]["outstanding_total"], "100.00");
    let journal = f
        .admin
        .get(&format!("/api/v1/funds/{}/journal?limit=500", f.fund))
        .json();
    let repayments = journal["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["kind"] == "repayment")
        .count();
    assert_eq!(
        repayments, accepted,
        "each accepted repayment is in the journal exactly once"
    );
    f.assert_books_consistent();
}

/// Issue 18: keys are kept for their retention (30 days by default), then removed; a key past it
/// is a new request. The worker of `pallay serve` runs `forget_before` every hour.
#[test]
fn keys_past_their_retention_are_forgotten_and_younger_ones_kept() {
    use diesel::prelude::*;
    use pallay::db::schema::idempotency_keys;
    let f = fund_with_cash("1000.00");
    let loan = f.disbursed("300.00", "0", 3, -5);
    let path = format!("/api/v1/loans/{loan}/repayments");
    let send = |key: &str| {
        let body = json!({"amount": "5.00", "date": day(0)}).to_string();
        f.maker
            .request_with_headers("POST", &path, Some(&body), &[("Idempotency-Key", key)])
    };
    assert_eq!(send("viejo").status, 201);
    assert_eq!(send("nuevo").status, 201);
    let mut conn = f.app.db.get().unwrap();
    let now = pallay::clock::now();
    diesel::update(idempotency_keys::table.filter(idempotency_keys::key.eq("viejo")))
        .set(idempotency_keys::created_at.eq(now - chrono::Duration::days(31)))
        .execute(&mut *conn)
        .unwrap();
    let keep = pallay::idempotency::retention_from_env().unwrap();
    assert_eq!(keep, chrono::Duration::days(30));
    let removed = pallay::db::write_transaction(&mut conn, |c| pallay::idempotency::forget_before(c, now - keep));
    assert_eq!(removed.unwrap(), 1, "only the key past its retention");
    drop(conn);
    let replayed = send("nuevo");
    assert_eq!(replayed.status, 201);
    assert_eq!(f.app.count("repayments"), 2, "a kept key still replays");
    assert_eq!(send("viejo").status, 201, "a forgotten key is a new request");
    assert_eq!(f.app.count("repayments"), 3);
}

/// Issue 20: a repayment shares its fund's lock and locks only its loan, so repayments of many
/// loans of one fund run at once — beside a disbursement and a reversal, which take the fund
/// alone. None may fail (a deadlock would answer 500), and the books add up after.
#[test]
fn repayments_of_many_loans_of_one_fund_run_beside_a_disbursement_and_a_reversal() {
    let f = Arc::new(fund_with_cash("1000.00"));
    let loans: Vec<i64> = (0..4).map(|_| f.disbursed("100.00", "0", 4, -5)).collect();
    let waiting = f.request("500.00", "flat", "0", 5, 30)["id"].as_i64().unwrap();
    let approved = f.checker.post(&format!("/api/v1/loans/{waiting}/approve"), &json!({}));
    assert_eq!(approved.status, 200, "{}", approved.body);
    let mistaken = f.repay(loans[0], "10.00", 0).json()["id"].as_i64().unwrap();
    let mut threads: Vec<_> = (0..16)
        .map(|i| {
            let (f, loan) = (Arc::clone(&f), loans[i % loans.len()]);
            std::thread::spawn(move || {
                let api = if i % 2 == 0 { &f.maker } else { &f.checker };
                let r = api.post(
                    &format!("/api/v1/loans/{loan}/repayments"),
                    &json!({"amount": "5.00", "date": day(0)}),
                );
                (format!("repayment of loan {loan}"), r.status, 201, r.body)
            })
        })
        .collect();
    let g = Arc::clone(&f);
    threads.push(std::thread::spawn(move || {
        let r = g
            .maker
            .post(&format!("/api/v1/loans/{waiting}/disburse"), &json!({"date": day(0)}));
        ("disbursement".to_string(), r.status, 200, r.body)
    }));
    let g = Arc::clone(&f);
    threads.push(std::thread::spawn(move || {
        let r = g.checker.post(
            &format!("/api/v1/repayments/{mistaken}/reverse"),
            &json!({"reason": "recibo duplicado"}),
        );
        ("reversal".to_string(), r.status, 201, r.body)
    }));
    for (what, status, expected, body) in threads.into_iter().map(|t| t.join().unwrap()) {
        assert_eq!(status, expected, "{what}: {body}");
    }
    // 1,000 − 4 × 100 − 500 + 10 − 10 + 16 × 5
    assert_eq!(f.fund_view()["cash"], "180.00");
    for loan in &loans {
        let paid: usize = f.repayments(*loan).iter().filter(|r| r["amount"] == "5.00").count();
        assert_eq!(paid, 4, "loan {loan}");
    }
    f.assert_books_consistent();
}
