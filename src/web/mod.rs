//! What every handler shares: the application state, the page context, languages, paging,
//! security headers, and turning errors into HTML pages outside the API.

pub mod done;
pub mod form;
pub mod gzip;
pub mod json;
pub mod page;
pub mod routes;

use actix_web::body::EitherBody;
use actix_web::dev::ServiceResponse;
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::StatusCode;
use actix_web::middleware::{DefaultHeaders, ErrorHandlerResponse, ErrorHandlers};
use actix_web::{web, HttpRequest, HttpResponse};
use askama::Template;
use serde::Deserialize;

use crate::clock::Clock;
use crate::config::Config;
use crate::db::Db;
use crate::error::{AppError, AppResult};
use crate::fund::portfolio_kept::KeptPortfolios;
use crate::i18n::{Lang, Tr};

pub struct AppState {
    pub db: Db,
    pub config: Config,
    /// Where handlers read today's date (fixed in tests).
    pub clock: Clock,
    /// The portfolio of each fund, kept until its books change.
    pub portfolios: KeptPortfolios,
}

pub type State = web::Data<AppState>;

pub const LANG_COOKIE: &str = "pallay_lang";

/// The language of a page: the visitor's choice (cookie), else their browser's, else Spanish.
pub fn lang_of(req: &HttpRequest) -> Lang {
    req.cookie(LANG_COOKIE)
        .and_then(|c| Lang::parse(c.value()))
        .or_else(|| {
            req.headers()
                .get(header::ACCEPT_LANGUAGE)
                .and_then(|v| v.to_str().ok())
                .and_then(Lang::from_accept_language)
        })
        .unwrap_or_default()
}

/// The address login throttling counts by: the peer, or the proxy's `X-Forwarded-For` when configured.
pub fn client_ip(req: &HttpRequest, behind_proxy: bool) -> String {
    // Behind a proxy, the address the proxy itself appended: the rightmost of X-Forwarded-For.
    // Whatever stands to its left came from the client and may be made up.
    let forwarded = behind_proxy
        .then(|| req.headers().get_all("x-forwarded-for").last())
        .flatten()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.rsplit(',').map(str::trim).find(|a| !a.is_empty()))
        .map(str::to_string);
    forwarded
        .or_else(|| req.peer_addr().map(|a| a.ip().to_string()))
        .unwrap_or_else(|| "unknown".into())
}

/// A path of this site to send someone back to, ready for a `Location` header; `None` for
/// anything a browser could read as another site (`//host`, `/\host`, a scheme) or that holds
/// control characters. Spaces and non-ASCII letters are percent-encoded.
pub fn local_path(raw: &str) -> Option<String> {
    if !raw.starts_with('/') || raw.starts_with("//") || raw.chars().any(|c| c.is_control() || c == '\\') {
        return None;
    }
    let mut path = String::with_capacity(raw.len());
    for c in raw.chars() {
        if c.is_ascii_graphic() {
            path.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                path.push_str(&format!("%{b:02X}"));
            }
        }
    }
    Some(path)
}

/// Whether the request came over https (directly or, per the proxy, `X-Forwarded-Proto`).
pub fn is_https(req: &HttpRequest) -> bool {
    req.connection_info().scheme() == "https"
}

pub const MAX_LIMIT: i64 = 500;
pub const DEFAULT_LIMIT: i64 = 50;

#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PagingQuery {
    #[param(value_type = Option<i64>, minimum = 1, maximum = 500)]
    pub limit: Option<String>,
    #[param(value_type = Option<i64>, minimum = 0)]
    pub offset: Option<String>,
}

/// `?limit=&offset=`: limit 1–500 (default 50), offset ≥ 0.
pub fn paging(limit: Option<&str>, offset: Option<&str>) -> AppResult<(i64, i64)> {
    let mut errors = Vec::new();
    let limit = match limit.map(str::parse::<i64>) {
        None => DEFAULT_LIMIT,
        Some(Ok(n)) if (1..=MAX_LIMIT).contains(&n) => n,
        Some(_) => {
            errors.push(crate::error::FieldError::new("limit", "limit_range"));
            DEFAULT_LIMIT
        }
    };
    let offset = match offset.map(str::parse::<i64>) {
        None => 0,
        Some(Ok(n)) if n >= 0 => n,
        Some(_) => {
            errors.push(crate::error::FieldError::new("offset", "offset_range"));
            0
        }
    };
    if errors.is_empty() {
        Ok((limit, offset))
    } else {
        Err(AppError::Invalid(errors))
    }
}

/// Renders a template as an HTML response with the given status.
pub fn render(status: StatusCode, template: &impl Template) -> AppResult<HttpResponse> {
    let html = template.render()?;
    Ok(HttpResponse::build(status)
        .content_type("text/html; charset=utf-8")
        .body(html))
}

pub fn see_other(location: &str) -> HttpResponse {
    HttpResponse::SeeOther()
        .insert_header((header::LOCATION, location))
        .finish()
}

