//! Statements the connection keeps prepared.
//!
//! diesel prepares every `sql_query` and every `UPDATE` anew each time it runs them: on
//! PostgreSQL that is one more round trip and one more parse and plan per statement. A
//! [`Prepared`] statement's text is fixed apart from its bound values (`?` marks each one), so the
//! connection prepares it the first time and runs it from then on. A statement of many rows has
//! one text per number of rows; the money-moving writes use it for their few rows (an entry's
//! lines, a repayment's allocations, the fund's totals, an installment's amounts).
//!
//! A read is loaded by column name, like `sql_query`'s rows, but stays prepared.
//!
//! A [`Batch`] is writes that go to the database together, in one transaction: on PostgreSQL as
//! one statement (each write a part of one `WITH`), so they cost one round trip instead of one
//! each; on SQLite, which runs in this process and has no round trips to save, one by one. The
//! writes of a batch must not depend on each other: one statement sees the database as it was
//! before any of its parts, so no two parts may change the same row.

use std::borrow::Cow;

use chrono::{NaiveDate, NaiveDateTime};
use diesel::query_builder::{AstPass, Query, QueryFragment, QueryId};
use diesel::sql_types::{BigInt, Date, Nullable, Text, Timestamp, Untyped};
use diesel::{QueryResult, RunQueryDsl};

use super::{DbConn, MultiBackend};
use crate::error::AppResult;

/// A value bound into a [`Prepared`] statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Int(Option<i64>),
    Text(Option<Cow<'static, str>>),
    Date(Option<NaiveDate>),
    Timestamp(NaiveDateTime),
}

impl From<i64> for Value {
    fn from(v: i64) -> Self {
        Value::Int(Some(v))
    }
}

impl From<Option<i64>> for Value {
    fn from(v: Option<i64>) -> Self {
        Value::Int(v)
    }
}

impl From<&'static str> for Value {
    fn from(v: &'static str) -> Self {
        Value::Text(Some(Cow::Borrowed(v)))
    }
}

impl From<String> for Value {
    fn from(v: String) -> Self {
        Value::Text(Some(Cow::Owned(v)))
    }
}

impl From<Option<String>> for Value {
    fn from(v: Option<String>) -> Self {
        Value::Text(v.map(Cow::Owned))
    }
}

impl From<NaiveDate> for Value {
    fn from(v: NaiveDate) -> Self {
        Value::Date(Some(v))
    }
}

impl From<Option<NaiveDate>> for Value {
    fn from(v: Option<NaiveDate>) -> Self {
        Value::Date(v)
    }
}

impl From<NaiveDateTime> for Value {
    fn from(v: NaiveDateTime) -> Self {
        Value::Timestamp(v)
    }
}

/// SQL with a `?` where each value goes, and the values in order.
#[derive(Debug, Clone)]
pub struct Prepared {
    sql: String,
    values: Vec<Value>,
}

impl Prepared {
    pub fn new(sql: &str, values: Vec<Value>) -> Self {
        Prepared {
            sql: sql.to_string(),
            values,
        }
    }

    /// `head VALUES row, row, … tail`: `row` is one row's `(?, ?, …)`, repeated for every row.
    pub fn rows(head: &str, row: &str, rows: Vec<Vec<Value>>, tail: &str) -> Self {
        let mut sql = format!("{head} VALUES ");
        for i in 0..rows.len() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(row);
        }
        sql.push_str(tail);
        Prepared {
            sql,
            values: rows.into_iter().flatten().collect(),
        }
    }
}

impl QueryId for Prepared {
    type QueryId = ();
    const HAS_STATIC_QUERY_ID: bool = false;
}

