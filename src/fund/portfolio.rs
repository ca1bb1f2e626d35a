//! The portfolio of a fund on any date: what is owed, how late, and how well it is repaid.
//!
//! Days past due count from the oldest installment not fully paid on that date. PAR30 is the
//! outstanding principal of loans more than 30 days late over all outstanding principal
//! (CGAP/SEEP). Ageing buckets and the Peruvian SBS grades classify loans by days past due.
//! Only repayments dated on or before the date count, unless reversed on or before it; so a
//! report for a past date reads as it would have on that day.

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};
use rust_decimal::{Decimal, RoundingStrategy};
use serde::Serialize;

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

/// SBS grades (Superintendencia de Banca, Seguros y AFP) for small loans, by days past due.
pub const SBS: &[(&str, i64, i64)] = &[
    ("normal", 0, 8),
    ("cpp", 9, 30),
    ("deficiente", 31, 60),
    ("dudoso", 61, 120),
    ("perdida", 121, i64::MAX),
];

#[derive(Debug, Clone, Copy, Default, Serialize, PartialEq, Eq)]
pub struct Bucket {
    pub loans: i64,
    pub principal: Money,
}

#[derive(Debug, Serialize)]
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
}

#[derive(Debug, Serialize)]
pub struct PurposeLine {
    pub purpose: String,
    pub loans: i64,
    pub principal_disbursed: Money,
}

/// One loan's position on the date, from its schedule and what was paid by then (pure).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Position {
    pub principal_outstanding: Money,
    pub days_past_due: i64,
    pub due_to_date: Money,
    pub collected_to_date: Money,
}

/// `lines`: (due date, principal, interest, principal paid, interest paid) of each installment, in order.
pub fn position(lines: &[(NaiveDate, i64, i64, i64, i64)], as_of: NaiveDate) -> Position {
    let mut position = Position {
        principal_outstanding: Money::ZERO,
        days_past_due: 0,
        due_to_date: Money::ZERO,
        collected_to_date: Money::ZERO,
    };
    let mut oldest_late: Option<NaiveDate> = None;
    for &(due, principal, interest, principal_paid, interest_paid) in lines {
        position.principal_outstanding =
            position.principal_outstanding + Money::from_centimos(principal - principal_paid);
        position.collected_to_date = position.collected_to_date + Money::from_centimos(principal_paid + interest_paid);
        if due <= as_of {
            position.due_to_date = position.due_to_date + Money::from_centimos(principal + interest);
            if oldest_late.is_none() && principal_paid + interest_paid < principal + interest && due < as_of {
                oldest_late = Some(due);
            }
        }
    }
    position.days_past_due = oldest_late.map_or(0, |d| (as_of - d).num_days());
    position
}

pub fn ratio(part: Money, whole: Money) -> String {
    if whole.is_zero() {
        return "0.0000".into();
    }
    let r = Decimal::from(part.centimos()) / Decimal::from(whole.centimos());
    format!(
        "{:.4}",
        r.round_dp_with_strategy(4, RoundingStrategy::MidpointNearestEven)
    )
}

#[derive(QueryableByName)]
struct LoanRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    purpose: Option<String>,
    #[diesel(sql_type = BigInt)]
    principal: i64,
}

#[derive(QueryableByName)]
struct InstallmentRow {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    loan_id: i64,
    #[diesel(sql_type = Date)]
    due_date: NaiveDate,
    #[diesel(sql_type = BigInt)]
    principal: i64,
    #[diesel(sql_type = BigInt)]
    interest: i64,
}

#[derive(QueryableByName)]
struct PaidRow {
    #[diesel(sql_type = BigInt)]
    installment_id: i64,
    #[diesel(sql_type = BigInt)]
    principal: i64,
    #[diesel(sql_type = BigInt)]
    interest: i64,
}

