//! Who may do what: the roles and scopes of DOMAIN.md, in one place.
//!
//! Every handler calls [`authorize`] for the action, and reads objects through the scope
//! returned by [`member_scope`] / [`organization_scope`], so an object outside the caller's
//! organisations is simply not found.

use crate::error::AppError;
use crate::input::closed_set;

closed_set!(
    /// A user's role. Coordinators are scoped to their organisations; members to themselves.
    Role, "role_unknown", {
        Admin => "admin",
        GenderStaff => "gender_staff",
        Coordinator => "coordinator",
        Member => "member",
        Viewer => "viewer",
    }
);

/// The signed-in user, as every handler sees them.
#[derive(Debug, Clone)]
pub struct CurrentUser {
    pub id: i64,
    pub username: String,
    pub role: Role,
    pub organization_ids: Vec<i64>,
    pub member_id: Option<i64>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    ManageUsers,
    ReadOrganizations,
    ManageOrganizations,
    ReadMembers,
    WriteMembers,
    /// Download everything held about one member (Ley 29733).
    ExportMember,
    AnonymizeMember,
    ReadAudit,
    /// Funds' balances, loans, journal and trial balance.
    ReadFunds,
    /// A loan with its schedule and repayments: fund staff, and the borrower (her own loans; the
    /// loan scope keeps her to them).
    ReadLoans,
    /// Create funds and set their rules.
    ManageFunds,
    /// Contributions, loan requests and decisions, disbursements, repayments, reversals.
    WriteLoans,
    WriteOffLoans,
    /// The portfolio report: aggregates only, so viewers may read it too.
    ReadPortfolio,
    /// Committees, their members, meetings, actions and board: staff only.
    ReadCommittees,
    /// One committee action: staff, and the member responsible for it (her scope keeps her to
    /// the actions that are hers).
    ReadActions,
    /// The list of members and its link in the menu: staff (a member's list is only herself, and
    /// her menu leads to her own page instead).
    BrowseMembers,
    WriteCommittees,
    /// Trainings and their registers (coordinators: trainings of their organisations only).
    ReadTrainings,
    WriteTrainings,
    /// Add training topics.
    ManageTopics,
    /// Attendance reports. Viewers get counts only (see [`report_shows_names`]).
    ReadAttendanceReports,
    /// The outbox: read notices, queue statements, retry failed notices.
    ManageNotices,
    /// The donor workbook: aggregates only, no names.
    ReadDonorReport,
    /// The fund panels of the home page (those who run the funds).
    FollowFunds,
    /// The trainings and committees panel of the home page (those who run the programme).
    FollowProgramme,
}

/// Whether the role may attempt the action at all. Which objects it reaches is the scope's job.
pub fn can(user: &CurrentUser, action: Action) -> bool {
    use Action::*;
    use Role::*;
    #[rustfmt::skip]
    let allowed = matches!(
        (user.role, action),
        (Admin, _)
            | (GenderStaff, ReadOrganizations | ReadMembers | ReadFunds | ReadPortfolio | ReadCommittees | WriteCommittees)
            | (GenderStaff | Coordinator | Member, ReadLoans)
            | (GenderStaff | Coordinator, ReadTrainings | WriteTrainings | ReadAttendanceReports)
            | (Coordinator, ReadOrganizations | ReadMembers | WriteMembers | ReadFunds | WriteLoans | ReadPortfolio)
            | (Coordinator, ReadCommittees | WriteCommittees | ManageNotices)
            | (Member, ReadMembers | ExportMember | ReadActions)
            | (GenderStaff | Coordinator, ReadActions | BrowseMembers)
            | (GenderStaff | Viewer, ReadDonorReport)
            | (Coordinator, FollowFunds)
            | (GenderStaff, FollowProgramme)
            | (Viewer, ReadPortfolio | ReadAttendanceReports)
    );
    allowed
}

/// A member's own record, which is her home and her profile; `None` for every other role.
pub fn own_profile(user: &CurrentUser) -> Option<i64> {
    match user.role {
        Role::Member => user.member_id,
        _ => None,
    }
}

pub fn authorize(user: &CurrentUser, action: Action) -> Result<(), AppError> {
    if can(user, action) {
        Ok(())
    } else {
        Err(AppError::Forbidden)
    }
}

/// Which members a user reaches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Scope {
    All,
    Organizations(Vec<i64>),
    Herself(i64),
    Nothing,
}

pub fn member_scope(user: &CurrentUser) -> Scope {
    match user.role {
        Role::Admin | Role::GenderStaff => Scope::All,
        Role::Coordinator => Scope::Organizations(user.organization_ids.clone()),
        Role::Member => user.member_id.map_or(Scope::Nothing, Scope::Herself),
        Role::Viewer => Scope::Nothing,
    }
}

/// Which organisations a user reaches (coordinators: theirs; other staff: all).
pub fn organization_scope(user: &CurrentUser) -> Scope {
    match user.role {
        Role::Admin | Role::GenderStaff => Scope::All,
        Role::Coordinator => Scope::Organizations(user.organization_ids.clone()),
        Role::Member | Role::Viewer => Scope::Nothing,
    }
}

/// Which funds a user reaches, by their organisation. Viewers see every fund's aggregates.
pub fn fund_scope(user: &CurrentUser) -> Scope {
    match user.role {
        Role::Viewer => Scope::All,
        _ => organization_scope(user),
    }
}

/// Which loans a user reaches: her members' loans (by their organisations), or, a member, her
/// own as borrower. A viewer reaches no member, so no loan.
pub fn loan_scope(user: &CurrentUser) -> Scope {
    member_scope(user)
}

/// Which committees (and their actions) a user reaches. A member reaches only the actions she is
/// responsible for (`Herself`), never a committee's page.
pub fn committee_scope(user: &CurrentUser) -> Scope {
    member_scope(user)
}

/// Which trainings a user reaches: coordinators only those whose invited organisations are all
/// theirs (a joint training is gender staff's to run, so no coordinator sees another's members).
pub fn training_scope(user: &CurrentUser) -> Scope {
    organization_scope(user)
}

/// Which organisations a report counts: coordinators theirs; other staff and viewers all.
pub fn report_scope(user: &CurrentUser) -> Scope {
    match user.role {
        Role::Viewer => Scope::All,
        _ => organization_scope(user),
    }
}

/// Reports name people only to staff; viewers get counts.
pub fn report_shows_names(user: &CurrentUser) -> bool {
    is_staff(user)
}

/// Whether the user may assign people to this organisation (coordinators: only their own).
pub fn may_assign_organization(user: &CurrentUser, organization_id: i64) -> bool {
    match organization_scope(user) {
        Scope::All => true,
        Scope::Organizations(ids) => ids.contains(&organization_id),
        Scope::Herself(_) | Scope::Nothing => false,
    }
}

/// Everything held about a member may be downloaded by her, or by an admin for her (Ley 29733).
pub fn may_export(user: &CurrentUser, member_id: i64) -> bool {
    match user.role {
        Role::Admin => true,
        Role::Member => can(user, Action::ExportMember) && user.member_id == Some(member_id),
        _ => false,
    }
}

/// Staff reads of a member's record are audited; a member reading her own record is not.
pub fn is_staff(user: &CurrentUser) -> bool {
    matches!(user.role, Role::Admin | Role::GenderStaff | Role::Coordinator)
}

#[cfg(test)]
mod tests {
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
        let who =
            |action: Action| -> Vec<Role> { Role::ALL.iter().copied().filter(|r| can(&user(*r), action)).collect() };
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
}
