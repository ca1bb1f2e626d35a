//! `pallay check`: is this database sound? Each check is one question asked of the tables
//! directly (not through the code that wrote them), and each answer that is not "yes" is a
//! problem naming its table and rows. The journal is the truth; everything else must agree with it.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamp};

use super::ask;
use crate::db::DbConn;
use crate::money::Money;

/// One thing found wrong: which check, and what (table, rows, amounts).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    pub check: &'static str,
    pub detail: String,
}

impl std::fmt::Display for Problem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.check, self.detail)
    }
}

/// What the checks ask. `schema` may be left out when a backup older than this program is
/// checked before it is restored (`serve` migrates it).
pub struct Checks {
    pub schema: bool,
}

#[derive(QueryableByName)]
struct Row3 {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = BigInt)]
    a: i64,
    #[diesel(sql_type = BigInt)]
    b: i64,
}

#[derive(QueryableByName)]
struct Id {
    #[diesel(sql_type = BigInt)]
    id: i64,
}

#[derive(QueryableByName)]
struct CashDay {
    #[diesel(sql_type = BigInt)]
    fund_id: i64,
    #[diesel(sql_type = Date)]
    date: NaiveDate,
    #[diesel(sql_type = BigInt)]
    amount: i64,
}

#[derive(QueryableByName)]
struct Line {
    #[diesel(sql_type = Text)]
    line: String,
}

#[derive(QueryableByName)]
struct Key {
    #[diesel(sql_type = BigInt)]
    user_id: i64,
    #[diesel(sql_type = Text)]
    key: String,
    #[diesel(sql_type = Text)]
    body: String,
}

#[derive(QueryableByName)]
struct Lease {
    #[diesel(sql_type = BigInt)]
    id: i64,
    #[diesel(sql_type = Nullable<Timestamp>)]
    lease_until: Option<NaiveDateTime>,
}

fn money(centimos: i64) -> Money {
    Money::from_centimos(centimos)
}

