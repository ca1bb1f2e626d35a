//! Rows of the training tables and their queries, read through a scope.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use serde::Serialize;

use crate::auth::policy::Scope;
use crate::db::schema::{attendances, members, topics, training_organizations, trainings};
use crate::db::{on_backend, DbConn};
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, Tr};

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = topics)]
pub struct Topic {
    pub key: String,
    pub name_es: String,
    pub name_en: String,
    #[serde(skip)]
    pub created_at: NaiveDateTime,
}

impl Topic {
    pub fn all(conn: &mut DbConn) -> AppResult<Vec<Topic>> {
        Ok(on_backend!(conn, |c| topics::table
            .order(topics::name_es)
            .select(Topic::as_select())
            .load(c))?)
    }

    pub fn exists(conn: &mut DbConn, key: &str) -> AppResult<bool> {
        let n: i64 = topics::table.filter(topics::key.eq(key)).count().get_result(conn)?;
        Ok(n > 0)
    }

    pub fn name(&self, t: &Tr) -> &str {
        match t.lang {
            Lang::Es => &self.name_es,
            Lang::En => &self.name_en,
        }
    }
}

/// The name of a topic key in the reader's language (the key itself if unknown).
pub fn topic_name(topics: &[Topic], key: &str, t: &Tr) -> String {
    topics
        .iter()
        .find(|topic| topic.key == key)
        .map_or_else(|| key.to_string(), |topic| topic.name(t).to_string())
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = trainings)]
pub struct Training {
    pub id: i64,
    pub title: String,
    pub topic: String,
    pub date: NaiveDate,
    pub place: Option<String>,
    pub facilitator: Option<String>,
    pub notes: Option<String>,
    #[serde(skip)]
    pub cancelled_at: Option<NaiveDateTime>,
    pub cancel_reason: Option<String>,
    #[serde(skip)]
    pub created_by: i64,
    #[serde(skip)]
    pub created_at: NaiveDateTime,
    #[serde(skip)]
    pub updated_at: NaiveDateTime,
}

/// Whether a scope reaches a training invited to these organisations: coordinators only when
/// every invited organisation is theirs.
pub fn reaches(scope: &Scope, organization_ids: &[i64]) -> bool {
    match scope {
        Scope::All => true,
        Scope::Organizations(ids) => organization_ids.iter().all(|o| ids.contains(o)),
        Scope::Herself(_) | Scope::Nothing => false,
    }
}

/// The organisations a training was held with, from the pairs [`Training::organizations_of`] read.
fn held_with(pairs: &[(i64, i64)], training_id: i64) -> Vec<i64> {
    pairs
        .iter()
        .filter(|(t, _)| *t == training_id)
        .map(|(_, o)| *o)
        .collect()
}

#[derive(Debug, Default, Clone)]
pub struct TrainingFilter {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    pub topic: Option<String>,
    pub organization_id: Option<i64>,
}

impl Training {
    pub fn is_cancelled(&self) -> bool {
        self.cancelled_at.is_some()
    }

    pub fn find_scoped(conn: &mut DbConn, scope: &Scope, id: i64) -> AppResult<(Training, Vec<i64>)> {
        let training: Training = trainings::table
            .find(id)
            .select(Training::as_select())
            .get_result(conn)?;
        let organization_ids = Training::organization_ids(conn, id)?;
        if reaches(scope, &organization_ids) {
            Ok((training, organization_ids))
        } else {
            Err(AppError::NotFound)
        }
    }

    pub fn organization_ids(conn: &mut DbConn, training_id: i64) -> AppResult<Vec<i64>> {
        Ok(training_organizations::table
            .filter(training_organizations::training_id.eq(training_id))
            .order(training_organizations::organization_id)
            .select(training_organizations::organization_id)
            .load(conn)?)
    }

    /// Which of these trainings the scope may open. The organisations they were held with are read
    /// only when the answer depends on them (a coordinator's scope): everyone else's answer is the
    /// same for every training.
    pub fn readable(conn: &mut DbConn, scope: &Scope, training_ids: Vec<i64>) -> AppResult<Vec<i64>> {
        match scope {
            Scope::All => Ok(training_ids),
            Scope::Herself(_) | Scope::Nothing => Ok(Vec::new()),
            Scope::Organizations(_) => {
                let invited = Training::organizations_of(conn, &training_ids)?;
                Ok(training_ids
                    .into_iter()
                    .filter(|id| reaches(scope, &held_with(&invited, *id)))
                    .collect())
            }
        }
    }

    /// (training id, organisation id) for many trainings at once.
    pub fn organizations_of(conn: &mut DbConn, training_ids: &[i64]) -> AppResult<Vec<(i64, i64)>> {
        Ok(training_organizations::table
            .filter(training_organizations::training_id.eq_any(training_ids))
            .order((
                training_organizations::training_id,
                training_organizations::organization_id,
            ))
            .select((
                training_organizations::training_id,
                training_organizations::organization_id,
            ))
            .load(conn)?)
    }

