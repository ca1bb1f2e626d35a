//! What the page's script sends: the rows kept on the phone, as the API's batch.

use actix_web::{web, HttpRequest, HttpResponse};
use serde_json::Value;

use crate::auth::extract::PageUser;
use crate::auth::secret;
use crate::error::{AppError, AppResult};
use crate::fund::collection::api::post_collections;
use crate::money::parse_as_typed;
use crate::web::State;

/// The page's script sends the rows kept on the phone here: the API's batch, with the session
/// and the page's CSRF token (header `X-CSRF-Token`) instead of a bearer token.
pub async fn rows(
    state: State,
    user: PageUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let token = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !secret::constant_time_eq(token, &user.csrf_token) {
        return Err(AppError::Forbidden);
    }
    let lang = user.page().t.lang;
    let body = amounts_as_typed(&body)?;
    let answer = post_collections(&state, user.user.clone(), id.into_inner(), &body, lang).await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// The script sends amounts as she typed them ("60,50"): read here as every page reads them, so
/// the rule lives in one place. What cannot be read is passed on for the batch to refuse.
fn amounts_as_typed(body: &[u8]) -> AppResult<Vec<u8>> {
    let mut value: Value = serde_json::from_slice(body).map_err(|_| AppError::MalformedBody)?;
    if let Some(rows) = value.get_mut("rows").and_then(Value::as_array_mut) {
        for row in rows {
            if let Some(amount) = row.get_mut("amount") {
                if let Some(read) = amount.as_str().and_then(|typed| parse_as_typed(typed).ok()) {
                    *amount = Value::String(read.to_string());
                }
            }
        }
    }
    Ok(value.to_string().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_script_s_amounts_are_read_as_typed_and_the_unreadable_passed_on() {
        let body = br#"{"date":"2026-11-30","rows":[{"amount":"60,50"},{"amount":"1.234"},{"amount":"x"}]}"#;
        let read: Value = serde_json::from_slice(&amounts_as_typed(body).unwrap()).unwrap();
        assert_eq!(read["rows"][0]["amount"], "60.50");
        assert_eq!(
            read["rows"][1]["amount"], "1.234",
            "ambiguous: left for the batch to refuse"
        );
        assert_eq!(read["rows"][2]["amount"], "x");
    }
}
