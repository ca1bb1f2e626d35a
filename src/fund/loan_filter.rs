//! Which of a fund's loans a list shows: by status, by borrower, by part of her name or DNI.

use diesel::prelude::*;

use super::model::LoanStatus;
use crate::db::schema::loans;
use crate::db::DbConn;

#[derive(Debug, Clone, Default)]
pub struct LoanFilter {
    pub fund_id: i64,
    pub status: Option<LoanStatus>,
    pub member_id: Option<i64>,
    /// Part of the borrower's name or DNI, found as the members' list finds it.
    pub borrower: Option<String>,
}

impl LoanFilter {
    pub(super) fn query(&self) -> loans::BoxedQuery<'static, <DbConn as diesel::Connection>::Backend> {
        let mut q = loans::table.filter(loans::fund_id.eq(self.fund_id)).into_boxed();
        if let Some(status) = self.status {
            q = q.filter(loans::status.eq(status.as_str()));
        }
        if let Some(member_id) = self.member_id {
            q = q.filter(loans::member_id.eq(member_id));
        }
        if let Some(text) = self.borrower.as_deref().filter(|t| !t.trim().is_empty()) {
            q = q.filter(crate::members::model::found_by("loans.member_id", text));
        }
        q
    }
}
