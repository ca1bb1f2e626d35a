//! Unit tests of `model.rs`: the scope rule a repayment checks on the rows it locked.

use super::*;

fn fund(organization_id: i64) -> Fund {
    Fund {
        id: 1,
        organization_id,
        name: "Fondo rotatorio".into(),
        rounding_unit: 10,
        penalty_amount: 0,
        penalty_after_days: 0,
        created_at: NaiveDateTime::default(),
    }
}

fn loan(member_id: i64) -> Loan {
    Loan {
        id: 1,
        fund_id: 1,
        member_id,
        principal: 50_000,
        interest_method: "flat".into(),
        rate_per_period: "0.02".into(),
        periods: 6,
        frequency: "monthly".into(),
        first_due_date: NaiveDate::default(),
        grace_periods: 0,
        purpose: None,
        status: "disbursed".into(),
        requested_by: 1,
        decided_by: Some(2),
        decided_at: None,
        disbursed_on: None,
        written_off_on: None,
        status_reason: None,
        created_at: NaiveDateTime::default(),
        updated_at: NaiveDateTime::default(),
        settled_on: None,
    }
}

#[test]
fn a_loan_is_in_scope_through_its_funds_organisation_or_its_borrower() {
    let (loan, fund) = (loan(7), fund(3));
    assert!(loan.in_scope(&fund, &Scope::All));
    assert!(loan.in_scope(&fund, &Scope::Organizations(vec![1, 3])));
    assert!(!loan.in_scope(&fund, &Scope::Organizations(vec![1, 2])));
    assert!(!loan.in_scope(&fund, &Scope::Organizations(vec![])));
    assert!(loan.in_scope(&fund, &Scope::Herself(7)));
    assert!(!loan.in_scope(&fund, &Scope::Herself(8)));
    assert!(!loan.in_scope(&fund, &Scope::Nothing));
}
