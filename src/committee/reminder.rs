//! The committee's notice from the calendar: an email to whoever is responsible for an action
//! coming due, once per action and due date.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::status::ActionStatus;
use crate::db::schema::{committee_actions, committees};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::outbox::queue::{already_queued, date, queue, Channel, Dedupe, Draft, Kind, Vars};

/// Emails the responsible member of each open action due within `days` of `today`; returns how
/// many were queued.
pub fn queue_action_reminders(conn: &mut DbConn, days: i64, today: NaiveDate, now: NaiveDateTime) -> AppResult<usize> {
    let mut queued = 0;
    let horizon = today + Duration::days(days);
    let due: Vec<(i64, i64, String, NaiveDate, String)> = committee_actions::table
        .inner_join(committees::table)
        .filter(committee_actions::status.eq_any([ActionStatus::Pending.as_str(), ActionStatus::InProgress.as_str()]))
        .filter(committee_actions::due_date.ge(today))
        .filter(committee_actions::due_date.le(horizon))
        .filter(committee_actions::responsible_member_id.is_not_null())
        .select((
            committee_actions::id,
            committee_actions::responsible_member_id.assume_not_null(),
            committee_actions::description,
            committee_actions::due_date,
            committees::name,
        ))
        .load(conn)?;
    for (id, member_id, description, due_date, committee) in due {
        let key = format!("action_due:{id}:{due_date}");
        if already_queued(conn, &key)? {
            continue;
        }
        let vars = move |channel: Channel| -> Vars {
            vec![
                ("action", description.clone()),
                ("due_date", date(channel, due_date)),
                ("committee", committee.clone()),
            ]
        };
        let draft = Draft {
            kind: Kind::ActionDue,
            template: "action_due",
            channels: &[Channel::Email],
            dedupe: Dedupe::Once(key),
            vars: &vars,
        };
        queued += queue(conn, member_id, &draft, now)?;
    }
    Ok(queued)
}
