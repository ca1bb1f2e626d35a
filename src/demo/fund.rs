//! The Pallaqueras' revolving fund in the demo: contributions and loans in every state, some in
//! arrears, with their repayments, a reversal and a write-off.

use diesel::prelude::*;

use crate::auth::policy::CurrentUser;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::fund::input::{ContributionInput, FundInput, LoanRequest, RepaymentInput, RescheduleInput, Source};
use crate::fund::schedule::{Frequency, InterestMethod};
use crate::fund::service::{self as fund_service, Decision};
use crate::money::Money;
use chrono::Duration;

pub(super) fn centimos(c: i64) -> Money {
    Money::from_centimos(c)
}

/// The Pallaqueras' revolving fund: capital from donors and members, and loans in every state,
/// some repaid, some on time, some in arrears, one written off.
pub(super) fn demo_fund(
    conn: &mut DbConn,
    admin: &CurrentUser,
    coordinator: &CurrentUser,
    organization_id: i64,
) -> AppResult<()> {
    let today = crate::clock::today_in_lima();
    let days = |n: i64| today - Duration::days(n);
    let fund = fund_service::create_fund(
        conn,
        admin,
        FundInput {
            organization_id,
            name: "Fondo rotatorio de las Pallaqueras".into(),
            rounding_unit: centimos(10),
            penalty_amount: centimos(200),
            penalty_after_days: 7,
        },
    )?;
    let contribution = |source, member_id, amount, date, note: &str| ContributionInput {
        source,
        member_id,
        amount: centimos(amount),
        date,
        note: Some(note.to_string()),
    };
    fund_service::contribute(
        conn,
        coordinator,
        fund.id,
        contribution(Source::Donor, None, 230_000, days(900), "ARM / Ensemble"),
    )?;
    fund_service::contribute(
        conn,
        coordinator,
        fund.id,
        contribution(Source::Donor, None, 57_500, days(360), "ARM / Ensemble"),
    )?;
    let borrowers: Vec<i64> = {
        use crate::db::schema::member_organizations as mo;
        mo::table
            .filter(mo::organization_id.eq(organization_id))
            .select(mo::member_id)
            .order(mo::member_id)
            .load(conn)?
    };
    for member in borrowers.iter().take(5) {
        fund_service::contribute(
            conn,
            coordinator,
            fund.id,
            contribution(Source::Member, Some(*member), 1_000, days(300), "aporte"),
        )?;
    }
    // (borrower, principal, periods, disbursed days ago, installments paid on time, final state)
    let plan: [(usize, i64, u32, i64, usize, &str); 12] = [
        (0, 30_000, 5, 420, 5, "repaid"),
        (1, 25_000, 4, 380, 4, "repaid"),
        (2, 40_000, 6, 330, 6, "repaid"),
        (3, 30_000, 6, 65, 2, "disbursed"),
        (4, 20_000, 4, 40, 1, "disbursed"),
        (5, 35_000, 6, 95, 3, "disbursed"),
        (6, 15_000, 3, 20, 0, "disbursed"),
        (7, 25_000, 6, 150, 1, "disbursed"),
        (8, 30_000, 5, 200, 1, "disbursed"),
        (9, 20_000, 4, 400, 1, "written_off"),
        (10, 15_000, 3, 0, 0, "approved"),
        (11, 20_000, 4, 0, 0, "requested"),
    ];
    let purposes = ["venta de comida", "ropa", "crianza de animales", "tejidos", "artesanía"];
    for (i, (who, principal, periods, ago, paid, state)) in plan.into_iter().enumerate() {
        let Some(member_id) = borrowers.get(who).copied() else {
            continue;
        };
        let disbursed_on = days(ago.max(1));
        let request = LoanRequest {
            fund_id: fund.id,
            member_id,
            principal: centimos(principal),
            method: InterestMethod::Flat,
            rate: rust_decimal::Decimal::new(2, 2),
            periods,
            frequency: Frequency::Monthly,
            first_due_date: disbursed_on + Duration::days(30),
            grace_periods: 0,
            purpose: Some(purposes[i % purposes.len()].to_string()),
        };
        let loan = fund_service::request_loan(conn, coordinator, request, today)?;
        if state == "requested" {
            continue;
        }
        fund_service::decide(conn, admin, loan.id, Decision::Approve, today)?;
        if state == "approved" {
            continue;
        }
        fund_service::disburse(conn, coordinator, loan.id, disbursed_on, today)?;
        for line in loan.schedule.iter().take(paid) {
            let due = chrono::NaiveDate::parse_from_str(&line.due_date, "%Y-%m-%d")
                .map_err(|e| AppError::internal(e.to_string()))?;
            let repayment = RepaymentInput {
                amount: line.total,
                date: due.min(today),
                receipt_number: Some(format!("R-{}-{}", loan.id, line.number)),
            };
            crate::fund::repayments::repay(conn, coordinator, loan.id, repayment, today)?;
        }
        if state == "written_off" {
            crate::fund::write_off::write_off(conn, admin, loan.id, days(30), "se fue de La Rinconada".into(), today)?;
        }
        // Two late loans: one rescheduled (proposed, then approved by another), one proposal waiting.
        if who == 7 || who == 8 {
            let terms = RescheduleInput {
                date: days(5),
                rate: rust_decimal::Decimal::new(15, 3),
                periods: 8,
                frequency: Frequency::Monthly,
                first_due_date: today + Duration::days(25),
                grace_periods: 1,
                reason: "cerraron la cancha dos meses".into(),
            };
            let proposed = crate::fund::rescheduling::request(conn, coordinator, loan.id, terms)?;
            if who == 7 {
                crate::fund::rescheduling::decide(conn, admin, proposed.id, true)?;
            }
        }
    }
    // One last request and a rejection, so every state is on show.
    let rejected = LoanRequest {
        fund_id: fund.id,
        member_id: borrowers.get(12).copied().unwrap_or(borrowers[0]),
        principal: centimos(80_000),
        method: InterestMethod::Declining,
        rate: rust_decimal::Decimal::new(3, 2),
        periods: 12,
        frequency: Frequency::Monthly,
        first_due_date: today + Duration::days(30),
        grace_periods: 1,
        purpose: Some("compra de mercadería".into()),
    };
    let loan = fund_service::request_loan(conn, coordinator, rejected, today)?;
    fund_service::decide(conn, admin, loan.id, Decision::Reject, today)?;
    let cancelled = fund_service::request_loan(
        conn,
        coordinator,
        LoanRequest {
            principal: centimos(10_000),
            periods: 2,
            grace_periods: 0,
            ..loan_request_like(&loan, fund.id, today)
        },
        today,
    )?;
    fund_service::decide(conn, coordinator, cancelled.id, Decision::Cancel, today)?;
    Ok(())
}

pub(super) fn loan_request_like(
    loan: &crate::fund::view::LoanView,
    fund_id: i64,
    today: chrono::NaiveDate,
) -> LoanRequest {
    LoanRequest {
        fund_id,
        member_id: loan.member_id,
        principal: loan.principal,
        method: InterestMethod::Flat,
        rate: rust_decimal::Decimal::ZERO,
        periods: 1,
        frequency: Frequency::Weekly,
        first_due_date: today + Duration::days(7),
        grace_periods: 0,
        purpose: Some("emergencia".into()),
    }
}
