//! Rescheduling a disbursed loan (reprogramación), the actions: a coordinator proposes new terms
//! from a date, another person approves or rejects; nothing changes until approved. On approval
//! the installments still owing are superseded (kept) and the new plan written, in the caller's
//! transaction with the audit line. No money moves, so the journal gets no entry. The maths are
//! in `reschedule.rs`.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;
use serde_json::json;

use super::closing::ensure_open;
use super::grading::sbs_grade;
use super::input::RescheduleInput;
use super::installment::{Installment, NewInstallment};
use super::model::{Fund, Loan, LoanStatus};
use super::reschedule::{carry, new_plan, Carried, PlanLine};
use super::schedule::{check_terms, Frequency, InterestMethod, Terms};
use super::standing::standing;
use crate::audit;
use crate::auth::policy::{loan_scope, CurrentUser};
use crate::clock::now;
use crate::db::schema::{funds, installments, loan_reschedules, repayment_reversals, repayments};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::input::closed_set;
use crate::money::Money;

closed_set!(RescheduleStatus, "status_unknown", {
    Requested => "requested",
    Approved => "approved",
    Rejected => "rejected",
});

#[derive(Debug, Clone, Queryable, Selectable, Serialize)]
#[diesel(table_name = loan_reschedules)]
pub struct Reschedule {
    pub id: i64,
    pub loan_id: i64,
    pub date: NaiveDate,
    pub rate_per_period: String,
    pub periods: i64,
    pub frequency: String,
    pub first_due_date: NaiveDate,
    pub grace_periods: i64,
    pub reason: String,
    pub status: String,
    pub requested_by: i64,
    pub requested_at: NaiveDateTime,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub principal: Option<i64>,
    pub carried_interest: Option<i64>,
    pub carried_penalties: Option<i64>,
    pub grade_at: Option<String>,
}

impl Reschedule {
    /// A loan's reschedules in one status, oldest first.
    pub fn of_loan(conn: &mut DbConn, loan_id: i64, status: RescheduleStatus) -> AppResult<Vec<Reschedule>> {
        Ok(loan_reschedules::table
            .filter(loan_reschedules::loan_id.eq(loan_id))
            .filter(loan_reschedules::status.eq(status.as_str()))
            .order((loan_reschedules::date, loan_reschedules::id))
            .select(Reschedule::as_select())
            .load(conn)?)
    }

    /// The date of the loan's latest approved reschedule: nothing may be dated before it since.
    pub fn latest_date(conn: &mut DbConn, loan_id: i64) -> AppResult<Option<NaiveDate>> {
        Ok(loan_reschedules::table
            .filter(loan_reschedules::loan_id.eq(loan_id))
            .filter(loan_reschedules::status.eq(RescheduleStatus::Approved.as_str()))
            .select(diesel::dsl::max(loan_reschedules::date))
            .get_result(conn)?)
    }

    fn terms(&self, method: InterestMethod, rounding_unit: Money) -> AppResult<Terms> {
        Ok(Terms {
            principal: Money::ZERO,
            method,
            rate: super::schedule::parse_rate(&self.rate_per_period).map_err(AppError::internal)?,
            periods: u32::try_from(self.periods).map_err(|e| AppError::internal(e.to_string()))?,
            frequency: Frequency::parse(&self.frequency).map_err(AppError::internal)?,
            first_due_date: self.first_due_date,
            grace_periods: u32::try_from(self.grace_periods).map_err(|e| AppError::internal(e.to_string()))?,
            rounding_unit,
        })
    }
}

/// One installment of a proposed plan.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct PlanLineView {
    pub number: i64,
    pub due_date: NaiveDate,
    pub principal: Money,
    /// The new terms' interest plus, on the first installment, the interest carried.
    pub interest: Money,
    pub carried_penalty: Money,
    pub total: Money,
}

/// What approving a proposal would do, as of its date.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Preview {
    pub principal: Money,
    pub carried_interest: Money,
    pub carried_penalties: Money,
    pub schedule: Vec<PlanLineView>,
}

/// A proposed reschedule (`POST /loans/{id}/reschedules`).
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RescheduleView {
    pub id: i64,
    pub loan_id: i64,
    pub status: String,
    pub date: NaiveDate,
    pub reason: String,
    pub requested_by: i64,
    pub preview: Preview,
}

