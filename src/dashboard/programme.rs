//! The programme panel of the home page (gender staff and admins): a year of trainings by
//! quarter — attendance by sex and by topic — and the committees' actions done on time, late or
//! overdue.

use chrono::NaiveDate;
use diesel::prelude::*;

use super::charts::{Chart, Kind, Series};
use super::figures::quarters;
use crate::auth::policy::Scope;
use crate::committee::status::ActionStatus;
use crate::db::schema::{committee_actions, committees};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::trainings::report::Tally;
use crate::trainings::reporting::{attendance_tally, ReportFilter};

/// Trainings and committee follow-up, for gender staff and admins.
pub struct ProgrammePanel {
    pub trainings_this_quarter: usize,
    pub attendance_this_quarter: crate::trainings::report::BySex,
    pub overdue_actions: Vec<OverdueAction>,
    pub charts: Vec<Chart>,
}

pub fn programme_panel(conn: &mut DbConn, t: Tr, today: NaiveDate) -> AppResult<ProgrammePanel> {
    let periods = quarters(today, 4);
    let categories: Vec<String> = periods.iter().map(|(l, _, _)| l.clone()).collect();
    let (by_sex, by_topic, latest) = attendance_by_quarter(conn, t, &periods)?;
    let [female, male, other] = by_sex;
    let (on_time, late, overdue_actions) = actions_by_quarter(conn, &periods, today)?;
    let latest = latest.map(|t| t.total).unwrap_or_default();
    Ok(ProgrammePanel {
        trainings_this_quarter: latest.trainings,
        attendance_this_quarter: latest.attendances,
        overdue_actions,
        charts: vec![
            Chart {
                title: t.get("dashboard.chart.attendance_sex").into(),
                kind: Kind::Bars,
                unit: String::new(),
                categories: categories.clone(),
                series: vec![
                    Series {
                        name: t.of("sex", "female"),
                        values: female,
                    },
                    Series {
                        name: t.of("sex", "male"),
                        values: male,
                    },
                    Series {
                        name: t.get("dashboard.other_or_undisclosed").into(),
                        values: other,
                    },
                ],
            },
            Chart {
                title: t.get("dashboard.chart.attendance_topic").into(),
                kind: Kind::Bars,
                unit: String::new(),
                categories: categories.clone(),
                series: by_topic
                    .into_iter()
                    .map(|(name, values)| Series { name, values })
                    .collect(),
            },
            Chart {
                title: t.get("dashboard.chart.actions").into(),
                kind: Kind::Bars,
                unit: String::new(),
                categories,
                series: vec![
                    Series {
                        name: t.get("dashboard.on_time").into(),
                        values: on_time,
                    },
                    Series {
                        name: t.get("dashboard.late").into(),
                        values: late,
                    },
                ],
            },
        ],
    })
}

type Quarters = [(String, NaiveDate, NaiveDate)];

/// Attendances per quarter by sex (female, male, other or undisclosed), the four topics with
/// most attendances, and the tally of the latest quarter.
#[allow(clippy::type_complexity)]
fn attendance_by_quarter(
    conn: &mut DbConn,
    t: Tr,
    periods: &Quarters,
) -> AppResult<([Vec<f64>; 3], Vec<(String, Vec<f64>)>, Option<Tally>)> {
    let topics = crate::trainings::model::Topic::all(conn)?;
    let (mut female, mut male, mut other) = (vec![], vec![], vec![]);
    let mut by_topic: Vec<(String, Vec<f64>)> = Vec::new();
    let mut latest = None;
    for (q, (_, first, last)) in periods.iter().enumerate() {
        let filter = ReportFilter::new(conn, &Scope::All, (*first, *last), None, None)?;
        let tally = attendance_tally(conn, &filter)?;
        let a = &tally.total.attendances;
        female.push(a.female as f64);
        male.push(a.male as f64);
        other.push((a.other + a.undisclosed) as f64);
        for line in &tally.by_topic {
            let name = crate::trainings::model::topic_name(&topics, &line.topic, &t);
            match by_topic.iter_mut().find(|(n, _)| *n == name) {
                Some((_, values)) => values[q] = line.counts.attendances.total as f64,
                None => {
                    let mut values = vec![0.0; periods.len()];
                    values[q] = line.counts.attendances.total as f64;
                    by_topic.push((name, values));
                }
            }
        }
        latest = Some(tally);
    }
    by_topic.sort_by(|a, b| b.1.iter().sum::<f64>().total_cmp(&a.1.iter().sum::<f64>()));
    by_topic.truncate(4);
    Ok(([female, male, other], by_topic, latest))
}

/// An action that is open past its due date: (id, description, committee, due date).
type OverdueAction = (i64, String, String, String);

/// Actions done per quarter, on time and late, and the open ones past due (oldest first).
fn actions_by_quarter(
    conn: &mut DbConn,
    periods: &Quarters,
    today: NaiveDate,
) -> AppResult<(Vec<f64>, Vec<f64>, Vec<OverdueAction>)> {
    type ActionRow = (i64, String, String, NaiveDate, Option<NaiveDate>, Option<String>);
    let actions: Vec<ActionRow> = committee_actions::table
        .inner_join(committees::table)
        .select((
            committee_actions::id,
            committee_actions::description,
            committee_actions::status,
            committee_actions::due_date,
            committee_actions::done_on,
            committees::name.nullable(),
        ))
        .load(conn)?;
    let (mut on_time, mut late) = (vec![0.0; periods.len()], vec![0.0; periods.len()]);
    let mut overdue_actions = Vec::new();
    for (id, description, status, due, done_on, committee) in actions {
        match ActionStatus::parse(&status) {
            Ok(ActionStatus::Done) => {
                let quarter = done_on.and_then(|d| periods.iter().position(|(_, f, l)| d >= *f && d <= *l));
                if let (Some(d), Some(q)) = (done_on, quarter) {
                    if d <= due {
                        on_time[q] += 1.0;
                    } else {
                        late[q] += 1.0;
                    }
                }
            }
            Ok(ActionStatus::Pending | ActionStatus::InProgress) if due < today => {
                overdue_actions.push((id, description, committee.unwrap_or_default(), due.to_string()));
            }
            _ => {}
        }
    }
    overdue_actions.sort_by(|a, b| a.3.cmp(&b.3));
    Ok((on_time, late, overdue_actions))
}
