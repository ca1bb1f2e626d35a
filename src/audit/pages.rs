use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::api::parse_filter;
use super::{list as list_rows, AuditRow, ENTITIES};
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, Action};
use crate::error::AppResult;
use crate::web::page::Page;
use crate::web::routes::Routes;
use crate::web::{paging, render, State};

const PAGE_SIZE: i64 = 100;

#[derive(Template)]
#[template(path = "audit/list.html")]
struct ListPage {
    page: Page,
    rows: Vec<AuditRow>,
    entities: &'static [&'static str],
    entity: String,
    entity_id: String,
    total: i64,
    next: Option<i64>,
}

#[derive(Deserialize)]
pub struct Query {
    entity: Option<String>,
    entity_id: Option<String>,
    offset: Option<String>,
}

pub async fn list(state: State, user: PageUser, query: web::Query<Query>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ReadAudit)?;
    let (_, offset) = paging(None, query.offset.as_deref())?;
    let filter = parse_filter(query.entity.as_deref(), query.entity_id.as_deref())?;
    let (rows, total) = state
        .db
        .read(move |conn| list_rows(conn, &filter, PAGE_SIZE, offset))
        .await?;
    render(
        StatusCode::OK,
        &ListPage {
            page: user.page(),
            rows,
            entities: ENTITIES,
            entity: query.entity.clone().unwrap_or_default(),
            entity_id: query.entity_id.clone().unwrap_or_default(),
            total,
            next: (offset.saturating_add(PAGE_SIZE) < total).then_some(offset.saturating_add(PAGE_SIZE)),
        },
    )
}

/// This part's pages.
pub fn routes() -> Routes {
    Routes::new().get("/audit", list)
}
