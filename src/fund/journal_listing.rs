//! The journal as read, a page at a time: a fund's entries between two dates with their lines
//! (the journal's page and `GET /funds/{id}/journal`).

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use crate::db::schema::{journal_entries, journal_lines};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::money::Money;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct EntryView {
    pub id: i64,
    pub date: String,
    pub kind: String,
    pub loan_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reverses: Option<i64>,
    pub memo: Option<String>,
    pub lines: Vec<LineView>,
}

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LineView {
    pub account: String,
    pub debit: Money,
    pub credit: Money,
}

type EntryRow = (i64, NaiveDate, String, Option<i64>, Option<i64>, Option<String>);

/// Entries of a fund between two dates (inclusive), oldest first, with their lines.
pub fn entries(
    conn: &mut DbConn,
    fund_id: i64,
    from: Option<NaiveDate>,
    to: Option<NaiveDate>,
    limit: i64,
    offset: i64,
) -> AppResult<(Vec<EntryView>, i64)> {
    let query = || {
        let mut q = journal_entries::table
            .filter(journal_entries::fund_id.eq(fund_id))
            .into_boxed();
        if let Some(from) = from {
            q = q.filter(journal_entries::date.ge(from));
        }
        if let Some(to) = to {
            q = q.filter(journal_entries::date.le(to));
        }
        q
    };
    let total = query().count().get_result(conn)?;
    let rows: Vec<EntryRow> = query()
        .order((journal_entries::date, journal_entries::id))
        .limit(limit)
        .offset(offset)
        .select((
            journal_entries::id,
            journal_entries::date,
            journal_entries::kind,
            journal_entries::loan_id,
            journal_entries::reverses_entry_id,
            journal_entries::memo,
        ))
        .load(conn)?;
    let ids: Vec<i64> = rows.iter().map(|r| r.0).collect();
    let lines: Vec<(i64, String, i64, i64)> = journal_lines::table
        .filter(journal_lines::entry_id.eq_any(&ids))
        .order(journal_lines::id)
        .select((
            journal_lines::entry_id,
            journal_lines::account,
            journal_lines::debit,
            journal_lines::credit,
        ))
        .load(conn)?;
    let items = rows
        .into_iter()
        .map(|(id, date, kind, loan_id, reverses, memo)| EntryView {
            id,
            date: date.to_string(),
            kind,
            loan_id,
            reverses,
            memo,
            lines: lines
                .iter()
                .filter(|l| l.0 == id)
                .map(|l| LineView {
                    account: l.1.clone(),
                    debit: Money::from_centimos(l.2),
                    credit: Money::from_centimos(l.3),
                })
                .collect(),
        })
        .collect();
    Ok((items, total))
}
