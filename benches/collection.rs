//! The meeting's collection sheet on SQLite: the sheet of a fund with 2,000 disbursed loans
//! (`GET /api/v1/funds/{id}/collection-sheet`, over HTTP, the whole JSON read), and batches of 50
//! rows posted at once (`POST /api/v1/funds/{id}/collections`), each row a repayment with its key.
//! Ceilings (issue "The meeting"): the sheet under 100 ms, a batch of 50 under 1 s.
//!
//!     cargo bench --bench collection           # PALLAY_BENCH_LOANS=N to change the fund's size

use std::net::TcpListener;
use std::time::Instant;

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

/// A fund with `loans` loans of S/ 1,000 disbursed 40 days ago (one installment due), among 100
/// members who take SMS receipts.
fn setup(db: &Db, loans: usize) -> (i64, Vec<i64>) {
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
        let mut members = Vec::new();
        for i in 0..100 {
            let body = serde_json::json!({"first_name": format!("Socia{i:03}"), "last_name": "Quispe", "sex": "female",
                                          "phone": "987654321", "consents": {"sms": true}, "organization_ids": [org]});
            let input =
                pallay::input::JsonInput::from_value(body).map_err(|e| pallay::error::AppError::Invalid(vec![e]))?;
            let changes = pallay::members::input::MemberChanges::parse(&input, true, today)
                .map_err(pallay::error::AppError::Invalid)?;
            members.push(pallay::members::service::create(c, &admin, changes)?.id);
        }
        let fund_input = FundInput {
            organization_id: org,
            name: "Fondo".into(),
            rounding_unit: Money::from_centimos(10),
            penalty_amount: Money::from_centimos(500),
            penalty_after_days: 3,
        };
        let fund_id = fund::create_fund(c, &admin, fund_input)?.id;
        let capital = ContributionInput {
            source: Source::Donor,
            member_id: None,
            amount: Money::from_centimos(900_000_000),
            date: today - chrono::Duration::days(90),
            note: None,
        };
        fund::contribute(c, &coordinator, fund_id, capital)?;
        let mut ids = Vec::new();
        for n in 0..loans {
            let request = LoanRequest {
                fund_id,
                member_id: members[n % members.len()],
                principal: Money::from_centimos(100_000),
                method: InterestMethod::Flat,
                rate: rust_decimal::Decimal::new(2, 2),
                periods: 10,
                frequency: Frequency::Monthly,
                first_due_date: today - chrono::Duration::days(10),
                grace_periods: 0,
                purpose: None,
            };
            let id = fund::request_loan(c, &coordinator, request, today - chrono::Duration::days(40))?.id;
            fund::decide(c, &admin, id, Decision::Approve, today)?;
            fund::disburse(c, &coordinator, id, today - chrono::Duration::days(40), today)?;
            ids.push(id);
        }
        Ok::<_, pallay::error::AppError>((fund_id, ids))
    })
    .expect("fund")
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

fn main() {
    let loans: usize = std::env::var("PALLAY_BENCH_LOANS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(2000);
    let dir = std::env::temp_dir().join(format!("pallay-bench-collection-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let path = dir.join("pallay.db").to_string_lossy().into_owned();
    let db = Db::connect(&path, 8).expect("db");
    db.migrate().expect("migrate");
    let started = Instant::now();
    let (fund_id, ids) = setup(&db, loans);
    println!(
        "set-up: {loans} disbursed loans in {:.1} s",
        started.elapsed().as_secs_f64()
    );
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
        portfolios: Default::default(),
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
    let auth = format!("Bearer {}", token["token"].as_str().expect("token"));

    let mut sheet_ms = Vec::new();
    let mut rows = 0;
    for _ in 0..21 {
        let start = Instant::now();
        let mut response = agent
            .get(&format!("{address}/api/v1/funds/{fund_id}/collection-sheet"))
            .header("Authorization", &auth)
            .call()
            .expect("sheet");
        let body: serde_json::Value = response.body_mut().read_json().expect("json");
        sheet_ms.push(start.elapsed().as_secs_f64() * 1000.0);
        rows = body["rows"].as_array().map_or(0, Vec::len);
    }
    assert_eq!(rows, loans, "every loan on the sheet");
    let worst = sheet_ms.iter().copied().fold(0.0, f64::max);
    println!(
        "sheet of {rows} loans: median {:.1} ms, worst {worst:.1} ms (ceiling 100 ms)",
        median(sheet_ms)
    );

    let mut batch_ms = Vec::new();
    for (b, chunk) in ids.chunks(50).take(10).enumerate() {
        let body = serde_json::json!({"date": today().to_string(), "rows": chunk.iter().map(|id| serde_json::json!({
            "loan_id": id, "amount": "10.50", "key": format!("bench-{b}-{id}"),
        })).collect::<Vec<_>>()});
        let start = Instant::now();
        let mut response = agent
            .post(&format!("{address}/api/v1/funds/{fund_id}/collections"))
            .header("Authorization", &auth)
            .send_json(&body)
            .expect("batch");
        let answer: serde_json::Value = response.body_mut().read_json().expect("json");
        batch_ms.push(start.elapsed().as_secs_f64() * 1000.0);
        let posted = answer["rows"]
            .as_array()
            .map_or(0, |r| r.iter().filter(|r| r["status"] == "posted").count());
        assert_eq!(posted, chunk.len(), "{answer}");
    }
    let worst = batch_ms.iter().copied().fold(0.0, f64::max);
    println!(
        "batch of 50 rows (50 repayments, 50 receipts queued): median {:.0} ms, worst {worst:.0} ms over {} batches (ceiling 1000 ms)",
        median(batch_ms.clone()),
        batch_ms.len()
    );
    let _ = std::fs::remove_dir_all(&dir);
}
