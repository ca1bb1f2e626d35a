//! Money coming back into the fund: a repayment (allocated penalties → interest → principal,
//! oldest installment first, with its journal entry and receipt in one transaction), its
//! reversal (never an edit: a new entry that nets it to zero), and writing off what is left.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::allocation::allocate;
use super::allocation::Allocation;
use super::input::RepaymentInput;
use super::journal::{self, credit, debit, Account, EntryDraft, EntryKind};
use super::model::{Fund, Installment, Loan, LoanStatus, NewRepayment, Repayment};
use super::service::{reload, summary};
use super::standing::standing;
use super::view::{loan_view, loan_view_of, LoanView};
use crate::audit;
use crate::auth::policy::{loan_scope, CurrentUser};
use crate::clock::now;
use crate::db::schema::{funds, loans, repayment_allocations, repayment_reversals, repayments};
use crate::db::DbConn;
use crate::error::{AppError, AppResult, FieldError};
use crate::money::Money;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RepaymentView {
    pub id: i64,
    pub loan_id: i64,
    pub amount: Money,
    pub date: String,
    pub receipt_number: Option<String>,
    pub allocation: Allocation,
    pub loan: LoanView,
}

/// How a repayment would be split today, without posting it (the confirmation step of the form).
pub fn preview_repayment(
    conn: &mut DbConn,
    actor: &CurrentUser,
    loan_id: i64,
    input: &RepaymentInput,
) -> AppResult<Allocation> {
    let loan = Loan::find_scoped(conn, &loan_scope(actor), loan_id)?;
    let (_, _, splits) = split_repayment(conn, &loan, input)?;
    Ok(Allocation::of(&splits))
}

fn split_repayment(
    conn: &mut DbConn,
    loan: &Loan,
    input: &RepaymentInput,
) -> AppResult<(Fund, Vec<Installment>, Vec<super::allocation::Split>)> {
    if loan.status()? != LoanStatus::Disbursed {
        return Err(AppError::Conflict("loan_not_disbursed"));
    }
    if loan.disbursed_on.is_some_and(|d| input.date < d) {
        return Err(AppError::invalid("date", "repayment_before_disbursement"));
    }
    let fund: Fund = funds::table
        .find(loan.fund_id)
        .select(Fund::as_select())
        .get_result(conn)?;
    let installments = Installment::of_loan(conn, loan.id)?;
    let owed = standing(&installments, &fund, input.date).owed;
    let splits = allocate(input.amount, &owed).map_err(|total| {
        AppError::Invalid(vec![FieldError::with(
            "amount",
            "repayment_exceeds_balance",
            total.to_string(),
        )])
    })?;
    Ok((fund, installments, splits))
}

/// A repayment just posted, with what its loan looks like after it.
pub struct Posted {
    pub id: i64,
    pub allocation: Allocation,
    pub loan: Loan,
    pub fund: Fund,
    pub installments: Vec<Installment>,
}

/// Records money received for a loan, split penalties → interest → principal, oldest first.
pub fn repay(
    conn: &mut DbConn,
    actor: &CurrentUser,
    loan_id: i64,
    input: RepaymentInput,
    today: NaiveDate,
) -> AppResult<RepaymentView> {
    let posted = post(conn, actor, loan_id, &input, today)?;
    Ok(RepaymentView {
        id: posted.id,
        loan_id,
        amount: input.amount,
        date: input.date.to_string(),
        receipt_number: input.receipt_number,
        allocation: posted.allocation,
        loan: loan_view_of(conn, &posted.loan, &posted.fund, &posted.installments, today)?,
    })
}

/// The repayment itself: its journal entry, allocation, the installments' paid amounts, the
/// loan's status, her receipt queued and the audit line — all in the caller's transaction.
pub fn post(
    conn: &mut DbConn,
    actor: &CurrentUser,
    loan_id: i64,
    input: &RepaymentInput,
    today: NaiveDate,
) -> AppResult<Posted> {
    let loan = Loan::find_scoped(conn, &loan_scope(actor), loan_id)?;
    let loan = Loan::locked(conn, loan)?;
    let (fund, mut installments, splits) = split_repayment(conn, &loan, input)?;
    let allocation = Allocation::of(&splits);
    let entry_id = journal::post(
        conn,
        EntryDraft {
            fund_id: loan.fund_id,
            date: input.date,
            kind: EntryKind::Repayment,
            loan_id: Some(loan.id),
            reverses_entry_id: None,
            memo: input.receipt_number.as_deref(),
            created_by: actor.id,
            lines: vec![
                debit(Account::Cash, input.amount),
                credit(Account::PenaltyIncome, allocation.penalties),
                credit(Account::InterestIncome, allocation.interest),
                credit(Account::LoansReceivable, allocation.principal),
            ],
        },
    )?;
    let repayment_id = NewRepayment {
        loan_id: loan.id,
        amount: input.amount.centimos(),
        date: input.date,
        receipt_number: input.receipt_number.as_deref(),
        penalties: allocation.penalties.centimos(),
        interest: allocation.interest.centimos(),
        principal: allocation.principal.centimos(),
        entry_id,
        created_by: actor.id,
        created_at: now(),
    }
    .insert(conn)?;
    apply_splits(conn, repayment_id, &splits, &mut installments, input.date)?;
    let status = settle_status(conn, &loan, &fund, &installments, input.date)?;
    let settled = Loan {
        status: status.as_str().to_string(),
        ..loan.clone()
    };
    // Her receipt, queued with the repayment: both are written, or neither.
    super::receipt::queue_receipt(
        conn,
        &loan,
        &fund,
        &installments,
        repayment_id,
        input.amount,
        input.date,
        &allocation,
        today,
        now(),
    )?;
    let recorded = json!({"loan_id": loan.id, "amount": input.amount, "date": input.date.to_string(),
                          "receipt_number": input.receipt_number, "allocation": allocation});
    audit::record(
        conn,
        Some(actor.id),
        "create",
        "repayment",
        Some(repayment_id),
        None,
        Some(&recorded),
    )?;
    Ok(Posted {
        id: repayment_id,
        allocation,
        loan: settled,
        fund,
        installments,
    })
}

