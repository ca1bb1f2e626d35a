//! Counting attendance for a report (pure): trainings held, people who came and attendances by
//! sex, and the share of invited members who came — overall, per topic and per organisation.
//!
//! Definitions (also in the README):
//! - a *training* counts when it was held (not cancelled) in the period and invited one of the
//!   organisations asked for, or someone came on its behalf;
//! - an *attendance* is one "present" line of a register;
//! - a *participant* is a person present at least once: a member by her record, a guest by
//!   name, sex and organisation as written;
//! - *invited members* are the members of an invited organisation (not anonymised) who were
//!   already registered on the training's day — or who came to it; the *participation rate* is
//!   the share of them present at least once.

use std::collections::{BTreeMap, BTreeSet, HashSet};

use chrono::NaiveDate;
use serde::Serialize;

use super::model::AttendanceFact;
use crate::money::ratio;

/// A held training as reports see it.
#[derive(Debug, Clone)]
pub struct TrainingFacts {
    pub id: i64,
    pub topic: String,
    pub date: NaiveDate,
    pub organization_ids: Vec<i64>,
}

/// A member who may have been invited.
#[derive(Debug, Clone)]
pub struct MemberFacts {
    pub id: i64,
    pub name: String,
    pub sex: String,
    pub organization_ids: Vec<i64>,
    /// The day she was registered in Pallay (Lima): trainings before it did not invite her.
    pub registered_on: NaiveDate,
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct BySex {
    pub female: usize,
    pub male: usize,
    pub other: usize,
    pub undisclosed: usize,
    pub total: usize,
}

impl BySex {
    fn add(&mut self, sex: &str) {
        match sex {
            "female" => self.female += 1,
            "male" => self.male += 1,
            "other" => self.other += 1,
            _ => self.undisclosed += 1,
        }
        self.total += 1;
    }
}

#[derive(Debug, Default, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Counts {
    pub trainings: usize,
    pub participants: BySex,
    pub attendances: BySex,
    pub invited_members: usize,
    pub attending_members: usize,
    /// attending ÷ invited members, 4 places.
    pub participation_rate: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct TopicLine {
    pub topic: String,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct OrganizationLine {
    /// `None`: guests who came on no organisation's behalf.
    pub organization_id: Option<i64>,
    #[serde(flatten)]
    pub counts: Counts,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Tally {
    pub total: Counts,
    pub by_topic: Vec<TopicLine>,
    pub by_organization: Vec<OrganizationLine>,
    /// Invited members present at no training, by name.
    pub members_without_attendance: Vec<(i64, String)>,
}

/// Which organisations a line looks at: all, or some (a filter, a coordinator's), or guests of none.
#[derive(Debug, Clone, Copy)]
enum Orgs<'a> {
    All,
    Some(&'a [i64]),
    NoOrganization,
}

impl Orgs<'_> {
    fn row(&self, organization_id: Option<i64>) -> bool {
        match (self, organization_id) {
            (Orgs::All, _) => true,
            (Orgs::Some(ids), Some(o)) => ids.contains(&o),
            (Orgs::Some(_), None) => false,
            (Orgs::NoOrganization, o) => o.is_none(),
        }
    }

    fn invites(&self, training: &TrainingFacts) -> bool {
        match self {
            Orgs::All => true,
            Orgs::Some(ids) => training.organization_ids.iter().any(|o| ids.contains(o)),
            Orgs::NoOrganization => false,
        }
    }

    fn member_invited(&self, member: &MemberFacts, training: &TrainingFacts) -> bool {
        member.organization_ids.iter().any(|o| {
            training.organization_ids.contains(o)
                && match self {
                    Orgs::All => true,
                    Orgs::Some(ids) => ids.contains(o),
                    Orgs::NoOrganization => false,
                }
        })
    }
}

fn is_present(row: &AttendanceFact) -> bool {
    row.status == "present"
}

#[derive(PartialEq, Eq, Hash)]
enum PersonKey {
    Member(i64),
    Guest(String, String, Option<i64>),
}

fn person(row: &AttendanceFact) -> PersonKey {
    match row.member_id {
        Some(id) => PersonKey::Member(id),
        None => PersonKey::Guest(
            row.name.as_deref().unwrap_or("").trim().to_lowercase(),
            row.sex.clone(),
            row.organization_id,
        ),
    }
}

/// Counts for the trainings of `trainings` that `orgs` reaches, and the invited members not seen.
fn count(
    trainings: &[&TrainingFacts],
    rows: &[AttendanceFact],
    members: &[MemberFacts],
    orgs: Orgs,
) -> (Counts, Vec<i64>) {
    let present: Vec<&AttendanceFact> = rows
        .iter()
        .filter(|r| is_present(r) && orgs.row(r.organization_id))
        .collect();
    let held: Vec<&TrainingFacts> = trainings
        .iter()
        .filter(|t| orgs.invites(t) || present.iter().any(|r| r.training_id == t.id))
        .copied()
        .collect();
    let held_ids: HashSet<i64> = held.iter().map(|t| t.id).collect();
    let mut counts = Counts {
        trainings: held.len(),
        ..Counts::default()
    };
    let mut people = HashSet::new();
    let mut attending = HashSet::new();
    for row in present.iter().filter(|r| held_ids.contains(&r.training_id)) {
        counts.attendances.add(&row.sex);
        if people.insert(person(row)) {
            counts.participants.add(&row.sex);
        }
        if let Some(id) = row.member_id {
            attending.insert(id);
        }
    }
    let came = |m: &MemberFacts, t: &TrainingFacts| {
        present
            .iter()
            .any(|r| r.training_id == t.id && r.member_id == Some(m.id))
    };
    let invited: BTreeSet<i64> = members
        .iter()
        .filter(|m| {
            held.iter()
                .any(|t| orgs.member_invited(m, t) && (m.registered_on <= t.date || came(m, t)))
        })
        .map(|m| m.id)
        .collect();
    counts.invited_members = invited.len();
    counts.attending_members = invited.iter().filter(|id| attending.contains(id)).count();
    counts.participation_rate = ratio(counts.attending_members as i64, counts.invited_members as i64);
    let absent = invited.into_iter().filter(|id| !attending.contains(id)).collect();
    (counts, absent)
}

/// The whole report for held trainings (already limited to the period and topic), their register
/// lines and the members who may have been invited; `organizations` limits it to some
/// organisations (a filter, or a coordinator's own).
pub fn tally(
    trainings: &[TrainingFacts],
    rows: &[AttendanceFact],
    members: &[MemberFacts],
    organizations: Option<&[i64]>,
) -> Tally {
    let all: Vec<&TrainingFacts> = trainings.iter().collect();
    let orgs = organizations.map_or(Orgs::All, Orgs::Some);
    let (total, absent) = count(&all, rows, members, orgs);

    let topics: BTreeSet<&str> = trainings.iter().map(|t| t.topic.as_str()).collect();
    let by_topic = topics
        .into_iter()
        .map(|topic| {
            let of_topic: Vec<&TrainingFacts> = all.iter().filter(|t| t.topic == topic).copied().collect();
            TopicLine {
                topic: topic.to_string(),
                counts: count(&of_topic, rows, members, orgs).0,
            }
        })
        .filter(|line| line.counts.trainings > 0)
        .collect();

    let mut organization_ids: BTreeSet<i64> = trainings.iter().flat_map(|t| t.organization_ids.clone()).collect();
    organization_ids.extend(rows.iter().filter(|r| is_present(r)).filter_map(|r| r.organization_id));
    if let Some(only) = organizations {
        organization_ids.retain(|o| only.contains(o));
    }
    let mut by_organization: Vec<OrganizationLine> = organization_ids
        .into_iter()
        .map(|o| OrganizationLine {
            organization_id: Some(o),
            counts: count(&all, rows, members, Orgs::Some(&[o])).0,
        })
        .filter(|line| line.counts.trainings > 0)
        .collect();
    if organizations.is_none() {
        let (guests, _) = count(&all, rows, members, Orgs::NoOrganization);
        if guests.attendances.total > 0 {
            by_organization.push(OrganizationLine {
                organization_id: None,
                counts: guests,
            });
        }
    }

    let names: BTreeMap<i64, &str> = members.iter().map(|m| (m.id, m.name.as_str())).collect();
    let mut members_without_attendance: Vec<(i64, String)> = absent
        .into_iter()
        .map(|id| (id, names.get(&id).copied().unwrap_or("").to_string()))
        .collect();
    members_without_attendance.sort_by(|a, b| a.1.cmp(&b.1).then(a.0.cmp(&b.0)));
    Tally {
        total,
        by_topic,
        by_organization,
        members_without_attendance,
    }
}

#[cfg(test)]
#[path = "report_tests.rs"]
mod tests;
