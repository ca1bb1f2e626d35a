//! Rows of the fund's tables and their queries. Reads go through a scope: a fund of another
//! organisation is "not found".

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::policy::Scope;
use crate::db::prepared::Prepared;
use crate::db::schema::{contributions, funds, loans, repayment_reversals, repayments};
use crate::db::{on_backend, DbConn};
use crate::error::{AppError, AppResult};
use crate::input::closed_set;

pub use super::loan_filter::LoanFilter;
use crate::money::Money;

closed_set!(LoanStatus, "status_unknown", {
    Requested => "requested",
    Approved => "approved",
    Rejected => "rejected",
    Cancelled => "cancelled",
    Disbursed => "disbursed",
    Repaid => "repaid",
    WrittenOff => "written_off",
});

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = funds)]
pub struct Fund {
    pub id: i64,
    pub organization_id: i64,
    pub name: String,
    #[serde(skip)]
    pub rounding_unit: i64,
    #[serde(skip)]
    pub penalty_amount: i64,
    pub penalty_after_days: i64,
    #[serde(skip)]
    pub created_at: NaiveDateTime,
}

impl Fund {
    pub fn rounding_unit(&self) -> Money {
        Money::from_centimos(self.rounding_unit)
    }

    pub fn penalty_amount(&self) -> Money {
        Money::from_centimos(self.penalty_amount)
    }

    /// The fund by its id, for a caller that already reached it through one of its loans.
    pub fn find(conn: &mut DbConn, id: i64) -> AppResult<Fund> {
        Ok(funds::table.find(id).select(Fund::as_select()).get_result(conn)?)
    }

    /// The fund, if the scope reaches it (filtered in the query: "not yours" is "not found").
    pub fn find_scoped(conn: &mut DbConn, scope: &Scope, id: i64) -> AppResult<Fund> {
        let q = funds::table.find(id).select(Fund::as_select()).into_boxed();
        let q = match scope {
            Scope::All => q,
            Scope::Organizations(ids) => q.filter(funds::organization_id.eq_any(ids.clone())),
            Scope::Herself(_) | Scope::Nothing => return Err(AppError::NotFound),
        };
        Ok(q.get_result(conn)?)
    }

    pub fn list(conn: &mut DbConn, scope: &Scope) -> AppResult<Vec<Fund>> {
        let mut q = funds::table.order(funds::name).select(Fund::as_select()).into_boxed();
        match scope {
            Scope::All => {}
            Scope::Organizations(ids) => q = q.filter(funds::organization_id.eq_any(ids.clone())),
            Scope::Herself(_) | Scope::Nothing => return Ok(Vec::new()),
        }
        Ok(q.load(conn)?)
    }

    /// Serialises money-moving writes on one fund. SQLite's BEGIN IMMEDIATE already holds the one
    /// write lock; PostgreSQL locks the fund's row until the transaction ends, so two requests can
    /// never both spend the same cash or overpay the same loan.
    pub fn lock(conn: &mut DbConn, id: i64) -> AppResult<()> {
        if let DbConn::Postgres(_) = conn {
            diesel::sql_query("SELECT id FROM funds WHERE id = $1 FOR UPDATE")
                .bind::<diesel::sql_types::BigInt, _>(id)
                .execute(conn)?;
        }
        Ok(())
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = loans)]
pub struct Loan {
    pub id: i64,
    pub fund_id: i64,
    pub member_id: i64,
    pub principal: i64,
    pub interest_method: String,
    pub rate_per_period: String,
    pub periods: i64,
    pub frequency: String,
    pub first_due_date: NaiveDate,
    pub grace_periods: i64,
    pub purpose: Option<String>,
    pub status: String,
    pub requested_by: i64,
    pub decided_by: Option<i64>,
    pub decided_at: Option<NaiveDateTime>,
    pub disbursed_on: Option<NaiveDate>,
    pub written_off_on: Option<NaiveDate>,
    pub status_reason: Option<String>,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
    /// The day it was settled into its fund's portfolio totals (`settled.rs`), if it was.
    pub settled_on: Option<NaiveDate>,
}

impl Loan {
    pub fn status(&self) -> AppResult<LoanStatus> {
        LoanStatus::parse(&self.status).map_err(AppError::internal)
    }

    pub fn principal(&self) -> Money {
        Money::from_centimos(self.principal)
    }

    pub fn find(conn: &mut DbConn, id: i64) -> AppResult<Loan> {
        Ok(loans::table.find(id).select(Loan::as_select()).get_result(conn)?)
    }

