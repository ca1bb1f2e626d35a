//! Unit tests of `schedule.rs` (kept apart so the rules read in one screen).

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
