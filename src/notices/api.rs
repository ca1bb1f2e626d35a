//! The notices' JSON routes (shared/API.md): statements on request, the outbox, retrying a failed
//! notice, and the SMS gateway's inbound messages.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::inbound::{receive, sign, signature_valid, Inbound, Outcome};
use super::service::{queue_statements, retry_notice, NoticesQuery};
use crate::auth::extract::ApiUser;
use crate::auth::policy::{authorize, member_scope, Action};
use crate::clock::now;
use crate::error::{AppError, AppResult};
use crate::input::{Errors, Given, Input};
use crate::outbox::model::Notice;
use crate::outbox::INBOUND_MAX_AGE;
use crate::web::json::{json_input, List};
use crate::web::routes::Routes;
use crate::web::{paging, State};
use chrono::NaiveDateTime;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Queued {
    pub queued: usize,
}

#[utoipa::path(post, path = "/api/v1/notices/balance", request_body = StatementsBody, responses((status = 202, body = Queued)))]
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

#[utoipa::path(get, path = "/api/v1/notices", params(NoticesQuery), responses((status = 200, body = List<Notice>)))]
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

#[utoipa::path(post, path = "/api/v1/notices/{id}/retry", responses((status = 200, body = Notice), (status = 409, description = "The notice has not failed")))]
pub async fn retry_failed(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user, Action::ManageNotices)?;
    let id = id.into_inner();
    let notice = state.db.write(move |conn| retry_notice(conn, &user, id)).await?;
    Ok(HttpResponse::Ok().json(notice))
}

/// `{"from","body","sent_at"?}` as the gateway forwards an SMS: `from` required; an empty body is
/// a message too; `sent_at` (RFC 3339), signed with the rest, within [`INBOUND_MAX_AGE`] of now —
/// required when the gateway is configured to stamp every message.
fn parse_inbound(body: &[u8], require_sent_at: bool, now: NaiveDateTime) -> AppResult<(String, String, bool)> {
    let input = json_input(body)?;
    let mut e = Errors::default();
    e.extend(input.unknown_fields(&["from", "body", "sent_at"]));
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
    let stamped = match e.take(input.text("sent_at")) {
        Some(Given::Text(raw)) => match chrono::DateTime::parse_from_rfc3339(raw.trim()) {
            Ok(at) if (at.naive_utc() - now).abs() <= INBOUND_MAX_AGE => true,
            Ok(_) => {
                e.push("sent_at", "sent_at_window");
                false
            }
            Err(_) => {
                e.push("sent_at", "instant_format");
                false
            }
        },
        Some(_) if require_sent_at => {
            e.push("sent_at", "required");
            false
        }
        _ => false,
    };
    let message = match e.take(input.text("body")) {
        Some(Given::Text(v)) => Some(v),
        Some(Given::Empty) => Some(String::new()),
        Some(Given::Absent) => {
            e.push("body", "required");
            None
        }
        None => None,
    };
    e.finish(|| Some((from?, message?, stamped))).map_err(AppError::Invalid)
}

/// An SMS a member sent, forwarded by the gateway with `X-Pallay-Signature`. The answer is the
/// same whoever sent it, so it tells nobody who is a member; a stamped message sent again is
/// answered `duplicate` and does nothing.
#[utoipa::path(post, path = "/api/v1/sms/inbound", request_body = InboundBody,
    params(("X-Pallay-Signature" = String, Header, description = "sha256=<hex HMAC-SHA256 of the raw body, key PALLAY_SMS_INBOUND_SECRET>")),
    responses((status = 200, body = InboundAnswer), (status = 401, description = "A missing or wrong signature")))]
pub async fn inbound_sms(state: State, req: HttpRequest, body: web::Bytes) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    let signature = req.headers().get("x-pallay-signature").and_then(|v| v.to_str().ok());
    let notices = &state.config.notices;
    let Some(secret) = notices
        .sms_inbound_secret
        .as_deref()
        .filter(|secret| signature_valid(secret, &body, signature))
    else {
        return Err(AppError::Unauthenticated);
    };
    let at = now();
    let (from, message, stamped) = parse_inbound(&body, notices.sms_inbound_require_sent_at, at)?;
    // The message is known by the signature the server computes itself, not by the header as
    // written (the same signature in capitals or with spaces is the same message).
    let digest = stamped.then(|| sign(secret, &body));
    let inbound = Inbound {
        from,
        body: message,
        digest,
    };
    let outcome = state.db.write(move |conn| receive(conn, &inbound, today, at)).await?;
    tracing::info!(outcome = outcome.as_str(), "inbound SMS");
    let status = if outcome == Outcome::Duplicate {
        "duplicate"
    } else {
        "received"
    };
    Ok(HttpResponse::Ok().json(InboundAnswer { status }))
}

/// A message as the gateway forwards it.
#[derive(utoipa::ToSchema)]
pub struct InboundBody {
    /// The phone it came from.
    #[schema(min_length = 1, max_length = 40)]
    pub from: String,
    pub body: String,
    /// When the gateway received it (RFC 3339). With it, the message is refused when more than
    /// five minutes from the server's clock and acted on only once.
    pub sent_at: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct InboundAnswer {
    /// `received`, or `duplicate` for a stamped message already received.
    status: &'static str,
}

/// The body of `POST /notices/balance`.
#[derive(utoipa::ToSchema)]
pub struct StatementsBody {
    #[schema(minimum = 1)]
    pub fund_id: i64,
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
#[openapi(
    components(schemas(crate::outbox::queue::Channel, crate::outbox::model::NoticeStatus)),
    paths(
        crate::notices::api::send_statements,
        crate::notices::api::list_notices,
        crate::notices::api::retry_failed,
        crate::notices::api::inbound_sms
    )
)]
pub struct ApiDoc;
