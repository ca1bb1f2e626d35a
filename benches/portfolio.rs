//! The portfolio report (PAR30, ageing, SBS grades, repayment rate) on SQLite, as the book grows
//! from about 10 thousand to 1 million journal lines (1,000 to 100,000 loans).
//!
//!     cargo bench --bench portfolio             # PALLAY_BENCH_LOANS=1000,10000,100000 to choose sizes
//!
//! Each size also times the fund's accounts (running totals beside the journal's sums), `pallay
//! backup` of the book (with the check of the copy) and `pallay check`.
//!
//! A second part keeps 1,000 loans in progress and piles up a fund's past behind them (loans lent
//! one to five years ago and repaid: `PALLAY_BENCH_HISTORY=500,5000,50000`, up to about a million
//! journal lines): today's report reading every loan, then with the repaid loans settled.
//!
//! The data is written straight into the tables (as the services would have written it: each
//! loan a disbursement entry of 2 lines, each repayment an entry of 3 lines and its allocation),
//! because posting a million lines through HTTP would measure the set-up, not the report.

use std::time::Instant;

use chrono::{Duration, NaiveDate};
use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use pallay::db::schema::loans;
use pallay::db::{Db, DbConn};

mod common;

const INSTALLMENTS: i64 = 6;

fn sizes() -> Vec<usize> {
    std::env::var("PALLAY_BENCH_LOANS")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![1_000, 10_000, 100_000])
}

/// Runs `INSERT INTO table (columns) VALUES …` for many rows, a few hundred per statement.
fn bulk(conn: &mut DbConn, table: &str, columns: &str, rows: &[String]) {
    for chunk in rows.chunks(400) {
        conn.batch_execute(&format!("INSERT INTO {table} ({columns}) VALUES {}", chunk.join(",")))
            .unwrap_or_else(|e| panic!("{table}: {e}"));
    }
}

