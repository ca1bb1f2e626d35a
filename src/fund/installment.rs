//! A loan's installments: its plan, with what was paid on each (a projection of the repayments,
//! written in the same transaction), and the plans a reschedule replaced.

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::db::prepared::Prepared;
use crate::db::schema::installments;
use crate::db::{on_backend, DbConn};
use crate::error::AppResult;
use crate::money::Money;

#[derive(Debug, Clone, Queryable, Selectable, Identifiable)]
#[diesel(table_name = installments)]
pub struct Installment {
    pub id: i64,
    pub loan_id: i64,
    pub number: i64,
    pub due_date: NaiveDate,
    pub principal: i64,
    pub interest: i64,
    pub principal_paid: i64,
    pub interest_paid: i64,
    pub penalty_paid: i64,
    pub paid_off_on: Option<NaiveDate>,
    /// The date of the reschedule that made it (none: the loan's own plan).
    pub starts_on: Option<NaiveDate>,
    /// The date of the reschedule that replaced it (none: in force).
    pub superseded_on: Option<NaiveDate>,
    /// Interest and penalties due and unpaid when a reschedule made it (its first installment
    /// only); the interest is part of `interest`, the penalty adds to what is charged.
    pub carried_interest: i64,
    pub carried_penalty: i64,
}

impl Installment {
    /// The loan's plan in force: its installments not superseded by a reschedule, in order.
    pub fn of_loan(conn: &mut DbConn, loan_id: i64) -> AppResult<Vec<Installment>> {
        Ok(on_backend!(conn, |c| installments::table
            .filter(installments::loan_id.eq(loan_id))
            .filter(installments::superseded_on.is_null())
            .order(installments::number)
            .select(Installment::as_select())
            .load(c))?)
    }

    /// The installments a reschedule dated `date` replaced, in order: the plan as it was.
    pub fn superseded_on(conn: &mut DbConn, loan_id: i64, date: NaiveDate) -> AppResult<Vec<Installment>> {
        Ok(installments::table
            .filter(installments::loan_id.eq(loan_id))
            .filter(installments::superseded_on.eq(date))
            .order(installments::number)
            .select(Installment::as_select())
            .load(conn)?)
    }

    /// The plans in force of many loans at once (one query), by loan, each in order.
    pub fn of_loans(
        conn: &mut DbConn,
        loan_ids: &[i64],
    ) -> AppResult<std::collections::HashMap<i64, Vec<Installment>>> {
        let rows: Vec<Installment> = installments::table
            .filter(installments::loan_id.eq_any(loan_ids))
            .filter(installments::superseded_on.is_null())
            .order((installments::loan_id, installments::number))
            .select(Installment::as_select())
            .load(conn)?;
        let mut by_loan: std::collections::HashMap<i64, Vec<Installment>> = std::collections::HashMap::new();
        for installment in rows {
            by_loan.entry(installment.loan_id).or_default().push(installment);
        }
        Ok(by_loan)
    }

    /// Writes what repayments and reversals change: the amounts paid, the day it was paid off, and
    /// the interest a payoff waived. Its loan, number, due date and principal are never rewritten.
    pub fn save(&self, conn: &mut DbConn) -> AppResult<()> {
        self.saving().execute(conn)?;
        Ok(())
    }

    /// The write of [`Installment::save`], for a caller that sends its writes together.
    pub fn saving(&self) -> Prepared {
        // The interest changes only when a payoff waives some (or its reversal restores it).
        Prepared::new(
            "UPDATE installments SET interest = ?, principal_paid = ?, interest_paid = ?, \
             penalty_paid = ?, paid_off_on = ? WHERE id = ?",
            vec![
                self.interest.into(),
                self.principal_paid.into(),
                self.interest_paid.into(),
                self.penalty_paid.into(),
                self.paid_off_on.into(),
                self.id.into(),
            ],
        )
    }

    pub fn principal_left(&self) -> Money {
        Money::from_centimos(self.principal - self.principal_paid)
    }

    pub fn interest_left(&self) -> Money {
        Money::from_centimos(self.interest - self.interest_paid)
    }

    pub fn is_paid(&self) -> bool {
        self.principal_paid >= self.principal && self.interest_paid >= self.interest
    }

    /// The carried interest still unpaid: interest paid goes to it first, being the oldest.
    pub fn carried_interest_left(&self) -> Money {
        let unpaid = (self.carried_interest - self.interest_paid).max(0);
        Money::from_centimos(unpaid.min(self.interest - self.interest_paid).max(0))
    }
}

/// One line of a new schedule, nothing paid yet.
#[derive(Insertable, Default)]
#[diesel(table_name = installments)]
pub struct NewInstallment {
    pub loan_id: i64,
    pub number: i64,
    pub due_date: NaiveDate,
    pub principal: i64,
    pub interest: i64,
    pub principal_paid: i64,
    pub interest_paid: i64,
    pub penalty_paid: i64,
    pub starts_on: Option<NaiveDate>,
    pub carried_interest: i64,
    pub carried_penalty: i64,
}

impl NewInstallment {
    pub fn insert(&self, conn: &mut DbConn) -> AppResult<()> {
        diesel::insert_into(installments::table).values(self).execute(conn)?;
        Ok(())
    }
}
