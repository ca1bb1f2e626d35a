//! The collection sheet at the meeting: every borrower on one page, what each paid typed in one
//! go, checked (allocation per row, total, cash counted) and then posted, each row a repayment of
//! its own. Printed, the same page is the paper sheet for the day the phone dies.
//!
//! Without JavaScript this is an ordinary form. With it, `static/pallay.js` keeps each filled row
//! on the phone and sends it through `rows` when there is a signal (see README, "The meeting").

mod script;
mod submit;

use std::collections::BTreeMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, can, organization_scope, Action, Scope};
use crate::auth::secret;
use crate::error::AppResult;
use crate::fund::allocation::Allocation;
use crate::fund::collection::api::sheet_date;
use crate::fund::collection::{sheet, RowStatus, Sheet, SheetRow};
use crate::input::fold_for_search;
use crate::money::{parse_as_typed, Money};
use crate::organizations::Organization;
use crate::web::form::FormState;
use crate::web::page::Page;
use crate::web::{id_param, render, State};

pub use script::rows;
pub use submit::submit;

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
