//! What a repayment reads, once its loan is locked, besides the loan's installments — in one
//! statement, which the connection keeps prepared: what her repayments not reversed add up to,
//! up to when the fund's books are closed, how to reach her for the receipt, and the ids its
//! journal entry and the repayment itself will be written with. With the ids known before
//! anything is written, every write of the repayment goes in one batch (one round trip on
//! PostgreSQL).
//!
//! The ids are reserved, not guessed: on PostgreSQL from the tables' own sequences (`nextval`; a
//! repayment refused after it leaves a gap, as any rolled-back insert does); on SQLite from the
//! counter `AUTOINCREMENT` keeps (`sqlite_sequence`), one more than the largest id ever given, read
//! under the one write lock that the repayment's transaction holds until its commit, so no other
//! insert can take it in between.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::sql_types::{BigInt, Date, Nullable};

use super::closing::CLOSED_UP_TO_SQL;
use crate::db::prepared::Prepared;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::money::Money;
use crate::outbox::queue::Recipient;

#[derive(QueryableByName)]
pub struct RepaymentReads {
    #[diesel(sql_type = BigInt)]
    paid: i64,
    /// The day up to which the fund's books are closed, if they are.
    #[diesel(sql_type = Nullable<Date>)]
    pub closed_up_to: Option<NaiveDate>,
    /// The id reserved for the repayment's journal entry.
    #[diesel(sql_type = BigInt)]
    pub entry_id: i64,
    /// The id reserved for the repayment.
    #[diesel(sql_type = BigInt)]
    pub repayment_id: i64,
    /// The member, as her receipt needs her.
    #[diesel(embed)]
    pub her: Recipient,
}

impl RepaymentReads {
    /// Read in the repayment's transaction, after its loan is locked (`Loan::locked_to_repay`),
    /// so that no other repayment of the loan can change what it reads.
    pub fn of(conn: &mut DbConn, fund_id: i64, loan_id: i64, member_id: i64) -> AppResult<RepaymentReads> {
        let next_id = |table: &str| match conn {
            DbConn::Postgres(_) => format!("nextval(pg_get_serial_sequence('{table}', 'id'))"),
            DbConn::Sqlite(_) => {
                format!("COALESCE((SELECT seq FROM sqlite_sequence WHERE name = '{table}'), 0) + 1")
            }
        };
        let sql = format!(
            "SELECT m.id, m.first_name, m.phone, m.email, m.language, m.sms_consent, m.email_consent, \
             m.anonymized_at, \
             CAST((SELECT COALESCE(SUM(r.amount), 0) FROM repayments r WHERE r.loan_id = ? \
             AND NOT EXISTS (SELECT 1 FROM repayment_reversals v WHERE v.repayment_id = r.id)) AS BIGINT) AS paid, \
             ({CLOSED_UP_TO_SQL}) AS closed_up_to, \
             CAST({} AS BIGINT) AS entry_id, CAST({} AS BIGINT) AS repayment_id \
             FROM members m WHERE m.id = ?",
            next_id("journal_entries"),
            next_id("repayments"),
        );
        Ok(Prepared::new(&sql, vec![loan_id.into(), fund_id.into(), member_id.into()]).get_result(conn)?)
    }

    /// What her repayments not reversed add up to, before this one.
    pub fn paid(&self) -> Money {
        Money::from_centimos(self.paid)
    }
}
