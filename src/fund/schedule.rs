//! A loan's repayment schedule, from its terms (pure: no database, no web).
//!
//! - Interest per period is computed to the céntimo, half-even.
//! - Installments are rounded to the fund's rounding unit (S/ 0.10 by default), half-up; the last
//!   installment absorbs the difference, so the schedule's totals are exact.
//! - **Flat**: total interest = principal × rate × periods, spread evenly over all periods (the
//!   odd céntimos go to the first installments); principal is spread over the periods after grace.
//! - **Declining balance**: equal installments A = P·r / (1 − (1+r)^−m) over the m periods after
//!   grace, interest on the balance still owed; grace periods pay interest only.
//! - Grace periods defer principal, never interest. A rate of zero is an interest-free loan.

use chrono::{Days, Months, NaiveDate};
use rust_decimal::prelude::*;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::input::closed_set;
use crate::money::Money;

closed_set!(InterestMethod, "interest_method_unknown", { Flat => "flat", Declining => "declining" });
closed_set!(Frequency, "frequency_unknown", { Weekly => "weekly", Fortnightly => "fortnightly", Monthly => "monthly" });

pub const MAX_PERIODS: u32 = 260;

#[derive(Debug, Clone, PartialEq)]
pub struct Terms {
    pub principal: Money,
    pub method: InterestMethod,
    /// Interest rate per period, e.g. 0.02 for 2 %.
    pub rate: Decimal,
    pub periods: u32,
    pub frequency: Frequency,
    pub first_due_date: NaiveDate,
    pub grace_periods: u32,
    pub rounding_unit: Money,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Line {
    pub number: u32,
    pub due_date: NaiveDate,
    pub principal: Money,
    pub interest: Money,
}

impl Line {
    pub fn total(&self) -> Money {
        self.principal + self.interest
    }
}

/// A rate per period as written: a decimal between 0 and 1 (100 %), at most 6 places.
pub fn parse_rate(raw: &str) -> Result<Decimal, &'static str> {
    let raw = raw.trim();
    if raw.is_empty() || !raw.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return Err("rate_format");
    }
    let rate = Decimal::from_str(raw).map_err(|_| "rate_format")?;
    if rate.scale() > 6 {
        return Err("rate_format");
    }
    if rate > Decimal::ONE {
        return Err("rate_range");
    }
    Ok(rate.normalize())
}

pub fn due_date(first: NaiveDate, frequency: Frequency, index: u32) -> Option<NaiveDate> {
    match frequency {
        Frequency::Weekly => first.checked_add_days(Days::new(7 * u64::from(index))),
        Frequency::Fortnightly => first.checked_add_days(Days::new(14 * u64::from(index))),
        // 31 January + 1 month is 28 (or 29) February: the month's last day.
        Frequency::Monthly => first.checked_add_months(Months::new(index)),
    }
}

fn centimos(money: Money) -> Decimal {
    Decimal::from(money.centimos())
}

fn to_money(value: Decimal) -> Money {
    Money::from_centimos(value.to_i64().unwrap_or(i64::MAX))
}

/// To the céntimo, half to even.
fn round_centimo(value: Decimal) -> Decimal {
    value.round_dp_with_strategy(0, RoundingStrategy::MidpointNearestEven)
}

/// To the rounding unit, half up.
fn round_unit(value: Decimal, unit: Money) -> Decimal {
    let unit = centimos(unit);
    (value / unit).round_dp_with_strategy(0, RoundingStrategy::MidpointAwayFromZero) * unit
}

