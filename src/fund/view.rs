//! What the API and pages show of funds and loans, built from rows and the journal.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::allocation::Allocation;
use super::installment::Installment;
use super::journal::{balance_of, balances, Account};
use super::model::{Fund, Loan, LoanStatus, Repayment};
use super::payoff::{payoff, Payoff};
use super::rescheduling::{Reschedule, RescheduleStatus};
use super::schedule::InterestMethod;
use super::standing::{standing, Standing};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::money::Money;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct FundView {
    pub id: i64,
    pub organization_id: i64,
    pub name: String,
    pub rounding_unit: Money,
    pub penalty_amount: Money,
    pub penalty_after_days: i64,
    pub cash: Money,
    pub loans_outstanding: Money,
    pub capital: Money,
    pub capital_donor: Money,
    pub capital_member: Money,
    pub interest_income: Money,
    pub penalty_income: Money,
    pub loan_losses: Money,
}

/// A fund with its balances as of a date, all derived from the journal.
pub fn fund_view(conn: &mut DbConn, fund: &Fund, as_of: NaiveDate) -> AppResult<FundView> {
    let b = balances(conn, fund.id, as_of)?;
    let donor = balance_of(&b, Account::CapitalDonor);
    let member = balance_of(&b, Account::CapitalMember);
    Ok(FundView {
        id: fund.id,
        organization_id: fund.organization_id,
        name: fund.name.clone(),
        rounding_unit: fund.rounding_unit(),
        penalty_amount: fund.penalty_amount(),
        penalty_after_days: fund.penalty_after_days,
        cash: balance_of(&b, Account::Cash),
        loans_outstanding: balance_of(&b, Account::LoansReceivable),
        capital: donor + member,
        capital_donor: donor,
        capital_member: member,
        interest_income: balance_of(&b, Account::InterestIncome),
        penalty_income: balance_of(&b, Account::PenaltyIncome),
        loan_losses: balance_of(&b, Account::LoanLosses),
    })
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ScheduleLine {
    pub number: i64,
    pub due_date: String,
    pub principal: Money,
    pub interest: Money,
    pub total: Money,
    /// Principal and interest paid on it.
    pub paid: Money,
    #[serde(skip)]
    pub principal_paid: Money,
    /// `paid`, `partial`, `late` (due and not paid), `pending`, or `rescheduled` (replaced).
    pub status: &'static str,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoanTotals {
    pub principal: Money,
    pub interest: Money,
    pub total: Money,
    pub paid: Money,
    pub outstanding_principal: Money,
    pub outstanding_interest: Money,
    pub outstanding_penalties: Money,
    pub outstanding_total: Money,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LoanView {
    pub id: i64,
    pub fund_id: i64,
    pub member_id: i64,
    pub principal: Money,
    pub interest_method: String,
    pub rate_per_period: String,
    pub periods: i64,
    pub frequency: String,
    pub first_due_date: String,
    pub grace_periods: i64,
    pub purpose: Option<String>,
    pub status: String,
    pub status_reason: Option<String>,
    pub requested_by: i64,
    pub decided_by: Option<i64>,
    pub disbursed_on: Option<String>,
    pub written_off_on: Option<String>,
    pub days_past_due: i64,
    pub next_due_date: Option<String>,
    pub next_due_amount: Money,
    /// The plan in force.
    pub schedule: Vec<ScheduleLine>,
    pub totals: LoanTotals,
    /// Approved reschedules, oldest first, each with the installments it replaced.
    pub reschedules: Vec<RescheduleRecord>,
}

/// An approved reschedule as the loan shows it: who changed the plan, when, why, and the plan
/// as it was (the installments it replaced, with what had been paid on them).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RescheduleRecord {
    pub id: i64,
    pub date: NaiveDate,
    pub reason: String,
    pub requested_by: i64,
    pub approved_by: Option<i64>,
    pub rate_per_period: String,
    pub periods: i64,
    pub frequency: String,
    pub first_due_date: NaiveDate,
    pub grace_periods: i64,
    pub principal: Money,
    pub carried_interest: Money,
    pub carried_penalties: Money,
    pub previous_schedule: Vec<ScheduleLine>,
}

/// A loan's approved reschedules with the plans they replaced.
pub fn reschedule_history(conn: &mut DbConn, loan_id: i64) -> AppResult<Vec<RescheduleRecord>> {
    let mut records = Vec::new();
    for r in Reschedule::of_loan(conn, loan_id, RescheduleStatus::Approved)? {
        let previous = Installment::superseded_on(conn, loan_id, r.date)?;
        let money = |c: Option<i64>| Money::from_centimos(c.unwrap_or(0));
        records.push(RescheduleRecord {
            id: r.id,
            date: r.date,
            requested_by: r.requested_by,
            approved_by: r.decided_by,
            rate_per_period: r.rate_per_period,
            periods: r.periods,
            frequency: r.frequency,
            first_due_date: r.first_due_date,
            grace_periods: r.grace_periods,
            principal: money(r.principal),
            carried_interest: money(r.carried_interest),
            carried_penalties: money(r.carried_penalties),
            previous_schedule: previous
                .iter()
                .map(|i| ScheduleLine {
                    status: "rescheduled",
                    ..schedule_line(i, r.date, false)
                })
                .collect(),
            reason: r.reason,
        });
    }
    Ok(records)
}

/// Whether a loan is still owed: only disbursed loans carry a balance.
/// One repayment of a loan's paged list (`GET /loans/{id}/repayments`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RepaymentItem {
    pub id: i64,
    pub date: NaiveDate,
    pub amount: Money,
    pub allocation: Allocation,
    pub receipt_number: Option<String>,
    /// The reversal that undid it, if one did.
    pub reversed_by: Option<i64>,
}

