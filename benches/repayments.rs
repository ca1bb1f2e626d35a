//! Repayments posted per second over HTTP on SQLite (synchronous=FULL), with 1 and 16 concurrent
//! clients, beside the ceiling of this machine's disk: raw SQLite inserts of one row per
//! transaction with the same pragmas.
//!
//!     cargo bench --bench repayments            # PALLAY_BENCH_REPAYMENTS=N to change the count

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use pallay::auth::policy::{CurrentUser, Role};
use pallay::clock::{today_in_lima as today, Clock};
use pallay::config::Config;
use pallay::db::{write_transaction, Db, DbConn};
use pallay::fund::input::{ContributionInput, FundInput, LoanRequest, Source};
use pallay::fund::schedule::{Frequency, InterestMethod};
use pallay::fund::service::{self as fund, Decision};
use pallay::money::Money;
use pallay::users::model::User;
use pallay::users::service::{self as users, NewUserInput};
use pallay::web::AppState;

const PASSWORD: &str = "benchmark password";

fn count() -> usize {
    std::env::var("PALLAY_BENCH_REPAYMENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3200)
}

/// One row per transaction, as fast as the disk allows with WAL and synchronous=FULL.
fn raw_ceiling(path: &str, rows: usize) -> f64 {
    let mut conn = pallay::db::establish(path).expect("open");
    conn.batch_execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v BIGINT NOT NULL)")
        .expect("create");
    let start = Instant::now();
    for i in 0..rows {
        conn.batch_execute(&format!("BEGIN IMMEDIATE; INSERT INTO t (v) VALUES ({i}); COMMIT;"))
            .expect("insert");
    }
    rows as f64 / start.elapsed().as_secs_f64()
}

/// The disk's speed wanders on a shared machine: the ceiling is measured right before each run
/// it is compared with, as the median of three.
fn ceiling_now(dir: &std::path::Path, rows: usize) -> f64 {
    let mut runs: Vec<f64> = (0..3)
        .map(|i| {
            let path = dir.join(format!("raw{i}.db"));
            let rate = raw_ceiling(&path.to_string_lossy(), rows);
            for suffix in ["", "-wal", "-shm"] {
                let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
            }
            rate
        })
        .collect();
    runs.sort_by(f64::total_cmp);
    runs[1]
}

fn user(conn: &mut DbConn, hash: &str, name: &str, role: Role, orgs: Vec<i64>) -> CurrentUser {
    let input = NewUserInput {
        username: name.into(),
        password: PASSWORD.into(),
        role,
        organization_ids: orgs,
        member_id: None,
    };
    let view = write_transaction(conn, |c| users::create(c, None, &input, hash)).expect("user");
    User::find(conn, view.id)
        .and_then(|u| u.current(conn))
        .expect("current")
}

/// A fund with `loans` disbursed loans of S/ 1,000, each with room for many small repayments.
fn setup(db: &Db, loans: usize) -> Vec<i64> {
    let hash = pallay::auth::password::hash(PASSWORD).expect("hash");
    let mut conn = db.get().expect("conn");
    let admin = user(&mut conn, &hash, "admin", Role::Admin, vec![]);
    let org = write_transaction(&mut conn, |c| {
        pallay::organizations::Organization::create(
            c,
            &admin,
            pallay::organizations::OrganizationInput {
                name: Some("Pallaqueras".into()),
                kind: Some(pallay::organizations::Kind::Association),
            },
        )
    })
    .expect("org")
    .id;
    let coordinator = user(&mut conn, &hash, "coord", Role::Coordinator, vec![org]);
    let today = today();
    write_transaction(&mut conn, |c| {
        // She takes SMS receipts, as most borrowers do: each repayment also queues her receipt.
        let body = serde_json::json!({"first_name": "Rosa", "last_name": "Quispe", "sex": "female",
                                      "phone": "987654321", "consents": {"sms": true}, "organization_ids": [org]});
        let input =
            pallay::input::JsonInput::from_value(body).map_err(|e| pallay::error::AppError::Invalid(vec![e]))?;
        let changes = pallay::members::input::MemberChanges::parse(&input, true, today)
            .map_err(pallay::error::AppError::Invalid)?;
        let member = pallay::members::service::create(c, &admin, changes)?.id;
        let fund_input = FundInput {
            organization_id: org,
            name: "Fondo".into(),
            rounding_unit: Money::from_centimos(10),
            penalty_amount: Money::ZERO,
            penalty_after_days: 0,
        };
        let fund_id = fund::create_fund(c, &admin, fund_input)?.id;
        let capital = ContributionInput {
            source: Source::Donor,
            member_id: None,
            amount: Money::from_centimos(900_000_000),
            date: today - chrono::Duration::days(60),
            note: None,
        };
        fund::contribute(c, &coordinator, fund_id, capital)?;
        let mut ids = Vec::new();
        for _ in 0..loans {
            let request = LoanRequest {
                fund_id,
                member_id: member,
                principal: Money::from_centimos(100_000),
                method: InterestMethod::Flat,
                rate: rust_decimal::Decimal::new(2, 2),
                periods: 10,
                frequency: Frequency::Monthly,
                first_due_date: today + chrono::Duration::days(20),
                grace_periods: 0,
                purpose: None,
            };
            let id = fund::request_loan(c, &coordinator, request, today)?.id;
            fund::decide(c, &admin, id, Decision::Approve, today)?;
            fund::disburse(c, &coordinator, id, today - chrono::Duration::days(10), today)?;
            ids.push(id);
        }
        Ok::<_, pallay::error::AppError>(ids)
    })
    .expect("fund")
}