#[derive(QueryableByName)]
struct StatusRow {
    #[diesel(sql_type = Text)]
    status: String,
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Loans on the books on a date: disbursed by then, not written off by then.
/// (SQLite numbers `$n` parameters in order of first appearance: `$1` must come before `$2`.)
const ON_BOOKS: &str = "l.fund_id = $1 AND l.disbursed_on IS NOT NULL AND l.disbursed_on <= $2 \
                        AND (l.written_off_on IS NULL OR l.written_off_on > $2)";

pub fn portfolio(conn: &mut DbConn, fund_id: i64, as_of: NaiveDate) -> AppResult<Portfolio> {
    let loans: Vec<LoanRow> = diesel::sql_query(format!(
        "SELECT l.id AS id, l.purpose AS purpose, l.principal AS principal FROM loans l WHERE {ON_BOOKS} ORDER BY l.id"
    ))
    .bind::<BigInt, _>(fund_id)
    .bind::<Date, _>(as_of)
    .load(conn)?;
    let installments: Vec<InstallmentRow> = diesel::sql_query(format!(
        "SELECT i.id AS id, i.loan_id AS loan_id, i.due_date AS due_date, i.principal AS principal, \
                i.interest AS interest \
         FROM installments i JOIN loans l ON l.id = i.loan_id WHERE {ON_BOOKS} ORDER BY i.loan_id, i.number"
    ))
    .bind::<BigInt, _>(fund_id)
    .bind::<Date, _>(as_of)
    .load(conn)?;
    let paid: Vec<PaidRow> = diesel::sql_query(format!(
        "SELECT a.installment_id AS installment_id, CAST(SUM(a.principal) AS BIGINT) AS principal, \
                CAST(SUM(a.interest) AS BIGINT) AS interest \
         FROM repayment_allocations a \
         JOIN repayments r ON r.id = a.repayment_id \
         JOIN loans l ON l.id = r.loan_id \
         WHERE {ON_BOOKS} AND r.date <= $2 \
           AND NOT EXISTS (SELECT 1 FROM repayment_reversals v WHERE v.repayment_id = r.id AND v.date <= $2) \
         GROUP BY a.installment_id"
    ))
    .bind::<BigInt, _>(fund_id)
    .bind::<Date, _>(as_of)
    .load(conn)?;
    let statuses: Vec<StatusRow> =
        diesel::sql_query("SELECT status AS status, COUNT(*) AS n FROM loans WHERE fund_id = $1 GROUP BY status")
            .bind::<BigInt, _>(fund_id)
            .load(conn)?;

    let paid: HashMap<i64, (i64, i64)> = paid
        .into_iter()
        .map(|p| (p.installment_id, (p.principal, p.interest)))
        .collect();
    let mut aging: HashMap<&'static str, Bucket> = AGING.iter().map(|(k, _, _)| (*k, Bucket::default())).collect();
    let mut sbs: HashMap<&'static str, Bucket> = SBS.iter().map(|(k, _, _)| (*k, Bucket::default())).collect();
    let mut purposes: Vec<PurposeLine> = Vec::new();
    let (mut outstanding, mut par30, mut due, mut collected, mut count) =
        (Money::ZERO, Money::ZERO, Money::ZERO, Money::ZERO, 0);
    let mut rows = installments.iter().peekable();
    for loan in &loans {
        let mut lines = Vec::new();
        while let Some(i) = rows.next_if(|i| i.loan_id == loan.id) {
            let (pp, ip) = paid.get(&i.id).copied().unwrap_or((0, 0));
            lines.push((i.due_date, i.principal, i.interest, pp, ip));
        }
        let p = position(&lines, as_of);
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
        if p.days_past_due > 30 {
            par30 = par30 + p.principal_outstanding;
        }
        let add = |table: &mut HashMap<&'static str, Bucket>, bounds: &[(&'static str, i64, i64)]| {
            if let Some((name, _, _)) = bounds.iter().find(|(_, lo, hi)| (*lo..=*hi).contains(&p.days_past_due)) {
                if let Some(bucket) = table.get_mut(name) {
                    bucket.loans += 1;
                    bucket.principal = bucket.principal + p.principal_outstanding;
                }
            }
        };
        add(&mut aging, AGING);
        add(&mut sbs, SBS);
    }
    purposes.sort_by(|a, b| a.purpose.cmp(&b.purpose));
    Ok(Portfolio {
        as_of: as_of.to_string(),
        loans_outstanding: count,
        principal_outstanding: outstanding,
        par30: ratio(par30, outstanding),
        par30_principal: par30,
        aging,
        sbs,
        repayment_rate: ratio(collected.min(due), due),
        due_to_date: due,
        collected_to_date: collected,
        by_status: statuses.into_iter().map(|s| (s.status, s.n)).collect(),
        by_purpose: purposes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(m: u32, day: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, m, day).unwrap()
    }

    #[test]
    fn days_past_due_count_from_the_oldest_unpaid_installment() {
        let lines = [
            (d(1, 31), 10_000, 1_000, 10_000, 1_000),
            (d(2, 28), 10_000, 1_000, 5_000, 0),
            (d(3, 31), 10_000, 1_000, 0, 0),
        ];
        let p = position(&lines, d(4, 10));
        assert_eq!(p.days_past_due, 41); // 28 Feb → 10 Apr
        assert_eq!(p.principal_outstanding, Money::from_centimos(15_000));
        assert_eq!(p.due_to_date, Money::from_centimos(33_000));
        assert_eq!(p.collected_to_date, Money::from_centimos(16_000));
        assert_eq!(position(&lines, d(2, 28)).days_past_due, 0, "due today is not late yet");
    }

    #[test]
    fn ratios_have_four_places() {
        assert_eq!(ratio(Money::from_centimos(1), Money::from_centimos(3)), "0.3333");
        assert_eq!(ratio(Money::ZERO, Money::ZERO), "0.0000");
    }
}