/// The schedule of a loan. Terms are assumed valid (see `fund::input`): periods ≥ 1,
/// grace < periods, 0 ≤ rate ≤ 1, a positive rounding unit.
pub fn schedule(terms: &Terms) -> Vec<Line> {
    let n = terms.periods.max(1);
    let grace = terms.grace_periods.min(n - 1);
    let amortizing = Decimal::from(n - grace);
    let principal = centimos(terms.principal);
    let rate = terms.rate;
    let mut lines = Vec::with_capacity(n as usize);
    let mut remaining = principal;
    let flat_interest = match terms.method {
        InterestMethod::Flat => {
            let total = round_centimo(principal * rate * Decimal::from(n));
            let each = (total / Decimal::from(n)).floor();
            let odd = (total - each * Decimal::from(n)).to_u32().unwrap_or(0);
            Some((each, odd))
        }
        InterestMethod::Declining => None,
    };
    let annuity = if rate.is_zero() {
        principal / amortizing
    } else {
        let factor = Decimal::ONE - Decimal::ONE / (Decimal::ONE + rate).powi(i64::from(n - grace));
        principal * rate / factor
    };
    for k in 1..=n {
        let interest = match flat_interest {
            Some((each, odd)) => each + if k <= odd { Decimal::ONE } else { Decimal::ZERO },
            None => round_centimo(remaining * rate),
        };
        let line_principal = if k <= grace {
            Decimal::ZERO
        } else if k == n {
            remaining
        } else {
            let target = match terms.method {
                InterestMethod::Flat => round_unit(principal / amortizing + interest, terms.rounding_unit),
                InterestMethod::Declining => round_unit(annuity, terms.rounding_unit),
            };
            (target - interest).max(Decimal::ZERO).min(remaining)
        };
        remaining -= line_principal;
        lines.push(Line {
            number: k,
            due_date: due_date(terms.first_due_date, terms.frequency, k - 1).unwrap_or(NaiveDate::MAX),
            principal: to_money(line_principal),
            interest: to_money(interest),
        });
    }
    lines
}

