//! The fund's double-entry journal: every entry balances, nothing is edited or deleted (database
//! triggers refuse it), a mistake is undone by a reversing entry that points at the original.
//! Every balance shown anywhere is derived from here.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date};
use serde::Serialize;

use super::account_totals;
use crate::clock::now;
use crate::db::prepared::{Batch, Prepared};
use crate::db::schema::{journal_entries, journal_lines};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::input::closed_set;
use crate::money::Money;

closed_set!(Account, "account_unknown", {
    Cash => "cash",
    LoansReceivable => "loans_receivable",
    InterestIncome => "interest_income",
    PenaltyIncome => "penalty_income",
    CapitalDonor => "capital_donor",
    CapitalMember => "capital_member",
    LoanLosses => "loan_losses",
});

impl Account {
    /// Assets and expenses grow with debits; income and capital with credits.
    pub fn is_debit_normal(self) -> bool {
        matches!(self, Account::Cash | Account::LoansReceivable | Account::LoanLosses)
    }
}

closed_set!(EntryKind, "entry_kind_unknown", {
    Contribution => "contribution",
    Disbursement => "disbursement",
    Repayment => "repayment",
    Reversal => "reversal",
    WriteOff => "write_off",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LineDraft {
    pub account: Account,
    pub debit: Money,
    pub credit: Money,
}

pub fn debit(account: Account, amount: Money) -> LineDraft {
    LineDraft {
        account,
        debit: amount,
        credit: Money::ZERO,
    }
}

pub fn credit(account: Account, amount: Money) -> LineDraft {
    LineDraft {
        account,
        debit: Money::ZERO,
        credit: amount,
    }
}

pub struct EntryDraft<'a> {
    pub fund_id: i64,
    pub date: NaiveDate,
    pub kind: EntryKind,
    pub loan_id: Option<i64>,
    pub reverses_entry_id: Option<i64>,
    pub memo: Option<&'a str>,
    pub created_by: i64,
    pub lines: Vec<LineDraft>,
}

/// Whether lines balance: the same total on both sides, and something on each.
pub fn balanced(lines: &[LineDraft]) -> bool {
    let debits: Money = lines.iter().map(|l| l.debit).sum();
    let credits: Money = lines.iter().map(|l| l.credit).sum();
    debits == credits && !debits.is_zero()
}

/// The head of a journal entry as written (its lines follow it).
#[derive(Insertable)]
// A missing value is written as NULL, not DEFAULT: the statement's text is then the same every
// time, and PostgreSQL keeps it prepared.
#[diesel(table_name = journal_entries, treat_none_as_default_value = false)]
struct NewJournalEntry<'a> {
    fund_id: i64,
    date: NaiveDate,
    kind: &'a str,
    loan_id: Option<i64>,
    reverses_entry_id: Option<i64>,
    memo: Option<&'a str>,
    created_by: i64,
    created_at: chrono::NaiveDateTime,
}

/// Writes one entry with its lines, and adds them to the fund's running totals. An unbalanced
/// entry is a bug in the caller: refused, never written.
pub fn post(conn: &mut DbConn, draft: EntryDraft) -> AppResult<i64> {
    post_entry(conn, draft)?.settle(conn)
}

/// An entry whose head is written; its lines, and their sums added to the fund's running totals,
/// follow in the same transaction with [`Unsettled::settle`] — or with the rest of a repayment's
/// writes, in one batch, with [`Unsettled::settle_in`]. A repayment settles last, just before its
/// commit: on PostgreSQL adding to the totals locks the fund's rows of `fund_balances`, and two
/// repayments of one fund wait for each other only from there to the commit.
#[must_use = "an entry's lines must be written and added to the fund's running totals (settle)"]
pub struct Unsettled {
    pub entry_id: i64,
    fund_id: i64,
    lines: Vec<LineDraft>,
}

impl Unsettled {
    pub fn settle(self, conn: &mut DbConn) -> AppResult<i64> {
        let mut batch = Batch::new();
        let entry_id = self.settle_in(&mut batch);
        batch.run(conn)?;
        Ok(entry_id)
    }

