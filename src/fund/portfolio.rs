//! The portfolio of a fund on any date: what is owed, how late, and how well it is repaid.
//!
//! Days past due count from the oldest installment not fully paid on that date. PAR30 is the
//! outstanding principal of loans more than 30 days late over all outstanding principal
//! (CGAP/SEEP). Ageing buckets and the Peruvian SBS grades classify loans by days past due.
//! Only repayments dated on or before the date count, unless reversed on or before it; so a
//! report for a past date reads as it would have on that day.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};
use serde::Serialize;

use super::grading::{refinanced_grade, refinanced_on, sbs_grade, SBS};
use super::settled;
use crate::db::schema::loans;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::money::{ratio, Money};

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

/// One loan on the books, summed over its installments in the database.
#[derive(QueryableByName)]
struct LoanRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    purpose: Option<String>,
    #[diesel(sql_type = BigInt)]
    principal: i64,
    /// The oldest installment due before the date and not fully paid by then.
    #[diesel(sql_type = Nullable<Date>)]
    oldest_late: Option<NaiveDate>,
    #[diesel(sql_type = BigInt)]
    outstanding: i64,
    #[diesel(sql_type = BigInt)]
    due: i64,
    #[diesel(sql_type = BigInt)]
    collected: i64,
}

/// A loan of the fund lent or written off by the report's date.
#[derive(Queryable)]
struct Lent {
    id: i64,
    written_off_on: Option<NaiveDate>,
}

/// A loan of the fund not lent by the report's date: asked for, perhaps decided on. Its instants
/// are read only for such loans, few beside those lent (an instant is slow to read from SQLite's
/// text).
#[derive(Queryable)]
struct Asked {
    status: String,
    created_at: NaiveDateTime,
    decided_at: Option<NaiveDateTime>,
}

/// The loans by their status on `as_of`, from the dates their life left on them, so a past report
/// reads as it did that day. Disbursed (by its date, which may be long before it was entered) or
/// written off by then: so it was — and repaid once its principal was all paid by then (as the
/// positions found it; a loan whose principal is paid but that still owes a penalty counts as
/// repaid here). Otherwise its request and decision instants tell: a loan asked for after the day
/// is not there. A loan cancelled after it was approved keeps only its last decision's instant, so
/// before that it counts as requested.
fn statuses_on(
    lent: &[Lent],
    asked: &[Asked],
    outstanding: &HashMap<i64, i64>,
    as_of: NaiveDate,
) -> HashMap<String, i64> {
    // The instant Lima's `as_of` ends, in UTC (Lima is UTC−5 all year).
    let end = (as_of + chrono::Duration::days(1))
        .and_hms_opt(5, 0, 0)
        .unwrap_or_default();
    let mut counts: HashMap<String, i64> = HashMap::new();
    for loan in lent {
        let status = if loan.written_off_on.is_some_and(|d| d <= as_of) {
            "written_off"
        } else if outstanding.get(&loan.id).is_some_and(|left| *left <= 0) {
            "repaid"
        } else {
            "disbursed"
        };
        *counts.entry(status.to_string()).or_default() += 1;
    }
    for loan in asked.iter().filter(|l| l.created_at < end) {
        let status = if loan.decided_at.is_some_and(|at| at < end) {
            match loan.status.as_str() {
                "rejected" => "rejected",
                "cancelled" => "cancelled",
                _ => "approved",
            }
        } else {
            "requested"
        };
        *counts.entry(status.to_string()).or_default() += 1;
    }
    counts
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
/// With `unsettled_only`, the settled loans are left out (their totals are added instead).
fn positions_sql(fund_id: i64, as_of: NaiveDate, paid: PaidAsOf, unsettled_only: bool) -> String {
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
    let unsettled = if unsettled_only { "AND l.settled_on IS NULL" } else { "" };
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
         WHERE l.fund_id = {fund_id} {unsettled} AND l.disbursed_on IS NOT NULL AND l.disbursed_on <= '{as_of}' \
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
fn anything_after(conn: &mut DbConn, fund_id: i64, as_of: NaiveDate) -> AppResult<bool> {
    let sql = format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM journal_entries \
         WHERE fund_id = {fund_id} AND date > '{as_of}' LIMIT 1) later"
    );
    let count: Count = diesel::sql_query(sql).get_result(conn)?;
    Ok(count.n > 0)
}

