//! The fund's pages for coordinators: funds, a fund's dashboard, the journal, requesting a loan
//! (with its schedule shown before it is saved), and the loan page with its actions. Every form
//! that moves money carries a one-time key, so a double click or a resubmitted page posts once,
//! and a repayment shows its allocation for confirmation before it is posted.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use chrono::NaiveDate;
use serde::Deserialize;

use super::allocation::Allocation;
use super::input::{parse_dated, parse_reason, ContributionInput, FundInput, LoanRequest, RepaymentInput};
use super::journal::{balances, entries, AccountBalance, EntryView};
use super::model::{Fund, Loan, LoanFilter, LoanStatus};
use super::portfolio::{portfolio, Bucket, Portfolio, SBS};
use super::schedule::{schedule, Frequency, InterestMethod, Line};
use super::service::{self, Decision};
use super::view::{fund_view, loan_view, FundView, LoanView};
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, can, fund_scope, loan_scope, organization_scope, Action, Role, Scope};
use crate::auth::secret;
use crate::error::{AppError, AppResult};
use crate::idempotency;
use crate::input::FormInput;
use crate::members::model::{Member, MemberFilter};
use crate::organizations::Organization;
use crate::web::form::FormState;
use crate::web::page::Page;
use crate::web::{render, see_other, State};

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
    let input = user.verify(pairs.clone())?;
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
        Ok(fund) => Ok(see_other(&format!("/funds/{}", fund.id))),
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
    loans: Vec<(Loan, String)>,
    status: String,
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
}

impl DashboardQuery {
    /// A readable `as_of`; anything else means today (the form offers a date picker).
    fn as_deref_as_of(&self) -> Option<NaiveDate> {
        self.as_of.as_deref().and_then(|d| crate::input::parse_date(d).ok())
    }
}

async fn dashboard_page(
    state: &State,
    user: &PageUser,
    id: i64,
    (status_filter, as_of): (Option<LoanStatus>, NaiveDate),
    problem: (StatusCode, FormState, Option<String>),
) -> AppResult<HttpResponse> {
    let scope = fund_scope(&user.user);
    let (fund, portfolio, loans) = state
        .db
        .read(move |conn| {
            let fund = Fund::find_scoped(conn, &scope, id)?;
            let filter = LoanFilter {
                fund_id: id,
                status: status_filter,
                member_id: None,
            };
            let (loans, _) = Loan::list(conn, &filter, crate::web::MAX_LIMIT, 0)?;
            let ids: Vec<i64> = loans.iter().map(|l| l.member_id).collect();
            let names = Member::names(conn, &ids)?;
            let named = loans
                .into_iter()
                .map(|loan| {
                    let name = names
                        .iter()
                        .find(|(id, _)| *id == loan.member_id)
                        .map(|(_, n)| n.clone());
                    (loan, name.unwrap_or_default())
                })
                .collect();
            Ok((fund_view(conn, &fund, as_of)?, portfolio(conn, id, as_of)?, named))
        })
        .await?;
    let (status, form, message) = problem;
    let grades = SBS
        .iter()
        .map(|(name, _, _)| (*name, portfolio.sbs.get(name).copied().unwrap_or_default()))
        .collect();
    let page = DashboardPage {
        page: user.page(),
        fund,
        portfolio,
        grades,
        loans,
        status: status_filter.map(|s| s.as_str().to_string()).unwrap_or_default(),
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
    dashboard_page(
        &state,
        &user,
        id.into_inner(),
        (status, as_of),
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
    let input = user.verify(pairs.clone())?;
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
        Ok(()) => Ok(see_other(&format!("/funds/{id}"))),
        Err(e) => match problem(&e, &user.page(), pairs) {
            Some(p) => dashboard_page(&state, &user, id, (None, today), p).await,
            None => Err(e),
        },
    }
}

#[derive(Template)]
#[template(path = "fund/journal.html")]
struct JournalPage {
    page: Page,
    fund: FundView,
    accounts: Vec<AccountBalance>,
    entries: Vec<EntryView>,
    total: i64,
}

pub async fn journal(state: State, user: PageUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user.user, Action::ReadFunds)?;
    let (scope, id) = (fund_scope(&user.user), id.into_inner());
    let (fund, accounts, (entries, total)) = state
        .db
        .read(move |conn| {
            let fund = Fund::find_scoped(conn, &scope, id)?;
            Ok((
                fund_view(conn, &fund, today)?,
                balances(conn, id, today)?,
                entries(conn, id, None, None, 500, 0)?,
            ))
        })
        .await?;
    render(
        StatusCode::OK,
        &JournalPage {
            page: user.page(),
            fund,
            accounts,
            entries,
            total,
        },
    )
}

