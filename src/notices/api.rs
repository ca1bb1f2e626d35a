//! The notices' JSON routes (shared/API.md): statements on request, the outbox, retrying a failed
//! notice, and the SMS gateway's inbound messages.

use actix_web::{web, HttpRequest, HttpResponse};
use serde::{Deserialize, Serialize};

use super::compose::queue_fund_statements;
use super::inbound::{receive, signature_valid};
use super::model::{Notice, NoticeFilter};
use super::outbox::Channel;
use super::worker::retry;
use crate::api::{json_input, List};
use crate::audit;
use crate::auth::extract::ApiUser;
use crate::auth::policy::{authorize, fund_scope, member_scope, Action, CurrentUser};
use crate::clock::now;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::fund::model::Fund;
use crate::input::{Errors, Given, Input};
use crate::web::{paging, State};
use chrono::NaiveDate;

#[derive(Serialize)]
pub struct Queued {
    pub queued: usize,
}

/// Queues a statement for every borrower of the fund (on the channels she consented to).
pub fn queue_statements(conn: &mut DbConn, actor: &CurrentUser, fund_id: i64, today: NaiveDate) -> AppResult<usize> {
    let fund = Fund::find_scoped(conn, &fund_scope(actor), fund_id)?;
    let queued = queue_fund_statements(conn, fund.id, today, now())?;
    audit::record(
        conn,
        Some(actor.id),
        "queue_statements",
        "fund",
        Some(fund.id),
        None,
        Some(&serde_json::json!({ "queued": queued })),
    )?;
    Ok(queued)
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

#[derive(Deserialize)]
pub struct NoticesQuery {
    pub member_id: Option<String>,
    pub status: Option<String>,
    pub channel: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

impl NoticesQuery {
    pub fn filter(&self) -> AppResult<NoticeFilter> {
        let word = |name: &str, raw: &Option<String>, allowed: &[&str]| -> AppResult<Option<String>> {
            match raw.as_deref().map(str::trim).filter(|r| !r.is_empty()) {
                None => Ok(None),
                Some(v) if allowed.contains(&v) => Ok(Some(v.to_string())),
                Some(_) => Err(AppError::invalid(name, "choose_from_list")),
            }
        };
        let channels: Vec<&str> = Channel::ALL.iter().map(|c| c.as_str()).collect();
        Ok(NoticeFilter {
            member_id: crate::web::id_param("member_id", self.member_id.as_deref())?,
            status: word("status", &self.status, &["queued", "sent", "failed", "cancelled"])?,
            channel: word("channel", &self.channel, &channels)?,
        })
    }
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

/// Puts a failed notice back in the queue.
pub fn retry_notice(conn: &mut DbConn, actor: &CurrentUser, id: i64) -> AppResult<Notice> {
    let notice = Notice::find_scoped(conn, &member_scope(actor), id)?;
    if !retry(conn, notice.id, now())? {
        return Err(AppError::Conflict("notice_not_failed"));
    }
    audit::record(conn, Some(actor.id), "retry", "notice", Some(id), None, None)?;
    Notice::find_scoped(conn, &member_scope(actor), id)
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
    let from = text("from");
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
