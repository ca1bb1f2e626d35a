//! The collection sheet at the meeting: every borrower on one page, what each paid typed in one
//! go, checked (allocation per row, total, cash counted) and then posted, each row a repayment of
//! its own. Printed, the same page is the paper sheet for the day the phone dies.
//!
//! Without JavaScript this is an ordinary form. With it, `static/pallay.js` keeps each filled row
//! on the phone and sends it through `rows` when there is a signal (see README, "The meeting").

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;
use serde_json::{json, Value};

use super::{matches_seal, seal, Form, SEAL_FIELD};
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, can, organization_scope, Action, Scope};
use crate::auth::secret;
use crate::error::{AppError, AppResult, FieldError};
use crate::fund::allocation::Allocation;
use crate::fund::collection::{difference, sheet, RowStatus, Sheet, SheetRow};
use crate::fund::collection_api::{post_collections, sheet_date};
use crate::fund::input::RepaymentInput;
use crate::fund::repayments::preview_repayment;
use crate::input::fold_for_search;
use crate::money::{parse_as_typed, Money};
use crate::organizations::Organization;
use crate::web::form::FormState;
use crate::web::page::Page;
use crate::web::{id_param, render, State};

/// What the page shows under a row once checked or posted.
pub struct RowNote {
    pub allocation: Option<Allocation>,
    pub status: Option<RowStatus>,
    pub problem: Option<String>,
}

/// The page's step: filling in, checking what was typed, or what was posted.
#[derive(PartialEq, Eq)]
pub enum Step {
    Fill,
    Check,
    Posted,
}

#[derive(Template)]
#[template(path = "fund/collection.html")]
struct CollectionPage {
    page: Page,
    sheet: Sheet,
    step: Step,
    form: FormState,
    notes: BTreeMap<i64, RowNote>,
    organizations: Vec<Organization>,
    organization_id: String,
    q: String,
    typed_total: Money,
    message: Option<String>,
    /// After posting: how many rows, how much, and who still owes by the date.
    posted: Option<(usize, Money)>,
    still_owing: Vec<SheetRow>,
    may_write: bool,
}

impl CollectionPage {
    fn note(&self, loan_id: &i64) -> Option<&RowNote> {
        self.notes.get(loan_id)
    }

    fn amount_of(&self, loan_id: &i64) -> &str {
        self.form.value(&format!("amount_{loan_id}"))
    }

    /// "3 pagos registrados por S/ 250.00."
    fn posted_message(&self) -> Option<String> {
        self.posted.map(|(count, total)| {
            self.page
                .t
                .get("collection.posted")
                .replace("{n}", &count.to_string())
                .replace("{total}", &total.to_string())
        })
    }

    fn key_of(&self, loan_id: &i64) -> &str {
        self.form.value(&format!("key_{loan_id}"))
    }

    fn receipt_of(&self, loan_id: &i64) -> &str {
        self.form.value(&format!("receipt_{loan_id}"))
    }

    fn error_of(&self, loan_id: &i64) -> Option<&str> {
        self.form.error(&format!("amount_{loan_id}"))
    }
}

#[derive(Deserialize)]
pub struct SheetQuery {
    date: Option<String>,
    organization_id: Option<String>,
    q: Option<String>,
}

struct Wanted {
    fund_id: i64,
    date: chrono::NaiveDate,
    organization_id: Option<i64>,
    q: String,
}

async fn load(state: &State, user: &PageUser, wanted: &Wanted) -> AppResult<(Sheet, Vec<Organization>)> {
    let (actor, id, date, org) = (user.user.clone(), wanted.fund_id, wanted.date, wanted.organization_id);
    let q = fold_for_search(wanted.q.trim());
    let scope = organization_scope(&user.user);
    state
        .db
        .read(move |conn| {
            let mut found = sheet(conn, &actor, id, date, org)?;
            if !q.is_empty() {
                found.rows.retain(|r| fold_for_search(&r.member_name).contains(&q));
                found.total_due = found.rows.iter().map(|r| r.amount_due).sum();
            }
            let organizations = Organization::all(conn)?
                .into_iter()
                .filter(|o| match &scope {
                    Scope::All => true,
                    Scope::Organizations(ids) => ids.contains(&o.id),
                    Scope::Herself(_) | Scope::Nothing => false,
                })
                .collect();
            Ok((found, organizations))
        })
        .await
}

