//! The calendar: once every few minutes, each part queues the notices the date asks for (the
//! fund's statements and reminders, the committee's action reminders). Each notice is keyed, so
//! running it again the same day queues nothing more.

use chrono::{NaiveDate, NaiveDateTime};

use crate::db::DbConn;
use crate::error::AppResult;
use crate::outbox::Calendar;

/// Queues what the calendar asks for today; returns how many notices were queued.
pub fn queue_scheduled(
    conn: &mut DbConn,
    calendar: &Calendar,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let fund = crate::fund::reminders::queue_reminders(conn, calendar, today, now)?;
    let committee = crate::committee::reminder::queue_action_reminders(conn, calendar.action_days, today, now)?;
    Ok(fund + committee)
}
