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
    /// A member says herself whether she wants SMS and email (Ley 29733: consent is hers).
    ChangeOwnConsents,
    AnonymizeMember,
    ReadAudit,
    /// Run `pallay check` from a page, and hear that a backup failed: administrators.
    CheckDatabase,
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
            | (Member, ReadMembers | ExportMember | ReadActions | ChangeOwnConsents)
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

/// Her consents may be changed by her on her own page (staff change them with the record).
pub fn may_change_own_consents(user: &CurrentUser, member_id: i64) -> bool {
    can(user, Action::ChangeOwnConsents) && user.member_id == Some(member_id)
}

/// Staff reads of a member's record are audited; a member reading her own record is not.
pub fn is_staff(user: &CurrentUser) -> bool {
    matches!(user.role, Role::Admin | Role::GenderStaff | Role::Coordinator)
}

#[cfg(test)]
#[path = "policy_tests.rs"]
mod tests;
