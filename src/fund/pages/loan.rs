//! The loan page and everything done on it: approve, reject, cancel, disburse, repay (with the
//! allocation shown for confirmation first), write off, and reverse a repayment.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::{form_fingerprint, matches_seal, once_key, problem, seal, Form, ONCE_FIELD, SEAL_FIELD};
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, can, loan_scope, Action, Scope};
use crate::auth::secret;
use crate::error::{AppError, AppResult};
use crate::fund::allocation::Allocation;
use crate::fund::input::{parse_dated, parse_reason, RepaymentInput};
use crate::fund::model::{Loan, LoanStatus};
use crate::fund::payoff::Payoff;
use crate::fund::repayments;
use crate::fund::rescheduling::{self, Pending};
use crate::fund::service::{self, Decision};
use crate::fund::view::{loan_view, payoff_of, repayments_page, LoanView, RepaymentItem};
use crate::fund::write_off;
use crate::idempotency;
use crate::input::FormInput;
use crate::members::model::Member;
use crate::web::done::{see_done, Done};
use crate::web::form::{read_as_typed, FormState};
use crate::web::page::Page;
use crate::web::{render, State};

#[derive(Template)]
#[template(path = "fund/loan.html")]
struct LoanPage {
    page: Page,
    loan: LoanView,
    borrower: String,
    form: FormState,
    message: Option<String>,
    /// A repayment checked and split, waiting for confirmation.
    confirm: Option<Allocation>,
    once: String,
    may_write: bool,
    /// Approve or reject: someone who may write loans, and not the one who asked (maker-checker).
    may_decide: bool,
    may_write_off: bool,
    /// What settles a disbursed loan today.
    payoff: Option<Payoff>,
    /// Her latest repayments (the rest on their own page), and how many she has made.
    rows: Vec<RepaymentItem>,
    repayments_total: i64,
    loan_id: i64,
    /// A repayment may be reversed from here: she may write loans and the loan carries money.
    may_reverse: bool,
    /// Reschedules proposed and waiting for a decision, with the plan each would make.
    pending: Vec<Pending>,
    user_id: i64,
}

/// How many repayments the loan's page shows; the rest are on `/loans/{id}/repayments`.
const LATEST: i64 = 10;

pub(super) async fn loan_page(
    state: &State,
    user: &PageUser,
    id: i64,
    problem: (StatusCode, FormState, Option<String>),
    confirm: Option<Allocation>,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    let scope = loan_scope(&user.user);
    let (loan, borrower, payoff, (rows, repayments_total), pending) = state
        .db
        .read(move |conn| {
            let loan = Loan::find_scoped(conn, &scope, id)?;
            let borrower = Member::find_scoped(conn, &Scope::All, loan.member_id)?.full_name();
            let payoff = match loan.status()? {
                LoanStatus::Disbursed => Some(payoff_of(conn, &loan, today, today)?),
                _ => None,
            };
            let latest = repayments_page(conn, loan.id, LATEST, 0)?;
            let pending = rescheduling::pending(conn, &loan)?;
            Ok((loan_view(conn, &loan, today)?, borrower, payoff, latest, pending))
        })
        .await?;
    let (status, form, message) = problem;
    let may_write = can(&user.user, Action::WriteLoans);
    let page = LoanPage {
        may_reverse: may_write && matches!(loan.status.as_str(), "disbursed" | "repaid"),
        loan_id: loan.id,
        rows,
        repayments_total,
        may_decide: can(&user.user, Action::WriteLoans) && loan.requested_by != user.user.id,
        page: user.page(),
        loan,
        borrower,
        form,
        message,
        confirm,
        once: secret::generate(),
        may_write,
        may_write_off: can(&user.user, Action::WriteOffLoans),
        payoff,
        pending,
        user_id: user.user.id,
    };
    render(status, &page)
}

pub async fn loan(state: State, user: PageUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ReadLoans)?;
    loan_page(
        &state,
        &user,
        id.into_inner(),
        (StatusCode::OK, FormState::default(), None),
        None,
    )
    .await
}

/// What a loan form posts to, and what it does.
enum LoanAction {
    Decide(Decision),
    Disburse,
    Repay,
    WriteOff,
}

