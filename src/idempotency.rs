//! `Idempotency-Key` for writes that move money (shared/API.md): the same key with the same body
//! gets the first answer again; with a different body, 422; while the first is still running, 409.
//!
//! The key row is inserted in the same transaction as the write it guards, so a write and its
//! answer are recorded together or not at all. A second request with the same key waits on the
//! unique index (PostgreSQL) or the write lock (SQLite) and then replays the stored answer.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::secret::digest;
use crate::clock::now;
use crate::db::prepared::Prepared;
use crate::db::schema::idempotency_keys;
use crate::db::{Db, DbConn};
use crate::error::{AppError, AppResult};

pub const HEADER: &str = "Idempotency-Key";
pub const MAX_KEY_CHARS: usize = 64;

/// The key of a request, if it sent one: 1–64 visible ASCII characters.
pub fn key_of(req: &HttpRequest) -> AppResult<Option<String>> {
    let Some(value) = req.headers().get(HEADER) else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(key) if !key.is_empty() && key.len() <= MAX_KEY_CHARS && key.bytes().all(|b| b.is_ascii_graphic()) => {
            Ok(Some(key.to_string()))
        }
        _ => Err(AppError::invalid(HEADER, "idempotency_key_format")),
    }
}

type Stored = (String, i64, String);

fn find(conn: &mut DbConn, user_id: i64, route: &str, key: &str) -> AppResult<Option<Stored>> {
    Ok(idempotency_keys::table
        .find((user_id, route, key))
        .select((
            idempotency_keys::request_hash,
            idempotency_keys::status,
            idempotency_keys::body,
        ))
        .get_result(conn)
        .optional()?)
}

/// The mark of an answer kept deflated and in base64. A loan's answer carries its whole schedule
/// and was most of the bytes a repayment wrote (2.1 KB of ~5 KB); deflated it is a fifth of that.
/// Answers kept as plain JSON (the collection sheet's rows, keys written before) start with `{`
/// and are read as they are.
const PACKED: &str = "deflate:";

/// The answer as it is kept with its key.
fn pack(json: &str) -> AppResult<String> {
    use base64::Engine;
    use std::io::Write;
    let mut deflater = flate2::write::DeflateEncoder::new(Vec::new(), flate2::Compression::default());
    deflater
        .write_all(json.as_bytes())
        .and_then(|()| deflater.finish())
        .map(|bytes| {
            format!(
                "{PACKED}{}",
                base64::engine::general_purpose::STANDARD_NO_PAD.encode(bytes)
            )
        })
        .map_err(|e| AppError::internal(format!("cannot deflate an answer: {e}")))
}

/// The answer as it was first sent, from what is kept.
fn unpack(kept: String) -> AppResult<String> {
    use base64::Engine;
    use std::io::Read;
    let Some(packed) = kept.strip_prefix(PACKED) else {
        return Ok(kept);
    };
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(packed)
        .map_err(|e| AppError::internal(format!("a kept answer is not base64: {e}")))?;
    let mut json = String::new();
    flate2::read::DeflateDecoder::new(bytes.as_slice())
        .read_to_string(&mut json)
        .map_err(|e| AppError::internal(format!("a kept answer does not inflate: {e}")))?;
    Ok(json)
}

fn replay(stored: Stored, request_hash: &str) -> AppResult<(StatusCode, String)> {
    let (hash, status, kept) = stored;
    if hash != request_hash {
        return Err(AppError::invalid(HEADER, "idempotency_key_reused"));
    }
    let body = unpack(kept)?;
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::OK);
    Ok((status, body))
}

/// Runs `action` in one write transaction, guarded by the request's key if it sent one, and
/// answers with its JSON (or the stored JSON of the first request with that key).
pub async fn run<T, F>(
    db: &Db,
    user_id: i64,
    route: String,
    key: Option<String>,
    body: &[u8],
    status: StatusCode,
    action: F,
) -> AppResult<HttpResponse>
where
    T: Serialize + Send + 'static,
    F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
{
    let (status, body) = once(db, user_id, route, key, body, status, action).await?;
    Ok(HttpResponse::build(status).content_type("application/json").body(body))
}

/// For an API route: the key from the request's header, the route from its path.
pub async fn respond<T, F>(
    db: &Db,
    req: &HttpRequest,
    user_id: i64,
    body: &[u8],
    status: StatusCode,
    action: F,
) -> AppResult<HttpResponse>
where
    T: Serialize + Send + 'static,
    F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
{
    let key = key_of(req)?;
    run(db, user_id, req.path().to_string(), key, body, status, action).await
}

