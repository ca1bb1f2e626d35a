//! The committee's writes, each in one transaction with its audit row.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::input::{ActionInput, CommitteeInput, MeetingInput, NoteInput, SeatInput, StatusChange};
use super::model::{Committee, CommitteeAction, Meeting, NewCommitteeAction, Note, Seat};
use super::status::{check, ActionStatus};
use crate::audit;
use crate::auth::policy::{may_assign_organization, CurrentUser, Scope};
use crate::clock::now;
use crate::db::schema::{action_notes, committee_actions, committee_members, committees, meeting_attendees, meetings};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::members::model::Member;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ActionView {
    pub id: i64,
    pub committee_id: i64,
    pub meeting_id: Option<i64>,
    pub description: String,
    pub responsible_member_id: Option<i64>,
    pub responsible_name: Option<String>,
    pub due_date: String,
    pub status: String,
    pub status_reason: Option<String>,
    pub done_on: Option<String>,
    /// Open and past its due date on the day it was read.
    pub overdue: bool,
    pub notes: Vec<Note>,
}

pub fn is_open(status: &str) -> bool {
    matches!(status, "pending" | "in_progress")
}

/// Whether an action was still open on a day: open now, or done after that day (the board read
/// as of a past date shows it as it stood then). A cancelled action is left out on any day.
pub fn open_on(action: &CommitteeAction, day: NaiveDate) -> bool {
    is_open(&action.status) || (action.status == "done" && action.done_on.is_some_and(|done| done > day))
}

pub fn action_views(conn: &mut DbConn, actions: &[CommitteeAction], as_of: NaiveDate) -> AppResult<Vec<ActionView>> {
    if actions.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<i64> = actions.iter().map(|a| a.id).collect();
    let notes = Note::of_actions(conn, &ids)?;
    let names = Member::names(
        conn,
        &actions
            .iter()
            .filter_map(|a| a.responsible_member_id)
            .collect::<Vec<_>>(),
    )?;
    Ok(actions
        .iter()
        .map(|a| ActionView {
            id: a.id,
            committee_id: a.committee_id,
            meeting_id: a.meeting_id,
            description: a.description.clone(),
            responsible_member_id: a.responsible_member_id,
            responsible_name: a.responsible_name.clone().or_else(|| {
                names
                    .iter()
                    .find(|(id, _)| Some(*id) == a.responsible_member_id)
                    .map(|(_, n)| n.clone())
            }),
            due_date: a.due_date.to_string(),
            status: a.status.clone(),
            status_reason: a.status_reason.clone(),
            done_on: a.done_on.map(|d| d.to_string()),
            overdue: open_on(a, as_of) && a.due_date < as_of,
            notes: notes.iter().filter(|n| n.action_id == a.id).cloned().collect(),
        })
        .collect())
}

pub fn action_view(conn: &mut DbConn, action: &CommitteeAction, as_of: NaiveDate) -> AppResult<ActionView> {
    action_views(conn, std::slice::from_ref(action), as_of)?
        .pop()
        .ok_or(AppError::NotFound)
}

pub fn create_committee(conn: &mut DbConn, actor: &CurrentUser, input: CommitteeInput) -> AppResult<Committee> {
    if !may_assign_organization(actor, input.organization_id)
        || crate::organizations::Organization::unknown_ids(conn, &[input.organization_id])?.len() == 1
    {
        return Err(AppError::invalid("organization_id", "organization_unknown"));
    }
    let taken: i64 = committees::table
        .filter(committees::organization_id.eq(input.organization_id))
        .filter(committees::name.eq(&input.name))
        .count()
        .get_result(conn)?;
    if taken > 0 {
        return Err(AppError::invalid("name", "committee_name_taken"));
    }
    let committee: Committee = diesel::insert_into(committees::table)
        .values((
            committees::organization_id.eq(input.organization_id),
            committees::name.eq(&input.name),
            committees::created_at.eq(now()),
        ))
        .returning(committees::all_columns)
        .get_result(conn)?;
    let after = audit::snapshot(&committee);
    audit::record(
        conn,
        Some(actor.id),
        "create",
        "committee",
        Some(committee.id),
        None,
        Some(&after),
    )?;
    Ok(committee)
}

