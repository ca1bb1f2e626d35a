//! The fund's requests, parsed field by field from JSON or forms (pure).

use chrono::NaiveDate;
use rust_decimal::Decimal;

use super::schedule::{parse_rate, Frequency, InterestMethod, Terms, MAX_PERIODS};
use crate::error::FieldError;
use crate::input::{closed_set, optional, parse_date, required, short_text, Errors, Given, Input};
use crate::money::Money;

closed_set!(Source, "source_unknown", { Donor => "donor", Member => "member" });

fn money(raw: &str) -> Result<Money, &'static str> {
    Money::parse_positive(raw)
}

fn id(input: &dyn Input, field: &str, e: &mut Errors) -> Option<i64> {
    match e.take(input.id(field)) {
        Some(Given::Text(v)) => v.parse().ok(),
        Some(_) => {
            e.push(field, "required");
            None
        }
        None => None,
    }
}

pub struct FundInput {
    pub organization_id: i64,
    pub name: String,
    pub rounding_unit: Money,
    pub penalty_amount: Money,
    pub penalty_after_days: i64,
}

impl FundInput {
    pub fn parse(input: &dyn Input) -> Result<FundInput, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(&[
            "organization_id",
            "name",
            "rounding_unit",
            "penalty_amount",
            "penalty_after_days",
        ]));
        let organization_id = id(input, "organization_id", &mut e);
        let name = e.take(required(input, "name", |raw| short_text(raw, 100)));
        let rounding_unit = match e.take(optional(input, "rounding_unit", money)) {
            Some(Some(Some(unit))) if unit > Money::from_centimos(1_000) => {
                e.push("rounding_unit", "rounding_unit_range");
                None
            }
            Some(Some(Some(unit))) => Some(unit),
            Some(_) => Some(Money::from_centimos(10)),
            None => None,
        };
        let penalty_amount = match e.take(optional(input, "penalty_amount", Money::parse)) {
            Some(Some(Some(amount))) => Some(amount),
            Some(_) => Some(Money::ZERO),
            None => None,
        };
        let penalty_after_days = match e.take(input.int("penalty_after_days")) {
            Some(Some(days)) if !(0..=365).contains(&days) => {
                e.push("penalty_after_days", "days_range");
                None
            }
            Some(days) => Some(days.unwrap_or(0)),
            None => None,
        };
        e.finish(|| {
            Some(FundInput {
                organization_id: organization_id?,
                name: name?,
                rounding_unit: rounding_unit?,
                penalty_amount: penalty_amount?,
                penalty_after_days: penalty_after_days?,
            })
        })
    }
}

pub struct ContributionInput {
    pub source: Source,
    pub member_id: Option<i64>,
    pub amount: Money,
    pub date: NaiveDate,
    pub note: Option<String>,
}

impl ContributionInput {
    pub fn parse(input: &dyn Input, today: NaiveDate) -> Result<ContributionInput, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(&["source", "member_id", "amount", "date", "note"]));
        let source = e.take(required(input, "source", Source::parse));
        let member_id = match e.take(input.id("member_id")) {
            Some(Given::Text(v)) => v.parse().ok(),
            _ => None,
        };
        if source == Some(Source::Member) && member_id.is_none() {
            e.push("member_id", "member_required");
        }
        let amount = e.take(required(input, "amount", money));
        let date = e.take(required(input, "date", |raw| not_future(raw, today)));
        let note = e
            .take(optional(input, "note", |raw| short_text(raw, 500)))
            .flatten()
            .flatten();
        e.finish(|| {
            Some(ContributionInput {
                source: source?,
                member_id,
                amount: amount?,
                date: date?,
                note,
            })
        })
    }
}

/// The first day money may have moved in a fund: loans made on paper before Pallay are entered
/// with their real dates, but none before the associations' funds began.
pub const FIRST_MONEY_DATE: NaiveDate = match NaiveDate::from_ymd_opt(2000, 1, 1) {
    Some(date) => date,
    None => panic!("2000-01-01 is a date"),
};

/// The latest a loan's first installment may fall due: two years from today.
pub const FIRST_DUE_WITHIN_DAYS: i64 = 2 * 366;

/// The date money moved (a contribution, a disbursement, a repayment): from 2000 to today.
pub fn not_future(raw: &str, today: NaiveDate) -> Result<NaiveDate, &'static str> {
    let date = parse_date(raw)?;
    if date > today {
        Err("date_in_future")
    } else if date < FIRST_MONEY_DATE {
        Err("date_range")
    } else {
        Ok(date)
    }
}

/// A loan's first due date: from 2000 to two years from today.
pub fn check_first_due_date(date: NaiveDate, today: NaiveDate) -> Result<(), &'static str> {
    if date < FIRST_MONEY_DATE || date > today + chrono::Duration::days(FIRST_DUE_WITHIN_DAYS) {
        Err("date_range")
    } else {
        Ok(())
    }
}

pub struct LoanRequest {
    pub fund_id: i64,
    pub member_id: i64,
    pub principal: Money,
    pub method: InterestMethod,
    pub rate: Decimal,
    pub periods: u32,
    pub frequency: Frequency,
    pub first_due_date: NaiveDate,
    pub grace_periods: u32,
    pub purpose: Option<String>,
}