async fn loan_action(
    state: State,
    user: PageUser,
    id: i64,
    pairs: Vec<(String, String)>,
    action: LoanAction,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    let needed = if matches!(action, LoanAction::WriteOff) {
        Action::WriteOffLoans
    } else {
        Action::WriteLoans
    };
    authorize(&user.user, needed)?;
    let input = user.verify(read_as_typed(&pairs))?;
    let actor = user.user.clone();
    let db = state.db.clone();
    let fingerprint = form_fingerprint(&pairs);
    let key = once_key(&input);
    let done = match &action {
        LoanAction::Decide(Decision::Approve) => Done::LoanApproved,
        LoanAction::Decide(Decision::Reject) => Done::LoanRejected,
        LoanAction::Decide(Decision::Cancel) => Done::LoanCancelled,
        LoanAction::Disburse => Done::LoanDisbursed,
        LoanAction::Repay => Done::RepaymentRecorded,
        LoanAction::WriteOff => Done::LoanWrittenOff,
    };
    // What the action answered (a repayment's answer names the repayment, for its receipt).
    let result: AppResult<String> = match action {
        LoanAction::Decide(decision) => db
            .write(move |conn| service::decide(conn, &actor, id, decision, today))
            .await
            .map(|_| String::new()),
        LoanAction::Disburse => match parse_dated(&input, today) {
            Ok(date) => idempotency::once(
                &db,
                actor.id,
                format!("/loans/{id}/disburse"),
                key,
                &fingerprint,
                StatusCode::OK,
                move |conn| service::disburse(conn, &actor, id, date, today),
            )
            .await
            .map(|(_, body)| body),
            Err(errors) => Err(AppError::Invalid(errors)),
        },
        LoanAction::Repay if input.value("edit") == Some("yes") => {
            // Back from the check to the form, with what she typed.
            return loan_page(&state, &user, id, (StatusCode::OK, FormState::new(pairs), None), None).await;
        }
        LoanAction::Repay => match RepaymentInput::parse(&input, today) {
            Ok(repayment) if input.value("confirm") != Some("yes") || !matches_seal(&user.csrf_token, &pairs) => {
                // First step: show how it would be split, the details fixed, and ask to confirm.
                // A confirmation whose details changed since is shown again, not posted.
                let changed = input.value("confirm") == Some("yes");
                let preview = db
                    .read(move |conn| repayments::preview_repayment(conn, &actor, id, &repayment))
                    .await;
                return match preview {
                    Ok(allocation) => {
                        let seal = seal(&user.csrf_token, &pairs);
                        let message = changed.then(|| user.page().t.get("loan.preview_changed").to_string());
                        let mut form = FormState::new(pairs);
                        form.set(ONCE_FIELD, secret::generate());
                        form.set(SEAL_FIELD, seal);
                        loan_page(&state, &user, id, (StatusCode::OK, form, message), Some(allocation)).await
                    }
                    Err(e) => match problem(&e, &user.page(), pairs) {
                        Some(p) => loan_page(&state, &user, id, p, None).await,
                        None => Err(e),
                    },
                };
            }
            Ok(repayment) => idempotency::once(
                &db,
                actor.id,
                format!("/loans/{id}/repayments"),
                key,
                &fingerprint,
                StatusCode::CREATED,
                move |conn| repayments::repay(conn, &actor, id, repayment, today),
            )
            .await
            .map(|(_, body)| body),
            Err(errors) => Err(AppError::Invalid(errors)),
        },
        LoanAction::WriteOff => match parse_reason(&input, Some(today)) {
            Ok((reason, date)) => {
                let date = date.unwrap_or(today);
                idempotency::once(
                    &db,
                    actor.id,
                    format!("/loans/{id}/write-off"),
                    key,
                    &fingerprint,
                    StatusCode::OK,
                    move |conn| write_off::write_off(conn, &actor, id, date, reason, today),
                )
                .await
                .map(|(_, body)| body)
            }
            Err(errors) => Err(AppError::Invalid(errors)),
        },
    };
    match result {
        Ok(body) if done == Done::RepaymentRecorded => {
            let repayment_id = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["id"].as_i64())
                .unwrap_or_default();
            let receipt = state
                .db
                .read(move |conn| crate::fund::receipt::receipt_queued(conn, repayment_id))
                .await?;
            let done = if receipt { Done::RepaymentRecordedReceipt } else { done };
            Ok(see_done(&format!("/loans/{id}"), done))
        }
        Ok(_) => Ok(see_done(&format!("/loans/{id}"), done)),
        Err(e) => match problem(&e, &user.page(), pairs) {
            Some(p) => loan_page(&state, &user, id, p, None).await,
            None => Err(e),
        },
    }
}

pub async fn approve(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    loan_action(
        state,
        user,
        id.into_inner(),
        form.into_inner(),
        LoanAction::Decide(Decision::Approve),
    )
    .await
}

pub async fn reject(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    loan_action(
        state,
        user,
        id.into_inner(),
        form.into_inner(),
        LoanAction::Decide(Decision::Reject),
    )
    .await
}

pub async fn cancel(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    loan_action(
        state,
        user,
        id.into_inner(),
        form.into_inner(),
        LoanAction::Decide(Decision::Cancel),
    )
    .await
}

pub async fn disburse(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    loan_action(state, user, id.into_inner(), form.into_inner(), LoanAction::Disburse).await
}

pub async fn repay(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    loan_action(state, user, id.into_inner(), form.into_inner(), LoanAction::Repay).await
}

pub async fn write_off(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    loan_action(state, user, id.into_inner(), form.into_inner(), LoanAction::WriteOff).await
}

/// Reverses a repayment from the loan page (with a reason and a ticked confirmation).
pub async fn reverse(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user.user, Action::WriteLoans)?;
    let pairs = form.into_inner();
    let input = user.verify(pairs.clone())?;
    let repayment_id = id.into_inner();
    let loan_id = input
        .value("loan_id")
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or(AppError::NotFound)?;
    let actor = user.user.clone();
    let result = match parse_reason(
        &FormInput::new(pairs.iter().filter(|(k, _)| k == "reason").cloned().collect()),
        None,
    ) {
        Ok((reason, _)) => {
            let fingerprint = form_fingerprint(&pairs);
            idempotency::once(
                &state.db,
                actor.id,
                format!("/repayments/{repayment_id}/reverse"),
                once_key(&input),
                &fingerprint,
                StatusCode::CREATED,
                move |conn| crate::fund::reversal::reverse(conn, &actor, repayment_id, reason, today),
            )
            .await
            .map(|_| ())
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(()) => Ok(see_done(&format!("/loans/{loan_id}"), Done::RepaymentReversed)),
        Err(e) => match problem(&e, &user.page(), pairs) {
            Some(p) => loan_page(&state, &user, loan_id, p, None).await,
            None => Err(e),
        },
    }
}