    /// Trainings in the filter that the scope reaches, newest first, each with its organisations.
    pub fn search(conn: &mut DbConn, scope: &Scope, filter: &TrainingFilter) -> AppResult<Vec<(Training, Vec<i64>)>> {
        let mut q = trainings::table
            .order((trainings::date.desc(), trainings::id.desc()))
            .select(Training::as_select())
            .into_boxed();
        if let Some(from) = filter.from {
            q = q.filter(trainings::date.ge(from));
        }
        if let Some(to) = filter.to {
            q = q.filter(trainings::date.le(to));
        }
        if let Some(topic) = &filter.topic {
            q = q.filter(trainings::topic.eq(topic.clone()));
        }
        if let Some(organization_id) = filter.organization_id {
            q = q.filter(
                trainings::id.eq_any(
                    training_organizations::table
                        .filter(training_organizations::organization_id.eq(organization_id))
                        .select(training_organizations::training_id),
                ),
            );
        }
        let found: Vec<Training> = q.load(conn)?;
        let ids: Vec<i64> = found.iter().map(|t| t.id).collect();
        let organizations = Training::organizations_of(conn, &ids)?;
        Ok(found
            .into_iter()
            .map(|t| {
                let orgs = held_with(&organizations, t.id);
                (t, orgs)
            })
            .filter(|(_, orgs)| reaches(scope, orgs))
            .collect())
    }
}

#[derive(Debug, Clone, Queryable, Selectable, Serialize, utoipa::ToSchema)]
#[diesel(table_name = attendances)]
pub struct Attendance {
    pub id: i64,
    pub training_id: i64,
    pub member_id: Option<i64>,
    pub name: Option<String>,
    pub sex: Option<String>,
    pub organization_id: Option<i64>,
    pub status: String,
}

/// A register line as reports read it: the sex of a member comes from her record.
#[derive(Debug, Clone)]
pub struct AttendanceFact {
    pub training_id: i64,
    pub member_id: Option<i64>,
    pub name: Option<String>,
    pub sex: String,
    pub organization_id: Option<i64>,
    pub status: String,
}

impl Attendance {
    pub fn of_training(conn: &mut DbConn, training_id: i64) -> AppResult<Vec<Attendance>> {
        Ok(attendances::table
            .filter(attendances::training_id.eq(training_id))
            .order(attendances::id)
            .select(Attendance::as_select())
            .load(conn)?)
    }

    pub fn facts(conn: &mut DbConn, training_ids: &[i64]) -> AppResult<Vec<AttendanceFact>> {
        let rows: Vec<(Attendance, Option<String>)> = attendances::table
            .left_join(members::table.on(attendances::member_id.eq(members::id.nullable())))
            .filter(attendances::training_id.eq_any(training_ids))
            .select((Attendance::as_select(), members::sex.nullable()))
            .load(conn)?;
        Ok(rows
            .into_iter()
            .map(|(a, member_sex)| AttendanceFact {
                training_id: a.training_id,
                member_id: a.member_id,
                name: a.name,
                sex: member_sex.or(a.sex).unwrap_or_else(|| "undisclosed".into()),
                organization_id: a.organization_id,
                status: a.status,
            })
            .collect())
    }

    /// A member's register lines of the trainings held (not cancelled), newest first (on one day, the
    /// training entered later first), each with its topic's names (read here, so her page does not
    /// read every topic). Her few lines are put in order here rather than by the database: on
    /// SQLite an ORDER BY over a join builds a temporary tree, a third of this read's cost.
    pub fn history(conn: &mut DbConn, member_id: i64) -> AppResult<Vec<HistoryRow>> {
        let mut rows: Vec<HistoryRow> = on_backend!(conn, |c| attendances::table
            .inner_join(trainings::table)
            .left_join(topics::table.on(topics::key.eq(trainings::topic)))
            .filter(attendances::member_id.eq(member_id))
            .filter(trainings::cancelled_at.is_null())
            .select((
                trainings::id,
                trainings::title,
                trainings::topic,
                topics::name_es.nullable(),
                topics::name_en.nullable(),
                trainings::date,
                attendances::status,
            ))
            .load(c))?;
        rows.sort_unstable_by_key(|row| std::cmp::Reverse((row.date, row.training_id)));
        Ok(rows)
    }
}

/// One line of a member's history: a training held and her status on its register.
#[derive(Queryable)]
pub struct HistoryRow {
    pub training_id: i64,
    pub title: String,
    pub topic: String,
    pub topic_es: Option<String>,
    pub topic_en: Option<String>,
    pub date: NaiveDate,
    pub status: String,
}

/// A training as planned.
#[derive(Insertable)]
#[diesel(table_name = trainings)]
pub struct NewTraining {
    pub title: String,
    pub topic: String,
    pub date: NaiveDate,
    pub place: Option<String>,
    pub facilitator: Option<String>,
    pub notes: Option<String>,
    pub created_by: i64,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

impl NewTraining {
    pub fn insert(&self, conn: &mut DbConn) -> AppResult<Training> {
        Ok(diesel::insert_into(trainings::table)
            .values(self)
            .returning(trainings::all_columns)
            .get_result(conn)?)
    }
}