    /// Adds the entry's lines (one statement for all of them) and the fund's new totals to a batch.
    pub fn settle_in(self, batch: &mut Batch) -> i64 {
        let rows = self
            .lines
            .iter()
            .map(|l| {
                vec![
                    self.entry_id.into(),
                    l.account.as_str().into(),
                    l.debit.centimos().into(),
                    l.credit.centimos().into(),
                ]
            })
            .collect();
        batch.push(Prepared::rows(
            "INSERT INTO journal_lines (entry_id, account, debit, credit)",
            "(?, ?, ?, ?)",
            rows,
            "",
        ));
        let amounts: Vec<(&'static str, i64, i64)> = self
            .lines
            .iter()
            .map(|l| (l.account.as_str(), l.debit.centimos(), l.credit.centimos()))
            .collect();
        if let Some(addition) = account_totals::addition(self.fund_id, &amounts) {
            batch.push(addition);
        }
        self.entry_id
    }
}

/// Writes the head of one entry, leaving its lines and the running totals to
/// [`Unsettled::settle`].
pub fn post_entry(conn: &mut DbConn, draft: EntryDraft) -> AppResult<Unsettled> {
    let lines = checked_lines(&draft)?;
    super::closing::ensure_open(conn, draft.fund_id, draft.date)?;
    let entry_id: i64 = diesel::insert_into(journal_entries::table)
        .values(NewJournalEntry {
            fund_id: draft.fund_id,
            date: draft.date,
            kind: draft.kind.as_str(),
            loan_id: draft.loan_id,
            reverses_entry_id: draft.reverses_entry_id,
            memo: draft.memo,
            created_by: draft.created_by,
            created_at: now(),
        })
        .returning(journal_entries::id)
        .get_result(conn)?;
    Ok(Unsettled {
        entry_id,
        fund_id: draft.fund_id,
        lines,
    })
}

/// [`post_entry`], its head added to a batch with the id `entry_id` reserved for it (see
/// `repayment_reads.rs`), for a caller that read when the fund's books are closed with its other
/// reads.
pub fn entry_in(
    batch: &mut Batch,
    entry_id: i64,
    closed_up_to: Option<NaiveDate>,
    draft: EntryDraft,
) -> AppResult<Unsettled> {
    let lines = checked_lines(&draft)?;
    super::closing::open_on(closed_up_to, draft.date)?;
    batch.push(Prepared::new(
        "INSERT INTO journal_entries (id, fund_id, date, kind, loan_id, reverses_entry_id, memo, \
         created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        vec![
            entry_id.into(),
            draft.fund_id.into(),
            draft.date.into(),
            draft.kind.as_str().into(),
            draft.loan_id.into(),
            draft.reverses_entry_id.into(),
            draft.memo.map(str::to_string).into(),
            draft.created_by.into(),
            now().into(),
        ],
    ));
    Ok(Unsettled {
        entry_id,
        fund_id: draft.fund_id,
        lines,
    })
}

/// The entry's lines that move money; an unbalanced entry is a bug in the caller, refused.
fn checked_lines(draft: &EntryDraft) -> AppResult<Vec<LineDraft>> {
    let lines: Vec<LineDraft> = draft
        .lines
        .iter()
        .filter(|l| !(l.debit.is_zero() && l.credit.is_zero()))
        .copied()
        .collect();
    if !balanced(&lines) {
        return Err(AppError::internal(format!(
            "unbalanced journal entry refused: {lines:?}"
        )));
    }
    Ok(lines)
}

/// Posts the mirror image of an entry (debits become credits), pointing at it.
pub fn reverse(conn: &mut DbConn, entry_id: i64, date: NaiveDate, created_by: i64, memo: &str) -> AppResult<i64> {
    let (fund_id, loan_id): (i64, Option<i64>) = journal_entries::table
        .find(entry_id)
        .select((journal_entries::fund_id, journal_entries::loan_id))
        .get_result(conn)?;
    super::closing::ensure_open(conn, fund_id, date)?;
    let lines: Vec<(String, i64, i64)> = journal_lines::table
        .filter(journal_lines::entry_id.eq(entry_id))
        .select((journal_lines::account, journal_lines::debit, journal_lines::credit))
        .load(conn)?;
    let mirrored = lines
        .into_iter()
        .map(|(account, d, c)| {
            let account = Account::parse(&account).map_err(AppError::internal)?;
            Ok(LineDraft {
                account,
                debit: Money::from_centimos(c),
                credit: Money::from_centimos(d),
            })
        })
        .collect::<AppResult<Vec<_>>>()?;
    post(
        conn,
        EntryDraft {
            fund_id,
            date,
            kind: EntryKind::Reversal,
            loan_id,
            reverses_entry_id: Some(entry_id),
            memo: Some(memo),
            created_by,
            lines: mirrored,
        },
    )
}

