//! The fund's JSON routes (shared/API.md): funds, loans and the money that moves (writes that
//! move money honour `Idempotency-Key`); its reports in `reports.rs`, a loan's life beyond the plan
//! (payoff, closing the books) in `life.rs`.

pub mod life;
pub mod reports;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::extract::ApiUser;
use crate::auth::policy::{authorize, fund_scope, loan_scope, Action, CurrentUser};
use crate::error::{AppError, AppResult};
use crate::fund::api_doc::{ContributionBody, DatedBody, FundBody, LoanBody, ReasonBody, RepaymentBody, WriteOffBody};
use crate::fund::input::{parse_dated, parse_reason, ContributionInput, FundInput, LoanRequest, RepaymentInput};
use crate::fund::model::{Fund, Loan, LoanFilter, LoanStatus};
use crate::fund::repayments;
use crate::fund::repayments::RepaymentView;
use crate::fund::reversal::{self, ReversalView};
use crate::fund::service::ContributionView;
use crate::fund::service::{self, Decision};
use crate::fund::view::{fund_view, loan_view, FundView, LoanView};
use crate::fund::write_off;
use crate::idempotency;
use crate::web::json::{json_input, List};
use crate::web::routes::Routes;
use crate::web::{id_param, paging, State};

#[utoipa::path(post, path = "/api/v1/funds", request_body = FundBody, responses((status = 201, body = FundView)))]
pub async fn create_fund(state: State, ApiUser(user): ApiUser, body: web::Bytes) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::ManageFunds)?;
    let input = FundInput::parse(&json_input(&body)?).map_err(AppError::Invalid)?;
    let view = state
        .db
        .write(move |conn| {
            let fund = service::create_fund(conn, &user, input)?;
            fund_view(conn, &fund, today)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(get, path = "/api/v1/funds", responses((status = 200, body = List<FundView>)))]
pub async fn list_funds(state: State, ApiUser(user): ApiUser) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::ReadFunds)?;
    let scope = fund_scope(&user);
    let items = state
        .db
        .read(move |conn| {
            let funds = Fund::list(conn, &scope)?;
            funds
                .iter()
                .map(|f| fund_view(conn, f, today))
                .collect::<AppResult<Vec<_>>>()
        })
        .await?;
    let total = items.len() as i64;
    Ok(HttpResponse::Ok().json(List { items, total }))
}

#[utoipa::path(get, path = "/api/v1/funds/{id}", responses((status = 200, body = FundView)))]
pub async fn get_fund(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::ReadFunds)?;
    let (scope, id) = (fund_scope(&user), id.into_inner());
    let view = state
        .db
        .read(move |conn| {
            let fund = Fund::find_scoped(conn, &scope, id)?;
            fund_view(conn, &fund, today)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(post, path = "/api/v1/funds/{id}/contributions", params(("Idempotency-Key" = Option<String>, Header, description = "The same key and body answer the first answer again; ≤ 64 characters")), request_body = ContributionBody, responses((status = 201, body = ContributionView)))]
pub async fn contribute(
    state: State,
    ApiUser(user): ApiUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::WriteLoans)?;
    let input = ContributionInput::parse(&json_input(&body)?, today).map_err(AppError::Invalid)?;
    let (user_id, id) = (user.id, id.into_inner());
    idempotency::respond(&state.db, &req, user_id, &body, StatusCode::CREATED, move |conn| {
        service::contribute(conn, &user, id, input)
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/loans", request_body = LoanBody, responses((status = 201, body = LoanView)))]
pub async fn request_loan(state: State, ApiUser(user): ApiUser, body: web::Bytes) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::WriteLoans)?;
    let request = LoanRequest::parse(&json_input(&body)?).map_err(AppError::Invalid)?;
    let view = state
        .db
        .write(move |conn| service::request_loan(conn, &user, request, today))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LoansQuery {
    /// The fund whose loans to list (required).
    #[param(value_type = i64, minimum = 1)]
    fund_id: Option<String>,
    #[param(value_type = Option<LoanStatus>)]
    status: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1)]
    member_id: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    #[param(value_type = Option<i64>, minimum = 0)]
    offset: Option<String>,
}

