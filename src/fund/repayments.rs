//! Money coming back into the fund: a repayment (allocated penalties → interest → principal,
//! oldest installment first, with its journal entry and receipt in one transaction). Its reversal
//! is in `reversal.rs`, writing off what is left in `write_off.rs`.

use chrono::NaiveDate;
use serde::Serialize;
use serde_json::json;

use super::allocation::allocate;
use super::allocation::Allocation;
use super::input::RepaymentInput;
use super::installment::Installment;
use super::journal::{self, credit, debit, Account, EntryDraft, EntryKind};
use super::model::{Fund, Loan, LoanStatus, NewRepayment};
use super::payoff;
use super::repayment_reads::RepaymentReads;
use super::schedule::InterestMethod;
use super::standing::standing;
use super::view::{loan_view_paid, LoanView};
use crate::audit;
use crate::auth::policy::{loan_scope, CurrentUser};
use crate::clock::now;
use crate::db::prepared::{Batch, Prepared};
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
    let fund = Fund::find(conn, loan.fund_id)?;
    Ok(Allocation::of(&split_repayment(conn, &loan, fund, input)?.splits))
}

fn split_repayment(conn: &mut DbConn, loan: &Loan, fund: Fund, input: &RepaymentInput) -> AppResult<Planned> {
    if loan.status()? != LoanStatus::Disbursed {
        return Err(AppError::Conflict("loan_not_disbursed"));
    }
    if loan.disbursed_on.is_some_and(|d| input.date < d) {
        return Err(AppError::invalid("date", "repayment_before_disbursement"));
    }
    let mut installments = Installment::of_loan(conn, loan.id)?;
    // A reschedule replaced the plan from its date (the latest one's is the latest start among the
    // installments in force): a payment dated before it has no plan to go to.
    if installments
        .iter()
        .filter_map(|i| i.starts_on)
        .max()
        .is_some_and(|d| input.date < d)
    {
        return Err(AppError::invalid("date", "repayment_before_reschedule"));
    }
    // Paying a declining loan off: the interest of installments not yet due is waived first, so
    // the payoff's amount settles every installment (`payoff.rs`).
    let method = InterestMethod::parse(&loan.interest_method).map_err(AppError::internal)?;
    let waived = payoff::settling(&installments, &fund, method, input.amount, input.date);
    for (id, amount) in &waived {
        if let Some(i) = installments.iter_mut().find(|i| i.id == *id) {
            i.interest -= amount.centimos();
        }
    }
    let owed = standing(&installments, &fund, input.date).owed;
    let splits = allocate(input.amount, &owed).map_err(|total| {
        AppError::Invalid(vec![FieldError::with(
            "amount",
            "repayment_exceeds_balance",
            total.to_string(),
        )])
    })?;
    Ok(Planned {
        fund,
        installments,
        splits,
        waived,
    })
}

/// A repayment read against its loan, before anything is written.
struct Planned {
    fund: Fund,
    installments: Vec<Installment>,
    /// How it is split over the installments.
    splits: Vec<super::allocation::Split>,
    /// The interest a payoff waives, by installment (none for any other amount).
    waived: Vec<(i64, Money)>,
}

/// A repayment just posted, with what its loan looks like after it.
pub struct Posted {
    pub id: i64,
    pub allocation: Allocation,
    pub loan: Loan,
    pub fund: Fund,
    pub installments: Vec<Installment>,
    /// What her repayments not reversed add up to, this one included.
    pub paid: Money,
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
        loan: loan_view_paid(
            conn,
            &posted.loan,
            &posted.fund,
            &posted.installments,
            posted.paid,
            today,
        )?,
    })
}

