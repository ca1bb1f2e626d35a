//! Closing a fund's books from its page (an administrator): up to a date, or reopening the closure
//! that holds, with a reason. The rules are `fund::closing`'s; a refusal shows on the fund's page.

use actix_web::{web, HttpResponse};

use super::funds::{dashboard_page, Listing};
use super::problem;
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, Action};
use crate::clock::now;
use crate::error::{AppError, AppResult};
use crate::fund::closing;
use crate::fund::input::not_future;
use crate::input::{required, short_text};
use crate::web::done::{see_done, Done};
use crate::web::State;

type Form = web::Form<Vec<(String, String)>>;

/// Closes the fund's books up to the date given (`closure_date`).
pub async fn close(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user.user, Action::ManageFunds)?;
    let (id, pairs) = (id.into_inner(), form.into_inner());
    let input = user.verify(pairs.clone())?;
    let result = match required(&input, "closure_date", |raw| not_future(raw, today)) {
        Ok(date) => {
            let actor = user.user.clone();
            state
                .db
                .write(move |conn| closing::close(conn, &actor, id, date, now()))
                .await
                .map(|_| ())
        }
        Err(e) => Err(AppError::Invalid(vec![e])),
    };
    finish(&state, &user, id, pairs, result, Done::BooksClosed).await
}

/// Reopens the closure that holds, with a reason (`reopen_reason`).
pub async fn reopen(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ManageFunds)?;
    let (closure_id, pairs) = (id.into_inner(), form.into_inner());
    let input = user.verify(pairs.clone())?;
    let fund_id = state.db.read(move |conn| closing::fund_of(conn, closure_id)).await?;
    let result = match required(&input, "reopen_reason", |raw| short_text(raw, 500)) {
        Ok(reason) => {
            let actor = user.user.clone();
            state
                .db
                .write(move |conn| closing::reopen(conn, &actor, closure_id, reason, now()))
                .await
                .map(|_| ())
        }
        Err(e) => Err(AppError::Invalid(vec![e])),
    };
    finish(&state, &user, fund_id, pairs, result, Done::BooksReopened).await
}

async fn finish(
    state: &State,
    user: &PageUser,
    fund_id: i64,
    pairs: Vec<(String, String)>,
    result: AppResult<()>,
    done: Done,
) -> AppResult<HttpResponse> {
    match result {
        Ok(()) => Ok(see_done(&format!("/funds/{fund_id}"), done)),
        Err(e) => match problem(&e, &user.page(), pairs) {
            Some(p) => dashboard_page(state, user, fund_id, Listing::today(state.clock.today()), p).await,
            None => Err(e),
        },
    }
}
