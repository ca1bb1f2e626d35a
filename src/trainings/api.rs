//! The trainings' JSON routes (shared/API.md): topics, trainings, registers, a member's
//! trainings and the attendance report.

use actix_web::{web, HttpResponse};
use serde::Serialize;

use super::api_doc::{
    CancelBody, RegisterBody, ReportParams, TopicBody, TrainingBody, TrainingChangesBody, TrainingsParams,
};
use super::attendance::register_view;
use super::attendance::{self, history, HistoryLine, RegisterView};
use super::entries::parse_entries;
use super::input::TrainingsQuery;
use super::input::{CancelInput, TopicInput, TrainingInput};
use super::model::{Topic, Training};
use super::report::{Counts, OrganizationLine, TopicLine};
use super::reporting::ReportFilter;
use super::reporting::{self, ReportQuery};
use super::service::{self, training_view, TrainingView};
use crate::auth::extract::ApiUser;
use crate::auth::policy::{authorize, member_scope, report_scope, report_shows_names, training_scope, Action};
use crate::error::{AppError, AppResult};
use crate::members::model::Member;
use crate::web::json::{json_input, List};
use crate::web::routes::Routes;
use crate::web::{paging, State};

#[utoipa::path(get, path = "/api/v1/topics", responses((status = 200, body = List<Topic>)))]
pub async fn list_topics(state: State, ApiUser(user): ApiUser) -> AppResult<HttpResponse> {
    if !(crate::auth::policy::can(&user, Action::ReadTrainings)
        || crate::auth::policy::can(&user, Action::ReadAttendanceReports))
    {
        return Err(AppError::Forbidden);
    }
    let items = state.db.read(Topic::all).await?;
    let total = items.len() as i64;
    Ok(HttpResponse::Ok().json(List { items, total }))
}

#[utoipa::path(post, path = "/api/v1/topics", request_body = TopicBody, responses((status = 201, body = Topic)))]
pub async fn create_topic(state: State, ApiUser(user): ApiUser, body: web::Bytes) -> AppResult<HttpResponse> {
    authorize(&user, Action::ManageTopics)?;
    let input = TopicInput::parse(&json_input(&body)?).map_err(AppError::Invalid)?;
    let topic = state
        .db
        .write(move |conn| service::create_topic(conn, &user, input))
        .await?;
    Ok(HttpResponse::Created().json(topic))
}

#[utoipa::path(get, path = "/api/v1/trainings", params(TrainingsParams), responses((status = 200, body = List<TrainingView>)))]
pub async fn list_trainings(
    state: State,
    ApiUser(user): ApiUser,
    query: web::Query<TrainingsQuery>,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadTrainings)?;
    let (limit, offset) = paging(query.limit.as_deref(), query.offset.as_deref())?;
    let filter = query.filter()?;
    let scope = training_scope(&user);
    let (items, total) = state
        .db
        .read(move |conn| {
            let found = Training::search(conn, &scope, &filter)?;
            let total = found.len() as i64;
            let items = found
                .into_iter()
                .skip(offset as usize)
                .take(limit as usize)
                .map(|(t, orgs)| training_view(conn, t, orgs))
                .collect::<AppResult<Vec<_>>>()?;
            Ok((items, total))
        })
        .await?;
    Ok(HttpResponse::Ok().json(List { items, total }))
}

#[utoipa::path(post, path = "/api/v1/trainings", request_body = TrainingBody, responses((status = 201, body = TrainingView)))]
pub async fn create_training(state: State, ApiUser(user): ApiUser, body: web::Bytes) -> AppResult<HttpResponse> {
    authorize(&user, Action::WriteTrainings)?;
    let input = TrainingInput::parse(&json_input(&body)?, true).map_err(AppError::Invalid)?;
    let view = state
        .db
        .write(move |conn| service::create_training(conn, &user, input))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(get, path = "/api/v1/trainings/{id}", responses((status = 200, body = TrainingView)))]
