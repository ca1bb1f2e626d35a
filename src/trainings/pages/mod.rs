//! The trainings' pages: the list (with a new training and, for admins, a new topic), a
//! training's page (edit, cancel), its register as one form of radio buttons that works on a
//! phone, and the attendance report with its CSV and XLSX downloads.

use crate::web::routes::Routes;
use actix_web::web;

mod detail;
mod list;
mod register;
mod report;

type Form = web::Form<Vec<(String, String)>>;

/// This part's pages.
pub fn routes() -> Routes {
    Routes::new()
        .get("/trainings", list::list)
        .post("/trainings", list::create)
        .post("/topics", list::create_topic)
        .get("/trainings/{id}", detail::detail)
        .post("/trainings/{id}", detail::update)
        .post("/trainings/{id}/cancel", detail::cancel)
        .get("/trainings/{id}/attendance", register::register)
        .post("/trainings/{id}/attendance", register::save_register)
        .get("/reports/attendance", report::report)
        .get("/reports/attendance.{format}", report::report_download)
}