impl LoanRequest {
    pub const FIELDS: &'static [&'static str] = &[
        "fund_id",
        "member_id",
        "principal",
        "interest_method",
        "rate_per_period",
        "periods",
        "frequency",
        "first_due_date",
        "purpose",
        "grace_periods",
    ];

    pub fn parse(input: &dyn Input) -> Result<LoanRequest, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(Self::FIELDS));
        let fund_id = id(input, "fund_id", &mut e);
        let member_id = id(input, "member_id", &mut e);
        let principal = e.take(required(input, "principal", money));
        let method = e.take(required(input, "interest_method", InterestMethod::parse));
        let rate = e.take(required(input, "rate_per_period", parse_rate));
        let periods = periods(input, &mut e);
        let frequency = e.take(required(input, "frequency", Frequency::parse));
        let first_due_date = e.take(required(input, "first_due_date", parse_date));
        let grace_periods = grace_periods(input, periods, &mut e);
        let purpose = e
            .take(optional(input, "purpose", |raw| short_text(raw, 200)))
            .flatten()
            .flatten();
        e.finish(|| {
            Some(LoanRequest {
                fund_id: fund_id?,
                member_id: member_id?,
                principal: principal?,
                method: method?,
                rate: rate?,
                periods: periods?,
                frequency: frequency?,
                first_due_date: first_due_date?,
                grace_periods: grace_periods?,
                purpose,
            })
        })
    }

    pub fn terms(&self, rounding_unit: Money) -> Terms {
        Terms {
            principal: self.principal,
            method: self.method,
            rate: self.rate,
            periods: self.periods,
            frequency: self.frequency,
            first_due_date: self.first_due_date,
            grace_periods: self.grace_periods,
            rounding_unit,
        }
    }
}

/// The number of installments: 1 to `MAX_PERIODS`.
fn periods(input: &dyn Input, e: &mut Errors) -> Option<u32> {
    match e.take(input.int("periods")) {
        Some(Some(n)) if (1..=i64::from(MAX_PERIODS)).contains(&n) => u32::try_from(n).ok(),
        Some(Some(_)) => {
            e.push("periods", "periods_range");
            None
        }
        Some(None) => {
            e.push("periods", "required");
            None
        }
        None => None,
    }
}

/// Grace periods (none when left out): fewer than the installments.
fn grace_periods(input: &dyn Input, periods: Option<u32>, e: &mut Errors) -> Option<u32> {
    match e.take(input.int("grace_periods")) {
        Some(Some(g)) if g < 0 || periods.is_some_and(|n| g >= i64::from(n)) => {
            e.push("grace_periods", "grace_range");
            None
        }
        Some(g) => u32::try_from(g.unwrap_or(0)).ok(),
        None => None,
    }
}

/// New terms for a disbursed loan from a date (a reschedule): the interest method stays the loan's.
pub struct RescheduleInput {
    pub date: NaiveDate,
    pub rate: Decimal,
    pub periods: u32,
    pub frequency: Frequency,
    pub first_due_date: NaiveDate,
    pub grace_periods: u32,
    pub reason: String,
}

impl RescheduleInput {
    pub const FIELDS: &'static [&'static str] = &[
        "date",
        "rate_per_period",
        "periods",
        "frequency",
        "first_due_date",
        "grace_periods",
        "reason",
    ];

    /// The date is not in the future; the first due date falls after it, within two years.
    pub fn parse(input: &dyn Input, today: NaiveDate) -> Result<RescheduleInput, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(Self::FIELDS));
        let date = e.take(required(input, "date", |raw| not_future(raw, today)));
        let rate = e.take(required(input, "rate_per_period", parse_rate));
        let periods = periods(input, &mut e);
        let frequency = e.take(required(input, "frequency", Frequency::parse));
        let first_due_date = e.take(required(input, "first_due_date", parse_date));
        if let (Some(first), Some(date)) = (first_due_date, date) {
            if first <= date {
                e.push("first_due_date", "first_due_after_reschedule");
            } else if let Err(code) = check_first_due_date(first, today) {
                e.push("first_due_date", code);
            }
        }
        let grace_periods = grace_periods(input, periods, &mut e);
        let reason = e.take(required(input, "reason", |raw| short_text(raw, 500)));
        e.finish(|| {
            Some(RescheduleInput {
                date: date?,
                rate: rate?,
                periods: periods?,
                frequency: frequency?,
                first_due_date: first_due_date?,
                grace_periods: grace_periods?,
                reason: reason?,
            })
        })
    }
}

/// A date-only action (disbursement): not in the future.
pub fn parse_dated(input: &dyn Input, today: NaiveDate) -> Result<NaiveDate, Vec<FieldError>> {
    let mut e = Errors::default();
    e.extend(input.unknown_fields(&["date"]));
    let date = e.take(required(input, "date", |raw| not_future(raw, today)));
    e.finish(|| date)
}

pub struct RepaymentInput {
    pub amount: Money,
    pub date: NaiveDate,
    pub receipt_number: Option<String>,
}

impl RepaymentInput {
    pub fn parse(input: &dyn Input, today: NaiveDate) -> Result<RepaymentInput, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(&["amount", "date", "receipt_number"]));
        let amount = e.take(required(input, "amount", money));
        let date = e.take(required(input, "date", |raw| not_future(raw, today)));
        let receipt_number = e
            .take(optional(input, "receipt_number", |raw| short_text(raw, 40)))
            .flatten()
            .flatten();
        e.finish(|| {
            Some(RepaymentInput {
                amount: amount?,
                date: date?,
                receipt_number,
            })
        })
    }
}

/// A reason (reversal), with a date when the action needs one (write-off).
pub fn parse_reason(
    input: &dyn Input,
    with_date: Option<NaiveDate>,
) -> Result<(String, Option<NaiveDate>), Vec<FieldError>> {
    let mut e = Errors::default();
    e.extend(input.unknown_fields(if with_date.is_some() {
        &["reason", "date"]
    } else {
        &["reason"]
    }));
    let reason = e.take(required(input, "reason", |raw| short_text(raw, 500)));
    let date = match with_date {
        Some(today) => e.take(required(input, "date", |raw| not_future(raw, today))).map(Some),
        None => Some(None),
    };
    e.finish(|| Some((reason?, date?)))
}
