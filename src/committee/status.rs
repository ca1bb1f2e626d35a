//! How a committee action moves: pending → in progress → done, or cancelled (with a reason).
//! A cancelled or finished action is reopened only with a reason. Nothing skips a step.

use crate::input::closed_set;

closed_set!(ActionStatus, "action_status_unknown", {
    Pending => "pending",
    InProgress => "in_progress",
    Done => "done",
    Cancelled => "cancelled",
});

/// Whether `from` may become `to`; the error is a message-catalogue code.
pub fn check(from: ActionStatus, to: ActionStatus, reason: Option<&str>) -> Result<(), &'static str> {
    use ActionStatus::*;
    let has_reason = reason.is_some_and(|r| !r.trim().is_empty());
    match (from, to) {
        (a, b) if a == b => Err("status_unchanged"),
        (Pending, InProgress) | (InProgress, Done) => Ok(()),
        (Pending | InProgress, Cancelled) | (Cancelled, Pending) | (Done, InProgress) if has_reason => Ok(()),
        (Pending | InProgress, Cancelled) | (Cancelled, Pending) | (Done, InProgress) => Err("reason_required"),
        _ => Err("status_skips_step"),
    }
}

/// Where an action may go from `from`, each with whether the move needs a reason: what the page
/// offers, so it never offers a move that would be refused.
pub fn moves_from(from: ActionStatus) -> Vec<(ActionStatus, bool)> {
    ActionStatus::ALL
        .iter()
        .filter(|to| check(from, **to, Some("reason")).is_ok())
        .map(|to| (*to, check(from, *to, None).is_err()))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::ActionStatus::*;
    use super::*;

    #[test]
    fn an_action_moves_one_step_at_a_time() {
        assert_eq!(check(Pending, InProgress, None), Ok(()));
        assert_eq!(check(InProgress, Done, None), Ok(()));
        assert_eq!(check(Pending, Done, None), Err("status_skips_step"));
        assert_eq!(check(Cancelled, Done, Some("x")), Err("status_skips_step"));
        assert_eq!(check(Done, Done, None), Err("status_unchanged"));
    }

    #[test]
    fn the_moves_offered_are_exactly_those_allowed() {
        assert_eq!(moves_from(Pending), vec![(InProgress, false), (Cancelled, true)]);
        assert_eq!(moves_from(InProgress), vec![(Done, false), (Cancelled, true)]);
        assert_eq!(moves_from(Done), vec![(InProgress, true)]);
        assert_eq!(moves_from(Cancelled), vec![(Pending, true)]);
    }

    #[test]
    fn cancelling_and_reopening_need_a_reason() {
        assert_eq!(check(InProgress, Cancelled, None), Err("reason_required"));
        assert_eq!(check(InProgress, Cancelled, Some("  ")), Err("reason_required"));
        assert_eq!(check(Pending, Cancelled, Some("sin presupuesto")), Ok(()));
        assert_eq!(check(Cancelled, Pending, None), Err("reason_required"));
        assert_eq!(check(Cancelled, Pending, Some("hay fondos")), Ok(()));
        assert_eq!(check(Done, InProgress, Some("faltó una parte")), Ok(()));
    }
}
