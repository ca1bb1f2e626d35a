//! The import pages: choose what the file holds and upload it; see every row's problems before
//! anything is written; then import all of it (only if every row is right) or only the valid rows.

use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use diesel::prelude::*;

use super::upload::{read_posted, store_upload, Posted};
use super::{import, sample, Kind, Listing, Mode, Report, Request};
use crate::auth::extract::PageUser;
use crate::auth::policy::{can, training_scope, Action, CurrentUser};
use crate::db::schema::import_uploads;
use crate::error::{AppError, AppResult};
use crate::trainings::model::{Training, TrainingFilter};
use crate::web::page::Page;
use crate::web::routes::Routes;
use crate::web::{render, State};

/// Who may import what: the same people who may write those records by hand.
fn may_import(user: &CurrentUser, kind: Kind) -> bool {
    match kind {
        Kind::Members => can(user, Action::WriteMembers),
        Kind::Attendance => can(user, Action::WriteTrainings),
        Kind::Repayments => can(user, Action::WriteLoans),
    }
}

fn kinds_for(user: &CurrentUser) -> Vec<&'static str> {
    Kind::ALL
        .iter()
        .filter(|k| may_import(user, **k))
        .map(|k| k.as_str())
        .collect()
}

#[derive(Template)]
#[template(path = "import/form.html")]
struct FormPage {
    page: Page,
    kinds: Vec<&'static str>,
    trainings: Vec<Training>,
    message: Option<String>,
}

async fn form_page(
    state: &State,
    user: &PageUser,
    message: Option<String>,
    status: StatusCode,
) -> AppResult<HttpResponse> {
    let kinds = kinds_for(&user.user);
    if kinds.is_empty() {
        return Err(AppError::Forbidden);
    }
    let scope = training_scope(&user.user);
    let trainings = if kinds.contains(&"attendance") {
        state
            .db
            .read(move |conn| {
                Ok(Training::search(conn, &scope, &TrainingFilter::default())?
                    .into_iter()
                    .filter(|(t, _)| !t.is_cancelled())
                    .take(100)
                    .map(|(t, _)| t)
                    .collect())
            })
            .await?
    } else {
        Vec::new()
    };
    render(
        status,
        &FormPage {
            page: user.page(),
            kinds,
            trainings,
            message,
        },
    )
}

pub async fn form(state: State, user: PageUser) -> AppResult<HttpResponse> {
    form_page(&state, &user, None, StatusCode::OK).await
}

/// The sample file of a kind (`/import/sample/members.csv`).
pub async fn sample_file(user: PageUser, name: web::Path<String>) -> AppResult<HttpResponse> {
    let kind = name
        .strip_suffix(".csv")
        .and_then(|k| Kind::parse(k).ok())
        .ok_or(AppError::NotFound)?;
    if !may_import(&user.user, kind) {
        return Err(AppError::Forbidden);
    }
    Ok(HttpResponse::Ok()
        .content_type("text/csv; charset=utf-8")
        .insert_header((
            "Content-Disposition",
            format!("attachment; filename=\"ejemplo-{}.csv\"", kind.as_str()),
        ))
        .body(sample::csv(kind)))
}

#[derive(Template)]
#[template(path = "import/preview.html")]
struct PreviewPage {
    page: Page,
    upload_id: i64,
    filename: String,
    report: Report,
    /// After an import (not a preview).
    done: bool,
}

impl PreviewPage {
    /// "… and 99,950 more rows without problems": what the table leaves out, if anything.
    fn not_shown_message(&self) -> Option<String> {
        let more = self.report.fine_not_listed();
        (more > 0).then(|| self.page.t.get("import.not_shown").replace("{n}", &more.to_string()))
    }

    /// "… and 1,234 more rows with problems": when there are more than a page lists.
    fn problems_not_shown_message(&self) -> Option<String> {
        let more = self.report.problems_not_listed();
        (more > 0).then(|| {
            self.page
                .t
                .get("import.problems_not_shown")
                .replace("{n}", &more.to_string())
        })
    }
}

/// A file kept between its preview and its import.
struct Upload {
    id: i64,
    kind: Kind,
    training_id: Option<i64>,
    filename: String,
    content: Vec<u8>,
}

/// One of her own uploads, as kept.
async fn stored_upload(state: &State, user: &PageUser, upload_id: i64) -> AppResult<Upload> {
    let owner = user.user.id;
    let (kind, training_id, filename, content): (String, Option<i64>, String, Vec<u8>) = state
        .db
        .read(move |conn| {
            Ok(import_uploads::table
                .filter(import_uploads::id.eq(upload_id))
                .filter(import_uploads::user_id.eq(owner))
                .select((
                    import_uploads::kind,
                    import_uploads::training_id,
                    import_uploads::filename,
                    import_uploads::content,
                ))
                .get_result(conn)?)
        })
        .await?;
    Ok(Upload {
        id: upload_id,
        kind: Kind::parse(&kind).map_err(|_| AppError::NotFound)?,
        training_id,
        filename,
        content,
    })
}