/// A person must belong to the committee's organisation (or be named, for outsiders).
fn check_member(conn: &mut DbConn, committee: &Committee, member_id: Option<i64>, field: &str) -> AppResult<()> {
    if let Some(member_id) = member_id {
        let belongs = Member::organization_ids(conn, member_id)?.contains(&committee.organization_id);
        if !belongs {
            return Err(AppError::invalid(field, "member_not_in_organization"));
        }
    }
    Ok(())
}

pub fn add_seat(
    conn: &mut DbConn,
    actor: &CurrentUser,
    scope: &Scope,
    committee_id: i64,
    input: SeatInput,
) -> AppResult<Seat> {
    let committee = Committee::find_scoped(conn, scope, committee_id)?;
    check_member(conn, &committee, input.member_id, "member_id")?;
    let seat: Seat = diesel::insert_into(committee_members::table)
        .values((
            committee_members::committee_id.eq(committee.id),
            committee_members::member_id.eq(input.member_id),
            committee_members::name.eq(&input.name),
            committee_members::position.eq(&input.position),
            committee_members::term_start.eq(input.term_start),
            committee_members::term_end.eq(input.term_end),
        ))
        .returning(committee_members::all_columns)
        .get_result(conn)?;
    let after = audit::snapshot(&seat);
    audit::record(
        conn,
        Some(actor.id),
        "add_member",
        "committee",
        Some(committee.id),
        None,
        Some(&after),
    )?;
    Ok(seat)
}

pub fn record_meeting(
    conn: &mut DbConn,
    actor: &CurrentUser,
    scope: &Scope,
    committee_id: i64,
    input: MeetingInput,
) -> AppResult<Meeting> {
    let committee = Committee::find_scoped(conn, scope, committee_id)?;
    let seats: Vec<i64> = Seat::of_committee(conn, committee.id)?.iter().map(|s| s.id).collect();
    if input.attendee_ids.iter().any(|id| !seats.contains(id)) {
        return Err(AppError::invalid("attendee_ids", "attendee_not_in_committee"));
    }
    let meeting: Meeting = diesel::insert_into(meetings::table)
        .values((
            meetings::committee_id.eq(committee.id),
            meetings::date.eq(input.date),
            meetings::place.eq(&input.place),
            meetings::minutes.eq(&input.minutes),
            meetings::created_by.eq(actor.id),
            meetings::created_at.eq(now()),
        ))
        .returning(meetings::all_columns)
        .get_result(conn)?;
    for seat in &input.attendee_ids {
        diesel::insert_into(meeting_attendees::table)
            .values((
                meeting_attendees::meeting_id.eq(meeting.id),
                meeting_attendees::committee_member_id.eq(seat),
            ))
            .execute(conn)?;
    }
    let after = serde_json::json!({"meeting_id": meeting.id, "date": meeting.date, "attendees": input.attendee_ids});
    audit::record(
        conn,
        Some(actor.id),
        "record_meeting",
        "committee",
        Some(committee.id),
        None,
        Some(&after),
    )?;
    Ok(meeting)
}