/// Every check, every problem. An `Err` means a check could not be asked at all (the database
/// is unreadable, a table is missing): that is a problem too, and the caller says so.
pub fn check(conn: &mut DbConn, checks: &Checks) -> Result<Vec<Problem>, String> {
    let mut problems = Vec::new();
    let mut found = |check: &'static str, detail: String| problems.push(Problem { check, detail });

    if let DbConn::Sqlite(_) = conn {
        for row in ask::<Line>(conn, "SELECT integrity_check AS line FROM pragma_integrity_check")? {
            if row.line != "ok" {
                found("integrity", row.line);
            }
        }
        let sql = "SELECT \"table\" || ' row ' || COALESCE(CAST(rowid AS TEXT), '?') || ' points at a missing ' || parent AS line \
                   FROM pragma_foreign_key_check";
        for row in ask::<Line>(conn, sql)? {
            found("foreign_keys", row.line);
        }
    }
    if checks.schema {
        match crate::db::has_pending_migrations(conn) {
            Ok(false) => {}
            Ok(true) => found("schema", "migrations are pending: `pallay migrate` applies them".into()),
            Err(e) => found("schema", e),
        }
    }

    let sql = "SELECT e.id AS id, CAST(COALESCE(SUM(l.debit), 0) AS BIGINT) AS a, CAST(COALESCE(SUM(l.credit), 0) AS BIGINT) AS b \
               FROM journal_entries e LEFT JOIN journal_lines l ON l.entry_id = e.id GROUP BY e.id \
               HAVING COALESCE(SUM(l.debit), 0) <> COALESCE(SUM(l.credit), 0) OR COUNT(l.id) = 0 ORDER BY e.id";
    for r in ask::<Row3>(conn, sql)? {
        found(
            "journal",
            format!(
                "journal_entries {}: debits {} ≠ credits {} (or no lines)",
                r.id,
                money(r.a),
                money(r.b)
            ),
        );
    }
    let sql = "SELECT e.fund_id AS id, CAST(SUM(l.debit) AS BIGINT) AS a, CAST(SUM(l.credit) AS BIGINT) AS b FROM journal_lines l \
               JOIN journal_entries e ON e.id = l.entry_id GROUP BY e.fund_id HAVING SUM(l.debit) <> SUM(l.credit)";
    for r in ask::<Row3>(conn, sql)? {
        found(
            "trial_balance",
            format!("fund {}: debits {} ≠ credits {}", r.id, money(r.a), money(r.b)),
        );
    }

    let sql = "SELECT e.fund_id AS fund_id, e.date AS date, CAST(SUM(l.debit - l.credit) AS BIGINT) AS amount FROM journal_lines l \
               JOIN journal_entries e ON e.id = l.entry_id WHERE l.account = 'cash' \
               GROUP BY e.fund_id, e.date ORDER BY e.fund_id, e.date";
    let (mut fund, mut cash) = (0, 0);
    for day in ask::<CashDay>(conn, sql)? {
        if day.fund_id != fund {
            (fund, cash) = (day.fund_id, 0);
        }
        cash += day.amount;
        if cash < 0 {
            found(
                "cash",
                format!("fund {}: cash is {} at the end of {}", fund, money(cash), day.date),
            );
        }
    }

    let sql = "SELECT i.id AS id, i.principal_paid + i.interest_paid + i.penalty_paid AS a, \
               CAST(COALESCE(s.p, 0) + COALESCE(s.i, 0) + COALESCE(s.pe, 0) AS BIGINT) AS b FROM installments i LEFT JOIN \
               (SELECT a.installment_id AS installment_id, SUM(a.principal) AS p, SUM(a.interest) AS i, SUM(a.penalty) AS pe \
                FROM repayment_allocations a WHERE a.repayment_id NOT IN (SELECT repayment_id FROM repayment_reversals) \
                GROUP BY a.installment_id) s ON s.installment_id = i.id \
               WHERE i.principal_paid <> COALESCE(s.p, 0) OR i.interest_paid <> COALESCE(s.i, 0) \
                  OR i.penalty_paid <> COALESCE(s.pe, 0) ORDER BY i.id";
    for r in ask::<Row3>(conn, sql)? {
        found(
            "installments",
            format!(
                "installments {}: paid {} but the allocations of its repayments say {}",
                r.id,
                money(r.a),
                money(r.b)
            ),
        );
    }

    let sql = "SELECT r.id AS id, r.amount AS a, CAST(COALESCE(SUM(l.debit), 0) AS BIGINT) AS b FROM repayments r \
               LEFT JOIN journal_lines l ON l.entry_id = r.entry_id AND l.account = 'cash' \
               GROUP BY r.id, r.amount, r.penalties, r.interest, r.principal \
               HAVING COALESCE(SUM(l.debit), 0) <> r.amount OR r.penalties + r.interest + r.principal <> r.amount ORDER BY r.id";
    for r in ask::<Row3>(conn, sql)? {
        found(
            "repayments",
            format!(
                "repayments {}: {} received but its journal entry puts {} in cash (or its split differs)",
                r.id,
                money(r.a),
                money(r.b)
            ),
        );
    }
    let sql = "SELECT r.id AS id, r.principal + r.interest + r.penalties AS a, \
               CAST(COALESCE(SUM(a.principal + a.interest + a.penalty), 0) AS BIGINT) AS b FROM repayments r \
               LEFT JOIN repayment_allocations a ON a.repayment_id = r.id \
               GROUP BY r.id, r.principal, r.interest, r.penalties \
               HAVING COALESCE(SUM(a.principal), 0) <> r.principal OR COALESCE(SUM(a.interest), 0) <> r.interest \
                  OR COALESCE(SUM(a.penalty), 0) <> r.penalties ORDER BY r.id";
    for r in ask::<Row3>(conn, sql)? {
        found(
            "allocations",
            format!("repayments {}: split {} but allocated {}", r.id, money(r.a), money(r.b)),
        );
    }

    // Each loan's receivable in the journal: what was lent less the principal repaid (nothing
    // once written off, the rest having gone to losses).
    let sql = "SELECT l.id AS id, \
               CAST(CASE WHEN l.status = 'written_off' THEN 0 ELSE l.principal - COALESCE((SELECT SUM(i.principal_paid) \
                    FROM installments i WHERE i.loan_id = l.id), 0) END AS BIGINT) AS a, \
               CAST(COALESCE((SELECT SUM(jl.debit - jl.credit) FROM journal_lines jl JOIN journal_entries je ON je.id = jl.entry_id \
                         WHERE je.loan_id = l.id AND jl.account = 'loans_receivable'), 0) AS BIGINT) AS b \
               FROM loans l WHERE l.status IN ('disbursed', 'repaid', 'written_off') ORDER BY l.id";
    for r in ask::<Row3>(conn, sql)?.into_iter().filter(|r| r.a != r.b) {
        found(
            "loans",
            format!(
                "loans {}: {} still owed by its installments but {} in the journal",
                r.id,
                money(r.a),
                money(r.b)
            ),
        );
    }

    let sql = "SELECT repayment_id AS id FROM repayment_reversals GROUP BY repayment_id HAVING COUNT(*) > 1 ORDER BY repayment_id";
    for r in ask::<Id>(conn, sql)? {
        found("reversals", format!("repayments {}: reversed more than once", r.id));
    }
    let sql = "SELECT v.id AS id FROM repayment_reversals v JOIN repayments r ON r.id = v.repayment_id \
               JOIN journal_entries e ON e.id = v.entry_id \
               WHERE e.reverses_entry_id IS NULL OR e.reverses_entry_id <> r.entry_id ORDER BY v.id";
    for r in ask::<Id>(conn, sql)? {
        found(
            "reversals",
            format!(
                "repayment_reversals {}: its entry does not reverse the entry of the repayment",
                r.id
            ),
        );
    }

    // Tables a backup older than this program may not have yet (it is migrated when restored).
    if has_table(conn, "fund_balances")? {
        super::check_totals::running_totals(conn, &mut found)?;
    }
    if has_table(conn, "settled_loan_totals")? {
        super::check_totals::settled_totals(conn, &mut found)?;
    }
    if has_table(conn, "loan_reschedules")? {
        reschedules(conn, &mut found)?;
    }

    // A key's answer is written in the transaction of the write it guards: a placeholder left
    // behind, or an answer naming a repayment that does not exist, means a write was half done.
    let sql =
        "SELECT user_id, key, body FROM idempotency_keys WHERE status = 0 OR body = '' OR route = 'collection-row'";
    let keys = ask::<Key>(conn, sql)?;
    let posted: std::collections::HashSet<i64> = ask::<Id>(conn, "SELECT id FROM repayments")?
        .into_iter()
        .map(|r| r.id)
        .collect();
    for k in keys {
        let named = serde_json::from_str::<serde_json::Value>(&k.body)
            .ok()
            .and_then(|v| v["repayment_id"].as_i64());
        match named {
            _ if k.body.is_empty() => found(
                "idempotency",
                format!("idempotency_keys (user {}, key {}): no answer stored", k.user_id, k.key),
            ),
            Some(id) if !posted.contains(&id) => found(
                "idempotency",
                format!(
                    "idempotency_keys (user {}, key {}): names repayment {id}, which does not exist",
                    k.user_id, k.key
                ),
            ),
            _ => {}
        }
    }

    // The notice worker takes a lease for its term and renews or frees it; one left an hour past
    // its term means nobody is working the outbox (the next worker round takes it back).
    let stale = crate::clock::now() - chrono::Duration::hours(1);
    for lease in ask::<Lease>(
        conn,
        "SELECT id, lease_until FROM notices WHERE lease_until IS NOT NULL",
    )? {
        if let Some(until) = lease.lease_until.filter(|until| *until < stale) {
            found(
                "notices",
                format!("notices {}: leased by nobody since {until}", lease.id),
            );
        }
    }
    Ok(problems)
}

