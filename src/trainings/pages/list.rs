//! The list of trainings with its filters, and creating a training or a topic.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::Form;
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, can, organization_scope, training_scope, Action};
use crate::error::{AppError, AppResult};
use crate::organizations::Organization;
use crate::trainings::input::TrainingsQuery;
use crate::trainings::input::{TopicInput, TrainingInput};
use crate::trainings::model::{topic_name, Topic, Training};
use crate::trainings::service::{self, training_view, TrainingView};
use crate::web::done::{see_done, Done};
use crate::web::form::FormState;
use crate::web::page::Page;
use crate::web::{render, State};

#[derive(Template)]
#[template(path = "trainings/list.html")]
struct ListPage {
    page: Page,
    trainings: Vec<TrainingView>,
    topics: Vec<Topic>,
    /// Organisations the user may invite (and filter by).
    organizations: Vec<Organization>,
    filter: FormState,
    /// "training" or "topic": which form the messages belong to.
    failed: String,
    form: FormState,
    may_manage_topics: bool,
}

impl ListPage {
    fn value(&self, name: &str) -> String {
        if self.failed == "training" {
            self.form.value(name).to_string()
        } else {
            String::new()
        }
    }

    fn error(&self, name: &str) -> Option<&str> {
        (self.failed == "training").then(|| self.form.error(name)).flatten()
    }

    fn invites(&self, id: &i64) -> bool {
        self.failed == "training" && self.form.has_id("organization_ids", id)
    }

    fn topic_name(&self, key: &str) -> String {
        topic_name(&self.topics, key, &self.page.t)
    }

    fn organization_names(&self, ids: &[i64]) -> String {
        ids.iter()
            .map(|id| {
                self.organizations
                    .iter()
                    .find(|o| o.id == *id)
                    .map_or_else(|| id.to_string(), |o| o.name.clone())
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

async fn list_page(
    state: &State,
    user: &PageUser,
    query: &TrainingsQuery,
    failed: &str,
    form: FormState,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let filter = query.filter()?;
    let (scope, org_scope) = (training_scope(&user.user), organization_scope(&user.user));
    let (trainings, topics, organizations) = state
        .db
        .read(move |conn| {
            let trainings = Training::search(conn, &scope, &filter)?
                .into_iter()
                .take(crate::web::MAX_LIMIT as usize)
                .map(|(t, orgs)| training_view(conn, t, orgs))
                .collect::<AppResult<Vec<_>>>()?;
            Ok((trainings, Topic::all(conn)?, Organization::list(conn, &org_scope)?))
        })
        .await?;
    let filter = FormState::new(vec![
        ("from".into(), query.from.clone().unwrap_or_default()),
        ("to".into(), query.to.clone().unwrap_or_default()),
        ("topic".into(), query.topic.clone().unwrap_or_default()),
        (
            "organization_id".into(),
            query.organization_id.clone().unwrap_or_default(),
        ),
    ]);
    render(
        status,
        &ListPage {
            may_manage_topics: can(&user.user, Action::ManageTopics),
            page: user.page(),
            trainings,
            topics,
            organizations,
            filter,
            failed: failed.to_string(),
            form,
        },
    )
}

fn no_filter() -> TrainingsQuery {
    TrainingsQuery {
        from: None,
        to: None,
        topic: None,
        organization_id: None,
        limit: None,
        offset: None,
    }
}

pub async fn list(state: State, user: PageUser, query: web::Query<TrainingsQuery>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ReadTrainings)?;
    list_page(&state, &user, &query, "", FormState::default(), StatusCode::OK).await
}

pub async fn create(state: State, user: PageUser, form: Form) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::WriteTrainings)?;
    let pairs = form.into_inner();
    let input = user.verify(pairs.clone())?;
    let actor = user.user.clone();
    let result = match TrainingInput::parse(&input, true) {
        Ok(parsed) => {
            state
                .db
                .write(move |conn| service::create_training(conn, &actor, parsed))
                .await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(view) => Ok(see_done(
            &format!("/trainings/{}/attendance", view.training.id),
            Done::TrainingSaved,
        )),
        Err(AppError::Invalid(errors)) => {
            let form = FormState::new(pairs).with_errors(user.page().t, &errors);
            list_page(
                &state,
                &user,
                &no_filter(),
                "training",
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

pub async fn create_topic(state: State, user: PageUser, form: Form) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ManageTopics)?;
    let pairs = form.into_inner();
    let input = user.verify(pairs.clone())?;
    let actor = user.user.clone();
    let result = match TopicInput::parse(&input) {
        Ok(parsed) => {
            state
                .db
                .write(move |conn| service::create_topic(conn, &actor, parsed))
                .await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(see_done("/trainings", Done::TrainingSaved)),
        Err(AppError::Invalid(errors)) => {
            let form = FormState::new(pairs).with_errors(user.page().t, &errors);
            list_page(
                &state,
                &user,
                &no_filter(),
                "topic",
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e),
    }
}
