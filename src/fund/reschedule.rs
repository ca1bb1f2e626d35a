//! Rescheduling a loan (reprogramación), the maths (pure: DOMAIN.md, "Rescheduling").
//!
//! A reschedule dated `date` takes every installment of the plan in force that still owes anything
//! on that date and replaces them with a new plan on new terms:
//! - the principal still owed becomes the new plan's principal;
//! - interest due by the date and unpaid, and penalties charged by then and unpaid, stay owed and
//!   fall due with the new plan's first installment — never made principal, never charged interest;
//! - interest of installments not yet due is dropped: future interest follows the new terms.
//!
//! So what settles the loan on the date is the same before and after, to the céntimo (the property
//! tests below prove it for random loans, payments and new terms).

use chrono::NaiveDate;

use super::installment::Installment;
use super::model::Fund;
use super::schedule::{schedule, Terms};
use super::standing::penalty_of;
use crate::money::Money;

/// What a reschedule carries from the plan in force into the new one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    pub principal: Money,
    pub interest: Money,
    pub penalties: Money,
    /// The installments it replaces.
    pub superseded: Vec<i64>,
}

/// What the plan in force owes on `date`, and which installments a reschedule then replaces:
/// those still owing principal, interest or a penalty.
pub fn carry(installments: &[Installment], fund: &Fund, date: NaiveDate) -> Carried {
    let mut carried = Carried {
        principal: Money::ZERO,
        interest: Money::ZERO,
        penalties: Money::ZERO,
        superseded: Vec::new(),
    };
    for i in installments {
        let penalty = penalty_of(i, fund, date);
        if i.principal_left().is_zero() && i.interest_left().is_zero() && penalty.is_zero() {
            continue;
        }
        carried.principal = carried.principal + i.principal_left();
        // Interest is due on the due date; what a reschedule carried onto a later one was due before.
        carried.interest = carried.interest
            + if i.due_date <= date {
                i.interest_left()
            } else {
                i.carried_interest_left()
            };
        carried.penalties = carried.penalties + penalty;
        carried.superseded.push(i.id);
    }
    carried
}

/// One installment of a new plan.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PlanLine {
    pub number: i64,
    pub due_date: NaiveDate,
    pub principal: Money,
    /// The new terms' interest, plus what was carried (first installment only).
    pub interest: Money,
    pub carried_interest: Money,
    pub carried_penalty: Money,
}

impl PlanLine {
    /// What falls due on it, the carried penalty included.
    pub fn total(&self) -> Money {
        self.principal + self.interest + self.carried_penalty
    }
}

/// The new plan: the schedule of the carried principal on the new terms (`terms.principal` is
/// set from `carried`), numbered on from `first_number`, the carried interest and penalties on
/// its first installment.
pub fn new_plan(carried: &Carried, terms: &Terms, first_number: i64) -> Vec<PlanLine> {
    let terms = Terms {
        principal: carried.principal,
        ..terms.clone()
    };
    schedule(&terms)
        .into_iter()
        .enumerate()
        .map(|(k, line)| {
            let first = k == 0;
            let carried_interest = if first { carried.interest } else { Money::ZERO };
            PlanLine {
                number: first_number + k as i64,
                due_date: line.due_date,
                principal: line.principal,
                interest: line.interest + carried_interest,
                carried_interest,
                carried_penalty: if first { carried.penalties } else { Money::ZERO },
            }
        })
        .collect()
}

#[cfg(test)]
#[path = "reschedule_tests.rs"]
mod tests;