/// A page of a loan's repayments, newest first, and how many it has in all.
pub fn repayments_page(
    conn: &mut DbConn,
    loan_id: i64,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<RepaymentItem>, i64)> {
    use crate::db::schema::{repayment_reversals, repayments};
    let total: i64 = repayments::table
        .filter(repayments::loan_id.eq(loan_id))
        .count()
        .get_result(conn)?;
    let rows: Vec<(Repayment, Option<i64>)> = repayments::table
        .left_join(repayment_reversals::table)
        .filter(repayments::loan_id.eq(loan_id))
        .order((repayments::date.desc(), repayments::id.desc()))
        .limit(limit)
        .offset(offset)
        .select((Repayment::as_select(), repayment_reversals::id.nullable()))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|(r, reversed_by)| RepaymentItem {
            id: r.id,
            date: r.date,
            amount: Money::from_centimos(r.amount),
            allocation: Allocation {
                penalties: Money::from_centimos(r.penalties),
                interest: Money::from_centimos(r.interest),
                principal: Money::from_centimos(r.principal),
            },
            receipt_number: r.receipt_number,
            reversed_by,
        })
        .collect();
    Ok((items, total))
}

/// What settles a disbursed loan on `date`, from its disbursement to a year after today.
pub fn payoff_of(conn: &mut DbConn, loan: &Loan, date: NaiveDate, today: NaiveDate) -> AppResult<Payoff> {
    if loan.status()? != LoanStatus::Disbursed {
        return Err(AppError::Conflict("loan_not_disbursed"));
    }
    if loan.disbursed_on.is_some_and(|d| date < d) || date > today + chrono::Duration::days(366) {
        return Err(AppError::invalid("date", "payoff_date_range"));
    }
    let fund = Fund::find(conn, loan.fund_id)?;
    let installments = Installment::of_loan(conn, loan.id)?;
    let method = InterestMethod::parse(&loan.interest_method).map_err(AppError::internal)?;
    Ok(payoff(&installments, &fund, method, date))
}

pub fn carries_balance(loan: &Loan) -> bool {
    loan.status == "disbursed"
}

pub fn loan_view(conn: &mut DbConn, loan: &Loan, as_of: NaiveDate) -> AppResult<LoanView> {
    let fund = Fund::find(conn, loan.fund_id)?;
    let installments = Installment::of_loan(conn, loan.id)?;
    loan_view_of(conn, loan, &fund, &installments, as_of)
}

