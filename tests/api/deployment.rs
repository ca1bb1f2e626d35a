//! The deployment guide's commands, as far as a test can run them: the systemd unit parses, and
//! `pallay copy-to` moves a SQLite database into PostgreSQL whole, and an upgrade's migration
//! keeps a copy of the database as it was.

use std::path::PathBuf;
use std::process::Command;

use diesel::connection::SimpleConnection;

use crate::maintenance::{count, pallay, scratch};

#[test]
fn the_systemd_unit_of_the_deployment_guide_parses() {
    let Ok(found) = Command::new("systemd-analyze").arg("--version").output() else {
        eprintln!("skipped: no systemd-analyze on this machine");
        return;
    };
    assert!(found.status.success());
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let unit = std::fs::read_to_string(root.join("deploy/pallay.service")).expect("deploy/pallay.service");
    assert!(
        unit.contains("ProtectSystem=strict") && unit.contains("Restart=on-failure") && unit.contains("User=pallay")
    );
    // The binary the unit starts is this build's (the guide installs it as /usr/local/bin/pallay).
    let unit = unit.replace("/usr/local/bin/pallay", env!("CARGO_BIN_EXE_pallay"));
    let dir = scratch("unit");
    let path = dir.join("pallay.service");
    std::fs::write(&path, unit).unwrap();
    let out = Command::new("systemd-analyze")
        .arg("verify")
        .arg(&path)
        .output()
        .expect("verify");
    let said = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    // A directive it cannot read is only a warning: any word from it is a failure here.
    assert!(out.status.success() && said.trim().is_empty(), "{said}");
}

#[test]
fn copy_to_moves_every_row_of_a_sqlite_database_into_an_empty_postgresql_one() {
    let Some(admin_url) = crate::helpers::postgres_url() else {
        eprintln!("skipped: copy-to needs PostgreSQL (PALLAY_TEST_POSTGRES_URL); CI runs it");
        return;
    };
    let dir = scratch("copy");
    let source = dir.join("pallay.db").to_string_lossy().into_owned();
    let (ok, out) = pallay(&source, &["demo"]);
    assert!(ok, "{out}");
    // An uploaded file (bytes, not text) travels too.
    let mut conn = pallay::db::establish(&source).unwrap();
    conn.batch_execute(
        "INSERT INTO import_uploads (user_id, kind, filename, content, created_at) \
         VALUES (1, 'members', 'socias.csv', X'00FF10EF', '2026-11-30 09:00:00')",
    )
    .unwrap();
    drop(conn);
    let name = format!("pallay_copy_{}", &pallay::auth::secret::generate()[..12]);
    let target = crate::helpers::create_postgres_database(&admin_url, &name);

    let (ok, out) = pallay(&source, &["copy-to", &target]);
    assert!(ok, "{out}");
    assert!(out.contains("the copy passes the checks"), "{out}");
    let (ok, out) = pallay(&target, &["check"]);
    assert!(ok, "{out}");
    let from = pallay::db::Db::connect(&source, 1).unwrap();
    let to = pallay::db::Db::connect(&target, 1).unwrap();
    let (mut from, mut to) = (from.get().unwrap(), to.get().unwrap());
    for sql in [
        "SELECT COUNT(*) AS n FROM members",
        "SELECT COUNT(*) AS n FROM members WHERE sms_consent",
        "SELECT COUNT(*) AS n FROM journal_lines",
        "SELECT CAST(SUM(debit) AS BIGINT) AS n FROM journal_lines",
        "SELECT COUNT(*) AS n FROM attendances",
        "SELECT COUNT(*) AS n FROM users WHERE member_id IS NOT NULL",
        // users ↔ members refer to each other: one side's column is filled in after both are in.
        "SELECT COUNT(*) AS n FROM members WHERE sms_consent_by IS NOT NULL",
        "SELECT COUNT(*) AS n FROM audit_log",
        "SELECT COUNT(*) AS n FROM topics",
    ] {
        assert_eq!(count(&mut from, sql), count(&mut to, sql), "{sql}");
    }
    assert_eq!(
        count(
            &mut to,
            "SELECT COUNT(*) AS n FROM import_uploads WHERE content = '\\x00ff10ef'::bytea"
        ),
        1,
        "the bytes, byte for byte"
    );
    // The copy is a working Pallay: new rows get ids after the copied ones.
    let copied_users = count(&mut to, "SELECT MAX(id) AS n FROM users");
    drop((from, to));
    let mut command = Command::new(env!("CARGO_BIN_EXE_pallay"));
    let made = command
        .args(["create-user", "--username", "nueva.staff", "--role", "gender_staff"])
        .env("DATABASE_URL", &target)
        .env("PALLAY_PASSWORD", "una clave larga")
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&made.stdout).to_string();
    assert!(made.status.success(), "{said}{}", String::from_utf8_lossy(&made.stderr));
    let new_id = said.rsplit("id ").next().unwrap().trim().parse::<i64>().unwrap();
    assert_eq!(
        new_id,
        copied_users + 1,
        "a new user's id comes after the copied ones: {said}"
    );
    // Into a database that is not empty: refused, nothing copied.
    let (ok, out) = pallay(&source, &["copy-to", &target]);
    assert!(!ok && out.contains("not empty"), "{out}");
}

