//! The portfolio of a fund on any date: what is owed, how late, and how well it is repaid.
//!
//! Days past due count from the oldest installment not fully paid on that date. PAR30 is the
//! outstanding principal of loans more than 30 days late over all outstanding principal
//! (CGAP/SEEP). Ageing buckets and the Peruvian SBS grades classify loans by days past due.
//! Only repayments dated on or before the date count, unless reversed on or before it; so a
//! report for a past date reads as it would have on that day. What is read of each loan, and the
//! sums over them, are in `portfolio_books.rs`.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::BigInt;
use serde::Serialize;

use super::portfolio_books::Books;
use super::settled;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::money::Money;

/// Ageing buckets by days past due (inclusive bounds); loans on time are in none.
pub const AGING: &[(&str, i64, i64)] = &[
    ("1_30", 1, 30),
    ("31_60", 31, 60),
    ("61_90", 61, 90),
    ("91_180", 91, 180),
    ("181_360", 181, 360),
    ("over_360", 361, i64::MAX),
];

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq, utoipa::ToSchema)]
pub struct Bucket {
    pub loans: i64,
    pub principal: Money,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Portfolio {
    pub as_of: String,
    /// Loans with principal still owed.
    pub loans_outstanding: i64,
    pub principal_outstanding: Money,
    pub par30: String,
    pub par30_principal: Money,
    pub aging: HashMap<&'static str, Bucket>,
    pub sbs: HashMap<&'static str, Bucket>,
    /// Principal and interest collected over what fell due, up to the date.
    pub repayment_rate: String,
    pub due_to_date: Money,
    pub collected_to_date: Money,
    pub by_status: HashMap<String, i64>,
    pub by_purpose: Vec<PurposeLine>,
    /// Loans with principal owed whose plan a reschedule replaced by then (in every figure above
    /// too: rescheduling never hides arrears), and PAR30 of the other loans alone.
    pub rescheduled: Bucket,
    pub par30_excluding_rescheduled: String,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PurposeLine {
    pub purpose: String,
    pub loans: i64,
    pub principal_disbursed: Money,
}

/// One loan's position on the date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub principal_outstanding: Money,
    pub days_past_due: i64,
    pub due_to_date: Money,
    pub collected_to_date: Money,
}

/// How the paid amounts of each installment on `as_of` are found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PaidAsOf {
    /// Summed from the repayments dated by then and not reversed by then (any date).
    FromRepayments,
    /// Read from the installments' paid columns, which the repayments and reversals keep up to date:
    /// the same numbers when nothing in the fund is dated after `as_of` (the report of today).
    FromInstallments,
    /// As `FromInstallments`, the settled loans taken from their fund's running totals
    /// (`settled.rs`) instead of one by one: the report of today, whose cost then follows the
    /// loans still moving, not the fund's history. For a day before the last settling, the same
    /// as `FromInstallments`.
    SettledThenInstallments,
}

/// Per loan on the books on `as_of` (disbursed by then, not written off by then): principal
/// outstanding, oldest late installment, what fell due and what was collected — counting only
/// repayments dated by then and not reversed by then, over the plan in force that day (a
/// reschedule dated later had not replaced it yet). One pass in the database: the report must
/// stay fast with a million journal lines. The two values are a number and a date, never text
/// from a request, so they are written into the SQL (SQLite numbers `$n` in order of appearance).
/// With `unsettled_only`, the settled loans are left out (their totals are added instead); with
/// `only`, those loans alone (their ids are numbers too, written in as well).
pub(super) fn positions_sql(
    fund_id: i64,
    as_of: NaiveDate,
    paid: PaidAsOf,
    unsettled_only: bool,
    only: Option<&[i64]>,
) -> String {
    let (paid_join, paid_principal, paid_total) = match paid {
        PaidAsOf::FromRepayments => (
            format!(
                "LEFT JOIN (SELECT a.installment_id AS installment_id, SUM(a.principal) AS principal, \
                                   SUM(a.principal + a.interest) AS paid \
                            FROM repayment_allocations a JOIN repayments r ON r.id = a.repayment_id \
                            JOIN loans rl ON rl.id = r.loan_id \
                            WHERE rl.fund_id = {fund_id} AND r.date <= '{as_of}' \
                              AND NOT EXISTS (SELECT 1 FROM repayment_reversals v \
                                              WHERE v.repayment_id = r.id AND v.date <= '{as_of}') \
                            GROUP BY a.installment_id) p ON p.installment_id = i.id"
            ),
            "COALESCE(p.principal, 0)",
            "COALESCE(p.paid, 0)",
        ),
        PaidAsOf::FromInstallments | PaidAsOf::SettledThenInstallments => (
            String::new(),
            "i.principal_paid",
            "(i.principal_paid + i.interest_paid)",
        ),
    };
    let mut which = if unsettled_only {
        "AND l.settled_on IS NULL".to_string()
    } else {
        String::new()
    };
    if let Some(ids) = only {
        let ids: Vec<String> = ids.iter().map(i64::to_string).collect();
        which += &format!(" AND l.id IN ({})", ids.join(", "));
    }
    format!(
        "SELECT l.id AS id, l.purpose AS purpose, l.principal AS principal, \
                MIN(CASE WHEN i.due_date < '{as_of}' AND {paid_total} < i.principal + i.interest \
                         THEN i.due_date END) AS oldest_late, \
                CAST(SUM(i.principal - {paid_principal}) AS BIGINT) AS outstanding, \
                CAST(SUM(CASE WHEN i.due_date <= '{as_of}' THEN i.principal + i.interest ELSE 0 END) AS BIGINT) AS due, \
                CAST(SUM({paid_total}) AS BIGINT) AS collected \
         FROM loans l \
         JOIN installments i ON i.loan_id = l.id \
              AND (i.starts_on IS NULL OR i.starts_on <= '{as_of}') \
              AND (i.superseded_on IS NULL OR i.superseded_on > '{as_of}') \
         {paid_join} \
         WHERE l.fund_id = {fund_id} {which} AND l.disbursed_on IS NOT NULL AND l.disbursed_on <= '{as_of}' \
           AND (l.written_off_on IS NULL OR l.written_off_on > '{as_of}') \
         GROUP BY l.id, l.purpose, l.principal"
    )
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Whether anything in the fund's journal is dated after `as_of`: a repayment or a reversal dated
/// later would be (each posts an entry on its own date), so the installments' paid columns are
/// not yet those of that day. Found through the journal's (fund, date) index, so it costs the
/// same whatever the fund's history.
pub(super) fn anything_after(conn: &mut DbConn, fund_id: i64, as_of: NaiveDate) -> AppResult<bool> {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM journal_entries \
         WHERE fund_id = {fund_id} AND date > '{as_of}' LIMIT 1) later"
    );
    let count: Count = diesel::sql_query(sql).get_result(conn)?;
    Ok(count.n > 0)
}