    /// The loan, if the scope reaches it: a coordinator through its fund's organisation, a member
    /// only her own (filtered in the query: "not yours" is "not found").
    pub fn find_scoped(conn: &mut DbConn, scope: &Scope, id: i64) -> AppResult<Loan> {
        let q = loans::table.find(id).select(Loan::as_select()).into_boxed();
        let q = match scope {
            Scope::All => q,
            Scope::Organizations(ids) => q.filter(
                loans::fund_id.eq_any(
                    funds::table
                        .filter(funds::organization_id.eq_any(ids.clone()))
                        .select(funds::id),
                ),
            ),
            Scope::Herself(member_id) => q.filter(loans::member_id.eq(*member_id)),
            Scope::Nothing => return Err(AppError::NotFound),
        };
        Ok(q.get_result(conn)?)
    }

    /// The loan, with its fund locked for a money-moving write (see [`Fund::lock`]). On PostgreSQL
    /// it is read again after the lock, since another transaction may have changed it meanwhile;
    /// on SQLite the write transaction held the lock before the first read.
    pub fn locked(conn: &mut DbConn, loan: Loan) -> AppResult<Loan> {
        Fund::lock(conn, loan.fund_id)?;
        match conn {
            DbConn::Postgres(_) => Self::find(conn, loan.id),
            DbConn::Sqlite(_) => Ok(loan),
        }
    }

    /// The loan, locked for a repayment, with its fund; not found unless `scope` reaches it. A
    /// repayment only adds cash, so it need not wait for the other repayments of its fund: on
    /// PostgreSQL it shares the fund's row (`FOR SHARE`), which still keeps out every write that
    /// takes the fund alone — a disbursement spending its cash, a reversal, a reschedule, a
    /// write-off, a meeting's batch, closing a period — and locks the loan's row, so two repayments
    /// of one loan can never both pay the same installment. Both are read as they are once locked.
    /// Two statements on PostgreSQL, the scope checked on what they read ([`Loan::in_scope`]).
    pub fn locked_to_repay(conn: &mut DbConn, scope: &Scope, id: i64) -> AppResult<(Loan, Fund)> {
        let (loan, fund) = match conn {
            // The fund first, then the loan: the order every write of the fund takes them in (the
            // others lock the fund, then update its loans), so none can wait on the other in a cycle.
            DbConn::Postgres(pg) => {
                let fund = funds::table
                    .filter(
                        funds::id
                            .nullable()
                            .eq(loans::table.find(id).select(loans::fund_id).single_value()),
                    )
                    .select(Fund::as_select())
                    .for_share()
                    .get_result(pg)?;
                let loan = loans::table
                    .find(id)
                    .select(Loan::as_select())
                    .for_update()
                    .get_result(pg)?;
                (loan, fund)
            }
            // SQLite's write transaction already holds the one write lock.
            DbConn::Sqlite(_) => {
                let loan = Loan::find(conn, id)?;
                let fund = Fund::find(conn, loan.fund_id)?;
                (loan, fund)
            }
        };
        if !loan.in_scope(&fund, scope) {
            return Err(AppError::NotFound);
        }
        Ok((loan, fund))
    }

    /// Whether `scope` reaches this loan of `fund`: the rule [`Loan::find_scoped`] asks the
    /// database, for a loan already read.
    pub fn in_scope(&self, fund: &Fund, scope: &Scope) -> bool {
        match scope {
            Scope::All => true,
            Scope::Organizations(ids) => ids.contains(&fund.organization_id),
            Scope::Herself(member_id) => self.member_id == *member_id,
            Scope::Nothing => false,
        }
    }

    /// The loans `filter` picks, newest first, with how many it picks in all.
    pub fn list(conn: &mut DbConn, filter: &LoanFilter, limit: i64, offset: i64) -> AppResult<(Vec<Loan>, i64)> {
        let total = filter.query().count().get_result(conn)?;
        Ok((Self::newest(conn, filter, limit, offset)?, total))
    }

    /// The loans `filter` picks, newest first, without counting them all: a page asks for one
    /// more than it shows to know whether there are older ones, so a screenful costs the same
    /// however many loans the fund has lent.
    pub fn newest(conn: &mut DbConn, filter: &LoanFilter, limit: i64, offset: i64) -> AppResult<Vec<Loan>> {
        Ok(filter
            .query()
            .order(loans::id.desc())
            .limit(limit)
            .offset(offset)
            .select(Loan::as_select())
            .load(conn)?)
    }

