//! Running Pallay with nobody on call: backups that restore (`backup.rs`), a self-check of the
//! books (`check.rs`), one server per SQLite file (`lock.rs`), the move to PostgreSQL (`copy.rs`),
//! and the daily backups of
//! `pallay serve` with what they keep (here).

pub mod backup;
pub mod check;
mod check_totals;
pub mod copy;
pub mod lock;
pub mod pages;

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use chrono::{Datelike, NaiveDate};
use diesel::{QueryableByName, RunQueryDsl};

use crate::db::DbConn;

/// The daily backups' file names: `pallay-YYYY-MM-DD.db`.
const PREFIX: &str = "pallay-";
const SUFFIX: &str = ".db";

/// Why the last backup failed, for the administrators' home page (`None` once one succeeds).
static LAST_FAILURE: Mutex<Option<String>> = Mutex::new(None);

pub fn last_backup_failure() -> Option<String> {
    LAST_FAILURE.lock().map(|f| f.clone()).unwrap_or(None)
}

fn remember(outcome: &Result<String, String>) {
    if let Ok(mut last) = LAST_FAILURE.lock() {
        *last = outcome.as_ref().err().cloned();
    }
}

fn backup_date(path: &Path) -> Option<NaiveDate> {
    let name = path.file_name()?.to_str()?;
    name.strip_prefix(PREFIX)?.strip_suffix(SUFFIX)?.parse().ok()
}

/// Which daily backups to remove: all but the newest `keep`, and but the first of each month of
/// the last year (the oldest backup of this month and of each of the 11 before it). Pure.
pub fn to_remove(dates: &[NaiveDate], keep: usize, today: NaiveDate) -> Vec<NaiveDate> {
    let mut sorted: Vec<NaiveDate> = dates.to_vec();
    sorted.sort_unstable();
    sorted.dedup();
    let newest: Vec<NaiveDate> = sorted.iter().rev().take(keep).copied().collect();
    let month = |d: &NaiveDate| i64::from(d.year()) * 12 + i64::from(d.month0());
    let mut monthly: Vec<NaiveDate> = Vec::new();
    for d in sorted.iter().filter(|d| (0..12).contains(&(month(&today) - month(d)))) {
        if !monthly.iter().any(|m| month(m) == month(d)) {
            monthly.push(*d);
        }
    }
    sorted
        .into_iter()
        .filter(|d| !newest.contains(d) && !monthly.contains(d))
        .collect()
}

/// Takes today's backup into `dir` if there is none yet, then removes what is no longer kept.
/// Returns what it did, for the log.
pub fn daily_backup(url: &str, dir: &Path, keep: usize, today: NaiveDate) -> Result<String, String> {
    let target = dir.join(format!("{PREFIX}{today}{SUFFIX}"));
    let outcome = (|| {
        let done = if target.is_file() {
            format!("today's backup is there: {}", target.display())
        } else {
            let contents = backup::backup(url, &target)?;
            format!("backup written to {}: {contents}", target.display())
        };
        let entries = std::fs::read_dir(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        let backups: Vec<(NaiveDate, PathBuf)> = entries
            .flatten()
            .map(|e| e.path())
            .filter_map(|p| backup_date(&p).map(|d| (d, p)))
            .collect();
        let dates: Vec<NaiveDate> = backups.iter().map(|(d, _)| *d).collect();
        let remove = to_remove(&dates, keep, today);
        for (_, path) in backups.iter().filter(|(d, _)| remove.contains(d)) {
            std::fs::remove_file(path).map_err(|e| format!("{}: {e}", path.display()))?;
        }
        Ok(done)
    })();
    remember(&outcome);
    outcome
}

/// Before migrations change an existing SQLite database: a copy as it was, into `dir` (or beside
/// the database). `None` when there is nothing to keep (no file yet, nothing pending).
pub fn backup_before_migration(url: &str, dir: Option<&Path>) -> Result<Option<PathBuf>, String> {
    if crate::db::Backend::of(url) != crate::db::Backend::Sqlite {
        return Ok(None);
    }
    let source = PathBuf::from(crate::db::sqlite_path(url));
    if !source.is_file() || std::fs::metadata(&source).map(|m| m.len()).unwrap_or(0) == 0 {
        return Ok(None);
    }
    let mut conn = crate::db::establish(url).map_err(|e| e.to_string())?;
    let migrated_before = {
        use diesel::prelude::*;
        #[derive(diesel::QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query("SELECT COUNT(*) AS n FROM sqlite_master WHERE name = '__diesel_schema_migrations'")
            .get_result::<N>(&mut conn)
            .map(|r| r.n > 0)
            .map_err(|e| e.to_string())?
    };
    if !migrated_before || !crate::db::has_pending_migrations(&mut conn)? {
        return Ok(None);
    }
    drop(conn);
    let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
    let name = format!("pallay-before-migration-{stamp}{SUFFIX}");
    let target = match dir {
        Some(dir) => dir.join(name),
        None => source.with_file_name(name),
    };
    backup::backup(url, &target)?;
    Ok(Some(target))
}

/// Runs `job` now and then every hour on a thread of its own, for as long as the process lives
/// (the housekeeping of `pallay serve`): a failure is the job's to log, and it runs again the next
/// hour.
pub fn every_hour(name: &str, mut job: impl FnMut() + Send + 'static) -> Result<(), String> {
    std::thread::Builder::new()
        .name(name.into())
        .spawn(move || loop {
            job();
            std::thread::sleep(std::time::Duration::from_secs(3600));
        })
        .map(|_| ())
        .map_err(|e| format!("cannot start {name}: {e}"))
}

/// Rows of a query written for both databases (the maintenance commands' raw SQL).
pub(crate) fn ask<T: QueryableByName<<DbConn as diesel::Connection>::Backend> + 'static>(
    conn: &mut DbConn,
    sql: &str,
) -> Result<Vec<T>, String> {
    diesel::sql_query(sql)
        .load::<T>(conn)
        .map_err(|e| format!("{e} in: {sql}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_newest_are_kept_and_the_first_of_each_month_for_a_year() {
        let today = d("2026-11-30");
        let mut dates: Vec<NaiveDate> = (0..400).map(|i| today - chrono::Duration::days(i)).collect();
        dates.push(d("2024-05-01"));
        let removed = to_remove(&dates, 14, today);
        let kept: Vec<NaiveDate> = dates.iter().copied().filter(|x| !removed.contains(x)).collect();
        // 14 newest (17–30 November) and the first backup of each month, December 2025 to November 2026.
        assert_eq!(kept.len(), 14 + 12, "{kept:?}");
        assert!(kept.contains(&d("2026-11-17")) && !kept.contains(&d("2026-11-16")));
        assert!(kept.contains(&d("2025-12-01")) && kept.contains(&d("2026-10-01")));
        assert!(
            !kept.contains(&d("2025-11-01")) && !kept.contains(&d("2024-05-01")),
            "older than a year"
        );
        assert!(to_remove(&[today], 14, today).is_empty());
    }

    #[test]
    fn only_daily_backup_names_are_read_as_dates() {
        assert_eq!(backup_date(Path::new("/b/pallay-2026-11-30.db")), Some(d("2026-11-30")));
        assert_eq!(
            backup_date(Path::new("/b/pallay-before-migration-20261130T1200.db")),
            None
        );
        assert_eq!(backup_date(Path::new("/b/notes.txt")), None);
    }
}
