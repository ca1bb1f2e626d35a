//! Running it for real: `pallay check` finds what is wrong with a database (and nothing when all
//! is right), `pallay backup` copies a database that others are writing to, `pallay restore`
//! puts a checked copy back and refuses while a server holds the database, and the daily
//! backups keep what they promise.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use diesel::connection::SimpleConnection;
use pallay::db::Backend;
use serde_json::json;

use crate::fund_helpers::{day, fund_with_cash, Fund};

pub(crate) fn pallay(database_url: &str, args: &[&str]) -> (bool, String) {
    let output = Command::new(env!("CARGO_BIN_EXE_pallay"))
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("PALLAY_BACKUP_DIR")
        .output()
        .expect("run pallay");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

/// `pallay check` on a database: (passed, what it said).
pub(crate) fn pallay_check(database_url: &str) -> (bool, String) {
    pallay(database_url, &["check"])
}

pub(crate) fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir()
        .join("pallay-tests")
        .join(format!("{name}-{}", &pallay::auth::secret::generate()[..8]));
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

fn sql(f: &Fund, statements: &str) {
    let mut conn = f.app.db.get().expect("conn");
    conn.batch_execute(statements)
        .unwrap_or_else(|e| panic!("{statements}: {e}"));
}

/// A fund with every kind of money move: repayments, a reversal, a write-off.
fn busy_fund() -> (Fund, i64) {
    let f = fund_with_cash("5000.00");
    let loan = f.disbursed("300.00", "0.02", 3, -40);
    assert_eq!(f.repay(loan, "50.00", -5).status, 201);
    let second = f.repay(loan, "20.00", 0).json()["id"].as_i64().unwrap();
    let r = f.maker.post(
        &format!("/api/v1/repayments/{second}/reverse"),
        &json!({"reason": "mal digitado"}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let lost = f.disbursed("100.00", "0", 2, -60);
    let r = f.admin.post(
        &format!("/api/v1/loans/{lost}/write-off"),
        &json!({"date": day(0), "reason": "se fue"}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let r = f.maker.post(
        &format!("/api/v1/funds/{}/collections", f.fund),
        &json!({"date": day(0), "rows": [{"loan_id": loan, "amount": "10.00", "key": "k1"}]}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    (f, loan)
}

#[test]
fn check_passes_on_sound_books_and_names_every_table_and_row_that_is_wrong() {
    let (f, loan) = busy_fund();
    let url = f.app.database_url.clone();
    let (ok, out) = pallay(&url, &["check"]);
    assert!(ok, "{out}");
    assert!(out.contains("all checks pass"), "{out}");

    // An installment paid more than its repayments say, an entry that does not balance (nor agree
    // with the fund's running totals), a key whose answer was never written.
    sql(
        &f,
        &format!(
            "UPDATE installments SET principal_paid = principal_paid + 100 WHERE id = \
               (SELECT MIN(id) FROM installments WHERE loan_id = {loan});
             INSERT INTO journal_lines (entry_id, account, debit, credit) \
               SELECT MAX(id), 'cash', 500, 0 FROM journal_entries;
             UPDATE idempotency_keys SET body = '' WHERE key = 'k1';"
        ),
    );
    let (ok, out) = pallay(&url, &["check"]);
    assert!(!ok, "{out}");
    for expected in [
        "installments: installments ",
        &format!("loans: loans {loan}: "),
        "journal: journal_entries ",
        "trial_balance: fund ",
        "balances: fund_balances (fund ",
        "idempotency: idempotency_keys (user ",
        "problem(s) found",
    ] {
        assert!(out.contains(expected), "missing {expected:?} in:\n{out}");
    }
}

#[test]
fn a_backup_taken_during_repayments_holds_every_one_acknowledged_before_it_and_passes_the_checks() {
    let f = Arc::new(fund_with_cash("20000.00"));
    if f.app.backend() != Backend::Sqlite {
        // PostgreSQL has its own dump: the command says which, never showing the password.
        let target = scratch("pg").join("pallay.dump");
        let (ok, out) = pallay(&f.app.database_url, &["backup", &target.to_string_lossy()]);
        assert!(!ok && out.contains("pg_dump --format=custom"), "{out}");
        assert!(
            !out.contains(":pallay_test@") && !out.contains("pallay_test:pallay_test"),
            "no password: {out}"
        );
        return;
    }
    let loans: Vec<i64> = (0..4).map(|_| f.disbursed("2000.00", "0", 10, -40)).collect();
    let stop = Arc::new(AtomicBool::new(false));
    // Each acknowledged repayment with the moment its answer arrived.
    let acknowledged = Arc::new(Mutex::new(Vec::<(std::time::Instant, i64)>::new()));
    let writers: Vec<_> = loans
        .iter()
        .map(|&loan| {
            let (f, stop, acknowledged) = (Arc::clone(&f), Arc::clone(&stop), Arc::clone(&acknowledged));
            std::thread::spawn(move || {
                while !stop.load(Ordering::SeqCst) {
                    let r = f.repay(loan, "1.00", 0);
                    if r.status == 201 {
                        let id = r.json()["id"].as_i64().unwrap();
                        acknowledged.lock().unwrap().push((std::time::Instant::now(), id));
                    }
                }
            })
        })
        .collect();
    std::thread::sleep(std::time::Duration::from_millis(400));
    let target = scratch("backup").join("copia.db");
    let started = std::time::Instant::now();
    let (ok, out) = pallay(&f.app.database_url, &["backup", &target.to_string_lossy()]);
    std::thread::sleep(std::time::Duration::from_millis(200));
    stop.store(true, Ordering::SeqCst);
    writers.into_iter().for_each(|w| w.join().unwrap());
    assert!(ok, "{out}");
    assert!(out.contains("members") && out.contains("journal lines"), "{out}");
    let before: Vec<i64> = acknowledged
        .lock()
        .unwrap()
        .iter()
        .filter(|(at, _)| *at < started)
        .map(|(_, id)| *id)
        .collect();
    assert!(before.len() > 10, "repayments were being posted: {}", before.len());
    let copy = pallay::db::Db::connect(&target.to_string_lossy(), 1).expect("open the copy");
    let mut conn = copy.get().expect("conn");
    for id in &before {
        let found = count(
            &mut conn,
            &format!("SELECT COUNT(*) AS n FROM repayments WHERE id = {id}"),
        );
        assert_eq!(
            found, 1,
            "repayment {id}, acknowledged before the backup began, is in it"
        );
    }
    drop(conn);
    let (ok, out) = pallay(&target.to_string_lossy(), &["check"]);
    assert!(ok, "the backup passes the checks: {out}");
    // Restored elsewhere, it is a database that passes the checks, with every one of them.
    let restored = target.parent().unwrap().join("restaurada.db");
    let restored_url = restored.to_string_lossy().into_owned();
    let (ok, out) = pallay(&restored_url, &["restore", &target.to_string_lossy()]);
    assert!(ok, "{out}");
    assert!(pallay(&restored_url, &["check"]).0);
    assert!(repayments_in(&restored) >= before.len() as i64);
    assert!(
        !std::fs::read_dir(target.parent().unwrap())
            .unwrap()
            .flatten()
            .any(|e| e.file_name().to_string_lossy().contains("partial")),
        "no half-written file left behind"
    );
}

pub(crate) fn count(conn: &mut pallay::db::DbConn, sql: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(diesel::QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    diesel::sql_query(sql).get_result::<N>(conn).expect("count").n
}

fn repayments_in(path: &Path) -> i64 {
    let db = pallay::db::Db::connect(&path.to_string_lossy(), 1).expect("open");
    let mut conn = db.get().expect("conn");
    count(&mut conn, "SELECT COUNT(*) AS n FROM repayments")
}

#[test]
fn restore_puts_back_a_checked_backup_keeps_what_it_replaced_and_refuses_while_a_server_runs() {
    let (f, loan) = busy_fund();
    if f.app.backend() != Backend::Sqlite {
        let (ok, out) = pallay(&f.app.database_url, &["restore", "x.db"]);
        assert!(!ok && out.contains("pg_restore"), "{out}");
        return;
    }
    let dir = scratch("restore");
    let (older, newer) = (dir.join("older.db"), dir.join("newer.db"));
    assert!(pallay(&f.app.database_url, &["backup", &older.to_string_lossy()]).0);
    assert_eq!(f.repay(loan, "5.00", 0).status, 201);
    assert!(pallay(&f.app.database_url, &["backup", &newer.to_string_lossy()]).0);
    let (older_count, newer_count) = (repayments_in(&older), repayments_in(&newer));
    assert_eq!(newer_count, older_count + 1);

    // Into a place with no database yet, then over it: the replaced one is kept beside it.
    let live = dir.join("pallay.db");
    let live_url = live.to_string_lossy().into_owned();
    let (ok, out) = pallay(&live_url, &["restore", &newer.to_string_lossy()]);
    assert!(ok, "{out}");
    let (ok, out) = pallay(&live_url, &["restore", &older.to_string_lossy()]);
    assert!(ok && out.contains("kept in"), "{out}");
    assert_eq!(repayments_in(&live), older_count);
    let kept: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().contains("pallay.db.replaced-"))
        .collect();
    assert_eq!(kept.len(), 1, "{kept:?}");
    assert_eq!(repayments_in(&kept[0]), newer_count);
    assert!(pallay(&live_url, &["check"]).0);

    // Not a database, or one whose books do not hold: refused, and the live one untouched.
    let junk = dir.join("junk.db");
    std::fs::write(&junk, b"this is not a database at all, just bytes".repeat(100)).unwrap();
    let (ok, out) = pallay(&live_url, &["restore", &junk.to_string_lossy()]);
    assert!(!ok && out.contains("junk.db"), "{out}");
    let broken = dir.join("broken.db");
    std::fs::copy(&newer, &broken).unwrap();
    let mut conn = pallay::db::establish(&broken.to_string_lossy()).unwrap();
    conn.batch_execute(
        "UPDATE installments SET interest_paid = interest_paid + 7 WHERE id = (SELECT MIN(id) FROM installments)",
    )
    .unwrap();
    drop(conn);
    let (ok, out) = pallay(&live_url, &["restore", &broken.to_string_lossy()]);
    assert!(
        !ok && out.contains("does not pass the checks") && out.contains("installments"),
        "{out}"
    );
    assert_eq!(repayments_in(&live), older_count);

    // A server holds the database: refused (a second server on it is refused too).
    let mut server = Command::new(env!("CARGO_BIN_EXE_pallay"))
        .arg("serve")
        .env("DATABASE_URL", &live_url)
        .env("PALLAY_BIND", "127.0.0.1:0")
        .env_remove("PALLAY_BACKUP_DIR")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("serve");
    let started = std::time::Instant::now();
    while pallay::maintenance::lock::hold(&live_url).is_ok() {
        assert!(started.elapsed().as_secs() < 20, "the server never took its lock");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let (ok, out) = pallay(&live_url, &["restore", &newer.to_string_lossy()]);
    let (second_ok, second) = pallay(&live_url, &["serve"]);
    server.kill().expect("kill");
    server.wait().expect("wait");
    assert!(!ok && out.contains("stop `pallay serve` first"), "{out}");
    assert!(!second_ok && second.contains("another Pallay server holds"), "{second}");
    assert_eq!(repayments_in(&live), older_count);
    // Once it is gone (killed, not stopped politely), the lock is free again.
    let (ok, out) = pallay(&live_url, &["restore", &newer.to_string_lossy()]);
    assert!(ok, "{out}");
    assert_eq!(repayments_in(&live), newer_count);
}

#[test]
fn the_daily_backup_writes_today_s_copy_once_and_keeps_what_it_promises() {
    let f = fund_with_cash("100.00");
    if f.app.backend() != Backend::Sqlite {
        return;
    }
    let dir = scratch("daily");
    let today = crate::helpers::test_today();
    // A backup that cannot be written (its directory is a file): told to the administrators on
    // their home page, until one succeeds.
    let blocked = dir.join("blocked");
    std::fs::write(&blocked, b"a file, not a directory").unwrap();
    let failed = pallay::maintenance::daily_backup(&f.app.database_url, &blocked, 3, today);
    assert!(failed.is_err(), "{failed:?}");
    let admin = f.app.create_user(pallay::auth::policy::Role::Admin, vec![], None);
    let mut browser = f.app.browser();
    assert_eq!(browser.login(&admin.username, crate::helpers::PASSWORD).status, 303);
    let home = crate::browser::text_of(&browser.get("/").body);
    assert!(home.contains("La copia de seguridad diaria falló"), "{home}");
    std::fs::remove_file(&blocked).unwrap();
    // Backups of the last 40 days (fakes), and one from two years ago.
    for back in (1..=40).chain([730]) {
        let date = today - chrono::Duration::days(back);
        std::fs::write(dir.join(format!("pallay-{date}.db")), b"old").unwrap();
    }
    std::fs::write(dir.join("notes.txt"), b"not a backup").unwrap();
    let done = pallay::maintenance::daily_backup(&f.app.database_url, &dir, 3, today).expect("backup");
    assert!(done.contains("backup written"), "{done}");
    let again = pallay::maintenance::daily_backup(&f.app.database_url, &dir, 3, today).expect("again");
    assert!(again.contains("today's backup is there"), "{again}");
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    let expected_kept = pallay::maintenance::to_remove(
        &(0..=40)
            .chain([730])
            .map(|b| today - chrono::Duration::days(b))
            .collect::<Vec<_>>(),
        3,
        today,
    );
    assert!(names.contains(&format!("pallay-{today}.db")) && names.contains(&"notes.txt".to_string()));
    assert_eq!(names.len(), 1 + 42 - expected_kept.len(), "{names:?}");
    assert!(!names.contains(&format!("pallay-{}.db", today - chrono::Duration::days(730))));
    let (ok, out) = pallay(&dir.join(format!("pallay-{today}.db")).to_string_lossy(), &["check"]);
    assert!(ok, "{out}");
    assert_eq!(pallay::maintenance::last_backup_failure(), None);
    let home = crate::browser::text_of(&browser.get("/").body);
    assert!(!home.contains("La copia de seguridad diaria falló"), "{home}");
}

#[test]
fn an_administrator_checks_the_books_from_a_page() {
    let (f, loan) = busy_fund();
    let admin = f.app.create_user(pallay::auth::policy::Role::Admin, vec![], None);
    let mut browser = f.app.browser();
    assert_eq!(browser.login(&admin.username, crate::helpers::PASSWORD).status, 303);
    let page = browser.get("/check");
    assert_eq!(page.status, 200);
    assert!(
        crate::browser::text_of(&page.body).contains("Todo en orden"),
        "{}",
        page.body
    );
    assert!(
        browser.get("/").body.contains("href=\"/check\""),
        "linked from her home"
    );
    sql(
        &f,
        &format!(
            "UPDATE installments SET interest_paid = interest_paid + 3 WHERE id = \
               (SELECT MIN(id) FROM installments WHERE loan_id = {loan})"
        ),
    );
    let text = crate::browser::text_of(&browser.get("/check").body);
    assert!(text.contains("Problemas encontrados: 1"), "{text}");
    assert!(
        text.contains("installments: installments ") && text.contains("60.03"),
        "{text}"
    );
}
