//! The trainings' pages: the list (with a new training and, for admins, a new topic), a
//! training's page (edit, cancel), its register as one form of radio buttons that works on a
//! phone, and the attendance report with its CSV and XLSX downloads.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::api::{ReportQuery, TrainingsQuery};
use super::export::{self, Line, ReportDocument};
use super::input::{parse_register_form, AttendanceStatus, CancelInput, TopicInput, TrainingInput};
use super::model::{topic_name, Topic, Training};
use super::report::Tally;
use super::service::{self, invited, register_view, training_view, RegisterEntry, ReportFilter, TrainingView};
use crate::auth::extract::PageUser;
use crate::auth::policy::{
    authorize, can, organization_scope, report_scope, report_shows_names, training_scope, Action,
};
use crate::clock::rfc3339;
use crate::error::{AppError, AppResult};
use crate::members::fields::Sex;
use crate::organizations::Organization;
use crate::web::form::FormState;
use crate::web::page::Page;
use crate::web::{render, see_other, State};

type Form = web::Form<Vec<(String, String)>>;

#[derive(Template)]
#[template(path = "trainings/list.html")]
struct ListPage {
    page: Page,
    trainings: Vec<TrainingView>,
    topics: Vec<Topic>,
    /// Organisations the user may invite (and filter by).
    organizations: Vec<Organization>,
    filter: FormState,
    /// "training" or "topic": which form the messages belong to.
    failed: String,
    form: FormState,
    may_manage_topics: bool,
}

impl ListPage {
    fn value(&self, name: &str) -> String {
        if self.failed == "training" {
            self.form.value(name).to_string()
        } else {
            String::new()
        }
    }

    fn error(&self, name: &str) -> Option<&str> {
        (self.failed == "training").then(|| self.form.error(name)).flatten()
    }

    fn invites(&self, id: &i64) -> bool {
        self.failed == "training" && self.form.has_id("organization_ids", id)
    }

    fn topic_name(&self, key: &str) -> String {
        topic_name(&self.topics, key, &self.page.t)
    }

    fn organization_names(&self, ids: &[i64]) -> String {
        ids.iter()
            .map(|id| {
                self.organizations
                    .iter()
                    .find(|o| o.id == *id)
                    .map_or_else(|| id.to_string(), |o| o.name.clone())
            })
            .collect::<Vec<_>>()
            .join(", ")
    }
}

async fn list_page(
    state: &State,
    user: &PageUser,
    query: &TrainingsQuery,
    failed: &str,
    form: FormState,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let filter = query.filter()?;
    let (scope, org_scope) = (training_scope(&user.user), organization_scope(&user.user));
    let (trainings, topics, organizations) = state
        .db
        .read(move |conn| {
            let trainings = Training::search(conn, &scope, &filter)?
                .into_iter()
                .take(crate::web::MAX_LIMIT as usize)
                .map(|(t, orgs)| training_view(conn, t, orgs))
                .collect::<AppResult<Vec<_>>>()?;
            Ok((trainings, Topic::all(conn)?, Organization::list(conn, &org_scope)?))
        })
        .await?;
    let filter = FormState::new(vec![
        ("from".into(), query.from.clone().unwrap_or_default()),
        ("to".into(), query.to.clone().unwrap_or_default()),
        ("topic".into(), query.topic.clone().unwrap_or_default()),
        (
            "organization_id".into(),
            query.organization_id.clone().unwrap_or_default(),
        ),
    ]);
    render(
        status,
        &ListPage {
            may_manage_topics: can(&user.user, Action::ManageTopics),
            page: user.page(),
            trainings,
            topics,
            organizations,
            filter,
            failed: failed.to_string(),
            form,
        },
    )
}

fn no_filter() -> TrainingsQuery {
    TrainingsQuery {
        from: None,
        to: None,
        topic: None,
        organization_id: None,
        limit: None,
        offset: None,
    }
}

