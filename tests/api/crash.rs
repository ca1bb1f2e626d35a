//! The real server binary killed with SIGKILL in the middle of repayments, again and again: every
//! repayment it acknowledged is there exactly once, a key it never answered posts at most once
//! when sent again, and `pallay check` passes. On PostgreSQL two server processes share the
//! database and only one of them is killed at a time.

use std::collections::{BTreeMap, BTreeSet};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::Datelike;
use pallay::db::Backend;
use serde_json::json;

use crate::fund_helpers::{day, fund_with_cash};

/// Kill-and-restart cycles in the suite (the long run is `PALLAY_CRASH_CYCLES=200`).
fn cycles() -> usize {
    std::env::var("PALLAY_CRASH_CYCLES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(6)
}

/// The real server reads the real calendar; a suite run with another "today" (PALLAY_TEST_TODAY)
/// would date its repayments in the server's future. Those runs are about dates, not crashes.
fn real_calendar() -> bool {
    let same = crate::helpers::test_today() == pallay::clock::today_in_lima();
    if !same {
        eprintln!("skipped: the crash tests run with the real calendar, not PALLAY_TEST_TODAY");
    }
    same
}

struct Server {
    child: Child,
    address: String,
}

fn start(database_url: &str) -> Server {
    start_with(database_url, &[("PALLAY_NOTICE_INTERVAL_SECONDS", "0")])
}

fn start_with(database_url: &str, settings: &[(&str, &str)]) -> Server {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new(env!("CARGO_BIN_EXE_pallay"))
        .arg("serve")
        .env("DATABASE_URL", database_url)
        .env("PALLAY_BIND", format!("127.0.0.1:{port}"))
        .envs(settings.iter().copied())
        .env_remove("PALLAY_BACKUP_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("start pallay serve");
    let address = format!("http://127.0.0.1:{port}");
    let started = Instant::now();
    let agent = crate::helpers::agent();
    while agent.get(&format!("{address}/api/v1/health")).call().is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "the server did not start");
        std::thread::sleep(Duration::from_millis(20));
    }
    Server { child, address }
}

fn kill(mut server: Server) {
    // SIGKILL: no shutdown, no flush, no goodbye.
    server.child.kill().expect("kill -9");
    server.child.wait().expect("wait");
}

/// What a client heard for each key (and the loan it paid): the repayment's id, or nothing (no
/// answer, a broken connection).
type Heard = Arc<Mutex<BTreeMap<String, (i64, Option<i64>)>>>;

fn post(address: &str, token: &str, loan: i64, key: &str) -> Option<i64> {
    let body = json!({"amount": "1.00", "date": day(0)}).to_string();
    let mut response = crate::helpers::agent()
        .post(&format!("{address}/api/v1/loans/{loan}/repayments"))
        .header("Authorization", &format!("Bearer {token}"))
        .header("Idempotency-Key", key)
        .header("Content-Type", "application/json")
        .send(body)
        .ok()?;
    if response.status().as_u16() != 201 {
        return None;
    }
    let answer: serde_json::Value = response.body_mut().read_json().ok()?;
    answer["id"].as_i64()
}

#[test]
fn repayments_survive_the_server_being_killed_at_random_moments() {
    if !real_calendar() {
        return;
    }
    let f = fund_with_cash("50000.00");
    let loans: Vec<i64> = (0..3).map(|_| f.disbursed("5000.00", "0", 10, -40)).collect();
    let token = f.maker.token.clone().expect("the maker's token");
    let url = f.app.database_url.clone();
    let two = f.app.backend() == Backend::Postgres;
    let heard: Heard = Arc::new(Mutex::new(BTreeMap::new()));
    let next_key = Arc::new(AtomicUsize::new(0));
    let mut seed = 0x9e37_79b9_u64;
    let mut random = move |below: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % below
    };
    // On PostgreSQL a second server lives through every cycle: the clients use both.
    let steady = two.then(|| start(&url));
    for _ in 0..cycles() {
        let victim = start(&url);
        let addresses: Vec<String> = std::iter::once(victim.address.clone())
            .chain(steady.as_ref().map(|s| s.address.clone()))
            .collect();
        let stop = Arc::new(AtomicBool::new(false));
        let clients: Vec<_> = (0..4)
            .map(|c| {
                let (heard, next_key, stop, token) = (heard.clone(), next_key.clone(), stop.clone(), token.clone());
                let (loan, addresses) = (loans[c % loans.len()], addresses.clone());
                std::thread::spawn(move || {
                    while !stop.load(Ordering::SeqCst) {
                        let key = format!("crash-{}", next_key.fetch_add(1, Ordering::SeqCst));
                        let address = &addresses[c % addresses.len()];
                        let answer = post(address, &token, loan, &key);
                        heard.lock().unwrap().insert(key, (loan, answer));
                        if answer.is_none() {
                            std::thread::sleep(Duration::from_millis(20));
                        }
                    }
                })
            })
            .collect();
        std::thread::sleep(Duration::from_millis(100 + random(400)));
        kill(victim);
        std::thread::sleep(Duration::from_millis(50));
        stop.store(true, Ordering::SeqCst);
        clients.into_iter().for_each(|c| c.join().unwrap());
    }
    let heard = heard.lock().unwrap().clone();
    let acknowledged: BTreeMap<&String, i64> = heard.iter().filter_map(|(k, (_, v))| v.map(|id| (k, id))).collect();
    let unanswered: Vec<(&String, i64)> = heard
        .iter()
        .filter(|(_, (_, v))| v.is_none())
        .map(|(k, (loan, _))| (k, *loan))
        .collect();
    assert!(
        acknowledged.len() > 20,
        "repayments were acknowledged: {}",
        acknowledged.len()
    );
    assert!(!unanswered.is_empty(), "the kills cut some requests short");

    // The server again, and every key it never answered sent once more, for the same loan.
    let server = start(&url);
    let mut retried = BTreeMap::new();
    for (key, loan) in &unanswered {
        retried.insert((*key).clone(), post(&server.address, &token, *loan, key));
    }
    kill(server);
    if let Some(s) = steady {
        kill(s);
    }

    let posted: BTreeSet<i64> = ids(&f, "SELECT id AS n FROM repayments");
    for (key, id) in &acknowledged {
        assert!(posted.contains(id), "acknowledged repayment {id} ({key}) is there");
    }
    let answered: Vec<i64> = acknowledged
        .values()
        .copied()
        .chain(retried.values().flatten().copied())
        .collect();
    let distinct: BTreeSet<i64> = answered.iter().copied().collect();
    assert_eq!(
        distinct.len(),
        answered.len(),
        "no two keys answered with one repayment"
    );
    assert_eq!(
        posted.len(),
        distinct.len(),
        "every repayment in the books is one a key was answered with: nothing posted twice, nothing lost"
    );
    let (ok, out) = crate::maintenance::pallay_check(&url);
    assert!(ok, "pallay check after {} cycles: {out}", cycles());
    println!(
        "{} cycles: {} acknowledged, {} unanswered then retried ({} posted by the retry or before), {} repayments",
        cycles(),
        acknowledged.len(),
        unanswered.len(),
        retried.values().flatten().count(),
        posted.len()
    );
}

