use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};

use super::{list, AuditFilter, ENTITIES};
use crate::auth::extract::ApiUser;
use crate::auth::policy::{authorize, Action};
use crate::clock::rfc3339;
use crate::error::{AppError, AppResult, FieldError};
use crate::web::json::List;
use crate::web::routes::Routes;
use crate::web::{paging, State};

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct AuditQuery {
    /// The singular resource name: user, organization, member, fund, loan, repayment, training,
    /// committee, action or notice.
    entity: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1)]
    entity_id: Option<String>,
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    limit: Option<String>,
    #[param(value_type = Option<i64>, minimum = 0)]
    offset: Option<String>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AuditItem {
    id: i64,
    at: String,
    user_id: Option<i64>,
    action: String,
    entity: String,
    entity_id: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    before: Option<serde_json::Value>,
    #[serde(skip_serializing_if = "Option::is_none")]
    after: Option<serde_json::Value>,
}

/// Parses the audit filters shared by the API and the admin page.
pub fn parse_filter(entity: Option<&str>, entity_id: Option<&str>) -> Result<AuditFilter, AppError> {
    let mut errors = Vec::new();
    let entity = entity.map(str::trim).filter(|e| !e.is_empty());
    if entity.is_some_and(|e| !ENTITIES.contains(&e)) {
        errors.push(FieldError::new("entity", "entity_unknown"));
    }
    let entity_id = match entity_id.map(str::trim).filter(|e| !e.is_empty()) {
        None => None,
        Some(raw) => match raw.parse::<i64>() {
            Ok(id) if id > 0 => Some(id),
            _ => {
                errors.push(FieldError::new("entity_id", "must_be_id"));
                None
            }
        },
    };
    if errors.is_empty() {
        Ok(AuditFilter {
            entity: entity.map(str::to_string),
            entity_id,
        })
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// The audit log, newest first (admin).
#[utoipa::path(get, path = "/api/v1/audit", params(AuditQuery), responses((status = 200, body = List<AuditItem>)))]
pub async fn list_audit(
    state: State,
    ApiUser(user): ApiUser,
    query: web::Query<AuditQuery>,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadAudit)?;
    let (limit, offset) = paging(query.limit.as_deref(), query.offset.as_deref())?;
    let filter = parse_filter(query.entity.as_deref(), query.entity_id.as_deref())?;
    let (rows, total) = state.db.read(move |conn| list(conn, &filter, limit, offset)).await?;
    let parse = |raw: Option<String>| raw.and_then(|s| serde_json::from_str(&s).ok());
    let items = rows
        .into_iter()
        .map(|r| AuditItem {
            id: r.id,
            at: rfc3339(r.at),
            user_id: r.user_id,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            before: parse(r.before),
            after: parse(r.after),
        })
        .collect();
    Ok(HttpResponse::Ok().json(List { items, total }))
}

/// This part's JSON routes, mounted under `/api/v1` (shared/API.md).
pub fn routes() -> Routes {
    Routes::new().get("/audit", list_audit)
}

/// The OpenAPI description of this part's routes, merged into `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(crate::audit::api::list_audit))]
pub struct ApiDoc;