/// The portfolio on `as_of`, read the fast way when nothing is dated after it.
pub fn portfolio(conn: &mut DbConn, fund_id: i64, as_of: NaiveDate) -> AppResult<Portfolio> {
    let paid = if anything_after(conn, fund_id, as_of)? {
        PaidAsOf::FromRepayments
    } else {
        PaidAsOf::SettledThenInstallments
    };
    portfolio_with(conn, fund_id, as_of, paid)
}

/// The portfolio on `as_of`, its paid amounts found as told (tests compare the ways).
pub fn portfolio_with(conn: &mut DbConn, fund_id: i64, as_of: NaiveDate, paid: PaidAsOf) -> AppResult<Portfolio> {
    if paid != PaidAsOf::SettledThenInstallments {
        return report(conn, fund_id, as_of, paid, None);
    }
    // The settled loans' totals hold on `as_of` when every loan in them was settled by then. On
    // PostgreSQL a read's statements do not share one snapshot: loans settled (or reopened) while
    // the report reads would be counted twice or not at all. So the totals are read again after;
    // if they moved, the report is read again (SQLite reads in one snapshot: they never move).
    for _ in 0..3 {
        let before = settled::totals(conn, fund_id)?;
        let settled = match &before {
            (totals, Some(through)) if *through <= as_of => Some(totals.clone()),
            (_, None) => Some(Vec::new()),
            _ => return report(conn, fund_id, as_of, PaidAsOf::FromInstallments, None),
        };
        let portfolio = report(conn, fund_id, as_of, paid, settled)?;
        if settled::totals(conn, fund_id)? == before {
            return Ok(portfolio);
        }
    }
    report(conn, fund_id, as_of, PaidAsOf::FromInstallments, None)
}

