//! The fund's business actions. Each runs in one transaction: the fund is locked, the state is
//! checked, rows and journal entry are written, and the audit row recorded — all or nothing.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::input::{ContributionInput, FundInput, LoanRequest, Source};
use super::installment::NewInstallment;
use super::journal::{self, credit, debit, Account, EntryDraft, EntryKind};
use super::model::{Fund, Loan, LoanStatus, NewContribution, NewLoan};
use super::schedule::{check_terms, schedule};
use super::view::{loan_view, LoanView};
use crate::audit;
use crate::auth::policy::{fund_scope, loan_scope, may_assign_organization, member_scope, CurrentUser};
use crate::clock::now;
use crate::db::schema::{funds, loans};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
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

#[derive(Debug, Serialize, utoipa::ToSchema)]
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
    let id = NewContribution {
        fund_id: fund.id,
        source: input.source.as_str(),
        member_id: input.member_id,
        amount: input.amount.centimos(),
        date: input.date,
        note: input.note.as_deref(),
        entry_id,
        created_by: actor.id,
        created_at: now(),
    }
    .insert(conn)?;
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
    crate::fund::input::check_first_due_date(request.first_due_date, today)
        .map_err(|code| AppError::invalid("first_due_date", code))?;
    let terms = request.terms(fund.rounding_unit());
    check_terms(&terms).map_err(|(field, code)| AppError::invalid(field, code))?;
    let at = now();
    let loan = NewLoan {
        fund_id: fund.id,
        member_id: member.id,
        principal: request.principal.centimos(),
        interest_method: request.method.as_str(),
        rate_per_period: request.rate.to_string(),
        periods: i64::from(request.periods),
        frequency: request.frequency.as_str(),
        first_due_date: request.first_due_date,
        grace_periods: i64::from(request.grace_periods),
        purpose: request.purpose.as_deref(),
        status: LoanStatus::Requested.as_str(),
        requested_by: actor.id,
        created_at: at,
        updated_at: at,
    }
    .insert(conn)?;
    for line in schedule(&terms) {
        NewInstallment {
            loan_id: loan.id,
            number: i64::from(line.number),
            due_date: line.due_date,
            principal: line.principal.centimos(),
            interest: line.interest.centimos(),
            ..NewInstallment::default()
        }
        .insert(conn)?;
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

pub fn reload(conn: &mut DbConn, loan_id: i64, today: NaiveDate) -> AppResult<LoanView> {
    let loan = Loan::find(conn, loan_id)?;
    loan_view(conn, &loan, today)
}

/// What the audit log keeps of a loan: its state, not its whole schedule.
pub(super) fn summary(view: &LoanView) -> serde_json::Value {
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
    // The least cash held on any day from the disbursement date on: a back-dated disbursement
    // may not spend money that only arrived later, nor money spent on a day since.
    let cash = journal::lowest_cash_from(conn, loan.fund_id, date)?;
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
