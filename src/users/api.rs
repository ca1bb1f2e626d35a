use actix_web::{web, HttpResponse};

use super::model::{User, UserView};
use super::service::{self, NewUserInput, UserChanges};
use crate::auth::extract::ApiUser;
use crate::auth::policy::{authorize, Action};
use crate::error::{AppError, AppResult};
use crate::web::json::{json_input, List};
use crate::web::routes::Routes;
use crate::web::{paging, PagingQuery, State};

#[utoipa::path(get, path = "/api/v1/users", params(PagingQuery), responses((status = 200, body = List<UserView>)))]
pub async fn list_users(
    state: State,
    ApiUser(user): ApiUser,
    query: web::Query<PagingQuery>,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::ManageUsers)?;
    let (limit, offset) = paging(query.limit.as_deref(), query.offset.as_deref())?;
    let list = state
        .db
        .read(move |conn| {
            let (rows, total) = User::list(conn, limit, offset)?;
            let items = rows.into_iter().map(|u| u.view(conn)).collect::<AppResult<Vec<_>>>()?;
            Ok(List { items, total })
        })
        .await?;
    Ok(HttpResponse::Ok().json(list))
}

/// Creates an account (admin). Coordinators need organisations; member accounts a member.
#[utoipa::path(post, path = "/api/v1/users", request_body = UserBody, responses((status = 201, body = UserView)))]
pub async fn create_user(state: State, ApiUser(user): ApiUser, body: web::Bytes) -> AppResult<HttpResponse> {
    authorize(&user, Action::ManageUsers)?;
    let input = NewUserInput::parse(&json_input(&body)?).map_err(AppError::Invalid)?;
    let hash = service::hash_password(input.password.clone()).await?;
    let created = state
        .db
        .write(move |conn| service::create(conn, Some(&user), &input, &hash))
        .await?;
    Ok(HttpResponse::Created().json(created))
}

/// Disables or re-enables an account, sets its password or a coordinator's organisations (admin).
/// Disabling ends the account's sessions and tokens at once.
#[utoipa::path(patch, path = "/api/v1/users/{id}", request_body = UserChangesBody, responses((status = 200, body = UserView)))]
pub async fn update_user(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::ManageUsers)?;
    let changes = UserChanges::parse(&json_input(&body)?).map_err(AppError::Invalid)?;
    let hash = match &changes.password {
        Some(p) => Some(service::hash_password(p.clone()).await?),
        None => None,
    };
    let id = id.into_inner();
    let updated = state
        .db
        .write(move |conn| service::update(conn, &user, id, &changes, hash.as_deref()))
        .await?;
    Ok(HttpResponse::Ok().json(updated))
}

/// This part's JSON routes, mounted under `/api/v1` (shared/API.md).
pub fn routes() -> Routes {
    Routes::new()
        .get("/users", list_users)
        .post("/users", create_user)
        .patch("/users/{id}", update_user)
}

/// The body of `POST /users`.
#[derive(utoipa::ToSchema)]
pub struct UserBody {
    #[schema(min_length = 3, max_length = 40)]
    pub username: String,
    /// At least 10 characters, not a common password, not the username.
    #[schema(min_length = 10)]
    pub password: String,
    pub role: crate::auth::policy::Role,
    /// Required for a coordinator: the organisations she works for.
    pub organization_ids: Option<Vec<i64>>,
    /// Required for a member: the member she is.
    #[schema(minimum = 1)]
    pub member_id: Option<i64>,
}

/// The fields of `PATCH /users/{id}`: only those sent change.
#[derive(utoipa::ToSchema)]
pub struct UserChangesBody {
    pub disabled: Option<bool>,
    #[schema(min_length = 10)]
    pub password: Option<String>,
    pub organization_ids: Option<Vec<i64>>,
}

/// The OpenAPI description of this part's routes, merged into `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    crate::users::api::list_users,
    crate::users::api::create_user,
    crate::users::api::update_user
))]
pub struct ApiDoc;
