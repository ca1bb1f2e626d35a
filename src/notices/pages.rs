//! The notices page for coordinators and admins: the outbox with filters, failed notices first
//! to see, a retry button; and the fund's "send statements" button.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::service::{queue_statements, retry_notice, NoticesQuery};
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, member_scope, Action};
use crate::error::AppResult;
use crate::outbox::model::Notice;
use crate::web::done::{see_done, Done};
use crate::web::form::FormState;
use crate::web::page::Page;
use crate::web::routes::Routes;
use crate::web::{paging, render, State};

type Form = web::Form<Vec<(String, String)>>;

#[derive(Template)]
#[template(path = "outbox/list.html")]
struct ListPage {
    page: Page,
    notices: Vec<Notice>,
    total: i64,
    filter: FormState,
}

pub async fn list(state: State, user: PageUser, query: web::Query<NoticesQuery>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ManageNotices)?;
    let (limit, offset) = paging(query.limit.as_deref(), query.offset.as_deref())?;
    let filter = query.filter()?;
    let scope = member_scope(&user.user);
    let (notices, total) = state
        .db
        .read(move |conn| Notice::search(conn, &scope, &filter, limit, offset))
        .await?;
    let filter = FormState::new(vec![
        ("status".into(), query.status.clone().unwrap_or_default()),
        ("channel".into(), query.channel.clone().unwrap_or_default()),
        ("member_id".into(), query.member_id.clone().unwrap_or_default()),
    ]);
    render(
        StatusCode::OK,
        &ListPage {
            page: user.page(),
            notices,
            total,
            filter,
        },
    )
}

pub async fn retry(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ManageNotices)?;
    user.verify(form.into_inner())?;
    let (actor, id) = (user.user.clone(), id.into_inner());
    state.db.write(move |conn| retry_notice(conn, &actor, id)).await?;
    Ok(see_done("/notices?status=queued", Done::NoticesQueued))
}

/// The fund dashboard's button: statements for every borrower, then the outbox.
pub async fn send_statements(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ManageNotices)?;
    user.verify(form.into_inner())?;
    let (actor, id, today) = (user.user.clone(), id.into_inner(), state.clock.today());
    state
        .db
        .write(move |conn| queue_statements(conn, &actor, id, today))
        .await?;
    Ok(see_done("/notices?status=queued", Done::NoticesQueued))
}

/// This part's pages.
pub fn routes() -> Routes {
    Routes::new()
        .get("/notices", list)
        .post("/notices/{id}/retry", retry)
        .post("/funds/{id}/statements", send_statements)
}
