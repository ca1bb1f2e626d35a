//! Requesting a loan: the form, the schedule shown before anything is saved, and the request.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::{form_fingerprint, matches_seal, once_key, seal, ONCE_FIELD, SEAL_FIELD};
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, fund_scope, Action, Scope};
use crate::auth::secret;
use crate::error::{AppError, AppResult};
use crate::fund::input::LoanRequest;
use crate::fund::model::Fund;
use crate::fund::schedule::{check_terms, schedule, Frequency, InterestMethod, Line};
use crate::fund::service::{self};
use crate::fund::view::{fund_view, FundView};
use crate::idempotency;
use crate::members::model::{Member, MemberFilter};
use crate::web::done::{see_done, Done};
use crate::web::form::{read_as_typed, FormState};
use crate::web::page::Page;
use crate::web::{render, State};

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
    /// The form changed after its preview was shown (so it was shown again, not saved).
    changed: bool,
    /// The amount and rate as the rules read them, for the summary above the schedule.
    typed_principal: String,
    typed_rate: String,
}

#[derive(Deserialize)]
pub struct RequestQuery {
    fund_id: i64,
    /// The borrower, chosen already (the member's page links here with her).
    member_id: Option<i64>,
}

async fn request_page(
    state: &State,
    user: &PageUser,
    fund_id: i64,
    form: FormState,
    preview: Option<(Vec<Line>, bool)>,
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
    let typed = crate::web::form::read_as_typed(&[
        ("principal".to_string(), form.value("principal").to_string()),
        ("rate_per_period".to_string(), form.value("rate_per_period").to_string()),
    ]);
    let changed = preview.as_ref().is_some_and(|(_, changed)| *changed);
    let page = RequestPage {
        page: user.page(),
        fund,
        members,
        methods: InterestMethod::ALL,
        frequencies: Frequency::ALL,
        preview: preview.map(|(lines, _)| lines),
        changed,
        typed_principal: typed[0].1.clone(),
        typed_rate: typed[1].1.clone(),
        form,
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
    if let Some(member) = query.member_id {
        form.set("member_id", member.to_string());
    }
    request_page(&state, &user, query.fund_id, form, None, StatusCode::OK).await
}

/// First post: the schedule is shown to confirm, the details fixed. Second post (`confirm=yes`):
/// the request is saved, if the details are still those the schedule was computed from; else the
/// schedule of the new details is shown. `edit=yes` goes back to the form.
pub async fn request(state: State, user: PageUser, form: web::Form<Vec<(String, String)>>) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user.user, Action::WriteLoans)?;
    let pairs = form.into_inner();
    let input = user.verify(read_as_typed(&pairs))?;
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
    if input.value("edit") == Some("yes") {
        let form = FormState::new(pairs);
        return request_page(&state, &user, fund_id, form, None, StatusCode::OK).await;
    }
    let confirming = input.value("confirm") == Some("yes");
    let sealed = matches_seal(&user.csrf_token, &pairs);
    if !confirming || !sealed {
        let scope = fund_scope(&user.user);
        let unit = state
            .db
            .read(move |conn| Ok(Fund::find_scoped(conn, &scope, fund_id)?.rounding_unit()))
            .await?;
        let terms = parsed.terms(unit);
        let checked = crate::fund::input::check_first_due_date(parsed.first_due_date, state.clock.today())
            .map_err(|code| ("first_due_date", code))
            .and_then(|()| check_terms(&terms));
        if let Err((field, code)) = checked {
            let errors = [crate::error::FieldError::new(field, code)];
            let form = FormState::new(pairs).with_errors(user.page().t, &errors);
            return request_page(&state, &user, fund_id, form, None, StatusCode::UNPROCESSABLE_ENTITY).await;
        }
        let preview = schedule(&terms);
        let seal = seal(&user.csrf_token, &pairs);
        let mut form = FormState::new(pairs);
        form.set(ONCE_FIELD, secret::generate());
        form.set(SEAL_FIELD, seal);
        let changed = confirming;
        return request_page(&state, &user, fund_id, form, Some((preview, changed)), StatusCode::OK).await;
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
            Ok(see_done(&format!("/loans/{id}"), Done::LoanRequested))
        }
        Err(AppError::Invalid(errors)) => {
            let form = FormState::new(pairs).with_errors(user.page().t, &errors);
            request_page(&state, &user, fund_id, form, None, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}
