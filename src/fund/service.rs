//! The fund's business actions. Each runs in one transaction: the fund is locked, the state is
//! checked, rows and journal entry are written, and the audit row recorded — all or nothing.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::allocation::allocate;
use super::allocation::Allocation;
use super::input::{ContributionInput, FundInput, LoanRequest, RepaymentInput, Source};
use super::journal::{self, credit, debit, Account, EntryDraft, EntryKind};
use super::model::{Fund, Installment, Loan, LoanStatus, Repayment};
use super::schedule::schedule;
use super::standing::standing;
use super::view::{loan_view, loan_view_of, LoanView};
use crate::audit;
use crate::auth::policy::{fund_scope, loan_scope, may_assign_organization, member_scope, CurrentUser};
use crate::clock::now;
use crate::db::schema::{
    contributions, funds, installments, loans, repayment_allocations, repayment_reversals, repayments,
};
use crate::db::DbConn;
use crate::error::{AppError, AppResult, FieldError};
use crate::members::model::Member;
use crate::money::Money;
use crate::organizations::Organization;

pub fn create_fund(conn: &mut DbConn, actor: &CurrentUser, input: FundInput) -> AppResult<Fund> {
    if Organization::unknown_ids(conn, &[input.organization_id])?.len() == 1 {
        return Err(AppError::invalid("organization_id", "organization_unknown"));
    }
    let taken: i64 = funds::table
        .filter(funds::organization_id.eq(input.organization_id))
        .filter(funds::name.eq(&input.name))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(AppError::invalid("name", "fund_name_taken"));
    }
    let fund: Fund = diesel::insert_into(funds::table)
        .values((
            funds::organization_id.eq(input.organization_id),
            funds::name.eq(&input.name),
            funds::rounding_unit.eq(input.rounding_unit.centimos()),
            funds::penalty_amount.eq(input.penalty_amount.centimos()),
            funds::penalty_after_days.eq(input.penalty_after_days),
            funds::created_at.eq(now()),
        ))
        .returning(funds::all_columns)
        .get_result(conn)?;
    audit::record(
        conn,
        Some(actor.id),
        "create",
        "fund",
        Some(fund.id),
        None,
        Some(&audit::snapshot(&fund)),
    )?;
    Ok(fund)
}

#[derive(Debug, Serialize)]
pub struct ContributionView {
    pub id: i64,
    pub fund_id: i64,
    pub source: &'static str,
    pub member_id: Option<i64>,
    pub amount: Money,
    pub date: String,
    pub note: Option<String>,
    pub entry_id: i64,
}

/// Capital paid into the fund by a donor or a member.
pub fn contribute(
    conn: &mut DbConn,
    actor: &CurrentUser,
    fund_id: i64,
    input: ContributionInput,
) -> AppResult<ContributionView> {
    let fund = Fund::find_scoped(conn, &fund_scope(actor), fund_id)?;
    Fund::lock(conn, fund.id)?;
    if let Some(member_id) = input.member_id {
        // The member must be one the actor reaches.
        Member::find_scoped(conn, &member_scope(actor), member_id)
            .map_err(|_| AppError::invalid("member_id", "member_unknown"))?;
    }
    let account = match input.source {
        Source::Donor => Account::CapitalDonor,
        Source::Member => Account::CapitalMember,
    };
    let entry_id = journal::post(
        conn,
        EntryDraft {
            fund_id: fund.id,
            date: input.date,
            kind: EntryKind::Contribution,
            loan_id: None,
            reverses_entry_id: None,
            memo: input.note.as_deref(),
            created_by: actor.id,
            lines: vec![debit(Account::Cash, input.amount), credit(account, input.amount)],
        },
    )?;
    let id: i64 = diesel::insert_into(contributions::table)
        .values((
            contributions::fund_id.eq(fund.id),
            contributions::source.eq(input.source.as_str()),
            contributions::member_id.eq(input.member_id),
            contributions::amount.eq(input.amount.centimos()),
            contributions::date.eq(input.date),
            contributions::note.eq(&input.note),
            contributions::entry_id.eq(entry_id),
            contributions::created_by.eq(actor.id),
            contributions::created_at.eq(now()),
        ))
        .returning(contributions::id)
        .get_result(conn)?;
    let view = ContributionView {
        id,
        fund_id: fund.id,
        source: input.source.as_str(),
        member_id: input.member_id,
        amount: input.amount,
        date: input.date.to_string(),
        note: input.note,
        entry_id,
    };
    audit::record(
        conn,
        Some(actor.id),
        "contribute",
        "fund",
        Some(fund.id),
        None,
        Some(&audit::snapshot(&view)),
    )?;
    Ok(view)
}

