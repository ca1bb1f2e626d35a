//! Rows of the committee tables and their queries, read through a scope.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::policy::Scope;
use crate::db::schema::{action_notes, committee_actions, committee_members, committees, meeting_attendees, meetings};
use crate::db::{on_backend, DbConn};
use crate::error::{AppError, AppResult};

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = committees)]
pub struct Committee {
    pub id: i64,
    pub organization_id: i64,
    pub name: String,
    #[serde(skip)]
    pub created_at: NaiveDateTime,
}

impl Committee {
    /// The committee, if the scope reaches it (filtered in the query).
    pub fn find_scoped(conn: &mut DbConn, scope: &Scope, id: i64) -> AppResult<Committee> {
        let q = committees::table.find(id).select(Committee::as_select()).into_boxed();
        let q = match scope {
            Scope::All => q,
            Scope::Organizations(ids) => q.filter(committees::organization_id.eq_any(ids.clone())),
            Scope::Herself(_) | Scope::Nothing => return Err(AppError::NotFound),
        };
        Ok(q.get_result(conn)?)
    }

    pub fn list(conn: &mut DbConn, scope: &Scope) -> AppResult<Vec<Committee>> {
        let mut q = committees::table
            .order(committees::name)
            .select(Committee::as_select())
            .into_boxed();
        match scope {
            Scope::All => {}
            Scope::Organizations(ids) => q = q.filter(committees::organization_id.eq_any(ids.clone())),
            Scope::Herself(_) | Scope::Nothing => return Ok(Vec::new()),
        }
        Ok(q.load(conn)?)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = committee_members)]
pub struct Seat {
    pub id: i64,
    pub committee_id: i64,
    pub member_id: Option<i64>,
    pub name: Option<String>,
    pub position: String,
    pub term_start: NaiveDate,
    pub term_end: Option<NaiveDate>,
}

impl Seat {
    pub fn of_committee(conn: &mut DbConn, committee_id: i64) -> AppResult<Vec<Seat>> {
        Ok(committee_members::table
            .filter(committee_members::committee_id.eq(committee_id))
            .order(committee_members::id)
            .select(Seat::as_select())
            .load(conn)?)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = meetings)]
pub struct Meeting {
    pub id: i64,
    pub committee_id: i64,
    pub date: NaiveDate,
    pub place: Option<String>,
    pub minutes: String,
    #[serde(skip)]
    pub created_by: i64,
    #[serde(skip)]
    pub created_at: NaiveDateTime,
}

impl Meeting {
    pub fn of_committee(conn: &mut DbConn, committee_id: i64) -> AppResult<Vec<Meeting>> {
        Ok(meetings::table
            .filter(meetings::committee_id.eq(committee_id))
            .order(meetings::date.desc())
            .select(Meeting::as_select())
            .load(conn)?)
    }

    pub fn attendees(conn: &mut DbConn, meeting_ids: &[i64]) -> AppResult<Vec<(i64, i64)>> {
        Ok(meeting_attendees::table
            .filter(meeting_attendees::meeting_id.eq_any(meeting_ids))
            .select((meeting_attendees::meeting_id, meeting_attendees::committee_member_id))
            .load(conn)?)
    }
}

#[derive(Debug, Clone, Queryable, Selectable)]
#[diesel(table_name = committee_actions)]
pub struct CommitteeAction {
    pub id: i64,
    pub committee_id: i64,
    pub meeting_id: Option<i64>,
    pub description: String,
    pub responsible_member_id: Option<i64>,
    pub responsible_name: Option<String>,
    pub due_date: NaiveDate,
    pub status: String,
    pub status_reason: Option<String>,
    pub done_on: Option<NaiveDate>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl CommitteeAction {
    /// An action the scope reaches: by its committee's organisation, or (a member) one she is responsible for.
    pub fn find_scoped(conn: &mut DbConn, scope: &Scope, id: i64) -> AppResult<CommitteeAction> {
        let action: CommitteeAction = committee_actions::table
            .find(id)
            .select(CommitteeAction::as_select())
            .get_result(conn)?;
        match scope {
            Scope::Herself(member_id) if action.responsible_member_id == Some(*member_id) => Ok(action),
            Scope::Herself(_) | Scope::Nothing => Err(AppError::NotFound),
            other => Committee::find_scoped(conn, other, action.committee_id).map(|_| action),
        }
    }

    pub fn of_committees(conn: &mut DbConn, committee_ids: &[i64]) -> AppResult<Vec<CommitteeAction>> {
        Ok(committee_actions::table
            .filter(committee_actions::committee_id.eq_any(committee_ids))
            .order((committee_actions::due_date, committee_actions::id))
            .select(CommitteeAction::as_select())
            .load(conn)?)
    }

    /// The actions a member is responsible for, as far as the scope reaches them (the same rule as
    /// [`CommitteeAction::find_scoped`], for all of them at once).
    pub fn of_responsible(conn: &mut DbConn, scope: &Scope, member_id: i64) -> AppResult<Vec<CommitteeAction>> {
        match scope {
            Scope::All => {}
            Scope::Herself(herself) if *herself == member_id => {}
            Scope::Herself(_) | Scope::Nothing => return Ok(Vec::new()),
            // Her actions in the committees of the reader's organisations; the query for all of
            // them, below, is the one her own page runs, on the backend's own connection.
            Scope::Organizations(ids) => {
                return Ok(committee_actions::table
                    .filter(committee_actions::responsible_member_id.eq(member_id))
                    .filter(
                        committee_actions::committee_id.eq_any(
                            committees::table
                                .filter(committees::organization_id.eq_any(ids.clone()))
                                .select(committees::id),
                        ),
                    )
                    .order((committee_actions::due_date, committee_actions::id))
                    .select(CommitteeAction::as_select())
                    .load(conn)?)
            }
        }
        Ok(on_backend!(conn, |c| committee_actions::table
            .filter(committee_actions::responsible_member_id.eq(member_id))
            .order((committee_actions::due_date, committee_actions::id))
            .select(CommitteeAction::as_select())
            .load(c))?)
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = action_notes)]
pub struct Note {
    pub id: i64,
    #[serde(skip)]
    pub action_id: i64,
    pub date: NaiveDate,
    pub text: String,
    pub created_by: i64,
    #[serde(skip)]
    pub created_at: NaiveDateTime,
}

impl Note {
    pub fn of_actions(conn: &mut DbConn, action_ids: &[i64]) -> AppResult<Vec<Note>> {
        Ok(action_notes::table
            .filter(action_notes::action_id.eq_any(action_ids))
            .order((action_notes::date, action_notes::id))
            .select(Note::as_select())
            .load(conn)?)
    }
}

/// An agreement of the committee as first recorded (pending or in progress).
#[derive(Insertable)]
#[diesel(table_name = committee_actions)]
pub struct NewCommitteeAction<'a> {
    pub committee_id: i64,
    pub meeting_id: Option<i64>,
    pub description: &'a str,
    pub responsible_member_id: Option<i64>,
    pub responsible_name: Option<&'a str>,
    pub due_date: NaiveDate,
    pub status: &'a str,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewCommitteeAction<'_> {
    pub fn insert(&self, conn: &mut DbConn) -> AppResult<CommitteeAction> {
        Ok(diesel::insert_into(committee_actions::table)
            .values(self)
            .returning(committee_actions::all_columns)
            .get_result(conn)?)
    }
}
