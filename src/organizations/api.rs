use actix_web::{web, HttpResponse};

use super::{Organization, OrganizationInput};
use crate::auth::extract::ApiUser;
use crate::auth::policy::{authorize, organization_scope, Action};
use crate::error::{AppError, AppResult};
use crate::web::json::{json_input, List};
use crate::web::routes::Routes;
use crate::web::{paging, PagingQuery, State};

/// Organisations the caller reaches (coordinators: their own).
#[utoipa::path(get, path = "/api/v1/organizations", params(crate::web::PagingQuery), responses((status = 200, body = List<Organization>)))]
pub async fn list_organizations(
    state: State,
    ApiUser(user): ApiUser,
    query: web::Query<PagingQuery>,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadOrganizations)?;
    let (limit, offset) = paging(query.limit.as_deref(), query.offset.as_deref())?;
    let scope = organization_scope(&user);
    let all = state.db.read(move |conn| Organization::list(conn, &scope)).await?;
    let total = all.len() as i64;
    let items = all.into_iter().skip(offset as usize).take(limit as usize).collect();
    Ok(HttpResponse::Ok().json(List { items, total }))
}

/// Creates an organisation (admin).
#[utoipa::path(post, path = "/api/v1/organizations", request_body = OrganizationBody, responses((status = 201, body = Organization)))]
pub async fn create_organization(state: State, ApiUser(user): ApiUser, body: web::Bytes) -> AppResult<HttpResponse> {
    authorize(&user, Action::ManageOrganizations)?;
    let input = OrganizationInput::parse(&json_input(&body)?, true).map_err(AppError::Invalid)?;
    let created = state
        .db
        .write(move |conn| Organization::create(conn, &user, input))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// One organisation (coordinators: only their own).
#[utoipa::path(get, path = "/api/v1/organizations/{id}", responses((status = 200, body = Organization)))]
pub async fn get_organization(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadOrganizations)?;
    let (scope, id) = (organization_scope(&user), id.into_inner());
    let organization = state
        .db
        .read(move |conn| Organization::find_scoped(conn, &scope, id))
        .await?;
    Ok(HttpResponse::Ok().json(organization))
}

/// Renames an organisation or changes its kind (admin).
#[utoipa::path(patch, path = "/api/v1/organizations/{id}", request_body = OrganizationChangesBody, responses((status = 200, body = Organization)))]
pub async fn update_organization(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::ManageOrganizations)?;
    let input = OrganizationInput::parse(&json_input(&body)?, false).map_err(AppError::Invalid)?;
    let id = id.into_inner();
    let updated = state
        .db
        .write(move |conn| Organization::update(conn, &user, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(updated))
}

/// This part's JSON routes, mounted under `/api/v1` (shared/API.md).
pub fn routes() -> Routes {
    Routes::new()
        .get("/organizations", list_organizations)
        .post("/organizations", create_organization)
        .get("/organizations/{id}", get_organization)
        .patch("/organizations/{id}", update_organization)
}

/// The body of `POST /organizations`.
#[derive(utoipa::ToSchema)]
pub struct OrganizationBody {
    /// Unique.
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
    pub kind: super::Kind,
}

/// The fields of `PATCH /organizations/{id}`: only those sent change.
#[derive(utoipa::ToSchema)]
pub struct OrganizationChangesBody {
    #[schema(min_length = 1, max_length = 200)]
    pub name: Option<String>,
    pub kind: Option<super::Kind>,
}

/// The OpenAPI description of this part's routes, merged into `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    crate::organizations::api::list_organizations,
    crate::organizations::api::create_organization,
    crate::organizations::api::get_organization,
    crate::organizations::api::update_organization
))]
pub struct ApiDoc;