#[derive(Template)]
#[template(path = "fund/request.html")]
struct RequestPage {
    page: Page,
    fund: FundView,
    members: Vec<Member>,
    form: FormState,
    methods: &'static [InterestMethod],
    frequencies: &'static [Frequency],
    /// The schedule to confirm, once the form is valid.
    preview: Option<Vec<Line>>,
}

#[derive(Deserialize)]
pub struct RequestQuery {
    fund_id: i64,
}

async fn request_page(
    state: &State,
    user: &PageUser,
    fund_id: i64,
    form: FormState,
    preview: Option<Vec<Line>>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    let scope = fund_scope(&user.user);
    let (fund, members) = state
        .db
        .read(move |conn| {
            let fund = Fund::find_scoped(conn, &scope, fund_id)?;
            let filter = MemberFilter {
                text: None,
                organization_id: Some(fund.organization_id),
            };
            let (members, _) = Member::search(conn, &Scope::All, &filter, crate::web::MAX_LIMIT, 0)?;
            Ok((
                fund_view(conn, &fund, today)?,
                members.into_iter().filter(|m| m.anonymized_at.is_none()).collect(),
            ))
        })
        .await?;
    let page = RequestPage {
        page: user.page(),
        fund,
        members,
        form,
        methods: InterestMethod::ALL,
        frequencies: Frequency::ALL,
        preview,
    };
    render(status, &page)
}

pub async fn request_form(state: State, user: PageUser, query: web::Query<RequestQuery>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::WriteLoans)?;
    let mut form = FormState::default();
    for (k, v) in [
        ("interest_method", "flat"),
        ("frequency", "monthly"),
        ("rate_per_period", "0"),
        ("grace_periods", "0"),
    ] {
        form.set(k, v);
    }
    request_page(&state, &user, query.fund_id, form, None, StatusCode::OK).await
}