fn main() {
    let dir = std::env::temp_dir().join(format!("pallay-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let total = count();

    let path = dir.join("pallay.db").to_string_lossy().into_owned();
    let db = Db::connect(&path, 8).expect("db");
    db.migrate().expect("migrate");
    let loans = Arc::new(setup(&db, 400));
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let address = format!("http://{}", listener.local_addr().expect("addr"));
    let config = Config {
        database_url: path.clone(),
        bind: address.clone(),
        pool_size: 8,
        behind_proxy: false,
        notices: pallay::outbox::NoticeConfig::log_only(),
    };
    let state = AppState {
        db: db.clone(),
        config,
        clock: Clock::system(),
    };
    std::thread::spawn(move || {
        actix_web::rt::System::new().block_on(async move { pallay::serve(listener, state).expect("serve").await })
    });
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut login = agent
        .post(&format!("{address}/api/v1/auth/token"))
        .send_json(serde_json::json!({"username": "coord", "password": PASSWORD}))
        .expect("login");
    let token: serde_json::Value = login.body_mut().read_json().expect("token");
    let auth = Arc::new(format!("Bearer {}", token["token"].as_str().expect("token")));

    // The floor of one request: HTTP on loopback plus one trip to the database pool.
    let start = Instant::now();
    for _ in 0..total {
        let mut response = agent.get(&format!("{address}/api/v1/health")).call().expect("health");
        // Reading the answer to its end lets the connection be kept alive, as a real client does.
        response.body_mut().read_to_string().expect("read");
    }
    let health = total as f64 / start.elapsed().as_secs_f64();
    println!("HTTP floor (GET /health, 1 client): {health:.0} requests/s");
    println!("ceiling: raw SQLite, 1 row per transaction, WAL, synchronous=FULL, measured before each run");
    println!(
        "{:>8} {:>12} {:>10} {:>14} {:>12} {:>12}",
        "clients", "repayments", "seconds", "repayments/s", "ceiling/s", "of ceiling"
    );
    for clients in [1usize, 16] {
        let ceiling = ceiling_now(&dir, total / 2);
        let per_client = total / clients;
        let start = Instant::now();
        let threads: Vec<_> = (0..clients)
            .map(|c| {
                let (loans, auth, address, agent) =
                    (Arc::clone(&loans), Arc::clone(&auth), address.clone(), agent.clone());
                std::thread::Builder::new()
                    .name("bench-client".into())
                    .spawn(move || {
                        let body = serde_json::json!({"amount": "1.00", "date": today().to_string()}).to_string();
                        let mut ok = 0;
                        for i in 0..per_client {
                            let loan = loans[(c * per_client + i) % loans.len()];
                            let mut response = agent
                                .post(&format!("{address}/api/v1/loans/{loan}/repayments"))
                                .header("Authorization", auth.as_str())
                                .content_type("application/json")
                                .send(body.as_str())
                                .expect("post");
                            ok += usize::from(response.status().as_u16() == 201);
                            response.body_mut().read_to_string().expect("read");
                        }
                        ok
                    })
                    .expect("client thread")
            })
            .collect();
        let posted: usize = threads.into_iter().map(|t| t.join().expect("thread")).sum();
        let seconds = start.elapsed().as_secs_f64();
        let rate = posted as f64 / seconds;
        assert_eq!(posted, per_client * clients, "every repayment accepted");
        println!(
            "{clients:>8} {posted:>12} {seconds:>10.2} {rate:>14.0} {ceiling:>12.0} {:>11.0}%",
            100.0 * rate / ceiling
        );
    }
    // The same posting without HTTP: what the transaction itself costs.
    let coordinator = {
        let mut conn = db.get().expect("conn");
        User::find_by_username(&mut conn, "coord")
            .expect("q")
            .expect("coord")
            .current(&mut conn)
            .expect("current")
    };
    let ceiling = ceiling_now(&dir, total / 2);
    let start = Instant::now();
    for i in 0..total {
        let loan = loans[i % loans.len()];
        let input = pallay::fund::input::RepaymentInput {
            amount: Money::from_centimos(100),
            date: today(),
            receipt_number: None,
        };
        let c = coordinator.clone();
        let mut conn = db.get().expect("conn");
        write_transaction(&mut conn, |conn| {
            pallay::fund::repayments::repay(conn, &c, loan, input, today())
        })
        .expect("repay");
    }
    let rate = total as f64 / start.elapsed().as_secs_f64();
    println!(
        "{:>8} {total:>12} {:>10.2} {rate:>14.0} {ceiling:>12.0} {:>11.0}%   (the service alone, no HTTP)",
        "-",
        start.elapsed().as_secs_f64(),
        100.0 * rate / ceiling
    );
    let mut conn = db.get().expect("conn");
    let entries: i64 = pallay::db::schema::journal_entries::table
        .count()
        .get_result(&mut *conn)
        .expect("count");
    println!("journal entries written: {entries}");
    drop(conn);
    bytes_per_repayment(&db, &address, &auth, loans[0]);
    let _ = std::fs::remove_dir_all(&dir);
}

/// What one repayment adds to the database file — journal entry and lines, allocation, receipt,
/// audit line, and the stored answer of its `Idempotency-Key`, as a phone sends it — on one loan
/// whose history grows by a hundred repayments at each step: the cost must not grow with it.
fn bytes_per_repayment(db: &Db, address: &str, auth: &str, loan: i64) {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let file_bytes = || {
        let mut conn = db.get().expect("conn");
        conn.batch_execute("PRAGMA wal_checkpoint(TRUNCATE)")
            .expect("checkpoint");
        #[derive(QueryableByName)]
        struct Size {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            bytes: i64,
        }
        diesel::sql_query("SELECT page_count * page_size AS bytes FROM pragma_page_count(), pragma_page_size()")
            .get_result::<Size>(&mut *conn)
            .expect("size")
            .bytes
    };
    println!("bytes per repayment with an Idempotency-Key, one loan (file growth; its answer, stored with the key):");
    let body = serde_json::json!({"amount": "1.00", "date": today().to_string()}).to_string();
    for step in 0..3 {
        let before = file_bytes();
        let mut listed = agent
            .get(&format!("{address}/api/v1/loans/{loan}/repayments?limit=1"))
            .header("Authorization", auth)
            .call()
            .expect("list");
        let history: serde_json::Value = listed.body_mut().read_json().expect("json");
        let mut answer = 0;
        for i in 0..100 {
            let mut response = agent
                .post(&format!("{address}/api/v1/loans/{loan}/repayments"))
                .header("Authorization", auth)
                .header("Idempotency-Key", &format!("bytes-{step}-{i}"))
                .content_type("application/json")
                .send(body.as_str())
                .expect("post");
            assert_eq!(response.status().as_u16(), 201, "repayment accepted");
            answer += response.body_mut().read_to_string().expect("read").len();
        }
        println!(
            "  100 more after {:>3} earlier: {:>6} bytes each on disk, answer {:>5} bytes",
            history["total"],
            (file_bytes() - before) / 100,
            answer / 100
        );
    }
}
