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
#[path = "schedule_tests.rs"]
mod tests;
