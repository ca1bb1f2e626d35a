//! The batch of a meeting: what each woman paid, one row each. Each row is a repayment of its
//! own, guarded by its own idempotency key (created on her phone when the row was filled): a
//! refused row refuses only itself, and a batch sent twice — a retry on a weak signal, a reload,
//! the offline queue — posts nothing twice. The batch runs in one write transaction with the fund
//! locked first, each row in its own savepoint.

use chrono::NaiveDate;
use diesel::prelude::*;
use diesel::Connection;
use serde::Serialize;
use serde_json::{json, Value};

use crate::auth::policy::{fund_scope, loan_scope, CurrentUser};
use crate::auth::secret::digest;
use crate::clock::now;
use crate::db::schema::idempotency_keys;
use crate::db::DbConn;
use crate::error::{AppError, AppResult, FieldError};
use crate::fund::allocation::Allocation;
use crate::fund::input::{not_future, RepaymentInput};
use crate::fund::model::{Fund, Loan};
use crate::fund::repayments;
use crate::input::{optional, required, short_text, Errors, Given, Input, JsonInput};
use crate::money::Money;

/// The most rows one batch may carry (a meeting has twenty or thirty).
pub const MAX_ROWS: usize = 500;

/// Where the rows' keys are kept in `idempotency_keys`: one namespace per user for every
/// collection row, whichever fund or page sent it.
const KEY_ROUTE: &str = "collection-row";

/// A batch as sent: the meeting's date, the cash she counted, and each row as read.
pub struct Batch {
    pub date: NaiveDate,
    pub cash_counted: Option<Money>,
    pub rows: Vec<BatchRow>,
}

/// One row of a batch. A row that could not be read is refused on its own.
pub struct BatchRow {
    pub loan_id: Option<i64>,
    pub key: Option<String>,
    pub read: Result<RowInput, Vec<FieldError>>,
}

pub struct RowInput {
    pub loan_id: i64,
    pub key: String,
    pub amount: Money,
    pub receipt_number: Option<String>,
}

fn row_key(raw: &str) -> Result<String, &'static str> {
    let ok =
        !raw.is_empty() && raw.len() <= crate::idempotency::MAX_KEY_CHARS && raw.bytes().all(|b| b.is_ascii_graphic());
    ok.then(|| raw.to_string()).ok_or("idempotency_key_format")
}

fn read_row(input: &JsonInput, index: usize) -> BatchRow {
    let field = |name: &str| format!("rows[{index}].{name}");
    let named = |errors: Vec<FieldError>| {
        errors
            .into_iter()
            .map(|e| FieldError {
                field: field(&e.field),
                ..e
            })
            .collect::<Vec<_>>()
    };
    let mut e = Errors::default();
    e.extend(input.unknown_fields(&["loan_id", "amount", "receipt_number", "key"]));
    let loan_id = match e.take(input.id("loan_id")) {
        Some(Given::Text(v)) => v.parse::<i64>().ok(),
        Some(_) => {
            e.push("loan_id", "required");
            None
        }
        None => None,
    };
    let key = e.take(required(input, "key", row_key));
    let amount = e.take(required(input, "amount", Money::parse));
    let receipt_number = e
        .take(optional(input, "receipt_number", |raw| short_text(raw, 40)))
        .flatten()
        .flatten();
    let read = e
        .finish(|| {
            Some(RowInput {
                loan_id: loan_id?,
                key: key.clone()?,
                amount: amount?,
                receipt_number,
            })
        })
        .map_err(named);
    BatchRow { loan_id, key, read }
}

impl Batch {
    /// Reads a batch. What makes the whole batch unreadable (no date, no rows, cash counted that
    /// differs from the rows' sum) is a 422; a bad row is only that row's problem.
    pub fn parse(input: &JsonInput, today: NaiveDate) -> Result<Batch, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(&["date", "cash_counted", "rows"]));
        let date = e.take(required(input, "date", |raw| not_future(raw, today)));
        let cash_counted = e
            .take(optional(input, "cash_counted", Money::parse))
            .flatten()
            .flatten();
        let rows = match e.take(input.objects("rows")) {
            Some(Some(rows)) if rows.is_empty() => {
                e.push("rows", "required");
                None
            }
            Some(Some(rows)) if rows.len() > MAX_ROWS => {
                e.0.push(FieldError::with("rows", "too_many_rows", MAX_ROWS.to_string()));
                None
            }
            Some(Some(rows)) => Some(rows.iter().enumerate().map(|(i, r)| read_row(r, i)).collect::<Vec<_>>()),
            Some(None) => {
                e.push("rows", "required");
                None
            }
            None => None,
        };
        if let (Some(cash), Some(rows)) = (cash_counted, &rows) {
            let typed: Money = rows.iter().filter_map(|r| r.read.as_ref().ok()).map(|r| r.amount).sum();
            if cash != typed {
                e.0.push(FieldError::with(
                    "cash_counted",
                    "cash_counted_differs",
                    difference(cash, typed),
                ));
            }
        }
        e.finish(|| {
            Some(Batch {
                date: date?,
                cash_counted,
                rows: rows?,
            })
        })
    }

    /// The sum of the amounts of the rows that could be read.
    pub fn typed_total(&self) -> Money {
        self.rows
            .iter()
            .filter_map(|r| r.read.as_ref().ok())
            .map(|r| r.amount)
            .sum()
    }
}