#[allow(clippy::too_many_arguments)]
fn page(
    user: &PageUser,
    wanted: &Wanted,
    (sheet, organizations): (Sheet, Vec<Organization>),
    step: Step,
    mut form: FormState,
    notes: BTreeMap<i64, RowNote>,
    message: Option<String>,
    posted: Option<(usize, Money)>,
) -> CollectionPage {
    // Each row's key is made once, when the sheet is first shown, and travels with the form.
    for row in &sheet.rows {
        let name = format!("key_{}", row.loan_id);
        if form.value(&name).is_empty() {
            form.set(&name, secret::generate());
        }
    }
    let typed_total = sheet
        .rows
        .iter()
        .filter_map(|r| parse_as_typed(form.value(&format!("amount_{}", r.loan_id))).ok())
        .sum();
    let still_owing = if step == Step::Posted {
        sheet.rows.iter().filter(|r| !r.amount_due.is_zero()).cloned().collect()
    } else {
        Vec::new()
    };
    CollectionPage {
        page: user.page(),
        sheet,
        step,
        form,
        notes,
        organizations,
        organization_id: wanted.organization_id.map(|o| o.to_string()).unwrap_or_default(),
        q: wanted.q.clone(),
        typed_total,
        message,
        posted,
        still_owing,
        may_write: can(&user.user, Action::WriteLoans),
    }
}

pub async fn show(
    state: State,
    user: PageUser,
    id: web::Path<i64>,
    query: web::Query<SheetQuery>,
) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ReadFunds)?;
    let wanted = Wanted {
        fund_id: id.into_inner(),
        date: sheet_date(query.date.as_deref().filter(|d| !d.is_empty()), state.clock.today())?,
        organization_id: id_param("organization_id", query.organization_id.as_deref())?,
        q: query.q.clone().unwrap_or_default(),
    };
    let loaded = load(&state, &user, &wanted).await?;
    let page = page(
        &user,
        &wanted,
        loaded,
        Step::Fill,
        FormState::default(),
        BTreeMap::new(),
        None,
        None,
    );
    render(StatusCode::OK, &page)
}

/// A row she filled in: (loan, amount, receipt, key).
type TypedRow = (i64, Money, Option<String>, String);

/// The rows she filled in, read as she typed them. An amount that cannot be read is an error
/// under its field.
fn typed_rows(sheet: &Sheet, form: &crate::input::FormInput) -> (Vec<TypedRow>, Vec<FieldError>) {
    let mut rows = Vec::new();
    let mut errors = Vec::new();
    for row in &sheet.rows {
        let field = format!("amount_{}", row.loan_id);
        let typed = form.value(&field).unwrap_or("").trim();
        if typed.is_empty() {
            continue;
        }
        match parse_as_typed(typed) {
            Ok(amount) if amount.is_zero() => {}
            Ok(amount) => rows.push((
                row.loan_id,
                amount,
                form.value(&format!("receipt_{}", row.loan_id))
                    .map(str::trim)
                    .filter(|r| !r.is_empty())
                    .map(str::to_string),
                form.value(&format!("key_{}", row.loan_id)).unwrap_or("").to_string(),
            )),
            Err(code) => errors.push(FieldError::new(field, code)),
        }
    }
    (rows, errors)
}