/// Loans of one fund (`?fund_id=` required), newest first, filtered by status or member.
#[utoipa::path(get, path = "/api/v1/loans", params(LoansQuery), responses((status = 200, body = List<LoanView>)))]
pub async fn list_loans(
    state: State,
    ApiUser(user): ApiUser,
    query: web::Query<LoansQuery>,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::ReadFunds)?;
    let (limit, offset) = paging(query.limit.as_deref(), query.offset.as_deref())?;
    let fund_id =
        id_param("fund_id", query.fund_id.as_deref())?.ok_or_else(|| AppError::invalid("fund_id", "required"))?;
    let member_id = id_param("member_id", query.member_id.as_deref())?;
    let status = query
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .map(|s| LoanStatus::parse(s).map_err(|code| AppError::invalid("status", code)))
        .transpose()?;
    let scope = fund_scope(&user);
    let list = state
        .db
        .read(move |conn| {
            Fund::find_scoped(conn, &scope, fund_id)?;
            let (rows, total) = Loan::list(
                conn,
                &LoanFilter {
                    fund_id,
                    status,
                    member_id,
                    borrower: None,
                },
                limit,
                offset,
            )?;
            let items = rows
                .iter()
                .map(|l| loan_view(conn, l, today))
                .collect::<AppResult<Vec<_>>>()?;
            Ok(List { items, total })
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

#[utoipa::path(get, path = "/api/v1/loans/{id}", responses((status = 200, body = LoanView)))]
pub async fn get_loan(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::ReadLoans)?;
    let (scope, id) = (loan_scope(&user), id.into_inner());
    let view = state
        .db
        .read(move |conn| {
            let loan = Loan::find_scoped(conn, &scope, id)?;
            loan_view(conn, &loan, today)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

async fn decide(state: State, user: CurrentUser, id: i64, decision: Decision) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::WriteLoans)?;
    let view = state
        .db
        .write(move |conn| service::decide(conn, &user, id, decision, today))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(post, path = "/api/v1/loans/{id}/approve", responses((status = 200, body = LoanView), (status = 403, description = "Approving one's own request, or not allowed"), (status = 409, description = "The loan is not requested")))]
pub async fn approve(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    decide(state, user, id.into_inner(), Decision::Approve).await
}

#[utoipa::path(post, path = "/api/v1/loans/{id}/reject", responses((status = 200, body = LoanView), (status = 409, description = "The loan is not requested")))]
pub async fn reject(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    decide(state, user, id.into_inner(), Decision::Reject).await
}

#[utoipa::path(post, path = "/api/v1/loans/{id}/cancel", responses((status = 200, body = LoanView), (status = 409, description = "The loan is not requested or approved")))]
pub async fn cancel(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    decide(state, user, id.into_inner(), Decision::Cancel).await
}

#[utoipa::path(post, path = "/api/v1/loans/{id}/disburse", params(("Idempotency-Key" = Option<String>, Header, description = "The same key and body answer the first answer again; ≤ 64 characters")), request_body = DatedBody, responses((status = 200, body = LoanView), (status = 409, description = "Not approved, or more than the fund's cash")))]
pub async fn disburse(
    state: State,
    ApiUser(user): ApiUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::WriteLoans)?;
    let date = parse_dated(&json_input(&body)?, today).map_err(AppError::Invalid)?;
    let (user_id, id) = (user.id, id.into_inner());
    idempotency::respond(&state.db, &req, user_id, &body, StatusCode::OK, move |conn| {
        service::disburse(conn, &user, id, date, today)
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/loans/{id}/repayments", params(("Idempotency-Key" = Option<String>, Header, description = "The same key and body answer the first answer again; ≤ 64 characters")), request_body = RepaymentBody, responses((status = 201, body = RepaymentView), (status = 409, description = "The loan is not disbursed, or a request with this key is in flight")))]
pub async fn repay(
    state: State,
    ApiUser(user): ApiUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::WriteLoans)?;
    let input = RepaymentInput::parse(&json_input(&body)?, today).map_err(AppError::Invalid)?;
    let (user_id, id) = (user.id, id.into_inner());
    idempotency::respond(&state.db, &req, user_id, &body, StatusCode::CREATED, move |conn| {
        repayments::repay(conn, &user, id, input, today)
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/repayments/{id}/reverse", params(("Idempotency-Key" = Option<String>, Header, description = "The same key and body answer the first answer again; ≤ 64 characters")), request_body = ReasonBody, responses((status = 201, body = ReversalView), (status = 409, description = "Already reversed")))]
pub async fn reverse(
    state: State,
    ApiUser(user): ApiUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::WriteLoans)?;
    let (reason, _) = parse_reason(&json_input(&body)?, None).map_err(AppError::Invalid)?;
    let (user_id, id) = (user.id, id.into_inner());
    idempotency::respond(&state.db, &req, user_id, &body, StatusCode::CREATED, move |conn| {
        reversal::reverse(conn, &user, id, reason, today)
    })
    .await
}

#[utoipa::path(post, path = "/api/v1/loans/{id}/write-off", params(("Idempotency-Key" = Option<String>, Header, description = "The same key and body answer the first answer again; ≤ 64 characters")), request_body = WriteOffBody, responses((status = 200, body = LoanView), (status = 409, description = "The loan is not disbursed")))]
pub async fn write_off(
    state: State,
    ApiUser(user): ApiUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::WriteOffLoans)?;
    let (reason, date) = parse_reason(&json_input(&body)?, Some(today)).map_err(AppError::Invalid)?;
    let date = date.unwrap_or_else(|| state.clock.today());
    let (user_id, id) = (user.id, id.into_inner());
    idempotency::respond(&state.db, &req, user_id, &body, StatusCode::OK, move |conn| {
        write_off::write_off(conn, &user, id, date, reason, today)
    })
    .await
}

/// This part's JSON routes, mounted under `/api/v1` (shared/API.md).
pub fn routes() -> Routes {
    Routes::new()
        .get("/members/{id}/balance", reports::get_member_balance)
        .get("/funds", list_funds)
        .post("/funds", create_fund)
        .get("/funds/{id}", get_fund)
        .post("/funds/{id}/contributions", contribute)
        .get("/funds/{id}/portfolio", reports::get_portfolio)
        .get("/funds/{id}/journal", reports::get_journal)
        .get("/funds/{id}/trial-balance", reports::get_trial_balance)
        .get("/loans", list_loans)
        .post("/loans", request_loan)
        .get("/loans/{id}", get_loan)
        .post("/loans/{id}/approve", approve)
        .post("/loans/{id}/reject", reject)
        .post("/loans/{id}/cancel", cancel)
        .post("/loans/{id}/disburse", disburse)
        .post("/loans/{id}/repayments", repay)
        .post("/loans/{id}/write-off", write_off)
        .post("/repayments/{id}/reverse", reverse)
        .merge(life::routes())
        .merge(super::collection::api::routes())
}
