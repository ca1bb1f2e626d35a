//! The follow-up board: open actions (overdue first), what was done in a period, and the share
//! done on time — for one committee or all the committees a user reaches.

use chrono::NaiveDate;
use serde::Serialize;

use super::model::CommitteeAction;
use super::service::{action_views, is_open, ActionView};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::fund::portfolio::ratio;

#[derive(Debug, Serialize)]
pub struct Board {
    pub as_of: String,
    pub from: String,
    pub to: String,
    /// Open actions, overdue first, then by due date.
    pub open: Vec<ActionView>,
    pub overdue: usize,
    pub done_in_period: Vec<ActionView>,
    pub done_on_time: usize,
    /// Done on or before the due date ÷ done in the period (4 places).
    pub on_time_share: String,
}

/// Whether an action finished on or before its due date.
pub fn on_time(action: &CommitteeAction) -> bool {
    action.done_on.is_some_and(|done| done <= action.due_date)
}

pub fn board(
    conn: &mut DbConn,
    actions: &[CommitteeAction],
    as_of: NaiveDate,
    from: NaiveDate,
    to: NaiveDate,
) -> AppResult<Board> {
    let mut open: Vec<CommitteeAction> = actions.iter().filter(|a| is_open(&a.status)).cloned().collect();
    open.sort_by_key(|a| (a.due_date >= as_of, a.due_date, a.id));
    let done: Vec<CommitteeAction> = actions
        .iter()
        .filter(|a| a.status == "done" && a.done_on.is_some_and(|d| d >= from && d <= to))
        .cloned()
        .collect();
    let done_on_time = done.iter().filter(|a| on_time(a)).count();
    let overdue = open.iter().filter(|a| a.due_date < as_of).count();
    let share = ratio(done_on_time as i64, done.len() as i64);
    Ok(Board {
        as_of: as_of.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        open: action_views(conn, &open, as_of)?,
        overdue,
        done_in_period: action_views(conn, &done, as_of)?,
        done_on_time,
        on_time_share: share,
    })
}
