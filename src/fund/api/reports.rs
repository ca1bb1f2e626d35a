//! The fund's reports over JSON: portfolio, journal and trial balance as of a date, and a
//! member's balance.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use crate::auth::extract::ApiUser;
use crate::auth::policy::{authorize, fund_scope, member_scope, Action};
use crate::error::AppResult;
use crate::fund::balance::{member_balance, MemberBalance};
use crate::fund::journal::{trial_balance, TrialBalance};
use crate::fund::journal_listing::{entries, EntryView};
use crate::fund::model::Fund;
use crate::fund::portfolio::Portfolio;
use crate::members::model::Member;
use crate::web::json::List;
use crate::web::{date_param, given_date_param, paging, State};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AsOfQuery {
    /// The day the report is as of (default today); if given, a date.
    #[param(value_type = Option<chrono::NaiveDate>)]
    as_of: Option<String>,
}

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct JournalQuery {
    /// Entries dated on or after this day.
    #[param(value_type = Option<chrono::NaiveDate>)]
    from: Option<String>,
    /// Entries dated on or before this day.
    #[param(value_type = Option<chrono::NaiveDate>)]
    to: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    #[param(value_type = Option<i64>, minimum = 0)]
    offset: Option<String>,
}

#[utoipa::path(get, path = "/api/v1/funds/{id}/portfolio", params(AsOfQuery), responses((status = 200, body = Portfolio)))]
pub async fn get_portfolio(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    query: web::Query<AsOfQuery>,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadPortfolio)?;
    let as_of = given_date_param("as_of", query.as_of.as_deref())?.unwrap_or_else(|| state.clock.today());
    let (scope, id) = (fund_scope(&user), id.into_inner());
    let kept = state.clone();
    let report = state
        .db
        .read(move |conn| {
            Fund::find_scoped(conn, &scope, id)?;
            kept.portfolios.portfolio(conn, id, as_of)
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[utoipa::path(get, path = "/api/v1/funds/{id}/journal", params(JournalQuery), responses((status = 200, body = List<EntryView>)))]
pub async fn get_journal(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    query: web::Query<JournalQuery>,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadFunds)?;
    let from = date_param("from", query.from.as_deref())?;
    let to = date_param("to", query.to.as_deref())?;
    let (limit, offset) = paging(query.limit.as_deref(), query.offset.as_deref())?;
    let (scope, id) = (fund_scope(&user), id.into_inner());
    let (items, total) = state
        .db
        .read(move |conn| {
            Fund::find_scoped(conn, &scope, id)?;
            entries(conn, id, from, to, limit, offset)
        })
        .await?;
    Ok(HttpResponse::Ok().json(List { items, total }))
}

#[utoipa::path(get, path = "/api/v1/funds/{id}/trial-balance", params(AsOfQuery), responses((status = 200, body = TrialBalance)))]
pub async fn get_trial_balance(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    query: web::Query<AsOfQuery>,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadFunds)?;
    let as_of = given_date_param("as_of", query.as_of.as_deref())?.unwrap_or_else(|| state.clock.today());
    let (scope, id) = (fund_scope(&user), id.into_inner());
    let report = state
        .db
        .read(move |conn| {
            Fund::find_scoped(conn, &scope, id)?;
            trial_balance(conn, id, as_of)
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

#[utoipa::path(get, path = "/api/v1/members/{id}/balance", responses((status = 200, body = MemberBalance)))]
pub async fn get_member_balance(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::ReadMembers)?;
    let (scope, id) = (member_scope(&user), id.into_inner());
    let balance = state
        .db
        .read(move |conn| {
            Member::find_scoped(conn, &scope, id)?;
            member_balance(conn, id, today)
        })
        .await?;
    Ok(HttpResponse::Ok().json(balance))
}
