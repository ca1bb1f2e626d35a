//! The JSON API under `/api/v1` (shared/API.md): routes, shared helpers and the OpenAPI document.

use actix_web::{web, HttpResponse};
use serde::Serialize;
use utoipa::OpenApi;

use crate::error::{AppError, AppResult};
use crate::input::JsonInput;
use crate::web::State;

/// Reads a JSON object body. Not JSON at all: 400. JSON but not an object: 422 naming `body`.
pub fn json_input(body: &[u8]) -> AppResult<JsonInput> {
    let value: serde_json::Value = serde_json::from_slice(body).map_err(|_| AppError::MalformedBody)?;
    JsonInput::from_value(value).map_err(|e| AppError::Invalid(vec![e]))
}

#[derive(Serialize)]
pub struct List<T: Serialize> {
    pub items: Vec<T>,
    pub total: i64,
}

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

#[derive(OpenApi)]
#[openapi(
    info(title = "Pallay API", description = "Members, fund, trainings and committees of women miners' organisations."),
    paths(
        health,
        crate::auth::api::create_token,
        crate::auth::api::revoke_token,
        crate::users::api::list_users,
        crate::users::api::create_user,
        crate::users::api::update_user,
        crate::organizations::api::list_organizations,
        crate::organizations::api::create_organization,
        crate::organizations::api::get_organization,
        crate::organizations::api::update_organization,
        crate::members::api::list_members,
        crate::members::api::create_member,
        crate::members::api::get_member,
        crate::members::api::update_member,
        crate::members::api::export_member,
        crate::members::api::anonymize_member,
        crate::audit::api::list_audit,
        crate::committee::api::list_committees,
        crate::committee::api::create_committee,
        crate::committee::api::get_committee,
        crate::committee::api::add_member,
        crate::committee::api::record_meeting,
        crate::committee::api::list_actions,
        crate::committee::api::create_action,
        crate::committee::api::get_action,
        crate::committee::api::update_action,
        crate::committee::api::add_note,
        crate::committee::api::get_board,
        crate::fund::api::create_fund,
        crate::fund::api::list_funds,
        crate::fund::api::get_fund,
        crate::fund::api::contribute,
        crate::fund::api::request_loan,
        crate::fund::api::list_loans,
        crate::fund::api::get_loan,
        crate::fund::api::approve,
        crate::fund::api::reject,
        crate::fund::api::cancel,
        crate::fund::api::disburse,
        crate::fund::api::repay,
        crate::fund::api::reverse,
        crate::fund::api::write_off,
        crate::fund::api::get_portfolio,
        crate::fund::api::get_journal,
        crate::fund::api::get_trial_balance,
        crate::fund::api::get_member_balance,
        crate::trainings::api::list_topics,
        crate::trainings::api::create_topic,
        crate::trainings::api::list_trainings,
        crate::trainings::api::create_training,
        crate::trainings::api::get_training,
        crate::trainings::api::update_training,
        crate::trainings::api::cancel_training,
        crate::trainings::api::get_attendance,
        crate::trainings::api::put_attendance,
        crate::trainings::api::member_trainings,
        crate::trainings::api::attendance_report,
        crate::notices::api::send_statements,
        crate::notices::api::list_notices,
        crate::notices::api::retry_failed,
        crate::notices::api::inbound_sms,
    ),
    modifiers(&BearerAuth)
)]
pub struct ApiDoc;

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
    HttpResponse::Ok().json(ApiDoc::openapi())
}

