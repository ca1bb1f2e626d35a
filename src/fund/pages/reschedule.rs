//! Rescheduling a loan from its pages: a form to propose new terms, and on the loan's page the
//! proposal with the new plan it would make, approved or rejected by another person. The rules are
//! `fund::rescheduling`'s; a refusal re-shows the form (or the loan's page) with its reason.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::loan::loan_page;
use super::{problem, Form};
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, loan_scope, Action, Scope};
use crate::error::{AppError, AppResult};
use crate::fund::input::RescheduleInput;
use crate::fund::model::{Loan, LoanStatus};
use crate::fund::rescheduling;
use crate::fund::schedule::Frequency;
use crate::fund::view::{loan_view, LoanView};
use crate::members::model::Member;
use crate::web::done::{see_done, Done};
use crate::web::form::{read_as_typed, FormState};
use crate::web::page::Page;
use crate::web::{render, State};

#[derive(Template)]
#[template(path = "fund/reschedule.html")]
struct ReschedulePage {
    page: Page,
    loan: LoanView,
    borrower: String,
    frequencies: &'static [Frequency],
    form: FormState,
    message: Option<String>,
}

async fn reschedule_page(
    state: &State,
    user: &PageUser,
    id: i64,
    (status, form, message): (StatusCode, FormState, Option<String>),
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    let scope = loan_scope(&user.user);
    let (loan, borrower) = state
        .db
        .read(move |conn| {
            let loan = Loan::find_scoped(conn, &scope, id)?;
            if loan.status()? != LoanStatus::Disbursed {
                return Err(AppError::Conflict("loan_not_disbursed"));
            }
            let borrower = Member::find_scoped(conn, &Scope::All, loan.member_id)?.full_name();
            Ok((loan_view(conn, &loan, today)?, borrower))
        })
        .await?;
    let page = ReschedulePage {
        page: user.page(),
        loan,
        borrower,
        frequencies: Frequency::ALL,
        form,
        message,
    };
    render(status, &page)
}

/// The form, filled with the loan's own frequency, from today.
pub async fn form(state: State, user: PageUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::WriteLoans)?;
    let mut form = FormState::default();
    form.set("date", state.clock.today().to_string());
    form.set("grace_periods", "0");
    form.set("frequency", "monthly");
    reschedule_page(&state, &user, id.into_inner(), (StatusCode::OK, form, None)).await
}

/// Saves the proposal; the loan's page then shows it, and the new plan, for another to decide.
pub async fn propose(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user.user, Action::WriteLoans)?;
    let (id, pairs) = (id.into_inner(), form.into_inner());
    let input = user.verify(read_as_typed(&pairs))?;
    let result = match RescheduleInput::parse(&input, today) {
        Ok(terms) => {
            let actor = user.user.clone();
            state
                .db
                .write(move |conn| rescheduling::request(conn, &actor, id, terms))
                .await
                .map(|_| ())
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(()) => Ok(see_done(&format!("/loans/{id}"), Done::RescheduleRequested)),
        Err(e) => match problem(&e, &user.page(), pairs) {
            Some(p) => reschedule_page(&state, &user, id, p).await,
            None => Err(e),
        },
    }
}

async fn decide(state: State, user: PageUser, id: i64, form: Form, approve: bool) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::WriteLoans)?;
    let pairs = form.into_inner();
    user.verify(pairs.clone())?;
    let (actor, reader) = (user.user.clone(), user.user.clone());
    let (_, loan) = state
        .db
        .read(move |conn| rescheduling::loan_of(conn, &reader, id))
        .await?;
    let result = state
        .db
        .write(move |conn| rescheduling::decide(conn, &actor, id, approve))
        .await;
    let done = if approve {
        Done::RescheduleApproved
    } else {
        Done::RescheduleRejected
    };
    match result {
        Ok(loan_id) => Ok(see_done(&format!("/loans/{loan_id}"), done)),
        Err(e) => match problem(&e, &user.page(), pairs) {
            Some(p) => loan_page(&state, &user, loan.id, p, None).await,
            None => Err(e),
        },
    }
}

pub async fn approve(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    decide(state, user, id.into_inner(), form, true).await
}

pub async fn reject(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    decide(state, user, id.into_inner(), form, false).await
}
