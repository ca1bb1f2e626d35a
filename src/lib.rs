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
pub mod outbox;
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

/// The HTML pages: the home page and the style sheet here, each part's screens in its `routes`.
fn pages(cfg: &mut aw::ServiceConfig) {
    cfg.route("/static/style.css", aw::get().to(style))
        .configure(dashboard::pages::routes)
        .configure(auth::pages::routes)
        .configure(members::pages::routes)
        .configure(organizations::pages::routes)
        .configure(users::pages::routes)
        .configure(audit::pages::routes)
        .configure(fund::pages::routes)
        .configure(committee::pages::routes)
        .configure(trainings::pages::routes)
        .configure(notices::pages::routes)
        .configure(import::pages::routes)
        .configure(reports::routes);
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