async fn not_found() -> AppResult<HttpResponse> {
    Err(AppError::NotFound)
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    use crate::{audit::api as audit, auth::api as auth, committee::api as committee, members::api as members};
    use crate::{
        fund::api as fund, organizations::api as organizations, trainings::api as trainings, users::api as users,
    };
    cfg.route("/api/openapi.json", web::get().to(openapi_json)).service(
        web::scope("/api/v1")
            .route("/health", web::get().to(health))
            .route("/auth/token", web::post().to(auth::create_token))
            .route("/auth/token", web::delete().to(auth::revoke_token))
            .route("/users", web::get().to(users::list_users))
            .route("/users", web::post().to(users::create_user))
            .route("/users/{id}", web::patch().to(users::update_user))
            .route("/organizations", web::get().to(organizations::list_organizations))
            .route("/organizations", web::post().to(organizations::create_organization))
            .route("/organizations/{id}", web::get().to(organizations::get_organization))
            .route(
                "/organizations/{id}",
                web::patch().to(organizations::update_organization),
            )
            .route("/members", web::get().to(members::list_members))
            .route("/members", web::post().to(members::create_member))
            .route("/members/{id}", web::get().to(members::get_member))
            .route("/members/{id}", web::patch().to(members::update_member))
            .route("/members/{id}/export", web::get().to(members::export_member))
            .route("/members/{id}/anonymize", web::post().to(members::anonymize_member))
            .route("/audit", web::get().to(audit::list_audit))
            .route("/members/{id}/balance", web::get().to(fund::get_member_balance))
            .route("/funds", web::get().to(fund::list_funds))
            .route("/funds", web::post().to(fund::create_fund))
            .route("/funds/{id}", web::get().to(fund::get_fund))
            .route("/funds/{id}/contributions", web::post().to(fund::contribute))
            .route("/funds/{id}/portfolio", web::get().to(fund::get_portfolio))
            .route("/funds/{id}/journal", web::get().to(fund::get_journal))
            .route("/funds/{id}/trial-balance", web::get().to(fund::get_trial_balance))
            .route("/loans", web::get().to(fund::list_loans))
            .route("/loans", web::post().to(fund::request_loan))
            .route("/loans/{id}", web::get().to(fund::get_loan))
            .route("/loans/{id}/approve", web::post().to(fund::approve))
            .route("/loans/{id}/reject", web::post().to(fund::reject))
            .route("/loans/{id}/cancel", web::post().to(fund::cancel))
            .route("/loans/{id}/disburse", web::post().to(fund::disburse))
            .route("/loans/{id}/repayments", web::post().to(fund::repay))
            .route("/loans/{id}/write-off", web::post().to(fund::write_off))
            .route("/repayments/{id}/reverse", web::post().to(fund::reverse))
            .route("/committees", web::get().to(committee::list_committees))
            .route("/committees", web::post().to(committee::create_committee))
            .route("/committees/{id}", web::get().to(committee::get_committee))
            .route("/committees/{id}/members", web::post().to(committee::add_member))
            .route("/committees/{id}/meetings", web::post().to(committee::record_meeting))
            .route("/committees/{id}/actions", web::get().to(committee::list_actions))
            .route("/committees/{id}/actions", web::post().to(committee::create_action))
            .route("/committees/{id}/board", web::get().to(committee::get_board))
            .route("/actions/{id}", web::get().to(committee::get_action))
            .route("/actions/{id}", web::patch().to(committee::update_action))
            .route("/actions/{id}/notes", web::post().to(committee::add_note))
            .route("/topics", web::get().to(trainings::list_topics))
            .route("/topics", web::post().to(trainings::create_topic))
            .route("/trainings", web::get().to(trainings::list_trainings))
            .route("/trainings", web::post().to(trainings::create_training))
            .route("/trainings/{id}", web::get().to(trainings::get_training))
            .route("/trainings/{id}", web::patch().to(trainings::update_training))
            .route("/trainings/{id}/cancel", web::post().to(trainings::cancel_training))
            .route("/trainings/{id}/attendance", web::get().to(trainings::get_attendance))
            .route("/trainings/{id}/attendance", web::put().to(trainings::put_attendance))
            .route("/members/{id}/trainings", web::get().to(trainings::member_trainings))
            .route("/reports/attendance", web::get().to(trainings::attendance_report))
            .route("/notices/balance", web::post().to(crate::notices::api::send_statements))
            .route("/notices", web::get().to(crate::notices::api::list_notices))
            .route("/notices/{id}/retry", web::post().to(crate::notices::api::retry_failed))
            .route("/sms/inbound", web::post().to(crate::notices::api::inbound_sms))
            .default_service(web::to(not_found)),
    );
}
