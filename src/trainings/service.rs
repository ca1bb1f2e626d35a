//! The trainings' writes, each in one transaction with its audit row, and the reads that gather
//! a register or a report.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::input::{CancelInput, EntryInput, TopicInput, TrainingInput};
use super::model::{Attendance, Topic, Training};
use super::register::{check, RegisterFacts};
use super::report::{tally, MemberFacts, Tally, TrainingFacts};
use crate::audit;
use crate::auth::policy::{may_assign_organization, CurrentUser, Scope};
use crate::clock::now;
use crate::db::schema::{attendances, member_organizations, members, topics, training_organizations, trainings};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::organizations::Organization;

#[derive(Debug, Serialize)]
pub struct TrainingView {
    #[serde(flatten)]
    pub training: Training,
    pub status: &'static str,
    pub organization_ids: Vec<i64>,
    pub attendance: StatusCounts,
}

#[derive(Debug, Default, Clone, Serialize)]
pub struct StatusCounts {
    pub present: usize,
    pub absent: usize,
    pub excused: usize,
}

impl StatusCounts {
    fn of(lines: &[Attendance]) -> StatusCounts {
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
    let training: Training = diesel::insert_into(trainings::table)
        .values((
            trainings::title.eq(title),
            trainings::topic.eq(topic),
            trainings::date.eq(date),
            trainings::place.eq(input.place.flatten()),
            trainings::facilitator.eq(input.facilitator.flatten()),
            trainings::notes.eq(input.notes.flatten()),
            trainings::created_by.eq(actor.id),
            trainings::created_at.eq(at),
            trainings::updated_at.eq(at),
        ))
        .returning(trainings::all_columns)
        .get_result(conn)?;
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

/// A register as it is read back: every line, members with their name and sex from their record.
#[derive(Debug, Serialize)]
pub struct RegisterView {
    pub training_id: i64,
    pub entries: Vec<RegisterEntry>,
    #[serde(flatten)]
    pub counts: StatusCounts,
}

#[derive(Debug, Clone, Serialize)]
pub struct RegisterEntry {
    pub member_id: Option<i64>,
    pub name: String,
    pub sex: String,
    pub organization_id: Option<i64>,
    pub status: String,
}

pub fn register_view(conn: &mut DbConn, training_id: i64) -> AppResult<RegisterView> {
    let lines = Attendance::of_training(conn, training_id)?;
    let member_ids: Vec<i64> = lines.iter().filter_map(|l| l.member_id).collect();
    let people: Vec<(i64, String, String, String)> = members::table
        .filter(members::id.eq_any(&member_ids))
        .select((members::id, members::first_name, members::last_name, members::sex))
        .load(conn)?;
    let entries = lines
        .iter()
        .map(|l| {
            let member = l.member_id.and_then(|id| people.iter().find(|p| p.0 == id));
            RegisterEntry {
                member_id: l.member_id,
                name: member.map_or_else(|| l.name.clone().unwrap_or_default(), |p| format!("{} {}", p.1, p.2)),
                sex: member.map_or_else(|| l.sex.clone().unwrap_or_default(), |p| p.3.clone()),
                organization_id: l.organization_id,
                status: l.status.clone(),
            }
        })
        .collect();
    Ok(RegisterView {
        training_id,
        entries,
        counts: StatusCounts::of(&lines),
    })
}

/// The members invited to a training (members of its organisations, not anonymised), each with
/// her invited organisations; members already on its register stay on it.
pub fn invited(conn: &mut DbConn, training_id: i64, organization_ids: &[i64]) -> AppResult<BTreeMap<i64, Vec<i64>>> {
    let rows: Vec<(i64, i64)> = member_organizations::table
        .inner_join(members::table)
        .filter(member_organizations::organization_id.eq_any(organization_ids))
        .filter(members::anonymized_at.is_null())
        .order((member_organizations::member_id, member_organizations::organization_id))
        .select((member_organizations::member_id, member_organizations::organization_id))
        .load(conn)?;
    let mut invited: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (member_id, organization_id) in rows {
        invited.entry(member_id).or_default().push(organization_id);
    }
    for line in Attendance::of_training(conn, training_id)? {
        if let Some(member_id) = line.member_id {
            invited
                .entry(member_id)
                .or_insert_with(|| line.organization_id.into_iter().collect());
        }
    }
    Ok(invited)
}

/// Replaces a training's register with `entries` (so saving twice gives the same register).
pub fn save_register(
    conn: &mut DbConn,
    actor: &CurrentUser,
    scope: &Scope,
    id: i64,
    entries: &[EntryInput],
    today: NaiveDate,
) -> AppResult<RegisterView> {
    let (training, organization_ids) = Training::find_scoped(conn, scope, id)?;
    if training.is_cancelled() {
        return Err(AppError::Conflict("training_cancelled"));
    }
    let invited = invited(conn, id, &organization_ids)?;
    let organizations: Vec<i64> = Organization::all(conn)?.into_iter().map(|o| o.id).collect();
    let facts = RegisterFacts {
        training_date: training.date,
        today,
        invited: &invited,
        organizations: &organizations,
    };
    let lines = check(entries, &facts).map_err(AppError::Invalid)?;
    let before = register_view(conn, id)?;
    diesel::delete(attendances::table.filter(attendances::training_id.eq(id))).execute(conn)?;
    for line in &lines {
        diesel::insert_into(attendances::table)
            .values((
                attendances::training_id.eq(id),
                attendances::member_id.eq(line.member_id),
                attendances::name.eq(&line.name),
                attendances::sex.eq(line.sex),
                attendances::organization_id.eq(line.organization_id),
                attendances::status.eq(line.status.as_str()),
            ))
            .execute(conn)?;
    }
    let after = register_view(conn, id)?;
    // The log keeps who was marked how, by member id; guests' names stay in the register only.
    let summary = |r: &RegisterView| {
        serde_json::json!({
            "counts": audit::snapshot(&r.counts),
            "members": r.entries.iter().filter_map(|e| e.member_id.map(|m| (m.to_string(), e.status.clone()))).collect::<BTreeMap<_, _>>(),
            "guests": r.entries.iter().filter(|e| e.member_id.is_none()).count(),
        })
    };
    audit::record(
        conn,
        Some(actor.id),
        "record_attendance",
        "training",
        Some(id),
        Some(&summary(&before)),
        Some(&summary(&after)),
    )?;
    Ok(after)
}

/// The filters of a report, already checked against the reader's scope.
#[derive(Debug, Clone)]
pub struct ReportFilter {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub topic: Option<String>,
    pub organization_id: Option<i64>,
    /// The organisations counted: `None` all; a filter or a coordinator's own otherwise.
    pub organizations: Option<Vec<i64>>,
}

impl ReportFilter {
    pub fn new(
        conn: &mut DbConn,
        scope: &Scope,
        (from, to): (NaiveDate, NaiveDate),
        topic: Option<String>,
        organization_id: Option<i64>,
    ) -> AppResult<ReportFilter> {
        if let Some(key) = &topic {
            if !Topic::exists(conn, key)? {
                return Err(AppError::invalid("topic", "topic_unknown"));
            }
        }
        if let Some(id) = organization_id {
            Organization::find_scoped(conn, scope, id)?;
        }
        let organizations = match (scope, organization_id) {
            (_, Some(id)) => Some(vec![id]),
            (Scope::All, None) => None,
            (Scope::Organizations(ids), None) => Some(ids.clone()),
            (Scope::Herself(_) | Scope::Nothing, None) => return Err(AppError::Forbidden),
        };
        Ok(ReportFilter {
            from,
            to,
            topic,
            organization_id,
            organizations,
        })
    }
}

/// Gathers the facts of the period and counts them.
pub fn attendance_tally(conn: &mut DbConn, filter: &ReportFilter) -> AppResult<Tally> {
    let search = super::model::TrainingFilter {
        from: Some(filter.from),
        to: Some(filter.to),
        topic: filter.topic.clone(),
        organization_id: None,
    };
    let held: Vec<TrainingFacts> = Training::search(conn, &Scope::All, &search)?
        .into_iter()
        .filter(|(t, _)| !t.is_cancelled())
        .map(|(t, organization_ids)| TrainingFacts {
            id: t.id,
            topic: t.topic,
            organization_ids,
        })
        .collect();
    let ids: Vec<i64> = held.iter().map(|t| t.id).collect();
    let rows = Attendance::facts(conn, &ids)?;
    let mut org_ids: Vec<i64> = held.iter().flat_map(|t| t.organization_ids.clone()).collect();
    org_ids.sort_unstable();
    org_ids.dedup();
    let memberships: Vec<(i64, i64)> = member_organizations::table
        .filter(member_organizations::organization_id.eq_any(&org_ids))
        .select((member_organizations::member_id, member_organizations::organization_id))
        .load(conn)?;
    let mut organizations_of: BTreeMap<i64, Vec<i64>> = BTreeMap::new();
    for (member_id, organization_id) in memberships {
        organizations_of.entry(member_id).or_default().push(organization_id);
    }
    let member_ids: Vec<i64> = organizations_of.keys().copied().collect();
    let people: Vec<(i64, String, String, String)> = members::table
        .filter(members::id.eq_any(&member_ids))
        .filter(members::anonymized_at.is_null())
        .select((members::id, members::first_name, members::last_name, members::sex))
        .load(conn)?;
    let members: Vec<MemberFacts> = people
        .into_iter()
        .map(|(id, first, last, sex)| MemberFacts {
            id,
            name: format!("{last}, {first}"),
            sex,
            organization_ids: organizations_of.remove(&id).unwrap_or_default(),
        })
        .collect();
    Ok(tally(&held, &rows, &members, filter.organizations.as_deref()))
}