/// The report itself; with `settled`, the settled loans are those totals and not read one by one.
fn report(
    conn: &mut DbConn,
    fund_id: i64,
    as_of: NaiveDate,
    paid: PaidAsOf,
    settled: Option<Vec<settled::Settled>>,
) -> AppResult<Portfolio> {
    let unsettled_only = settled.is_some();
    let loans: Vec<LoanRow> = diesel::sql_query(positions_sql(fund_id, as_of, paid, unsettled_only)).load(conn)?;
    let of_fund = || {
        let mut q = loans::table.filter(loans::fund_id.eq(fund_id)).into_boxed();
        if unsettled_only {
            q = q.filter(loans::settled_on.is_null());
        }
        q
    };
    let lent: Vec<Lent> = of_fund()
        .filter(loans::disbursed_on.le(as_of).or(loans::written_off_on.le(as_of)))
        .select((loans::id, loans::written_off_on))
        .load(conn)?;
    let asked: Vec<Asked> = of_fund()
        .filter(loans::disbursed_on.is_null().or(loans::disbursed_on.gt(as_of)))
        .filter(loans::written_off_on.is_null().or(loans::written_off_on.gt(as_of)))
        .select((loans::status, loans::created_at, loans::decided_at))
        .load(conn)?;
    let left: HashMap<i64, i64> = loans.iter().map(|l| (l.id, l.outstanding)).collect();
    let refinanced = refinanced_on(conn, fund_id, as_of, unsettled_only)?;

    let mut aging: HashMap<&'static str, Bucket> = AGING.iter().map(|(k, _, _)| (*k, Bucket::default())).collect();
    let mut sbs: HashMap<&'static str, Bucket> = SBS.iter().map(|(k, _, _)| (*k, Bucket::default())).collect();
    let mut purposes: Vec<PurposeLine> = Vec::new();
    let (mut outstanding, mut par30, mut due, mut collected, mut count) =
        (Money::ZERO, Money::ZERO, Money::ZERO, Money::ZERO, 0);
    let (mut rescheduled, mut rescheduled_par30) = (Bucket::default(), Money::ZERO);
    for loan in &loans {
        let p = Position {
            principal_outstanding: Money::from_centimos(loan.outstanding),
            days_past_due: loan.oldest_late.map_or(0, |d| (as_of - d).num_days()),
            due_to_date: Money::from_centimos(loan.due),
            collected_to_date: Money::from_centimos(loan.collected),
        };
        due = due + p.due_to_date;
        collected = collected + p.collected_to_date;
        let purpose = loan.purpose.clone().unwrap_or_default();
        match purposes.iter_mut().find(|l| l.purpose == purpose) {
            Some(line) => {
                line.loans += 1;
                line.principal_disbursed = line.principal_disbursed + Money::from_centimos(loan.principal);
            }
            None => purposes.push(PurposeLine {
                purpose,
                loans: 1,
                principal_disbursed: Money::from_centimos(loan.principal),
            }),
        }
        if p.principal_outstanding <= Money::ZERO {
            continue;
        }
        count += 1;
        outstanding = outstanding + p.principal_outstanding;
        let at_risk = p.days_past_due > 30;
        if at_risk {
            par30 = par30 + p.principal_outstanding;
        }
        let mut grade = sbs_grade(p.days_past_due);
        if let Some(r) = refinanced.get(&loan.id) {
            grade = refinanced_grade(grade, &r.grade_at, &r.on_time);
            rescheduled.loans += 1;
            rescheduled.principal = rescheduled.principal + p.principal_outstanding;
            if at_risk {
                rescheduled_par30 = rescheduled_par30 + p.principal_outstanding;
            }
        }
        let bucket_of = |table: &mut HashMap<&'static str, Bucket>, name: Option<&str>| {
            if let Some(bucket) = name.and_then(|name| table.get_mut(name)) {
                bucket.loans += 1;
                bucket.principal = bucket.principal + p.principal_outstanding;
            }
        };
        let ageing = AGING.iter().find(|(_, lo, hi)| (*lo..=*hi).contains(&p.days_past_due));
        bucket_of(&mut aging, ageing.map(|(name, _, _)| *name));
        bucket_of(&mut sbs, Some(grade));
    }
    let mut by_status = statuses_on(&lent, &asked, &left, as_of);
    for s in settled.unwrap_or_default() {
        due = due + Money::from_centimos(s.due);
        collected = collected + Money::from_centimos(s.collected);
        *by_status.entry("repaid".to_string()).or_default() += s.loans;
        let principal = Money::from_centimos(s.principal);
        match purposes.iter_mut().find(|l| l.purpose == s.purpose) {
            Some(line) => {
                line.loans += s.loans;
                line.principal_disbursed = line.principal_disbursed + principal;
            }
            None => purposes.push(PurposeLine {
                purpose: s.purpose,
                loans: s.loans,
                principal_disbursed: principal,
            }),
        }
    }
    purposes.sort_by(|a, b| a.purpose.cmp(&b.purpose));
    Ok(Portfolio {
        as_of: as_of.to_string(),
        loans_outstanding: count,
        principal_outstanding: outstanding,
        par30: ratio(par30.centimos(), outstanding.centimos()),
        par30_principal: par30,
        aging,
        sbs,
        repayment_rate: ratio(collected.min(due).centimos(), due.centimos()),
        due_to_date: due,
        collected_to_date: collected,
        by_status,
        by_purpose: purposes,
        par30_excluding_rescheduled: ratio(
            (par30 - rescheduled_par30).centimos(),
            (outstanding - rescheduled.principal).centimos(),
        ),
        rescheduled,
    })
}

#[cfg(test)]
#[path = "portfolio_tests.rs"]
mod tests;
