//! A training's page: its details, changing them, and cancelling it.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::Form;
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, organization_scope, training_scope, Action};
use crate::error::{AppError, AppResult};
use crate::organizations::Organization;
use crate::trainings::attendance::{register_view, RegisterEntry};
use crate::trainings::input::{CancelInput, TrainingInput};
use crate::trainings::model::{topic_name, Topic, Training};
use crate::trainings::service::{self, training_view, TrainingView};
use crate::web::done::{see_done, Done};
use crate::web::form::FormState;
use crate::web::page::Page;
use crate::web::{render, State};

#[derive(Template)]
#[template(path = "trainings/detail.html")]
struct DetailPage {
    page: Page,
    training: TrainingView,
    register: Vec<RegisterEntry>,
    topics: Vec<Topic>,
    organizations: Vec<Organization>,
    /// "edit" or "cancel".
    failed: String,
    form: FormState,
}

impl DetailPage {
    fn topic_name(&self, key: &str) -> String {
        topic_name(&self.topics, key, &self.page.t)
    }

    fn organization_name(&self, id: &Option<i64>) -> String {
        id.map_or_else(String::new, |id| self.organization_name_of(&id))
    }

    fn organization_name_of(&self, id: &i64) -> String {
        self.organizations
            .iter()
            .find(|o| o.id == *id)
            .map_or_else(|| id.to_string(), |o| o.name.clone())
    }

    fn value(&self, name: &str) -> String {
        if self.failed == "edit" {
            return self.form.value(name).to_string();
        }
        let t = &self.training.training;
        match name {
            "title" => t.title.clone(),
            "topic" => t.topic.clone(),
            "date" => t.date.to_string(),
            "place" => t.place.clone().unwrap_or_default(),
            "facilitator" => t.facilitator.clone().unwrap_or_default(),
            "notes" => t.notes.clone().unwrap_or_default(),
            _ => String::new(),
        }
    }

    fn error(&self, name: &str) -> Option<&str> {
        (self.failed == "edit").then(|| self.form.error(name)).flatten()
    }

    fn invites(&self, id: &i64) -> bool {
        if self.failed == "edit" {
            self.form.has_id("organization_ids", id)
        } else {
            self.training.organization_ids.contains(id)
        }
    }
}

async fn detail_page(
    state: &State,
    user: &PageUser,
    id: i64,
    failed: &str,
    form: FormState,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let scope = training_scope(&user.user);
    let org_scope = organization_scope(&user.user);
    let (training, register, topics, organizations) = state
        .db
        .read(move |conn| {
            let (training, orgs) = Training::find_scoped(conn, &scope, id)?;
            let view = training_view(conn, training, orgs)?;
            let register = register_view(conn, id)?.entries;
            Ok((view, register, Topic::all(conn)?, Organization::list(conn, &org_scope)?))
        })
        .await?;
    render(
        status,
        &DetailPage {
            page: user.page(),
            training,
            register,
            topics,
            organizations,
            failed: failed.to_string(),
            form,
        },
    )
}

pub async fn detail(state: State, user: PageUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ReadTrainings)?;
    detail_page(&state, &user, id.into_inner(), "", FormState::default(), StatusCode::OK).await
}

/// Runs a form of a training's page: on success back to it, on bad input the page with the messages.
async fn post_detail<T: Send + 'static>(
    state: State,
    user: PageUser,
    id: i64,
    which: &str,
    pairs: Vec<(String, String)>,
    parse: impl FnOnce(&crate::input::FormInput) -> Result<T, Vec<crate::error::FieldError>>,
    write: impl FnOnce(&mut crate::db::DbConn, &crate::auth::policy::CurrentUser, T) -> AppResult<TrainingView>
        + Send
        + 'static,
) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::WriteTrainings)?;
    let input = user.verify(pairs.clone())?;
    let actor = user.user.clone();
    let result = match parse(&input) {
        Ok(parsed) => state.db.write(move |conn| write(conn, &actor, parsed)).await,
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(see_done(&format!("/trainings/{id}"), Done::TrainingSaved)),
        Err(AppError::Invalid(errors)) => {
            let form = FormState::new(pairs).with_errors(user.page().t, &errors);
            detail_page(&state, &user, id, which, form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}

pub async fn update(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    let (id, scope) = (id.into_inner(), training_scope(&user.user));
    post_detail(
        state,
        user,
        id,
        "edit",
        form.into_inner(),
        |i| TrainingInput::parse(i, true),
        move |conn, actor, input| service::update_training(conn, actor, &scope, id, input),
    )
    .await
}

pub async fn cancel(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    let (id, scope) = (id.into_inner(), training_scope(&user.user));
    post_detail(
        state,
        user,
        id,
        "cancel",
        form.into_inner(),
        |i| CancelInput::parse(i),
        move |conn, actor, input| service::cancel_training(conn, actor, &scope, id, input),
    )
    .await
}