/// What a reschedule would carry from the plan in force, the plan it would make, and how late the
/// loan was on its date (for its SBS grade).
struct Planned {
    carried: Carried,
    lines: Vec<PlanLine>,
    days_past_due: i64,
}

/// Checks a reschedule dated `date` against the loan as it stands, and plans it.
fn plan(conn: &mut DbConn, loan: &Loan, reschedule: &Reschedule) -> AppResult<Planned> {
    if loan.status()? != LoanStatus::Disbursed {
        return Err(AppError::Conflict("loan_not_disbursed"));
    }
    let date = reschedule.date;
    if loan.disbursed_on.is_some_and(|d| date < d) {
        return Err(AppError::invalid("date", "reschedule_before_disbursement"));
    }
    ensure_open(conn, loan.fund_id, date)?;
    if Reschedule::latest_date(conn, loan.id)?.is_some_and(|latest| date <= latest) {
        return Err(AppError::Conflict("reschedule_not_after_previous"));
    }
    // What was paid after the date was allocated to the old plan: the date must come after it.
    let paid_later: i64 = repayments::table
        .filter(repayments::loan_id.eq(loan.id))
        .filter(repayments::date.gt(date))
        .filter(diesel::dsl::not(diesel::dsl::exists(
            repayment_reversals::table.filter(repayment_reversals::repayment_id.eq(repayments::id)),
        )))
        .count()
        .get_result(conn)?;
    if paid_later > 0 {
        return Err(AppError::Conflict("repayment_after_reschedule_date"));
    }
    let fund: Fund = funds::table
        .find(loan.fund_id)
        .select(Fund::as_select())
        .get_result(conn)?;
    let installments = Installment::of_loan(conn, loan.id)?;
    let carried = carry(&installments, &fund, date);
    if carried.principal.is_zero() {
        return Err(AppError::Conflict("reschedule_nothing_owed"));
    }
    let method = InterestMethod::parse(&loan.interest_method).map_err(AppError::internal)?;
    let terms = Terms {
        principal: carried.principal,
        ..reschedule.terms(method, fund.rounding_unit())?
    };
    check_terms(&terms).map_err(|(field, code)| AppError::invalid(field, code))?;
    let first_number: i64 = installments::table
        .filter(installments::loan_id.eq(loan.id))
        .select(diesel::dsl::max(installments::number))
        .get_result::<Option<i64>>(conn)?
        .unwrap_or(0)
        + 1;
    let lines = new_plan(&carried, &terms, first_number);
    Ok(Planned {
        days_past_due: standing(&installments, &fund, date).days_past_due,
        carried,
        lines,
    })
}

fn preview(planned: &Planned) -> Preview {
    Preview {
        principal: planned.carried.principal,
        carried_interest: planned.carried.interest,
        carried_penalties: planned.carried.penalties,
        schedule: planned
            .lines
            .iter()
            .map(|l| PlanLineView {
                number: l.number,
                due_date: l.due_date,
                principal: l.principal,
                interest: l.interest,
                carried_penalty: l.carried_penalty,
                total: l.total(),
            })
            .collect(),
    }
}

/// A proposal waiting for its decision, with what approving it would do today (none when the
/// loan no longer allows it: the decision then says why).
pub struct Pending {
    pub reschedule: Reschedule,
    pub preview: Option<Preview>,
}

/// The loan's proposals waiting for a decision, oldest first.
pub fn pending(conn: &mut DbConn, loan: &Loan) -> AppResult<Vec<Pending>> {
    let mut waiting = Vec::new();
    for reschedule in Reschedule::of_loan(conn, loan.id, RescheduleStatus::Requested)? {
        let preview = plan(conn, loan, &reschedule).ok().map(|planned| preview(&planned));
        waiting.push(Pending { reschedule, preview });
    }
    Ok(waiting)
}

