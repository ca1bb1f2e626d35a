//! The trainings' writes, each in one transaction with its audit row, and the reads that gather
//! a register or a report.

use diesel::prelude::*;
use serde::Serialize;

use super::input::{CancelInput, TopicInput, TrainingInput};
use super::model::{Attendance, NewTraining, Topic, Training};
use crate::audit;
use crate::auth::policy::{may_assign_organization, CurrentUser, Scope};
use crate::clock::now;
use crate::db::schema::{attendances, topics, training_organizations, trainings};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::organizations::Organization;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct TrainingView {
    #[serde(flatten)]
    pub training: Training,
    pub status: &'static str,
    pub organization_ids: Vec<i64>,
    pub attendance: StatusCounts,
}

#[derive(Debug, Default, Clone, Serialize, utoipa::ToSchema)]
pub struct StatusCounts {
    pub present: usize,
    pub absent: usize,
    pub excused: usize,
}

impl StatusCounts {
    pub(super) fn of(lines: &[Attendance]) -> StatusCounts {
        let n = |s: &str| lines.iter().filter(|l| l.status == s).count();
        StatusCounts {
            present: n("present"),
            absent: n("absent"),
            excused: n("excused"),
        }
    }
}

pub fn training_view(conn: &mut DbConn, training: Training, organization_ids: Vec<i64>) -> AppResult<TrainingView> {
    let lines = Attendance::of_training(conn, training.id)?;
    Ok(TrainingView {
        status: if training.is_cancelled() {
            "cancelled"
        } else {
            "scheduled"
        },
        organization_ids,
        attendance: StatusCounts::of(&lines),
        training,
    })
}

pub fn create_topic(conn: &mut DbConn, actor: &CurrentUser, input: TopicInput) -> AppResult<Topic> {
    if Topic::exists(conn, &input.key)? {
        return Err(AppError::invalid("key", "topic_key_taken"));
    }
    let topic: Topic = diesel::insert_into(topics::table)
        .values((
            topics::key.eq(&input.key),
            topics::name_es.eq(&input.name_es),
            topics::name_en.eq(&input.name_en),
            topics::created_at.eq(now()),
        ))
        .returning(topics::all_columns)
        .get_result(conn)?;
    audit::record(
        conn,
        Some(actor.id),
        "create",
        "topic",
        None,
        None,
        Some(&audit::snapshot(&topic)),
    )?;
    Ok(topic)
}

fn check_organizations(conn: &mut DbConn, actor: &CurrentUser, ids: &[i64]) -> AppResult<()> {
    let unknown = Organization::unknown_ids(conn, ids)?;
    if !unknown.is_empty() || ids.iter().any(|id| !may_assign_organization(actor, *id)) {
        return Err(AppError::invalid("organization_ids", "organization_unknown"));
    }
    Ok(())
}

fn check_topic(conn: &mut DbConn, topic: &Option<String>) -> AppResult<()> {
    match topic {
        Some(key) if !Topic::exists(conn, key)? => Err(AppError::invalid("topic", "topic_unknown")),
        _ => Ok(()),
    }
}