/// A reschedule's new plan repays exactly the principal it carried.
fn reschedules(conn: &mut DbConn, found: &mut impl FnMut(&'static str, String)) -> Result<(), String> {
    let sql = "SELECT r.id AS id, COALESCE(r.principal, 0) AS a, \
               CAST(COALESCE((SELECT SUM(i.principal) FROM installments i \
                              WHERE i.loan_id = r.loan_id AND i.starts_on = r.date), 0) AS BIGINT) AS b \
               FROM loan_reschedules r WHERE r.status = 'approved' ORDER BY r.id";
    for r in ask::<Row3>(conn, sql)?.into_iter().filter(|r| r.a != r.b) {
        found(
            "reschedules",
            format!(
                "loan_reschedules {}: carried {} of principal but its plan repays {}",
                r.id,
                money(r.a),
                money(r.b)
            ),
        );
    }
    Ok(())
}

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// Whether the database has this table.
fn has_table(conn: &mut DbConn, name: &str) -> Result<bool, String> {
    let sql = match conn {
        DbConn::Sqlite(_) => {
            format!("SELECT COUNT(*) AS n FROM sqlite_master WHERE type = 'table' AND name = '{name}'")
        }
        DbConn::Postgres(_) => {
            format!("SELECT COUNT(*) AS n FROM information_schema.tables WHERE table_name = '{name}'")
        }
    };
    Ok(ask::<Count>(conn, &sql)?.first().is_some_and(|c| c.n > 0))
}
