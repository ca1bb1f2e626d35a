//! The counting of reports, case by case.
use super::*;

fn training(id: i64, topic: &str, orgs: &[i64]) -> TrainingFacts {
    TrainingFacts {
        id,
        topic: topic.into(),
        date: NaiveDate::from_ymd_opt(2026, 6, 1).unwrap(),
        organization_ids: orgs.to_vec(),
    }
}

fn member(id: i64, sex: &str, orgs: &[i64]) -> MemberFacts {
    MemberFacts {
        id,
        name: format!("M{id}"),
        sex: sex.into(),
        organization_ids: orgs.to_vec(),
        registered_on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
    }
}

fn line(
    training_id: i64,
    member: Option<&MemberFacts>,
    guest: Option<(&str, &str)>,
    org: Option<i64>,
    status: &str,
) -> AttendanceFact {
    AttendanceFact {
        training_id,
        member_id: member.map(|m| m.id),
        name: guest.map(|g| g.0.to_string()),
        sex: member.map_or_else(|| guest.map_or("undisclosed", |g| g.1).to_string(), |m| m.sex.clone()),
        organization_id: org,
        status: status.into(),
    }
}

#[test]
fn members_registered_after_a_training_were_not_invited_to_it_unless_they_came() {
    let later = NaiveDate::from_ymd_opt(2026, 11, 30).unwrap();
    let members = [
        member(1, "female", &[10]),
        MemberFacts {
            registered_on: later,
            ..member(2, "female", &[10])
        },
        MemberFacts {
            registered_on: later,
            ..member(3, "female", &[10])
        },
    ];
    let trainings = [training(100, "first_aid", &[10])];
    // M1 came; M2 was imported afterwards and did not come; M3 was imported afterwards with
    // the register that shows her there.
    let rows = vec![
        line(100, Some(&members[0]), None, Some(10), "present"),
        line(100, Some(&members[2]), None, Some(10), "present"),
    ];
    let tally = tally(&trainings, &rows, &members, None);
    assert_eq!(tally.total.invited_members, 2, "M1 and M3, not M2");
    assert_eq!(tally.total.attending_members, 2);
    assert_eq!(tally.total.participation_rate, "1.0000");
}

#[test]
fn people_are_counted_once_attendances_every_time_and_lines_add_up() {
    let members = [
        member(1, "female", &[10]),
        member(2, "female", &[10, 20]),
        member(3, "male", &[20]),
    ];
    let trainings = [
        training(100, "first_aid", &[10]),
        training(101, "empowerment", &[10, 20]),
    ];
    let rows = vec![
        line(100, Some(&members[0]), None, Some(10), "present"),
        line(100, Some(&members[1]), None, Some(10), "absent"),
        line(101, Some(&members[0]), None, Some(10), "present"),
        line(101, Some(&members[2]), None, Some(20), "excused"),
        line(101, None, Some(("Juan Mamani", "male")), Some(20), "present"),
        line(101, None, Some(("juan mamani ", "male")), Some(20), "present"),
        line(101, None, Some(("Visitante", "undisclosed")), None, "present"),
    ];
    let tally = tally(&trainings, &rows, &members, None);
    assert_eq!(tally.total.trainings, 2);
    assert_eq!(tally.total.attendances.total, 5);
    assert_eq!(tally.total.attendances.female, 2);
    assert_eq!(tally.total.participants.total, 3, "M1 once, Juan once, the visitor");
    assert_eq!(tally.total.participants.male, 1);
    assert_eq!(tally.total.participants.undisclosed, 1);
    assert_eq!(tally.total.invited_members, 3);
    assert_eq!(tally.total.attending_members, 1);
    assert_eq!(tally.total.participation_rate, "0.3333");
    assert_eq!(
        tally.members_without_attendance,
        vec![(2, "M2".to_string()), (3, "M3".to_string())]
    );
    let sum: usize = tally.by_organization.iter().map(|l| l.counts.attendances.total).sum();
    assert_eq!(
        sum, tally.total.attendances.total,
        "every attendance under exactly one organisation line"
    );
    let sum: usize = tally.by_topic.iter().map(|l| l.counts.attendances.total).sum();
    assert_eq!(sum, tally.total.attendances.total);
    let org20 = tally
        .by_organization
        .iter()
        .find(|l| l.organization_id == Some(20))
        .unwrap();
    assert_eq!((org20.counts.trainings, org20.counts.invited_members), (1, 2));
    assert_eq!(org20.counts.attendances.male, 2);
}

#[test]
fn an_organisation_filter_counts_only_its_people() {
    let members = [member(1, "female", &[10]), member(3, "male", &[20])];
    let trainings = [
        training(100, "first_aid", &[10]),
        training(101, "empowerment", &[10, 20]),
    ];
    let rows = vec![
        line(100, Some(&members[0]), None, Some(10), "present"),
        line(101, Some(&members[1]), None, Some(20), "present"),
    ];
    let tally = tally(&trainings, &rows, &members, Some(&[20]));
    assert_eq!(tally.total.trainings, 1);
    assert_eq!(tally.total.attendances.total, 1);
    assert_eq!(tally.total.attendances.male, 1);
    assert_eq!(tally.total.participation_rate, "1.0000");
    assert!(tally.members_without_attendance.is_empty());
    assert_eq!(tally.by_organization.len(), 1);
}

#[test]
fn an_empty_period_is_all_zeros() {
    let tally = tally(&[], &[], &[], None);
    assert_eq!(tally.total.trainings, 0);
    assert_eq!(tally.total.participation_rate, "0.0000");
    assert!(tally.by_topic.is_empty() && tally.by_organization.is_empty());
}
