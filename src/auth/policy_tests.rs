//! Unit tests of `policy.rs` (kept apart so the rules read in one screen).

use super::*;

fn user(role: Role) -> CurrentUser {
    CurrentUser {
        id: 1,
        username: "u".into(),
        role,
        organization_ids: vec![7],
        member_id: Some(3),
    }
}

#[test]
fn only_admins_manage_users_organisations_and_the_audit_log() {
    for role in Role::ALL {
        let u = user(*role);
        let admin = *role == Role::Admin;
        assert_eq!(can(&u, Action::ManageUsers), admin);
        assert_eq!(can(&u, Action::ManageOrganizations), admin);
        assert_eq!(can(&u, Action::ReadAudit), admin);
        assert_eq!(can(&u, Action::CheckDatabase), admin);
        assert_eq!(can(&u, Action::AnonymizeMember), admin);
    }
}

#[test]
fn gender_staff_read_members_but_do_not_write_them() {
    let u = user(Role::GenderStaff);
    assert!(can(&u, Action::ReadMembers));
    assert!(!can(&u, Action::WriteMembers));
    assert_eq!(member_scope(&u), Scope::All);
}

#[test]
fn coordinators_reach_only_their_organisations() {
    let u = user(Role::Coordinator);
    assert_eq!(member_scope(&u), Scope::Organizations(vec![7]));
    assert!(may_assign_organization(&u, 7));
    assert!(!may_assign_organization(&u, 8));
}

#[test]
fn trainings_are_staff_work_and_viewers_see_report_counts_only() {
    for role in Role::ALL {
        let u = user(*role);
        let staff = matches!(role, Role::Admin | Role::GenderStaff | Role::Coordinator);
        assert_eq!(can(&u, Action::WriteTrainings), staff);
        assert_eq!(can(&u, Action::ReadAttendanceReports), staff || *role == Role::Viewer);
        assert_eq!(report_shows_names(&u), staff);
        assert_eq!(can(&u, Action::ManageTopics), *role == Role::Admin);
    }
    assert_eq!(training_scope(&user(Role::Coordinator)), Scope::Organizations(vec![7]));
}

#[test]
fn members_reach_only_themselves_and_viewers_no_one() {
    assert_eq!(member_scope(&user(Role::Member)), Scope::Herself(3));
    assert_eq!(member_scope(&user(Role::Viewer)), Scope::Nothing);
    assert!(!can(&user(Role::Viewer), Action::ReadMembers));
    assert!(!can(&user(Role::Member), Action::WriteMembers));
}

#[test]
fn a_member_reads_her_loans_and_actions_but_not_the_committees_nor_the_member_list() {
    let who = |action: Action| -> Vec<Role> { Role::ALL.iter().copied().filter(|r| can(&user(*r), action)).collect() };
    use Role::*;
    assert_eq!(who(Action::ReadLoans), vec![Admin, GenderStaff, Coordinator, Member]);
    assert_eq!(who(Action::ReadActions), vec![Admin, GenderStaff, Coordinator, Member]);
    assert_eq!(who(Action::ReadCommittees), vec![Admin, GenderStaff, Coordinator]);
    assert_eq!(who(Action::BrowseMembers), vec![Admin, GenderStaff, Coordinator]);
    assert_eq!(who(Action::FollowFunds), vec![Admin, Coordinator]);
    assert_eq!(who(Action::FollowProgramme), vec![Admin, GenderStaff]);
    assert_eq!(own_profile(&user(Member)), Some(3));
    assert_eq!(own_profile(&user(Coordinator)), None);
}
/// The whole table, role by role (DOMAIN.md's roles): every action a role may attempt, and by
/// omission every one it may not. A rule changed here is a rule changed on purpose.
#[test]
fn every_role_may_attempt_exactly_its_actions() {
    use Action::*;
    let all = [
        ManageUsers,
        ReadOrganizations,
        ManageOrganizations,
        ReadMembers,
        WriteMembers,
        ExportMember,
        AnonymizeMember,
        ReadAudit,
        CheckDatabase,
        ReadFunds,
        ReadLoans,
        ManageFunds,
        WriteLoans,
        WriteOffLoans,
        ReadPortfolio,
        ReadCommittees,
        ReadActions,
        BrowseMembers,
        WriteCommittees,
        ReadTrainings,
        WriteTrainings,
        ManageTopics,
        ReadAttendanceReports,
        ManageNotices,
        ReadDonorReport,
        FollowFunds,
        FollowProgramme,
    ];
    let allowed = |role: Role| -> Vec<Action> {
        match role {
            Role::Admin => all.to_vec(),
            Role::GenderStaff => vec![
                ReadOrganizations,
                ReadMembers,
                ReadFunds,
                ReadLoans,
                ReadPortfolio,
                ReadCommittees,
                ReadActions,
                BrowseMembers,
                WriteCommittees,
                ReadTrainings,
                WriteTrainings,
                ReadAttendanceReports,
                ReadDonorReport,
                FollowProgramme,
            ],
            Role::Coordinator => vec![
                ReadOrganizations,
                ReadMembers,
                WriteMembers,
                ReadFunds,
                ReadLoans,
                WriteLoans,
                ReadPortfolio,
                ReadCommittees,
                ReadActions,
                BrowseMembers,
                WriteCommittees,
                ReadTrainings,
                WriteTrainings,
                ReadAttendanceReports,
                ManageNotices,
                FollowFunds,
            ],
            Role::Member => vec![ReadMembers, ExportMember, ReadLoans, ReadActions],
            Role::Viewer => vec![ReadPortfolio, ReadAttendanceReports, ReadDonorReport],
        }
    };
    for role in Role::ALL {
        let u = user(*role);
        for action in all {
            let expected = allowed(*role).contains(&action);
            assert_eq!(can(&u, action), expected, "{role:?} {action:?}");
            assert_eq!(authorize(&u, action).is_ok(), expected, "{role:?} {action:?}");
        }
    }
    assert!(matches!(
        authorize(&user(Role::Viewer), ReadMembers),
        Err(AppError::Forbidden)
    ));
}