pub async fn list(state: State, user: PageUser, query: web::Query<TrainingsQuery>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ReadTrainings)?;
    list_page(&state, &user, &query, "", FormState::default(), StatusCode::OK).await
}

pub async fn create(state: State, user: PageUser, form: Form) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::WriteTrainings)?;
    let pairs = form.into_inner();
    let input = user.verify(pairs.clone())?;
    let actor = user.user.clone();
    let result = match TrainingInput::parse(&input, true) {
        Ok(parsed) => {
            state
                .db
                .write(move |conn| service::create_training(conn, &actor, parsed))
                .await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(view) => Ok(see_other(&format!("/trainings/{}/attendance", view.training.id))),
        Err(AppError::Invalid(errors)) => {
            let form = FormState::new(pairs).with_errors(user.page().t, &errors);
            list_page(
                &state,
                &user,
                &no_filter(),
                "training",
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

pub async fn create_topic(state: State, user: PageUser, form: Form) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ManageTopics)?;
    let pairs = form.into_inner();
    let input = user.verify(pairs.clone())?;
    let actor = user.user.clone();
    let result = match TopicInput::parse(&input) {
        Ok(parsed) => {
            state
                .db
                .write(move |conn| service::create_topic(conn, &actor, parsed))
                .await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(see_other("/trainings")),
        Err(AppError::Invalid(errors)) => {
            let form = FormState::new(pairs).with_errors(user.page().t, &errors);
            list_page(
                &state,
                &user,
                &no_filter(),
                "topic",
                form,
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "trainings/detail.html")]
struct DetailPage {
    page: Page,
    training: TrainingView,
    register: Vec<RegisterEntry>,
    topics: Vec<Topic>,
    organizations: Vec<Organization>,
    /// "edit" or "cancel".
    failed: String,
    form: FormState,
}

impl DetailPage {
    fn topic_name(&self, key: &str) -> String {
        topic_name(&self.topics, key, &self.page.t)
    }

    fn organization_name(&self, id: &Option<i64>) -> String {
        id.map_or_else(String::new, |id| self.organization_name_of(&id))
    }

    fn organization_name_of(&self, id: &i64) -> String {
        self.organizations
            .iter()
            .find(|o| o.id == *id)
            .map_or_else(|| id.to_string(), |o| o.name.clone())
    }

    fn value(&self, name: &str) -> String {
        if self.failed == "edit" {
            return self.form.value(name).to_string();
        }
        let t = &self.training.training;
        match name {
            "title" => t.title.clone(),
            "topic" => t.topic.clone(),
            "date" => t.date.to_string(),
            "place" => t.place.clone().unwrap_or_default(),
            "facilitator" => t.facilitator.clone().unwrap_or_default(),
            "notes" => t.notes.clone().unwrap_or_default(),
            _ => String::new(),
        }
    }

    fn error(&self, name: &str) -> Option<&str> {
        (self.failed == "edit").then(|| self.form.error(name)).flatten()
    }

    fn invites(&self, id: &i64) -> bool {
        if self.failed == "edit" {
            self.form.has_id("organization_ids", id)
        } else {
            self.training.organization_ids.contains(id)
        }
    }
}

async fn detail_page(
    state: &State,
    user: &PageUser,
    id: i64,
    failed: &str,
    form: FormState,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let scope = training_scope(&user.user);
    let org_scope = organization_scope(&user.user);
    let (training, register, topics, organizations) = state
        .db
        .read(move |conn| {
            let (training, orgs) = Training::find_scoped(conn, &scope, id)?;
            let view = training_view(conn, training, orgs)?;
            let register = register_view(conn, id)?.entries;
            Ok((view, register, Topic::all(conn)?, Organization::list(conn, &org_scope)?))
        })
        .await?;
    render(
        status,
        &DetailPage {
            page: user.page(),
            training,
            register,
            topics,
            organizations,
            failed: failed.to_string(),
            form,
        },
    )
}

pub async fn detail(state: State, user: PageUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ReadTrainings)?;
    detail_page(&state, &user, id.into_inner(), "", FormState::default(), StatusCode::OK).await
}

/// Runs a form of a training's page: on success back to it, on bad input the page with the messages.
async fn post_detail<T: Send + 'static>(
    state: State,
    user: PageUser,
    id: i64,
    which: &str,
    pairs: Vec<(String, String)>,
    parse: impl FnOnce(&crate::input::FormInput) -> Result<T, Vec<crate::error::FieldError>>,
    write: impl FnOnce(&mut crate::db::DbConn, &crate::auth::policy::CurrentUser, T) -> AppResult<TrainingView>
        + Send
        + 'static,
) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::WriteTrainings)?;
    let input = user.verify(pairs.clone())?;
    let actor = user.user.clone();
    let result = match parse(&input) {
        Ok(parsed) => state.db.write(move |conn| write(conn, &actor, parsed)).await,
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/trainings/{id}"))),
        Err(AppError::Invalid(errors)) => {
            let form = FormState::new(pairs).with_errors(user.page().t, &errors);
            detail_page(&state, &user, id, which, form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}

pub async fn update(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    let (id, scope) = (id.into_inner(), training_scope(&user.user));
    post_detail(
        state,
        user,
        id,
        "edit",
        form.into_inner(),
        |i| TrainingInput::parse(i, true),
        move |conn, actor, input| service::update_training(conn, actor, &scope, id, input),
    )
    .await
}

pub async fn cancel(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    let (id, scope) = (id.into_inner(), training_scope(&user.user));
    post_detail(
        state,
        user,
        id,
        "cancel",
        form.into_inner(),
        |i| CancelInput::parse(i),
        move |conn, actor, input| service::cancel_training(conn, actor, &scope, id, input),
    )
    .await
}

/// One row of the register form.
pub struct RegisterRow {
    pub member_id: i64,
    pub name: String,
    pub status: String,
    pub error: Option<String>,
}

/// A guest row of the register form (existing guests, then blank rows).
pub struct GuestRow {
    pub n: usize,
    pub name: String,
    pub sex: String,
    pub organization_id: Option<i64>,
    pub status: String,
    pub error: Option<String>,
}

#[derive(Template)]
#[template(path = "trainings/register.html")]
struct RegisterPage {
    page: Page,
    training: TrainingView,
    topic: String,
    rows: Vec<RegisterRow>,
    guests: Vec<GuestRow>,
    organizations: Vec<Organization>,
    statuses: &'static [AttendanceStatus],
    sexes: &'static [Sex],
    form: FormState,
}

const BLANK_GUEST_ROWS: usize = 3;

async fn register_page(
    state: &State,
    user: &PageUser,
    id: i64,
    posted: Option<Vec<(String, String)>>,
    form: FormState,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let scope = training_scope(&user.user);
    let t = user.page().t;
    let (training, topic, rows, guests, organizations) = state
        .db
        .read(move |conn| {
            let (training, orgs) = Training::find_scoped(conn, &scope, id)?;
            let invited = invited(conn, id, &orgs)?;
            let view = training_view(conn, training, orgs)?;
            let register = register_view(conn, id)?.entries;
            let ids: Vec<i64> = invited.keys().copied().collect();
            let mut names = crate::members::model::Member::sort_names(conn, &ids)?;
            names.sort_by(|a, b| a.1.cmp(&b.1));
            let rows: Vec<RegisterRow> = names
                .into_iter()
                .map(|(member_id, name)| RegisterRow {
                    status: register
                        .iter()
                        .find(|e| e.member_id == Some(member_id))
                        .map_or_else(|| "absent".to_string(), |e| e.status.clone()),
                    member_id,
                    name,
                    error: None,
                })
                .collect();
            let mut guests: Vec<GuestRow> = register
                .iter()
                .filter(|e| e.member_id.is_none())
                .enumerate()
                .map(|(n, e)| GuestRow {
                    n,
                    name: e.name.clone(),
                    sex: e.sex.clone(),
                    organization_id: e.organization_id,
                    status: e.status.clone(),
                    error: None,
                })
                .collect();
            let first_blank = guests.len();
            guests.extend((0..BLANK_GUEST_ROWS).map(|i| GuestRow {
                n: first_blank + i,
                name: String::new(),
                sex: "undisclosed".into(),
                organization_id: None,
                status: "present".into(),
                error: None,
            }));
            let topic = topic_name(&Topic::all(conn)?, &view.training.topic, &t);
            Ok((view, topic, rows, guests, Organization::all(conn)?))
        })
        .await?;
    // After a refused save, show what was sent, not what is stored.
    let (rows, guests) = match posted {
        None => (rows, guests),
        Some(pairs) => {
            let sent = |key: String| pairs.iter().find(|(k, _)| *k == key).map(|(_, v)| v.clone());
            let rows = rows
                .into_iter()
                .map(|r| RegisterRow {
                    status: sent(format!("status_{}", r.member_id)).unwrap_or(r.status),
                    ..r
                })
                .collect();
            let count = pairs.iter().filter(|(k, _)| k.starts_with("guest_name_")).count();
            let guests = (0..count)
                .map(|n| GuestRow {
                    n,
                    name: sent(format!("guest_name_{n}")).unwrap_or_default(),
                    sex: sent(format!("guest_sex_{n}")).unwrap_or_default(),
                    organization_id: sent(format!("guest_organization_id_{n}")).and_then(|v| v.parse().ok()),
                    status: sent(format!("guest_status_{n}")).unwrap_or_default(),
                    error: None,
                })
                .collect();
            (rows, guests)
        }
    };
    // Each message beside the person it is about.
    let rows = rows
        .into_iter()
        .map(|r| RegisterRow {
            error: form.error(&format!("status_{}", r.member_id)).map(str::to_string),
            ..r
        })
        .collect();
    let guests = guests
        .into_iter()
        .map(|g| {
            let n = g.n;
            let error = ["name", "sex", "organization_id", "status"]
                .iter()
                .find_map(|f| form.error(&format!("guest_{f}_{n}")))
                .map(str::to_string);
            GuestRow { error, ..g }
        })
        .collect();
    render(
        status,
        &RegisterPage {
            page: user.page(),
            training,
            topic,
            rows,
            guests,
            organizations,
            statuses: AttendanceStatus::ALL,
            sexes: Sex::ALL,
            form,
        },
    )
}

pub async fn register(state: State, user: PageUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ReadTrainings)?;
    register_page(
        &state,
        &user,
        id.into_inner(),
        None,
        FormState::default(),
        StatusCode::OK,
    )
    .await
}

pub async fn save_register(state: State, user: PageUser, id: web::Path<i64>, form: Form) -> AppResult<HttpResponse> {
    let today = state.clock.today();
    authorize(&user.user, Action::WriteTrainings)?;
    let id = id.into_inner();
    let pairs = form.into_inner();
    user.verify(pairs.clone())?;
    let (actor, scope) = (user.user.clone(), training_scope(&user.user));
    let result = match parse_register_form(&pairs) {
        Ok(entries) => {
            state
                .db
                .write(move |conn| service::save_register(conn, &actor, &scope, id, &entries, today))
                .await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(see_other(&format!("/trainings/{id}"))),
        Err(AppError::Invalid(errors)) => {
            let form = FormState::new(pairs.clone()).with_errors(user.page().t, &errors);
            register_page(&state, &user, id, Some(pairs), form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}

#[derive(Template)]
#[template(path = "trainings/report.html")]
struct ReportPage {
    page: Page,
    filter: FormState,
    topics: Vec<Topic>,
    organizations: Vec<Organization>,
    tally: Tally,
    report_filter: ReportFilter,
    names: bool,
    generated_at: String,
}

impl ReportPage {
    fn document(&self) -> ReportDocument<'_> {
        ReportDocument {
            t: self.page.t,
            filter: &self.report_filter,
            tally: &self.tally,
            topics: &self.topics,
            organizations: &self.organizations,
            names: self.names,
            generated_at: self.generated_at.clone(),
        }
    }

    fn lines(&self) -> Vec<Line<'_>> {
        self.document().lines()
    }

    /// The checked filters as a query string for the downloads (dates, a topic key and a number:
    /// nothing in them needs escaping).
    fn query(&self) -> String {
        let f = &self.report_filter;
        format!(
            "from={}&to={}&topic={}&organization_id={}",
            f.from,
            f.to,
            f.topic.as_deref().unwrap_or(""),
            f.organization_id.map(|id| id.to_string()).unwrap_or_default()
        )
    }
}

/// The report's facts for the page and the downloads.
async fn gather(
    state: &State,
    user: &PageUser,
    query: &ReportQuery,
) -> AppResult<(ReportFilter, Tally, Vec<Topic>, Vec<Organization>)> {
    authorize(&user.user, Action::ReadAttendanceReports)?;
    let (period, topic, organization_id) = query.checked(state.clock.today())?;
    let scope = report_scope(&user.user);
    state
        .db
        .read(move |conn| {
            let filter = ReportFilter::new(conn, &scope, period, topic, organization_id)?;
            let tally = service::attendance_tally(conn, &filter)?;
            let organizations = Organization::list(conn, &scope)?;
            Ok((filter, tally, Topic::all(conn)?, organizations))
        })
        .await
}

pub async fn report(state: State, user: PageUser, query: web::Query<ReportQuery>) -> AppResult<HttpResponse> {
    let (report_filter, tally, topics, organizations) = gather(&state, &user, &query).await?;
    let pairs = vec![
        ("from".to_string(), report_filter.from.to_string()),
        ("to".to_string(), report_filter.to.to_string()),
        ("topic".to_string(), report_filter.topic.clone().unwrap_or_default()),
        (
            "organization_id".to_string(),
            report_filter
                .organization_id
                .map(|id| id.to_string())
                .unwrap_or_default(),
        ),
    ];
    render(
        StatusCode::OK,
        &ReportPage {
            page: user.page(),
            filter: FormState::new(pairs),
            topics,
            organizations,
            tally,
            report_filter,
            names: report_shows_names(&user.user),
            generated_at: rfc3339(crate::clock::now()),
        },
    )
}

/// The report as CSV or XLSX (`format` is the file extension).
pub async fn report_download(
    state: State,
    user: PageUser,
    format: web::Path<String>,
    query: web::Query<ReportQuery>,
) -> AppResult<HttpResponse> {
    let format = format.into_inner();
    if format != "csv" && format != "xlsx" {
        return Err(AppError::NotFound);
    }
    let (filter, tally, topics, organizations) = gather(&state, &user, &query).await?;
    let doc = ReportDocument {
        t: user.page().t,
        filter: &filter,
        tally: &tally,
        topics: &topics,
        organizations: &organizations,
        names: report_shows_names(&user.user),
        generated_at: rfc3339(crate::clock::now()),
    };
    let (body, content_type) = if format == "csv" {
        (export::csv(&doc)?, "text/csv; charset=utf-8")
    } else {
        (
            export::xlsx(&doc)?,
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    };
    Ok(HttpResponse::Ok()
        .content_type(content_type)
        .insert_header((
            "Content-Disposition",
            format!(
                "attachment; filename=\"asistencia-{}-{}.{format}\"",
                filter.from, filter.to
            ),
        ))
        .body(body))
}

/// This part's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/trainings", web::get().to(list))
        .route("/trainings", web::post().to(create))
        .route("/topics", web::post().to(create_topic))
        .route("/trainings/{id}", web::get().to(detail))
        .route("/trainings/{id}", web::post().to(update))
        .route("/trainings/{id}/cancel", web::post().to(cancel))
        .route("/trainings/{id}/attendance", web::get().to(register))
        .route("/trainings/{id}/attendance", web::post().to(save_register))
        .route("/reports/attendance", web::get().to(report))
        .route("/reports/attendance.{format}", web::get().to(report_download));
}
