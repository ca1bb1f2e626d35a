use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::model::{User, UserView};
use super::service::{self, NewUserInput, UserChanges};
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, Action, Role};
use crate::error::{AppError, AppResult};
use crate::input::FormInput;
use crate::organizations::Organization;
use crate::web::done::{see_done, Done};
use crate::web::form::FormState;
use crate::web::page::Page;
use crate::web::routes::Routes;
use crate::web::{render, State};

#[derive(Template)]
#[template(path = "users/list.html")]
struct ListPage {
    page: Page,
    users: Vec<UserView>,
    organizations: Vec<Organization>,
    form: FormState,
    roles: &'static [Role],
}

async fn list_page(state: &State, user: &PageUser, form: FormState, status: StatusCode) -> AppResult<HttpResponse> {
    let (users, organizations) = state
        .db
        .read(|conn| {
            let (rows, _) = User::list(conn, crate::web::MAX_LIMIT, 0)?;
            let users = rows.into_iter().map(|u| u.view(conn)).collect::<AppResult<Vec<_>>>()?;
            Ok((users, Organization::all(conn)?))
        })
        .await?;
    render(
        status,
        &ListPage {
            page: user.page(),
            users,
            organizations,
            form,
            roles: Role::ALL,
        },
    )
}

pub async fn list(state: State, user: PageUser) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ManageUsers)?;
    list_page(&state, &user, FormState::default(), StatusCode::OK).await
}

pub async fn create(state: State, user: PageUser, form: web::Form<Vec<(String, String)>>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ManageUsers)?;
    let mut pairs = form.into_inner();
    let input = user.verify(pairs.clone())?;
    let result = match NewUserInput::parse(&input) {
        Ok(parsed) => match service::hash_password(parsed.password.clone()).await {
            Ok(hash) => {
                let actor = user.user.clone();
                state
                    .db
                    .write(move |conn| service::create(conn, Some(&actor), &parsed, &hash))
                    .await
            }
            Err(e) => Err(e),
        },
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(see_done("/users", Done::UserSaved)),
        Err(e) => match e.field_errors() {
            Some(errors) => {
                // A password is never sent back to the browser.
                pairs.retain(|(k, _)| k != "password");
                let form = FormState::new(pairs).with_errors(user.page().t, errors);
                list_page(&state, &user, form, StatusCode::UNPROCESSABLE_ENTITY).await
            }
            None => Err(e),
        },
    }
}

/// Disables or re-enables an account from the list (`disabled=true|false`).
pub async fn set_disabled(
    state: State,
    user: PageUser,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ManageUsers)?;
    let input: FormInput = user.verify(form.into_inner())?;
    let disabled = input.value("disabled") == Some("true");
    let changes = UserChanges {
        disabled: Some(disabled),
        password: None,
        organization_ids: None,
    };
    let actor = user.user.clone();
    let id = id.into_inner();
    match state
        .db
        .write(move |conn| service::update(conn, &actor, id, &changes, None))
        .await
    {
        Ok(_) => Ok(see_done("/users", Done::UserSaved)),
        Err(e) => match e.field_errors() {
            Some(errors) => {
                let form = FormState::default().with_errors(user.page().t, errors);
                list_page(&state, &user, form, StatusCode::UNPROCESSABLE_ENTITY).await
            }
            None => Err(e),
        },
    }
}

/// This part's pages.
pub fn routes() -> Routes {
    Routes::new()
        .get("/users", list)
        .post("/users", create)
        .post("/users/{id}/disabled", set_disabled)
}