/// Security headers on every response. No inline script or style is ever needed: the one script
/// (and its service worker) is the project's own, served from this site.
pub fn security_headers() -> DefaultHeaders {
    DefaultHeaders::new()
        .add((
            header::CONTENT_SECURITY_POLICY,
            "default-src 'none'; style-src 'self'; script-src 'self'; connect-src 'self'; worker-src 'self'; \
             img-src 'self' data:; form-action 'self'; \
             frame-ancestors 'none'; base-uri 'none'",
        ))
        .add((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .add((header::X_FRAME_OPTIONS, "DENY"))
        .add((header::REFERRER_POLICY, "same-origin"))
        .add(("Permissions-Policy", "camera=(), microphone=(), geolocation=()"))
        // Pages, answers and downloads hold DNIs and phones: no cache keeps them (a shared phone,
        // a proxy). The style sheet sets its own.
        .add((header::CACHE_CONTROL, "no-store"))
}

#[derive(Template)]
#[template(path = "errors/error.html")]
struct ErrorPage {
    t: Tr,
    status: u16,
    title_key: String,
    body_key: String,
}

/// What the service worker shows when there is no signal and the page asked for is not kept on
/// the phone (it keeps a copy of this one when it is installed).
pub async fn offline_page(req: HttpRequest) -> AppResult<HttpResponse> {
    let page = ErrorPage {
        t: Tr::new(lang_of(&req)),
        status: 200,
        title_key: "offline.page".into(),
        body_key: "offline.page_body".into(),
    };
    render(StatusCode::OK, &page)
}

/// Outside `/api`, an error becomes a page in the visitor's language that says what happened and
/// nothing more; "not signed in" becomes a redirect to the login page.
pub fn html_errors<B: 'static>() -> ErrorHandlers<B> {
    ErrorHandlers::new().default_handler(|res: ServiceResponse<B>| {
        let is_problem = res
            .headers()
            .get(header::CONTENT_TYPE)
            .is_some_and(|v| v.as_bytes().starts_with(b"application/problem+json"));
        let unmatched_404 = res.status() == StatusCode::NOT_FOUND && res.headers().get(header::CONTENT_TYPE).is_none();
        if res.request().path().starts_with("/api/") {
            // The API answers every error as problem+json, even those actix makes itself (a body
            // over the size limit, 413), so a client has one format to read.
            if is_problem {
                return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
            }
            let status = res.status();
            let (req, _) = res.into_parts();
            let body = serde_json::json!({
                "type": "about:blank",
                "title": status.canonical_reason().unwrap_or("Error"),
                "status": status.as_u16(),
            });
            let response = HttpResponse::build(status)
                .content_type("application/problem+json")
                .body(body.to_string());
            let res: ServiceResponse<EitherBody<B>> = ServiceResponse::new(req, response).map_into_right_body();
            return Ok(ErrorHandlerResponse::Response(res));
        }
        if !(is_problem || unmatched_404) {
            return Ok(ErrorHandlerResponse::Response(res.map_into_left_body()));
        }
        let status = res.status();
        let (req, _) = res.into_parts();
        let response = if status == StatusCode::UNAUTHORIZED {
            see_other("/login")
        } else {
            let name = match status.as_u16() {
                400 => "bad_request",
                403 => "forbidden",
                404 => "not_found",
                409 => "conflict",
                422 => "bad_request",
                429 => "too_many",
                _ => "internal",
            };
            let page = ErrorPage {
                t: Tr::new(lang_of(&req)),
                status: status.as_u16(),
                title_key: format!("errors.{name}.title"),
                body_key: format!("errors.{name}.body"),
            };
            let html = page.render().unwrap_or_else(|_| status.to_string());
            let mut response = HttpResponse::build(status).body(html);
            response.headers_mut().insert(
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/html; charset=utf-8"),
            );
            response
        };
        let res: ServiceResponse<EitherBody<B>> = ServiceResponse::new(req, response).map_into_right_body();
        Ok(ErrorHandlerResponse::Response(res))
    })
}

/// A date parameter of a query string (`?from=2026-01-01`): empty means not given; anything
/// else that is not a date is a 422 naming the parameter.
pub fn date_param(name: &str, raw: Option<&str>) -> AppResult<Option<chrono::NaiveDate>> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(raw) => crate::input::parse_date(raw)
            .map(Some)
            .map_err(|code| AppError::invalid(name, code)),
    }
}

/// A date of an API query that, when the parameter is there, must be a date: `?as_of=` with
/// nothing after it is a 422, not a silent "today" (pages keep `date_param`'s leniency: an empty
/// field of a form means "not given").
pub fn given_date_param(name: &str, raw: Option<&str>) -> AppResult<Option<chrono::NaiveDate>> {
    match raw {
        Some(raw) if raw.trim().is_empty() => Err(AppError::invalid(name, "required")),
        other => date_param(name, other),
    }
}

/// An id parameter of a query string (`?member_id=4`): empty means not given; anything else that
/// is not a positive whole number is a 422 naming the parameter.
pub fn id_param(name: &str, raw: Option<&str>) -> AppResult<Option<i64>> {
    match raw.map(str::trim).filter(|r| !r.is_empty()) {
        None => Ok(None),
        Some(raw) => raw
            .parse::<i64>()
            .ok()
            .filter(|id| *id > 0)
            .map(Some)
            .ok_or_else(|| AppError::invalid(name, "must_be_id")),
    }
}