/// Debit and credit totals per account of a fund, for entries dated up to `as_of`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct AccountBalance {
    pub account: Account,
    pub debit: Money,
    pub credit: Money,
}

impl AccountBalance {
    /// The balance on the account's normal side (cash: debits − credits; capital: credits − debits).
    pub fn balance(&self) -> Money {
        if self.account.is_debit_normal() {
            self.debit - self.credit
        } else {
            self.credit - self.debit
        }
    }
}

/// The fund's accounts as of a date: its running totals when nothing is dated after it (the
/// balances of today, whatever the journal's size), else the sums of the journal's lines up to it.
pub fn balances(conn: &mut DbConn, fund_id: i64, as_of: NaiveDate) -> AppResult<Vec<AccountBalance>> {
    let later: Option<i64> = journal_entries::table
        .filter(journal_entries::fund_id.eq(fund_id))
        .filter(journal_entries::date.gt(as_of))
        .select(journal_entries::id)
        .first(conn)
        .optional()?;
    let rows = match later {
        None => account_totals::running(conn, fund_id)?,
        Some(_) => account_totals::summed(conn, fund_id, as_of)?,
    };
    Ok(Account::ALL
        .iter()
        .map(|account| {
            let row = rows.iter().find(|r| r.account == account.as_str());
            AccountBalance {
                account: *account,
                debit: Money::from_centimos(row.map_or(0, |r| r.debit)),
                credit: Money::from_centimos(row.map_or(0, |r| r.credit)),
            }
        })
        .collect())
}

#[derive(QueryableByName)]
struct DailyCash {
    #[diesel(sql_type = BigInt)]
    net: i64,
}

/// The least cash the fund holds at the end of any day from `from` on (today and the days after
/// included): what a back-dated payment out may spend without leaving the fund short on a day
/// in between, when later entries spent what was there.
pub fn lowest_cash_from(conn: &mut DbConn, fund_id: i64, from: NaiveDate) -> AppResult<Money> {
    let opening = balance_of(&balances(conn, fund_id, from)?, Account::Cash);
    let later: Vec<DailyCash> = diesel::sql_query(
        "SELECT CAST(SUM(l.debit - l.credit) AS BIGINT) AS net \
         FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id \
         WHERE e.fund_id = $1 AND e.date > $2 AND l.account = 'cash' GROUP BY e.date ORDER BY e.date",
    )
    .bind::<BigInt, _>(fund_id)
    .bind::<Date, _>(from)
    .load(conn)?;
    let (mut cash, mut lowest) = (opening.centimos(), opening.centimos());
    for day in later {
        cash += day.net;
        lowest = lowest.min(cash);
    }
    Ok(Money::from_centimos(lowest))
}

pub fn balance_of(balances: &[AccountBalance], account: Account) -> Money {
    balances
        .iter()
        .find(|b| b.account == account)
        .map_or(Money::ZERO, AccountBalance::balance)
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TrialBalanceLine {
    pub account: &'static str,
    pub debit: Money,
    pub credit: Money,
    pub balance: Money,
}

#[derive(serde::Serialize, utoipa::ToSchema)]
pub struct TrialBalance {
    pub as_of: String,
    pub accounts: Vec<TrialBalanceLine>,
    pub total_debit: Money,
    pub total_credit: Money,
}

/// The trial balance of a fund on a date: every account's debits and credits, which always total
/// the same.
pub fn trial_balance(conn: &mut DbConn, fund_id: i64, as_of: NaiveDate) -> AppResult<TrialBalance> {
    let accounts: Vec<TrialBalanceLine> = balances(conn, fund_id, as_of)?
        .iter()
        .map(|b| TrialBalanceLine {
            account: b.account.as_str(),
            debit: b.debit,
            credit: b.credit,
            balance: b.balance(),
        })
        .collect();
    let total_debit = accounts.iter().map(|a| a.debit).sum();
    let total_credit = accounts.iter().map(|a| a.credit).sum();
    Ok(TrialBalance {
        as_of: as_of.to_string(),
        accounts,
        total_debit,
        total_credit,
    })
}

#[cfg(test)]
#[path = "journal_tests.rs"]
mod tests;