/// Records how a repayment was split, and adds each part to what its installment has been paid
/// (an installment paid in full is paid off on the repayment's date).
fn apply_splits(
    conn: &mut DbConn,
    repayment_id: i64,
    splits: &[super::allocation::Split],
    installments: &mut [Installment],
    paid_on: NaiveDate,
) -> AppResult<()> {
    for split in splits {
        diesel::insert_into(repayment_allocations::table)
            .values((
                repayment_allocations::repayment_id.eq(repayment_id),
                repayment_allocations::installment_id.eq(split.installment_id),
                repayment_allocations::penalty.eq(split.penalty.centimos()),
                repayment_allocations::interest.eq(split.interest.centimos()),
                repayment_allocations::principal.eq(split.principal.centimos()),
            ))
            .execute(conn)?;
        if let Some(i) = installments.iter_mut().find(|i| i.id == split.installment_id) {
            i.penalty_paid += split.penalty.centimos();
            i.interest_paid += split.interest.centimos();
            i.principal_paid += split.principal.centimos();
            if i.is_paid() && i.paid_off_on.is_none() {
                i.paid_off_on = Some(paid_on);
            }
            i.save(conn)?;
        }
    }
    Ok(())
}

/// A loan whose installments are all paid (and owes no penalty) is repaid; one that owes again
/// after a reversal is disbursed again.
fn settle_status(
    conn: &mut DbConn,
    loan: &Loan,
    fund: &Fund,
    installments: &[Installment],
    as_of: NaiveDate,
) -> AppResult<LoanStatus> {
    let owes = !standing(installments, fund, as_of).total().is_zero();
    let next = match (loan.status()?, owes) {
        (LoanStatus::Disbursed, false) => LoanStatus::Repaid,
        (LoanStatus::Repaid, true) => LoanStatus::Disbursed,
        (current, _) => return Ok(current),
    };
    Loan::set_status(conn, loan.id, next)?;
    Ok(next)
}

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
    let entry_id = journal::reverse(conn, repayment.entry_id, today, actor.id, &reason)?;
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
    let fund: Fund = funds::table
        .find(loan.fund_id)
        .select(Fund::as_select())
        .get_result(conn)?;
    settle_status(conn, &loan, &fund, &installments, today)?;
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

/// Writes off what is left of a loan's principal as a loss (admin). Interest not yet paid was
/// never counted as income, so only principal is written off.
pub fn write_off(
    conn: &mut DbConn,
    actor: &CurrentUser,
    loan_id: i64,
    date: NaiveDate,
    reason: String,
    today: NaiveDate,
) -> AppResult<LoanView> {
    let loan = Loan::find_scoped(conn, &loan_scope(actor), loan_id)?;
    let loan = Loan::locked(conn, loan)?;
    if loan.status()? != LoanStatus::Disbursed {
        return Err(AppError::Conflict("loan_state"));
    }
    if loan.disbursed_on.is_some_and(|d| date < d) {
        return Err(AppError::invalid("date", "write_off_before_disbursement"));
    }
    let before = loan_view(conn, &loan, today)?;
    let outstanding: Money = Installment::of_loan(conn, loan.id)?
        .iter()
        .map(Installment::principal_left)
        .sum();
    if !outstanding.is_zero() {
        journal::post(
            conn,
            EntryDraft {
                fund_id: loan.fund_id,
                date,
                kind: EntryKind::WriteOff,
                loan_id: Some(loan.id),
                reverses_entry_id: None,
                memo: Some(&reason),
                created_by: actor.id,
                lines: vec![
                    debit(Account::LoanLosses, outstanding),
                    credit(Account::LoansReceivable, outstanding),
                ],
            },
        )?;
    }
    diesel::update(loans::table.find(loan.id))
        .set((
            loans::status.eq(LoanStatus::WrittenOff.as_str()),
            loans::written_off_on.eq(Some(date)),
            loans::status_reason.eq(Some(&reason)),
            loans::updated_at.eq(now()),
        ))
        .execute(conn)?;
    let after = reload(conn, loan.id, today)?;
    audit::record(
        conn,
        Some(actor.id),
        "write_off",
        "loan",
        Some(loan.id),
        Some(&summary(&before)),
        Some(&summary(&after)),
    )?;
    Ok(after)
}
