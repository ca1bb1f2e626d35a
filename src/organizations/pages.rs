use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::{Kind, Organization, OrganizationInput};
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, organization_scope, Action, Scope};
use crate::error::{AppError, AppResult};
use crate::web::done::{see_done, Done};
use crate::web::form::FormState;
use crate::web::page::Page;
use crate::web::routes::Routes;
use crate::web::{render, State};

#[derive(Template)]
#[template(path = "organizations/list.html")]
struct ListPage {
    page: Page,
    organizations: Vec<Organization>,
    form: FormState,
    kinds: &'static [Kind],
}

async fn list_page(state: &State, user: &PageUser, form: FormState, status: StatusCode) -> AppResult<HttpResponse> {
    let scope = organization_scope(&user.user);
    let organizations = state.db.read(move |conn| Organization::list(conn, &scope)).await?;
    render(
        status,
        &ListPage {
            page: user.page(),
            organizations,
            form,
            kinds: Kind::ALL,
        },
    )
}

pub async fn list(state: State, user: PageUser) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ReadOrganizations)?;
    list_page(&state, &user, FormState::default(), StatusCode::OK).await
}

pub async fn create(state: State, user: PageUser, form: web::Form<Vec<(String, String)>>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ManageOrganizations)?;
    let pairs = form.into_inner();
    let input = user.verify(pairs.clone())?;
    let result = match OrganizationInput::parse(&input, true) {
        Ok(parsed) => {
            let actor = user.user.clone();
            state
                .db
                .write(move |conn| Organization::create(conn, &actor, parsed))
                .await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(see_done("/organizations", Done::OrganizationSaved)),
        Err(e) => match e.field_errors() {
            Some(errors) => {
                let form = FormState::new(pairs).with_errors(user.page().t, errors);
                list_page(&state, &user, form, StatusCode::UNPROCESSABLE_ENTITY).await
            }
            None => Err(e),
        },
    }
}

#[derive(Template)]
#[template(path = "organizations/edit.html")]
struct EditPage {
    page: Page,
    id: i64,
    form: FormState,
    kinds: &'static [Kind],
}

pub async fn edit_form(state: State, user: PageUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ManageOrganizations)?;
    let id = id.into_inner();
    let organization = state
        .db
        .read(move |conn| Organization::find_scoped(conn, &Scope::All, id))
        .await?;
    let form = FormState::new(vec![
        ("name".into(), organization.name),
        ("kind".into(), organization.kind),
    ]);
    render(
        StatusCode::OK,
        &EditPage {
            page: user.page(),
            id,
            form,
            kinds: Kind::ALL,
        },
    )
}

pub async fn update(
    state: State,
    user: PageUser,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ManageOrganizations)?;
    let id = id.into_inner();
    let pairs = form.into_inner();
    let input = user.verify(pairs.clone())?;
    let result = match OrganizationInput::parse(&input, true) {
        Ok(parsed) => {
            let actor = user.user.clone();
            state
                .db
                .write(move |conn| Organization::update(conn, &actor, id, parsed))
                .await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(see_done("/organizations", Done::OrganizationSaved)),
        Err(e) => match e.field_errors() {
            Some(errors) => {
                let form = FormState::new(pairs).with_errors(user.page().t, errors);
                let page = EditPage {
                    page: user.page(),
                    id,
                    form,
                    kinds: Kind::ALL,
                };
                render(StatusCode::UNPROCESSABLE_ENTITY, &page)
            }
            None => Err(e),
        },
    }
}

/// This part's pages.
pub fn routes() -> Routes {
    Routes::new()
        .get("/organizations", list)
        .post("/organizations", create)
        .post("/organizations/{id}", update)
        .get("/organizations/{id}/edit", edit_form)
}
