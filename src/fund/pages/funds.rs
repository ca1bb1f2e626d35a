//! The fund's own pages: the list of funds, a fund's dashboard with its portfolio, contributions
//! and the journal.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::{form_fingerprint, once_key, problem};
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, fund_scope, organization_scope, Action};
use crate::auth::secret;
use crate::error::{AppError, AppResult};
use crate::fund::closing::{self, Closure};
use crate::fund::grading::SBS;
use crate::fund::input::{ContributionInput, FundInput};
use crate::fund::journal::{trial_balance, TrialBalance};
use crate::fund::journal_listing::{entries, EntryView};
use crate::fund::model::{Fund, Loan, LoanFilter, LoanStatus};
use crate::fund::portfolio::{Bucket, Portfolio};
use crate::fund::service::{self};
use crate::fund::view::{fund_view, FundView};
use crate::idempotency;
use crate::members::model::Member;
use crate::organizations::Organization;
use crate::web::done::{see_done, Done};
use crate::web::form::{read_as_typed, FormState};
use crate::web::page::Page;
use crate::web::{render, State};

#[derive(Template)]
#[template(path = "fund/list.html")]
struct ListPage {
    page: Page,
    funds: Vec<FundView>,
    organizations: Vec<Organization>,
    form: FormState,
}

async fn list_page(state: &State, user: &PageUser, form: FormState, status: StatusCode) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    let (scope, org_scope) = (fund_scope(&user.user), organization_scope(&user.user));
    let (funds, organizations) = state
        .db
        .read(move |conn| {
            let funds = Fund::list(conn, &scope)?;
            let views = funds
                .iter()
                .map(|f| fund_view(conn, f, today))
                .collect::<AppResult<Vec<_>>>()?;
            Ok((views, Organization::list(conn, &org_scope)?))
        })
        .await?;
    render(
        status,
        &ListPage {
            page: user.page(),
            funds,
            organizations,
            form,
        },
    )
}

pub async fn list(state: State, user: PageUser) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ReadFunds)?;
    list_page(&state, &user, FormState::default(), StatusCode::OK).await
}

