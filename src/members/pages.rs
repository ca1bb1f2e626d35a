//! Members' pages: list and search, register, edit, her record, export, anonymise.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde::Deserialize;

use super::fields::{Language, Sex};
use super::input::MemberChanges;
use super::model::{Member, MemberFilter, MemberView};
use super::service;
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, can, committee_scope, is_staff, member_scope, organization_scope, Action};
use crate::committee::model::CommitteeAction;
use crate::committee::service::{action_views, ActionView};
use crate::error::{AppError, AppResult};
use crate::fund::balance::{balance_of, MemberBalance};
use crate::fund::model::Loan;
use crate::organizations::Organization;
use crate::web::done::{see_done, Done};
use crate::web::form::FormState;
use crate::web::page::Page;
use crate::web::routes::Routes;
use crate::web::{paging, render, see_other, State};

const PAGE_SIZE: i64 = 25;

#[derive(Template)]
#[template(path = "members/list.html")]
struct ListPage {
    page: Page,
    members: Vec<Member>,
    organizations: Vec<Organization>,
    q: String,
    organization_id: Option<i64>,
    total: i64,
    previous: Option<i64>,
    next: Option<i64>,
}

impl ListPage {
    fn is_selected(&self, organization_id: &i64) -> bool {
        self.organization_id == Some(*organization_id)
    }
}

#[derive(Deserialize)]
pub struct ListQuery {
    q: Option<String>,
    organization_id: Option<String>,
    offset: Option<String>,
}

pub async fn list(state: State, user: PageUser, query: web::Query<ListQuery>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ReadMembers)?;
    let (_, offset) = paging(None, query.offset.as_deref())?;
    let organization_id = query.organization_id.as_deref().and_then(|v| v.parse::<i64>().ok());
    let filter = MemberFilter {
        text: query.q.clone(),
        organization_id,
    };
    let scope = member_scope(&user.user);
    let org_scope = organization_scope(&user.user);
    let (members, total, organizations) = state
        .db
        .read(move |conn| {
            let (members, total) = Member::search(conn, &scope, &filter, PAGE_SIZE, offset)?;
            Ok((members, total, Organization::list(conn, &org_scope)?))
        })
        .await?;
    let page = ListPage {
        page: user.page(),
        members,
        organizations,
        q: query.q.clone().unwrap_or_default(),
        organization_id,
        total,
        previous: (offset > 0).then(|| (offset - PAGE_SIZE).max(0)),
        next: (offset.saturating_add(PAGE_SIZE) < total).then_some(offset.saturating_add(PAGE_SIZE)),
    };
    render(StatusCode::OK, &page)
}

#[derive(Template)]
#[template(path = "members/form.html")]
struct FormPage {
    page: Page,
    /// `None` when registering a new member.
    member_id: Option<i64>,
    form: FormState,
    organizations: Vec<Organization>,
    sexes: &'static [Sex],
    languages: &'static [Language],
}

async fn form_page(
    state: &State,
    user: &PageUser,
    member_id: Option<i64>,
    form: FormState,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let scope = organization_scope(&user.user);
    let organizations = state.db.read(move |conn| Organization::list(conn, &scope)).await?;
    render(
        status,
        &FormPage {
            page: user.page(),
            member_id,
            form,
            organizations,
            sexes: Sex::ALL,
            languages: Language::ALL,
        },
    )
}

pub async fn new_form(state: State, user: PageUser) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::WriteMembers)?;
    let mut form = FormState::default();
    form.set("language", "es");
    form_page(&state, &user, None, form, StatusCode::OK).await
}

