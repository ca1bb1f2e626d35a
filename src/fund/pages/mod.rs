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

mod books;
mod collection;
mod funds;
mod loan;
mod repayments;
mod request;
mod reschedule;

/// The hidden field that makes a money form post once.
const ONCE_FIELD: &str = "once";

fn once_key(form: &FormInput) -> Option<String> {
    form.value(ONCE_FIELD)
        .filter(|k| !k.is_empty() && k.len() <= 64)
        .map(str::to_string)
}

/// The hidden field that carries the seal of what a preview showed.
const SEAL_FIELD: &str = "previewed";

/// The fields that say how a form is sent, not what it asks: left out of its seal.
const NOT_CONTENT: &[&str] = &["csrf_token", ONCE_FIELD, SEAL_FIELD, "confirm", "edit"];

/// A seal of what the form asks (every field but how it is sent), keyed by the session's CSRF
/// token. A preview (a loan's schedule, a repayment's allocation) carries it; the confirmation is
/// saved only when the form still matches it, so nothing is saved that she was not shown.
fn seal(csrf_token: &str, pairs: &[(String, String)]) -> String {
    use hmac::{Hmac, Mac};
    let mut mac = Hmac::<sha2::Sha256>::new_from_slice(csrf_token.as_bytes()).expect("HMAC takes any key length");
    let mut content: Vec<&(String, String)> = pairs
        .iter()
        .filter(|(k, _)| !NOT_CONTENT.contains(&k.as_str()))
        .collect();
    content.sort();
    for (name, value) in content {
        for part in [name, value] {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part.as_bytes());
        }
    }
    hex::encode(mac.finalize().into_bytes())
}

/// Whether the posted form is the one its preview showed.
fn matches_seal(csrf_token: &str, pairs: &[(String, String)]) -> bool {
    let posted = pairs.iter().find(|(k, _)| k == SEAL_FIELD).map(|(_, v)| v.as_str());
    posted.is_some_and(|p| crate::auth::secret::constant_time_eq(p, &seal(csrf_token, pairs)))
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
        AppError::Conflict(_) | AppError::BooksClosed(_) => {
            Some((StatusCode::CONFLICT, FormState::new(pairs), e.conflict_reason(page.t)))
        }
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
        .post("/funds/{id}/closures", books::close)
        .post("/closures/{id}/reopen", books::reopen)
        .get("/funds/{id}/journal", funds::journal)
        .get("/funds/{id}/collection", collection::show)
        .post("/funds/{id}/collection", collection::submit)
        .post("/funds/{id}/collection/rows", collection::rows)
        .post("/loans", request::request)
        .get("/loans/new", request::request_form)
        .get("/loans/{id}", loan::loan)
        .get("/loans/{id}/repayments", repayments::repayments)
        .post("/loans/{id}/approve", loan::approve)
        .post("/loans/{id}/reject", loan::reject)
        .post("/loans/{id}/cancel", loan::cancel)
        .post("/loans/{id}/disburse", loan::disburse)
        .post("/loans/{id}/repayments", loan::repay)
        .post("/loans/{id}/write-off", loan::write_off)
        .post("/repayments/{id}/reverse", loan::reverse)
        .get("/loans/{id}/reschedule", reschedule::form)
        .post("/loans/{id}/reschedule", reschedule::propose)
        .post("/reschedules/{id}/approve", reschedule::approve)
        .post("/reschedules/{id}/reject", reschedule::reject)
}
