//! The committee's pages: committees, a committee's page (its members, meetings, follow-up
//! board and new agreements), an action's page (status and progress notes), and the exports.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

mod action;

use super::api::BoardQuery;
use super::board::{board, Board};
use super::export;
use super::input::{ActionInput, CommitteeInput, MeetingInput, SeatInput};
use super::model::{Committee, CommitteeAction, Meeting, Seat};
use super::service::{self, action_views};
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, committee_scope, organization_scope, Action, Scope};
use crate::error::{AppError, AppResult, FieldError};
use crate::input::FormInput;
use crate::members::model::{Member, MemberFilter};
use crate::organizations::Organization;
use crate::web::done::{see_done, Done};
use crate::web::form::FormState;
use crate::web::page::Page;
use crate::web::routes::Routes;
use crate::web::{render, State};

pub(super) type Form = web::Form<Vec<(String, String)>>;

#[derive(Template)]
#[template(path = "committee/list.html")]
struct ListPage {
    page: Page,
    committees: Vec<Committee>,
    organizations: Vec<Organization>,
    form: FormState,
}

async fn list_page(state: &State, user: &PageUser, form: FormState, status: StatusCode) -> AppResult<HttpResponse> {
    let (scope, org_scope) = (committee_scope(&user.user), organization_scope(&user.user));
    let (committees, organizations) = state
        .db
        .read(move |conn| Ok((Committee::list(conn, &scope)?, Organization::list(conn, &org_scope)?)))
        .await?;
    render(
        status,
        &ListPage {
            page: user.page(),
            committees,
            organizations,
            form,
        },
    )
}

pub async fn list(state: State, user: PageUser) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ReadCommittees)?;
    list_page(&state, &user, FormState::default(), StatusCode::OK).await
}

pub async fn create(state: State, user: PageUser, form: Form) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::WriteCommittees)?;
    let pairs = form.into_inner();
    let input = user.verify(pairs.clone())?;
    let actor = user.user.clone();
    let result = match CommitteeInput::parse(&input) {
        Ok(parsed) => {
            state
                .db
                .write(move |conn| service::create_committee(conn, &actor, parsed))
                .await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(committee) => Ok(see_done(&format!("/committees/{}", committee.id), Done::CommitteeSaved)),
        Err(AppError::Invalid(errors)) => {
            let form = FormState::new(pairs).with_errors(user.page().t, &errors);
            list_page(&state, &user, form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "committee/detail.html")]
struct DetailPage {
    page: Page,
    committee: Committee,
    seats: Vec<(Seat, String)>,
    meetings: Vec<(Meeting, usize)>,
    members: Vec<Member>,
    board: Board,
    /// Which of the three forms the messages belong to: "seat", "meeting" or "action".
    failed: String,
    form: FormState,
}

async fn detail_page(
    state: &State,
    user: &PageUser,
    id: i64,
    query: &BoardQuery,
    failed: &str,
    form: FormState,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let (as_of, from, to) = query.dates(state.clock.today())?;
    let responsible = query.responsible.clone();
    let scope = committee_scope(&user.user);
    let (committee, seats, meetings, members, board) = state
        .db
        .read(move |conn| {
            let committee = Committee::find_scoped(conn, &scope, id)?;
            let seats = Seat::of_committee(conn, id)?;
            let names = Member::names(conn, &seats.iter().filter_map(|s| s.member_id).collect::<Vec<_>>())?;
            let seats = seats
                .into_iter()
                .map(|s| {
                    let name = s.name.clone().or_else(|| {
                        names
                            .iter()
                            .find(|(m, _)| Some(*m) == s.member_id)
                            .map(|(_, n)| n.clone())
                    });
                    (s, name.unwrap_or_default())
                })
                .collect();
            let meetings = Meeting::of_committee(conn, id)?;
            let attendees = Meeting::attendees(conn, &meetings.iter().map(|m| m.id).collect::<Vec<_>>())?;
            let meetings = meetings
                .into_iter()
                .map(|m| {
                    let n = attendees.iter().filter(|(mid, _)| *mid == m.id).count();
                    (m, n)
                })
                .collect();
            let filter = MemberFilter {
                text: None,
                organization_id: Some(committee.organization_id),
            };
            let (members, _) = Member::search(conn, &Scope::All, &filter, crate::web::MAX_LIMIT, 0)?;
            let actions = CommitteeAction::of_committees(conn, &[id])?;
            let board = board(conn, &actions, as_of, (from, to), responsible.as_deref())?;
            Ok((committee, seats, meetings, members, board))
        })
        .await?;
    let page = DetailPage {
        page: user.page(),
        committee,
        seats,
        meetings,
        members,
        board,
        failed: failed.to_string(),
        form,
    };
    render(status, &page)
}

pub async fn detail(
    state: State,
    user: PageUser,
    id: web::Path<i64>,
    query: web::Query<BoardQuery>,
) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ReadCommittees)?;
    detail_page(
        &state,
        &user,
        id.into_inner(),
        &query,
        "",
        FormState::default(),
        StatusCode::OK,
    )
    .await
}

