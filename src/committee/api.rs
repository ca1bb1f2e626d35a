//! The committee's JSON routes (shared/API.md).

use actix_web::{web, HttpResponse};
use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use super::api_doc::{ActionBody, CommitteeBody, MeetingBody, NoteBody, SeatBody, StatusChangeBody};
use super::board::{board, Board};
use super::input::{ActionInput, CommitteeInput, MeetingInput, NoteInput, SeatInput, StatusChange};
use super::model::{Committee, CommitteeAction, Meeting, Note, Seat};
use super::service::{self, action_view, action_views, ActionView};
use crate::auth::extract::ApiUser;
use crate::auth::policy::{authorize, committee_scope, Action};
use crate::error::{AppError, AppResult};
use crate::web::json::{json_input, List};
use crate::web::routes::Routes;
use crate::web::{date_param, State};

#[derive(Serialize, utoipa::ToSchema)]
pub struct CommitteeView {
    #[serde(flatten)]
    committee: Committee,
    members: Vec<Seat>,
    meetings: Vec<MeetingView>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct MeetingView {
    #[serde(flatten)]
    meeting: Meeting,
    attendee_ids: Vec<i64>,
}

pub fn committee_view(conn: &mut crate::db::DbConn, committee: Committee) -> AppResult<CommitteeView> {
    let members = Seat::of_committee(conn, committee.id)?;
    let meetings = Meeting::of_committee(conn, committee.id)?;
    let ids: Vec<i64> = meetings.iter().map(|m| m.id).collect();
    let attendees = Meeting::attendees(conn, &ids)?;
    let meetings = meetings
        .into_iter()
        .map(|m| MeetingView {
            attendee_ids: attendees
                .iter()
                .filter(|(mid, _)| *mid == m.id)
                .map(|(_, s)| *s)
                .collect(),
            meeting: m,
        })
        .collect();
    Ok(CommitteeView {
        committee,
        members,
        meetings,
    })
}

#[utoipa::path(get, path = "/api/v1/committees", responses((status = 200, body = List<CommitteeView>)))]
pub async fn list_committees(state: State, ApiUser(user): ApiUser) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadCommittees)?;
    let scope = committee_scope(&user);
    let items = state
        .db
        .read(move |conn| {
            let committees = Committee::list(conn, &scope)?;
            committees
                .into_iter()
                .map(|c| committee_view(conn, c))
                .collect::<AppResult<Vec<_>>>()
        })
        .await?;
    let total = items.len() as i64;
    Ok(HttpResponse::Ok().json(List { items, total }))
}

#[utoipa::path(post, path = "/api/v1/committees", request_body = CommitteeBody, responses((status = 201, body = CommitteeView)))]
pub async fn create_committee(state: State, ApiUser(user): ApiUser, body: web::Bytes) -> AppResult<HttpResponse> {
    authorize(&user, Action::WriteCommittees)?;
    let input = CommitteeInput::parse(&json_input(&body)?).map_err(AppError::Invalid)?;
    let view = state
        .db
        .write(move |conn| {
            let committee = service::create_committee(conn, &user, input)?;
            committee_view(conn, committee)
        })
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(get, path = "/api/v1/committees/{id}", responses((status = 200, body = CommitteeView)))]
pub async fn get_committee(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadCommittees)?;
    let (scope, id) = (committee_scope(&user), id.into_inner());
    let view = state
        .db
        .read(move |conn| {
            let committee = Committee::find_scoped(conn, &scope, id)?;
            committee_view(conn, committee)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(post, path = "/api/v1/committees/{id}/members", request_body = SeatBody, responses((status = 201, body = Seat)))]
pub async fn add_member(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::WriteCommittees)?;
    let input = SeatInput::parse(&json_input(&body)?).map_err(AppError::Invalid)?;
    let (scope, id) = (committee_scope(&user), id.into_inner());
    let seat = state
        .db
        .write(move |conn| service::add_seat(conn, &user, &scope, id, input))
        .await?;
    Ok(HttpResponse::Created().json(seat))
}

#[utoipa::path(post, path = "/api/v1/committees/{id}/meetings", request_body = MeetingBody, responses((status = 201, body = Meeting)))]
pub async fn record_meeting(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::WriteCommittees)?;
    let input = MeetingInput::parse(&json_input(&body)?).map_err(AppError::Invalid)?;
    let (scope, id) = (committee_scope(&user), id.into_inner());
    let meeting = state
        .db
        .write(move |conn| service::record_meeting(conn, &user, &scope, id, input))
        .await?;
    Ok(HttpResponse::Created().json(meeting))
}

#[utoipa::path(get, path = "/api/v1/committees/{id}/actions", responses((status = 200, body = List<ActionView>)))]
pub async fn list_actions(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::ReadCommittees)?;
    let (scope, id) = (committee_scope(&user), id.into_inner());
    let items = state
        .db
        .read(move |conn| {
            let committee = Committee::find_scoped(conn, &scope, id)?;
            let actions = CommitteeAction::of_committees(conn, &[committee.id])?;
            action_views(conn, &actions, today)
        })
        .await?;
    let total = items.len() as i64;
    Ok(HttpResponse::Ok().json(List { items, total }))
}