impl QueryFragment<MultiBackend> for Prepared {
    fn walk_ast<'b>(&'b self, mut out: AstPass<'_, 'b, MultiBackend>) -> QueryResult<()> {
        let mut pieces = self.sql.split('?');
        let mut values = self.values.iter();
        if let Some(first) = pieces.next() {
            out.push_sql(first);
        }
        for piece in pieces {
            match values.next() {
                Some(Value::Int(v)) => out.push_bind_param::<Nullable<BigInt>, _>(v)?,
                Some(Value::Text(v)) => out.push_bind_param::<Nullable<Text>, _>(v)?,
                Some(Value::Date(v)) => out.push_bind_param::<Nullable<Date>, _>(v)?,
                Some(Value::Timestamp(v)) => out.push_bind_param::<Timestamp, _>(v)?,
                None => return Err(mismatch()),
            }
            out.push_sql(piece);
        }
        if values.next().is_some() {
            return Err(mismatch());
        }
        Ok(())
    }
}

fn mismatch() -> diesel::result::Error {
    diesel::result::Error::QueryBuilderError("a prepared statement's values do not match its ? marks".into())
}

/// A statement that reads is loaded by column name, into a `QueryableByName` row.
impl Query for Prepared {
    type SqlType = Untyped;
}

impl RunQueryDsl<DbConn> for Prepared {}

/// Writes sent together (see the module's documentation).
#[derive(Debug, Default)]
#[must_use = "a batch writes nothing until it is run"]
pub struct Batch {
    writes: Vec<Prepared>,
}

impl Batch {
    pub fn new() -> Self {
        Batch::default()
    }

    pub fn push(&mut self, write: Prepared) {
        self.writes.push(write);
    }

    /// Runs every write of the batch, in the caller's transaction.
    pub fn run(self, conn: &mut DbConn) -> AppResult<()> {
        match conn {
            DbConn::Postgres(_) => {
                if let Some(one) = self.joined() {
                    one.execute(conn)?;
                }
            }
            DbConn::Sqlite(_) => {
                for write in self.writes {
                    write.execute(conn)?;
                }
            }
        }
        Ok(())
    }

    /// The writes as one statement: `WITH w0 AS (…), w1 AS (…) last`.
    fn joined(mut self) -> Option<Prepared> {
        let last = self.writes.pop()?;
        if self.writes.is_empty() {
            return Some(last);
        }
        let mut sql = String::from("WITH ");
        let mut values = Vec::new();
        for (i, write) in self.writes.into_iter().enumerate() {
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!("w{i} AS ({})", write.sql));
            values.extend(write.values);
        }
        sql.push(' ');
        sql.push_str(&last.sql);
        values.extend(last.values);
        Some(Prepared { sql, values })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_repeat_the_row_and_keep_the_values_in_order() {
        let q = Prepared::rows(
            "INSERT INTO t (a, b)",
            "(?, ?)",
            vec![vec![1.into(), "x".into()], vec![2.into(), "y".into()]],
            " ON CONFLICT DO NOTHING",
        );
        assert_eq!(
            q.sql,
            "INSERT INTO t (a, b) VALUES (?, ?), (?, ?) ON CONFLICT DO NOTHING"
        );
        assert_eq!(q.values, vec![1.into(), "x".into(), 2.into(), "y".into()]);
    }

    #[test]
    fn a_batch_is_one_statement_with_its_values_in_order() {
        let mut batch = Batch::new();
        batch.push(Prepared::new("INSERT INTO a (x) VALUES (?)", vec![1.into()]));
        batch.push(Prepared::new(
            "UPDATE b SET y = ? WHERE id = ?",
            vec![2.into(), 3.into()],
        ));
        batch.push(Prepared::new("INSERT INTO c (z) VALUES (?)", vec![4.into()]));
        let one = batch.joined().expect("three writes");
        assert_eq!(
            one.sql,
            "WITH w0 AS (INSERT INTO a (x) VALUES (?)), w1 AS (UPDATE b SET y = ? WHERE id = ?) \
             INSERT INTO c (z) VALUES (?)"
        );
        assert_eq!(one.values, vec![1.into(), 2.into(), 3.into(), 4.into()]);
        let mut single = Batch::new();
        single.push(Prepared::new("DELETE FROM a WHERE x = ?", vec![1.into()]));
        assert_eq!(single.joined().expect("one write").sql, "DELETE FROM a WHERE x = ?");
        assert!(Batch::new().joined().is_none());
    }
}
