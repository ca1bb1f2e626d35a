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

/// Up to the rounding unit.
fn ceil_unit(value: Decimal, unit: Money) -> Decimal {
    let unit = centimos(unit);
    (value / unit).ceil() * unit
}

/// How a schedule sets its installments.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Installments {
    /// One installment, the exact one rounded, for every period after grace; the last absorbs.
    Equal,
    /// Each installment set again from what is left over the periods left, rounded.
    FromWhatIsLeft,
}

/// The schedule of a loan. Terms are assumed valid (see `fund::input` and `check_terms`):
/// periods ≥ 1, grace < periods, 0 ≤ rate ≤ 1, a positive rounding unit.
///
/// Installments are equal — the exact installment rounded half-up to the fund's unit — and the
/// last absorbs the difference. When that would leave the last installment out of proportion
/// (under half or over one and a half of the others, or nothing: hundreds of small
/// installments, or a rate that compounds each céntimo of rounding), each installment is instead
/// set from what is left over the periods left, so they all stay close. An installment never
/// falls below the period's interest and a céntimo of principal.
pub fn schedule(terms: &Terms) -> Vec<Line> {
    let equal = schedule_with(terms, Installments::Equal);
    if last_in_proportion(terms, &equal) {
        equal
    } else {
        schedule_with(terms, Installments::FromWhatIsLeft)
    }
}

/// The grace periods that apply: at least one installment always repays principal.
fn grace(terms: &Terms) -> u32 {
    terms.grace_periods.min(terms.periods.max(1) - 1)
}

/// The last installment is at least half and at most one and a half of the regular one, and
/// repays some principal.
fn last_in_proportion(terms: &Terms, lines: &[Line]) -> bool {
    match lines.get(grace(terms) as usize..) {
        Some([regular, .., last]) => {
            let (regular, last_total) = (regular.total().centimos(), last.total().centimos());
            last.principal > Money::ZERO && 2 * last_total >= regular && 2 * last_total <= 3 * regular
        }
        _ => true,
    }
}

/// Terms a schedule can be made of: each installment after grace must repay at least one
/// rounding unit of principal, or rounding would decide more than the terms do.
pub fn check_terms(terms: &Terms) -> Result<(), (&'static str, &'static str)> {
    let amortizing = i64::from(terms.periods.max(1) - grace(terms));
    if terms.principal.centimos() < amortizing * terms.rounding_unit.centimos() {
        return Err(("periods", "periods_too_many"));
    }
    Ok(())
}

fn schedule_with(terms: &Terms, installments: Installments) -> Vec<Line> {
    let (n, grace) = (terms.periods.max(1), grace(terms));
    let principal = centimos(terms.principal);
    let rate = terms.rate;
    let unit = terms.rounding_unit;
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
    let annuity_of_principal = annuity(principal, rate, n - grace);
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
            let exact = match (installments, terms.method) {
                // One installment for all: the odd céntimos of interest move principal, not it.
                (Installments::Equal, InterestMethod::Flat) => {
                    let (each, odd) = flat_interest.unwrap_or_default();
                    principal / Decimal::from(n - grace) + each + Decimal::from(odd) / Decimal::from(n)
                }
                (Installments::Equal, InterestMethod::Declining) => annuity_of_principal,
                (Installments::FromWhatIsLeft, InterestMethod::Flat) => remaining / Decimal::from(n - k + 1) + interest,
                (Installments::FromWhatIsLeft, InterestMethod::Declining) => annuity(remaining, rate, n - k + 1),
            };
            let target = round_unit(exact, unit).max(ceil_unit(interest + Decimal::ONE, unit));
            (target - interest).min(remaining)
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
    let m = terms.periods.max(1) - grace(terms);
    annuity(centimos(terms.principal), terms.rate, m)
}

