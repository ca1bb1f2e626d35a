//! The audit log: who did what to which record, when, with the record before and after.
//! Written in the same transaction as the change it describes. Never holds passwords or tokens.

pub mod api;
pub mod pages;

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::Value;

use crate::clock::now;
use crate::db::prepared::Prepared;
use crate::db::schema::audit_log;
use crate::db::DbConn;
use crate::error::AppResult;

/// What stands in for personal data in the audit rows of an anonymised member.
pub const REDACTED: &str = r#"{"redacted":true}"#;

pub fn record(
    conn: &mut DbConn,
    user_id: Option<i64>,
    action: &str,
    entity: &str,
    entity_id: Option<i64>,
    before: Option<&Value>,
    after: Option<&Value>,
) -> AppResult<()> {
    line(user_id, action, entity, entity_id, before, after).execute(conn)?;
    Ok(())
}

/// The write of one audit line, for a caller that sends its writes together (a [`Batch`](crate::db::prepared::Batch)).
pub fn line(
    user_id: Option<i64>,
    action: &str,
    entity: &str,
    entity_id: Option<i64>,
    before: Option<&Value>,
    after: Option<&Value>,
) -> Prepared {
    Prepared::new(
        "INSERT INTO audit_log (at, user_id, action, entity, entity_id, before, after) VALUES (?, ?, ?, ?, ?, ?, ?)",
        vec![
            now().into(),
            user_id.into(),
            action.to_string().into(),
            entity.to_string().into(),
            entity_id.into(),
            before.map(Value::to_string).into(),
            after.map(Value::to_string).into(),
        ],
    )
}

/// Serialises a record for the log; a value that cannot be serialised is logged as null.
pub fn snapshot<T: Serialize>(value: &T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

#[derive(Debug, Queryable, Selectable)]
#[diesel(table_name = audit_log)]
pub struct AuditRow {
    pub id: i64,
    pub at: NaiveDateTime,
    pub user_id: Option<i64>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<i64>,
    pub before: Option<String>,
    pub after: Option<String>,
}

#[derive(Debug, Default, Clone)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<i64>,
}

pub fn list(conn: &mut DbConn, filter: &AuditFilter, limit: i64, offset: i64) -> AppResult<(Vec<AuditRow>, i64)> {
    let query = || {
        let mut q = audit_log::table.into_boxed();
        if let Some(entity) = &filter.entity {
            q = q.filter(audit_log::entity.eq(entity.clone()));
        }
        if let Some(id) = filter.entity_id {
            q = q.filter(audit_log::entity_id.eq(id));
        }
        q
    };
    let total = query().count().get_result(conn)?;
    let rows = query()
        .order(audit_log::id.desc())
        .limit(limit)
        .offset(offset)
        .select(AuditRow::as_select())
        .load(conn)?;
    Ok((rows, total))
}

/// Replaces the recorded values of one record's audit rows (anonymisation, Ley 29733):
/// who did what and when stays; what the person's data was does not.
pub fn redact(conn: &mut DbConn, entity: &str, entity_id: i64) -> AppResult<()> {
    let rows = || {
        audit_log::table
            .filter(audit_log::entity.eq(entity))
            .filter(audit_log::entity_id.eq(entity_id))
    };
    diesel::update(rows().filter(audit_log::before.is_not_null()))
        .set(audit_log::before.eq(REDACTED))
        .execute(conn)?;
    diesel::update(rows().filter(audit_log::after.is_not_null()))
        .set(audit_log::after.eq(REDACTED))
        .execute(conn)?;
    Ok(())
}

/// The entities `GET /audit?entity=` accepts (the singular resource names of the API).
pub const ENTITIES: &[&str] = &[
    "user",
    "organization",
    "member",
    "fund",
    "loan",
    "repayment",
    "training",
    "committee",
    "action",
    "notice",
];
