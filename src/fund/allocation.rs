//! How a repayment is split (pure): penalties, then interest, then principal, installment by
//! installment, oldest first. Paying more than is owed is refused, never kept as a silent credit.

use chrono::{Days, NaiveDate};

use crate::money::Money;

/// How one repayment was split, over all the installments it paid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, utoipa::ToSchema)]
pub struct Allocation {
    pub penalties: Money,
    pub interest: Money,
    pub principal: Money,
}

impl Allocation {
    /// A repayment's split over its installments, summed.
    pub fn of(splits: &[Split]) -> Allocation {
        Allocation {
            penalties: splits.iter().map(|s| s.penalty).sum(),
            interest: splits.iter().map(|s| s.interest).sum(),
            principal: splits.iter().map(|s| s.principal).sum(),
        }
    }

    /// The whole repayment: every céntimo of it goes to one of the three.
    pub fn total(&self) -> Money {
        self.penalties + self.interest + self.principal
    }
}

/// What one installment still owes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Owed {
    pub installment_id: i64,
    pub penalty: Money,
    pub interest: Money,
    pub principal: Money,
}

impl Owed {
    pub fn total(&self) -> Money {
        self.penalty + self.interest + self.principal
    }
}

/// The part of a repayment that goes to one installment.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Split {
    pub installment_id: i64,
    pub penalty: Money,
    pub interest: Money,
    pub principal: Money,
}

impl Split {
    pub fn total(&self) -> Money {
        self.penalty + self.interest + self.principal
    }
}

/// Splits `amount` over the installments (given oldest first). `Err(total owed)` when it is more.
pub fn allocate(amount: Money, owed: &[Owed]) -> Result<Vec<Split>, Money> {
    let total: Money = owed.iter().map(Owed::total).sum();
    if amount > total {
        return Err(total);
    }
    let mut left = amount;
    let mut splits = Vec::new();
    for o in owed {
        if left.is_zero() {
            break;
        }
        let mut take = |due: Money| {
            let part = left.min(due);
            left = left - part;
            part
        };
        let split = Split {
            installment_id: o.installment_id,
            penalty: take(o.penalty),
            interest: take(o.interest),
            principal: take(o.principal),
        };
        if !split.total().is_zero() {
            splits.push(split);
        }
    }
    Ok(splits)
}

/// The late penalty of an installment as of a date: charged once it is more than `after_days`
/// late and was not paid off by then.
pub fn penalty_charged(
    due_date: NaiveDate,
    paid_off_on: Option<NaiveDate>,
    as_of: NaiveDate,
    amount: Money,
    after_days: u64,
) -> Money {
    let Some(deadline) = due_date.checked_add_days(Days::new(after_days)) else {
        return Money::ZERO;
    };
    let late = as_of > deadline && paid_off_on.is_none_or(|paid| paid > deadline);
    if late {
        amount
    } else {
        Money::ZERO
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn m(c: i64) -> Money {
        Money::from_centimos(c)
    }

    #[test]
    fn penalties_then_interest_then_principal_oldest_first() {
        let owed = [
            Owed {
                installment_id: 1,
                penalty: m(500),
                interest: m(1_000),
                principal: m(10_000),
            },
            Owed {
                installment_id: 2,
                penalty: m(0),
                interest: m(1_000),
                principal: m(10_000),
            },
        ];
        let splits = allocate(m(12_000), &owed).unwrap();
        assert_eq!(
            splits,
            vec![
                Split {
                    installment_id: 1,
                    penalty: m(500),
                    interest: m(1_000),
                    principal: m(10_000)
                },
                Split {
                    installment_id: 2,
                    penalty: m(0),
                    interest: m(500),
                    principal: m(0)
                },
            ]
        );
        assert_eq!(allocate(m(22_501), &owed), Err(m(22_500)));
        // Exactly what is owed settles everything.
        let all = allocate(m(22_500), &owed).unwrap();
        assert_eq!(all.iter().map(Split::total).sum::<Money>(), m(22_500));
    }

    #[test]
    fn a_penalty_is_charged_only_after_the_days_of_grace() {
        let due = NaiveDate::from_ymd_opt(2026, 5, 1).unwrap();
        let day = |d| NaiveDate::from_ymd_opt(2026, 5, d).unwrap();
        assert_eq!(penalty_charged(due, None, day(8), m(500), 7), m(0));
        assert_eq!(penalty_charged(due, None, day(9), m(500), 7), m(500));
        assert_eq!(penalty_charged(due, Some(day(8)), day(20), m(500), 7), m(0));
        assert_eq!(penalty_charged(due, Some(day(10)), day(20), m(500), 7), m(500));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(5000))]

        #[test]
        fn an_allocation_sums_to_the_amount_and_never_exceeds_what_is_owed(
            dues in proptest::collection::vec((0i64..2_000, 0i64..5_000, 0i64..50_000), 1..12),
            per_mille in 0i64..=1_200,
        ) {
            let owed: Vec<Owed> = dues.iter().enumerate().map(|(i, (p, n, c))| Owed {
                installment_id: i as i64, penalty: m(*p), interest: m(*n), principal: m(*c) }).collect();
            let total: Money = owed.iter().map(Owed::total).sum();
            let amount = m(total.centimos() * per_mille / 1_000);
            match allocate(amount, &owed) {
                Ok(splits) => {
                    prop_assert_eq!(splits.iter().map(Split::total).sum::<Money>(), amount);
                    for s in &splits {
                        let o = owed.iter().find(|o| o.installment_id == s.installment_id).unwrap();
                        prop_assert!(s.penalty <= o.penalty && s.interest <= o.interest && s.principal <= o.principal);
                        // Within an installment: penalties, then interest, then principal.
                        if s.interest > Money::ZERO {
                            prop_assert_eq!(s.penalty, o.penalty);
                        }
                        if s.principal > Money::ZERO {
                            prop_assert_eq!((s.penalty, s.interest), (o.penalty, o.interest));
                        }
                    }
                    // Nothing goes to an installment while an older one still owes anything.
                    if let Some(last) = splits.last() {
                        for o in owed.iter().filter(|o| o.installment_id < last.installment_id) {
                            let paid = splits.iter().find(|s| s.installment_id == o.installment_id).map_or(Money::ZERO, Split::total);
                            prop_assert_eq!(paid, o.total());
                        }
                    }
                }
                Err(owed_total) => {
                    prop_assert!(amount > total);
                    prop_assert_eq!(owed_total, total);
                }
            }
        }
    }
}
