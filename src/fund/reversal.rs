//! Undoing a repayment entered by mistake: a reversing journal entry dated the day it is undone,
//! the installments as they were (and any interest its payoff waived owed again), and what she was
//! told of it set right. The repayment itself stays, marked reversed.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::installment::Installment;
use super::journal;
use super::model::{Fund, Loan, LoanStatus, Repayment};
use super::receipt::correct_receipt;
use super::repayments::settle_status;
use crate::audit;
use crate::auth::policy::{loan_scope, CurrentUser};
use crate::clock::now;
use crate::db::schema::{interest_waivers, repayment_allocations, repayment_reversals, repayments};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::money::Money;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ReversalView {
    pub id: i64,
    pub repayment_id: i64,
    pub reason: String,
    pub date: String,
    pub entry_id: i64,
}

/// Undoes a repayment entered by mistake: a reversing journal entry and the installments as they
/// were. The repayment itself stays, marked reversed. Twice is a conflict.
pub fn reverse(
    conn: &mut DbConn,
    actor: &CurrentUser,
    repayment_id: i64,
    reason: String,
    today: NaiveDate,
) -> AppResult<ReversalView> {
    let repayment: Repayment = repayments::table
        .find(repayment_id)
        .select(Repayment::as_select())
        .get_result(conn)?;
    let loan = Loan::find_scoped(conn, &loan_scope(actor), repayment.loan_id)?;
    let loan = Loan::locked(conn, loan)?;
    let already: i64 = repayment_reversals::table
        .filter(repayment_reversals::repayment_id.eq(repayment.id))
        .count()
        .get_result(conn)?;
    if already > 0 {
        return Err(AppError::Conflict("already_reversed"));
    }
    if !matches!(loan.status()?, LoanStatus::Disbursed | LoanStatus::Repaid) {
        return Err(AppError::Conflict("loan_state"));
    }
    // The reversal takes the repayment's cash out today: if that money was lent out since, the
    // fund would be short. Refused; what really came in is recorded first.
    if journal::lowest_cash_from(conn, loan.fund_id, today)? < Money::from_centimos(repayment.amount) {
        return Err(AppError::Conflict("reversal_insufficient_cash"));
    }
    let splits: Vec<(i64, i64, i64, i64)> = repayment_allocations::table
        .filter(repayment_allocations::repayment_id.eq(repayment.id))
        .select((
            repayment_allocations::installment_id,
            repayment_allocations::penalty,
            repayment_allocations::interest,
            repayment_allocations::principal,
        ))
        .load(conn)?;
    let mut installments = Installment::of_loan(conn, loan.id)?;
    // Paid into a plan a reschedule has since replaced: what it paid was counted in what the
    // reschedule carried, so undoing it would leave the new plan wrong.
    if splits.iter().any(|(id, ..)| !installments.iter().any(|i| i.id == *id)) {
        return Err(AppError::Conflict("repayment_before_reschedule"));
    }
    // A settled loan is moving again: its part leaves the portfolio's totals before its plan changes.
    super::settled::reopen(conn, loan.id)?;
    let entry_id = journal::reverse(conn, repayment.entry_id, today, actor.id, &reason)?;
    // What a payoff waived is owed again: the plan is as it was before the payment.
    let waived: Vec<(i64, i64)> = interest_waivers::table
        .filter(interest_waivers::repayment_id.eq(repayment.id))
        .select((interest_waivers::installment_id, interest_waivers::amount))
        .load(conn)?;
    for (installment_id, amount) in waived {
        if let Some(i) = installments.iter_mut().find(|i| i.id == installment_id) {
            i.interest += amount;
            i.save(conn)?;
        }
    }
    for (installment_id, penalty, interest, principal) in splits {
        if let Some(i) = installments.iter_mut().find(|i| i.id == installment_id) {
            i.penalty_paid -= penalty;
            i.interest_paid -= interest;
            i.principal_paid -= principal;
            if !i.is_paid() {
                i.paid_off_on = None;
            }
            i.save(conn)?;
        }
    }
    let id: i64 = diesel::insert_into(repayment_reversals::table)
        .values((
            repayment_reversals::repayment_id.eq(repayment.id),
            repayment_reversals::reason.eq(&reason),
            repayment_reversals::date.eq(today),
            repayment_reversals::entry_id.eq(entry_id),
            repayment_reversals::created_by.eq(actor.id),
            repayment_reversals::created_at.eq(now()),
        ))
        .returning(repayment_reversals::id)
        .get_result(conn)?;
    let fund = Fund::find(conn, loan.fund_id)?;
    settle_status(conn, &loan, &fund, &installments, today)?;
    correct_receipt(
        conn,
        &loan,
        &fund,
        &installments,
        repayment.id,
        Money::from_centimos(repayment.amount),
        repayment.date,
        today,
        now(),
    )?;
    let view = ReversalView {
        id,
        repayment_id: repayment.id,
        reason,
        date: today.to_string(),
        entry_id,
    };
    audit::record(
        conn,
        Some(actor.id),
        "reverse",
        "repayment",
        Some(repayment.id),
        None,
        Some(&audit::snapshot(&view)),
    )?;
    Ok(view)
}