    pub fn of_member(conn: &mut DbConn, member_id: i64) -> AppResult<Vec<Loan>> {
        Ok(on_backend!(conn, |c| loans::table
            .filter(loans::member_id.eq(member_id))
            .order(loans::id)
            .select(Loan::as_select())
            .load(c))?)
    }

    pub fn set_status(conn: &mut DbConn, id: i64, status: LoanStatus) -> AppResult<()> {
        Self::status_change(id, status).execute(conn)?;
        Ok(())
    }

    /// The write of [`Loan::set_status`], for a caller that sends its writes together.
    pub fn status_change(id: i64, status: LoanStatus) -> Prepared {
        Prepared::new(
            "UPDATE loans SET status = ?, updated_at = ? WHERE id = ?",
            vec![status.as_str().into(), crate::clock::now().into(), id.into()],
        )
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = repayments)]
pub struct Repayment {
    pub id: i64,
    pub loan_id: i64,
    pub amount: i64,
    pub date: NaiveDate,
    pub receipt_number: Option<String>,
    pub penalties: i64,
    pub interest: i64,
    pub principal: i64,
    pub entry_id: i64,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

impl Repayment {
    /// What a loan's repayments brought in, less those reversed.
    pub fn paid_total(conn: &mut DbConn, loan_id: i64) -> AppResult<Money> {
        let amounts: Vec<i64> = repayments::table
            .filter(repayments::loan_id.eq(loan_id))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                repayment_reversals::table.filter(repayment_reversals::repayment_id.eq(repayments::id)),
            )))
            .select(repayments::amount)
            .load(conn)?;
        Ok(Money::from_centimos(amounts.iter().sum()))
    }
}

/// A loan as requested: the terms, before anyone decides on it.
#[derive(Insertable)]
#[diesel(table_name = loans)]
pub struct NewLoan<'a> {
    pub fund_id: i64,
    pub member_id: i64,
    pub principal: i64,
    pub interest_method: &'a str,
    pub rate_per_period: String,
    pub periods: i64,
    pub frequency: &'a str,
    pub first_due_date: NaiveDate,
    pub grace_periods: i64,
    pub purpose: Option<&'a str>,
    pub status: &'a str,
    pub requested_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

/// A repayment as posted, with how it was split and its journal entry.
/// A repayment to write, with the id reserved for it (`repayment_reads.rs`).
pub struct NewRepayment<'a> {
    pub id: i64,
    pub loan_id: i64,
    pub amount: i64,
    pub date: NaiveDate,
    pub receipt_number: Option<&'a str>,
    pub penalties: i64,
    pub interest: i64,
    pub principal: i64,
    pub entry_id: i64,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

/// Money put into a fund (capital, a member's savings, a donation) with its journal entry.
#[derive(Insertable)]
#[diesel(table_name = contributions)]
pub struct NewContribution<'a> {
    pub fund_id: i64,
    pub source: &'a str,
    pub member_id: Option<i64>,
    pub amount: i64,
    pub date: NaiveDate,
    pub note: Option<&'a str>,
    pub entry_id: i64,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
}

impl NewLoan<'_> {
    pub fn insert(&self, conn: &mut DbConn) -> AppResult<Loan> {
        let id: i64 = diesel::insert_into(loans::table)
            .values(self)
            .returning(loans::id)
            .get_result(conn)?;
        Loan::find(conn, id)
    }
}

impl NewRepayment<'_> {
    /// Its write, sent with the repayment's other writes.
    pub fn writing(&self) -> Prepared {
        Prepared::new(
            "INSERT INTO repayments (id, loan_id, amount, date, receipt_number, penalties, interest, \
             principal, entry_id, created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                self.id.into(),
                self.loan_id.into(),
                self.amount.into(),
                self.date.into(),
                self.receipt_number.map(str::to_string).into(),
                self.penalties.into(),
                self.interest.into(),
                self.principal.into(),
                self.entry_id.into(),
                self.created_by.into(),
                self.created_at.into(),
            ],
        )
    }
}

impl NewContribution<'_> {
    /// Returns the new contribution's id.
    pub fn insert(&self, conn: &mut DbConn) -> AppResult<i64> {
        Ok(diesel::insert_into(contributions::table)
            .values(self)
            .returning(contributions::id)
            .get_result(conn)?)
    }
}

#[cfg(test)]
#[path = "model_tests.rs"]
mod tests;
