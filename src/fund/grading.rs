//! Grading loans as the SBS (Superintendencia de Banca, Seguros y AFP) asks for small loans: by
//! days past due, and for a rescheduled loan — *refinanciado* — no better than its grade when it
//! was rescheduled until it has paid six installments of the new plan in a row on time
//! (DOMAIN.md, "Rescheduling").

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::schema::loans;
use crate::db::DbConn;
use crate::error::AppResult;

/// SBS grades (Superintendencia de Banca, Seguros y AFP) for small loans, by days past due.
pub const SBS: &[(&str, i64, i64)] = &[
    ("normal", 0, 8),
    ("cpp", 9, 30),
    ("deficiente", 31, 60),
    ("dudoso", 61, 120),
    ("perdida", 121, i64::MAX),
];

/// The SBS grade of a loan so many days past due.
pub fn sbs_grade(days_past_due: i64) -> &'static str {
    SBS.iter()
        .find(|(_, lo, hi)| (*lo..=*hi).contains(&days_past_due))
        .map_or("normal", |(name, _, _)| *name)
}

/// How many installments in a row a refinanced loan must pay on time before its grade may improve
/// on the grade it had when rescheduled (SBS, "créditos refinanciados").
pub const REFINANCED_ON_TIME: usize = 6;

/// The SBS grade of a rescheduled (refinanced) loan: no better than its grade on the reschedule's
/// date until it has paid `REFINANCED_ON_TIME` installments of the new plan in a row on time.
/// `on_time` says, for each installment of the new plan due by the report's date, in order,
/// whether it was paid off by its due date.
pub fn refinanced_grade(now: &'static str, at_reschedule: &str, on_time: &[bool]) -> &'static str {
    let longest_run = on_time.split(|paid| !paid).map(<[bool]>::len).max().unwrap_or(0);
    let rank = |grade: &str| SBS.iter().position(|(name, _, _)| *name == grade).unwrap_or(0);
    if longest_run >= REFINANCED_ON_TIME || rank(now) >= rank(at_reschedule) {
        now
    } else {
        SBS[rank(at_reschedule)].0
    }
}

/// A loan rescheduled by a date: its grade on the reschedule's date, and for each installment of
/// the new plan due by then, whether it was paid on time.
#[derive(Clone)]
pub struct Refinanced {
    pub grade_at: String,
    pub on_time: Vec<bool>,
}

/// The fund's loans rescheduled by `as_of` (their latest reschedule by then); with
/// `unsettled_only`, of its loans not settled (a settled loan owes nothing, so it is graded in no
/// bucket, and leaving the settled out keeps the cost to the loans still moving); with `only`, of
/// those loans alone.
pub fn refinanced_on(
    conn: &mut DbConn,
    fund_id: i64,
    as_of: NaiveDate,
    unsettled_only: bool,
    only: Option<&[i64]>,
) -> AppResult<HashMap<i64, Refinanced>> {
    use crate::db::schema::{installments, loan_reschedules};
    let mut approved = loan_reschedules::table
        .inner_join(loans::table)
        .filter(loans::fund_id.eq(fund_id))
        .into_boxed();
    if unsettled_only {
        approved = approved.filter(loans::settled_on.is_null());
    }
    if let Some(ids) = only {
        approved = approved.filter(loans::id.eq_any(ids.to_vec()));
    }
    let approved: Vec<(i64, NaiveDate, Option<String>)> = approved
        .filter(loan_reschedules::status.eq("approved"))
        .filter(loan_reschedules::date.le(as_of))
        .order((loan_reschedules::loan_id, loan_reschedules::date))
        .select((
            loan_reschedules::loan_id,
            loan_reschedules::date,
            loan_reschedules::grade_at,
        ))
        .load(conn)?;
    // The latest by then wins (ordered by date within each loan).
    let latest: HashMap<i64, (NaiveDate, String)> = approved
        .into_iter()
        .map(|(loan, date, grade)| (loan, (date, grade.unwrap_or_default())))
        .collect();
    if latest.is_empty() {
        return Ok(HashMap::new());
    }
    let ids: Vec<i64> = latest.keys().copied().collect();
    let plans: Vec<(i64, Option<NaiveDate>, NaiveDate, Option<NaiveDate>)> = installments::table
        .filter(installments::loan_id.eq_any(&ids))
        .filter(installments::starts_on.is_not_null())
        .filter(installments::due_date.le(as_of))
        .order((installments::loan_id, installments::number))
        .select((
            installments::loan_id,
            installments::starts_on,
            installments::due_date,
            installments::paid_off_on,
        ))
        .load(conn)?;
    let mut refinanced: HashMap<i64, Refinanced> = latest
        .iter()
        .map(|(loan, (_, grade))| {
            (
                *loan,
                Refinanced {
                    grade_at: grade.clone(),
                    on_time: Vec::new(),
                },
            )
        })
        .collect();
    for (loan, starts_on, due, paid_off_on) in plans {
        if let (Some((date, _)), Some(r)) = (latest.get(&loan), refinanced.get_mut(&loan)) {
            if starts_on == Some(*date) {
                r.on_time.push(paid_off_on.is_some_and(|paid| paid <= due));
            }
        }
    }
    Ok(refinanced)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refinanced_loan_keeps_its_grade_until_six_installments_in_a_row_are_paid_on_time() {
        let five = [true; 5];
        assert_eq!(refinanced_grade("normal", "deficiente", &five), "deficiente");
        assert_eq!(refinanced_grade("normal", "deficiente", &[true; 6]), "normal");
        // Six on time, but not in a row.
        let broken = [true, true, true, false, true, true, true];
        assert_eq!(refinanced_grade("normal", "cpp", &broken), "cpp");
        let later = [false, true, true, true, true, true, true];
        assert_eq!(refinanced_grade("normal", "cpp", &later), "normal");
        // A grade worse than at the reschedule is the grade.
        assert_eq!(refinanced_grade("dudoso", "cpp", &[]), "dudoso");
        assert_eq!(sbs_grade(0), "normal");
        assert_eq!(sbs_grade(45), "deficiente");
    }
}