/// Proposes new terms for a disbursed loan from a date. Nothing changes until another approves.
pub fn request(
    conn: &mut DbConn,
    actor: &CurrentUser,
    loan_id: i64,
    input: RescheduleInput,
) -> AppResult<RescheduleView> {
    let loan = Loan::find_scoped(conn, &loan_scope(actor), loan_id)?;
    let loan = Loan::locked(conn, loan)?;
    let at = now();
    let row: Reschedule = diesel::insert_into(loan_reschedules::table)
        .values((
            loan_reschedules::loan_id.eq(loan.id),
            loan_reschedules::date.eq(input.date),
            loan_reschedules::rate_per_period.eq(input.rate.to_string()),
            loan_reschedules::periods.eq(i64::from(input.periods)),
            loan_reschedules::frequency.eq(input.frequency.as_str()),
            loan_reschedules::first_due_date.eq(input.first_due_date),
            loan_reschedules::grace_periods.eq(i64::from(input.grace_periods)),
            loan_reschedules::reason.eq(&input.reason),
            loan_reschedules::status.eq(RescheduleStatus::Requested.as_str()),
            loan_reschedules::requested_by.eq(actor.id),
            loan_reschedules::requested_at.eq(at),
        ))
        .returning(loan_reschedules::all_columns)
        .get_result(conn)?;
    // Checked against the loan as it stands; an error undoes the insert with the transaction.
    let planned = plan(conn, &loan, &row)?;
    let view = RescheduleView {
        id: row.id,
        loan_id: loan.id,
        status: row.status.clone(),
        date: row.date,
        reason: row.reason.clone(),
        requested_by: actor.id,
        preview: preview(&planned),
    };
    audit::record(
        conn,
        Some(actor.id),
        "request",
        "loan_reschedule",
        Some(row.id),
        None,
        Some(&audit::snapshot(&row)),
    )?;
    Ok(view)
}

/// The loan a reschedule belongs to, if the actor reaches it.
pub fn loan_of(conn: &mut DbConn, actor: &CurrentUser, reschedule_id: i64) -> AppResult<(Reschedule, Loan)> {
    let row: Reschedule = loan_reschedules::table
        .find(reschedule_id)
        .select(Reschedule::as_select())
        .get_result(conn)?;
    let loan = Loan::find_scoped(conn, &loan_scope(actor), row.loan_id)?;
    Ok((row, loan))
}

/// Approves (another person than who proposed it) or rejects a proposed reschedule. Approval
/// checks the loan again as it stands, supersedes the installments still owing, and writes the
/// new plan. Returns the loan's id.
pub fn decide(conn: &mut DbConn, actor: &CurrentUser, reschedule_id: i64, approve: bool) -> AppResult<i64> {
    let (_, loan) = loan_of(conn, actor, reschedule_id)?;
    let loan = Loan::locked(conn, loan)?;
    // Read again under the lock: another decision may have come first.
    let row: Reschedule = loan_reschedules::table
        .find(reschedule_id)
        .select(Reschedule::as_select())
        .get_result(conn)?;
    if row.status != RescheduleStatus::Requested.as_str() {
        return Err(AppError::Conflict("reschedule_state"));
    }
    if row.requested_by == actor.id {
        return Err(AppError::Forbidden);
    }
    let at = now();
    let status = if approve {
        let planned = plan(conn, &loan, &row)?;
        diesel::update(installments::table.filter(installments::id.eq_any(&planned.carried.superseded)))
            .set(installments::superseded_on.eq(Some(row.date)))
            .execute(conn)?;
        for line in &planned.lines {
            NewInstallment {
                loan_id: loan.id,
                number: line.number,
                due_date: line.due_date,
                principal: line.principal.centimos(),
                interest: line.interest.centimos(),
                starts_on: Some(row.date),
                carried_interest: line.carried_interest.centimos(),
                carried_penalty: line.carried_penalty.centimos(),
                ..NewInstallment::default()
            }
            .insert(conn)?;
        }
        diesel::update(loan_reschedules::table.find(row.id))
            .set((
                loan_reschedules::principal.eq(Some(planned.carried.principal.centimos())),
                loan_reschedules::carried_interest.eq(Some(planned.carried.interest.centimos())),
                loan_reschedules::carried_penalties.eq(Some(planned.carried.penalties.centimos())),
                loan_reschedules::grade_at.eq(Some(sbs_grade(planned.days_past_due))),
            ))
            .execute(conn)?;
        RescheduleStatus::Approved
    } else {
        RescheduleStatus::Rejected
    };
    diesel::update(loan_reschedules::table.find(row.id))
        .set((
            loan_reschedules::status.eq(status.as_str()),
            loan_reschedules::decided_by.eq(Some(actor.id)),
            loan_reschedules::decided_at.eq(Some(at)),
        ))
        .execute(conn)?;
    audit::record(
        conn,
        Some(actor.id),
        if approve { "approve" } else { "reject" },
        "loan_reschedule",
        Some(row.id),
        Some(&json!({"status": row.status})),
        Some(&json!({"status": status.as_str(), "loan_id": loan.id})),
    )?;
    Ok(loan.id)
}