#[test]
fn a_migration_keeps_a_copy_of_the_database_as_it_was() {
    let dir = scratch("migration");
    let url = dir.join("pallay.db").to_string_lossy().into_owned();
    assert!(pallay(&url, &["demo"]).0);
    // The database as the version before the last migration left it.
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("migrations/sqlite");
    let mut versions: Vec<String> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    versions.sort();
    let last = versions.last().unwrap().clone();
    let down = std::fs::read_to_string(root.join(&last).join("down.sql")).unwrap();
    let version: String = last
        .split('_')
        .next()
        .unwrap()
        .chars()
        .filter(char::is_ascii_digit)
        .collect();
    let mut conn = pallay::db::establish(&url).unwrap();
    conn.batch_execute(&format!(
        "{down}; DELETE FROM __diesel_schema_migrations WHERE version = '{version}';"
    ))
    .unwrap();
    assert!(
        pallay::db::has_pending_migrations(&mut conn).unwrap(),
        "one migration to run"
    );
    drop(conn);

    let backups = dir.join("copias");
    let output = Command::new(env!("CARGO_BIN_EXE_pallay"))
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .env("PALLAY_BACKUP_DIR", &backups)
        .output()
        .unwrap();
    let said = String::from_utf8_lossy(&output.stdout).to_string();
    assert!(output.status.success() && said.contains("before migrating"), "{said}");
    let copies: Vec<PathBuf> = std::fs::read_dir(&backups)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    assert_eq!(copies.len(), 1, "{copies:?} {said}");
    let mut copy = pallay::db::establish(&copies[0].to_string_lossy()).unwrap();
    assert!(
        pallay::db::has_pending_migrations(&mut copy).unwrap(),
        "the copy is the database before the migration"
    );
    assert_eq!(count(&mut copy, "SELECT COUNT(*) AS n FROM members"), 40);
    drop(copy);
    // Nothing pending: no copy.
    let again = Command::new(env!("CARGO_BIN_EXE_pallay"))
        .arg("migrate")
        .env("DATABASE_URL", &url)
        .env("PALLAY_BACKUP_DIR", &backups)
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&again.stdout).contains("before migrating"));
    let copies = std::fs::read_dir(&backups)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".db"))
        .count();
    assert_eq!(copies, 1);
}

/// A connection opened while another holds the file's lock waits its turn (a server started
/// while the last one's write-ahead log is being replayed, or while a backup is restored),
/// instead of failing at once with "database is locked" as it did when its first statement ran
/// before the wait was set.
#[test]
fn a_connection_opened_while_the_file_is_locked_waits_for_it() {
    use diesel::Connection;
    let dir = scratch("locked-open");
    let path = dir.join("pallay.db").to_string_lossy().into_owned();
    // A file in SQLite's default journal mode: asking for WAL needs the file to itself.
    let mut holder = diesel::SqliteConnection::establish(&path).unwrap();
    holder
        .batch_execute("CREATE TABLE t (x INTEGER); BEGIN EXCLUSIVE; INSERT INTO t VALUES (1);")
        .unwrap();
    let release = std::thread::spawn(move || {
        std::thread::sleep(std::time::Duration::from_millis(400));
        holder.batch_execute("COMMIT").unwrap();
    });
    let opened = pallay::db::establish(&path);
    release.join().unwrap();
    let mut conn = opened.unwrap_or_else(|e| panic!("opening waited for the lock: {e}"));
    assert_eq!(count(&mut conn, "SELECT COUNT(*) AS n FROM t"), 1);
    let _ = std::fs::remove_dir_all(&dir);
}
