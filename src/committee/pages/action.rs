//! A committee action's page: its notes (with who wrote them) and the moves its status may make.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::{post_form, Form, Target};
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, committee_scope, Action};
use crate::committee::input::{NoteInput, StatusChange};
use crate::committee::model::CommitteeAction;
use crate::committee::service::{self, action_view, ActionView};
use crate::committee::status::ActionStatus;
use crate::error::AppResult;
use crate::web::form::FormState;
use crate::web::page::Page;
use crate::web::{render, State};

#[derive(Template)]
#[template(path = "committee/action.html")]
struct ActionPage {
    page: Page,
    action: ActionView,
    /// Where the action may go from here, and whether each move needs a reason.
    moves: Vec<(ActionStatus, bool)>,
    /// Who wrote each note (user id, username).
    authors: Vec<(i64, String)>,
    form: FormState,
}

impl ActionPage {
    fn author(&self, id: &i64) -> &str {
        self.authors
            .iter()
            .find(|(author, _)| author == id)
            .map_or("", |(_, name)| name.as_str())
    }
}

pub(super) async fn action_page(
    state: &State,
    user: &PageUser,
    id: i64,
    form: FormState,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    let scope = committee_scope(&user.user);
    let (action, authors) = state
        .db
        .read(move |conn| {
            let action = CommitteeAction::find_scoped(conn, &scope, id)?;
            let view = action_view(conn, &action, today)?;
            let ids: Vec<i64> = view.notes.iter().map(|n| n.created_by).collect();
            let authors = crate::users::model::User::usernames(conn, &ids)?;
            Ok((view, authors))
        })
        .await?;
    let moves = ActionStatus::parse(&action.status)
        .map(crate::committee::status::moves_from)
        .unwrap_or_default();
    render(
        status,
        &ActionPage {
            page: user.page(),
            action,
            moves,
            authors,
            form,
        },
    )
}

pub async fn action(state: State, user: PageUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ReadActions)?;
    action_page(&state, &user, id.into_inner(), FormState::default(), StatusCode::OK).await
}

pub async fn change_status(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    let id = id.into_inner();
    post_form(
        state,
        user,
        Target::Action(id),
        form.into_inner(),
        |i| StatusChange::parse(i),
        move |conn, actor, scope, change| service::change_status(conn, actor, scope, id, change, today).map(|_| ()),
    )
    .await
}

pub async fn add_note(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    let id = id.into_inner();
    post_form(
        state,
        user,
        Target::Action(id),
        form.into_inner(),
        |i| NoteInput::parse(i),
        move |conn, actor, scope, note| service::add_note(conn, actor, scope, id, note, today).map(|_| ()),
    )
    .await
}