/// The portfolio on `as_of`, read the fast way when nothing is dated after it.
pub fn portfolio(conn: &mut DbConn, fund_id: i64, as_of: NaiveDate) -> AppResult<Portfolio> {
    Ok(portfolio_and_books(conn, fund_id, as_of)?.0)
}

/// The portfolio on `as_of` as [`portfolio`] reads it, with the books of the loans not settled
/// when it was read the fastest way (nothing dated after `as_of`, the settled loans' totals
/// holding on it): what a server keeps to read only the loans that change (`portfolio_kept.rs`).
pub fn portfolio_and_books(conn: &mut DbConn, fund_id: i64, as_of: NaiveDate) -> AppResult<(Portfolio, Option<Books>)> {
    if anything_after(conn, fund_id, as_of)? {
        return Ok((report(conn, fund_id, as_of, PaidAsOf::FromRepayments)?, None));
    }
    let read = |c: &mut DbConn| Books::read(c, fund_id, as_of, PaidAsOf::SettledThenInstallments, true, None);
    Ok(match around_settled_totals(conn, fund_id, as_of, read)? {
        Some((books, settled)) => (books.summed(Some(settled), as_of), Some(books)),
        None => (report(conn, fund_id, as_of, PaidAsOf::FromInstallments)?, None),
    })
}

/// The portfolio on `as_of`, its paid amounts found as told (tests compare the ways).
pub fn portfolio_with(conn: &mut DbConn, fund_id: i64, as_of: NaiveDate, paid: PaidAsOf) -> AppResult<Portfolio> {
    if paid != PaidAsOf::SettledThenInstallments {
        return report(conn, fund_id, as_of, paid);
    }
    let read = |c: &mut DbConn| Books::read(c, fund_id, as_of, paid, true, None);
    match around_settled_totals(conn, fund_id, as_of, read)? {
        Some((books, settled)) => Ok(books.summed(Some(settled), as_of)),
        None => report(conn, fund_id, as_of, PaidAsOf::FromInstallments),
    }
}

/// `read` (of the loans not settled) between two reads of the fund's settled loans' totals, with
/// those totals: `None` when they do not hold on `as_of` (a loan in them settled after it) or kept
/// moving. On PostgreSQL a read's statements do not share one snapshot: loans settled (or
/// reopened) while `read` runs would be counted twice or not at all; so the totals are read again
/// after, and if they moved `read` runs again (SQLite reads in one snapshot: they never move).
/// Whatever `read` finds of which loans to read must be found inside it, after the first read of
/// the totals.
pub(super) fn around_settled_totals<T>(
    conn: &mut DbConn,
    fund_id: i64,
    as_of: NaiveDate,
    mut read: impl FnMut(&mut DbConn) -> AppResult<T>,
) -> AppResult<Option<(T, Vec<settled::Settled>)>> {
    for _ in 0..3 {
        let before = settled::totals(conn, fund_id)?;
        let totals = match &before {
            (totals, Some(through)) if *through <= as_of => totals.clone(),
            (_, None) => Vec::new(),
            _ => return Ok(None),
        };
        let found = read(conn)?;
        if settled::totals(conn, fund_id)? == before {
            return Ok(Some((found, totals)));
        }
    }
    Ok(None)
}

/// The report read loan by loan, the settled ones too.
fn report(conn: &mut DbConn, fund_id: i64, as_of: NaiveDate, paid: PaidAsOf) -> AppResult<Portfolio> {
    Ok(Books::read(conn, fund_id, as_of, paid, false, None)?.summed(None, as_of))
}