/// A deterministic mix: most loans paid on time, some late, some badly late, some written off;
/// then `history` loans lent one to five years ago and repaid on time, as a fund's past piles up.
fn build(conn: &mut DbConn, loans: usize, history: usize, as_of: NaiveDate) -> (usize, usize) {
    conn.batch_execute(
        "BEGIN IMMEDIATE;
         INSERT INTO organizations (id, name, kind, created_at) VALUES (1, 'Pallaqueras', 'association', '2024-01-01 00:00:00');
         INSERT INTO users (id, username, password_hash, role, created_at, updated_at)
             VALUES (1, 'coord', 'x', 'coordinator', '2024-01-01 00:00:00', '2024-01-01 00:00:00');
         INSERT INTO funds (id, organization_id, name, rounding_unit, penalty_amount, penalty_after_days, created_at)
             VALUES (1, 1, 'Fondo', 10, 0, 0, '2024-01-01 00:00:00');",
    )
    .expect("base");
    let ts = "'2024-01-01 00:00:00'";
    let members: Vec<String> = (1..=1000)
        .map(|i| format!("({i}, 'Socia', 'N{i}', 'female', 'es', 0, 0, {ts}, {ts})"))
        .collect();
    bulk(
        conn,
        "members",
        "id, first_name, last_name, sex, language, sms_consent, email_consent, created_at, updated_at",
        &members,
    );
    let (mut loan_rows, mut installment_rows, mut entry_rows, mut line_rows) = (vec![], vec![], vec![], vec![]);
    let (mut repayment_rows, mut allocation_rows) = (vec![], vec![]);
    let (mut entry_id, mut line_id, mut repayment_id) = (0i64, 0i64, 0i64);
    let mut line = |rows: &mut Vec<String>, entry: i64, account: &str, debit: i64, credit: i64| {
        line_id += 1;
        rows.push(format!("({line_id}, {entry}, '{account}', {debit}, {credit})"));
    };
    // The donor's capital first: the fund never lends money it does not have (`pallay check`).
    entry_id += 1;
    entry_rows.push(format!(
        "({entry_id}, 1, '{}', 'contribution', NULL, 1, {ts})",
        as_of - Duration::days(2000)
    ));
    let capital = 30_000 * (loans + history) as i64;
    line(&mut line_rows, entry_id, "cash", capital, 0);
    line(&mut line_rows, entry_id, "capital_donor", 0, capital);
    for n in 0..(loans + history) as i64 {
        let id = n + 1;
        // After the loans in progress, the fund's past: lent one to five years ago, repaid on time.
        let past = n >= loans as i64;
        // Disbursed over the last half year: about two installments due on average, so 100,000 loans
        // make about a million journal lines.
        let disbursed = match past {
            true => as_of - Duration::days(400 + (n * 7919) % 1400),
            false => as_of - Duration::days(20 + (n * 7919) % 180),
        };
        let written_off = !past && n % 97 == 0;
        let principal = 30_000;
        let status = match (past, written_off) {
            (true, _) => "repaid",
            (false, true) => "written_off",
            (false, false) => "disbursed",
        };
        let purpose = match past {
            true => ["comercio", "crianza de animales", "taller de joyería"][(n % 3) as usize],
            false => "comercio",
        };
        loan_rows.push(format!(
            "({id}, 1, {}, {principal}, 'flat', '0.02', {INSTALLMENTS}, 'monthly', '{}', 0, '{purpose}', '{status}', 1, '{disbursed}', {}, {ts}, {ts})",
            1 + n % 1000,
            disbursed + Duration::days(30),
            if written_off { format!("'{}'", as_of - Duration::days(5)) } else { "NULL".into() },
        ));
        entry_id += 1;
        entry_rows.push(format!("({entry_id}, 1, '{disbursed}', 'disbursement', {id}, 1, {ts})"));
        line(&mut line_rows, entry_id, "loans_receivable", principal, 0);
        line(&mut line_rows, entry_id, "cash", 0, principal);
        // How many installments were paid on time: all that fell due for most, fewer for some.
        let lateness = if past {
            0
        } else {
            [0, 0, 0, 0, 0, 1, 2, 4][(n % 8) as usize]
        };
        for k in 1..=INSTALLMENTS {
            let installment_id = (id - 1) * INSTALLMENTS + k;
            let due = disbursed + Duration::days(30 * k);
            let (p, i) = (principal / INSTALLMENTS, 600);
            let paid = due <= as_of && k <= INSTALLMENTS - lateness;
            installment_rows.push(format!(
                "({installment_id}, {id}, {k}, '{due}', {p}, {i}, {pp}, {ip}, 0, {off})",
                pp = if paid { p } else { 0 },
                ip = if paid { i } else { 0 },
                off = if paid { format!("'{due}'") } else { "NULL".into() },
            ));
            if paid {
                entry_id += 1;
                repayment_id += 1;
                entry_rows.push(format!("({entry_id}, 1, '{due}', 'repayment', {id}, 1, {ts})"));
                line(&mut line_rows, entry_id, "cash", p + i, 0);
                line(&mut line_rows, entry_id, "interest_income", 0, i);
                line(&mut line_rows, entry_id, "loans_receivable", 0, p);
                repayment_rows.push(format!(
                    "({repayment_id}, {id}, {}, '{due}', 0, {i}, {p}, {entry_id}, 1, {ts})",
                    p + i
                ));
                allocation_rows.push(format!("({repayment_id}, {installment_id}, 0, {i}, {p})"));
            }
        }
        let repaid_all =
            (1..=INSTALLMENTS).all(|k| disbursed + Duration::days(30 * k) <= as_of && k <= INSTALLMENTS - lateness);
        if written_off && !repaid_all {
            // What was still owed goes to losses, as `write_off` books it.
            let repaid = (1..=INSTALLMENTS)
                .filter(|k| disbursed + Duration::days(30 * k) <= as_of && *k <= INSTALLMENTS - lateness)
                .count() as i64
                * (principal / INSTALLMENTS);
            entry_id += 1;
            entry_rows.push(format!(
                "({entry_id}, 1, '{}', 'write_off', {id}, 1, {ts})",
                as_of - Duration::days(5)
            ));
            line(&mut line_rows, entry_id, "loan_losses", principal - repaid, 0);
            line(&mut line_rows, entry_id, "loans_receivable", 0, principal - repaid);
        }
    }
    let lines = line_rows.len();
    bulk(conn, "loans", "id, fund_id, member_id, principal, interest_method, rate_per_period, periods, frequency, \
         first_due_date, grace_periods, purpose, status, requested_by, disbursed_on, written_off_on, created_at, updated_at", &loan_rows);
    bulk(
        conn,
        "installments",
        "id, loan_id, number, due_date, principal, interest, principal_paid, interest_paid, \
         penalty_paid, paid_off_on",
        &installment_rows,
    );
    bulk(
        conn,
        "journal_entries",
        "id, fund_id, date, kind, loan_id, created_by, created_at",
        &entry_rows,
    );
    bulk(
        conn,
        "journal_lines",
        "id, entry_id, account, debit, credit",
        &line_rows,
    );
    bulk(
        conn,
        "repayments",
        "id, loan_id, amount, date, penalties, interest, principal, entry_id, created_by, created_at",
        &repayment_rows,
    );
    bulk(
        conn,
        "repayment_allocations",
        "repayment_id, installment_id, penalty, interest, principal",
        &allocation_rows,
    );
    // The fund's running totals, as `journal::post` keeps them with each entry.
    conn.batch_execute(
        "INSERT INTO fund_balances (fund_id, account, debit, credit) \
         SELECT e.fund_id, l.account, SUM(l.debit), SUM(l.credit) \
         FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id GROUP BY e.fund_id, l.account",
    )
    .expect("running totals");
    conn.batch_execute("COMMIT; ANALYZE;").expect("commit");
    (lines, installment_rows.len())
}