/// A = P·r / (1 − (1+r)^−m), in céntimos. When (1+r)^m is beyond what a decimal holds (a high
/// rate over many periods), (1+r)^−m is below its precision anyway: A = P·r.
fn annuity(principal: Decimal, rate: Decimal, m: u32) -> Decimal {
    if rate.is_zero() {
        return principal / Decimal::from(m);
    }
    let discount = (Decimal::ONE + rate)
        .checked_powi(i64::from(m))
        .map_or(Decimal::ZERO, |growth| Decimal::ONE / growth);
    principal * rate / (Decimal::ONE - discount)
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
    fn grace_as_long_as_the_loan_still_leaves_one_installment_of_principal() {
        let lines = schedule(&terms(60_000, InterestMethod::Flat, "0", 3, 3));
        let principal: Vec<i64> = lines.iter().map(|l| l.principal.centimos()).collect();
        assert_eq!(principal, [0, 0, 60_000]);
        assert_eq!(check_terms(&terms(60_000, InterestMethod::Flat, "0", 3, 5)), Ok(()));
        let t = terms(60_000, InterestMethod::Declining, "0.02", 3, 3);
        assert_eq!(
            round_centimo(annuity_installment(&t)),
            Decimal::from(61_200),
            "one period: principal and its interest"
        );
        assert!(last_in_proportion(&t, &schedule(&t)));
    }

    #[test]
    fn weekly_and_fortnightly_installments_fall_every_seven_and_fourteen_days() {
        let first = NaiveDate::from_ymd_opt(2026, 12, 28).unwrap();
        let days = |frequency| -> Vec<String> {
            (0..4)
                .map(|i| due_date(first, frequency, i).unwrap().to_string())
                .collect()
        };
        assert_eq!(
            days(Frequency::Weekly),
            ["2026-12-28", "2027-01-04", "2027-01-11", "2027-01-18"]
        );
        assert_eq!(
            days(Frequency::Fortnightly),
            ["2026-12-28", "2027-01-11", "2027-01-25", "2027-02-08"]
        );
        assert_eq!(
            days(Frequency::Monthly),
            ["2026-12-28", "2027-01-28", "2027-02-28", "2027-03-28"]
        );
    }

    #[test]
    fn hundreds_of_small_installments_are_set_from_what_is_left() {
        // S/ 300 over 260 weeks: 1.1538 rounds to 1.20, and equal installments would repay the
        // loan by week 250. Set from what is left, they stay between 1.10 and 1.20.
        let t = Terms {
            frequency: Frequency::Weekly,
            ..terms(30_000, InterestMethod::Flat, "0", 260, 0)
        };
        let lines = schedule(&t);
        assert_eq!(totals(&lines).0, 30_000);
        assert!(
            lines.iter().all(|l| (110..=120).contains(&l.total().centimos())),
            "{lines:?}"
        );
        assert!(lines.last().unwrap().principal > Money::ZERO);
    }

    #[test]
    fn terms_where_rounding_would_decide_more_than_the_terms_are_refused() {
        // S/ 10 in 260 installments is under S/ 0.10 of principal each.
        assert_eq!(
            check_terms(&terms(1_000, InterestMethod::Flat, "0", 260, 0)),
            Err(("periods", "periods_too_many"))
        );
        assert_eq!(check_terms(&terms(2_600, InterestMethod::Flat, "0", 260, 0)), Ok(()));
        // Grace periods repay no principal, so they do not count.
        assert_eq!(check_terms(&terms(2_500, InterestMethod::Flat, "0", 260, 10)), Ok(()));
        assert!(check_terms(&terms(2_499, InterestMethod::Flat, "0", 260, 10)).is_err());
    }

    #[test]
    fn a_rate_of_one_over_260_periods_does_not_overflow() {
        let lines = schedule(&terms(100_000, InterestMethod::Declining, "1", 260, 0));
        assert_eq!(totals(&lines).0, 100_000);
    }

    #[test]
    fn rates_are_plain_decimals_between_zero_and_one() {
        assert_eq!(parse_rate("0.02"), Ok(Decimal::new(2, 2)));
        assert_eq!(parse_rate("0"), Ok(Decimal::ZERO));
        for bad in ["-0.1", "1e-2", "2%", "", "0.1234567", "abc"] {
            assert!(parse_rate(bad).is_err(), "{bad}");
        }
        assert_eq!(parse_rate("1.5"), Err("rate_range"));
        assert_eq!(
            parse_rate("1"),
            Ok(Decimal::ONE),
            "100 % a period is the most, and allowed"
        );
    }

    /// Any terms the API accepts: S/ 10 to S/ 20,000, any rate up to 100 % (6 places), up to
    /// 260 periods, any grace, every rounding unit a fund may choose.
    fn any_terms() -> impl Strategy<Value = Terms> {
        (
            (1_000i64..=2_000_000, 0u32..=1_000_000, 1u32..=MAX_PERIODS, 0u32..=12),
            prop_oneof![Just(InterestMethod::Flat), Just(InterestMethod::Declining)],
            prop_oneof![
                Just(Frequency::Weekly),
                Just(Frequency::Fortnightly),
                Just(Frequency::Monthly)
            ],
            prop_oneof![Just(1i64), Just(5), Just(10), Just(20), Just(50), Just(100)],
        )
            .prop_map(
                |((principal, rate_millionths, periods, grace), method, frequency, unit)| Terms {
                    principal: Money::from_centimos(principal),
                    method,
                    rate: Decimal::new(i64::from(rate_millionths), 6),
                    periods,
                    frequency,
                    first_due_date: NaiveDate::from_ymd_opt(2026, 3, 15).unwrap(),
                    grace_periods: grace.min(periods - 1),
                    rounding_unit: Money::from_centimos(unit),
                },
            )
    }

    /// Terms a fund really lends on: S/ 500 to S/ 20,000 at up to 5 % a period, for up to a
    /// year of weeks, in the default rounding unit.
    fn ordinary_terms() -> impl Strategy<Value = Terms> {
        (any_terms(), 50_000i64..=2_000_000, 0u32..=50_000, 1u32..=52).prop_map(|(t, principal, rate, periods)| Terms {
            principal: Money::from_centimos(principal),
            rate: Decimal::new(i64::from(rate), 6),
            periods,
            grace_periods: t.grace_periods.min(periods - 1),
            rounding_unit: Money::from_centimos(10),
            ..t
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
            prop_assume!(check_terms(&t).is_ok());
            let lines = schedule(&t);
            let unit = t.rounding_unit.centimos();
            for line in &lines[t.grace_periods as usize..lines.len() - 1] {
                prop_assert_eq!(line.total().centimos() % unit, 0, "{:?}", line);
            }
            // Grace installments are interest only, to the céntimo: never rounded up.
            for line in &lines[..t.grace_periods as usize] {
                prop_assert_eq!(line.principal, Money::ZERO);
                let exact = match t.method {
                    InterestMethod::Declining => round_centimo(centimos(t.principal) * t.rate),
                    InterestMethod::Flat => centimos(line.interest),
                };
                prop_assert_eq!(centimos(line.interest), exact);
            }
        }

        #[test]
        fn the_last_installment_is_in_proportion(t in any_terms()) {
            prop_assume!(check_terms(&t).is_ok());
            let lines = schedule(&t);
            let amortizing = &lines[t.grace_periods as usize..];
            if let [regular, .., before, last] = amortizing {
                prop_assert!(last.principal > Money::ZERO, "repaid before the last: {:?}", last);
                // Equal installments: the last within half of the regular one. Set from what is
                // left: within two units (and what the interest moved) of the one before.
                let (r, b, l) = (regular.total().centimos(), before.total().centimos(), last.total().centimos());
                let in_proportion = 2 * l >= r && 2 * l <= 3 * r;
                let close = (l - b).abs()
                    <= 2 * t.rounding_unit.centimos() + 1 + (last.interest.centimos() - before.interest.centimos()).abs();
                prop_assert!(in_proportion || close, "{:?} … {:?} then {:?}", regular, before, last);
            }
        }

        #[test]
        fn ordinary_loans_have_equal_installments_but_the_last(t in ordinary_terms()) {
            let lines = schedule(&t);
            let amortizing = &lines[t.grace_periods as usize..lines.len() - 1];
            if let Some(first) = amortizing.first() {
                for line in amortizing {
                    prop_assert_eq!(line.total(), first.total(), "{:?}", lines);
                }
            }
        }

        #[test]
        fn flat_interest_is_principal_times_rate_times_periods(t in any_terms()) {
            let t = Terms { method: InterestMethod::Flat, ..t };
            let expected = round_centimo(centimos(t.principal) * t.rate * Decimal::from(t.periods));
            prop_assert_eq!(Decimal::from(totals(&schedule(&t)).1), expected);
        }
    }
}
