//! Paying a loan off early (DOMAIN.md, "Paying off early"): what settles it on a date is the
//! principal still owed plus the interest and penalties due up to that date. A declining-balance
//! loan's interest is the price of time: the interest of installments not yet due is not charged,
//! and is waived in the plan when she pays exactly that. A flat loan owes its interest as agreed.
//! Pure: from the installments, the fund's penalty rule and the date.

use chrono::NaiveDate;
use serde::Serialize;

use super::installment::Installment;
use super::model::Fund;
use super::schedule::InterestMethod;
use super::standing::standing;
use crate::money::Money;

/// What settles a loan on `date`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Payoff {
    pub date: NaiveDate,
    pub principal: Money,
    /// Interest due up to the date and unpaid (for a flat loan, all its unpaid interest).
    pub interest: Money,
    pub penalties: Money,
    pub total: Money,
    /// The interest of installments not yet due that paying `total` on `date` waives.
    pub waived_interest: Money,
    pub interest_method: InterestMethod,
}

pub fn payoff(installments: &[Installment], fund: &Fund, method: InterestMethod, date: NaiveDate) -> Payoff {
    let owed = standing(installments, fund, date);
    let waived: Money = waivers(installments, method, date).iter().map(|(_, m)| *m).sum();
    Payoff {
        date,
        principal: owed.principal,
        interest: owed.interest - waived,
        penalties: owed.penalties,
        total: owed.total() - waived,
        waived_interest: waived,
        interest_method: method,
    }
}

/// The interest a payoff on `date` waives, installment by installment: for a declining loan, the
/// unpaid interest of each installment due after the date (not the interest a reschedule carried
/// onto one: that was due already); for a flat loan, none.
pub fn waivers(installments: &[Installment], method: InterestMethod, date: NaiveDate) -> Vec<(i64, Money)> {
    if method != InterestMethod::Declining {
        return Vec::new();
    }
    installments
        .iter()
        .filter(|i| i.due_date > date)
        .map(|i| (i.id, i.interest_left() - i.carried_interest_left()))
        .filter(|(_, interest)| !interest.is_zero())
        .collect()
}

/// The waivers a repayment of `amount` on `date` brings: those of the payoff when it pays exactly
/// the payoff's total (and that waives something), none otherwise — a smaller amount is allocated
/// as usual, and more than the payoff but less than all is owed is too.
pub fn settling(
    installments: &[Installment],
    fund: &Fund,
    method: InterestMethod,
    amount: Money,
    date: NaiveDate,
) -> Vec<(i64, Money)> {
    let quote = payoff(installments, fund, method, date);
    if amount == quote.total && !quote.waived_interest.is_zero() {
        waivers(installments, method, date)
    } else {
        Vec::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn installment(id: i64, due: &str, principal: i64, interest: i64, paid: (i64, i64)) -> Installment {
        Installment {
            id,
            loan_id: 1,
            number: id,
            due_date: due.parse().unwrap(),
            principal,
            interest,
            principal_paid: paid.0,
            interest_paid: paid.1,
            penalty_paid: 0,
            paid_off_on: None,
            starts_on: None,
            superseded_on: None,
            carried_interest: 0,
            carried_penalty: 0,
        }
    }

    fn plan() -> Vec<Installment> {
        vec![
            installment(1, "2026-09-30", 9_500, 2_000, (9_500, 2_000)),
            installment(2, "2026-10-30", 9_700, 1_800, (0, 0)),
            installment(3, "2026-11-30", 9_900, 1_600, (0, 0)),
            installment(4, "2026-12-30", 10_100, 1_400, (0, 0)),
        ]
    }

    fn fund() -> Fund {
        Fund {
            id: 1,
            organization_id: 1,
            name: "Fondo".into(),
            rounding_unit: 10,
            penalty_amount: 0,
            penalty_after_days: 0,
            created_at: chrono::NaiveDateTime::default(),
        }
    }

    #[test]
    fn a_declining_loan_owes_no_interest_of_installments_not_yet_due() {
        let day: NaiveDate = "2026-11-15".parse().unwrap();
        let quote = payoff(&plan(), &fund(), InterestMethod::Declining, day);
        assert_eq!(quote.principal, Money::from_centimos(9_700 + 9_900 + 10_100));
        assert_eq!(
            quote.interest,
            Money::from_centimos(1_800),
            "only October's, due and unpaid"
        );
        assert_eq!(quote.waived_interest, Money::from_centimos(1_600 + 1_400));
        assert_eq!(quote.total, quote.principal + quote.interest + quote.penalties);
        // On a due date, that installment's interest is due (not waived).
        let on_due = payoff(
            &plan(),
            &fund(),
            InterestMethod::Declining,
            "2026-11-30".parse().unwrap(),
        );
        assert_eq!(on_due.interest, Money::from_centimos(1_800 + 1_600));
    }

    #[test]
    fn a_flat_loan_owes_its_interest_as_agreed() {
        let quote = payoff(&plan(), &fund(), InterestMethod::Flat, "2026-11-15".parse().unwrap());
        assert_eq!(quote.interest, Money::from_centimos(1_800 + 1_600 + 1_400));
        assert!(quote.waived_interest.is_zero());
        assert!(waivers(&plan(), InterestMethod::Flat, "2026-11-15".parse().unwrap()).is_empty());
    }

    #[test]
    fn only_the_exact_payoff_waives() {
        let day: NaiveDate = "2026-11-15".parse().unwrap();
        let quote = payoff(&plan(), &fund(), InterestMethod::Declining, day);
        let waived = settling(&plan(), &fund(), InterestMethod::Declining, quote.total, day);
        assert_eq!(
            waived,
            vec![(3, Money::from_centimos(1_600)), (4, Money::from_centimos(1_400))]
        );
        for other in [
            quote.total - Money::from_centimos(10),
            quote.total + Money::from_centimos(10),
        ] {
            assert!(settling(&plan(), &fund(), InterestMethod::Declining, other, day).is_empty());
        }
    }
}