/// Checks (first press) or posts (confirmation of what was checked) the sheet.
pub async fn submit(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::WriteLoans)?;
    let pairs = form.into_inner();
    let input = user.verify(pairs.clone())?;
    let today = state.clock.today();
    let wanted = Wanted {
        fund_id: id.into_inner(),
        date: sheet_date(input.value("date"), today)?,
        organization_id: id_param("organization_id", input.value("organization_id"))?,
        q: input.value("q").unwrap_or("").to_string(),
    };
    let t = user.page().t;
    let loaded = load(&state, &user, &wanted).await?;
    let (rows, mut errors) = typed_rows(&loaded.0, &input);
    let cash = match input.value("cash_counted").map(str::trim).filter(|c| !c.is_empty()) {
        None => None,
        Some(raw) => match parse_as_typed(raw) {
            Ok(cash) => Some(cash),
            Err(code) => {
                errors.push(FieldError::new("cash_counted", code));
                None
            }
        },
    };
    if rows.is_empty() && errors.is_empty() {
        errors.push(FieldError::new("cash_counted", "collection_empty"));
    }
    let typed: Money = rows.iter().map(|r| r.1).sum();
    if let Some(cash) = cash.filter(|c| *c != typed) {
        errors.push(FieldError::with(
            "cash_counted",
            "cash_counted_differs",
            difference(cash, typed),
        ));
    }
    let form_state = FormState::new(pairs.clone());
    if !errors.is_empty() {
        let form_state = form_state.with_errors(t, &errors);
        let message = Some(t.get("form.has_errors").to_string());
        let page = page(
            &user,
            &wanted,
            loaded,
            Step::Fill,
            form_state,
            BTreeMap::new(),
            message,
            None,
        );
        return render(StatusCode::UNPROCESSABLE_ENTITY, &page);
    }
    if input.value("edit") == Some("yes") {
        let page = page(
            &user,
            &wanted,
            loaded,
            Step::Fill,
            form_state,
            BTreeMap::new(),
            None,
            None,
        );
        return render(StatusCode::OK, &page);
    }
    let confirmed = input.value("confirm") == Some("yes") && matches_seal(&user.csrf_token, &pairs);
    if input.value("confirm") != Some("yes") || !confirmed {
        // The check: how each row would be split today, and what would be refused.
        let (actor, date) = (user.user.clone(), wanted.date);
        let asked: Vec<(i64, Money)> = rows.iter().map(|r| (r.0, r.1)).collect();
        let previews = state
            .db
            .read(move |conn| {
                Ok(asked
                    .into_iter()
                    .map(|(loan_id, amount)| {
                        let input = RepaymentInput {
                            amount,
                            date,
                            receipt_number: None,
                        };
                        (loan_id, preview_repayment(conn, &actor, loan_id, &input))
                    })
                    .collect::<Vec<_>>())
            })
            .await?;
        let notes = previews
            .into_iter()
            .map(|(loan_id, result)| {
                let note = match result {
                    Ok(allocation) => RowNote {
                        allocation: Some(allocation),
                        status: None,
                        problem: None,
                    },
                    Err(e) => RowNote {
                        allocation: None,
                        status: Some(RowStatus::Refused),
                        problem: Some(explain(&e, t)),
                    },
                };
                (loan_id, note)
            })
            .collect();
        let mut form_state = form_state;
        form_state.set(SEAL_FIELD, seal(&user.csrf_token, &pairs));
        let changed = input.value("confirm") == Some("yes");
        let message = changed.then(|| t.get("loan.preview_changed").to_string());
        let page = page(&user, &wanted, loaded, Step::Check, form_state, notes, message, None);
        return render(StatusCode::OK, &page);
    }
    let body = json!({
        "date": wanted.date.to_string(),
        "cash_counted": cash.map(|c| c.to_string()),
        "rows": rows.iter().map(|(loan_id, amount, receipt, key)| json!({
            "loan_id": loan_id, "amount": amount.to_string(), "receipt_number": receipt, "key": key,
        })).collect::<Vec<_>>(),
    });
    let answer = post_collections(
        &state,
        user.user.clone(),
        wanted.fund_id,
        body.to_string().as_bytes(),
        t.lang,
    )
    .await?;
    let outcome = outcome_of(&answer);
    let count = outcome
        .iter()
        .filter(|(_, n)| matches!(n.status, Some(RowStatus::Posted | RowStatus::Replayed)))
        .count();
    let total = answer["posted_total"]
        .as_str()
        .and_then(|s| Money::parse(s).ok())
        .unwrap_or_default();
    // The sheet again, after the payments: who still owes by the date.
    let loaded = load(&state, &user, &wanted).await?;
    let page = page(
        &user,
        &wanted,
        loaded,
        Step::Posted,
        form_state,
        outcome,
        None,
        Some((count, total)),
    );
    render(StatusCode::OK, &page)
}

