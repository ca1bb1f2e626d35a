//! The trainings' pages: the list (with a new training and, for admins, a new topic), a
//! training's page (edit, cancel), its register as one form of radio buttons that works on a
//! phone, and the attendance report with its CSV and XLSX downloads.

use actix_web::web;

mod detail;
mod list;
mod register;
mod report;

type Form = web::Form<Vec<(String, String)>>;

/// This part's pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.route("/trainings", web::get().to(list::list))
        .route("/trainings", web::post().to(list::create))
        .route("/topics", web::post().to(list::create_topic))
        .route("/trainings/{id}", web::get().to(detail::detail))
        .route("/trainings/{id}", web::post().to(detail::update))
        .route("/trainings/{id}/cancel", web::post().to(detail::cancel))
        .route("/trainings/{id}/attendance", web::get().to(register::register))
        .route("/trainings/{id}/attendance", web::post().to(register::save_register))
        .route("/reports/attendance", web::get().to(report::report))
        .route("/reports/attendance.{format}", web::get().to(report::report_download));
}