pub async fn get_training(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadTrainings)?;
    let (scope, id) = (training_scope(&user), id.into_inner());
    let view = state
        .db
        .read(move |conn| {
            let (training, orgs) = Training::find_scoped(conn, &scope, id)?;
            training_view(conn, training, orgs)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Changes the fields sent; `null` clears place, facilitator or notes.
#[utoipa::path(patch, path = "/api/v1/trainings/{id}", request_body = TrainingChangesBody, responses((status = 200, body = TrainingView), (status = 409, description = "The training is cancelled")))]
pub async fn update_training(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::WriteTrainings)?;
    let input = TrainingInput::parse(&json_input(&body)?, false).map_err(AppError::Invalid)?;
    let (scope, id) = (training_scope(&user), id.into_inner());
    let view = state
        .db
        .write(move |conn| service::update_training(conn, &user, &scope, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(post, path = "/api/v1/trainings/{id}/cancel", request_body = CancelBody, responses((status = 200, body = TrainingView), (status = 409, description = "Already cancelled")))]
pub async fn cancel_training(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::WriteTrainings)?;
    let input = CancelInput::parse(&json_input(&body)?).map_err(AppError::Invalid)?;
    let (scope, id) = (training_scope(&user), id.into_inner());
    let view = state
        .db
        .write(move |conn| service::cancel_training(conn, &user, &scope, id, input))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(get, path = "/api/v1/trainings/{id}/attendance", responses((status = 200, body = RegisterView)))]
pub async fn get_attendance(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadTrainings)?;
    let (scope, id) = (training_scope(&user), id.into_inner());
    let view = state
        .db
        .read(move |conn| {
            Training::find_scoped(conn, &scope, id)?;
            register_view(conn, id)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// Replaces the register (so the same body twice gives the same register).
#[utoipa::path(put, path = "/api/v1/trainings/{id}/attendance", request_body = RegisterBody, responses((status = 200, body = RegisterView), (status = 409, description = "The training is cancelled")))]
pub async fn put_attendance(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::WriteTrainings)?;
    let entries = parse_entries(&json_input(&body)?).map_err(AppError::Invalid)?;
    let (scope, id) = (training_scope(&user), id.into_inner());
    let view = state
        .db
        .write(move |conn| attendance::save_register(conn, &user, &scope, id, &entries, today))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

/// A member's trainings: for staff who reach her, and for herself.
#[utoipa::path(get, path = "/api/v1/members/{id}/trainings", responses((status = 200, body = List<HistoryLine>)))]
pub async fn member_trainings(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadMembers)?;
    let (scope, id) = (member_scope(&user), id.into_inner());
    let items = state
        .db
        .read(move |conn| {
            Member::find_scoped(conn, &scope, id)?;
            history(conn, id)
        })
        .await?;
    let total = items.len() as i64;
    Ok(HttpResponse::Ok().json(List { items, total }))
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AbsentMember {
    pub member_id: i64,
    pub name: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct AttendanceReport {
    pub from: String,
    pub to: String,
    pub topic: Option<String>,
    pub organization_id: Option<i64>,
    #[serde(flatten)]
    pub total: Counts,
    pub by_topic: Vec<TopicLine>,
    pub by_organization: Vec<OrganizationLine>,
    pub members_without_attendance_count: usize,
    /// Names for staff only; left out for viewers.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub members_without_attendance: Option<Vec<AbsentMember>>,
}

#[utoipa::path(get, path = "/api/v1/reports/attendance", params(ReportParams), responses((status = 200, body = AttendanceReport)))]
pub async fn attendance_report(
    state: State,
    ApiUser(user): ApiUser,
    query: web::Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadAttendanceReports)?;
    let (period, topic, organization_id) = query.checked(state.clock.today())?;
    let (scope, names) = (report_scope(&user), report_shows_names(&user));
    let report = state
        .db
        .read(move |conn| {
            let filter = ReportFilter::new(conn, &scope, period, topic, organization_id)?;
            let tally = reporting::attendance_tally(conn, &filter)?;
            Ok(AttendanceReport {
                from: filter.from.to_string(),
                to: filter.to.to_string(),
                topic: filter.topic,
                organization_id: filter.organization_id,
                members_without_attendance_count: tally.members_without_attendance.len(),
                members_without_attendance: names.then(|| {
                    tally
                        .members_without_attendance
                        .iter()
                        .map(|(member_id, name)| AbsentMember {
                            member_id: *member_id,
                            name: name.clone(),
                        })
                        .collect()
                }),
                total: tally.total,
                by_topic: tally.by_topic,
                by_organization: tally.by_organization,
            })
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// This part's JSON routes, mounted under `/api/v1` (shared/API.md).
pub fn routes() -> Routes {
    Routes::new()
        .get("/topics", list_topics)
        .post("/topics", create_topic)
        .get("/trainings", list_trainings)
        .post("/trainings", create_training)
        .get("/trainings/{id}", get_training)
        .patch("/trainings/{id}", update_training)
        .post("/trainings/{id}/cancel", cancel_training)
        .get("/trainings/{id}/attendance", get_attendance)
        .put("/trainings/{id}/attendance", put_attendance)
        .get("/members/{id}/trainings", member_trainings)
        .get("/reports/attendance", attendance_report)
}
