//! Reports across the parts of Pallay: the donor workbook.

pub mod donor;
pub mod workbook;

use actix_web::{web, HttpResponse};

use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, Action};
use crate::clock::rfc3339;
use crate::error::AppResult;
use crate::trainings::reporting::ReportQuery;
use crate::web::routes::Routes;
use crate::web::State;

/// The donor workbook for a period (`?from=&to=`, the current quarter by default).
pub async fn donor_workbook(state: State, user: PageUser, query: web::Query<ReportQuery>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ReadDonorReport)?;
    let (from, to) = query.period(state.clock.today())?;
    let generated_at = rfc3339(crate::clock::now());
    let report = state
        .db
        .read(move |conn| donor::gather(conn, from, to, generated_at))
        .await?;
    let body = workbook::xlsx(user.page().t, &report)?;
    Ok(HttpResponse::Ok()
        .content_type("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"informe-donantes-{from}-{to}.xlsx\""),
        ))
        .body(body))
}

/// This part's pages.
pub fn routes() -> Routes {
    Routes::new().get("/reports/donor.xlsx", donor_workbook)
}
