//! A loan's life beyond the plan over JSON (shared/API.md, "Loan life"): rescheduling it, what
//! settles it on a date, its repayments a page at a time, and closing (and reopening) a fund's books.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::extract::ApiUser;
use crate::auth::policy::{authorize, fund_scope, loan_scope, Action};
use crate::clock::now;
use crate::error::{AppError, AppResult};
use crate::fund::closing::{self, Closure};
use crate::fund::input::{not_future, parse_reason, RescheduleInput};
use crate::fund::model::{Fund, Loan};
use crate::fund::payoff::Payoff;
use crate::fund::rescheduling::{self, RescheduleView};
use crate::fund::service::reload;
use crate::fund::view::LoanView;
use crate::fund::view::{payoff_of, repayments_page, RepaymentItem};
use crate::input::{required, Errors};
use crate::web::json::{json_input, List};
use crate::web::routes::Routes;
use crate::web::{given_date_param, paging, State};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PayoffQuery {
    /// The day she would pay (default today): from the disbursement to a year ahead.
    #[param(value_type = Option<chrono::NaiveDate>)]
    date: Option<String>,
}

/// What settles the loan on a date: principal outstanding, interest and penalties due by then;
/// a declining loan's interest not yet due is not charged (`waived_interest`).
#[utoipa::path(get, path = "/api/v1/loans/{id}/payoff", params(PayoffQuery),
    responses((status = 200, body = Payoff), (status = 409, description = "The loan is not disbursed")))]
pub async fn get_payoff(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    query: web::Query<PayoffQuery>,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadLoans)?;
    let today = state.clock.today();
    let date = given_date_param("date", query.date.as_deref())?.unwrap_or(today);
    let (scope, id) = (loan_scope(&user), id.into_inner());
    let payoff = state
        .db
        .read(move |conn| {
            let loan = Loan::find_scoped(conn, &scope, id)?;
            payoff_of(conn, &loan, date, today)
        })
        .await?;
    Ok(HttpResponse::Ok().json(payoff))
}

/// A loan's repayments, newest first, a page at a time (a loan's own answers carry its schedule
/// and totals).
#[utoipa::path(get, path = "/api/v1/loans/{id}/repayments", params(crate::web::PagingQuery),
    responses((status = 200, body = List<RepaymentItem>)))]
pub async fn list_repayments(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    query: web::Query<crate::web::PagingQuery>,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadLoans)?;
    let (limit, offset) = paging(query.limit.as_deref(), query.offset.as_deref())?;
    let (scope, id) = (loan_scope(&user), id.into_inner());
    let (items, total) = state
        .db
        .read(move |conn| {
            let loan = Loan::find_scoped(conn, &scope, id)?;
            repayments_page(conn, loan.id, limit, offset)
        })
        .await?;
    Ok(HttpResponse::Ok().json(List { items, total }))
}

/// The body of `POST /funds/{id}/closures`.
#[derive(utoipa::ToSchema)]
pub struct ClosureBody {
    /// The last day closed: not in the future, after the closure that holds.
    pub date: chrono::NaiveDate,
}

/// Closes the fund's books up to a date (admin): nothing dated on or before it can be posted.
#[utoipa::path(post, path = "/api/v1/funds/{id}/closures", request_body = ClosureBody,
    responses((status = 201, body = Closure), (status = 409, description = "Not after the closure that holds")))]
pub async fn close_books(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::ManageFunds)?;
    let today = state.clock.today();
    let input = json_input(&body)?;
    let mut e = Errors::default();
    e.extend(crate::input::Input::unknown_fields(&input, &["date"]));
    let date = e.take(required(&input, "date", |raw| not_future(raw, today)));
    let date = e.finish(|| date).map_err(AppError::Invalid)?;
    let id = id.into_inner();
    let closure = state
        .db
        .write(move |conn| closing::close(conn, &user, id, date, now()))
        .await?;
    Ok(HttpResponse::Created().json(closure))
}

/// The fund's closures, newest first, with their reopenings.
#[utoipa::path(get, path = "/api/v1/funds/{id}/closures", responses((status = 200, body = List<Closure>)))]
pub async fn list_closures(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadFunds)?;
    let (scope, id) = (fund_scope(&user), id.into_inner());
    let items = state
        .db
        .read(move |conn| {
            Fund::find_scoped(conn, &scope, id)?;
            closing::list(conn, id)
        })
        .await?;
    let total = items.len() as i64;
    Ok(HttpResponse::Ok().json(List { items, total }))
}

/// Reopens the closure that holds (admin), with a reason.
#[utoipa::path(post, path = "/api/v1/closures/{id}/reopen", request_body = crate::fund::api_doc::ReasonBody,
    responses((status = 200, body = Closure), (status = 409, description = "Not the closure that holds")))]
pub async fn reopen_books(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::ManageFunds)?;
    let (reason, _) = parse_reason(&json_input(&body)?, None).map_err(AppError::Invalid)?;
    let id = id.into_inner();
    let closure = state
        .db
        .write(move |conn| closing::reopen(conn, &user, id, reason, now()))
        .await?;
    Ok(HttpResponse::Ok().json(closure))
}

/// Proposes new terms for a disbursed loan from a date; another person approves.
#[utoipa::path(post, path = "/api/v1/loans/{id}/reschedules", request_body = crate::fund::api_doc::RescheduleBody,
    responses((status = 201, body = RescheduleView), (status = 409, description = "The loan is not disbursed, or the date is not after its last reschedule or a payment")))]
pub async fn request_reschedule(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::WriteLoans)?;
    let today = state.clock.today();
    let input = RescheduleInput::parse(&json_input(&body)?, today).map_err(AppError::Invalid)?;
    let id = id.into_inner();
    let view = state
        .db
        .write(move |conn| rescheduling::request(conn, &user, id, input))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

async fn decide_reschedule(
    state: State,
    user: crate::auth::policy::CurrentUser,
    id: i64,
    approve: bool,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::WriteLoans)?;
    let today = state.clock.today();
    let view = state
        .db
        .write(move |conn| {
            let loan_id = rescheduling::decide(conn, &user, id, approve)?;
            reload(conn, loan_id, today)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Approves a proposed reschedule (not one's own): the loan with its new plan.
#[utoipa::path(post, path = "/api/v1/reschedules/{id}/approve",
    responses((status = 200, body = LoanView), (status = 403, description = "Approving one's own proposal, or not allowed"), (status = 409, description = "Already decided, or the loan changed since")))]
pub async fn approve_reschedule(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    decide_reschedule(state, user, id.into_inner(), true).await
}

/// Rejects a proposed reschedule (not one's own): the loan unchanged.
#[utoipa::path(post, path = "/api/v1/reschedules/{id}/reject",
    responses((status = 200, body = LoanView), (status = 403, description = "Rejecting one's own proposal, or not allowed"), (status = 409, description = "Already decided")))]
pub async fn reject_reschedule(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    decide_reschedule(state, user, id.into_inner(), false).await
}

pub fn routes() -> Routes {
    Routes::new()
        .post("/loans/{id}/reschedules", request_reschedule)
        .post("/reschedules/{id}/approve", approve_reschedule)
        .post("/reschedules/{id}/reject", reject_reschedule)
        .get("/loans/{id}/payoff", get_payoff)
        .get("/loans/{id}/repayments", list_repayments)
        .post("/funds/{id}/closures", close_books)
        .get("/funds/{id}/closures", list_closures)
        .post("/closures/{id}/reopen", reopen_books)
}
