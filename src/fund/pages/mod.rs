//! The fund's pages for coordinators: funds, a fund's dashboard, the journal, requesting a loan
//! (with its schedule shown before it is saved), and the loan page with its actions. Every form
//! that moves money carries a one-time key, so a double click or a resubmitted page posts once,
//! and a repayment shows its allocation for confirmation before it is posted.

use actix_web::http::StatusCode;
use actix_web::web;

use crate::error::AppError;
use crate::input::FormInput;
use crate::web::form::FormState;
use crate::web::page::Page;
use crate::web::routes::Routes;

mod funds;
mod loan;
mod request;

/// The hidden field that makes a money form post once.
const ONCE_FIELD: &str = "once";

fn once_key(form: &FormInput) -> Option<String> {
    form.value(ONCE_FIELD)
        .filter(|k| !k.is_empty() && k.len() <= 64)
        .map(str::to_string)
}

/// The form's fields without its CSRF token, to recognise a resubmission of the same form.
fn form_fingerprint(pairs: &[(String, String)]) -> Vec<u8> {
    pairs
        .iter()
        .filter(|(k, _)| k != "csrf_token")
        .map(|(k, v)| format!("{k}={v}\n"))
        .collect::<String>()
        .into_bytes()
}

/// Validation errors re-show the form; conflicts show their reason on the page; the rest go up.
fn problem(e: &AppError, page: &Page, pairs: Vec<(String, String)>) -> Option<(StatusCode, FormState, Option<String>)> {
    match e {
        AppError::Invalid(errors) => Some((
            StatusCode::UNPROCESSABLE_ENTITY,
            FormState::new(pairs).with_errors(page.t, errors),
            None,
        )),
        AppError::Conflict(code) => Some((
            StatusCode::CONFLICT,
            FormState::new(pairs),
            Some(page.t.error(code).to_string()),
        )),
        _ => None,
    }
}

type Form = web::Form<Vec<(String, String)>>;

/// This part's pages.
pub fn routes() -> Routes {
    Routes::new()
        .get("/funds", funds::list)
        .post("/funds", funds::create)
        .get("/funds/{id}", funds::dashboard)
        .post("/funds/{id}/contributions", funds::contribute)
        .get("/funds/{id}/journal", funds::journal)
        .post("/loans", request::request)
        .get("/loans/new", request::request_form)
        .get("/loans/{id}", loan::loan)
        .post("/loans/{id}/approve", loan::approve)
        .post("/loans/{id}/reject", loan::reject)
        .post("/loans/{id}/cancel", loan::cancel)
        .post("/loans/{id}/disburse", loan::disburse)
        .post("/loans/{id}/repayments", loan::repay)
        .post("/loans/{id}/write-off", loan::write_off)
        .post("/repayments/{id}/reverse", loan::reverse)
}
