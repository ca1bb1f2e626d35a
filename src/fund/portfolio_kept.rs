//! The portfolio of each fund kept between views, read again only when the fund's books change.
//!
//! A fund's page, the portfolio API and the dashboard show the portfolio of today, which reads
//! every loan still in progress (~4 ms with a thousand of them). It changes only when something it
//! reads is written; the database moves a number per fund whenever that happens
//! (`fund_revisions`, kept by triggers on the four tables every such write goes through: loans,
//! journal entries, reschedules and the settled loans' totals, so no write path can forget it —
//! migration `2026-12-02-000001_fund_revisions` says why each is enough). Here each server keeps the last
//! report of each fund with the number it was read at, and answers from it while the number has
//! not moved and the day is the same.
//!
//! The number is read before the report. A write committed in between (PostgreSQL reads each
//! statement afresh; SQLite reads the whole report in one snapshot) makes the kept report newer
//! than its number says, never older: the next view finds the number moved and reads again. Each
//! server keeps its own reports, the number lives in the database: several servers on one
//! PostgreSQL stay right. One report per fund is kept (a few hundred bytes).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::portfolio::{portfolio, Portfolio};
use crate::db::schema::fund_revisions;
use crate::db::{on_backend, DbConn};
use crate::error::AppResult;

/// The reports kept by this server, one per fund.
#[derive(Default)]
pub struct KeptPortfolios {
    by_fund: Mutex<HashMap<i64, Kept>>,
}

struct Kept {
    as_of: NaiveDate,
    revision: i64,
    portfolio: Portfolio,
}

impl KeptPortfolios {
    /// The portfolio of the fund on `as_of`: the kept one if the fund has not changed since it was
    /// read for that day, else read now (and kept).
    pub fn portfolio(&self, conn: &mut DbConn, fund_id: i64, as_of: NaiveDate) -> AppResult<Portfolio> {
        let revision = revision_of(conn, fund_id)?;
        if let Some(kept) = self.lock().get(&fund_id) {
            if kept.as_of == as_of && kept.revision == revision {
                return Ok(kept.portfolio.clone());
            }
        }
        let portfolio = portfolio(conn, fund_id, as_of)?;
        self.lock().insert(
            fund_id,
            Kept {
                as_of,
                revision,
                portfolio: portfolio.clone(),
            },
        );
        Ok(portfolio)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Kept>> {
        // A thread that panicked while holding it left a whole map behind: each entry is written
        // in one insert, so what is there is still a report and its number.
        self.by_fund.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The fund's number of changes (0 for a fund that never changed).
pub fn revision_of(conn: &mut DbConn, fund_id: i64) -> AppResult<i64> {
    let found: Option<i64> = on_backend!(conn, |c| fund_revisions::table
        .find(fund_id)
        .select(fund_revisions::revision)
        .get_result(c)
        .optional())?;
    Ok(found.unwrap_or(0))
}