/// Re-shows the form with its messages for a validation error; other errors go up.
async fn reshow(
    state: &State,
    user: &PageUser,
    member_id: Option<i64>,
    pairs: Vec<(String, String)>,
    error: AppError,
) -> AppResult<HttpResponse> {
    match error.field_errors() {
        Some(errors) => {
            let form = FormState::new(pairs).with_errors(user.page().t, errors);
            form_page(state, user, member_id, form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        None => Err(error),
    }
}

pub async fn create(state: State, user: PageUser, form: web::Form<Vec<(String, String)>>) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user.user, Action::WriteMembers)?;
    let pairs = form.into_inner();
    let input = user.verify(pairs.clone())?;
    let changes = match MemberChanges::parse(&input, true, today) {
        Ok(changes) => changes,
        Err(errors) => return reshow(&state, &user, None, pairs, AppError::Invalid(errors)).await,
    };
    let actor = user.user.clone();
    match state.db.write(move |conn| service::create(conn, &actor, changes)).await {
        Ok(created) => Ok(see_done(&format!("/members/{}", created.id), Done::MemberCreated)),
        Err(e) => reshow(&state, &user, None, pairs, e).await,
    }
}

#[derive(Template)]
#[template(path = "members/detail.html")]
struct DetailPage {
    page: Page,
    member: MemberView,
    organizations: Vec<Organization>,
    /// Her loans and what she owes, when the viewer may see them (fund staff, or herself).
    loans: Option<(Vec<Loan>, MemberBalance)>,
    /// Committee actions she is responsible for.
    actions: Vec<ActionView>,
    /// The trainings on whose register she is, with how she was marked.
    trainings: Vec<crate::trainings::attendance::HistoryLine>,
    /// Funds (id, name) of her organisations the reader may request a loan from, for her.
    lending_funds: Vec<(i64, String)>,
    /// Those of `trainings` the reader may open.
    readable_trainings: Vec<i64>,
}

impl DetailPage {
    fn topic_name<'a>(&self, line: &'a crate::trainings::attendance::HistoryLine) -> &'a str {
        line.topic_name(&self.page.t)
    }

    fn may_open_training(&self, id: &i64) -> bool {
        self.readable_trainings.contains(id)
    }
}

pub async fn detail(state: State, user: PageUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user.user, Action::ReadMembers)?;
    let id = id.into_inner();
    let actor = user.user.clone();
    let sees_loans = can(&actor, Action::ReadLoans);
    let may_lend = can(&actor, Action::WriteLoans);
    // Staff opening her page is recorded (a read of personal data); her own visit is a plain read,
    // so it does not wait for the writer.
    let audited = is_staff(&actor);
    let is_herself = actor.member_id == Some(id);
    let gather = move |conn: &mut crate::db::DbConn| {
        let (_, view) = service::show(conn, &actor, id)?;
        let organizations = Organization::all(conn)?
            .into_iter()
            .filter(|o| view.organization_ids.contains(&o.id))
            .collect();
        let loans = match sees_loans {
            true => {
                let loans = Loan::of_member(conn, id)?;
                let balance = balance_of(conn, id, &loans, today)?;
                Some((loans, balance))
            }
            false => None,
        };
        // The funds of her organisations that the reader may lend from.
        let lending_funds = match may_lend {
            true => crate::fund::model::Fund::list(conn, &crate::auth::policy::fund_scope(&actor))?
                .into_iter()
                .filter(|f| view.organization_ids.contains(&f.organization_id))
                .map(|f| (f.id, f.name))
                .collect(),
            false => Vec::new(),
        };
        // Her committee actions, as far as the reader reaches them.
        let actions = CommitteeAction::of_responsible(conn, &committee_scope(&actor), id)?;
        let actions = action_views(conn, &actions, today)?;
        let trainings = crate::trainings::attendance::history(conn, id)?;
        // Links only to the trainings the reader may open (a coordinator does not reach a
        // workshop held with another organisation).
        let scope = crate::auth::policy::training_scope(&actor);
        let ids: Vec<i64> = trainings.iter().map(|l| l.training_id).collect();
        let readable = crate::trainings::model::Training::readable(conn, &scope, ids)?;
        Ok((
            view,
            organizations,
            (loans, lending_funds),
            actions,
            (trainings, readable),
        ))
    };
    let (member, organizations, (loans, lending_funds), actions, (trainings, readable_trainings)) = match audited {
        true => state.db.write(gather).await?,
        // Her own page: a few rows that are hers.
        false if is_herself => state.db.read_own(gather).await?,
        false => state.db.read(gather).await?,
    };
    render(
        StatusCode::OK,
        &DetailPage {
            page: user.page(),
            member,
            organizations,
            loans,
            actions,
            trainings,
            readable_trainings,
            lending_funds,
        },
    )
}

