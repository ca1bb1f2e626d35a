//! The rules of a register (pure): who may be on it, under which organisation, and what may be
//! marked before the day. The service loads the facts and writes what this returns.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;

use super::entries::{EntryInput, Person};
use super::input::AttendanceStatus;
use crate::error::FieldError;

/// A line ready to be written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterLine {
    pub member_id: Option<i64>,
    pub name: Option<String>,
    pub sex: Option<&'static str>,
    pub organization_id: Option<i64>,
    pub status: AttendanceStatus,
}

/// What a register is checked against.
pub struct RegisterFacts<'a> {
    pub training_date: NaiveDate,
    pub today: NaiveDate,
    /// Invited members (members of the invited organisations), each with those of her
    /// organisations that are invited, in order.
    pub invited: &'a BTreeMap<i64, Vec<i64>>,
    /// Every organisation a guest may come from.
    pub organizations: &'a [i64],
}

pub fn check(entries: &[EntryInput], facts: &RegisterFacts) -> Result<Vec<RegisterLine>, Vec<FieldError>> {
    let mut errors = Vec::new();
    let mut seen = HashSet::new();
    let mut lines = Vec::new();
    for entry in entries {
        let f = &entry.fields;
        if facts.training_date > facts.today && entry.status != AttendanceStatus::Absent {
            errors.push(FieldError::new(&f.status, "attendance_before_training"));
        }
        match &entry.person {
            Person::Member(member_id) => {
                let Some(orgs) = facts.invited.get(member_id) else {
                    errors.push(FieldError::new(&f.member_id, "member_not_invited"));
                    continue;
                };
                if !seen.insert(*member_id) {
                    errors.push(FieldError::new(&f.member_id, "member_listed_twice"));
                    continue;
                }
                let organization_id = match entry.organization_id {
                    Some(o) if orgs.contains(&o) => Some(o),
                    Some(_) => {
                        errors.push(FieldError::new(&f.organization_id, "organization_not_hers"));
                        continue;
                    }
                    None => orgs.first().copied(),
                };
                lines.push(RegisterLine {
                    member_id: Some(*member_id),
                    name: None,
                    sex: None,
                    organization_id,
                    status: entry.status,
                });
            }
            Person::Guest { name, sex } => {
                if let Some(o) = entry.organization_id {
                    if !facts.organizations.contains(&o) {
                        errors.push(FieldError::new(&f.organization_id, "organization_unknown"));
                        continue;
                    }
                }
                lines.push(RegisterLine {
                    member_id: None,
                    name: Some(name.clone()),
                    sex: Some(sex.as_str()),
                    organization_id: entry.organization_id,
                    status: entry.status,
                });
            }
        }
    }
    if errors.is_empty() {
        Ok(lines)
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trainings::entries::EntryFields;

    fn member(id: i64, org: Option<i64>, status: AttendanceStatus, index: usize) -> EntryInput {
        EntryInput {
            person: Person::Member(id),
            organization_id: org,
            status,
            fields: EntryFields::json(index),
        }
    }

    fn day(d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
    }

    fn codes(result: Result<Vec<RegisterLine>, Vec<FieldError>>) -> Vec<String> {
        result
            .unwrap_err()
            .into_iter()
            .map(|e| format!("{}:{}", e.field, e.code))
            .collect()
    }

    #[test]
    fn a_member_counts_under_one_of_her_invited_organisations() {
        let invited = BTreeMap::from([(1, vec![10, 11]), (2, vec![11])]);
        let facts = RegisterFacts {
            training_date: day(10),
            today: day(20),
            invited: &invited,
            organizations: &[10, 11, 12],
        };
        let lines = check(
            &[
                member(1, None, AttendanceStatus::Present, 0),
                member(2, Some(11), AttendanceStatus::Excused, 1),
            ],
            &facts,
        )
        .unwrap();
        assert_eq!(lines[0].organization_id, Some(10));
        assert_eq!(lines[1].organization_id, Some(11));
        assert_eq!(lines[0].sex, None, "a member's sex is read from her record");
    }

    #[test]
    fn strangers_twins_wrong_organisations_and_presence_before_the_day_are_refused() {
        let invited = BTreeMap::from([(1, vec![10])]);
        let facts = RegisterFacts {
            training_date: day(25),
            today: day(20),
            invited: &invited,
            organizations: &[10],
        };
        let guest = EntryInput {
            person: Person::Guest {
                name: "Juan".into(),
                sex: crate::members::fields::Sex::Male,
            },
            organization_id: Some(99),
            status: AttendanceStatus::Absent,
            fields: EntryFields::json(4),
        };
        let result = check(
            &[
                member(1, None, AttendanceStatus::Present, 0),
                member(1, None, AttendanceStatus::Absent, 1),
                member(3, None, AttendanceStatus::Absent, 2),
                member(1, Some(12), AttendanceStatus::Absent, 3),
                guest,
            ],
            &facts,
        );
        assert_eq!(
            codes(result),
            vec![
                "entries[0].status:attendance_before_training",
                "entries[1].member_id:member_listed_twice",
                "entries[2].member_id:member_not_invited",
                "entries[3].member_id:member_listed_twice",
                "entries[4].organization_id:organization_unknown",
            ]
        );
    }
}
