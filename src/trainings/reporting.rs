//! What an attendance report is asked for (period, topic, organisation) and the tally it reads
//! from the registers; `report.rs` does the counting.

use std::collections::BTreeMap;

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use serde::Deserialize;

use super::input::topic_query;
use super::model::{Attendance, Topic, Training};
use super::report::{tally, MemberFacts, Tally, TrainingFacts};
use crate::auth::policy::Scope;
use crate::db::schema::{member_organizations, members};
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::organizations::Organization;
use crate::web::{date_param, id_param};

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
            date: t.date,
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
    let people: Vec<(i64, String, String, String, chrono::NaiveDateTime)> = members::table
        .filter(members::id.eq_any(&member_ids))
        .filter(members::anonymized_at.is_null())
        .select((
            members::id,
            members::first_name,
            members::last_name,
            members::sex,
            members::created_at,
        ))
        .load(conn)?;
    let members: Vec<MemberFacts> = people
        .into_iter()
        .map(|(id, first, last, sex, created_at)| MemberFacts {
            id,
            name: format!("{last}, {first}"),
            sex,
            organization_ids: organizations_of.remove(&id).unwrap_or_default(),
            registered_on: crate::clock::lima_date(created_at),
        })
        .collect();
    Ok(tally(&held, &rows, &members, filter.organizations.as_deref()))
}

#[derive(Deserialize)]
pub struct ReportQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub topic: Option<String>,
    pub organization_id: Option<String>,
}

impl ReportQuery {
    /// The period asked for; by default the current quarter so far.
    pub fn period(&self, today: NaiveDate) -> AppResult<(NaiveDate, NaiveDate)> {
        let quarter_start = NaiveDate::from_ymd_opt(today.year(), (today.month0() / 3) * 3 + 1, 1).unwrap_or(today);
        let from = date_param("from", self.from.as_deref())?.unwrap_or(quarter_start);
        let to = date_param("to", self.to.as_deref())?.unwrap_or(today);
        if to < from {
            return Err(AppError::invalid("to", "period_reversed"));
        }
        Ok((from, to))
    }

    /// The period, topic and organisation asked for, each checked.
    pub fn checked(&self, today: NaiveDate) -> AppResult<CheckedReportQuery> {
        Ok((
            self.period(today)?,
            topic_query(&self.topic)?,
            id_param("organization_id", self.organization_id.as_deref())?,
        ))
    }
}

/// (period, topic, organisation) of a report query.
pub type CheckedReportQuery = ((NaiveDate, NaiveDate), Option<String>, Option<i64>);