/// The batch's answer, row by row, as the page shows it.
fn outcome_of(answer: &Value) -> BTreeMap<i64, RowNote> {
    let mut notes = BTreeMap::new();
    for row in answer["rows"].as_array().into_iter().flatten() {
        let Some(loan_id) = row["loan_id"].as_i64() else {
            continue;
        };
        let status = match row["status"].as_str() {
            Some("posted") => RowStatus::Posted,
            Some("replayed") => RowStatus::Replayed,
            Some("skipped") => RowStatus::Skipped,
            _ => RowStatus::Refused,
        };
        let part = |name: &str| row["allocation"][name].as_str().and_then(|s| Money::parse(s).ok());
        let allocation = match (part("penalties"), part("interest"), part("principal")) {
            (Some(penalties), Some(interest), Some(principal)) => Some(Allocation {
                penalties,
                interest,
                principal,
            }),
            _ => None,
        };
        let problem = row["errors"].as_array().map(|errors| {
            errors
                .iter()
                .filter_map(|e| e["message"].as_str())
                .collect::<Vec<_>>()
                .join("; ")
        });
        notes.insert(
            loan_id,
            RowNote {
                allocation,
                status: Some(status),
                problem,
            },
        );
    }
    notes
}

fn explain(e: &AppError, t: crate::i18n::Tr) -> String {
    match e {
        AppError::Invalid(errors) => errors.iter().map(|e| e.message(t)).collect::<Vec<_>>().join("; "),
        AppError::Conflict(code) => t.error(code).to_string(),
        _ => t.error("not_found").to_string(),
    }
}

/// The page's script sends the rows kept on the phone here: the API's batch, with the session
/// and the page's CSRF token (header `X-CSRF-Token`) instead of a bearer token.
pub async fn rows(
    state: State,
    user: PageUser,
    req: HttpRequest,
    id: web::Path<i64>,
    body: web::Bytes,
) -> AppResult<HttpResponse> {
    let token = req
        .headers()
        .get("x-csrf-token")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !secret::constant_time_eq(token, &user.csrf_token) {
        return Err(AppError::Forbidden);
    }
    let lang = user.page().t.lang;
    let body = amounts_as_typed(&body)?;
    let answer = post_collections(&state, user.user.clone(), id.into_inner(), &body, lang).await?;
    Ok(HttpResponse::Ok().json(answer))
}

/// The script sends amounts as she typed them ("60,50"): read here as every page reads them, so
/// the rule lives in one place. What cannot be read is passed on for the batch to refuse.
fn amounts_as_typed(body: &[u8]) -> AppResult<Vec<u8>> {
    let mut value: Value = serde_json::from_slice(body).map_err(|_| AppError::MalformedBody)?;
    if let Some(rows) = value.get_mut("rows").and_then(Value::as_array_mut) {
        for row in rows {
            if let Some(amount) = row.get_mut("amount") {
                if let Some(read) = amount.as_str().and_then(|typed| parse_as_typed(typed).ok()) {
                    *amount = Value::String(read.to_string());
                }
            }
        }
    }
    Ok(value.to_string().into_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_batch_answer_is_read_back_row_by_row() {
        let answer = json!({"rows": [
            {"loan_id": 3, "key": "a", "status": "posted", "repayment_id": 9,
             "allocation": {"penalties": "5.00", "interest": "1.00", "principal": "94.00"}},
            {"loan_id": 4, "key": "b", "status": "refused",
             "errors": [{"field": "rows[1].amount", "code": "x", "message": "too much"}]},
        ], "posted_total": "100.00"});
        let notes = outcome_of(&answer);
        assert_eq!(notes[&3].status, Some(RowStatus::Posted));
        assert_eq!(notes[&3].allocation.unwrap().principal, Money::from_centimos(9400));
        assert_eq!(notes[&4].status, Some(RowStatus::Refused));
        assert_eq!(notes[&4].problem.as_deref(), Some("too much"));
    }

    #[test]
    fn the_script_s_amounts_are_read_as_typed_and_the_unreadable_passed_on() {
        let body = br#"{"date":"2026-11-30","rows":[{"amount":"60,50"},{"amount":"1.234"},{"amount":"x"}]}"#;
        let read: Value = serde_json::from_slice(&amounts_as_typed(body).unwrap()).unwrap();
        assert_eq!(read["rows"][0]["amount"], "60.50");
        assert_eq!(
            read["rows"][1]["amount"], "1.234",
            "ambiguous: left for the batch to refuse"
        );
        assert_eq!(read["rows"][2]["amount"], "x");
    }
}
