//! Repayments posted per second over HTTP to `pallay serve` (this build's binary), with 1 and 16
//! concurrent clients, beside the ceiling of the same storage measured in the same run.
//!
//!     cargo bench --bench repayments            # SQLite (synchronous=FULL); its ceiling: raw SQLite
//!                                               # inserts of one row per transaction, same pragmas
//!     DATABASE_URL=postgres://… cargo bench --bench repayments
//!                                               # PostgreSQL: 1 fund and 16, 1 server and 2, the
//!                                               # service alone (1 and 16 callers, no HTTP), beside
//!                                               # plain one-insert transactions; then SQLite
//!
//! PALLAY_BENCH_REPAYMENTS=N changes the count (3,200 by default).

use std::net::TcpListener;
use std::sync::Arc;
use std::time::Instant;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use pallay::auth::policy::{CurrentUser, Role};
use pallay::clock::today_in_lima as today;
use pallay::db::{write_transaction, Db, DbConn};
use pallay::fund::input::{ContributionInput, FundInput, LoanRequest, Source};
use pallay::fund::schedule::{Frequency, InterestMethod};
use pallay::fund::service::{self as fund, Decision};
use pallay::money::Money;
use pallay::users::model::User;
use pallay::users::service::{self as users, NewUserInput};

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

