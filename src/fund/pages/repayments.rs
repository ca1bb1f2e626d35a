//! Every repayment of a loan, a page at a time (its page shows only the latest).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, can, loan_scope, Action, Scope};
use crate::auth::secret;
use crate::error::AppResult;
use crate::fund::model::Loan;
use crate::fund::view::{repayments_page, RepaymentItem};
use crate::members::model::Member;
use crate::web::page::Page;
use crate::web::{render, State};

/// How many repayments a page of the list shows.
const PER_PAGE: i64 = 50;

#[derive(Template)]
#[template(path = "fund/repayments.html")]
struct RepaymentsPage {
    page: Page,
    loan_id: i64,
    borrower: String,
    rows: Vec<RepaymentItem>,
    total: i64,
    first: i64,
    last: i64,
    newer: Option<i64>,
    older: Option<i64>,
    may_reverse: bool,
    once: String,
}

#[derive(serde::Deserialize)]
pub struct RepaymentsQuery {
    offset: Option<String>,
}

/// Every repayment of a loan, newest first, a page at a time.
pub async fn repayments(
    state: State,
    user: PageUser,
    id: web::Path<i64>,
    query: web::Query<RepaymentsQuery>,
) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ReadLoans)?;
    let offset = query
        .offset
        .as_deref()
        .and_then(|o| o.parse::<i64>().ok())
        .unwrap_or(0)
        .max(0);
    let (scope, id) = (loan_scope(&user.user), id.into_inner());
    let (loan, borrower, (rows, total)) = state
        .db
        .read(move |conn| {
            let loan = Loan::find_scoped(conn, &scope, id)?;
            let borrower = Member::find_scoped(conn, &Scope::All, loan.member_id)?.full_name();
            let page = repayments_page(conn, loan.id, PER_PAGE, offset)?;
            Ok((loan, borrower, page))
        })
        .await?;
    let shown = rows.len() as i64;
    let page = RepaymentsPage {
        page: user.page(),
        loan_id: loan.id,
        borrower,
        first: if shown == 0 { 0 } else { offset.saturating_add(1) },
        last: offset.saturating_add(shown),
        newer: (offset > 0).then(|| (offset - PER_PAGE).max(0)),
        older: (offset.saturating_add(shown) < total).then_some(offset.saturating_add(PER_PAGE)),
        rows,
        total,
        may_reverse: can(&user.user, Action::WriteLoans) && matches!(loan.status.as_str(), "disbursed" | "repaid"),
        once: secret::generate(),
    };
    render(StatusCode::OK, &page)
}
