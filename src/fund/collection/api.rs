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

#[derive(Deserialize)]
pub struct SheetQuery {
    date: Option<String>,
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

#[utoipa::path(get, path = "/api/v1/funds/{id}/collection-sheet", responses((status = 200), (status = 404), (status = 422)))]
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

#[utoipa::path(post, path = "/api/v1/funds/{id}/collections", responses((status = 200), (status = 404), (status = 422)))]
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

#[derive(utoipa::OpenApi)]
#[openapi(paths(
    crate::fund::collection::api::get_sheet,
    crate::fund::collection::api::post_collections_api
))]
pub struct ApiDoc;
