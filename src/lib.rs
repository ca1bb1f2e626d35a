//! Pallay: members, revolving fund, trainings and gender committee of women miners'
//! organisations in Puno. See README.md for the map.

pub mod api;
pub mod audit;
pub mod auth;
pub mod clock;
pub mod committee;
pub mod config;
pub mod dashboard;
pub mod db;
pub mod demo;
pub mod error;
pub mod fund;
pub mod i18n;
pub mod idempotency;
pub mod import;
pub mod input;
pub mod members;
pub mod money;
pub mod notices;
pub mod organizations;
pub mod reports;
pub mod trainings;
pub mod users;
pub mod web;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{web as aw, App, HttpResponse, HttpServer};

use crate::web::{AppState, State};

const STYLE: &str = include_str!("../templates/static/style.css");

async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(STYLE)
}

/// The HTML pages.
fn pages(cfg: &mut aw::ServiceConfig) {
    use crate::{audit, auth, committee, fund, members, notices, organizations, trainings, users};
    cfg.route("/", aw::get().to(auth::pages::home))
        .route("/static/style.css", aw::get().to(style))
        .route("/login", aw::get().to(auth::pages::show_login))
        .route("/login", aw::post().to(auth::pages::submit_login))
        .route("/logout", aw::post().to(auth::pages::logout))
        .route("/password", aw::get().to(auth::pages::password_form))
        .route("/password", aw::post().to(auth::pages::change_password))
        .route("/lang/{code}", aw::get().to(auth::pages::choose_language))
        .route("/members", aw::get().to(members::pages::list))
        .route("/members", aw::post().to(members::pages::create))
        .route("/members/new", aw::get().to(members::pages::new_form))
        .route("/members/{id}", aw::get().to(members::pages::detail))
        .route("/members/{id}", aw::post().to(members::pages::update))
        .route("/members/{id}/edit", aw::get().to(members::pages::edit_form))
        .route("/members/{id}/export.json", aw::get().to(members::pages::export))
        .route("/members/{id}/anonymize", aw::post().to(members::pages::anonymize))
        .route("/organizations", aw::get().to(organizations::pages::list))
        .route("/organizations", aw::post().to(organizations::pages::create))
        .route("/organizations/{id}", aw::post().to(organizations::pages::update))
        .route(
            "/organizations/{id}/edit",
            aw::get().to(organizations::pages::edit_form),
        )
        .route("/users", aw::get().to(users::pages::list))
        .route("/users", aw::post().to(users::pages::create))
        .route("/users/{id}/disabled", aw::post().to(users::pages::set_disabled))
        .route("/audit", aw::get().to(audit::pages::list))
        .route("/funds", aw::get().to(fund::pages::list))
        .route("/funds", aw::post().to(fund::pages::create))
        .route("/funds/{id}", aw::get().to(fund::pages::dashboard))
        .route("/funds/{id}/contributions", aw::post().to(fund::pages::contribute))
        .route("/funds/{id}/journal", aw::get().to(fund::pages::journal))
        .route("/loans", aw::post().to(fund::pages::request))
        .route("/loans/new", aw::get().to(fund::pages::request_form))
        .route("/loans/{id}", aw::get().to(fund::pages::loan))
        .route("/loans/{id}/approve", aw::post().to(fund::pages::approve))
        .route("/loans/{id}/reject", aw::post().to(fund::pages::reject))
        .route("/loans/{id}/cancel", aw::post().to(fund::pages::cancel))
        .route("/loans/{id}/disburse", aw::post().to(fund::pages::disburse))
        .route("/loans/{id}/repayments", aw::post().to(fund::pages::repay))
        .route("/loans/{id}/write-off", aw::post().to(fund::pages::write_off))
        .route("/repayments/{id}/reverse", aw::post().to(fund::pages::reverse))
        .route("/committees", aw::get().to(committee::pages::list))
        .route("/committees", aw::post().to(committee::pages::create))
        .route("/committees/{id}", aw::get().to(committee::pages::detail))
        .route("/committees/{id}/members", aw::post().to(committee::pages::add_seat))
        .route(
            "/committees/{id}/meetings",
            aw::post().to(committee::pages::record_meeting),
        )
        .route(
            "/committees/{id}/actions",
            aw::post().to(committee::pages::create_action),
        )
        .route(
            "/committees/{id}/actions.{format}",
            aw::get().to(committee::pages::export),
        )
        .route("/actions/{id}", aw::get().to(committee::pages::action))
        .route("/actions/{id}/status", aw::post().to(committee::pages::change_status))
        .route("/actions/{id}/notes", aw::post().to(committee::pages::add_note))
        .route("/trainings", aw::get().to(trainings::pages::list))
        .route("/trainings", aw::post().to(trainings::pages::create))
        .route("/topics", aw::post().to(trainings::pages::create_topic))
        .route("/trainings/{id}", aw::get().to(trainings::pages::detail))
        .route("/trainings/{id}", aw::post().to(trainings::pages::update))
        .route("/trainings/{id}/cancel", aw::post().to(trainings::pages::cancel))
        .route("/trainings/{id}/attendance", aw::get().to(trainings::pages::register))
        .route(
            "/trainings/{id}/attendance",
            aw::post().to(trainings::pages::save_register),
        )
        .route("/notices", aw::get().to(notices::pages::list))
        .route("/notices/{id}/retry", aw::post().to(notices::pages::retry))
        .route("/funds/{id}/statements", aw::post().to(notices::pages::send_statements))
        .route("/import", aw::get().to(crate::import::pages::form))
        .route("/import", aw::post().to(crate::import::pages::upload))
        .route("/import/sample/{name}", aw::get().to(crate::import::pages::sample_file))
        .route("/import/{id}/apply", aw::post().to(crate::import::pages::apply))
        .route("/reports/donor.xlsx", aw::get().to(crate::reports::donor_workbook))
        .route("/reports/attendance", aw::get().to(trainings::pages::report))
        .route(
            "/reports/attendance.{format}",
            aw::get().to(trainings::pages::report_download),
        );
}

/// Starts the HTTP server on an already bound listener (tests bind port 0).
pub fn serve(listener: TcpListener, state: AppState) -> std::io::Result<Server> {
    let state: State = aw::Data::new(state);
    let server = HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            // Unreadable bodies, queries and paths are the client's mistake, in our error format.
            .app_data(
                aw::FormConfig::default()
                    .limit(64 * 1024)
                    .error_handler(|_, _| error::AppError::MalformedBody.into()),
            )
            .app_data(aw::QueryConfig::default().error_handler(|_, _| error::AppError::MalformedBody.into()))
            .app_data(aw::PathConfig::default().error_handler(|_, _| error::AppError::NotFound.into()))
            .wrap(web::html_errors())
            .wrap(web::security_headers())
            .configure(api::routes)
            .configure(pages)
    })
    .listen(listener)?
    .run();
    Ok(server)
}