/// `funds` funds with `loans` disbursed loans of S/ 1,000 among them, each with room for many
/// small repayments; listed fund by fund in turn (the first loan of each fund, then the second…).
fn setup(db: &Db, loans: usize, funds: usize) -> Vec<i64> {
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
    let by_fund = write_transaction(&mut conn, |c| {
        // She takes SMS receipts, as most borrowers do: each repayment also queues her receipt.
        let body = serde_json::json!({"first_name": "Rosa", "last_name": "Quispe", "sex": "female",
                                      "phone": "987654321", "consents": {"sms": true}, "organization_ids": [org]});
        let input =
            pallay::input::JsonInput::from_value(body).map_err(|e| pallay::error::AppError::Invalid(vec![e]))?;
        let changes = pallay::members::input::MemberChanges::parse(&input, true, today)
            .map_err(pallay::error::AppError::Invalid)?;
        let member = pallay::members::service::create(c, &admin, changes)?.id;
        let mut by_fund = Vec::new();
        for f in 0..funds {
            let fund_input = FundInput {
                organization_id: org,
                name: format!("Fondo {f}"),
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
            for _ in 0..loans / funds {
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
            by_fund.push(ids);
        }
        Ok::<_, pallay::error::AppError>(by_fund)
    })
    .expect("fund");
    (0..loans / funds)
        .flat_map(|i| by_fund.iter().map(move |ids| ids[i]))
        .collect()
}

/// A `pallay serve` process of this build on `url`, stopped when dropped.
struct Server {
    child: std::process::Child,
    address: String,
}

impl Server {
    fn start(url: &str) -> Server {
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .expect("free port")
            .port();
        let child = std::process::Command::new(env!("CARGO_BIN_EXE_pallay"))
            .arg("serve")
            .env("DATABASE_URL", url)
            .env("PALLAY_BIND", format!("127.0.0.1:{port}"))
            .env("RUST_LOG", "warn")
            .stdout(std::process::Stdio::null())
            .spawn()
            .expect("start pallay serve");
        let server = Server {
            child,
            address: format!("http://127.0.0.1:{port}"),
        };
        for _ in 0..200 {
            if ureq::get(&format!("{}/api/v1/health", server.address)).call().is_ok() {
                return server;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("pallay serve did not start");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn sign_in(address: &str) -> String {
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let mut login = agent
        .post(&format!("{address}/api/v1/auth/token"))
        .send_json(serde_json::json!({"username": "coord", "password": PASSWORD}))
        .expect("login");
    let token: serde_json::Value = login.body_mut().read_json().expect("token");
    format!("Bearer {}", token["token"].as_str().expect("token"))
}

/// `total` repayments of S/ 1.00 from `clients` keep-alive clients, spread over the servers; the
/// loans are listed fund by fund in turn, so neighbouring requests go to different funds. Returns
/// repayments per second; every one must be accepted.
fn post_repayments(servers: &[&Server], loans: &[i64], clients: usize, total: usize) -> f64 {
    let auths: Vec<String> = servers.iter().map(|s| sign_in(&s.address)).collect();
    let per_client = total / clients;
    let start = Instant::now();
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let address = servers[c % servers.len()].address.clone();
            let auth = auths[c % servers.len()].clone();
            let loans = loans.to_vec();
            std::thread::spawn(move || {
                let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
                let body = serde_json::json!({"amount": "1.00", "date": today().to_string()}).to_string();
                let mut ok = 0;
                for i in 0..per_client {
                    let loan = loans[(c + i * clients) % loans.len()];
                    let mut response = agent
                        .post(&format!("{address}/api/v1/loans/{loan}/repayments"))
                        .header("Authorization", auth.as_str())
                        .content_type("application/json")
                        .send(body.as_str())
                        .expect("post");
                    ok += usize::from(response.status().as_u16() == 201);
                    // Reading the answer to its end keeps the connection alive, as a real client does.
                    response.body_mut().read_to_string().expect("read");
                }
                ok
            })
        })
        .collect();
    let posted: usize = threads.into_iter().map(|t| t.join().expect("thread")).sum();
    assert_eq!(posted, per_client * clients, "every repayment accepted");
    posted as f64 / start.elapsed().as_secs_f64()
}

fn row(what: &str, rate: f64, ceiling: f64) {
    println!(
        "{what:<46} {rate:>9.0} /s {ceiling:>11.0} /s {:>6.1}%",
        100.0 * rate / ceiling
    );
}

fn header(ceiling: &str) {
    println!("{:<44} {:>11} {:>13} {:>7}", "", "repayments", ceiling, "of it");
}

fn main() {
    let total = count();
    match std::env::var("DATABASE_URL") {
        Ok(url) if pallay::db::Backend::of(&url) == pallay::db::Backend::Postgres => postgres_main(&url, total),
        _ => sqlite_main(total),
    }
}

fn sqlite_main(total: usize) {
    let dir = std::env::temp_dir().join(format!("pallay-bench-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("pallay.db").to_string_lossy().into_owned();
    let db = Db::connect(&path, 8).expect("db");
    db.migrate().expect("migrate");
    let loans = setup(&db, 400, 1);
    let server = Server::start(&path);
    let auth = sign_in(&server.address);

    // The floor of one request: HTTP on loopback plus one trip to the database pool.
    let agent: ureq::Agent = ureq::Agent::config_builder().http_status_as_error(false).build().into();
    let start = Instant::now();
    for _ in 0..total {
        let mut response = agent
            .get(&format!("{}/api/v1/health", server.address))
            .call()
            .expect("health");
        response.body_mut().read_to_string().expect("read");
    }
    println!(
        "HTTP floor (GET /health, 1 client): {:.0} requests/s",
        total as f64 / start.elapsed().as_secs_f64()
    );
    println!("SQLite (WAL, synchronous=FULL), one fund; the ceiling: raw SQLite, 1 row per transaction,");
    println!("measured right before each run");
    header("ceiling");
    for clients in [1usize, 16] {
        let ceiling = ceiling_now(&dir, total / 2);
        row(
            &format!("{clients} clients"),
            post_repayments(&[&server], &loans, clients, total),
            ceiling,
        );
    }
    // The same posting without HTTP: what the transaction itself costs.
    let ceiling = ceiling_now(&dir, total / 2);
    row(
        "the service alone, no HTTP, 1 caller",
        service_alone(&db, &loans, total, 1),
        ceiling,
    );
    let mut conn = db.get().expect("conn");
    let entries: i64 = pallay::db::schema::journal_entries::table
        .count()
        .get_result(&mut *conn)
        .expect("count");
    println!("journal entries written: {entries}");
    drop(conn);
    bytes_per_repayment(&db, &server.address, &auth, loans[0]);
    drop(server);
    let _ = std::fs::remove_dir_all(&dir);
}

fn service_alone(db: &Db, loans: &[i64], total: usize, callers: usize) -> f64 {
    let coordinator = {
        let mut conn = db.get().expect("conn");
        User::find_by_username(&mut conn, "coord")
            .expect("q")
            .expect("coord")
            .current(&mut conn)
            .expect("current")
    };
    let next = std::sync::atomic::AtomicUsize::new(0);
    let start = Instant::now();
    std::thread::scope(|scope| {
        for _ in 0..callers {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let loan = loans[i % loans.len()];
                let input = pallay::fund::input::RepaymentInput {
                    amount: Money::from_centimos(100),
                    date: today(),
                    receipt_number: None,
                };
                let mut conn = db.get().expect("conn");
                write_transaction(&mut conn, |conn| {
                    pallay::fund::repayments::repay(conn, &coordinator, loan, input, today())
                })
                .expect("repay");
            });
        }
    });
    total as f64 / start.elapsed().as_secs_f64()
}

/// `url` with its database replaced by `name`.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').map_or((url, None), |(b, q)| (b, Some(q)));
    let prefix = base.rsplit_once('/').map_or(base, |(p, _)| p);
    match query {
        Some(q) => format!("{prefix}/{name}?{q}"),
        None => format!("{prefix}/{name}"),
    }
}

/// PostgreSQL's own ceiling on this cluster: `clients` plain connections, each inserting one row
/// per transaction (autocommit, the cluster's durability: `synchronous_commit` as configured) for
/// three seconds, all connected before the clock starts.
fn postgres_ceiling(url: &str, clients: usize) -> f64 {
    let mut conn = pallay::db::establish(url).expect("connect");
    conn.batch_execute(
        "DROP TABLE IF EXISTS ceiling; CREATE TABLE ceiling (id BIGSERIAL PRIMARY KEY, v BIGINT NOT NULL)",
    )
    .expect("create");
    let ready = Arc::new(std::sync::Barrier::new(clients + 1));
    let seconds = std::time::Duration::from_secs(3);
    let threads: Vec<_> = (0..clients)
        .map(|_| {
            let (url, ready) = (url.to_string(), Arc::clone(&ready));
            std::thread::spawn(move || {
                let mut conn = pallay::db::establish(&url).expect("connect");
                ready.wait();
                let start = Instant::now();
                let mut rows = 0usize;
                while start.elapsed() < seconds {
                    conn.batch_execute(&format!("INSERT INTO ceiling (v) VALUES ({rows})"))
                        .expect("insert");
                    rows += 1;
                }
                rows
            })
        })
        .collect();
    ready.wait();
    let start = Instant::now();
    let rows: usize = threads.into_iter().map(|t| t.join().expect("thread")).sum();
    let rate = rows as f64 / start.elapsed().as_secs_f64();
    conn.batch_execute("DROP TABLE ceiling").expect("drop");
    rate
}

/// A fresh database on the cluster of `url` (its role needs CREATEDB), dropped when done.
fn fresh_postgres(admin_url: &str, name: &str) -> String {
    let mut conn = pallay::db::establish(admin_url).expect("PostgreSQL at DATABASE_URL");
    conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name}"))
        .expect("drop database");
    conn.batch_execute(&format!("CREATE DATABASE {name}"))
        .expect("create database");
    let url = with_database(admin_url, name);
    Db::connect(&url, 2).expect("db").migrate().expect("migrate");
    url
}

fn drop_postgres(admin_url: &str, name: &str) {
    if let Ok(mut conn) = pallay::db::establish(admin_url) {
        let _ = conn.batch_execute(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
    }
}

/// On PostgreSQL (`DATABASE_URL=postgres://…`, on a database of its own made beside that one):
/// one fund and sixteen funds, one server process and two, beside the cluster's one-insert
/// ceiling; then SQLite's numbers in the same run, for the comparison.
fn postgres_main(admin_url: &str, total: usize) {
    let name = format!("pallay_bench_{}", std::process::id());
    let sqlite_dir = std::env::temp_dir().join(format!("pallay-bench-{}", std::process::id()));
    std::fs::create_dir_all(&sqlite_dir).expect("dir");
    println!("PostgreSQL; the ceiling: plain connections inserting one row per transaction, same cluster,");
    println!("measured right before each run with as many connections as clients");
    header("ceiling");
    for funds in [1usize, 16] {
        let url = fresh_postgres(admin_url, &name);
        let db = Db::connect(&url, 2).expect("db");
        let loans = setup(&db, 400, funds);
        let one = Server::start(&url);
        for clients in [1usize, 16] {
            let ceiling = postgres_ceiling(&url, clients);
            let rate = post_repayments(&[&one], &loans, clients, total);
            row(&format!("{funds} fund(s), {clients} clients, 1 server"), rate, ceiling);
        }
        if funds == 1 {
            let ceiling = postgres_ceiling(&url, 1);
            row(
                "1 fund, the service alone, no HTTP, 1 caller",
                service_alone(&db, &loans, total / 4, 1),
                ceiling,
            );
        }
        // The same repayments called in this process, as many at once as the clients above: what
        // HTTP and the server's own threads add.
        let ceiling = postgres_ceiling(&url, 16);
        row(
            &format!("{funds} fund(s), service alone, 16 callers"),
            service_alone(&Db::connect(&url, 16).expect("db"), &loans, total, 16),
            ceiling,
        );
        let two = Server::start(&url);
        let ceiling = postgres_ceiling(&url, 16);
        let rate = post_repayments(&[&one, &two], &loans, 16, total);
        row(&format!("{funds} fund(s), 16 clients, 2 servers"), rate, ceiling);
        drop((one, two));
        let mut conn = db.get().expect("conn");
        let checks = pallay::maintenance::check::Checks { schema: true };
        let problems = pallay::maintenance::check::check(&mut conn, &checks).expect("check");
        assert!(problems.is_empty(), "pallay check after the run: {problems:?}");
        drop(conn);
        drop(db);
        drop_postgres(admin_url, &name);
    }
    println!("SQLite in the same run (WAL, synchronous=FULL), 16 clients, 1 server:");
    for funds in [1usize, 16] {
        let path = sqlite_dir
            .join(format!("pallay-{funds}.db"))
            .to_string_lossy()
            .into_owned();
        let db = Db::connect(&path, 8).expect("db");
        db.migrate().expect("migrate");
        let loans = setup(&db, 400, funds);
        let server = Server::start(&path);
        let ceiling = ceiling_now(&sqlite_dir, total / 2);
        row(
            &format!("{funds} fund(s), 16 clients, 1 server"),
            post_repayments(&[&server], &loans, 16, total),
            ceiling,
        );
    }
    let _ = std::fs::remove_dir_all(&sqlite_dir);
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
