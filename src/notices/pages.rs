//! The notices page for coordinators and admins: the outbox with filters, failed notices first
//! to see, a retry button; and the fund's "send statements" button.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::service::{queue_statements, retry_notice, NoticesQuery};
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, member_scope, Action};
use crate::error::AppResult;
use crate::members::model::{Member, MemberFilter};
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
    /// Each notice with its member's name.
    notices: Vec<(Notice, String)>,
    total: i64,
    filter: FormState,
}

/// The page's filters: the API's, and the member by her name.
#[derive(serde::Deserialize)]
pub struct NoticesPageQuery {
    #[serde(flatten)]
    api: NoticesQuery,
    name: Option<String>,
}

pub async fn list(state: State, user: PageUser, query: web::Query<NoticesPageQuery>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ManageNotices)?;
    let NoticesPageQuery { api: query, name } = query.into_inner();
    let (limit, offset) = paging(query.limit.as_deref(), query.offset.as_deref())?;
    let mut filter = query.filter()?;
    let scope = member_scope(&user.user);
    let wanted = name.clone().filter(|n| !n.trim().is_empty());
    let (notices, total) = state
        .db
        .read(move |conn| {
            if let Some(text) = wanted {
                let by_name = MemberFilter {
                    text: Some(text),
                    organization_id: None,
                };
                let (found, _) = Member::search(conn, &scope, &by_name, crate::web::MAX_LIMIT, 0)?;
                filter.member_ids = Some(found.iter().map(|m| m.id).collect());
            }
            let (notices, total) = Notice::search(conn, &scope, &filter, limit, offset)?;
            let ids: Vec<i64> = notices.iter().map(|n| n.member_id).collect();
            let names = Member::names(conn, &ids)?;
            let named = notices
                .into_iter()
                .map(|n| {
                    let name = names
                        .iter()
                        .find(|(id, _)| *id == n.member_id)
                        .map(|(_, name)| name.clone());
                    (n, name.unwrap_or_default())
                })
                .collect::<Vec<_>>();
            Ok((named, total))
        })
        .await?;
    let filter = FormState::new(vec![
        ("status".into(), query.status.clone().unwrap_or_default()),
        ("channel".into(), query.channel.clone().unwrap_or_default()),
        ("name".into(), name.unwrap_or_default()),
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