fn main() {
    let as_of = pallay::clock::today_in_lima();
    // "today": the report as `portfolio()` serves it when nothing is dated later (paid amounts
    // read from the installments); "any date": summed from the repayments, as for a past date.
    println!(
        "{:>8} {:>14} {:>13} {:>12} {:>12} {:>15} {:>15} {:>8}",
        "loans", "journal lines", "installments", "today (ms)", "best (ms)", "any date (ms)", "best (ms)", "PAR30"
    );
    for loans in sizes() {
        let dir = std::env::temp_dir().join(format!("pallay-bench-portfolio-{}-{loans}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("pallay.db").to_string_lossy().into_owned();
        let db = Db::connect(&path, 1).expect("db");
        db.migrate().expect("migrate");
        let mut conn = db.get().expect("conn");
        let (lines, installments) = build(&mut conn, loans, 0, as_of);
        let mut time = |report: &dyn Fn(&mut pallay::db::DbConn) -> pallay::fund::portfolio::Portfolio| {
            let mut times = Vec::new();
            let mut par30 = String::new();
            for _ in 0..5 {
                let start = Instant::now();
                par30 = report(&mut conn).par30;
                times.push(start.elapsed().as_secs_f64() * 1000.0);
            }
            times.sort_by(f64::total_cmp);
            (times[2], times[0], par30)
        };
        let (today, today_best, par30) = time(&|c| pallay::fund::portfolio::portfolio(c, 1, as_of).expect("report"));
        let (any, any_best, par30_any) = time(&|c| {
            use pallay::fund::portfolio::{portfolio_with, PaidAsOf};
            portfolio_with(c, 1, as_of, PaidAsOf::FromRepayments).expect("report")
        });
        assert_eq!(par30, par30_any, "both ways give the same report");
        println!(
            "{loans:>8} {lines:>14} {installments:>13} {today:>12.0} {today_best:>12.0} {any:>15.0} {any_best:>15.0} {par30:>8}"
        );
        // The fund's accounts (its page, the trial balance): the running totals kept with each
        // entry, beside summing the journal's lines as every page did before.
        let mut median = |f: &dyn Fn(&mut DbConn)| {
            let mut times: Vec<f64> = (0..7)
                .map(|_| {
                    let start = Instant::now();
                    f(&mut conn);
                    start.elapsed().as_secs_f64() * 1000.0
                })
                .collect();
            times.sort_by(f64::total_cmp);
            times[3]
        };
        let running = median(&|c| {
            pallay::fund::journal::balances(c, 1, as_of).expect("balances");
        });
        let summed = median(&|c| {
            pallay::fund::account_totals::summed(c, 1, as_of).expect("sums");
        });
        let page = median(&|c| {
            let fund = pallay::fund::model::Fund::find_scoped(c, &pallay::auth::policy::Scope::All, 1).expect("fund");
            pallay::fund::view::fund_view(c, &fund, as_of).expect("fund view");
        });
        println!(
            "{:>8} fund accounts: running totals {running:.2} ms (the fund's figures {page:.2} ms), summing the journal {summed:.1} ms",
            ""
        );
        drop(conn);
        // A backup of the same book (`pallay backup`: copy, check of the copy, flush, rename), and
        // `pallay check` of the live database.
        let start = Instant::now();
        let copy = pallay::maintenance::backup::backup(&path, &dir.join("copia.db")).expect("backup");
        let backup_s = start.elapsed().as_secs_f64();
        let mut conn = db.get().expect("conn");
        let start = Instant::now();
        let problems =
            pallay::maintenance::check::check(&mut conn, &pallay::maintenance::check::Checks { schema: true })
                .expect("check");
        let check_s = start.elapsed().as_secs_f64();
        assert!(problems.is_empty(), "{:?}", problems.first());
        println!(
            "{:>8} backup {backup_s:.1} s, {:.1} MB ({} journal lines); check {check_s:.1} s",
            "",
            copy.bytes as f64 / 1e6,
            copy.journal_lines
        );
        drop(conn);
        drop(db);
        let _ = std::fs::remove_dir_all(&dir);
    }
    history(as_of);
}

/// The fund's page as its coordinator opens it on her phone (`GET /funds/1`, gzip) from `pallay
/// serve` on the bench's database, over HTTP on one keep-alive connection: the median and best of
/// 21 views, in ms; the median of 21 views each right after the fund changed (the server then
/// reads its portfolio again: what the first view after a repayment pays); and its size as sent.
fn fund_page(path: &str) -> (f64, f64, f64, usize) {
    let server = common::Server::on(path);
    let session = common::Session::signed_in(&server.base, "coord");
    let get = || {
        let mut response = session
            .agent
            .get(&format!("{}/funds/1", server.base))
            .header("Cookie", &session.cookie_header())
            .header("Accept-Encoding", "gzip")
            .call()
            .expect("GET /funds/1");
        assert_eq!(response.status().as_u16(), 200, "the fund's page");
        response.body_mut().read_to_vec().expect("body").len()
    };
    // What the server does once at its start (settling the fund, the first reads of a cold file)
    // is not the page's cost: a moment, then five pages to warm up.
    std::thread::sleep(std::time::Duration::from_secs(2));
    let mut bytes = 0;
    for _ in 0..5 {
        bytes = get();
    }
    let mut times: Vec<f64> = (0..21)
        .map(|_| {
            let start = Instant::now();
            bytes = get();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    times.sort_by(f64::total_cmp);
    // A change to one loan in progress, as a repayment makes (a write to the loan's row moves the
    // fund's number and the loan's, as a repayment's journal entry does; without the write's own
    // cost): each time another loan.
    let mut writer = pallay::db::establish(path).expect("a second connection");
    let moving: Vec<i64> = loans::table
        .filter(loans::fund_id.eq(1))
        .filter(loans::status.eq("disbursed"))
        .select(loans::id)
        .limit(21)
        .load(&mut writer)
        .expect("loans in progress");
    assert_eq!(moving.len(), 21, "loans in progress to change");
    let mut changed: Vec<f64> = moving
        .iter()
        .map(|loan| {
            diesel::update(loans::table.find(loan))
                .set(loans::updated_at.eq(loans::updated_at))
                .execute(&mut writer)
                .expect("the loan changes");
            let start = Instant::now();
            bytes = get();
            start.elapsed().as_secs_f64() * 1000.0
        })
        .collect();
    changed.sort_by(f64::total_cmp);
    (times[10], times[0], changed[10], bytes)
}

/// How many repaid loans of the past the second part piles up behind the loans in progress.
fn history_sizes() -> Vec<usize> {
    std::env::var("PALLAY_BENCH_HISTORY")
        .ok()
        .map(|v| v.split(',').filter_map(|n| n.trim().parse().ok()).collect())
        .unwrap_or_else(|| vec![500, 5_000, 50_000])
}

/// The median and best of five runs of today's report, in ms, and the report.
fn timed(conn: &mut DbConn, as_of: NaiveDate) -> (f64, f64, pallay::fund::portfolio::Portfolio) {
    let mut times = Vec::new();
    let mut last = None;
    for _ in 0..5 {
        let start = Instant::now();
        last = Some(pallay::fund::portfolio::portfolio(conn, 1, as_of).expect("report"));
        times.push(start.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    (times[2], times[0], last.expect("five runs"))
}

/// A fund whose history grows while the loans in progress stay 1,000: today's report before the
/// repaid loans are settled (it reads every loan) and after (their totals and the loans in
/// progress), and what settling them all took once (`pallay serve` then settles a few each hour).
fn history(as_of: NaiveDate) {
    println!();
    println!(
        "{:>8} {:>8} {:>14} {:>20} {:>18} {:>14} {:>8} {:>20} {:>20} {:>10}",
        "active",
        "repaid",
        "journal lines",
        "every loan (ms)",
        "settled (ms)",
        "settling (s)",
        "PAR30",
        "fund page (ms)",
        "after a change (ms)",
        "gzip (KB)"
    );
    for repaid in history_sizes() {
        let dir = std::env::temp_dir().join(format!("pallay-bench-history-{}-{repaid}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let path = dir.join("pallay.db").to_string_lossy().into_owned();
        let db = Db::connect(&path, 1).expect("db");
        db.migrate().expect("migrate");
        let mut conn = db.get().expect("conn");
        let (lines, _) = build(&mut conn, 1_000, repaid, as_of);
        let (every, every_best, before) = timed(&mut conn, as_of);
        let start = Instant::now();
        let settled = pallay::fund::settled::settle_all(&mut conn, as_of).expect("settle");
        let settling = start.elapsed().as_secs_f64();
        assert_eq!(settled, repaid, "every repaid loan of the past is settled");
        let (after, after_best, report) = timed(&mut conn, as_of);
        assert_eq!(
            serde_json::to_value(&before).expect("json"),
            serde_json::to_value(&report).expect("json"),
            "the same report either way"
        );
        let problems =
            pallay::maintenance::check::check(&mut conn, &pallay::maintenance::check::Checks { schema: true })
                .expect("check");
        assert!(problems.is_empty(), "{:?}", problems.first());
        // The coordinator of the fund's organisation, who reads its page.
        let password = pallay::auth::password::hash(pallay::demo::DEMO_PASSWORD).expect("hash");
        conn.batch_execute(&format!(
            "UPDATE users SET password_hash = '{password}' WHERE id = 1;
             INSERT INTO user_organizations (user_id, organization_id) VALUES (1, 1);"
        ))
        .expect("coordinator");
        drop(conn);
        drop(db);
        let (page, page_best, page_changed, page_bytes) = fund_page(&path);
        println!(
            "{:>8} {repaid:>8} {lines:>14} {:>20} {:>18} {settling:>14.2} {:>8} {:>20} {page_changed:>20.1} {:>10.1}",
            1_000,
            format!("{every:.1} (best {every_best:.1})"),
            format!("{after:.1} (best {after_best:.1})"),
            report.par30,
            format!("{page:.1} (best {page_best:.1})"),
            page_bytes as f64 / 1000.0
        );
        let _ = std::fs::remove_dir_all(&dir);
    }
}
