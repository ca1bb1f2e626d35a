//! Pallay: members, revolving fund, trainings and gender committee of women miners'
//! organisations in Puno. See README.md for the map.

pub mod allocator;
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
pub mod maintenance;
pub mod members;
pub mod money;
pub mod notices;
pub mod openapi;
pub mod organizations;
pub mod outbox;
pub mod reports;
pub mod spreadsheet;
pub mod trainings;
pub mod users;
pub mod web;

use std::net::TcpListener;

use actix_web::dev::Server;
use actix_web::{web as aw, App, HttpResponse, HttpServer};

use crate::web::{AppState, State};

const STYLE: &str = include_str!("../templates/static/style.css");
const MEETING_STYLE: &str = include_str!("../templates/static/meeting.css");
const SCRIPT: &str = include_str!("../templates/static/pallay.js");
const SERVICE_WORKER: &str = include_str!("../templates/static/sw.js");

async fn style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(STYLE)
}

/// The collection sheet's and the register's own rules (screen and paper).
async fn meeting_style() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=86400"))
        .body(MEETING_STYLE)
}

/// The pages' one script: keeps the sheet and the register on the phone when the signal drops.
async fn script() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "no-cache"))
        .body(SCRIPT)
}

/// Served from the root so that it may keep the pages of the whole site.
async fn service_worker() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/javascript; charset=utf-8")
        .insert_header(("Cache-Control", "no-cache"))
        .body(SERVICE_WORKER)
}

/// The HTML pages: the style sheet here, each part's screens in its `routes`.
pub fn page_routes() -> web::routes::Routes {
    web::routes::Routes::new()
        .get("/static/style.css", style)
        .get("/static/meeting.css", meeting_style)
        .get("/static/pallay.js", script)
        .get("/sw.js", service_worker)
        .get("/offline", web::offline_page)
        .merge(dashboard::pages::routes())
        .merge(auth::pages::routes())
        .merge(members::pages::routes())
        .merge(organizations::pages::routes())
        .merge(users::pages::routes())
        .merge(audit::pages::routes())
        .merge(fund::pages::routes())
        .merge(committee::pages::routes())
        .merge(trainings::pages::routes())
        .merge(notices::pages::routes())
        .merge(import::pages::routes())
        .merge(reports::routes())
        .merge(maintenance::pages::routes())
}

/// Every method and path the server answers, full paths: what the route matrices are checked
/// against.
pub fn route_table() -> Vec<(String, String)> {
    let api = api::v1_routes()
        .list()
        .into_iter()
        .map(|(m, p)| (m.to_string(), format!("{}{p}", api::V1)));
    let pages = page_routes()
        .list()
        .into_iter()
        .map(|(m, p)| (m.to_string(), p.to_string()));
    std::iter::once(("GET".to_string(), "/api/openapi.json".to_string()))
        .chain(api)
        .chain(pages)
        .collect()
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
            // Pages are text: gzipped they weigh a tenth, which a weak signal feels.
            .wrap(actix_web::middleware::from_fn(web::gzip::compress))
            .configure(openapi::routes)
            .configure(api::routes)
            .configure(|cfg| page_routes().register(cfg))
    })
    // A page goes out in several writes (its head, then its gzipped body): with Nagle's algorithm
    // the last small write waits for the phone's delayed acknowledgement, 40 ms or more each time.
    .tcp_nodelay(true)
    .listen(listener)?
    .run();
    Ok(server)
}
