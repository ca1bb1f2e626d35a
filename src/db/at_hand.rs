//! The SQLite connection a thread keeps for reads by key and her own page ([`super::Db::read_by_key`],
//! [`super::Db::read_own`]).

use std::cell::RefCell;
use std::sync::Arc;

use super::{establish, DbConn};
use crate::error::AppError;

thread_local! {
    /// This thread's connection and the database it opens. A thread serves one database at a time
    /// (tests run servers of many): another URL replaces it.
    static CONNECTION: RefCell<Option<(Arc<str>, DbConn)>> = const { RefCell::new(None) };
}

/// Runs `f` on this thread's connection to `url`, opening it the first time.
pub fn read<T>(url: &Arc<str>, f: impl FnOnce(&mut DbConn) -> Result<T, AppError>) -> Result<T, AppError> {
    CONNECTION.with_borrow_mut(|slot| {
        let conn = match slot {
            Some((open, conn)) if **open == **url => conn,
            _ => {
                *slot = None;
                let conn = establish(url).map_err(|e| AppError::internal(format!("cannot open the database: {e}")))?;
                &mut slot.insert((Arc::clone(url), conn)).1
            }
        };
        let outcome = f(conn);
        if outcome.is_err() {
            // A connection that failed is not trusted again: the next read opens a fresh one.
            *slot = None;
        }
        outcome
    })
}
