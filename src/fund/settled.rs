//! Settled loans: repaid in full, with every date of theirs (due dates, a reschedule's) in the
//! past. Their part of the portfolio of today is final — the loan and its principal under its
//! purpose, what fell due on it and what was collected — so it is added once to running totals per
//! fund and purpose (`settled_loan_totals`), the loan is marked (`loans.settled_on`), and today's
//! portfolio reads only the loans still moving: its cost follows the loans in progress, not the
//! fund's history. A reversal of one of its repayments reopens the loan ([`reopen`]), taking its
//! part back out in the reversal's transaction. The installments stay the truth: `pallay check`
//! compares the totals with the settled loans' installments.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text};

use super::model::Fund;
use crate::db::schema::{loans, settled_loan_totals};
use crate::db::DbConn;
use crate::error::AppResult;

/// The settled loans of one fund and purpose, as today's portfolio adds them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Settled {
    /// `""` for loans without a purpose, as the portfolio lists them.
    pub purpose: String,
    pub loans: i64,
    pub principal: i64,
    pub due: i64,
    pub collected: i64,
}

/// One loan's part of the portfolio once all its dates are past: its plan in force (what a
/// reschedule superseded is no longer counted), everything on it fallen due.
#[derive(QueryableByName, Debug)]
struct Part {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Text)]
    purpose: String,
    #[diesel(sql_type = BigInt)]
    principal: i64,
    #[diesel(sql_type = BigInt)]
    due: i64,
    #[diesel(sql_type = BigInt)]
    collected: i64,
}

/// The parts of the loans `filter` picks (`l` is the loan). The values written into it are
/// numbers and dates, never text from a request.
fn parts(conn: &mut DbConn, filter: &str) -> AppResult<Vec<Part>> {
    let sql = format!(
        "SELECT l.id AS id, COALESCE(l.purpose, '') AS purpose, l.principal AS principal, \
                CAST(SUM(i.principal + i.interest) AS BIGINT) AS due, \
                CAST(SUM(i.principal_paid + i.interest_paid) AS BIGINT) AS collected \
         FROM loans l JOIN installments i ON i.loan_id = l.id AND i.superseded_on IS NULL \
         WHERE {filter} GROUP BY l.id, l.purpose, l.principal ORDER BY l.id"
    );
    Ok(diesel::sql_query(sql).load(conn)?)
}

/// The loans of a fund that are settled on `today`: repaid (nothing owed, penalties included),
/// not settled yet, and with no date of theirs today or later.
fn settling_filter(fund_id: i64, today: NaiveDate) -> String {
    format!(
        "l.fund_id = {fund_id} AND l.status = 'repaid' AND l.settled_on IS NULL \
         AND l.written_off_on IS NULL AND l.disbursed_on < '{today}' \
         AND NOT EXISTS (SELECT 1 FROM installments x WHERE x.loan_id = l.id \
                         AND (x.due_date >= '{today}' OR x.starts_on >= '{today}' OR x.superseded_on >= '{today}'))"
    )
}

/// Settles the fund's loans that are settled by `today`, in the caller's transaction; returns
/// how many. The fund is locked first, as every write that rearranges it does (a reversal cannot
/// reopen a loan half-way through).
pub fn settle_fund(conn: &mut DbConn, fund_id: i64, today: NaiveDate) -> AppResult<usize> {
    Fund::lock(conn, fund_id)?;
    let found = parts(conn, &settling_filter(fund_id, today))?;
    let mut by_purpose: Vec<Settled> = Vec::new();
    for part in &found {
        let at = match by_purpose.iter().position(|s| s.purpose == part.purpose) {
            Some(at) => at,
            None => {
                by_purpose.push(Settled {
                    purpose: part.purpose.clone(),
                    ..Settled::default()
                });
                by_purpose.len() - 1
            }
        };
        let s = &mut by_purpose[at];
        s.loans += 1;
        s.principal += part.principal;
        s.due += part.due;
        s.collected += part.collected;
    }
    // In the order of purposes, so two writers of one fund lock its rows in one order.
    by_purpose.sort_by(|a, b| a.purpose.cmp(&b.purpose));
    for s in &by_purpose {
        add(conn, fund_id, s, today)?;
    }
    let ids: Vec<i64> = found.iter().map(|p| p.id).collect();
    for chunk in ids.chunks(500) {
        diesel::update(loans::table.filter(loans::id.eq_any(chunk)))
            .set(loans::settled_on.eq(Some(today)))
            .execute(conn)?;
    }
    Ok(found.len())
}