#[test]
fn every_scope_role_by_role() {
    use Scope::*;
    let orgs = || Organizations(vec![7]);
    // (role, members, organisations, funds, loans, committees, trainings, reports)
    let table = [
        (Role::Admin, All, All, All, All, All, All, All),
        (Role::GenderStaff, All, All, All, All, All, All, All),
        (
            Role::Coordinator,
            orgs(),
            orgs(),
            orgs(),
            orgs(),
            orgs(),
            orgs(),
            orgs(),
        ),
        (
            Role::Member,
            Herself(3),
            Nothing,
            Nothing,
            Herself(3),
            Herself(3),
            Nothing,
            Nothing,
        ),
        (Role::Viewer, Nothing, Nothing, All, Nothing, Nothing, Nothing, All),
    ];
    for (role, members, organizations, funds, loans, committees, trainings, reports) in table {
        let u = user(role);
        assert_eq!(member_scope(&u), members, "{role:?} members");
        assert_eq!(organization_scope(&u), organizations, "{role:?} organisations");
        assert_eq!(fund_scope(&u), funds, "{role:?} funds");
        assert_eq!(loan_scope(&u), loans, "{role:?} loans");
        assert_eq!(committee_scope(&u), committees, "{role:?} committees");
        assert_eq!(training_scope(&u), trainings, "{role:?} trainings");
        assert_eq!(report_scope(&u), reports, "{role:?} reports");
    }
    let without_member = CurrentUser {
        member_id: None,
        ..user(Role::Member)
    };
    assert_eq!(
        member_scope(&without_member),
        Nothing,
        "a member account not linked to a member"
    );
}

#[test]
fn her_data_is_exported_to_her_or_to_an_admin_only() {
    assert!(may_export(&user(Role::Admin), 99));
    assert!(may_export(&user(Role::Member), 3));
    assert!(!may_export(&user(Role::Member), 4), "not another member's");
    for role in [Role::GenderStaff, Role::Coordinator, Role::Viewer] {
        assert!(!may_export(&user(role), 3), "{role:?}");
    }
    assert!(may_assign_organization(&user(Role::Admin), 99));
    assert!(may_assign_organization(&user(Role::Coordinator), 7));
    assert!(!may_assign_organization(&user(Role::Coordinator), 8));
    assert!(!may_assign_organization(&user(Role::Member), 7));
    let staff: Vec<Role> = Role::ALL.iter().copied().filter(|r| is_staff(&user(*r))).collect();
    assert_eq!(staff, [Role::Admin, Role::GenderStaff, Role::Coordinator]);
}