fn ids(f: &crate::fund_helpers::Fund, sql: &str) -> BTreeSet<i64> {
    use diesel::prelude::*;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = f.app.db.get().expect("conn");
    diesel::sql_query(sql)
        .load::<N>(&mut *conn)
        .expect("ids")
        .into_iter()
        .map(|r| r.n)
        .collect()
}

#[test]
fn no_receipt_is_lost_or_sent_under_two_keys_when_the_provider_fails_and_the_server_is_killed() {
    if !real_calendar() {
        return;
    }
    let (f, loan) = crate::notices::borrower("es");
    for _ in 0..12 {
        assert_eq!(f.repay(loan, "1.00", 0).status, 201);
    }
    let sms = "channel = 'sms' AND kind = 'receipt'";
    assert_eq!(f.app.count_where("notices", sms), 12);
    // Half the first answers 500, the other half 429 with Retry-After: then all is well.
    let provider = crate::fakes::SmsProvider::start();
    for i in 0..16 {
        if i % 2 == 0 {
            provider.answer(500, None, "{}");
        } else {
            provider.answer(429, Some(("Retry-After", "1")), "{}");
        }
    }
    // The server reads the real calendar: its monthly statement (the 1st by default) would be a
    // thirteenth message to the provider on that day. It is set two days away, and the reminder
    // before a due date to the day itself (her first one is weeks away).
    let statement_day = ((pallay::clock::today_in_lima().day() + 1) % 28 + 1).to_string();
    let settings = [
        ("PALLAY_SMS_GATEWAY", "http"),
        ("PALLAY_SMS_URL", provider.url.as_str()),
        ("PALLAY_SMS_TOKEN", "token"),
        ("PALLAY_NOTICE_INTERVAL_SECONDS", "1"),
        ("PALLAY_NOTICE_BACKOFF_SECONDS", "1"),
        ("PALLAY_NOTICE_LEASE_SECONDS", "2"),
        ("PALLAY_NOTICE_MAX_ATTEMPTS", "30"),
        ("PALLAY_STATEMENT_DAY", statement_day.as_str()),
        ("PALLAY_REMINDER_DAYS", "0"),
    ];
    let url = f.app.database_url.clone();
    let server = start_with(&url, &settings);
    let started = Instant::now();
    while provider.requests().len() < 8 {
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "the worker never reached the provider"
        );
        std::thread::sleep(Duration::from_millis(10));
    }
    kill(server);
    let server = start_with(&url, &settings);
    let sent = format!("{sms} AND status = 'sent'");
    let started = Instant::now();
    while f.app.count_where("notices", &sent) < 12 {
        assert!(
            started.elapsed() < Duration::from_secs(90),
            "not every receipt was sent"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    kill(server);
    let requests = provider.requests();
    let mut keys_of_text: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    let mut texts_of_key: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    // A request cut short by the kill (headers or body incomplete) was never a delivery.
    for r in requests.iter().filter(|r| r.body.is_object()) {
        let key = r.header("Idempotency-Key").expect("a key").to_string();
        let text = r.body["body"].as_str().expect("a text").to_string();
        keys_of_text.entry(text.clone()).or_default().insert(key.clone());
        texts_of_key.entry(key).or_default().insert(text);
    }
    assert_eq!(texts_of_key.len(), 12, "twelve receipts, twelve keys");
    assert!(
        texts_of_key.values().all(|t| t.len() == 1),
        "a key always carries the same receipt"
    );
    assert!(
        keys_of_text.values().all(|k| k.len() == 1),
        "a receipt is never sent under two keys"
    );
    assert_eq!(f.app.count_where("notices", sms), 12, "no receipt queued twice");
    let (ok, out) = crate::maintenance::pallay_check(&url);
    assert!(ok, "{out}");
    println!(
        "{} requests to the provider for 12 receipts (16 refused, one kill)",
        requests.len()
    );
}