/// The exact annuity installment of a declining-balance loan, for checks and explanations.
pub fn annuity_installment(terms: &Terms) -> Decimal {
    let m = terms.periods - terms.grace_periods.min(terms.periods - 1);
    let principal = centimos(terms.principal);
    if terms.rate.is_zero() {
        return principal / Decimal::from(m);
    }
    principal * terms.rate / (Decimal::ONE - Decimal::ONE / (Decimal::ONE + terms.rate).powi(i64::from(m)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn terms(principal: i64, method: InterestMethod, rate: &str, periods: u32, grace: u32) -> Terms {
        Terms {
            principal: Money::from_centimos(principal),
            method,
            rate: parse_rate(rate).unwrap(),
            periods,
            frequency: Frequency::Monthly,
            first_due_date: NaiveDate::from_ymd_opt(2026, 1, 31).unwrap(),
            grace_periods: grace,
            rounding_unit: Money::from_centimos(10),
        }
    }

    fn totals(lines: &[Line]) -> (i64, i64) {
        (
            lines.iter().map(|l| l.principal.centimos()).sum(),
            lines.iter().map(|l| l.interest.centimos()).sum(),
        )
    }

    #[test]
    fn a_flat_loan_of_500_at_2_percent_for_5_months() {
        let lines = schedule(&terms(50_000, InterestMethod::Flat, "0.02", 5, 0));
        // Interest 500 × 0.02 × 5 = 50.00, 10.00 a month; principal 100.00 a month.
        assert!(lines.iter().all(|l| l.total() == Money::from_centimos(11_000)));
        assert_eq!(totals(&lines), (50_000, 5_000));
        let dates: Vec<String> = lines.iter().map(|l| l.due_date.to_string()).collect();
        assert_eq!(
            dates,
            ["2026-01-31", "2026-02-28", "2026-03-31", "2026-04-30", "2026-05-31"]
        );
    }

    #[test]
    fn an_interest_free_loan_rounds_to_ten_centimos_and_the_last_absorbs() {
        let lines = schedule(&terms(10_000, InterestMethod::Declining, "0", 3, 0));
        let amounts: Vec<i64> = lines.iter().map(|l| l.total().centimos()).collect();
        assert_eq!(amounts, vec![3_330, 3_330, 3_340]);
    }

    #[test]
    fn a_declining_loan_pays_interest_on_the_balance() {
        let t = terms(100_000, InterestMethod::Declining, "0.03", 4, 0);
        let lines = schedule(&t);
        // A = 1000 × 0.03 / (1 − 1.03^−4) = 269.027…, rounded to 269.00.
        assert_eq!(lines[0].interest, Money::from_centimos(3_000));
        assert_eq!(lines[0].total(), Money::from_centimos(26_900));
        assert_eq!(lines[1].interest, Money::from_centimos(2_283)); // 3% of 760.90 = 22.827
        assert_eq!(totals(&lines).0, 100_000);
    }

    #[test]
    fn grace_periods_defer_principal_but_not_interest() {
        let lines = schedule(&terms(60_000, InterestMethod::Declining, "0.02", 6, 2));
        assert_eq!(lines[0].principal, Money::ZERO);
        assert_eq!(lines[1].principal, Money::ZERO);
        assert_eq!(lines[0].interest, Money::from_centimos(1_200));
        assert!(lines[2..].iter().all(|l| l.principal > Money::ZERO));
        assert_eq!(totals(&lines).0, 60_000);
    }

    #[test]
    fn rates_are_plain_decimals_between_zero_and_one() {
        assert_eq!(parse_rate("0.02"), Ok(Decimal::new(2, 2)));
        assert_eq!(parse_rate("0"), Ok(Decimal::ZERO));
        for bad in ["-0.1", "1e-2", "2%", "", "0.1234567", "abc"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_rate("1.5"), Err("rate_range"));
    }

    fn any_terms() -> impl Strategy<Value = Terms> {
        (
            10_000i64..=2_000_000,
            prop_oneof![Just(InterestMethod::Flat), Just(InterestMethod::Declining)],
            0u32..=1000,
            1u32..=36,
            0u32..=3,
            prop_oneof![
                Just(Frequency::Weekly),
                Just(Frequency::Fortnightly),
                Just(Frequency::Monthly)
            ],
        )
            .prop_map(|(principal, method, rate_bp, periods, grace, frequency)| Terms {
                principal: Money::from_centimos(principal),
                method,
                rate: Decimal::new(i64::from(rate_bp), 4),
                periods,
                frequency,
                first_due_date: NaiveDate::from_ymd_opt(2026, 3, 15).unwrap(),
                grace_periods: grace.min(periods - 1),
                rounding_unit: Money::from_centimos(10),
            })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]

        #[test]
        fn principal_is_paid_back_exactly_and_no_line_is_negative(t in any_terms()) {
            let lines = schedule(&t);
            prop_assert_eq!(lines.len() as u32, t.periods);
            prop_assert_eq!(totals(&lines).0, t.principal.centimos());
            prop_assert!(lines.iter().all(|l| l.principal >= Money::ZERO && l.interest >= Money::ZERO));
            prop_assert!(lines.windows(2).all(|w| w[0].due_date < w[1].due_date));
        }

        #[test]
        fn installments_in_the_rounding_unit_except_the_last_and_grace(t in any_terms()) {
            let lines = schedule(&t);
            for line in &lines[t.grace_periods as usize..lines.len() - 1] {
                prop_assert_eq!(line.total().centimos() % 10, 0, "{:?}", line);
            }
        }

        #[test]
        fn flat_interest_is_principal_times_rate_times_periods(t in any_terms()) {
            let t = Terms { method: InterestMethod::Flat, ..t };
            let expected = round_centimo(centimos(t.principal) * t.rate * Decimal::from(t.periods));
            prop_assert_eq!(Decimal::from(totals(&schedule(&t)).1), expected);
        }

        #[test]
        fn declining_installments_are_within_one_unit_of_the_annuity(t in any_terms()) {
            let t = Terms { method: InterestMethod::Declining, ..t };
            let lines = schedule(&t);
            let annuity = annuity_installment(&t);
            for line in &lines[t.grace_periods as usize..lines.len() - 1] {
                let gap = (Decimal::from(line.total().centimos()) - annuity).abs();
                prop_assert!(gap <= Decimal::from(10), "{:?} vs {}", line, annuity);
            }
        }
    }
}
