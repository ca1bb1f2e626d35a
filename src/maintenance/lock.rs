//! One server per SQLite database: `pallay serve` holds an exclusive lock on `<database>.lock`
//! for as long as it runs (the operating system frees it when the process ends, however it
//! ends), and `pallay restore` refuses to replace a database whose lock is held.

use std::fs::{File, TryLockError};

use crate::db::{sqlite_path, Backend};

/// The lock, held until dropped. `None` on PostgreSQL, which many servers share by design.
pub struct Held(#[allow(dead_code)] Option<File>);

pub fn hold(url: &str) -> Result<Held, String> {
    if Backend::of(url) == Backend::Postgres {
        return Ok(Held(None));
    }
    let path = format!("{}.lock", sqlite_path(url));
    let file = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| format!("{path}: {e}"))?;
    match file.try_lock() {
        Ok(()) => Ok(Held(Some(file))),
        Err(TryLockError::WouldBlock) => Err(format!("another Pallay server holds {}", sqlite_path(url))),
        Err(TryLockError::Error(e)) => Err(format!("{path}: {e}")),
    }
}
