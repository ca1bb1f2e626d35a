//! What the notices' pages and API do alike: statements on request, the outbox's filters, and
//! putting a failed notice back in the queue.

use chrono::NaiveDate;
use serde::Deserialize;

use crate::audit;
use crate::auth::policy::{fund_scope, member_scope, CurrentUser};
use crate::clock::now;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::fund::model::Fund;
use crate::fund::receipt::queue_fund_statements;
use crate::outbox::model::{Notice, NoticeFilter, NoticeStatus};
use crate::outbox::queue::Channel;
use crate::outbox::worker::retry;

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

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct NoticesQuery {
    #[param(value_type = Option<i64>, minimum = 1)]
    pub member_id: Option<String>,
    #[param(value_type = Option<crate::outbox::model::NoticeStatus>)]
    pub status: Option<String>,
    #[param(value_type = Option<crate::outbox::queue::Channel>)]
    pub channel: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    #[param(value_type = Option<i64>, minimum = 0)]
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
        let statuses: Vec<&str> = NoticeStatus::ALL.iter().map(|s| s.as_str()).collect();
        Ok(NoticeFilter {
            member_id: crate::web::id_param("member_id", self.member_id.as_deref())?,
            member_ids: None,
            status: word("status", &self.status, &statuses)?,
            channel: word("channel", &self.channel, &channels)?,
        })
    }
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