pub fn create_action(
    conn: &mut DbConn,
    actor: &CurrentUser,
    scope: &Scope,
    committee_id: i64,
    input: ActionInput,
    today: NaiveDate,
) -> AppResult<ActionView> {
    let committee = Committee::find_scoped(conn, scope, committee_id)?;
    if input.responsible_member_id.is_none() && input.responsible_name.is_none() {
        return Err(AppError::invalid("responsible_name", "responsible_required"));
    }
    check_member(conn, &committee, input.responsible_member_id, "responsible_member_id")?;
    if let Some(meeting_id) = input.meeting_id {
        let meeting: Option<Meeting> = meetings::table
            .find(meeting_id)
            .filter(meetings::committee_id.eq(committee.id))
            .select(Meeting::as_select())
            .get_result(conn)
            .optional()?;
        match meeting {
            None => return Err(AppError::invalid("meeting_id", "meeting_unknown")),
            Some(m) if input.due_date < m.date => return Err(AppError::invalid("due_date", "due_before_meeting")),
            Some(_) => {}
        }
    }
    // A new action starts pending or in progress: "done" or "cancelled" at birth skips the follow-up.
    if !matches!(input.status, ActionStatus::Pending | ActionStatus::InProgress) {
        return Err(AppError::invalid("status", "status_skips_step"));
    }
    let at = now();
    let action = NewCommitteeAction {
        committee_id: committee.id,
        meeting_id: input.meeting_id,
        description: &input.description,
        responsible_member_id: input.responsible_member_id,
        responsible_name: input.responsible_name.as_deref(),
        due_date: input.due_date,
        status: input.status.as_str(),
        created_by: actor.id,
        created_at: at,
        updated_at: at,
    }
    .insert(conn)?;
    let view = action_view(conn, &action, today)?;
    audit::record(
        conn,
        Some(actor.id),
        "create",
        "action",
        Some(action.id),
        None,
        Some(&audit::snapshot(&view)),
    )?;
    Ok(view)
}

pub fn change_status(
    conn: &mut DbConn,
    actor: &CurrentUser,
    scope: &Scope,
    action_id: i64,
    change: StatusChange,
    today: NaiveDate,
) -> AppResult<ActionView> {
    let action = CommitteeAction::find_scoped(conn, scope, action_id)?;
    let from = ActionStatus::parse(&action.status).map_err(AppError::internal)?;
    check(from, change.status, change.reason.as_deref()).map_err(|code| {
        let field = if code == "reason_required" { "reason" } else { "status" };
        AppError::invalid(field, code)
    })?;
    let before = action_view(conn, &action, today)?;
    let done_on = (change.status == ActionStatus::Done).then_some(today);
    diesel::update(committee_actions::table.find(action.id))
        .set((
            committee_actions::status.eq(change.status.as_str()),
            committee_actions::status_reason.eq(&change.reason),
            committee_actions::done_on.eq(done_on),
            committee_actions::updated_at.eq(now()),
        ))
        .execute(conn)?;
    let updated: CommitteeAction = committee_actions::table
        .find(action.id)
        .select(CommitteeAction::as_select())
        .get_result(conn)?;
    let after = action_view(conn, &updated, today)?;
    audit::record(
        conn,
        Some(actor.id),
        "status",
        "action",
        Some(action.id),
        Some(&audit::snapshot(&before)),
        Some(&audit::snapshot(&after)),
    )?;
    Ok(after)
}

pub fn add_note(
    conn: &mut DbConn,
    actor: &CurrentUser,
    scope: &Scope,
    action_id: i64,
    input: NoteInput,
    today: NaiveDate,
) -> AppResult<Note> {
    let action = CommitteeAction::find_scoped(conn, scope, action_id)?;
    let date = input.date.unwrap_or(today);
    if date > today {
        return Err(AppError::invalid("date", "date_in_future"));
    }
    let note: Note = diesel::insert_into(action_notes::table)
        .values((
            action_notes::action_id.eq(action.id),
            action_notes::date.eq(date),
            action_notes::text.eq(&input.text),
            action_notes::created_by.eq(actor.id),
            action_notes::created_at.eq(now()),
        ))
        .returning(action_notes::all_columns)
        .get_result(conn)?;
    audit::record(
        conn,
        Some(actor.id),
        "note",
        "action",
        Some(action.id),
        None,
        Some(&audit::snapshot(&note)),
    )?;
    Ok(note)
}
