//! The notices' JSON routes (shared/API.md): statements on request, the outbox, retrying a failed
//! notice, and the SMS gateway's inbound messages.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::inbound::{receive, signature_valid};
use super::service::{queue_statements, retry_notice, NoticesQuery};
use crate::auth::extract::ApiUser;
use crate::auth::policy::{authorize, member_scope, Action};
use crate::clock::now;
use crate::error::{AppError, AppResult};
use crate::input::{Errors, Given, Input};
use crate::outbox::model::Notice;
use crate::web::json::{json_input, List};
use crate::web::routes::Routes;
use crate::web::{paging, State};

#[derive(Serialize)]
pub struct Queued {
    pub queued: usize,
}

#[utoipa::path(post, path = "/api/v1/notices/balance", responses((status = 202), (status = 404), (status = 422)))]
pub async fn send_statements(state: State, ApiUser(user): ApiUser, body: web::Bytes) -> AppResult<HttpResponse> {
    authorize(&user, Action::ManageNotices)?;
    let today = state.clock.today();
    let input = json_input(&body)?;
    let mut e = Errors::default();
    e.extend(input.unknown_fields(&["fund_id"]));
    let fund_id = match e.take(input.id("fund_id")) {
        Some(Given::Text(v)) => v.parse::<i64>().ok(),
        Some(_) => {
            e.push("fund_id", "required");
            None
        }
        None => None,
    };
    let fund_id = e.finish(|| fund_id).map_err(AppError::Invalid)?;
    let queued = state
        .db
        .write(move |conn| queue_statements(conn, &user, fund_id, today))
        .await?;
    Ok(HttpResponse::Accepted().json(Queued { queued }))
}

#[utoipa::path(get, path = "/api/v1/notices", responses((status = 200), (status = 422)))]
pub async fn list_notices(
    state: State,
    ApiUser(user): ApiUser,
    query: web::Query<NoticesQuery>,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::ManageNotices)?;
    let (limit, offset) = paging(query.limit.as_deref(), query.offset.as_deref())?;
    let filter = query.filter()?;
    let scope = member_scope(&user);
    let (items, total) = state
        .db
        .read(move |conn| Notice::search(conn, &scope, &filter, limit, offset))
        .await?;
    Ok(HttpResponse::Ok().json(List { items, total }))
}

#[utoipa::path(post, path = "/api/v1/notices/{id}/retry", responses((status = 200), (status = 404), (status = 409)))]
pub async fn retry_failed(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user, Action::ManageNotices)?;
    let id = id.into_inner();
    let notice = state.db.write(move |conn| retry_notice(conn, &user, id)).await?;
    Ok(HttpResponse::Ok().json(notice))
}

/// `{"from","body"}` as the gateway forwards an SMS: `from` required; an empty body is a message too.
fn parse_inbound(body: &[u8]) -> AppResult<(String, String)> {
    let input = json_input(body)?;
    let mut e = Errors::default();
    e.extend(input.unknown_fields(&["from", "body"]));
    let mut text = |field: &str| match e.take(input.text(field)) {
        Some(Given::Text(v)) => Some(v),
        Some(_) => {
            e.push(field, "required");
            None
        }
        None => None,
    };
    // A phone number has no control characters (a NUL byte would be stored as sent).
    let from = text("from").and_then(|from| match crate::input::short_text(&from, 40) {
        Ok(from) => Some(from),
        Err(code) => {
            e.push("from", code);
            None
        }
    });
    let message = match e.take(input.text("body")) {
        Some(Given::Text(v)) => Some(v),
        Some(Given::Empty) => Some(String::new()),
        Some(Given::Absent) => {
            e.push("body", "required");
            None
        }
        None => None,
    };
    e.finish(|| Some((from?, message?))).map_err(AppError::Invalid)
}

/// An SMS a member sent, forwarded by the gateway with `X-Pallay-Signature`. The answer is the
/// same whoever sent it, so it tells nobody who is a member.
#[utoipa::path(post, path = "/api/v1/sms/inbound", responses((status = 200), (status = 401)))]
pub async fn inbound_sms(state: State, req: HttpRequest, body: web::Bytes) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    let signature = req.headers().get("x-pallay-signature").and_then(|v| v.to_str().ok());
    let valid = state
        .config
        .notices
        .sms_inbound_secret
        .as_deref()
        .is_some_and(|secret| signature_valid(secret, &body, signature));
    if !valid {
        return Err(AppError::Unauthenticated);
    }
    let (from, message) = parse_inbound(&body)?;
    let outcome = state
        .db
        .write(move |conn| receive(conn, &from, &message, today, now()))
        .await?;
    tracing::info!(outcome = outcome.as_str(), "inbound SMS");
    Ok(HttpResponse::Ok().json(serde_json::json!({ "status": "received" })))
}

/// This part's JSON routes, mounted under `/api/v1` (shared/API.md).
pub fn routes() -> Routes {
    Routes::new()
        .post("/notices/balance", send_statements)
        .get("/notices", list_notices)
        .post("/notices/{id}/retry", retry_failed)
        .post("/sms/inbound", inbound_sms)
}

/// The OpenAPI description of this part's routes, merged into `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    crate::notices::api::send_statements,
    crate::notices::api::list_notices,
    crate::notices::api::retry_failed,
    crate::notices::api::inbound_sms
))]
pub struct ApiDoc;