fn add(conn: &mut DbConn, fund_id: i64, s: &Settled, through: NaiveDate) -> AppResult<()> {
    diesel::sql_query(
        "INSERT INTO settled_loan_totals (fund_id, purpose, loans, principal, due, collected, through) \
         VALUES ($1, $2, $3, $4, $5, $6, $7) \
         ON CONFLICT (fund_id, purpose) DO UPDATE SET \
           loans = settled_loan_totals.loans + excluded.loans, \
           principal = settled_loan_totals.principal + excluded.principal, \
           due = settled_loan_totals.due + excluded.due, \
           collected = settled_loan_totals.collected + excluded.collected, \
           through = CASE WHEN excluded.through > settled_loan_totals.through \
                          THEN excluded.through ELSE settled_loan_totals.through END",
    )
    .bind::<BigInt, _>(fund_id)
    .bind::<Text, _>(&s.purpose)
    .bind::<BigInt, _>(s.loans)
    .bind::<BigInt, _>(s.principal)
    .bind::<BigInt, _>(s.due)
    .bind::<BigInt, _>(s.collected)
    .bind::<Date, _>(through)
    .execute(conn)?;
    Ok(())
}

/// Takes a settled loan's part back out of its fund's totals and marks it unsettled, in the
/// caller's transaction (a reversal of one of its repayments, before the installments change:
/// its part is then exactly what was added). Nothing for a loan that is not settled.
pub fn reopen(conn: &mut DbConn, loan_id: i64) -> AppResult<()> {
    let settled: Option<(i64, Option<NaiveDate>)> = loans::table
        .find(loan_id)
        .select((loans::fund_id, loans::settled_on))
        .first(conn)
        .optional()?;
    let Some((fund_id, Some(_))) = settled else {
        return Ok(());
    };
    for part in parts(conn, &format!("l.id = {loan_id}"))? {
        diesel::sql_query(
            "UPDATE settled_loan_totals SET loans = loans - 1, principal = principal - $1, \
                    due = due - $2, collected = collected - $3 \
             WHERE fund_id = $4 AND purpose = $5",
        )
        .bind::<BigInt, _>(part.principal)
        .bind::<BigInt, _>(part.due)
        .bind::<BigInt, _>(part.collected)
        .bind::<BigInt, _>(fund_id)
        .bind::<Text, _>(&part.purpose)
        .execute(conn)?;
    }
    diesel::update(loans::table.find(loan_id))
        .set(loans::settled_on.eq(None::<NaiveDate>))
        .execute(conn)?;
    Ok(())
}

/// The fund's settled totals per purpose (purposes with no loan left out), and the last day a
/// loan was settled on: reports of days before it cannot use them.
pub fn totals(conn: &mut DbConn, fund_id: i64) -> AppResult<(Vec<Settled>, Option<NaiveDate>)> {
    let rows: Vec<(String, i64, i64, i64, i64, NaiveDate)> = settled_loan_totals::table
        .filter(settled_loan_totals::fund_id.eq(fund_id))
        .order(settled_loan_totals::purpose)
        .select((
            settled_loan_totals::purpose,
            settled_loan_totals::loans,
            settled_loan_totals::principal,
            settled_loan_totals::due,
            settled_loan_totals::collected,
            settled_loan_totals::through,
        ))
        .load(conn)?;
    let through = rows.iter().map(|r| r.5).max();
    let totals = rows
        .into_iter()
        .filter(|r| r.1 != 0)
        .map(|(purpose, loans, principal, due, collected, _)| Settled {
            purpose,
            loans,
            principal,
            due,
            collected,
        })
        .collect();
    Ok((totals, through))
}

/// The funds with repaid loans not settled yet (the worker settles each in its own transaction).
pub fn funds_to_settle(conn: &mut DbConn) -> AppResult<Vec<i64>> {
    Ok(loans::table
        .filter(loans::status.eq("repaid"))
        .filter(loans::settled_on.is_null())
        .select(loans::fund_id)
        .distinct()
        .order(loans::fund_id)
        .load(conn)?)
}

/// Settles every fund's loans settled by `today`, one fund per transaction; returns how many.
pub fn settle_all(conn: &mut DbConn, today: NaiveDate) -> AppResult<usize> {
    let mut settled = 0;
    for fund_id in funds_to_settle(conn)? {
        settled += crate::db::write_transaction(conn, |c| settle_fund(c, fund_id, today))?;
    }
    Ok(settled)
}

/// In `pallay serve`: every hour, the loans settled by today (Lima) are settled (a failure is
/// logged and tried again the next hour; until then the report reads those loans one by one).
pub fn spawn_settling(db: crate::db::Db) -> Result<(), String> {
    crate::maintenance::every_hour("settled-loans", move || {
        match db
            .get()
            .and_then(|mut conn| settle_all(&mut conn, crate::clock::today_in_lima()))
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(loans = n, "repaid loans settled into the portfolio's totals"),
            Err(e) => tracing::warn!(error = %e, "could not settle repaid loans"),
        }
    })
}