/// The page a form lives on: the committee's (with which of its forms it was) or an action's.
#[derive(Clone, Copy)]
pub(super) enum Target {
    Committee(i64, &'static str),
    Action(i64),
}

/// Runs a committee form: on success back to its page, on bad input the page again with the messages.
pub(super) async fn post_form<T, P, F>(
    state: State,
    user: PageUser,
    target: Target,
    pairs: Vec<(String, String)>,
    parse: P,
    write: F,
) -> AppResult<HttpResponse>
where
    P: FnOnce(&FormInput) -> Result<T, Vec<FieldError>>,
    F: FnOnce(&mut crate::db::DbConn, &crate::auth::policy::CurrentUser, &Scope, T) -> AppResult<()> + Send + 'static,
    T: Send + 'static,
{
    authorize(&user.user, Action::WriteCommittees)?;
    let input = user.verify(pairs.clone())?;
    let (actor, scope) = (user.user.clone(), committee_scope(&user.user));
    let result = match parse(&input) {
        Ok(parsed) => state.db.write(move |conn| write(conn, &actor, &scope, parsed)).await,
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    let errors = match result {
        Ok(()) => {
            return Ok(match target {
                Target::Committee(id, _) => see_done(&format!("/committees/{id}"), Done::CommitteeSaved),
                Target::Action(id) => see_done(&format!("/actions/{id}"), Done::ActionSaved),
            })
        }
        Err(AppError::Invalid(errors)) => errors,
        Err(e) => return Err(e),
    };
    let form = FormState::new(pairs).with_errors(user.page().t, &errors);
    let status = StatusCode::UNPROCESSABLE_ENTITY;
    match target {
        Target::Committee(id, which) => {
            let query = BoardQuery {
                as_of: None,
                from: None,
                to: None,
                responsible: None,
            };
            detail_page(&state, &user, id, &query, which, form, status).await
        }
        Target::Action(id) => action::action_page(&state, &user, id, form, status).await,
    }
}

pub async fn add_seat(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    post_form(
        state,
        user,
        Target::Committee(id, "seat"),
        form.into_inner(),
        |i| SeatInput::parse(i),
        move |conn, actor, scope, input| service::add_seat(conn, actor, scope, id, input).map(|_| ()),
    )
    .await
}

pub async fn record_meeting(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    post_form(
        state,
        user,
        Target::Committee(id, "meeting"),
        form.into_inner(),
        |i| MeetingInput::parse(i),
        move |conn, actor, scope, input| service::record_meeting(conn, actor, scope, id, input).map(|_| ()),
    )
    .await
}

pub async fn create_action(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    let id = id.into_inner();
    post_form(
        state,
        user,
        Target::Committee(id, "action"),
        form.into_inner(),
        |i| ActionInput::parse(i),
        move |conn, actor, scope, input| service::create_action(conn, actor, scope, id, input, today).map(|_| ()),
    )
    .await
}

/// The action plan of a committee as CSV or XLSX (`format` is the file extension).
pub async fn export(state: State, user: PageUser, path: web::Path<(i64, String)>) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user.user, Action::ReadCommittees)?;
    let (id, format) = path.into_inner();
    if format != "csv" && format != "xlsx" {
        return Err(AppError::NotFound);
    }
    let scope = committee_scope(&user.user);
    let (committee, actions) = state
        .db
        .read(move |conn| {
            let committee = Committee::find_scoped(conn, &scope, id)?;
            let actions = CommitteeAction::of_committees(conn, &[id])?;
            Ok((committee, action_views(conn, &actions, today)?))
        })
        .await?;
    let t = user.page().t;
    let (body, content_type) = if format == "csv" {
        (export::csv(t, &actions)?, "text/csv; charset=utf-8")
    } else {
        (
            export::xlsx(t, &committee, &actions, &today.to_string())?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"plan-de-accion-{id}.{format}\""),
        ))
        .body(body))
}

/// This part's pages.
pub fn routes() -> Routes {
    Routes::new()
        .get("/committees", list)
        .post("/committees", create)
        .get("/committees/{id}", detail)
        .post("/committees/{id}/members", add_seat)
        .post("/committees/{id}/meetings", record_meeting)
        .post("/committees/{id}/actions", create_action)
        .get("/committees/{id}/actions.{format}", export)
        .get("/actions/{id}", action::action)
        .post("/actions/{id}/status", action::change_status)
        .post("/actions/{id}/notes", action::add_note)
}
