//! Copies of the SQLite database that restore: taken while the server runs (`VACUUM INTO` reads
//! one consistent snapshot; writers go on meanwhile), written under a temporary name, flushed to
//! disk and only then renamed into place, so a backup file is whole or absent — never half
//! written. Restoring checks the copy first and keeps the database it replaces beside it.

use std::fs::{self, File};
use std::path::{Path, PathBuf};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use diesel::sqlite::SqliteConnection;

use super::check::{check, Checks};
use crate::db::sqlite_path;

/// What a backup holds, to print and to compare.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contents {
    pub bytes: u64,
    pub members: i64,
    pub loans: i64,
    pub journal_lines: i64,
}

impl std::fmt::Display for Contents {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} bytes: {} members, {} loans, {} journal lines",
            self.bytes, self.members, self.loans, self.journal_lines
        )
    }
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

fn count(conn: &mut SqliteConnection, table: &str) -> Result<i64, String> {
    diesel::sql_query(format!("SELECT COUNT(*) AS n FROM {table}"))
        .get_result::<Count>(conn)
        .map(|c| c.n)
        .map_err(|e| format!("{table}: {e}"))
}

fn contents(path: &Path) -> Result<Contents, String> {
    let mut conn = SqliteConnection::establish(&path.to_string_lossy()).map_err(|e| e.to_string())?;
    Ok(Contents {
        bytes: fs::metadata(path).map_err(|e| e.to_string())?.len(),
        members: count(&mut conn, "members")?,
        loans: count(&mut conn, "loans")?,
        journal_lines: count(&mut conn, "journal_lines")?,
    })
}

/// Flushes a file, and the directory that names it, to the disk.
fn flush(path: &Path) -> Result<(), String> {
    File::open(path)
        .and_then(|f| f.sync_all())
        .map_err(|e| format!("{}: {e}", path.display()))?;
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        // Directories can be opened and synced on Unix; elsewhere the rename is as durable as it gets.
        if let Ok(dir) = File::open(dir) {
            let _ = dir.sync_all();
        }
    }
    Ok(())
}

/// A name beside `target` for what is being written, unique to this process and moment.
fn partial_name(target: &Path) -> PathBuf {
    let name = target
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let stamp = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    target.with_file_name(format!(".{name}.partial-{}-{stamp}", std::process::id()))
}

/// Writes a consistent copy of the SQLite database at `url` to `target` (replacing it, if there
/// is one, only once the copy is whole). Safe while a server is writing.
pub fn backup(url: &str, target: &Path) -> Result<Contents, String> {
    let source = sqlite_path(url);
    if !Path::new(source).is_file() {
        return Err(format!("no database at {source}"));
    }
    if let Some(dir) = target.parent().filter(|d| !d.as_os_str().is_empty()) {
        fs::create_dir_all(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
    }
    let partial = partial_name(target);
    let written = (|| {
        let mut conn = crate::db::establish(url).map_err(|e| e.to_string())?;
        let quoted = partial.to_string_lossy().replace('\'', "''");
        conn.batch_execute(&format!("VACUUM INTO '{quoted}'"))
            .map_err(|e| format!("copying the database: {e}"))?;
        drop(conn);
        // One self-contained file: no write-ahead log beside it.
        let mut copy = SqliteConnection::establish(&partial.to_string_lossy()).map_err(|e| e.to_string())?;
        copy.batch_execute("PRAGMA journal_mode = DELETE;")
            .map_err(|e| format!("the copy: {e}"))?;
        let problems = check(&mut crate::db::DbConn::Sqlite(copy), &Checks { schema: false })?;
        if let Some(first) = problems.first() {
            return Err(format!(
                "the copy does not pass the checks ({} problems; the first: {first})",
                problems.len()
            ));
        }
        flush(&partial)?;
        fs::rename(&partial, target).map_err(|e| format!("{}: {e}", target.display()))?;
        flush(target)?;
        contents(target)
    })();
    if written.is_err() {
        let _ = fs::remove_file(&partial);
    }
    written
}

/// What to run instead on PostgreSQL: its own dump, the URL shown without its password.
pub fn pg_dump_command(url: &str, target: &Path) -> String {
    let shown = match (url.find("://"), url.rfind('@')) {
        (Some(scheme), Some(at)) if at > scheme => {
            let user = &url[scheme + 3..at];
            let user = user.split(':').next().unwrap_or("");
            format!("{}{user}@{}", &url[..scheme + 3], &url[at + 1..])
        }
        _ => url.to_string(),
    };
    format!(
        "pg_dump --format=custom --file='{}' '{shown}'   # the password from PGPASSWORD or ~/.pgpass",
        target.display()
    )
}

/// Puts a checked backup in place of the database at `url`. The database it replaces is kept
/// beside it (returned). Refused while a server holds the database (see [`super::lock`]).
pub fn restore(url: &str, backup_file: &Path) -> Result<Option<PathBuf>, String> {
    let _held = super::lock::hold(url).map_err(|e| format!("{e}: stop `pallay serve` first, then restore"))?;
    if !backup_file.is_file() {
        return Err(format!("no backup at {}", backup_file.display()));
    }
    // Checked on a copy, so that checking it (which may roll back a journal) never touches it.
    let target = PathBuf::from(sqlite_path(url));
    let staged = partial_name(&target);
    let staged_ok = (|| {
        fs::copy(backup_file, &staged).map_err(|e| format!("{}: {e}", backup_file.display()))?;
        let conn = SqliteConnection::establish(&staged.to_string_lossy())
            .map_err(|e| format!("{} is not a database Pallay can open: {e}", backup_file.display()))?;
        let problems = check(&mut crate::db::DbConn::Sqlite(conn), &Checks { schema: false })
            .map_err(|e| format!("{} is not a Pallay database: {e}", backup_file.display()))?;
        if !problems.is_empty() {
            let listed: Vec<String> = problems.iter().map(ToString::to_string).collect();
            return Err(format!(
                "{} does not pass the checks:\n{}",
                backup_file.display(),
                listed.join("\n")
            ));
        }
        flush(&staged)
    })();
    if let Err(e) = staged_ok {
        let _ = fs::remove_file(&staged);
        return Err(e);
    }
    let kept = if target.is_file() {
        // Everything committed into the main file first, so the file kept is whole by itself.
        let mut current = crate::db::establish(url).map_err(|e| e.to_string())?;
        current
            .batch_execute("PRAGMA wal_checkpoint(TRUNCATE);")
            .map_err(|e| format!("{}: {e}", target.display()))?;
        drop(current);
        let stamp = chrono::Utc::now().format("%Y%m%dT%H%M%S");
        let kept = target.with_file_name(format!(
            "{}.replaced-{stamp}",
            target.file_name().map(|n| n.to_string_lossy()).unwrap_or_default()
        ));
        fs::rename(&target, &kept).map_err(|e| format!("{}: {e}", target.display()))?;
        for suffix in ["-wal", "-shm"] {
            let _ = fs::remove_file(format!("{}{suffix}", target.display()));
        }
        Some(kept)
    } else {
        None
    };
    fs::rename(&staged, &target).map_err(|e| format!("{}: {e}", target.display()))?;
    flush(&target)?;
    Ok(kept)
}
