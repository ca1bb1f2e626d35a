//! Writing off what is left of a loan's principal as a loss: an entry in the journal, never an
//! edit of what was paid.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::installment::Installment;
use super::journal::{self, credit, debit, Account, EntryDraft, EntryKind};
use super::model::{Loan, LoanStatus};
use super::service::{reload, summary};
use super::view::{loan_view, LoanView};
use crate::audit;
use crate::auth::policy::{loan_scope, CurrentUser};
use crate::clock::now;
use crate::db::schema::loans;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::money::Money;

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
