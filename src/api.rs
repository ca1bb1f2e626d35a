//! The JSON API under `/api/v1` (shared/API.md): each part's routes and OpenAPI paths, mounted in
//! one order, and the health check. The handlers live in each part's `api.rs`.

use std::sync::Arc;

use actix_web::dev::ResourceDef;
use actix_web::http::Method;
use actix_web::{web, HttpRequest, HttpResponse};
use serde::Serialize;
use utoipa::OpenApi;

use crate::error::{AppError, AppResult};
use crate::web::routes::Routes;
use crate::web::State;

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    status: &'static str,
    database: &'static str,
}

/// Whether the server and its database answer.
#[utoipa::path(get, path = "/api/v1/health", responses((status = 200, body = Health)))]
pub async fn health(state: State) -> AppResult<HttpResponse> {
    state
        .db
        .read(|conn| {
            use diesel::connection::SimpleConnection;
            conn.batch_execute("SELECT 1").map_err(AppError::from)
        })
        .await?;
    Ok(HttpResponse::Ok().json(Health {
        status: "ok",
        database: state.db.backend().name(),
    }))
}

/// The health check's part of the OpenAPI document (`src/openapi.rs` puts the parts together).
#[derive(OpenApi)]
#[openapi(
    info(
        title = "Pallay API",
        description = "Members, fund, trainings and committees of women miners' organisations."
    ),
    paths(health)
)]
pub(crate) struct ApiDoc;

/// The API's routes under `/api/v1`, part by part.
pub fn v1_routes() -> Routes {
    Routes::new()
        .get("/health", health)
        .merge(crate::auth::api::routes())
        .merge(crate::users::api::routes())
        .merge(crate::organizations::api::routes())
        .merge(crate::members::api::routes())
        .merge(crate::audit::api::routes())
        .merge(crate::fund::api::routes())
        .merge(crate::committee::api::routes())
        .merge(crate::trainings::api::routes())
        .merge(crate::notices::api::routes())
}

pub const V1: &str = "/api/v1";

pub fn routes(cfg: &mut web::ServiceConfig) {
    let table = v1_routes();
    let known: Arc<Vec<(Method, ResourceDef)>> = Arc::new(
        table
            .list()
            .into_iter()
            .map(|(method, path)| (method, ResourceDef::new(format!("{V1}{path}"))))
            .collect(),
    );
    cfg.service(
        web::scope(V1)
            .configure(|v1| table.register(v1))
            .default_service(web::to(move |req: HttpRequest| {
                let known = Arc::clone(&known);
                async move { unmatched(&known, &req) }
            })),
    );
}

/// A request no route took: 405 with the methods the path has (`Allow`), else 404.
fn unmatched(known: &[(Method, ResourceDef)], req: &HttpRequest) -> AppResult<HttpResponse> {
    let mut allowed: Vec<String> = known
        .iter()
        .filter(|(_, path)| path.is_match(req.path()))
        .map(|(method, _)| method.to_string())
        .collect();
    allowed.dedup();
    if allowed.is_empty() {
        Err(AppError::NotFound)
    } else {
        Err(AppError::MethodNotAllowed(allowed))
    }
}