/// A loan request with its schedule. The borrower must belong to the fund's organisation.
/// Dates may lie in the past: loans made on paper before Pallay are entered with their real dates.
pub fn request_loan(
    conn: &mut DbConn,
    actor: &CurrentUser,
    request: LoanRequest,
    today: NaiveDate,
) -> AppResult<LoanView> {
    let fund = Fund::find_scoped(conn, &fund_scope(actor), request.fund_id)
        .map_err(|_| AppError::invalid("fund_id", "fund_unknown"))?;
    if !may_assign_organization(actor, fund.organization_id) {
        return Err(AppError::invalid("fund_id", "fund_unknown"));
    }
    let member = Member::find_scoped(conn, &member_scope(actor), request.member_id)
        .map_err(|_| AppError::invalid("member_id", "member_unknown"))?;
    if !Member::organization_ids(conn, member.id)?.contains(&fund.organization_id) || member.anonymized_at.is_some() {
        return Err(AppError::invalid("member_id", "member_not_in_fund"));
    }
    let at = now();
    let loan: Loan = diesel::insert_into(loans::table)
        .values((
            loans::fund_id.eq(fund.id),
            loans::member_id.eq(member.id),
            loans::principal.eq(request.principal.centimos()),
            loans::interest_method.eq(request.method.as_str()),
            loans::rate_per_period.eq(request.rate.to_string()),
            loans::periods.eq(i64::from(request.periods)),
            loans::frequency.eq(request.frequency.as_str()),
            loans::first_due_date.eq(request.first_due_date),
            loans::grace_periods.eq(i64::from(request.grace_periods)),
            loans::purpose.eq(&request.purpose),
            loans::status.eq(LoanStatus::Requested.as_str()),
            loans::requested_by.eq(actor.id),
            loans::created_at.eq(at),
            loans::updated_at.eq(at),
        ))
        .returning(loans::all_columns)
        .get_result(conn)?;
    for line in schedule(&request.terms(fund.rounding_unit())) {
        diesel::insert_into(installments::table)
            .values((
                installments::loan_id.eq(loan.id),
                installments::number.eq(i64::from(line.number)),
                installments::due_date.eq(line.due_date),
                installments::principal.eq(line.principal.centimos()),
                installments::interest.eq(line.interest.centimos()),
                installments::principal_paid.eq(0),
                installments::interest_paid.eq(0),
                installments::penalty_paid.eq(0),
            ))
            .execute(conn)?;
    }
    let view = loan_view(conn, &loan, today)?;
    audit::record(
        conn,
        Some(actor.id),
        "request",
        "loan",
        Some(loan.id),
        None,
        Some(&summary(&view)),
    )?;
    Ok(view)
}

fn reload(conn: &mut DbConn, loan_id: i64, today: NaiveDate) -> AppResult<LoanView> {
    let loan = Loan::find(conn, loan_id)?;
    loan_view(conn, &loan, today)
}

