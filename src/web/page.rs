//! The context every page template gets as `page`: translator, user, CSRF token, navigation.

use actix_web::HttpRequest;

use crate::auth::policy::{can, own_profile, Action, CurrentUser};
use crate::i18n::Tr;

pub struct Page {
    pub t: Tr,
    pub user: Option<CurrentUser>,
    pub csrf_token: String,
    /// The current path, for the language switch to come back to.
    pub path: String,
    /// What the form she just sent did (`?done=`).
    pub done: Option<super::done::Done>,
}

impl Page {
    pub fn new(req: &HttpRequest, user: Option<CurrentUser>, csrf_token: String) -> Page {
        Page {
            t: Tr::new(super::lang_of(req)),
            user,
            csrf_token,
            path: req.path().to_string(),
            done: super::done::Done::from_query(req.query_string()),
        }
    }

    fn may(&self, action: Action) -> bool {
        self.user.as_ref().is_some_and(|u| can(u, action))
    }

    pub fn nav_members(&self) -> bool {
        self.may(Action::BrowseMembers)
    }

    pub fn nav_own_profile(&self) -> Option<i64> {
        self.user.as_ref().and_then(own_profile)
    }

    pub fn nav_organizations(&self) -> bool {
        self.may(Action::ReadOrganizations)
    }

    pub fn nav_users(&self) -> bool {
        self.may(Action::ManageUsers)
    }

    pub fn may_check_database(&self) -> bool {
        self.may(Action::CheckDatabase)
    }

    /// Why the last daily backup failed, for administrators (shown on their home page).
    pub fn backup_failure(&self) -> Option<String> {
        if self.may_check_database() {
            crate::maintenance::last_backup_failure()
        } else {
            None
        }
    }

    pub fn nav_audit(&self) -> bool {
        self.may(Action::ReadAudit)
    }

    pub fn nav_funds(&self) -> bool {
        self.may(Action::ReadFunds)
    }

    pub fn may_manage_funds(&self) -> bool {
        self.may(Action::ManageFunds)
    }

    pub fn may_write_loans(&self) -> bool {
        self.may(Action::WriteLoans)
    }

    pub fn nav_committees(&self) -> bool {
        self.may(Action::ReadCommittees)
    }

    pub fn may_download_donor_report(&self) -> bool {
        self.may(Action::ReadDonorReport)
    }

    pub fn nav_import(&self) -> bool {
        self.may(Action::WriteMembers) || self.may(Action::WriteTrainings) || self.may(Action::WriteLoans)
    }

    pub fn nav_notices(&self) -> bool {
        self.may(Action::ManageNotices)
    }

    pub fn nav_trainings(&self) -> bool {
        self.may(Action::ReadTrainings)
    }

    /// Viewers reach the attendance report from the menu (staff from the trainings page).
    pub fn nav_reports(&self) -> bool {
        self.may(Action::ReadAttendanceReports) && !self.may(Action::ReadTrainings)
    }

    pub fn may_write_committees(&self) -> bool {
        self.may(Action::WriteCommittees)
    }

    pub fn may_write_members(&self) -> bool {
        self.may(Action::WriteMembers)
    }

    pub fn may_manage_organizations(&self) -> bool {
        self.may(Action::ManageOrganizations)
    }

    pub fn may_anonymize(&self) -> bool {
        self.may(Action::AnonymizeMember)
    }

    pub fn may_export(&self, member_id: &i64) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| crate::auth::policy::may_export(u, *member_id))
    }

    pub fn may_change_own_consents(&self, member_id: &i64) -> bool {
        self.user
            .as_ref()
            .is_some_and(|u| crate::auth::policy::may_change_own_consents(u, *member_id))
    }

    pub fn role_name(&self) -> String {
        self.user
            .as_ref()
            .map(|u| self.t.of("role", u.role.as_str()))
            .unwrap_or_default()
    }

    pub fn username(&self) -> &str {
        self.user.as_ref().map(|u| u.username.as_str()).unwrap_or("")
    }

    /// A ratio as the API gives it ("0.3991") shown to people as a percentage ("39.9 %").
    pub fn percent(&self, ratio: &str) -> String {
        ratio_as_percent(ratio)
    }

    /// An instant as the API gives it ("2026-11-29T22:02:09Z") in Lima's time: "29/11/2026 17:02".
    pub fn moment(&self, rfc3339: &str) -> String {
        crate::clock::lima_moment_of(rfc3339)
    }

    /// A stored instant (UTC) in Lima's time.
    pub fn moment_at(&self, utc: &chrono::NaiveDateTime) -> String {
        crate::clock::lima_moment(*utc)
    }

    /// A rate per period as the API gives it ("0.025") shown as the pages speak: "2.5 %".
    pub fn rate_percent(&self, fraction: &str) -> String {
        super::form::fraction_as_percent(fraction)
    }

    pub fn signed_in(&self) -> bool {
        self.user.is_some()
    }
}

/// A ratio ("0.8095") as a percentage with one decimal ("81.0 %"), rounded half away from zero,
/// never truncated.
pub fn ratio_as_percent(ratio: &str) -> String {
    use rust_decimal::{Decimal, RoundingStrategy};
    match ratio.parse::<Decimal>() {
        Ok(r) => format!(
            "{:.1} %",
            (r * Decimal::ONE_HUNDRED).round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero)
        ),
        Err(_) => ratio.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::ratio_as_percent;

    #[test]
    fn ratios_are_rounded_not_truncated() {
        assert_eq!(ratio_as_percent("0.8095"), "81.0 %");
        assert_eq!(ratio_as_percent("0.80949"), "80.9 %");
        assert_eq!(ratio_as_percent("0.3991"), "39.9 %");
        assert_eq!(ratio_as_percent("1"), "100.0 %");
        assert_eq!(ratio_as_percent("0"), "0.0 %");
    }
}