/// The same, from a fund and installments already in hand (the repayment path saves its queries).
pub fn loan_view_of(
    conn: &mut DbConn,
    loan: &Loan,
    fund: &Fund,
    installments: &[Installment],
    as_of: NaiveDate,
) -> AppResult<LoanView> {
    let paid = Repayment::paid_total(conn, loan.id)?;
    loan_view_paid(conn, loan, fund, installments, paid, as_of)
}

/// [`loan_view_of`], with what her repayments not reversed add up to already known (a repayment
/// just posted knows it).
pub fn loan_view_paid(
    conn: &mut DbConn,
    loan: &Loan,
    fund: &Fund,
    installments: &[Installment],
    paid: Money,
    as_of: NaiveDate,
) -> AppResult<LoanView> {
    let standing = if carries_balance(loan) {
        standing(installments, fund, as_of)
    } else {
        Standing {
            principal: Money::ZERO,
            interest: Money::ZERO,
            penalties: Money::ZERO,
            next_due_date: None,
            next_due_amount: Money::ZERO,
            days_past_due: 0,
            owed: vec![],
        }
    };
    let schedule = installments
        .iter()
        .map(|i| schedule_line(i, as_of, carries_balance(loan)))
        .collect::<Vec<_>>();
    // A loan never rescheduled has no installment a reschedule made: its history is not read.
    let reschedules = if installments.iter().any(|i| i.starts_on.is_some()) {
        reschedule_history(conn, loan.id)?
    } else {
        Vec::new()
    };
    // What was paid on installments a reschedule replaced belongs to the loan's totals too; the
    // rest of them was carried into the plan in force.
    let replaced = reschedules.iter().flat_map(|r| &r.previous_schedule);
    let principal: Money =
        schedule.iter().map(|l| l.principal).sum::<Money>() + replaced.clone().map(|l| l.principal_paid).sum::<Money>();
    let interest: Money =
        schedule.iter().map(|l| l.interest).sum::<Money>() + replaced.map(|l| l.paid - l.principal_paid).sum::<Money>();
    Ok(LoanView {
        id: loan.id,
        fund_id: loan.fund_id,
        member_id: loan.member_id,
        principal: loan.principal(),
        interest_method: loan.interest_method.clone(),
        rate_per_period: loan.rate_per_period.clone(),
        periods: loan.periods,
        frequency: loan.frequency.clone(),
        first_due_date: loan.first_due_date.to_string(),
        grace_periods: loan.grace_periods,
        purpose: loan.purpose.clone(),
        status: loan.status.clone(),
        status_reason: loan.status_reason.clone(),
        requested_by: loan.requested_by,
        decided_by: loan.decided_by,
        disbursed_on: loan.disbursed_on.map(|d| d.to_string()),
        written_off_on: loan.written_off_on.map(|d| d.to_string()),
        days_past_due: standing.days_past_due,
        next_due_date: standing.next_due_date.map(|d| d.to_string()),
        next_due_amount: standing.next_due_amount,
        schedule,
        totals: LoanTotals {
            principal,
            interest,
            total: principal + interest,
            paid,
            outstanding_principal: standing.principal,
            outstanding_interest: standing.interest,
            outstanding_penalties: standing.penalties,
            outstanding_total: standing.total(),
        },
        reschedules,
    })
}

/// One installment as the schedule shows it: paid, late (only while the loan carries a
/// balance), partly paid, or pending.
fn schedule_line(i: &Installment, as_of: NaiveDate, carries_balance: bool) -> ScheduleLine {
    let total = Money::from_centimos(i.principal + i.interest);
    let paid = Money::from_centimos(i.principal_paid + i.interest_paid);
    let status = if i.is_paid() {
        "paid"
    } else if i.due_date < as_of && carries_balance {
        "late"
    } else if paid > Money::ZERO {
        "partial"
    } else {
        "pending"
    };
    ScheduleLine {
        number: i.number,
        due_date: i.due_date.to_string(),
        principal: Money::from_centimos(i.principal),
        interest: Money::from_centimos(i.interest),
        total,
        paid,
        principal_paid: Money::from_centimos(i.principal_paid),
        status,
    }
}