/// The repayment itself: its journal entry, allocation, the installments' paid amounts, the
/// loan's status, her receipt queued and the audit line — all in the caller's transaction.
///
/// Under the loan's lock it reads the installments and then, in one statement, the rest it needs
/// with the ids its rows will have (`repayment_reads.rs`); every write then goes in one batch
/// (one round trip on PostgreSQL), the fund's running totals last.
pub fn post(
    conn: &mut DbConn,
    actor: &CurrentUser,
    loan_id: i64,
    input: &RepaymentInput,
    today: NaiveDate,
) -> AppResult<Posted> {
    let (loan, fund) = Loan::locked_to_repay(conn, &loan_scope(actor), loan_id)?;
    let Planned {
        fund,
        mut installments,
        splits,
        waived,
    } = split_repayment(conn, &loan, fund, input)?;
    let allocation = Allocation::of(&splits);
    let reads = RepaymentReads::of(conn, loan.fund_id, loan.id, loan.member_id)?;
    let paid = reads.paid() + input.amount;
    let repayment_id = reads.repayment_id;
    let mut writes = Batch::new();
    let entry = journal::entry_in(
        &mut writes,
        reads.entry_id,
        reads.closed_up_to,
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
    writes.push(
        NewRepayment {
            id: repayment_id,
            loan_id: loan.id,
            amount: input.amount.centimos(),
            date: input.date,
            receipt_number: input.receipt_number.as_deref(),
            penalties: allocation.penalties.centimos(),
            interest: allocation.interest.centimos(),
            principal: allocation.principal.centimos(),
            entry_id: entry.entry_id,
            created_by: actor.id,
            created_at: now(),
        }
        .writing(),
    );
    waive(&mut writes, repayment_id, &waived);
    apply_splits(&mut writes, repayment_id, &splits, &mut installments, input.date);
    // Each installment the repayment changed is written once, with all its changes: the parts of
    // one batch must not write the same row twice.
    for installment in installments
        .iter()
        .filter(|i| waived.iter().any(|(id, _)| *id == i.id) || splits.iter().any(|s| s.installment_id == i.id))
    {
        writes.push(installment.saving());
    }
    let status = match next_status(&loan, &fund, &installments, input.date)? {
        Some(next) => {
            writes.push(Loan::status_change(loan.id, next));
            next
        }
        None => loan.status()?,
    };
    let settled = Loan {
        status: status.as_str().to_string(),
        ..loan.clone()
    };
    // Her receipt, queued with the repayment: both are written, or neither.
    super::receipt::queue_receipt(
        conn,
        &mut writes,
        &reads.her,
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
    writes.push(audit::line(
        Some(actor.id),
        "create",
        "repayment",
        Some(repayment_id),
        None,
        Some(&recorded),
    ));
    // The fund's running totals last: from here to the commit is all two repayments of one fund
    // wait for each other (see `Loan::locked_to_repay`).
    entry.settle_in(&mut writes);
    writes.run(conn)?;
    Ok(Posted {
        id: repayment_id,
        allocation,
        loan: settled,
        fund,
        installments,
        paid,
    })
}

/// Keeps the interest a payoff waived, with its repayment (the installments were already
/// changed in `split_repayment`).
fn waive(writes: &mut Batch, repayment_id: i64, waived: &[(i64, Money)]) {
    for (installment_id, amount) in waived {
        writes.push(Prepared::new(
            "INSERT INTO interest_waivers (repayment_id, installment_id, amount) VALUES (?, ?, ?)",
            vec![repayment_id.into(), (*installment_id).into(), amount.centimos().into()],
        ));
    }
}

/// Records how a repayment was split, and adds each part to what its installment has been paid
/// (an installment paid in full is paid off on the repayment's date).
fn apply_splits(
    writes: &mut Batch,
    repayment_id: i64,
    splits: &[super::allocation::Split],
    installments: &mut [Installment],
    paid_on: NaiveDate,
) {
    if splits.is_empty() {
        return;
    }
    // Every part in one statement, which the connection keeps prepared (one per number of parts).
    writes.push(Prepared::rows(
        "INSERT INTO repayment_allocations (repayment_id, installment_id, penalty, interest, principal)",
        "(?, ?, ?, ?, ?)",
        splits
            .iter()
            .map(|s| {
                vec![
                    repayment_id.into(),
                    s.installment_id.into(),
                    s.penalty.centimos().into(),
                    s.interest.centimos().into(),
                    s.principal.centimos().into(),
                ]
            })
            .collect(),
        "",
    ));
    for split in splits {
        if let Some(i) = installments.iter_mut().find(|i| i.id == split.installment_id) {
            i.penalty_paid += split.penalty.centimos();
            i.interest_paid += split.interest.centimos();
            i.principal_paid += split.principal.centimos();
            if i.is_paid() && i.paid_off_on.is_none() {
                i.paid_off_on = Some(paid_on);
            }
        }
    }
}

/// A loan whose installments are all paid (and owes no penalty) is repaid; one that owes again
/// after a reversal is disbursed again.
pub(super) fn settle_status(
    conn: &mut DbConn,
    loan: &Loan,
    fund: &Fund,
    installments: &[Installment],
    as_of: NaiveDate,
) -> AppResult<LoanStatus> {
    match next_status(loan, fund, installments, as_of)? {
        Some(next) => {
            Loan::set_status(conn, loan.id, next)?;
            Ok(next)
        }
        None => loan.status(),
    }
}

/// The loan's new status, if its installments change it (see [`settle_status`]).
fn next_status(
    loan: &Loan,
    fund: &Fund,
    installments: &[Installment],
    as_of: NaiveDate,
) -> AppResult<Option<LoanStatus>> {
    let owes = !standing(installments, fund, as_of).total().is_zero();
    Ok(match (loan.status()?, owes) {
        (LoanStatus::Disbursed, false) => Some(LoanStatus::Repaid),
        (LoanStatus::Repaid, true) => Some(LoanStatus::Disbursed),
        _ => None,
    })
}
