//! The running totals `pallay check` compares with what they sum: each fund's accounts with its
//! journal, and each fund's settled loans with their installments.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};

use super::ask;
use crate::db::DbConn;
use crate::money::Money;

fn money(centimos: i64) -> Money {
    Money::from_centimos(centimos)
}

/// Each fund's running totals are the sums of its journal's lines, account by account.
pub(super) fn running_totals(conn: &mut DbConn, found: &mut impl FnMut(&'static str, String)) -> Result<(), String> {
    #[derive(QueryableByName, PartialEq, Eq, PartialOrd, Ord)]
    struct Totals {
        #[diesel(sql_type = BigInt)]
        fund_id: i64,
        #[diesel(sql_type = Text)]
        account: String,
        #[diesel(sql_type = BigInt)]
        debit: i64,
        #[diesel(sql_type = BigInt)]
        credit: i64,
    }
    let mut kept = ask::<Totals>(
        conn,
        "SELECT fund_id, account, debit, credit FROM fund_balances WHERE debit <> 0 OR credit <> 0",
    )?;
    let mut summed = ask::<Totals>(
        conn,
        "SELECT e.fund_id AS fund_id, l.account AS account, CAST(SUM(l.debit) AS BIGINT) AS debit, \
                CAST(SUM(l.credit) AS BIGINT) AS credit \
         FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id GROUP BY e.fund_id, l.account \
         HAVING SUM(l.debit) <> 0 OR SUM(l.credit) <> 0",
    )?;
    kept.sort();
    summed.sort();
    for t in summed.iter().filter(|t| !kept.contains(t)) {
        let running = kept.iter().find(|k| k.fund_id == t.fund_id && k.account == t.account);
        found(
            "balances",
            format!(
                "fund_balances (fund {}, {}): the journal says {} / {}, the running totals {}",
                t.fund_id,
                t.account,
                money(t.debit),
                money(t.credit),
                running.map_or("nothing".into(), |k| format!(
                    "{} / {}",
                    money(k.debit),
                    money(k.credit)
                ))
            ),
        );
    }
    for k in kept
        .iter()
        .filter(|k| !summed.iter().any(|t| t.fund_id == k.fund_id && t.account == k.account))
    {
        found(
            "balances",
            format!(
                "fund_balances (fund {}, {}): {} / {} with no journal line behind it",
                k.fund_id,
                k.account,
                money(k.debit),
                money(k.credit)
            ),
        );
    }
    Ok(())
}

/// Each fund's settled-loan totals, purpose by purpose, are the sums over its settled loans'
/// plans in force; and a settled loan is repaid, with every date of its plan before the day it
/// was settled, and no later than its fund's last settling.
pub(super) fn settled_totals(conn: &mut DbConn, found: &mut impl FnMut(&'static str, String)) -> Result<(), String> {
    #[derive(QueryableByName, Debug, PartialEq, Eq, PartialOrd, Ord)]
    struct Totals {
        #[diesel(sql_type = BigInt)]
        fund_id: i64,
        #[diesel(sql_type = Text)]
        purpose: String,
        #[diesel(sql_type = BigInt)]
        loans: i64,
        #[diesel(sql_type = BigInt)]
        principal: i64,
        #[diesel(sql_type = BigInt)]
        due: i64,
        #[diesel(sql_type = BigInt)]
        collected: i64,
    }
    #[derive(QueryableByName)]
    struct Id {
        #[diesel(sql_type = BigInt)]
        id: i64,
    }
    let mut kept = ask::<Totals>(
        conn,
        "SELECT fund_id, purpose, loans, principal, due, collected FROM settled_loan_totals \
         WHERE loans <> 0 OR principal <> 0 OR due <> 0 OR collected <> 0",
    )?;
    let mut summed = ask::<Totals>(
        conn,
        "SELECT l.fund_id AS fund_id, COALESCE(l.purpose, '') AS purpose, CAST(COUNT(*) AS BIGINT) AS loans, \
                CAST(SUM(l.principal) AS BIGINT) AS principal, CAST(SUM(p.due) AS BIGINT) AS due, \
                CAST(SUM(p.collected) AS BIGINT) AS collected \
         FROM loans l JOIN (SELECT loan_id, SUM(principal + interest) AS due, \
                                   SUM(principal_paid + interest_paid) AS collected \
                            FROM installments WHERE superseded_on IS NULL GROUP BY loan_id) p ON p.loan_id = l.id \
         WHERE l.settled_on IS NOT NULL GROUP BY l.fund_id, COALESCE(l.purpose, '')",
    )?;
    kept.sort();
    summed.sort();
    let show = |t: Option<&Totals>| {
        t.map_or("nothing".to_string(), |t| {
            format!(
                "{} loans, principal {}, due {}, collected {}",
                t.loans,
                money(t.principal),
                money(t.due),
                money(t.collected)
            )
        })
    };
    for t in summed.iter().filter(|t| !kept.contains(t)) {
        let running = kept.iter().find(|k| k.fund_id == t.fund_id && k.purpose == t.purpose);
        found(
            "settled_loans",
            format!(
                "settled_loan_totals (fund {}, purpose {:?}): the settled loans sum to {}, the totals say {}",
                t.fund_id,
                t.purpose,
                show(Some(t)),
                show(running)
            ),
        );
    }
    for k in kept
        .iter()
        .filter(|k| !summed.iter().any(|t| t.fund_id == k.fund_id && t.purpose == k.purpose))
    {
        found(
            "settled_loans",
            format!(
                "settled_loan_totals (fund {}, purpose {:?}): {} with no settled loan behind it",
                k.fund_id,
                k.purpose,
                show(Some(k))
            ),
        );
    }
    let sql = "SELECT l.id AS id FROM loans l WHERE l.settled_on IS NOT NULL AND ( \
                 l.status <> 'repaid' \
                 OR EXISTS (SELECT 1 FROM installments x WHERE x.loan_id = l.id AND (x.due_date >= l.settled_on \
                            OR x.starts_on >= l.settled_on OR x.superseded_on >= l.settled_on)) \
                 OR NOT EXISTS (SELECT 1 FROM settled_loan_totals t WHERE t.fund_id = l.fund_id \
                                AND t.through >= l.settled_on)) \
               ORDER BY l.id";
    for loan in ask::<Id>(conn, sql)? {
        found(
            "settled_loans",
            format!(
                "loans {}: settled, but not repaid, or with a date of its plan on or after the day it was \
                 settled, or after its fund's last settling",
                loan.id
            ),
        );
    }
    Ok(())
}
