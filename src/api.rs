//! The JSON API under `/api/v1` (shared/API.md): each part's routes and OpenAPI paths, mounted in
//! one order, and the health check. The handlers live in each part's `api.rs`.

use actix_web::{web, HttpResponse};
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

/// The OpenAPI document: the health check here, each part's paths merged in.
#[derive(OpenApi)]
#[openapi(
    info(title = "Pallay API", description = "Members, fund, trainings and committees of women miners' organisations."),
    paths(health),
    modifiers(&BearerAuth)
)]
struct ApiDoc;

/// The whole document, as served at `/api/openapi.json`.
pub fn openapi() -> utoipa::openapi::OpenApi {
    let mut doc = ApiDoc::openapi();
    for part in [
        crate::auth::api::ApiDoc::openapi(),
        crate::users::api::ApiDoc::openapi(),
        crate::organizations::api::ApiDoc::openapi(),
        crate::members::api::ApiDoc::openapi(),
        crate::audit::api::ApiDoc::openapi(),
        crate::committee::api::ApiDoc::openapi(),
        crate::fund::api::ApiDoc::openapi(),
        crate::fund::collection::api::ApiDoc::openapi(),
        crate::trainings::api::ApiDoc::openapi(),
        crate::notices::api::ApiDoc::openapi(),
    ] {
        doc.merge(part);
    }
    doc
}

struct BearerAuth;

impl utoipa::Modify for BearerAuth {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        use utoipa::openapi::security::{HttpAuthScheme, HttpBuilder, SecurityScheme};
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
    }
}

async fn openapi_json() -> HttpResponse {
    HttpResponse::Ok().json(openapi())
}

async fn not_found() -> AppResult<HttpResponse> {
    Err(AppError::NotFound)
}

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
    cfg.route("/api/openapi.json", web::get().to(openapi_json)).service(
        web::scope(V1)
            .configure(|v1| v1_routes().register(v1))
            .default_service(web::to(not_found)),
    );
}
