//! The worker: claims due notices with a lease, sends each through its channel's sender, and
//! records what happened. Several workers (threads or server processes on one PostgreSQL) never
//! send the same notice twice while its lease holds: a claim is a conditional update that only
//! one of them wins. A worker that dies after claiming leaves the lease to run out; the notice is
//! then claimed again and sent.

use std::time::Duration;

use chrono::NaiveDateTime;
use diesel::prelude::*;

use super::gateway::{Outgoing, SendError, Senders};
use super::model::{Notice, NoticeStatus};
use crate::db::schema::notices;
use crate::db::{write_transaction, Db, DbConn};
use crate::error::AppResult;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// After this many failed attempts a notice is marked failed (coordinators can retry it).
    pub max_attempts: i64,
    /// The first wait; doubled each attempt, with jitter, up to `max_backoff`.
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// How long a claim holds: longer than any send can take.
    pub lease: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            base_backoff: Duration::from_secs(60),
            max_backoff: Duration::from_secs(6 * 3600),
            lease: Duration::from_secs(300),
        }
    }
}

/// The wait before attempt `attempts + 1`: exponential, with "equal jitter" (half fixed, half
/// random) so retries after an outage do not all arrive at once. `random` is in [0, 1).
pub fn backoff(policy: &RetryPolicy, attempts: i64, random: f64) -> Duration {
    let exponent = attempts.clamp(1, 30) as u32 - 1;
    let full = policy
        .base_backoff
        .saturating_mul(2u32.saturating_pow(exponent))
        .min(policy.max_backoff);
    let half = full / 2;
    half + half.mul_f64(random.clamp(0.0, 1.0))
}

fn random_unit() -> f64 {
    let token = crate::auth::secret::generate();
    let n = u32::from_str_radix(&token[..8], 16).unwrap_or(0);
    f64::from(n) / f64::from(u32::MAX)
}

fn add(at: NaiveDateTime, d: Duration) -> NaiveDateTime {
    at + chrono::Duration::from_std(d).unwrap_or(chrono::Duration::zero())
}

/// Claims up to `limit` due notices for this worker (`token`). Each claim is a conditional update
/// that succeeds for one worker only.
pub fn claim(
    conn: &mut DbConn,
    token: &str,
    now: NaiveDateTime,
    lease: Duration,
    limit: i64,
) -> AppResult<Vec<Notice>> {
    let candidates: Vec<i64> = notices::table
        .filter(notices::status.eq(NoticeStatus::Queued.as_str()))
        .filter(notices::next_attempt_at.le(now))
        .filter(notices::lease_until.is_null().or(notices::lease_until.lt(now)))
        .order(notices::id)
        .limit(limit)
        .select(notices::id)
        .load(conn)?;
    let mut claimed = Vec::new();
    for id in candidates {
        let won = diesel::update(
            notices::table
                .filter(notices::id.eq(id))
                .filter(notices::status.eq(NoticeStatus::Queued.as_str()))
                .filter(notices::lease_until.is_null().or(notices::lease_until.lt(now))),
        )
        .set((notices::lease_token.eq(token), notices::lease_until.eq(add(now, lease))))
        .execute(conn)?;
        if won == 1 {
            claimed.push(notices::table.find(id).select(Notice::as_select()).get_result(conn)?);
        }
    }
    Ok(claimed)
}

/// What one round did.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct Round {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Records the outcome of one send, if this worker still holds the lease.
/// What became of one attempt to send.
enum Outcome {
    Sent,
    /// Not sent this time; queued again after a backoff.
    Retrying,
    /// Given up: refused, or out of attempts.
    Failed,
}

