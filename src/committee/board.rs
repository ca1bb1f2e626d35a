//! The follow-up board: open actions (overdue first), what was done in a period, and the share
//! done on time — for a committee, optionally for one responsible person.

use chrono::NaiveDate;
use serde::Serialize;

use super::model::CommitteeAction;
use super::service::{action_views, open_on, ActionView};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::money::ratio;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Board {
    pub as_of: String,
    pub from: String,
    pub to: String,
    /// Only the actions of a responsible person whose name contains this, when given.
    pub responsible: String,
    /// Open actions, overdue first, then by due date.
    pub open: Vec<ActionView>,
    pub overdue: usize,
    pub done_in_period: Vec<ActionView>,
    pub done_on_time: usize,
    /// Done on or before the due date ÷ done in the period (4 places).
    pub on_time_share: String,
}

/// Whether an action finished on or before its due date.
fn on_time(action: &ActionView) -> bool {
    action
        .done_on
        .as_deref()
        .is_some_and(|done| done <= action.due_date.as_str())
}

pub fn board(
    conn: &mut DbConn,
    actions: &[CommitteeAction],
    as_of: NaiveDate,
    (from, to): (NaiveDate, NaiveDate),
    responsible: Option<&str>,
) -> AppResult<Board> {
    let mut open: Vec<CommitteeAction> = actions.iter().filter(|a| open_on(a, as_of)).cloned().collect();
    open.sort_by_key(|a| (a.due_date >= as_of, a.due_date, a.id));
    let done: Vec<CommitteeAction> = actions
        .iter()
        .filter(|a| a.status == "done" && a.done_on.is_some_and(|d| d >= from && d <= to && d <= as_of))
        .cloned()
        .collect();
    let wanted = responsible.map(|r| r.trim().to_lowercase()).filter(|r| !r.is_empty());
    let keep = |views: Vec<ActionView>| -> Vec<ActionView> {
        match &wanted {
            None => views,
            Some(name) => views
                .into_iter()
                .filter(|v| {
                    v.responsible_name
                        .as_deref()
                        .is_some_and(|n| n.to_lowercase().contains(name.as_str()))
                })
                .collect(),
        }
    };
    let open = keep(action_views(conn, &open, as_of)?);
    let done = keep(action_views(conn, &done, as_of)?);
    let done_on_time = done.iter().filter(|a| on_time(a)).count();
    Ok(Board {
        as_of: as_of.to_string(),
        from: from.to_string(),
        to: to.to_string(),
        responsible: wanted.unwrap_or_default(),
        overdue: open.iter().filter(|a| a.overdue).count(),
        on_time_share: ratio(done_on_time as i64, done.len() as i64),
        open,
        done_in_period: done,
        done_on_time,
    })
}