/// Runs an import of an upload: a preview on a copy nobody waits for (`Db::preview`), an import
/// in a write transaction. A page lists a screenful of rows and counts the rest.
async fn run(state: &State, user: &PageUser, upload: Upload, mode: Mode) -> AppResult<(String, Report)> {
    let today = state.clock.today();
    let (actor, t) = (user.user.clone(), user.page().t);
    let Upload {
        id: upload_id,
        kind,
        training_id,
        filename,
        content,
    } = upload;
    if !may_import(&actor, kind) {
        return Err(AppError::Forbidden);
    }
    // Imported, or refused as a whole (not a spreadsheet, a zip bomb, no rows): nothing is kept
    // that will not be imported.
    let spent = move |report: &Report| {
        let refused = !report.file_problems.is_empty() || report.counted.rows == 0;
        refused || (mode != Mode::Preview && report.written > 0)
    };
    let forget = move |conn: &mut crate::db::DbConn| -> AppResult<()> {
        diesel::delete(import_uploads::table.find(upload_id)).execute(conn)?;
        Ok(())
    };
    let run_import = move |conn: &mut crate::db::DbConn| {
        let request = Request {
            kind,
            bytes: &content,
            training_id,
            mode,
            listing: Listing::Page,
            today,
        };
        import(conn, &actor, t, request)
    };
    let report = if mode == Mode::Preview {
        let report = state.db.preview(run_import).await?;
        if spent(&report) {
            state.db.write(forget).await?;
        }
        report
    } else {
        state
            .db
            .write(move |conn| {
                let report = run_import(conn)?;
                if spent(&report) {
                    forget(conn)?;
                }
                Ok(report)
            })
            .await?
    };
    Ok((filename, report))
}

/// Receives the file, keeps it, and shows the preview.
pub async fn upload(state: State, user: PageUser, mut multipart: Multipart) -> AppResult<HttpResponse> {
    let Some(Posted {
        fields,
        filename,
        content,
    }) = read_posted(&mut multipart).await?
    else {
        let t = user.page().t;
        let message = Some(t.error("import_file_too_large").into());
        return form_page(&state, &user, message, StatusCode::PAYLOAD_TOO_LARGE).await;
    };
    let input = user.verify(fields)?;
    let t = user.page().t;
    let kind = match input.value("kind").map(Kind::parse) {
        Some(Ok(kind)) if may_import(&user.user, kind) => kind,
        _ => {
            return form_page(
                &state,
                &user,
                Some(t.error("import_kind_unknown").into()),
                StatusCode::UNPROCESSABLE_ENTITY,
            )
            .await
        }
    };
    let training_id = input.value("training_id").and_then(|v| v.parse::<i64>().ok());
    if kind == Kind::Attendance && training_id.is_none() {
        let message = format!("{}: {}", t.get("import.training"), t.error("required"));
        return form_page(&state, &user, Some(message), StatusCode::UNPROCESSABLE_ENTITY).await;
    }
    if content.is_empty() {
        return form_page(
            &state,
            &user,
            Some(t.error("import_empty").into()),
            StatusCode::UNPROCESSABLE_ENTITY,
        )
        .await;
    }
    let actor = user.user.id;
    // Kept for the import to come, a CSV file deflated (`read::pack`, off the async workers); then
    // previewed as kept (not read back: it would be held twice at once).
    let content = actix_web::web::block(move || super::read::pack(&content))
        .await
        .map_err(|e| AppError::internal(format!("blocking task failed: {e}")))?;
    let upload = state
        .db
        .write(move |conn| {
            let id = store_upload(conn, actor, kind, training_id, &filename, &content)?;
            Ok(Upload {
                id,
                kind,
                training_id,
                filename,
                content,
            })
        })
        .await?;
    let upload_id = upload.id;
    let (filename, report) = run(&state, &user, upload, Mode::Preview).await?;
    let status = if report.problems() > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &PreviewPage {
            page: user.page(),
            upload_id,
            filename,
            report,
            done: false,
        },
    )
}

/// Imports a previewed file: every row (refused if any has a problem) or only the valid ones.
pub async fn apply(
    state: State,
    user: PageUser,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    if kinds_for(&user.user).is_empty() {
        return Err(AppError::Forbidden);
    }
    let input = user.verify(form.into_inner())?;
    let mode = match input.value("mode") {
        Some("valid") => Mode::ValidOnly,
        _ => Mode::AllOrNothing,
    };
    let upload_id = id.into_inner();
    let upload = stored_upload(&state, &user, upload_id).await?;
    let (filename, report) = run(&state, &user, upload, mode).await?;
    let status = if report.written == 0 && report.problems() > 0 {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    render(
        status,
        &PreviewPage {
            page: user.page(),
            upload_id,
            filename,
            report,
            done: true,
        },
    )
}

/// This part's pages.
pub fn routes() -> Routes {
    Routes::new()
        .get("/import", form)
        .post("/import", upload)
        .get("/import/sample/{name}", sample_file)
        .post("/import/{id}/apply", apply)
}
