//! A fund's accounts, two ways: the running totals (`fund_balances`) that every journal entry adds
//! its lines to in its own transaction, so the balances of today cost the same at a thousand
//! journal lines or a million; and the sums of the journal's lines up to a date, for a past day.
//! The journal stays the truth: `pallay check` compares the two.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Text};

use crate::db::prepared::Prepared;
use crate::db::schema::fund_balances;
use crate::db::DbConn;
use crate::error::AppResult;

/// An account's debit and credit totals.
#[derive(QueryableByName, Debug, Clone, PartialEq, Eq)]
pub struct AccountTotals {
    #[diesel(sql_type = Text)]
    pub account: String,
    #[diesel(sql_type = BigInt)]
    pub debit: i64,
    #[diesel(sql_type = BigInt)]
    pub credit: i64,
}

/// What adds an entry's lines (account, debit, credit) to the fund's running totals: one
/// statement for all its accounts, to run in the entry's transaction (none for no lines).
pub fn addition(fund_id: i64, lines: &[(&'static str, i64, i64)]) -> Option<Prepared> {
    let mut by_account: Vec<(&'static str, i64, i64)> = Vec::new();
    for &(account, debit, credit) in lines {
        match by_account.iter_mut().find(|(a, _, _)| *a == account) {
            Some(total) => {
                total.1 += debit;
                total.2 += credit;
            }
            None => by_account.push((account, debit, credit)),
        }
    }
    if by_account.is_empty() {
        return None;
    }
    // Always in the same order of accounts: two entries of one fund adding at once (repayments of
    // different loans, on PostgreSQL) lock the same rows in the same order, and never deadlock.
    by_account.sort_by_key(|(account, _, _)| *account);
    // One statement whatever the number of accounts (`diesel` has no upsert for both databases).
    Some(Prepared::rows(
        "INSERT INTO fund_balances (fund_id, account, debit, credit)",
        "(?, ?, ?, ?)",
        by_account
            .iter()
            .map(|&(account, debit, credit)| vec![fund_id.into(), account.into(), debit.into(), credit.into()])
            .collect(),
        " ON CONFLICT (fund_id, account) DO UPDATE \
         SET debit = fund_balances.debit + excluded.debit, credit = fund_balances.credit + excluded.credit",
    ))
}

/// The fund's running totals, per account.
pub fn running(conn: &mut DbConn, fund_id: i64) -> AppResult<Vec<AccountTotals>> {
    Ok(fund_balances::table
        .filter(fund_balances::fund_id.eq(fund_id))
        .select((fund_balances::account, fund_balances::debit, fund_balances::credit))
        .load::<(String, i64, i64)>(conn)?
        .into_iter()
        .map(|(account, debit, credit)| AccountTotals { account, debit, credit })
        .collect())
}

/// The sums of the fund's journal lines dated up to `as_of`, per account.
pub fn summed(conn: &mut DbConn, fund_id: i64, as_of: NaiveDate) -> AppResult<Vec<AccountTotals>> {
    Ok(diesel::sql_query(
        "SELECT l.account AS account, CAST(COALESCE(SUM(l.debit), 0) AS BIGINT) AS debit, \
                CAST(COALESCE(SUM(l.credit), 0) AS BIGINT) AS credit \
         FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id \
         WHERE e.fund_id = $1 AND e.date <= $2 GROUP BY l.account",
    )
    .bind::<BigInt, _>(fund_id)
    .bind::<Date, _>(as_of)
    .load(conn)?)
}
