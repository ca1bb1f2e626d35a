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
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/funds", web::get().to(funds::list))
        .route("/funds", web::post().to(funds::create))
        .route("/funds/{id}", web::get().to(funds::dashboard))
        .route("/funds/{id}/contributions", web::post().to(funds::contribute))
        .route("/funds/{id}/journal", web::get().to(funds::journal))
        .route("/loans", web::post().to(request::request))
        .route("/loans/new", web::get().to(request::request_form))
        .route("/loans/{id}", web::get().to(loan::loan))
        .route("/loans/{id}/approve", web::post().to(loan::approve))
        .route("/loans/{id}/reject", web::post().to(loan::reject))
        .route("/loans/{id}/cancel", web::post().to(loan::cancel))
        .route("/loans/{id}/disburse", web::post().to(loan::disburse))
        .route("/loans/{id}/repayments", web::post().to(loan::repay))
        .route("/loans/{id}/write-off", web::post().to(loan::write_off))
        .route("/repayments/{id}/reverse", web::post().to(loan::reverse));
}
