//! What the portfolio report reads of each loan (its position, whether it was lent or only asked
//! for by the day, its reschedule), read for the whole fund or for a few of its loans, and summed
//! into the report. Reading and summing are apart so that a server keeping a fund's report
//! (`portfolio_kept.rs`) can read again only the loans that changed and sum them with the rest.

use std::collections::HashMap;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text};

use super::grading::{refinanced_grade, refinanced_on, sbs_grade, Refinanced, SBS};
use super::portfolio::{positions_sql, Bucket, PaidAsOf, Portfolio, Position, PurposeLine, AGING};
use super::settled::Settled;
use crate::db::schema::loans;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::money::{ratio, Money};

/// One loan on the books, summed over its installments in the database.
#[derive(QueryableByName, Clone)]
pub(super) struct LoanRow {
    #[diesel(sql_type = BigInt)]
    pub id: i64,
    #[diesel(sql_type = Nullable<Text>)]
    pub purpose: Option<String>,
    #[diesel(sql_type = BigInt)]
    pub principal: i64,
    /// The oldest installment due before the date and not fully paid by then.
    #[diesel(sql_type = Nullable<Date>)]
    pub oldest_late: Option<NaiveDate>,
    #[diesel(sql_type = BigInt)]
    pub outstanding: i64,
    #[diesel(sql_type = BigInt)]
    pub due: i64,
    #[diesel(sql_type = BigInt)]
    pub collected: i64,
}

/// A loan of the fund lent or written off by the report's date.
#[derive(Queryable, Clone)]
pub(super) struct Lent {
    pub id: i64,
    pub written_off_on: Option<NaiveDate>,
}

/// A loan of the fund not lent by the report's date: asked for, perhaps decided on. Its instants
/// are read only for such loans, few beside those lent (an instant is slow to read from SQLite's
/// text).
#[derive(Queryable, Clone)]
pub(super) struct Asked {
    pub id: i64,
    pub status: String,
    pub created_at: NaiveDateTime,
    pub decided_at: Option<NaiveDateTime>,
}

/// What the report of one day reads per loan, by the loan's id. A loan is in `positions` when it
/// is on the books that day, in `lent` or `asked` by what it was, in `refinanced` when rescheduled.
#[derive(Clone, Default)]
pub struct Books {
    positions: HashMap<i64, LoanRow>,
    lent: HashMap<i64, Lent>,
    asked: HashMap<i64, Asked>,
    refinanced: HashMap<i64, Refinanced>,
}