/// How far the cash counted is from what was typed, as she reads it ("S/ 5.00 más").
pub fn difference(cash: Money, typed: Money) -> String {
    if cash > typed {
        format!("+{}", cash - typed)
    } else {
        format!("-{}", typed - cash)
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum RowStatus {
    Posted,
    Replayed,
    Refused,
    Skipped,
}

impl RowStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RowStatus::Posted => "posted",
            RowStatus::Replayed => "replayed",
            RowStatus::Refused => "refused",
            RowStatus::Skipped => "skipped",
        }
    }

    /// The row's repayment exists (posted now, or by an earlier sending of the same row).
    pub fn counted(self) -> bool {
        matches!(self, RowStatus::Posted | RowStatus::Replayed)
    }
}

/// What became of one row.
#[derive(Debug)]
pub struct RowOutcome {
    pub loan_id: Option<i64>,
    pub key: Option<String>,
    pub status: RowStatus,
    pub amount: Money,
    pub repayment_id: Option<i64>,
    pub allocation: Option<Allocation>,
    pub errors: Vec<FieldError>,
}

#[derive(Debug)]
pub struct BatchOutcome {
    pub rows: Vec<RowOutcome>,
    /// What this batch posted now (replayed rows were counted the first time).
    pub posted_total: Money,
}

impl BatchOutcome {
    /// The answer of the API and of the page's script, messages in `tr`'s language.
    pub fn to_json(&self, tr: crate::i18n::Tr) -> Value {
        let rows: Vec<Value> = self
            .rows
            .iter()
            .map(|r| {
                let mut row = json!({"loan_id": r.loan_id, "key": r.key, "status": r.status});
                if let Some(id) = r.repayment_id {
                    row["repayment_id"] = json!(id);
                }
                if let Some(a) = &r.allocation {
                    row["allocation"] = json!(a);
                }
                if !r.errors.is_empty() {
                    row["errors"] = r
                        .errors
                        .iter()
                        .map(|e| json!({"field": e.field, "code": e.code, "message": e.message(tr)}))
                        .collect();
                }
                row
            })
            .collect();
        json!({"rows": rows, "posted_total": self.posted_total})
    }
}

/// Posts a batch on a fund: the fund locked first (so batches on one fund never interleave and
/// never deadlock on each other's keys), then each row in its own savepoint.
pub fn post_batch(
    conn: &mut DbConn,
    actor: &CurrentUser,
    fund_id: i64,
    batch: Batch,
    today: NaiveDate,
) -> AppResult<BatchOutcome> {
    let fund = Fund::find_scoped(conn, &fund_scope(actor), fund_id)?;
    Fund::lock(conn, fund.id)?;
    let date = batch.date;
    let mut rows = Vec::with_capacity(batch.rows.len());
    for (index, row) in batch.rows.into_iter().enumerate() {
        rows.push(post_row(conn, actor, &fund, date, (index, row), today)?);
    }
    let posted_total = rows
        .iter()
        .filter(|r| r.status == RowStatus::Posted)
        .map(|r| r.amount)
        .sum();
    Ok(BatchOutcome { rows, posted_total })
}

fn outcome(row: &BatchRow, status: RowStatus, errors: Vec<FieldError>) -> RowOutcome {
    RowOutcome {
        loan_id: row.loan_id,
        key: row.key.clone(),
        status,
        amount: row.read.as_ref().map_or(Money::ZERO, |r| r.amount),
        repayment_id: None,
        allocation: None,
        errors,
    }
}

