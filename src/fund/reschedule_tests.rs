use chrono::{Days, NaiveDate};
use proptest::prelude::*;
use rust_decimal::Decimal;

use super::*;
use crate::fund::allocation::allocate;
use crate::fund::payoff::payoff;
use crate::fund::schedule::{check_terms, Frequency, InterestMethod};
use crate::fund::standing::standing;

fn fund(penalty: i64, after_days: i64) -> Fund {
    Fund {
        id: 1,
        organization_id: 1,
        name: "Fondo".into(),
        rounding_unit: 10,
        penalty_amount: penalty,
        penalty_after_days: after_days,
        created_at: chrono::NaiveDateTime::default(),
    }
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

/// The installments of a plan, as the database would hold them.
fn rows(lines: &[PlanLine], first_id: i64, starts_on: Option<NaiveDate>) -> Vec<Installment> {
    lines
        .iter()
        .enumerate()
        .map(|(k, l)| Installment {
            id: first_id + k as i64,
            loan_id: 1,
            number: l.number,
            due_date: l.due_date,
            principal: l.principal.centimos(),
            interest: l.interest.centimos(),
            principal_paid: 0,
            interest_paid: 0,
            penalty_paid: 0,
            paid_off_on: None,
            starts_on,
            superseded_on: None,
            carried_interest: l.carried_interest.centimos(),
            carried_penalty: l.carried_penalty.centimos(),
        })
        .collect()
}

fn nothing_carried(principal: i64) -> Carried {
    Carried {
        principal: Money::from_centimos(principal),
        interest: Money::ZERO,
        penalties: Money::ZERO,
        superseded: vec![],
    }
}

/// Pays `amount` on `date` as a repayment does: allocated over what is owed, oldest first.
fn pay(installments: &mut [Installment], fund: &Fund, amount: Money, date: NaiveDate) {
    let owed = standing(installments, fund, date).owed;
    for split in allocate(amount, &owed).unwrap() {
        let i = installments.iter_mut().find(|i| i.id == split.installment_id).unwrap();
        i.penalty_paid += split.penalty.centimos();
        i.interest_paid += split.interest.centimos();
        i.principal_paid += split.principal.centimos();
        if i.is_paid() && i.paid_off_on.is_none() {
            i.paid_off_on = Some(date);
        }
    }
}

/// The plan after a reschedule: the installments it keeps, then the new ones.
fn after(before: &[Installment], carried: &Carried, lines: &[PlanLine], date: NaiveDate) -> Vec<Installment> {
    let mut plan: Vec<Installment> = before
        .iter()
        .filter(|i| !carried.superseded.contains(&i.id))
        .cloned()
        .collect();
    plan.extend(rows(lines, 1_000, Some(date)));
    plan
}

fn terms(rate: &str, periods: u32, first_due: NaiveDate, grace: u32, method: InterestMethod) -> Terms {
    Terms {
        principal: Money::ZERO,
        method,
        rate: rate.parse::<Decimal>().unwrap(),
        periods,
        frequency: Frequency::Monthly,
        first_due_date: first_due,
        grace_periods: grace,
        rounding_unit: Money::from_centimos(10),
    }
}

#[test]
fn a_late_loan_carries_its_principal_interest_and_penalty_into_the_new_plan() {
    let fund = fund(500, 0);
    let original = terms("0.02", 4, day("2026-07-30"), 0, InterestMethod::Declining);
    let mut plan = rows(&new_plan(&nothing_carried(40_000), &original, 1), 1, None);
    // July paid on time; August and September not paid by the reschedule on 15 October.
    let july = plan[0].principal + plan[0].interest;
    pay(&mut plan, &fund, Money::from_centimos(july), day("2026-07-30"));
    let date = day("2026-10-15");
    let carried = carry(&plan, &fund, date);
    assert_eq!(carried.superseded, vec![2, 3, 4]);
    assert_eq!(
        carried.principal.centimos(),
        plan[1..].iter().map(|i| i.principal).sum::<i64>()
    );
    assert_eq!(
        carried.interest.centimos(),
        plan[1].interest + plan[2].interest,
        "August's and September's; October's is not due yet"
    );
    assert_eq!(carried.penalties, Money::from_centimos(1_000), "two late installments");
    let lines = new_plan(
        &carried,
        &terms("0.01", 6, day("2026-11-30"), 1, InterestMethod::Declining),
        5,
    );
    assert_eq!(lines.len(), 6);
    assert_eq!(lines[0].number, 5);
    assert_eq!(lines[0].principal, Money::ZERO, "a grace period");
    assert_eq!(lines[0].carried_interest, carried.interest);
    assert_eq!(lines[0].carried_penalty, carried.penalties);
    assert_eq!(lines.iter().map(|l| l.principal).sum::<Money>(), carried.principal);
    // Paying off on the day costs the same before and after; the carried interest is not waived.
    let new = after(&plan, &carried, &lines, date);
    assert_eq!(
        payoff(&new, &fund, InterestMethod::Declining, date).total,
        payoff(&plan, &fund, InterestMethod::Declining, date).total
    );
}

prop_compose! {
    fn any_case()(
        principal in 10_000i64..2_000_000,
        rate in 0u32..80,
        periods in 2u32..24,
        method in prop_oneof![Just(InterestMethod::Flat), Just(InterestMethod::Declining)],
        payments in proptest::collection::vec((1u64..70, 0i64..=1_000), 0..8),
        gap in 0u64..120,
        new_rate in 0u32..80,
        new_periods in 1u32..36,
        new_grace in 0u32..3,
        first_after in 1u64..60,
        penalty in 0i64..2_000,
        after_days in 0i64..10,
    ) -> (i64, String, u32, InterestMethod, Vec<(u64, i64)>, u64, String, u32, u32, u64, i64, i64) {
        (principal, format!("0.{rate:03}"), periods, method, payments, gap,
         format!("0.{new_rate:03}"), new_periods, new_grace.min(new_periods - 1), first_after, penalty, after_days)
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(3000))]

    #[test]
    fn what_is_owed_on_the_date_is_carried_exactly(
        (principal, rate, periods, method, payments, gap, new_rate, new_periods, new_grace, first_after, penalty, after_days)
            in any_case()
    ) {
        let fund = fund(penalty, after_days);
        let disbursed = day("2026-01-10");
        let original = terms(&rate, periods, day("2026-02-10"), 0, method);
        let mut plan = rows(&new_plan(&nothing_carried(principal), &original, 1), 1, None);
        let mut date = disbursed;
        for (days, per_mille) in payments {
            date = date + Days::new(days);
            let owed = standing(&plan, &fund, date).total();
            pay(&mut plan, &fund, Money::from_centimos(owed.centimos() * per_mille / 1_000), date);
        }
        let date = date + Days::new(gap);
        let carried = carry(&plan, &fund, date);
        let before = standing(&plan, &fund, date);
        prop_assert_eq!(carried.principal, before.principal);

        let new_terms = terms(&new_rate, new_periods, date + Days::new(first_after), new_grace, method);
        prop_assume!(check_terms(&Terms { principal: carried.principal, ..new_terms.clone() }).is_ok());
        let lines = new_plan(&carried, &new_terms, 100);
        // No céntimo of principal created or lost; carried amounts only on the first installment.
        prop_assert_eq!(lines.iter().map(|l| l.principal).sum::<Money>(), carried.principal);
        prop_assert!(lines.iter().all(|l| l.due_date > date));
        prop_assert_eq!(lines[0].carried_interest + lines[0].carried_penalty, carried.interest + carried.penalties);
        prop_assert!(lines[1..].iter().all(|l| l.carried_interest.is_zero() && l.carried_penalty.is_zero()));

        // What settles the loan on the date (principal, interest due, penalties) is the same after.
        let new = after(&plan, &carried, &lines, date);
        let settle = |p: &[Installment]| payoff(p, &fund, InterestMethod::Declining, date);
        prop_assert_eq!(settle(&new).total, settle(&plan).total);
        let now = standing(&new, &fund, date);
        prop_assert_eq!(now.principal, before.principal);
        prop_assert_eq!(now.penalties, before.penalties);
        prop_assert_eq!(now.days_past_due, 0, "the new plan starts current");

        // Rescheduling again on the same day carries the very same amounts.
        let again = carry(&new, &fund, date);
        prop_assert_eq!((again.principal, again.interest, again.penalties),
                        (carried.principal, carried.interest, carried.penalties));
    }
}
