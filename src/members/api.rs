use actix_web::{web, HttpResponse};
use serde::Deserialize;
use utoipa::IntoParams;

use super::fields::{Language, Sex};

use super::input::MemberChanges;
use super::model::{Member, MemberFilter, MemberView};
use super::service;
use crate::auth::extract::ApiUser;
use crate::auth::policy::{authorize, member_scope, Action};
use crate::error::{AppError, AppResult};
use crate::web::json::{json_input, List};
use crate::web::routes::Routes;
use crate::web::{paging, State};

#[derive(Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct MembersQuery {
    /// Part of a name or DNI, accents and case ignored.
    q: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1)]
    organization_id: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    #[param(value_type = Option<i64>, minimum = 0)]
    offset: Option<String>,
}

/// Members the caller reaches; `q` searches names and DNI.
#[utoipa::path(get, path = "/api/v1/members", params(MembersQuery), responses((status = 200, body = List<MemberView>)))]
pub async fn list_members(
    state: State,
    ApiUser(user): ApiUser,
    query: web::Query<MembersQuery>,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadMembers)?;
    let (limit, offset) = paging(query.limit.as_deref(), query.offset.as_deref())?;
    let organization_id = crate::web::id_param("organization_id", query.organization_id.as_deref())?;
    let filter = MemberFilter {
        text: query.q.clone(),
        organization_id,
    };
    let scope = member_scope(&user);
    let (items, total) = state
        .db
        .read(move |conn| {
            let (rows, total) = Member::search(conn, &scope, &filter, limit, offset)?;
            let ids: Vec<i64> = rows.iter().map(|m| m.id).collect();
            let links = Member::organization_ids_of(conn, &ids)?;
            let items: Vec<MemberView> = rows
                .iter()
                .map(|m| {
                    m.view(
                        links
                            .iter()
                            .filter(|(mid, _)| *mid == m.id)
                            .map(|(_, org)| *org)
                            .collect(),
                    )
                })
                .collect();
            Ok((items, total))
        })
        .await?;
    Ok(HttpResponse::Ok().json(List { items, total }))
}

/// Registers a member in one or more of the caller's organisations.
#[utoipa::path(post, path = "/api/v1/members", request_body = MemberBody, responses((status = 201, body = MemberView)))]
pub async fn create_member(state: State, ApiUser(user): ApiUser, body: web::Bytes) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::WriteMembers)?;
    let changes = MemberChanges::parse(&json_input(&body)?, true, today).map_err(AppError::Invalid)?;
    let created = state
        .db
        .write(move |conn| service::create(conn, &user, changes))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// One member (a staff read is audited).
#[utoipa::path(get, path = "/api/v1/members/{id}", responses((status = 200, body = MemberView)))]
pub async fn get_member(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadMembers)?;
    let id = id.into_inner();
    let (_, view) = state.db.write(move |conn| service::show(conn, &user, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Changes the fields sent; `null` clears an optional field.
#[utoipa::path(patch, path = "/api/v1/members/{id}", request_body = MemberChangesBody, responses((status = 200, body = MemberView), (status = 409, description = "Her data was anonymised: it can no longer be edited")))]
pub async fn update_member(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::WriteMembers)?;
    let changes = MemberChanges::parse(&json_input(&body)?, false, today).map_err(AppError::Invalid)?;
    let id = id.into_inner();
    let updated = state
        .db
        .write(move |conn| service::update(conn, &user, id, changes))
        .await?;
    Ok(HttpResponse::Ok().json(updated))
}

/// Everything held about a member, for her (or an admin for her).
#[utoipa::path(get, path = "/api/v1/members/{id}/export", responses((status = 200, description = "Everything held about her, as a JSON file", content_type = "application/json")))]
pub async fn export_member(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let (id, today) = (id.into_inner(), state.clock.today());
    let document = state
        .db
        .write(move |conn| service::export(conn, &user, id, today))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"pallay-member-{id}.json\""),
        ))
        .json(document))
}

/// Anonymises a person who leaves (admin); the record and its links stay.
#[utoipa::path(post, path = "/api/v1/members/{id}/anonymize", responses((status = 200, body = MemberView), (status = 409, description = "Already anonymised")))]
pub async fn anonymize_member(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user, Action::AnonymizeMember)?;
    let id = id.into_inner();
    let view = state.db.write(move |conn| service::anonymize(conn, &user, id)).await?;
    Ok(HttpResponse::Ok().json(view))
}

/// This part's JSON routes, mounted under `/api/v1` (shared/API.md).
pub fn routes() -> Routes {
    Routes::new()
        .get("/members", list_members)
        .post("/members", create_member)
        .get("/members/{id}", get_member)
        .patch("/members/{id}", update_member)
        .get("/members/{id}/export", export_member)
        .post("/members/{id}/anonymize", anonymize_member)
}

/// The body of `POST /members`.
#[derive(utoipa::ToSchema)]
pub struct MemberBody {
    #[schema(min_length = 1, max_length = 100)]
    pub first_name: String,
    #[schema(min_length = 1, max_length = 100)]
    pub last_name: String,
    /// Eight digits; unique.
    #[schema(pattern = "^[0-9]{8}$")]
    pub dni: Option<String>,
    pub sex: Sex,
    /// Not in the future, not before 1900.
    pub birth_date: Option<chrono::NaiveDate>,
    /// A Peruvian mobile (9 digits, or +51…) or any number in E.164; stored as E.164.
    #[schema(max_length = 32)]
    pub phone: Option<String>,
    #[schema(max_length = 254)]
    pub email: Option<String>,
    /// Default `es`.
    pub language: Option<Language>,
    #[schema(min_items = 1)]
    pub organization_ids: Vec<i64>,
    pub consents: Option<ConsentsBody>,
}

/// The fields of `PATCH /members/{id}`: only those sent change; `null` clears an optional one.
#[derive(utoipa::ToSchema)]
pub struct MemberChangesBody {
    #[schema(min_length = 1, max_length = 100)]
    pub first_name: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    pub last_name: Option<String>,
    #[schema(pattern = "^[0-9]{8}$")]
    pub dni: Option<String>,
    pub sex: Option<Sex>,
    pub birth_date: Option<chrono::NaiveDate>,
    #[schema(max_length = 32)]
    pub phone: Option<String>,
    #[schema(max_length = 254)]
    pub email: Option<String>,
    pub language: Option<Language>,
    #[schema(min_items = 1)]
    pub organization_ids: Option<Vec<i64>>,
    pub consents: Option<ConsentsBody>,
}

/// Her consent per channel (Ley 29733): nothing is sent on a channel she has not agreed to.
#[derive(utoipa::ToSchema)]
pub struct ConsentsBody {
    pub sms: Option<bool>,
    pub email: Option<bool>,
}

/// The OpenAPI description of this part's routes, merged into `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    crate::members::api::list_members,
    crate::members::api::create_member,
    crate::members::api::get_member,
    crate::members::api::update_member,
    crate::members::api::export_member,
    crate::members::api::anonymize_member
))]
pub struct ApiDoc;