/// What the audit log keeps of a loan: its state, not its whole schedule.
fn summary(view: &LoanView) -> serde_json::Value {
    json!({"status": view.status, "principal": view.principal, "member_id": view.member_id,
           "outstanding_total": view.totals.outstanding_total, "status_reason": view.status_reason})
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Decision {
    Approve,
    Reject,
    Cancel,
}

/// Approval is maker-checker: whoever requested a loan cannot approve (or reject) it.
pub fn decide(
    conn: &mut DbConn,
    actor: &CurrentUser,
    loan_id: i64,
    decision: Decision,
    today: NaiveDate,
) -> AppResult<LoanView> {
    let loan = Loan::find_scoped(conn, &loan_scope(actor), loan_id)?;
    let loan = Loan::locked(conn, loan)?;
    let before = loan_view(conn, &loan, today)?;
    let status = loan.status()?;
    let next = match (decision, status) {
        (Decision::Approve, LoanStatus::Requested) => LoanStatus::Approved,
        (Decision::Reject, LoanStatus::Requested) => LoanStatus::Rejected,
        (Decision::Cancel, LoanStatus::Requested | LoanStatus::Approved) => LoanStatus::Cancelled,
        _ => return Err(AppError::Conflict("loan_state")),
    };
    if decision != Decision::Cancel && loan.requested_by == actor.id {
        return Err(AppError::Forbidden);
    }
    diesel::update(loans::table.find(loan.id))
        .set((
            loans::status.eq(next.as_str()),
            loans::decided_by.eq(Some(actor.id)),
            loans::decided_at.eq(Some(now())),
            loans::updated_at.eq(now()),
        ))
        .execute(conn)?;
    let after = reload(conn, loan.id, today)?;
    let action = match decision {
        Decision::Approve => "approve",
        Decision::Reject => "reject",
        Decision::Cancel => "cancel",
    };
    audit::record(
        conn,
        Some(actor.id),
        action,
        "loan",
        Some(loan.id),
        Some(&summary(&before)),
        Some(&summary(&after)),
    )?;
    Ok(after)
}

/// Hands the money over. The fund cannot disburse more cash than it holds on that date.
pub fn disburse(
    conn: &mut DbConn,
    actor: &CurrentUser,
    loan_id: i64,
    date: NaiveDate,
    today: NaiveDate,
) -> AppResult<LoanView> {
    let loan = Loan::find_scoped(conn, &loan_scope(actor), loan_id)?;
    let loan = Loan::locked(conn, loan)?;
    if loan.status()? != LoanStatus::Approved {
        return Err(AppError::Conflict("loan_state"));
    }
    if date >= loan.first_due_date {
        return Err(AppError::invalid("date", "disbursement_after_first_due_date"));
    }
    // Cash on the disbursement date and today: a back-dated disbursement may not spend money
    // that only arrived later, nor money already spent since.
    let balances_then = journal::balances(conn, loan.fund_id, date)?;
    let balances_now = journal::balances(conn, loan.fund_id, journal::end_of_time())?;
    let cash =
        journal::balance_of(&balances_then, Account::Cash).min(journal::balance_of(&balances_now, Account::Cash));
    if cash < loan.principal() {
        return Err(AppError::Conflict("insufficient_cash"));
    }
    let before = loan_view(conn, &loan, today)?;
    journal::post(
        conn,
        EntryDraft {
            fund_id: loan.fund_id,
            date,
            kind: EntryKind::Disbursement,
            loan_id: Some(loan.id),
            reverses_entry_id: None,
            memo: None,
            created_by: actor.id,
            lines: vec![
                debit(Account::LoansReceivable, loan.principal()),
                credit(Account::Cash, loan.principal()),
            ],
        },
    )?;
    diesel::update(loans::table.find(loan.id))
        .set((
            loans::status.eq(LoanStatus::Disbursed.as_str()),
            loans::disbursed_on.eq(Some(date)),
            loans::updated_at.eq(now()),
        ))
        .execute(conn)?;
    let after = reload(conn, loan.id, today)?;
    audit::record(
        conn,
        Some(actor.id),
        "disburse",
        "loan",
        Some(loan.id),
        Some(&summary(&before)),
        Some(&summary(&after)),
    )?;
    Ok(after)
}

#[derive(Debug, Serialize)]
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
    Ok(Allocation {
        penalties: splits.iter().map(|s| s.penalty).sum(),
        interest: splits.iter().map(|s| s.interest).sum(),
        principal: splits.iter().map(|s| s.principal).sum(),
    })
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

/// Records money received for a loan, split penalties → interest → principal, oldest first.
pub fn repay(
    conn: &mut DbConn,
    actor: &CurrentUser,
    loan_id: i64,
    input: RepaymentInput,
    today: NaiveDate,
) -> AppResult<RepaymentView> {
    let loan = Loan::find_scoped(conn, &loan_scope(actor), loan_id)?;
    let loan = Loan::locked(conn, loan)?;
    let (fund, mut installments, splits) = split_repayment(conn, &loan, &input)?;
    let penalties: Money = splits.iter().map(|s| s.penalty).sum();
    let interest: Money = splits.iter().map(|s| s.interest).sum();
    let principal: Money = splits.iter().map(|s| s.principal).sum();
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
                credit(Account::PenaltyIncome, penalties),
                credit(Account::InterestIncome, interest),
                credit(Account::LoansReceivable, principal),
            ],
        },
    )?;
    let repayment_id: i64 = diesel::insert_into(repayments::table)
        .values((
            repayments::loan_id.eq(loan.id),
            repayments::amount.eq(input.amount.centimos()),
            repayments::date.eq(input.date),
            repayments::receipt_number.eq(&input.receipt_number),
            repayments::penalties.eq(penalties.centimos()),
            repayments::interest.eq(interest.centimos()),
            repayments::principal.eq(principal.centimos()),
            repayments::entry_id.eq(entry_id),
            repayments::created_by.eq(actor.id),
            repayments::created_at.eq(now()),
        ))
        .returning(repayments::id)
        .get_result(conn)?;
    for split in &splits {
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
                i.paid_off_on = Some(input.date);
            }
            i.save(conn)?;
        }
    }
    let status = settle_status(conn, &loan, &fund, &installments, input.date)?;
    let settled = Loan {
        status: status.as_str().to_string(),
        ..loan.clone()
    };
    let view = RepaymentView {
        id: repayment_id,
        loan_id: loan.id,
        amount: input.amount,
        date: input.date.to_string(),
        receipt_number: input.receipt_number,
        allocation: Allocation {
            penalties,
            interest,
            principal,
        },
        loan: loan_view_of(conn, &settled, &fund, &installments, today)?,
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
        &view.allocation,
        today,
        now(),
    )?;
    let recorded = json!({"loan_id": loan.id, "amount": view.amount, "date": view.date,
                          "receipt_number": view.receipt_number, "allocation": view.allocation});
    audit::record(
        conn,
        Some(actor.id),
        "create",
        "repayment",
        Some(repayment_id),
        None,
        Some(&recorded),
    )?;
    Ok(view)
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

#[derive(Debug, Serialize)]
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