impl Books {
    /// What the report on `as_of` reads, its paid amounts found as told: of the whole fund, or of
    /// `only` these loans. With `unsettled_only`, the settled loans are left out (their totals are
    /// added when summing).
    pub(super) fn read(
        conn: &mut DbConn,
        fund_id: i64,
        as_of: NaiveDate,
        paid: PaidAsOf,
        unsettled_only: bool,
        only: Option<&[i64]>,
    ) -> AppResult<Books> {
        if only.is_some_and(|ids| ids.is_empty()) {
            // No loan to read (a change that moved none, such as a contribution); `IN ()` is not
            // SQL that PostgreSQL takes.
            return Ok(Books::default());
        }
        let positions: Vec<LoanRow> =
            diesel::sql_query(positions_sql(fund_id, as_of, paid, unsettled_only, only)).load(conn)?;
        let of_fund = || {
            let mut q = loans::table.filter(loans::fund_id.eq(fund_id)).into_boxed();
            if unsettled_only {
                q = q.filter(loans::settled_on.is_null());
            }
            if let Some(ids) = only {
                q = q.filter(loans::id.eq_any(ids.to_vec()));
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
            .select((loans::id, loans::status, loans::created_at, loans::decided_at))
            .load(conn)?;
        Ok(Books {
            positions: positions.into_iter().map(|row| (row.id, row)).collect(),
            lent: lent.into_iter().map(|loan| (loan.id, loan)).collect(),
            asked: asked.into_iter().map(|loan| (loan.id, loan)).collect(),
            refinanced: refinanced_on(conn, fund_id, as_of, unsettled_only, only)?,
        })
    }

    /// These books with what was read again of the `changed` loans in `fresh` (read with
    /// `only: changed`) in place of what they held of them: a loan no longer there (settled,
    /// deleted) leaves.
    pub(super) fn replace(&mut self, changed: &[i64], fresh: Books) {
        for id in changed {
            self.positions.remove(id);
            self.lent.remove(id);
            self.asked.remove(id);
            self.refinanced.remove(id);
        }
        self.positions.extend(fresh.positions);
        self.lent.extend(fresh.lent);
        self.asked.extend(fresh.asked);
        self.refinanced.extend(fresh.refinanced);
    }

    /// The portfolio on `as_of` these books were read for; with `settled`, those totals stand for
    /// the settled loans.
    pub(super) fn summed(&self, settled: Option<Vec<Settled>>, as_of: NaiveDate) -> Portfolio {
        let mut aging: HashMap<&'static str, Bucket> = AGING.iter().map(|(k, _, _)| (*k, Bucket::default())).collect();
        let mut sbs: HashMap<&'static str, Bucket> = SBS.iter().map(|(k, _, _)| (*k, Bucket::default())).collect();
        let mut purposes: Vec<PurposeLine> = Vec::new();
        let (mut outstanding, mut par30, mut due, mut collected, mut count) =
            (Money::ZERO, Money::ZERO, Money::ZERO, Money::ZERO, 0);
        let (mut rescheduled, mut rescheduled_par30) = (Bucket::default(), Money::ZERO);
        for loan in self.positions.values() {
            let p = Position {
                principal_outstanding: Money::from_centimos(loan.outstanding),
                days_past_due: loan.oldest_late.map_or(0, |d| (as_of - d).num_days()),
                due_to_date: Money::from_centimos(loan.due),
                collected_to_date: Money::from_centimos(loan.collected),
            };
            due = due + p.due_to_date;
            collected = collected + p.collected_to_date;
            let purpose = loan.purpose.clone().unwrap_or_default();
            add_purpose(&mut purposes, purpose, 1, Money::from_centimos(loan.principal));
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
            if let Some(r) = self.refinanced.get(&loan.id) {
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
        let left: HashMap<i64, i64> = self.positions.values().map(|l| (l.id, l.outstanding)).collect();
        let mut by_status = statuses_on(self.lent.values(), self.asked.values(), &left, as_of);
        for s in settled.unwrap_or_default() {
            due = due + Money::from_centimos(s.due);
            collected = collected + Money::from_centimos(s.collected);
            *by_status.entry("repaid".to_string()).or_default() += s.loans;
            add_purpose(&mut purposes, s.purpose, s.loans, Money::from_centimos(s.principal));
        }
        purposes.sort_by(|a, b| a.purpose.cmp(&b.purpose));
        Portfolio {
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
        }
    }
}

/// Counts `loans` lent for `principal` under their purpose's line.
fn add_purpose(purposes: &mut Vec<PurposeLine>, purpose: String, loans: i64, principal: Money) {
    match purposes.iter_mut().find(|l| l.purpose == purpose) {
        Some(line) => {
            line.loans += loans;
            line.principal_disbursed = line.principal_disbursed + principal;
        }
        None => purposes.push(PurposeLine {
            purpose,
            loans,
            principal_disbursed: principal,
        }),
    }
}

/// The loans by their status on `as_of`, from the dates their life left on them, so a past report
/// reads as it did that day. Disbursed (by its date, which may be long before it was entered) or
/// written off by then: so it was — and repaid once its principal was all paid by then (as the
/// positions found it; a loan whose principal is paid but that still owes a penalty counts as
/// repaid here). Otherwise its request and decision instants tell: a loan asked for after the day
/// is not there. A loan cancelled after it was approved keeps only its last decision's instant, so
/// before that it counts as requested.
fn statuses_on<'a>(
    lent: impl Iterator<Item = &'a Lent>,
    asked: impl Iterator<Item = &'a Asked>,
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
    for loan in asked.filter(|l| l.created_at < end) {
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

#[cfg(test)]
#[path = "portfolio_books_tests.rs"]
mod tests;