#[utoipa::path(post, path = "/api/v1/committees/{id}/actions", request_body = ActionBody, responses((status = 201, body = ActionView)))]
pub async fn create_action(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::WriteCommittees)?;
    let input = ActionInput::parse(&json_input(&body)?).map_err(AppError::Invalid)?;
    let (scope, id) = (committee_scope(&user), id.into_inner());
    let view = state
        .db
        .write(move |conn| service::create_action(conn, &user, &scope, id, input, today))
        .await?;
    Ok(HttpResponse::Created().json(view))
}

#[utoipa::path(get, path = "/api/v1/actions/{id}", responses((status = 200, body = ActionView)))]
pub async fn get_action(state: State, ApiUser(user): ApiUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::ReadActions)?;
    let (scope, id) = (committee_scope(&user), id.into_inner());
    let view = state
        .db
        .read(move |conn| {
            let action = CommitteeAction::find_scoped(conn, &scope, id)?;
            action_view(conn, &action, today)
        })
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(patch, path = "/api/v1/actions/{id}", request_body = StatusChangeBody, responses((status = 200, body = ActionView)))]
pub async fn update_action(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::WriteCommittees)?;
    let change = StatusChange::parse(&json_input(&body)?).map_err(AppError::Invalid)?;
    let (scope, id) = (committee_scope(&user), id.into_inner());
    let view = state
        .db
        .write(move |conn| service::change_status(conn, &user, &scope, id, change, today))
        .await?;
    Ok(HttpResponse::Ok().json(view))
}

#[utoipa::path(post, path = "/api/v1/actions/{id}/notes", request_body = NoteBody, responses((status = 201, body = Note)))]
pub async fn add_note(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user, Action::WriteCommittees)?;
    let input = NoteInput::parse(&json_input(&body)?).map_err(AppError::Invalid)?;
    let (scope, id) = (committee_scope(&user), id.into_inner());
    let note = state
        .db
        .write(move |conn| service::add_note(conn, &user, &scope, id, input, today))
        .await?;
    Ok(HttpResponse::Created().json(note))
}

#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct BoardQuery {
    /// The day the board is as of (default today).
    #[param(value_type = Option<NaiveDate>)]
    pub as_of: Option<String>,
    /// The period's first day (default the first of January of `as_of`'s year).
    #[param(value_type = Option<NaiveDate>)]
    pub from: Option<String>,
    /// The period's last day (default `as_of`).
    #[param(value_type = Option<NaiveDate>)]
    pub to: Option<String>,
    /// Only the actions of this person (part of the name).
    pub responsible: Option<String>,
}

impl BoardQuery {
    /// `as_of` (default today), and the period `from`–`to` (default: the year of `as_of` so far).
    pub fn dates(&self, today: NaiveDate) -> AppResult<(NaiveDate, NaiveDate, NaiveDate)> {
        let date = |name: &str, raw: &Option<String>| date_param(name, raw.as_deref());
        let as_of = date("as_of", &self.as_of)?.unwrap_or(today);
        let from =
            date("from", &self.from)?.unwrap_or_else(|| NaiveDate::from_ymd_opt(as_of.year(), 1, 1).unwrap_or(as_of));
        let to = date("to", &self.to)?.unwrap_or(as_of);
        Ok((as_of, from, to))
    }
}

#[utoipa::path(get, path = "/api/v1/committees/{id}/board", params(BoardQuery), responses((status = 200, body = Board)))]
pub async fn get_board(
    state: State,
    ApiUser(user): ApiUser,
    id: web::Path<i64>,
    query: web::Query<BoardQuery>,
) -> AppResult<HttpResponse> {
    authorize(&user, Action::ReadCommittees)?;
    // The API is strict where the page is lenient: `?as_of=` with nothing is a 422, not today.
    crate::web::given_date_param("as_of", query.as_of.as_deref())?;
    let (as_of, from, to) = query.dates(state.clock.today())?;
    let responsible = query.responsible.clone();
    let (scope, id) = (committee_scope(&user), id.into_inner());
    let report = state
        .db
        .read(move |conn| {
            let committee = Committee::find_scoped(conn, &scope, id)?;
            let actions = CommitteeAction::of_committees(conn, &[committee.id])?;
            board(conn, &actions, as_of, (from, to), responsible.as_deref())
        })
        .await?;
    Ok(HttpResponse::Ok().json(report))
}

/// This part's JSON routes, mounted under `/api/v1` (shared/API.md).
pub fn routes() -> Routes {
    Routes::new()
        .get("/committees", list_committees)
        .post("/committees", create_committee)
        .get("/committees/{id}", get_committee)
        .post("/committees/{id}/members", add_member)
        .post("/committees/{id}/meetings", record_meeting)
        .get("/committees/{id}/actions", list_actions)
        .post("/committees/{id}/actions", create_action)
        .get("/committees/{id}/board", get_board)
        .get("/actions/{id}", get_action)
        .patch("/actions/{id}", update_action)
        .post("/actions/{id}/notes", add_note)
}
