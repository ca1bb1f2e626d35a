//! The meeting's collection sheet (hoja de cobranza): every disbursed loan of a fund with what
//! falls due by the meeting's date (here), the batch of what each woman paid there (`batch.rs`),
//! and their JSON routes (`api.rs`).

use std::collections::HashMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::installment::Installment;
use super::model::{Fund, LoanStatus};
use super::standing::{penalty_of, standing};
use crate::auth::policy::{fund_scope, CurrentUser};
use crate::clock::{now, rfc3339};
use crate::db::schema::{loans, member_organizations, members};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::money::Money;

pub mod api;
mod batch;

pub use batch::{difference, post_batch, Batch, BatchOutcome, RowStatus, MAX_ROWS};

/// One borrower's line of the sheet.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct SheetRow {
    pub loan_id: i64,
    pub member_id: i64,
    pub member_name: String,
    /// Installments due by the date and not paid in full.
    pub installments_due: i64,
    /// Arrears plus what falls due by the date, penalties included.
    pub amount_due: Money,
    /// The first unpaid installment due after the date.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_due_date: Option<String>,
    /// Everything the loan still owes on the date.
    pub outstanding: Money,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Sheet {
    pub fund_id: i64,
    #[serde(skip)]
    pub fund_name: String,
    pub date: String,
    /// When the figures were read (a page kept offline says so).
    pub as_of_instant: String,
    pub rows: Vec<SheetRow>,
    pub total_due: Money,
}

/// What one loan has due by `date`: (installments, amount, next due date after it). Pure.
pub fn due_by(installments: &[Installment], fund: &Fund, date: NaiveDate) -> (i64, Money, Option<NaiveDate>) {
    let mut count = 0;
    let mut amount = Money::ZERO;
    for i in installments.iter().filter(|i| i.due_date <= date) {
        let owed = penalty_of(i, fund, date) + i.interest_left() + i.principal_left();
        if !owed.is_zero() {
            count += 1;
            amount = amount + owed;
        }
    }
    let next = installments
        .iter()
        .find(|i| i.due_date > date && !i.is_paid())
        .map(|i| i.due_date);
    (count, amount, next)
}

/// The sheet of a fund on a date: its disbursed loans (of one organisation's members, if given),
/// sorted by the borrower's name.
pub fn sheet(
    conn: &mut DbConn,
    actor: &CurrentUser,
    fund_id: i64,
    date: NaiveDate,
    organization_id: Option<i64>,
) -> AppResult<Sheet> {
    let fund = Fund::find_scoped(conn, &fund_scope(actor), fund_id)?;
    let mut q = loans::table
        .inner_join(members::table)
        .filter(loans::fund_id.eq(fund.id))
        .filter(loans::status.eq(LoanStatus::Disbursed.as_str()))
        .select((loans::id, members::id, members::first_name, members::last_name))
        .into_boxed();
    if let Some(org) = organization_id {
        q = q.filter(
            members::id.eq_any(
                member_organizations::table
                    .filter(member_organizations::organization_id.eq(org))
                    .select(member_organizations::member_id),
            ),
        );
    }
    let found: Vec<(i64, i64, String, String)> = q.load(conn)?;
    let ids: Vec<i64> = found.iter().map(|f| f.0).collect();
    let mut installments: HashMap<i64, Vec<Installment>> = HashMap::new();
    for chunk in ids.chunks(1000) {
        installments.extend(Installment::of_loans(conn, chunk)?);
    }
    let mut rows: Vec<SheetRow> = found
        .into_iter()
        .map(|(loan_id, member_id, first, last)| {
            let plan = installments.get(&loan_id).map(Vec::as_slice).unwrap_or_default();
            let (installments_due, amount_due, next) = due_by(plan, &fund, date);
            SheetRow {
                loan_id,
                member_id,
                member_name: format!("{first} {last}"),
                installments_due,
                amount_due,
                next_due_date: next.map(|d| d.to_string()),
                outstanding: standing(plan, &fund, date).total(),
            }
        })
        .collect();
    rows.sort_by(|a, b| {
        crate::input::fold_for_search(&a.member_name)
            .cmp(&crate::input::fold_for_search(&b.member_name))
            .then(a.loan_id.cmp(&b.loan_id))
    });
    Ok(Sheet {
        fund_id: fund.id,
        fund_name: fund.name,
        date: date.to_string(),
        as_of_instant: rfc3339(now()),
        total_due: rows.iter().map(|r| r.amount_due).sum(),
        rows,
    })
}