/// First post: the schedule is shown to confirm. Second post (`confirm=yes`): the request is saved.
pub async fn request(state: State, user: PageUser, form: web::Form<Vec<(String, String)>>) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user.user, Action::WriteLoans)?;
    let pairs = form.into_inner();
    let input = user.verify(pairs.clone())?;
    let fund_id = input
        .value("fund_id")
        .and_then(|v| v.parse::<i64>().ok())
        .ok_or(AppError::NotFound)?;
    let parsed = match LoanRequest::parse(&input) {
        Ok(parsed) => parsed,
        Err(errors) => {
            let form = FormState::new(pairs).with_errors(user.page().t, &errors);
            return request_page(&state, &user, fund_id, form, None, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
    };
    if input.value("confirm") != Some("yes") {
        let scope = fund_scope(&user.user);
        let unit = state
            .db
            .read(move |conn| Ok(Fund::find_scoped(conn, &scope, fund_id)?.rounding_unit()))
            .await?;
        let preview = schedule(&parsed.terms(unit));
        let mut form = FormState::new(pairs);
        form.set(ONCE_FIELD, secret::generate());
        return request_page(&state, &user, fund_id, form, Some(preview), StatusCode::OK).await;
    }
    let actor = user.user.clone();
    let result = idempotency::once(
        &state.db,
        actor.id,
        "/loans".into(),
        once_key(&input),
        &form_fingerprint(&pairs),
        StatusCode::CREATED,
        move |conn| service::request_loan(conn, &actor, parsed, today),
    )
    .await;
    match result {
        Ok((_, body)) => {
            let id = serde_json::from_str::<serde_json::Value>(&body)
                .ok()
                .and_then(|v| v["id"].as_i64())
                .unwrap_or_default();
            Ok(see_other(&format!("/loans/{id}")))
        }
        Err(AppError::Invalid(errors)) => {
            let form = FormState::new(pairs).with_errors(user.page().t, &errors);
            request_page(&state, &user, fund_id, form, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}

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
    may_write_off: bool,
}

async fn loan_page(
    state: &State,
    user: &PageUser,
    id: i64,
    problem: (StatusCode, FormState, Option<String>),
    confirm: Option<Allocation>,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    let scope = loan_scope(&user.user);
    let (loan, borrower) = state
        .db
        .read(move |conn| {
            let loan = Loan::find_scoped(conn, &scope, id)?;
            let borrower = Member::find_scoped(conn, &Scope::All, loan.member_id)?.full_name();
            Ok((loan_view(conn, &loan, today)?, borrower))
        })
        .await?;
    let (status, form, message) = problem;
    let page = LoanPage {
        page: user.page(),
        loan,
        borrower,
        form,
        message,
        confirm,
        once: secret::generate(),
        may_write: can(&user.user, Action::WriteLoans),
        may_write_off: can(&user.user, Action::WriteOffLoans),
    };
    render(status, &page)
}

pub async fn loan(state: State, user: PageUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    if !(can(&user.user, Action::ReadFunds) || user.user.role == Role::Member) {
        return Err(AppError::Forbidden);
    }
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
    let input = user.verify(pairs.clone())?;
    let actor = user.user.clone();
    let db = state.db.clone();
    let fingerprint = form_fingerprint(&pairs);
    let key = once_key(&input);
    let result: AppResult<()> = match action {
        LoanAction::Decide(decision) => db
            .write(move |conn| service::decide(conn, &actor, id, decision, today))
            .await
            .map(|_| ()),
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
            .map(|_| ()),
            Err(errors) => Err(AppError::Invalid(errors)),
        },
        LoanAction::Repay => match RepaymentInput::parse(&input, today) {
            Ok(repayment) if input.value("confirm") != Some("yes") => {
                // First step: show how it would be split, and ask to confirm.
                let preview = db
                    .read(move |conn| service::preview_repayment(conn, &actor, id, &repayment))
                    .await;
                return match preview {
                    Ok(allocation) => {
                        let mut form = FormState::new(pairs);
                        form.set(ONCE_FIELD, secret::generate());
                        loan_page(&state, &user, id, (StatusCode::OK, form, None), Some(allocation)).await
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
                move |conn| service::repay(conn, &actor, id, repayment, today),
            )
            .await
            .map(|_| ()),
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
                    move |conn| service::write_off(conn, &actor, id, date, reason, today),
                )
                .await
                .map(|_| ())
            }
            Err(errors) => Err(AppError::Invalid(errors)),
        },
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/loans/{id}"))),
        Err(e) => match problem(&e, &user.page(), pairs) {
            Some(p) => loan_page(&state, &user, id, p, None).await,
            None => Err(e),
        },
    }
}

type Form = web::Form<Vec<(String, String)>>;

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
                move |conn| service::reverse(conn, &actor, repayment_id, reason, today),
            )
            .await
            .map(|_| ())
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(()) => Ok(see_other(&format!("/loans/{loan_id}"))),
        Err(e) => match problem(&e, &user.page(), pairs) {
            Some(p) => loan_page(&state, &user, loan_id, p, None).await,
            None => Err(e),
        },
    }
}

/// This part's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/funds", web::get().to(list))
        .route("/funds", web::post().to(create))
        .route("/funds/{id}", web::get().to(dashboard))
        .route("/funds/{id}/contributions", web::post().to(contribute))
        .route("/funds/{id}/journal", web::get().to(journal))
        .route("/loans", web::post().to(request))
        .route("/loans/new", web::get().to(request_form))
        .route("/loans/{id}", web::get().to(loan))
        .route("/loans/{id}/approve", web::post().to(approve))
        .route("/loans/{id}/reject", web::post().to(reject))
        .route("/loans/{id}/cancel", web::post().to(cancel))
        .route("/loans/{id}/disburse", web::post().to(disburse))
        .route("/loans/{id}/repayments", web::post().to(repay))
        .route("/loans/{id}/write-off", web::post().to(write_off))
        .route("/repayments/{id}/reverse", web::post().to(reverse));
}