fn record(
    conn: &mut DbConn,
    notice: &Notice,
    token: &str,
    outcome: Result<Option<String>, SendError>,
    policy: &RetryPolicy,
    now: NaiveDateTime,
) -> AppResult<Outcome> {
    let mine = notices::table
        .filter(notices::id.eq(notice.id))
        .filter(notices::lease_token.eq(token));
    let attempts = notice.attempts + 1;
    let (status, changed) = match outcome {
        Ok(provider_id) => (
            Outcome::Sent,
            diesel::update(mine)
                .set((
                    notices::status.eq(NoticeStatus::Sent.as_str()),
                    notices::attempts.eq(attempts),
                    notices::sent_at.eq(Some(now)),
                    notices::provider_message_id.eq(provider_id),
                    notices::last_error.eq(None::<String>),
                    notices::lease_until.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?,
        ),
        Err(SendError::Temporary { reason, retry_after }) if attempts < policy.max_attempts => {
            let wait = backoff(policy, attempts, random_unit()).max(retry_after.unwrap_or_default());
            (
                Outcome::Retrying,
                diesel::update(mine)
                    .set((
                        notices::attempts.eq(attempts),
                        notices::next_attempt_at.eq(add(now, wait)),
                        notices::last_error.eq(Some(reason)),
                        notices::lease_until.eq(None::<NaiveDateTime>),
                    ))
                    .execute(conn)?,
            )
        }
        Err(SendError::Temporary { reason, .. }) | Err(SendError::Permanent(reason)) => (
            Outcome::Failed,
            diesel::update(mine)
                .set((
                    notices::status.eq(NoticeStatus::Failed.as_str()),
                    notices::attempts.eq(attempts),
                    notices::last_error.eq(Some(reason)),
                    notices::lease_until.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?,
        ),
    };
    if changed == 0 {
        tracing::warn!(id = notice.id, "notice lease lost before its outcome was recorded");
    }
    Ok(status)
}

/// One round: claim what is due, send it, record each outcome. Sending happens outside any
/// transaction, so a slow gateway holds no database lock.
pub fn deliver(db: &Db, senders: &Senders, policy: &RetryPolicy, now: NaiveDateTime) -> AppResult<Round> {
    let token = crate::auth::secret::generate();
    let mut conn = db.get()?;
    let claimed = write_transaction(&mut conn, |c| claim(c, &token, now, policy.lease, 100))?;
    let mut round = Round::default();
    for notice in claimed {
        let outgoing = Outgoing {
            id: notice.id,
            to: notice.recipient.clone(),
            subject: notice.subject.clone(),
            body: notice.body.clone(),
            html_body: notice.html_body.clone(),
        };
        let outcome = senders.for_channel(&notice.channel).send(&outgoing);
        if let Err(e) = &outcome {
            tracing::warn!(id = notice.id, channel = %notice.channel, error = ?e, "notice not sent");
        }
        match write_transaction(&mut conn, |c| record(c, &notice, &token, outcome, policy, now))? {
            Outcome::Sent => round.sent += 1,
            Outcome::Retrying => round.retrying += 1,
            Outcome::Failed => round.failed += 1,
        }
    }
    Ok(round)
}

/// Puts a failed notice back in the queue, to be tried now (a coordinator's "retry").
pub fn retry(conn: &mut DbConn, id: i64, now: NaiveDateTime) -> AppResult<bool> {
    let changed = diesel::update(
        notices::table
            .filter(notices::id.eq(id))
            .filter(notices::status.eq(NoticeStatus::Failed.as_str())),
    )
    .set((
        notices::status.eq(NoticeStatus::Queued.as_str()),
        notices::attempts.eq(0),
        notices::next_attempt_at.eq(now),
        notices::lease_until.eq(None::<NaiveDateTime>),
    ))
    .execute(conn)?;
    Ok(changed == 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_with_jitter_and_stops_at_the_ceiling() {
        let p = RetryPolicy::default();
        assert_eq!(backoff(&p, 1, 0.0), Duration::from_secs(30));
        assert!(backoff(&p, 1, 0.999) < Duration::from_secs(60));
        assert_eq!(backoff(&p, 3, 0.0), Duration::from_secs(120));
        assert_eq!(backoff(&p, 20, 0.0), Duration::from_secs(3 * 3600));
        assert!(backoff(&p, 20, 0.5) <= p.max_backoff);
    }
}