pub async fn edit_form(state: State, user: PageUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::WriteMembers)?;
    let id = id.into_inner();
    let scope = member_scope(&user.user);
    let (member, orgs) = state
        .db
        .read(move |conn| {
            Ok((
                Member::find_scoped(conn, &scope, id)?,
                Member::organization_ids(conn, id)?,
            ))
        })
        .await?;
    if member.anonymized_at.is_some() {
        return Err(AppError::Conflict("member_anonymized"));
    }
    let mut form = FormState::default();
    form.set("first_name", &member.first_name);
    form.set("last_name", &member.last_name);
    form.set("dni", member.dni.clone().unwrap_or_default());
    form.set("sex", &member.sex);
    form.set(
        "birth_date",
        member.birth_date.map(|d| d.to_string()).unwrap_or_default(),
    );
    form.set("phone", member.phone.clone().unwrap_or_default());
    form.set("email", member.email.clone().unwrap_or_default());
    form.set("language", &member.language);
    for org in orgs {
        form.set("organization_ids", org.to_string());
    }
    if member.sms_consent {
        form.set("consents.sms", "on");
    }
    if member.email_consent {
        form.set("consents.email", "on");
    }
    form_page(&state, &user, Some(id), form, StatusCode::OK).await
}

pub async fn update(
    state: State,
    user: PageUser,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user.user, Action::WriteMembers)?;
    let id = id.into_inner();
    let pairs = form.into_inner();
    let input = user.verify(pairs.clone())?;
    // The form always sends every field, so parse it like a creation and apply it whole.
    let changes = match MemberChanges::parse(&input, true, today) {
        Ok(changes) => changes,
        Err(errors) => return reshow(&state, &user, Some(id), pairs, AppError::Invalid(errors)).await,
    };
    let actor = user.user.clone();
    match state
        .db
        .write(move |conn| service::update(conn, &actor, id, changes))
        .await
    {
        Ok(_) => Ok(see_done(&format!("/members/{id}"), Done::MemberSaved)),
        Err(e) => reshow(&state, &user, Some(id), pairs, e).await,
    }
}

pub async fn export(state: State, user: PageUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let (id, today) = (id.into_inner(), state.clock.today());
    let actor = user.user.clone();
    let document = state
        .db
        .write(move |conn| service::export(conn, &actor, id, today))
        .await?;
    Ok(HttpResponse::Ok()
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"pallay-member-{id}.json\""),
        ))
        .json(document))
}

pub async fn anonymize(
    state: State,
    user: PageUser,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::AnonymizeMember)?;
    let input = user.verify(form.into_inner())?;
    let id = id.into_inner();
    if input.value("confirm") != Some("yes") {
        return Ok(see_other(&format!("/members/{id}")));
    }
    let actor = user.user.clone();
    state.db.write(move |conn| service::anonymize(conn, &actor, id)).await?;
    Ok(see_done(&format!("/members/{id}"), Done::MemberAnonymized))
}

/// This part's pages.
pub fn routes() -> Routes {
    Routes::new()
        .get("/members", list)
        .post("/members", create)
        .get("/members/new", new_form)
        .get("/members/{id}", detail)
        .post("/members/{id}", update)
        .get("/members/{id}/edit", edit_form)
        .get("/members/{id}/export.json", export)
        .post("/members/{id}/anonymize", anonymize)
        .merge(super::own::routes())
}
