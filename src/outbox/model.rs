//! The outbox's rows and their queries.

use chrono::NaiveDateTime;
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::policy::Scope;
use crate::clock::serialize_instant;
use crate::db::prepared::Prepared;
use crate::db::schema::{member_organizations, notices};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};

crate::input::closed_set!(
    /// Where a notice stands: waiting (or retrying) in the queue, sent, given up on, or withdrawn
    /// (consent or address changed before it went).
    NoticeStatus, "choose_from_list", {
        Queued => "queued",
        Sent => "sent",
        Failed => "failed",
        Cancelled => "cancelled",
    }
);

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = notices)]
pub struct Notice {
    pub id: i64,
    pub member_id: i64,
    pub kind: String,
    pub channel: String,
    #[serde(rename = "to")]
    pub recipient: String,
    pub language: String,
    pub subject: Option<String>,
    pub body: String,
    #[serde(skip)]
    pub html_body: Option<String>,
    pub status: String,
    pub attempts: i64,
    #[serde(serialize_with = "serialize_instant")]
    pub next_attempt_at: NaiveDateTime,
    #[serde(skip)]
    pub lease_token: Option<String>,
    #[serde(skip)]
    pub lease_until: Option<NaiveDateTime>,
    pub last_error: Option<String>,
    pub provider_message_id: Option<String>,
    #[serde(skip)]
    pub dedupe_key: Option<String>,
    #[serde(serialize_with = "serialize_instant")]
    pub created_at: NaiveDateTime,
    #[serde(serialize_with = "crate::clock::serialize_optional_instant")]
    pub sent_at: Option<NaiveDateTime>,
}

#[derive(Debug, Default, Clone)]
pub struct NoticeFilter {
    pub member_id: Option<i64>,
    /// Any of these members (the notices page finds them by name).
    pub member_ids: Option<Vec<i64>>,
    pub status: Option<String>,
    pub channel: Option<String>,
}

type Query = notices::BoxedQuery<'static, <DbConn as diesel::Connection>::Backend>;

fn scoped(scope: &Scope) -> Option<Query> {
    let q = notices::table.into_boxed();
    match scope {
        Scope::All => Some(q),
        Scope::Organizations(ids) => Some(
            q.filter(
                notices::member_id.eq_any(
                    member_organizations::table
                        .filter(member_organizations::organization_id.eq_any(ids.clone()))
                        .select(member_organizations::member_id),
                ),
            ),
        ),
        Scope::Herself(_) | Scope::Nothing => None,
    }
}

impl Notice {
    /// Newest first, within the scope, with the total before paging.
    pub fn search(
        conn: &mut DbConn,
        scope: &Scope,
        filter: &NoticeFilter,
        limit: i64,
        offset: i64,
    ) -> AppResult<(Vec<Notice>, i64)> {
        let build = || {
            let mut q = scoped(scope)?;
            if let Some(member_id) = filter.member_id {
                q = q.filter(notices::member_id.eq(member_id));
            }
            if let Some(ids) = &filter.member_ids {
                q = q.filter(notices::member_id.eq_any(ids.clone()));
            }
            if let Some(status) = &filter.status {
                q = q.filter(notices::status.eq(status.clone()));
            }
            if let Some(channel) = &filter.channel {
                q = q.filter(notices::channel.eq(channel.clone()));
            }
            Some(q)
        };
        let (Some(count), Some(page)) = (build(), build()) else {
            return Ok((Vec::new(), 0));
        };
        let total: i64 = count.count().get_result(conn)?;
        let items = page
            .order(notices::id.desc())
            .limit(limit)
            .offset(offset)
            .select(Notice::as_select())
            .load(conn)?;
        Ok((items, total))
    }

    pub fn find_scoped(conn: &mut DbConn, scope: &Scope, id: i64) -> AppResult<Notice> {
        let q = scoped(scope).ok_or(AppError::NotFound)?;
        Ok(q.filter(notices::id.eq(id))
            .select(Notice::as_select())
            .get_result(conn)?)
    }
}

/// A notice as queued: rendered for one channel, addressed, waiting for the worker.
pub struct NewNotice<'a> {
    pub member_id: i64,
    pub kind: &'a str,
    pub channel: &'a str,
    pub recipient: &'a str,
    pub language: &'a str,
    pub subject: Option<&'a str>,
    pub body: &'a str,
    pub html_body: Option<&'a str>,
    pub status: &'a str,
    pub attempts: i64,
    pub next_attempt_at: NaiveDateTime,
    pub dedupe_key: Option<&'a str>,
    pub created_at: NaiveDateTime,
}

impl NewNotice<'_> {
    /// Its write, sent with the other writes of the event that queues it.
    pub fn writing(&self) -> Prepared {
        Prepared::new(
            "INSERT INTO notices (member_id, kind, channel, recipient, language, subject, body, html_body, \
             status, attempts, next_attempt_at, dedupe_key, created_at) \
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            vec![
                self.member_id.into(),
                self.kind.to_string().into(),
                self.channel.to_string().into(),
                self.recipient.to_string().into(),
                self.language.to_string().into(),
                self.subject.map(str::to_string).into(),
                self.body.to_string().into(),
                self.html_body.map(str::to_string).into(),
                self.status.to_string().into(),
                self.attempts.into(),
                self.next_attempt_at.into(),
                self.dedupe_key.map(str::to_string).into(),
                self.created_at.into(),
            ],
        )
    }
}
