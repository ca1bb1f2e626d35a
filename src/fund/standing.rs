//! Where a loan stands on a date: what it still owes, what is late, what comes next.
//! Computed from its installments (whose paid columns the repayments keep up to date).

use chrono::NaiveDate;

use super::allocation::{penalty_charged, Owed};
use super::installment::Installment;
use super::model::Fund;
use crate::money::Money;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Standing {
    pub principal: Money,
    pub interest: Money,
    pub penalties: Money,
    pub next_due_date: Option<NaiveDate>,
    pub next_due_amount: Money,
    pub days_past_due: i64,
    /// What each installment owes, oldest first: what a repayment is allocated against.
    pub owed: Vec<Owed>,
}

impl Standing {
    pub fn total(&self) -> Money {
        self.principal + self.interest + self.penalties
    }
}

/// The penalty an installment still owes on `as_of`: the fund's late penalty once charged, plus
/// what a reschedule carried onto it, less what was paid.
pub fn penalty_of(installment: &Installment, fund: &Fund, as_of: NaiveDate) -> Money {
    let charged = penalty_charged(
        installment.due_date,
        installment.paid_off_on,
        as_of,
        fund.penalty_amount(),
        u64::try_from(fund.penalty_after_days).unwrap_or(0),
    );
    (charged + Money::from_centimos(installment.carried_penalty) - Money::from_centimos(installment.penalty_paid))
        .max(Money::ZERO)
}

pub fn standing(installments: &[Installment], fund: &Fund, as_of: NaiveDate) -> Standing {
    let owed: Vec<Owed> = installments
        .iter()
        .map(|i| Owed {
            installment_id: i.id,
            penalty: penalty_of(i, fund, as_of),
            interest: i.interest_left(),
            principal: i.principal_left(),
        })
        .collect();
    let unpaid = installments.iter().zip(&owed).find(|(_, o)| !o.total().is_zero());
    let oldest_late = installments.iter().find(|i| !i.is_paid() && i.due_date < as_of);
    Standing {
        principal: owed.iter().map(|o| o.principal).sum(),
        interest: owed.iter().map(|o| o.interest).sum(),
        penalties: owed.iter().map(|o| o.penalty).sum(),
        next_due_date: unpaid.map(|(i, _)| i.due_date),
        next_due_amount: unpaid.map_or(Money::ZERO, |(_, o)| o.total()),
        days_past_due: oldest_late.map_or(0, |i| (as_of - i.due_date).num_days()),
        owed,
    }
}