/// A row's refusal as field errors: what the repayment said, or why the loan cannot take it.
/// Anything else (the database failing) is not the row's fault and fails the batch.
fn refusal(error: AppError, index_field: &str) -> Result<Vec<FieldError>, AppError> {
    match error {
        AppError::Invalid(errors) => Ok(errors
            .into_iter()
            .map(|e| FieldError {
                field: format!("{index_field}.{}", e.field),
                ..e
            })
            .collect()),
        AppError::Conflict(code) => Ok(vec![FieldError::new(format!("{index_field}.loan_id"), code)]),
        AppError::BooksClosed(date) => Ok(vec![FieldError::with("date", "books_closed", date.to_string())]),
        AppError::NotFound => Ok(vec![FieldError::new(format!("{index_field}.loan_id"), "not_found")]),
        other => Err(other),
    }
}

fn post_row(
    conn: &mut DbConn,
    actor: &CurrentUser,
    fund: &Fund,
    date: NaiveDate,
    (index, row): (usize, BatchRow),
    today: NaiveDate,
) -> AppResult<RowOutcome> {
    let input = match &row.read {
        Err(errors) => return Ok(outcome(&row, RowStatus::Refused, errors.clone())),
        Ok(input) => input,
    };
    if input.amount.is_zero() {
        return Ok(outcome(&row, RowStatus::Skipped, Vec::new()));
    }
    let field = format!("rows[{index}]");
    let hash = digest(&format!(
        "{}|{}|{}|{}|{}",
        fund.id,
        input.loan_id,
        date,
        input.amount,
        input.receipt_number.as_deref().unwrap_or("")
    ));
    let stored = |conn: &mut DbConn| -> AppResult<Option<(String, String)>> {
        Ok(idempotency_keys::table
            .find((actor.id, KEY_ROUTE, &input.key))
            .select((idempotency_keys::request_hash, idempotency_keys::body))
            .get_result(conn)
            .optional()?)
    };
    let replay = |row: &BatchRow, (stored_hash, body): (String, String)| {
        if stored_hash != hash {
            return outcome(
                row,
                RowStatus::Refused,
                vec![FieldError::new(format!("{field}.key"), "idempotency_key_reused")],
            );
        }
        let value: Value = serde_json::from_str(&body).unwrap_or_default();
        RowOutcome {
            repayment_id: value["repayment_id"].as_i64(),
            allocation: allocation_of(&value["allocation"]),
            ..outcome(row, RowStatus::Replayed, Vec::new())
        }
    };
    if let Some(found) = stored(conn)? {
        return Ok(replay(&row, found));
    }
    let repayment = RepaymentInput {
        amount: input.amount,
        date,
        receipt_number: input.receipt_number.clone(),
    };
    let attempt = conn.transaction::<_, AppError, _>(|conn| {
        diesel::insert_into(idempotency_keys::table)
            .values((
                idempotency_keys::user_id.eq(actor.id),
                idempotency_keys::route.eq(KEY_ROUTE),
                idempotency_keys::key.eq(&input.key),
                idempotency_keys::request_hash.eq(&hash),
                idempotency_keys::status.eq(201),
                idempotency_keys::body.eq(""),
                idempotency_keys::created_at.eq(now()),
            ))
            .execute(conn)?;
        // Out of her reach is "not found", before anything is said about which fund it is in.
        let loan = Loan::find_scoped(conn, &loan_scope(actor), input.loan_id)?;
        if loan.fund_id != fund.id {
            return Err(AppError::invalid("loan_id", "loan_not_in_fund"));
        }
        let posted = repayments::post(conn, actor, input.loan_id, &repayment, today)?;
        let body = json!({"repayment_id": posted.id, "allocation": posted.allocation}).to_string();
        diesel::update(idempotency_keys::table.find((actor.id, KEY_ROUTE, &input.key)))
            .set(idempotency_keys::body.eq(&body))
            .execute(conn)?;
        Ok(posted)
    });
    match attempt {
        Ok(posted) => Ok(RowOutcome {
            repayment_id: Some(posted.id),
            allocation: Some(posted.allocation),
            ..outcome(&row, RowStatus::Posted, Vec::new())
        }),
        // Another request took the key meanwhile (PostgreSQL waited for it to commit): its answer.
        Err(AppError::Conflict("duplicate")) => match stored(conn)? {
            Some(found) => Ok(replay(&row, found)),
            None => Err(AppError::Conflict("idempotency_in_flight")),
        },
        Err(e) => refusal(e, &field).map(|errors| outcome(&row, RowStatus::Refused, errors)),
    }
}

fn allocation_of(value: &Value) -> Option<Allocation> {
    let part = |name: &str| value[name].as_str().and_then(|s| Money::parse(s).ok());
    Some(Allocation {
        penalties: part("penalties")?,
        interest: part("interest")?,
        principal: part("principal")?,
    })
}
