use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;

use super::extract::bearer_token;
use super::{login, session};
use crate::clock::rfc3339;
use crate::error::{AppError, AppResult};
use crate::input::{required, Errors, Input};
use crate::web::json::json_input;
use crate::web::routes::Routes;
use crate::web::{client_ip, State};

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenUser {
    id: i64,
    username: String,
    role: &'static str,
    organization_ids: Vec<i64>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TokenResponse {
    token: String,
    expires_at: String,
    user: TokenUser,
}

/// Exchanges a username and password for a bearer token. Wrong credentials: 401, the same
/// whether or not the user exists; too many failures: 429.
#[utoipa::path(post, path = "/api/v1/auth/token", request_body = Credentials, responses((status = 201, body = TokenResponse), (status = 401, description = "Wrong username or password (the same answer either way)"), (status = 429, description = "Too many failures from this address: wait (see Retry-After)")))]
pub async fn create_token(state: State, req: HttpRequest, body: web::Bytes) -> AppResult<HttpResponse> {
    let input = json_input(&body)?;
    let mut e = Errors::default();
    e.extend(input.unknown_fields(&["username", "password"]));
    let username = e.take(required(&input, "username", |raw| Ok(raw.to_string())));
    let password = e.take(required(&input, "password", |raw| Ok(raw.to_string())));
    let (username, password) = e.finish(|| Some((username?, password?))).map_err(AppError::Invalid)?;
    let ip = client_ip(&req, state.config.behind_proxy);
    let response = login::sign_in(&state.db, username, password, ip, |conn, user| {
        let (token, expires_at) = session::issue_token(conn, user.id)?;
        Ok(TokenResponse {
            token,
            expires_at: rfc3339(expires_at),
            user: TokenUser {
                id: user.id,
                username: user.username,
                role: user.role.as_str(),
                organization_ids: user.organization_ids,
            },
        })
    })
    .await?;
    Ok(HttpResponse::Created().json(response))
}

/// Revokes the token the request carries.
#[utoipa::path(delete, path = "/api/v1/auth/token", responses((status = 204, description = "The token no longer opens anything")))]
pub async fn revoke_token(state: State, req: HttpRequest, _user: super::extract::ApiUser) -> AppResult<HttpResponse> {
    let token = bearer_token(&req).ok_or(AppError::Unauthenticated)?;
    state.db.write(move |conn| session::revoke_token(conn, &token)).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// This part's JSON routes, mounted under `/api/v1` (shared/API.md).
pub fn routes() -> Routes {
    Routes::new()
        .post("/auth/token", create_token)
        .delete("/auth/token", revoke_token)
}

/// The body of `POST /auth/token`.
#[derive(utoipa::ToSchema)]
pub struct Credentials {
    #[schema(min_length = 1)]
    pub username: String,
    #[schema(min_length = 1)]
    pub password: String,
}

/// The OpenAPI description of this part's routes, merged into `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(crate::auth::api::create_token, crate::auth::api::revoke_token))]
pub struct ApiDoc;