/// The same, answering with the status and JSON text (for pages, which redirect on success).
pub async fn once<T, F>(
    db: &Db,
    user_id: i64,
    route: String,
    key: Option<String>,
    body: &[u8],
    status: StatusCode,
    action: F,
) -> AppResult<(StatusCode, String)>
where
    T: Serialize + Send + 'static,
    F: FnOnce(&mut DbConn) -> AppResult<T> + Send + 'static,
{
    let Some(key) = key else {
        let value = db.write(action).await?;
        let text = serde_json::to_string(&value).map_err(|e| AppError::internal(e.to_string()))?;
        return Ok((status, text));
    };
    let request_hash = digest(&String::from_utf8_lossy(body));
    let (route2, key2, hash2) = (route.clone(), key.clone(), request_hash.clone());
    let outcome = db
        .write(move |conn| {
            // The placeholder takes the key first: a key already taken — by a request answered
            // before, or by a twin in flight that this one waits on — fails here with a duplicate
            // (below: the stored answer is replayed). Not looked up first: one statement less for
            // every new request.
            diesel::insert_into(idempotency_keys::table)
                .values((
                    idempotency_keys::user_id.eq(user_id),
                    idempotency_keys::route.eq(&route2),
                    idempotency_keys::key.eq(&key2),
                    idempotency_keys::request_hash.eq(&hash2),
                    idempotency_keys::status.eq(0),
                    idempotency_keys::body.eq(""),
                    idempotency_keys::created_at.eq(now()),
                ))
                .execute(conn)?;
            let value = action(conn)?;
            let body = serde_json::to_string(&value).map_err(|e| AppError::internal(e.to_string()))?;
            Prepared::new(
                "UPDATE idempotency_keys SET status = ?, body = ? WHERE user_id = ? AND route = ? AND \"key\" = ?",
                vec![
                    i64::from(status.as_u16()).into(),
                    pack(&body)?.into(),
                    user_id.into(),
                    route2.into(),
                    key2.into(),
                ],
            )
            .execute(conn)?;
            Ok(body)
        })
        .await;
    match outcome {
        Ok(body) => Ok((status, body)),
        // Answered before, or the twin committed first: answer as it did. Still nothing stored:
        // it is in flight.
        Err(AppError::Conflict("duplicate")) => {
            let stored = db.read(move |conn| find(conn, user_id, &route, &key)).await?;
            match stored {
                Some(stored) if stored.1 != 0 => replay(stored, &request_hash),
                _ => Err(AppError::Conflict("idempotency_in_flight")),
            }
        }
        Err(other) => Err(other),
    }
}

/// How long a key and its answer are kept, `PALLAY_IDEMPOTENCY_DAYS` (default 30): longer than a
/// phone stays offline with a meeting's rows queued (a week or more), so a row sent again when the
/// signal returns still replays its first answer. After that the key is forgotten: the same key
/// would then be a new request.
pub fn retention_from_env() -> Result<chrono::Duration, String> {
    match std::env::var("PALLAY_IDEMPOTENCY_DAYS") {
        Ok(v) if !v.trim().is_empty() => v
            .trim()
            .parse::<i64>()
            .ok()
            .filter(|d| (7..=3650).contains(d))
            .map(chrono::Duration::days)
            .ok_or_else(|| format!("PALLAY_IDEMPOTENCY_DAYS must be a number of days from 7 to 3650, not {v:?}")),
        _ => Ok(chrono::Duration::days(30)),
    }
}

/// Removes the keys made before `before`, with their stored answers; returns how many.
pub fn forget_before(conn: &mut DbConn, before: chrono::NaiveDateTime) -> AppResult<usize> {
    Ok(diesel::delete(idempotency_keys::table.filter(idempotency_keys::created_at.lt(before))).execute(conn)?)
}

/// In `pallay serve`: every hour, the keys past their retention are removed (a failure is logged
/// and tried again the next hour).
pub fn spawn_forgetting(db: Db, keep: chrono::Duration) -> Result<(), String> {
    crate::maintenance::every_hour("idempotency-keys", move || {
        let before = now() - keep;
        match db
            .get()
            .and_then(|mut conn| crate::db::write_transaction(&mut conn, |c| forget_before(c, before)))
        {
            Ok(0) => {}
            Ok(n) => tracing::info!(keys = n, "idempotency keys past their retention removed"),
            Err(e) => tracing::warn!(error = %e, "could not remove old idempotency keys"),
        }
    })
}

#[cfg(test)]
mod tests {
    use super::{pack, unpack, PACKED};

    #[test]
    fn an_answer_comes_back_as_it_was_sent_and_kept_smaller() {
        let schedule: Vec<String> = (1..=12)
            .map(|n| format!(r#"{{"number":{n},"due_date":"2027-{n:02}-13","principal":"25.00","interest":"6.00","paid":"0.00"}}"#))
            .collect();
        let json = format!(
            r#"{{"id":7,"loan":{{"schedule":[{}]}},"nota":"año ñandú"}}"#,
            schedule.join(",")
        );
        let kept = pack(&json).unwrap();
        assert!(kept.starts_with(PACKED));
        assert!(
            kept.len() * 3 < json.len(),
            "{} bytes kept for {}",
            kept.len(),
            json.len()
        );
        assert_eq!(unpack(kept).unwrap(), json);
    }

    #[test]
    fn a_plain_answer_is_read_as_it_is() {
        assert_eq!(unpack(r#"{"repayment_id":3}"#.into()).unwrap(), r#"{"repayment_id":3}"#);
        assert_eq!(unpack(String::new()).unwrap(), "");
    }

    #[test]
    fn a_damaged_answer_is_an_error_not_a_wrong_answer() {
        assert!(unpack(format!("{PACKED}not base64!")).is_err());
        assert!(unpack(format!("{PACKED}AAAA")).is_err());
    }
}
