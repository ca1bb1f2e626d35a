//! Closing a fund's books (DOMAIN.md, "Closing a period"). An administrator closes them up to a
//! date (a month's or a year's end); from then on nothing dated on or before it is posted — no
//! contribution, disbursement, repayment or write-off, and no reversal dated then — so every report
//! as of a closed date stays as it was. A reversal made later is dated its own day, as always.
//! Reopening needs an administrator and a reason; it is audited, and only the latest closure can be
//! reopened. `journal::post` and `journal::reverse` ask [`ensure_open`] before writing an entry (a
//! repayment reads the date with its other reads and asks [`open_on`]): one place holds the rule
//! for every way money moves.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use super::model::Fund;
use crate::audit;
use crate::auth::policy::{fund_scope, CurrentUser};
use crate::clock::{serialize_instant, serialize_optional_instant};
use crate::db::prepared::Prepared;
use crate::db::schema::fund_closures;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

/// A closing of a fund's books, and its reopening if it was reopened.
#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = fund_closures)]
pub struct Closure {
    pub id: i64,
    pub fund_id: i64,
    /// Nothing dated on or before this day can be posted while the closure holds.
    pub date: NaiveDate,
    pub closed_by: i64,
    #[serde(serialize_with = "serialize_instant")]
    pub closed_at: NaiveDateTime,
    pub reopened_by: Option<i64>,
    #[serde(serialize_with = "serialize_optional_instant")]
    pub reopened_at: Option<NaiveDateTime>,
    pub reopen_reason: Option<String>,
}

/// The fund a closure belongs to.
pub fn fund_of(conn: &mut DbConn, closure_id: i64) -> AppResult<i64> {
    Ok(find(conn, closure_id)?.fund_id)
}

fn find(conn: &mut DbConn, id: i64) -> AppResult<Closure> {
    Ok(fund_closures::table
        .find(id)
        .select(Closure::as_select())
        .get_result(conn)?)
}

/// The closure that holds: the latest one not reopened.
pub fn holding(conn: &mut DbConn, fund_id: i64) -> AppResult<Option<Closure>> {
    Ok(fund_closures::table
        .filter(fund_closures::fund_id.eq(fund_id))
        .filter(fund_closures::reopened_at.is_null())
        .order(fund_closures::date.desc())
        .select(Closure::as_select())
        .first(conn)
        .optional()?)
}

/// The day up to which a fund's books are closed, if they are: the date of the closure that
/// holds. A repayment reads it with its other reads, by the same SQL.
pub fn closed_up_to(conn: &mut DbConn, fund_id: i64) -> AppResult<Option<NaiveDate>> {
    #[derive(QueryableByName)]
    struct ClosedUpTo {
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Date>)]
        closed_up_to: Option<NaiveDate>,
    }
    let sql = format!("SELECT ({CLOSED_UP_TO_SQL}) AS closed_up_to");
    let row: ClosedUpTo = Prepared::new(&sql, vec![fund_id.into()]).get_result(conn)?;
    Ok(row.closed_up_to)
}

/// Refuses, with a 409 naming the closed date, an entry dated on or before it.
pub fn ensure_open(conn: &mut DbConn, fund_id: i64, date: NaiveDate) -> AppResult<()> {
    open_on(closed_up_to(conn, fund_id)?, date)
}

/// [`ensure_open`], for a caller that read the closed date with its other reads.
pub fn open_on(closed_up_to: Option<NaiveDate>, date: NaiveDate) -> AppResult<()> {
    match closed_up_to {
        Some(closed) if date <= closed => Err(AppError::BooksClosed(closed)),
        _ => Ok(()),
    }
}

/// The SQL of the day up to which fund `?`'s books are closed (NULL when they are not): the
/// date of the latest closure not reopened, the one [`holding`] finds.
pub const CLOSED_UP_TO_SQL: &str =
    "SELECT MAX(c.date) FROM fund_closures c WHERE c.fund_id = ? AND c.reopened_at IS NULL";

/// A fund's closures, newest first, with their reopenings.
pub fn list(conn: &mut DbConn, fund_id: i64) -> AppResult<Vec<Closure>> {
    Ok(fund_closures::table
        .filter(fund_closures::fund_id.eq(fund_id))
        .order(fund_closures::id.desc())
        .select(Closure::as_select())
        .load(conn)?)
}

/// Closes a fund's books up to `date`, which must be after the closure that holds (reopen that
/// one first to close earlier).
pub fn close(
    conn: &mut DbConn,
    actor: &CurrentUser,
    fund_id: i64,
    date: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<Closure> {
    let fund = Fund::find_scoped(conn, &fund_scope(actor), fund_id)?;
    Fund::lock(conn, fund.id)?;
    if let Some(closed) = closed_up_to(conn, fund.id)? {
        if date <= closed {
            return Err(AppError::BooksClosed(closed));
        }
    }
    let id: i64 = diesel::insert_into(fund_closures::table)
        .values((
            fund_closures::fund_id.eq(fund.id),
            fund_closures::date.eq(date),
            fund_closures::closed_by.eq(actor.id),
            fund_closures::closed_at.eq(now),
        ))
        .returning(fund_closures::id)
        .get_result(conn)?;
    let closure = find(conn, id)?;
    audit::record(
        conn,
        Some(actor.id),
        "close_books",
        "fund",
        Some(fund.id),
        None,
        Some(&audit::snapshot(&closure)),
    )?;
    Ok(closure)
}

/// Reopens the closure that holds, with a reason; the one before it (if any) holds again.
pub fn reopen(
    conn: &mut DbConn,
    actor: &CurrentUser,
    closure_id: i64,
    reason: String,
    now: NaiveDateTime,
) -> AppResult<Closure> {
    let closure = find(conn, closure_id)?;
    let fund = Fund::find_scoped(conn, &fund_scope(actor), closure.fund_id)?;
    Fund::lock(conn, fund.id)?;
    if holding(conn, fund.id)?.map(|c| c.id) != Some(closure.id) {
        return Err(AppError::Conflict("closure_not_latest"));
    }
    diesel::update(fund_closures::table.find(closure.id))
        .set((
            fund_closures::reopened_by.eq(actor.id),
            fund_closures::reopened_at.eq(now),
            fund_closures::reopen_reason.eq(&reason),
        ))
        .execute(conn)?;
    let reopened = find(conn, closure.id)?;
    audit::record(
        conn,
        Some(actor.id),
        "reopen_books",
        "fund",
        Some(fund.id),
        Some(&audit::snapshot(&closure)),
        Some(&audit::snapshot(&reopened)),
    )?;
    Ok(reopened)
}