fn set_organizations(conn: &mut DbConn, training_id: i64, ids: &[i64]) -> AppResult<()> {
    diesel::delete(training_organizations::table.filter(training_organizations::training_id.eq(training_id)))
        .execute(conn)?;
    let mut ids = ids.to_vec();
    ids.sort_unstable();
    ids.dedup();
    for id in ids {
        diesel::insert_into(training_organizations::table)
            .values((
                training_organizations::training_id.eq(training_id),
                training_organizations::organization_id.eq(id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

pub fn create_training(conn: &mut DbConn, actor: &CurrentUser, input: TrainingInput) -> AppResult<TrainingView> {
    let organization_ids = input.organization_ids.clone().unwrap_or_default();
    check_topic(conn, &input.topic)?;
    check_organizations(conn, actor, &organization_ids)?;
    let (Some(title), Some(topic), Some(date)) = (input.title, input.topic, input.date) else {
        return Err(AppError::invalid("body", "invalid"));
    };
    let at = now();
    let training = NewTraining {
        title,
        topic,
        date,
        place: input.place.flatten(),
        facilitator: input.facilitator.flatten(),
        notes: input.notes.flatten(),
        created_by: actor.id,
        created_at: at,
        updated_at: at,
    }
    .insert(conn)?;
    set_organizations(conn, training.id, &organization_ids)?;
    let organization_ids = Training::organization_ids(conn, training.id)?;
    let view = training_view(conn, training, organization_ids)?;
    audit::record(
        conn,
        Some(actor.id),
        "create",
        "training",
        Some(view.training.id),
        None,
        Some(&audit::snapshot(&view)),
    )?;
    Ok(view)
}

pub fn update_training(
    conn: &mut DbConn,
    actor: &CurrentUser,
    scope: &Scope,
    id: i64,
    input: TrainingInput,
) -> AppResult<TrainingView> {
    let (mut training, old_orgs) = Training::find_scoped(conn, scope, id)?;
    if training.is_cancelled() {
        return Err(AppError::Conflict("training_cancelled"));
    }
    let before = audit::snapshot(&training_view(conn, training.clone(), old_orgs.clone())?);
    check_topic(conn, &input.topic)?;
    if let Some(new_orgs) = &input.organization_ids {
        check_organizations(conn, actor, new_orgs)?;
        let dropped: Vec<i64> = old_orgs.iter().filter(|o| !new_orgs.contains(o)).copied().collect();
        let still_used: i64 = attendances::table
            .filter(attendances::training_id.eq(id))
            .filter(attendances::organization_id.eq_any(&dropped))
            .count()
            .get_result(conn)?;
        if still_used > 0 {
            return Err(AppError::invalid("organization_ids", "organization_has_attendance"));
        }
        set_organizations(conn, id, new_orgs)?;
    }
    if let Some(title) = input.title {
        training.title = title;
    }
    if let Some(topic) = input.topic {
        training.topic = topic;
    }
    if let Some(date) = input.date {
        training.date = date;
    }
    if let Some(place) = input.place {
        training.place = place;
    }
    if let Some(facilitator) = input.facilitator {
        training.facilitator = facilitator;
    }
    if let Some(notes) = input.notes {
        training.notes = notes;
    }
    training.updated_at = now();
    diesel::update(trainings::table.find(id))
        .set((
            trainings::title.eq(&training.title),
            trainings::topic.eq(&training.topic),
            trainings::date.eq(training.date),
            trainings::place.eq(&training.place),
            trainings::facilitator.eq(&training.facilitator),
            trainings::notes.eq(&training.notes),
            trainings::updated_at.eq(training.updated_at),
        ))
        .execute(conn)?;
    let organization_ids = Training::organization_ids(conn, id)?;
    let view = training_view(conn, training, organization_ids)?;
    audit::record(
        conn,
        Some(actor.id),
        "update",
        "training",
        Some(id),
        Some(&before),
        Some(&audit::snapshot(&view)),
    )?;
    Ok(view)
}

pub fn cancel_training(
    conn: &mut DbConn,
    actor: &CurrentUser,
    scope: &Scope,
    id: i64,
    input: CancelInput,
) -> AppResult<TrainingView> {
    let (training, organization_ids) = Training::find_scoped(conn, scope, id)?;
    if training.is_cancelled() {
        return Err(AppError::Conflict("training_cancelled"));
    }
    let at = now();
    let changed = diesel::update(trainings::table.find(id).filter(trainings::cancelled_at.is_null()))
        .set((
            trainings::cancelled_at.eq(Some(at)),
            trainings::cancel_reason.eq(Some(&input.reason)),
            trainings::updated_at.eq(at),
        ))
        .execute(conn)?;
    if changed != 1 {
        return Err(AppError::Conflict("training_cancelled"));
    }
    let (training, _) = Training::find_scoped(conn, &Scope::All, id)?;
    let view = training_view(conn, training, organization_ids)?;
    audit::record(
        conn,
        Some(actor.id),
        "cancel",
        "training",
        Some(id),
        None,
        Some(&audit::snapshot(&view)),
    )?;
    Ok(view)
}
