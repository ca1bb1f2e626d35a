//! Attendance as the service writes and reads it: a training's register (saved whole, in one
//! transaction, after the rules of `register.rs`), who was invited, and a member's trainings.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;

use super::entries::EntryInput;
use super::model::{Attendance, Training};
use super::register::{check, RegisterFacts};
use super::service::StatusCounts;
use crate::audit;
use crate::auth::policy::{CurrentUser, Scope};
use crate::db::schema::{attendances, member_organizations, members};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::organizations::Organization;

/// A register as it is read back: every line, members with their name and sex from their record.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct RegisterView {
    pub training_id: i64,
    pub entries: Vec<RegisterEntry>,
    #[serde(flatten)]
    pub counts: StatusCounts,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
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

#[derive(Serialize, utoipa::ToSchema)]
pub struct HistoryLine {
    pub training_id: i64,
    pub title: String,
    pub topic: String,
    pub date: String,
    pub status: String,
    /// The topic's names (Spanish, English), for a page; `None` for a topic no longer listed.
    #[serde(skip)]
    #[schema(ignore)]
    pub topic_names: Option<(String, String)>,
}

impl HistoryLine {
    /// The topic's name in the reader's language, or its key when it is no longer listed.
    pub fn topic_name(&self, t: &crate::i18n::Tr) -> &str {
        match (&self.topic_names, t.lang) {
            (Some((es, _)), crate::i18n::Lang::Es) => es,
            (Some((_, en)), crate::i18n::Lang::En) => en,
            (None, _) => &self.topic,
        }
    }
}

pub fn history(conn: &mut crate::db::DbConn, member_id: i64) -> AppResult<Vec<HistoryLine>> {
    Ok(Attendance::history(conn, member_id)?
        .into_iter()
        .map(|row| HistoryLine {
            training_id: row.training_id,
            title: row.title,
            topic: row.topic,
            date: row.date.to_string(),
            status: row.status,
            topic_names: row.topic_es.zip(row.topic_en),
        })
        .collect())
}