pub async fn create(state: State, user: PageUser, form: web::Form<Vec<(String, String)>>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ManageFunds)?;
    let pairs = form.into_inner();
    let input = user.verify(read_as_typed(&pairs))?;
    let actor = user.user.clone();
    let result = match FundInput::parse(&input) {
        Ok(parsed) => {
            state
                .db
                .write(move |conn| service::create_fund(conn, &actor, parsed))
                .await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(fund) => Ok(see_done(&format!("/funds/{}", fund.id), Done::FundCreated)),
        Err(AppError::Invalid(errors)) => {
            let form = FormState::new(pairs).with_errors(user.page().t, &errors);
            list_page(&state, &user, form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "fund/dashboard.html")]
struct DashboardPage {
    page: Page,
    fund: FundView,
    portfolio: Portfolio,
    /// SBS grades in their order, for the arrears table.
    grades: Vec<(&'static str, Bucket)>,
    /// A screenful of the loans asked for, newest first, with the borrower's name.
    loans: Vec<(Loan, String)>,
    /// Offsets of the newer and the older screenful, when there are such loans.
    newer: Option<i64>,
    older: Option<i64>,
    /// The closure of the books that holds, if any.
    closure: Option<Closure>,
    status: String,
    q: String,
    statuses: &'static [LoanStatus],
    /// The date the figures and the portfolio are for (today unless asked).
    as_of: String,
    form: FormState,
    message: Option<String>,
    once: String,
}

#[derive(Deserialize)]
pub struct DashboardQuery {
    status: Option<String>,
    as_of: Option<String>,
    /// Part of the borrower's name or DNI, case and accents ignored.
    q: Option<String>,
    /// How many of the newest loans to skip (the links to older and newer ones).
    offset: Option<String>,
}

impl DashboardQuery {
    /// A readable `as_of`; anything else means today (the form offers a date picker).
    fn as_deref_as_of(&self) -> Option<NaiveDate> {
        self.as_of.as_deref().and_then(|d| crate::input::parse_date(d).ok())
    }
}

/// Which of the fund's loans its page lists, and the date its figures are for.
pub(super) struct Listing {
    status: Option<LoanStatus>,
    as_of: NaiveDate,
    /// Part of the borrower's name or DNI; empty for all.
    name: String,
    /// How many of the newest loans to skip (a multiple of [`LOANS_PER_PAGE`]).
    offset: i64,
}

impl Listing {
    /// The page as it opens: every loan, newest first, today's figures.
    pub(super) fn today(today: NaiveDate) -> Listing {
        Listing {
            status: None,
            as_of: today,
            name: String::new(),
            offset: 0,
        }
    }
}

/// A screenful of loans on the fund's page; links lead to the older ones.
const LOANS_PER_PAGE: i64 = 25;

pub(super) async fn dashboard_page(
    state: &State,
    user: &PageUser,
    id: i64,
    listing: Listing,
    problem: (StatusCode, FormState, Option<String>),
) -> AppResult<HttpResponse> {
    let scope = fund_scope(&user.user);
    let filter = LoanFilter {
        fund_id: id,
        status: listing.status,
        member_id: None,
        borrower: Some(listing.name.clone()),
    };
    let (as_of, offset) = (listing.as_of, listing.offset);
    let kept = state.clone();
    let (fund, portfolio, (mut loans, names), closure) = state
        .db
        .read(move |conn| {
            let fund = Fund::find_scoped(conn, &scope, id)?;
            // One more than a screenful: whether there are older ones.
            let loans = Loan::newest(conn, &filter, LOANS_PER_PAGE + 1, offset)?;
            let ids: Vec<i64> = loans.iter().map(|l| l.member_id).collect();
            let names = Member::names(conn, &ids)?;
            let closure = closing::holding(conn, id)?;
            Ok((
                fund_view(conn, &fund, as_of)?,
                kept.portfolios.portfolio(conn, id, as_of)?,
                (loans, names),
                closure,
            ))
        })
        .await?;
    let older = loans.len() as i64 > LOANS_PER_PAGE;
    loans.truncate(LOANS_PER_PAGE as usize);
    let loans = loans
        .into_iter()
        .map(|loan| {
            let name = names
                .iter()
                .find(|(id, _)| *id == loan.member_id)
                .map(|(_, n)| n.clone());
            (loan, name.unwrap_or_default())
        })
        .collect();
    let (status, form, message) = problem;
    let grades = SBS
        .iter()
        .map(|(name, _, _)| (*name, portfolio.sbs.get(name).copied().unwrap_or_default()))
        .collect();
    let page = DashboardPage {
        page: user.page(),
        fund,
        closure,
        portfolio,
        grades,
        loans,
        newer: (offset > 0).then(|| (offset - LOANS_PER_PAGE).max(0)),
        older: older.then_some(offset.saturating_add(LOANS_PER_PAGE)),
        status: listing.status.map(|s| s.as_str().to_string()).unwrap_or_default(),
        q: listing.name,
        statuses: LoanStatus::ALL,
        as_of: as_of.to_string(),
        form,
        message,
        once: secret::generate(),
    };
    render(status, &page)
}

pub async fn dashboard(
    state: State,
    user: PageUser,
    id: web::Path<i64>,
    query: web::Query<DashboardQuery>,
) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ReadFunds)?;
    let status = query
        .status
        .as_deref()
        .filter(|s| !s.is_empty())
        .and_then(|s| LoanStatus::parse(s).ok());
    let as_of = query.as_deref_as_of().unwrap_or_else(|| state.clock.today());
    let (_, offset) = crate::web::paging(None, query.offset.as_deref())?;
    let listing = Listing {
        status,
        as_of,
        name: query.q.clone().unwrap_or_default(),
        offset,
    };
    dashboard_page(
        &state,
        &user,
        id.into_inner(),
        listing,
        (StatusCode::OK, FormState::default(), None),
    )
    .await
}

pub async fn contribute(
    state: State,
    user: PageUser,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user.user, Action::WriteLoans)?;
    let id = id.into_inner();
    let pairs = form.into_inner();
    let input = user.verify(read_as_typed(&pairs))?;
    let result = match ContributionInput::parse(&input, today) {
        Ok(parsed) => {
            let actor = user.user.clone();
            let route = format!("/funds/{id}/contributions");
            idempotency::once(
                &state.db,
                actor.id,
                route,
                once_key(&input),
                &form_fingerprint(&pairs),
                StatusCode::CREATED,
                move |conn| service::contribute(conn, &actor, id, parsed),
            )
            .await
            .map(|_| ())
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(()) => Ok(see_done(&format!("/funds/{id}"), Done::ContributionRecorded)),
        Err(e) => match problem(&e, &user.page(), pairs) {
            Some(p) => dashboard_page(&state, &user, id, Listing::today(today), p).await,
            None => Err(e),
        },
    }
}

#[derive(Template)]
#[template(path = "fund/journal.html")]
struct JournalPage {
    page: Page,
    fund: FundView,
    trial: TrialBalance,
    entries: Vec<EntryView>,
    total: i64,
}

pub async fn journal(state: State, user: PageUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user.user, Action::ReadFunds)?;
    let (scope, id) = (fund_scope(&user.user), id.into_inner());
    let (fund, trial, (entries, total)) = state
        .db
        .read(move |conn| {
            let fund = Fund::find_scoped(conn, &scope, id)?;
            Ok((
                fund_view(conn, &fund, today)?,
                trial_balance(conn, id, today)?,
                entries(conn, id, None, None, 500, 0)?,
            ))
        })
        .await?;
    render(
        StatusCode::OK,
        &JournalPage {
            page: user.page(),
            fund,
            trial,
            entries,
            total,
        },
    )
}
