//! The administrators' check of the books: the same checks as `pallay check`, from a page.

use actix_web::http::StatusCode;
use actix_web::HttpResponse;
use askama::Template;

use super::check::{check, Checks, Problem};
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, Action};
use crate::error::{AppError, AppResult};
use crate::web::page::Page;
use crate::web::routes::Routes;
use crate::web::{render, State};

#[derive(Template)]
#[template(path = "maintenance/check.html")]
struct CheckPage {
    page: Page,
    problems: Vec<Problem>,
    backup_failure: Option<String>,
}

pub async fn check_page(state: State, user: PageUser) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::CheckDatabase)?;
    let problems = state
        .db
        .read(|conn| check(conn, &Checks { schema: true }).map_err(AppError::internal))
        .await?;
    let page = CheckPage {
        page: user.page(),
        problems,
        backup_failure: super::last_backup_failure(),
    };
    render(StatusCode::OK, &page)
}

pub fn routes() -> Routes {
    Routes::new().get("/check", check_page)
}
