//! The collection sheet's JSON routes (shared/API.md, "Collection sheet"): the sheet of a fund on
//! a date, and the batch of a meeting's repayments. The page's own script sends the same batch
//! through `post_collections`, with the session instead of a token.

use actix_web::{web, HttpResponse};
use serde::Deserialize;
use serde_json::Value;

use super::{post_batch, sheet, Batch};
use crate::auth::extract::ApiUser;
use crate::auth::policy::{authorize, Action, CurrentUser};
use crate::error::{AppError, AppResult};
use crate::i18n::{Lang, Tr};
use crate::web::json::json_input;
use crate::web::routes::Routes;
use crate::web::{id_param, State};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SheetQuery {
    /// The meeting's day (default today).
    #[param(value_type = Option<chrono::NaiveDate>)]
    date: Option<String>,
    /// Only the borrowers of this organisation.
    #[param(value_type = Option<i64>, minimum = 1)]
    organization_id: Option<String>,
}

/// The sheet's date: today when not given; given but empty or not a date, a 422.
pub fn sheet_date(raw: Option<&str>, today: chrono::NaiveDate) -> AppResult<chrono::NaiveDate> {
    match raw {
        None => Ok(today),
        Some(raw) => crate::input::parse_date(raw)
            .map_err(|code| AppError::invalid("date", if raw.trim().is_empty() { "required" } else { code })),
    }
}

#[utoipa::path(get, path = "/api/v1/funds/{id}/collection-sheet", params(SheetQuery), responses((status = 200, body = super::Sheet)))]
pub async fn get_sheet(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    query: web::Query<SheetQuery>,
) -> AppResult<HttpResponse> {
    // Those who keep the fund's books see its sheet (the borrowers' names with what they owe).
    authorize(&user, Action::ReadFunds)?;
    let date = sheet_date(query.date.as_deref(), state.clock.today())?;
    let organization_id = id_param("organization_id", query.organization_id.as_deref())?;
    let id = id.into_inner();
    let found = state
        .db
        .read(move |conn| sheet(conn, &user, id, date, organization_id))
        .await?;
    Ok(HttpResponse::Ok().json(found))
}

/// Reads and posts a batch; the answer's messages in `lang`.
pub async fn post_collections(
    state: &State,
    user: CurrentUser,
    fund_id: i64,
    body: &[u8],
    lang: Lang,
) -> AppResult<Value> {
    authorize(&user, Action::WriteLoans)?;
    let today = state.clock.today();
    let batch = Batch::parse(&json_input(body)?, today).map_err(AppError::Invalid)?;
    let outcome = state
        .db
        .write(move |conn| post_batch(conn, &user, fund_id, batch, today))
        .await?;
    Ok(outcome.to_json(Tr::new(lang)))
}

#[utoipa::path(post, path = "/api/v1/funds/{id}/collections", request_body = BatchBody, responses((status = 200, body = BatchAnswer)))]
pub async fn post_collections_api(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let answer = post_collections(&state, user, id.into_inner(), &body, Lang::En).await?;
    Ok(HttpResponse::Ok().json(answer))
}

pub fn routes() -> Routes {
    Routes::new()
        .get("/funds/{id}/collection-sheet", get_sheet)
        .post("/funds/{id}/collections", post_collections_api)
}

/// A meeting's repayments (`POST /funds/{id}/collections`).
#[derive(utoipa::ToSchema)]
pub struct BatchBody {
    pub date: chrono::NaiveDate,
    /// The cash she counted; when given, it must equal the sum of the amounts.
    pub cash_counted: Option<crate::money::Money>,
    pub rows: Vec<BatchRowBody>,
}

/// One repayment of the batch, with its own idempotency key. A row that is not like this (a
/// missing key, an amount that is not one) is refused on its own — its answer says why — and
/// the other rows are posted: the batch still answers 200.
#[derive(utoipa::ToSchema)]
pub struct BatchRowBody {
    #[schema(minimum = 1)]
    pub loan_id: i64,
    /// `"0.00"`: she paid nothing (the row is skipped).
    pub amount: crate::money::Money,
    #[schema(max_length = 40)]
    pub receipt_number: Option<String>,
    #[schema(min_length = 1, max_length = 64)]
    pub key: String,
}

/// What became of each row, and the total posted now.
#[derive(utoipa::ToSchema)]
pub struct BatchAnswer {
    pub rows: Vec<BatchRowAnswer>,
    pub posted_total: crate::money::Money,
}

#[derive(utoipa::ToSchema)]
pub struct BatchRowAnswer {
    pub loan_id: Option<i64>,
    pub key: Option<String>,
    pub status: super::batch::RowStatus,
    pub repayment_id: Option<i64>,
    pub allocation: Option<crate::fund::allocation::Allocation>,
    /// Why a refused row was refused.
    pub errors: Option<Vec<BatchRowError>>,
}

#[derive(utoipa::ToSchema)]
pub struct BatchRowError {
    pub field: String,
    pub code: String,
    pub message: String,
}

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    crate::fund::collection::api::get_sheet,
    crate::fund::collection::api::post_collections_api
))]
pub struct ApiDoc;
