//! The attendance report on a page, and the same figures as CSV or XLSX.

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;

use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, report_scope, report_shows_names, Action};
use crate::error::{AppError, AppResult};
use crate::organizations::Organization;
use crate::trainings::export::{self, Line, ReportDocument};
use crate::trainings::model::Topic;
use crate::trainings::report::Tally;
use crate::trainings::reporting::ReportQuery;
use crate::trainings::reporting::{self, ReportFilter};
use crate::web::form::FormState;
use crate::web::page::Page;
use crate::web::{render, State};

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
            let tally = reporting::attendance_tally(conn, &filter)?;
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
            generated_at: crate::clock::lima_moment(crate::clock::now()),
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
        generated_at: crate::clock::lima_moment(crate::clock::now()),
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
