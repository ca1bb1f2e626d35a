//! The attendance register of a training: who was invited and who came, with guests, saved in
//! one go.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use super::Form;
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, training_scope, Action};
use crate::error::{AppError, AppResult};
use crate::members::fields::Sex;
use crate::organizations::Organization;
use crate::trainings::attendance::{self, invited, register_view, RegisterEntry};
use crate::trainings::entries::parse_register_form;
use crate::trainings::input::AttendanceStatus;
use crate::trainings::model::{topic_name, Topic, Training};
use crate::trainings::service::{training_view, TrainingView};
use crate::web::done::{see_done, Done};
use crate::web::form::FormState;
use crate::web::page::Page;
use crate::web::{render, State};

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
            let (rows, guests) = stored_lines(names, &register);
            let topic = topic_name(&Topic::all(conn)?, &view.training.topic, &t);
            Ok((view, topic, rows, guests, Organization::all(conn)?))
        })
        .await?;
    // After a refused save, show what was sent, not what is stored.
    let (rows, guests) = match posted {
        None => (rows, guests),
        Some(pairs) => posted_lines(&pairs, rows),
    };
    let (rows, guests) = with_errors(&form, rows, guests);
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

/// The register as stored: a row per invited member (absent unless marked), her guests, and a few
/// blank guest rows to fill in.
fn stored_lines(names: Vec<(i64, String)>, register: &[RegisterEntry]) -> (Vec<RegisterRow>, Vec<GuestRow>) {
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
    (rows, guests)
}

/// The register as it was sent, to show again after a refused save.
fn posted_lines(pairs: &[(String, String)], rows: Vec<RegisterRow>) -> (Vec<RegisterRow>, Vec<GuestRow>) {
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

/// Each message beside the person it is about.
fn with_errors(form: &FormState, rows: Vec<RegisterRow>, guests: Vec<GuestRow>) -> (Vec<RegisterRow>, Vec<GuestRow>) {
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
    (rows, guests)
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
                .write(move |conn| attendance::save_register(conn, &actor, &scope, id, &entries, today))
                .await
        }
        Err(errors) => Err(AppError::Invalid(errors)),
    };
    match result {
        Ok(_) => Ok(see_done(&format!("/trainings/{id}"), Done::AttendanceSaved)),
        Err(AppError::Invalid(errors)) => {
            let form = FormState::new(pairs.clone()).with_errors(user.page().t, &errors);
            register_page(&state, &user, id, Some(pairs), form, StatusCode::UNPROCESSABLE_ENTITY).await
        }
        Err(e) => Err(e),
    }
}
