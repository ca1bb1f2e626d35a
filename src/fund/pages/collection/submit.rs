//! The sheet sent: checked first (how each row would be split, what would be refused, whether
//! the cash counted matches), then posted as one batch, and the answer shown row by row.

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use serde_json::{json, Value};

use super::{load, page, RowNote, Step, Wanted};
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, Action};
use crate::error::{AppError, AppResult, FieldError};
use crate::fund::allocation::Allocation;
use crate::fund::collection::api::{post_collections, sheet_date};
use crate::fund::collection::{difference, RowStatus, Sheet};
use crate::fund::input::RepaymentInput;
use crate::fund::pages::{matches_seal, seal, Form, SEAL_FIELD};
use crate::fund::repayments::preview_repayment;
use crate::money::{parse_as_typed, Money};
use crate::web::form::FormState;
use crate::web::{id_param, render, State};

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
    // What the group hears: every payment of this sheet that is in the books, whether this
    // sending posted it or an earlier one did (a reload, the phone's queue).
    let recorded: Vec<&TypedRow> = rows
        .iter()
        .filter(|r| outcome.get(&r.0).and_then(|n| n.status).is_some_and(RowStatus::counted))
        .collect();
    let (count, total) = (recorded.len(), recorded.iter().map(|r| r.1).sum::<Money>());
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
}
