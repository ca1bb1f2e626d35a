//! The fund's part of the OpenAPI document: the bodies its routes read (shared/API.md), described
//! beside the handlers of `api.rs`. The parsers in `input.rs` are the rule; these say the shape.

use chrono::NaiveDate;
use utoipa::ToSchema;

use super::input::Source;
use super::schedule::{Frequency, InterestMethod};
use crate::money::Money;

#[derive(ToSchema)]
pub struct FundBody {
    #[schema(minimum = 1)]
    pub organization_id: i64,
    #[schema(min_length = 1, max_length = 100)]
    pub name: String,
    /// What each installment is rounded to (default `"0.10"`, at most `"10.00"`).
    pub rounding_unit: Option<Money>,
    /// The fixed penalty charged on an installment late past `penalty_after_days` (default none).
    pub penalty_amount: Option<Money>,
    #[schema(minimum = 0, maximum = 365)]
    pub penalty_after_days: Option<i64>,
}

#[derive(ToSchema)]
pub struct ContributionBody {
    pub source: Source,
    /// Required when `source` is `member`.
    #[schema(minimum = 1)]
    pub member_id: Option<i64>,
    pub amount: Money,
    /// Not in the future, not before 2000.
    pub date: NaiveDate,
    #[schema(max_length = 500)]
    pub note: Option<String>,
}

#[derive(ToSchema)]
pub struct LoanBody {
    #[schema(minimum = 1)]
    pub fund_id: i64,
    #[schema(minimum = 1)]
    pub member_id: i64,
    pub principal: Money,
    pub interest_method: InterestMethod,
    /// The rate of one period as a fraction, up to 6 decimals and at most 1: `"0.02"` is 2 %.
    #[schema(pattern = r"^[0-9]+(\.[0-9]{1,6})?$", example = "0.02")]
    pub rate_per_period: String,
    #[schema(minimum = 1, maximum = 260)]
    pub periods: i64,
    pub frequency: Frequency,
    /// From today to two years ahead.
    pub first_due_date: NaiveDate,
    /// Periods of interest only at the start; fewer than `periods`.
    #[schema(minimum = 0)]
    pub grace_periods: Option<i64>,
    #[schema(max_length = 200)]
    pub purpose: Option<String>,
}

/// New terms for a disbursed loan from a date; its interest method stays.
#[derive(ToSchema)]
pub struct RescheduleBody {
    /// From when the new terms hold: not in the future, not before the disbursement, after the
    /// loan's last reschedule and its last payment.
    pub date: NaiveDate,
    #[schema(pattern = r"^[0-9]+(\.[0-9]{1,6})?$", example = "0.02")]
    pub rate_per_period: String,
    #[schema(minimum = 1, maximum = 260)]
    pub periods: i64,
    pub frequency: Frequency,
    /// After `date`, within two years from today.
    pub first_due_date: NaiveDate,
    #[schema(minimum = 0)]
    pub grace_periods: Option<i64>,
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

#[derive(ToSchema)]
pub struct DatedBody {
    /// Not in the future.
    pub date: NaiveDate,
}

#[derive(ToSchema)]
pub struct RepaymentBody {
    pub amount: Money,
    /// Not in the future, not before the disbursement.
    pub date: NaiveDate,
    #[schema(max_length = 40)]
    pub receipt_number: Option<String>,
}

#[derive(ToSchema)]
pub struct ReasonBody {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

#[derive(ToSchema)]
pub struct WriteOffBody {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
    /// Not in the future.
    pub date: NaiveDate,
}

/// The description of this part's routes, merged into `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(
    components(schemas(super::model::LoanStatus)),
    paths(
        super::api::create_fund,
        super::api::list_funds,
        super::api::get_fund,
        super::api::contribute,
        super::api::request_loan,
        super::api::list_loans,
        super::api::get_loan,
        super::api::approve,
        super::api::reject,
        super::api::cancel,
        super::api::disburse,
        super::api::repay,
        super::api::reverse,
        super::api::write_off,
        super::api::reports::get_portfolio,
        super::api::reports::get_journal,
        super::api::reports::get_trial_balance,
        super::api::reports::get_member_balance,
        super::api::life::request_reschedule,
        super::api::life::approve_reschedule,
        super::api::life::reject_reschedule,
        super::api::life::get_payoff,
        super::api::life::list_repayments,
        super::api::life::close_books,
        super::api::life::list_closures,
        super::api::life::reopen_books
    )
)]
pub struct ApiDoc;
