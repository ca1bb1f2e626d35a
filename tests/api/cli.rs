//! The command line, run as a program: migrate, create-user, demo, and the first administrator.

use std::process::Command;

use crate::helpers::temp_sqlite_url;

fn pallay(database_url: &str, args: &[&str], password: Option<&str>) -> (bool, String) {
    let mut command = Command::new(env!("CARGO_BIN_EXE_pallay"));
    command
        .args(args)
        .env("DATABASE_URL", database_url)
        .env_remove("PALLAY_PASSWORD");
    if let Some(p) = password {
        command.env("PALLAY_PASSWORD", p);
    }
    let output = command.output().expect("run pallay");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    );
    (output.status.success(), text)
}

fn fresh_database() -> String {
    temp_sqlite_url(&format!("cli_{}", &pallay::auth::secret::generate()[..8]))
}

#[test]
fn migrate_then_create_user_refuses_bad_input_with_a_clear_message() {
    let db = fresh_database();
    let (ok, out) = pallay(&db, &["migrate"], None);
    assert!(ok, "{out}");
    let (ok, out) = pallay(
        &db,
        &["create-user", "--username", "ana", "--role", "boss"],
        Some("una clave larga"),
    );
    assert!(!ok && out.contains("role"), "{out}");
    let (ok, out) = pallay(
        &db,
        &["create-user", "--username", "ana", "--role", "viewer"],
        Some("123"),
    );
    assert!(!ok && out.contains("password"), "{out}");
    let (ok, out) = pallay(
        &db,
        &[
            "create-user",
            "--username",
            "ana",
            "--role",
            "coordinator",
            "--organization",
            "9",
        ],
        Some("una clave larga"),
    );
    assert!(!ok && out.contains("organization_ids"), "{out}");
    let (ok, out) = pallay(
        &db,
        &["create-user", "--username", "ana", "--role", "viewer"],
        Some("una clave larga"),
    );
    assert!(ok && out.contains("created user ana"), "{out}");
    let (ok, out) = pallay(
        &db,
        &["create-user", "--username", "ana", "--role", "viewer"],
        Some("una clave larga"),
    );
    assert!(!ok && out.contains("username"), "{out}");
    let _ = std::fs::remove_file(db);
}

#[test]
fn demo_loads_people_of_every_role_once() {
    let db = fresh_database();
    let (ok, out) = pallay(&db, &["demo"], None);
    assert!(ok, "{out}");
    for role in ["admin", "gender_staff", "coordinator", "member", "viewer"] {
        assert!(out.contains(&format!("({role})")), "no {role} in: {out}");
    }
    let (ok, out) = pallay(&db, &["demo"], None);
    assert!(!ok && out.contains("empty"), "{out}");

    // The demo's receipts go out through the log gateway, once.
    let (ok, out) = pallay(&db, &["send-notices"], None);
    // "N notice(s) queued; S sent, …": S, not any "sent" (which "0 sent" would match too).
    let sent: u32 = out
        .lines()
        .find(|l| l.contains("notice(s) queued;"))
        .and_then(|l| l.split(" sent").next())
        .and_then(|before| before.rsplit(' ').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0);
    assert!(ok && sent > 0, "some receipts sent: {out}");
    let (ok, again) = pallay(&db, &["send-notices"], None);
    assert!(ok && again.contains("0 sent"), "{again}");
    let refused = Command::new(env!("CARGO_BIN_EXE_pallay"))
        .arg("send-notices")
        .env("DATABASE_URL", &db)
        .env("PALLAY_SMS_GATEWAY", "pigeon")
        .output()
        .unwrap();
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("PALLAY_SMS_GATEWAY"));

    let database = pallay::db::Db::connect(&db, 1).unwrap();
    let mut conn = database.get().unwrap();
    use diesel::prelude::*;
    let members: i64 = pallay::db::schema::members::table
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert!(members >= 40, "{members} members");
    let mut statuses: Vec<String> = pallay::db::schema::loans::table
        .select(pallay::db::schema::loans::status)
        .distinct()
        .load(&mut *conn)
        .unwrap();
    statuses.sort();
    assert_eq!(
        statuses,
        [
            "approved",
            "cancelled",
            "disbursed",
            "rejected",
            "repaid",
            "requested",
            "written_off"
        ]
    );
    let late: i64 = pallay::db::schema::installments::table
        .inner_join(pallay::db::schema::loans::table)
        .filter(pallay::db::schema::loans::status.eq("disbursed"))
        .filter(pallay::db::schema::installments::paid_off_on.is_null())
        .filter(
            pallay::db::schema::installments::due_date.lt(pallay::clock::today_in_lima() - chrono::Duration::days(30)),
        )
        .count()
        .get_result(&mut *conn)
        .unwrap();
    assert!(late > 0, "some loans are in arrears");
    let mut action_statuses: Vec<String> = pallay::db::schema::committee_actions::table
        .select(pallay::db::schema::committee_actions::status)
        .distinct()
        .load(&mut *conn)
        .unwrap();
    action_statuses.sort();
    assert_eq!(
        action_statuses,
        ["cancelled", "done", "in_progress", "pending"],
        "the committee's actions in every state"
    );
}

#[test]
fn the_first_server_start_creates_an_administrator_who_can_sign_in() {
    let db = fresh_database();
    let database = pallay::db::Db::connect(&db, 1).unwrap();
    database.migrate().unwrap();
    let (username, password) = pallay::users::service::bootstrap_admin(&database)
        .unwrap()
        .expect("an admin");
    assert!(
        pallay::users::service::bootstrap_admin(&database).unwrap().is_none(),
        "only on an empty database"
    );
    let mut conn = database.get().unwrap();
    let user = pallay::auth::login::check_credentials(&mut conn, &username, &password, "127.0.0.1").unwrap();
    assert_eq!(user.role, pallay::auth::policy::Role::Admin);
}
