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
//! When the number has moved on the same day, only the loans that changed are read again: every
//! such change of a loan also writes the fund's new number beside the loan (`loan_revisions`,
//! migration `2026-12-03-000001_loan_revisions`), so the loans with a number newer than the kept
//! one are those to read, and they are summed with the rest of what is kept (the settled loans'
//! totals, a few rows, are read again each time). A report of another day, or with something
//! dated after it, or after more changes than it is worth reading one by one, is read whole.
//!
//! The number is read before the report. A write committed in between (PostgreSQL reads each
//! statement afresh; SQLite reads the whole report in one snapshot) makes the kept report newer
//! than its number says, never older: the next view finds the number moved and reads again the
//! loans it changed. On PostgreSQL the numbers are handed out in the order the changes commit
//! (its triggers lock the fund's row at the commit), so a loan changed by a commit the number has
//! seen has a newer number than the kept one when the loans are looked up. Each server keeps its
//! own reports, the number lives in the database: several servers on one PostgreSQL stay right.
//! One report per fund is kept: the newest day asked for (a report of an earlier day is read but
//! not kept), with what it read of each loan still moving (a few hundred bytes a loan).

use std::collections::HashMap;
use std::sync::Mutex;

use chrono::NaiveDate;
use diesel::prelude::*;

use super::portfolio::{anything_after, around_settled_totals, portfolio_and_books, PaidAsOf, Portfolio};
use super::portfolio_books::Books;
use crate::db::schema::{fund_revisions, loan_revisions};
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
    /// What the report read of each loan not settled, when it was read the way that allows
    /// reading only the loans that change.
    books: Option<Books>,
}

/// Past this many changed loans, the report is read whole rather than loan by loan.
const MOST_CHANGED: usize = 200;

impl KeptPortfolios {
    /// The portfolio of the fund on `as_of`: the kept one if the fund has not changed since it was
    /// read for that day, else the kept one with the changed loans read again, else read now
    /// (and kept, unless a later day's is).
    pub fn portfolio(&self, conn: &mut DbConn, fund_id: i64, as_of: NaiveDate) -> AppResult<Portfolio> {
        let revision = revision_of(conn, fund_id)?;
        // Only what is needed leaves the lock: the books are cloned only to be changed.
        let found = match self.lock().get(&fund_id) {
            Some(kept) if kept.as_of == as_of && kept.revision == revision => return Ok(kept.portfolio.clone()),
            Some(Kept {
                as_of: day,
                revision: since,
                books: Some(books),
                ..
            }) if *day == as_of => Some((*since, books.clone())),
            _ => None,
        };
        let changed = match found {
            Some((since, books)) => changed_since(conn, fund_id, as_of, since, books)?,
            None => None,
        };
        let (portfolio, books) = match changed {
            Some((portfolio, books)) => (portfolio, Some(books)),
            None => portfolio_and_books(conn, fund_id, as_of)?,
        };
        let mut by_fund = self.lock();
        if by_fund.get(&fund_id).is_none_or(|kept| kept.as_of <= as_of) {
            let kept = Kept {
                as_of,
                revision,
                portfolio: portfolio.clone(),
                books,
            };
            by_fund.insert(fund_id, kept);
        }
        Ok(portfolio)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Kept>> {
        // A thread that panicked while holding it left a whole map behind: each entry is written
        // in one insert, so what is there is still a report and its number.
        self.by_fund.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// The portfolio on `as_of` from `books` kept at revision `since`, with the loans changed since
/// then read again, and the books now; `None` when it must be read whole (something dated after
/// `as_of`, the settled loans' totals not holding on it or moving, too many loans changed).
fn changed_since(
    conn: &mut DbConn,
    fund_id: i64,
    as_of: NaiveDate,
    since: i64,
    mut books: Books,
) -> AppResult<Option<(Portfolio, Books)>> {
    if anything_after(conn, fund_id, as_of)? {
        return Ok(None);
    }
    // The loans are looked up after the first read of the settled totals: a loan settled between
    // the two would otherwise be in the totals and, unread, still in the books.
    let read = |c: &mut DbConn| {
        let changed = loans_changed_since(c, fund_id, since)?;
        if changed.len() > MOST_CHANGED {
            return Ok(None);
        }
        let fresh = Books::read(
            c,
            fund_id,
            as_of,
            PaidAsOf::SettledThenInstallments,
            true,
            Some(&changed),
        )?;
        Ok(Some((changed, fresh)))
    };
    let Some((Some((changed, fresh)), settled)) = around_settled_totals(conn, fund_id, as_of, read)? else {
        return Ok(None);
    };
    books.replace(&changed, fresh);
    Ok(Some((books.summed(Some(settled), as_of), books)))
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

/// The fund's loans changed after its number was `since`.
fn loans_changed_since(conn: &mut DbConn, fund_id: i64, since: i64) -> AppResult<Vec<i64>> {
    Ok(on_backend!(conn, |c| loan_revisions::table
        .filter(loan_revisions::fund_id.eq(fund_id))
        .filter(loan_revisions::revision.gt(since))
        .select(loan_revisions::loan_id)
        .load(c))?)
}
