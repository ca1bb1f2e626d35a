//! What a member owes today, loan by loan: her balance page, the `SALDO` answer, receipts.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::installment::Installment;
use super::model::{Fund, Loan, LoanStatus};
use super::standing::standing;
use crate::db::schema::{funds, loans};
use crate::db::{on_backend, DbConn};
use crate::error::AppResult;
use crate::money::Money;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoanBalance {
    pub loan_id: i64,
    pub outstanding_principal: Money,
    pub outstanding_interest: Money,
    pub outstanding_penalties: Money,
    pub outstanding_total: Money,
    pub next_due_date: Option<String>,
    pub next_due_amount: Money,
    pub days_past_due: i64,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct MemberBalance {
    pub member_id: i64,
    pub loans: Vec<LoanBalance>,
    pub total_outstanding: Money,
}

/// What a member owes today, loan by loan (disbursed loans only).
pub fn member_balance(conn: &mut DbConn, member_id: i64, as_of: NaiveDate) -> AppResult<MemberBalance> {
    let owed: Vec<Loan> = on_backend!(conn, |c| loans::table
        .filter(loans::member_id.eq(member_id))
        .filter(loans::status.eq(LoanStatus::Disbursed.as_str()))
        .order(loans::id)
        .select(Loan::as_select())
        .load(c))?;
    balance_of(conn, member_id, &owed, as_of)
}

/// The same from her loans already read (any status, in order; those disbursed count): her page
/// lists them all and does not read them twice.
pub fn balance_of(conn: &mut DbConn, member_id: i64, loans: &[Loan], as_of: NaiveDate) -> AppResult<MemberBalance> {
    let mut items = Vec::new();
    // Her loans are mostly from one fund: each fund read once.
    let mut funds: Vec<Fund> = Vec::new();
    for loan in loans.iter().filter(|l| l.status == LoanStatus::Disbursed.as_str()) {
        let fund = match funds.iter().position(|f| f.id == loan.fund_id) {
            Some(at) => &funds[at],
            None => {
                let fund: Fund = on_backend!(conn, |c| funds::table
                    .find(loan.fund_id)
                    .select(Fund::as_select())
                    .get_result(c))?;
                funds.push(fund);
                &funds[funds.len() - 1]
            }
        };
        let s = standing(&Installment::of_loan(conn, loan.id)?, fund, as_of);
        items.push(LoanBalance {
            loan_id: loan.id,
            outstanding_principal: s.principal,
            outstanding_interest: s.interest,
            outstanding_penalties: s.penalties,
            outstanding_total: s.total(),
            next_due_date: s.next_due_date.map(|d| d.to_string()),
            next_due_amount: s.next_due_amount,
            days_past_due: s.days_past_due,
        });
    }
    let total_outstanding = items.iter().map(|l| l.outstanding_total).sum();
    Ok(MemberBalance {
        member_id,
        loans: items,
        total_outstanding,
    })
}
