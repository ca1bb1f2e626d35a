//! The JSON API under `/api/v1` (shared/API.md): each part's routes and OpenAPI paths, mounted in
//! one order, and the health check. The handlers live in each part's `api.rs`.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::OpenApi;

use crate::error::{AppError, AppResult};
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

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/api/openapi.json", web::get().to(openapi_json)).service(
        web::scope("/api/v1")
            .route("/health", web::get().to(health))
            .configure(crate::auth::api::routes)
            .configure(crate::users::api::routes)
            .configure(crate::organizations::api::routes)
            .configure(crate::members::api::routes)
            .configure(crate::audit::api::routes)
            .configure(crate::fund::api::routes)
            .configure(crate::committee::api::routes)
            .configure(crate::trainings::api::routes)
            .configure(crate::notices::api::routes)
            .default_service(web::to(not_found)),
    );
}
