//! The one error type. Each variant says what the client did wrong (4xx) or that we failed (5xx).
//! It renders as `application/problem+json`; the HTML scope turns those into pages
//! (see `web::html_errors`). Database and unexpected errors are logged and shown as a bare 500.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

use crate::i18n::{Lang, Tr};

/// A problem with one input field. `code` is a key of the message catalogue (`error.<code>`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FieldError {
    pub field: String,
    pub code: &'static str,
    /// A value for the message's `{}` (e.g. the amount owed).
    pub param: Option<String>,
}

impl FieldError {
    pub fn new(field: impl Into<String>, code: &'static str) -> Self {
        FieldError {
            field: field.into(),
            code,
            param: None,
        }
    }

    pub fn with(field: impl Into<String>, code: &'static str, param: impl Into<String>) -> Self {
        FieldError {
            field: field.into(),
            code,
            param: Some(param.into()),
        }
    }

    /// The message in a language.
    pub fn message(&self, tr: Tr) -> String {
        let text = tr.error(self.code);
        match &self.param {
            Some(param) => text.replace("{}", param),
            None => text.to_string(),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// 400: the body could not be read at all (not JSON, not a form).
    #[error("malformed request body")]
    MalformedBody,
    /// 401: no valid credentials.
    #[error("not authenticated")]
    Unauthenticated,
    /// 403: authenticated, but this role may not do this (or the CSRF token is missing or wrong).
    #[error("forbidden")]
    Forbidden,
    /// 404: does not exist, or is outside the caller's scope.
    #[error("not found")]
    NotFound,
    /// 409: conflicts with the current state. The code is a catalogue key.
    #[error("conflict: {0}")]
    Conflict(&'static str),
    /// 409: the fund's books are closed up to this date; nothing dated on or before it is posted.
    #[error("books closed up to {0}")]
    BooksClosed(chrono::NaiveDate),
    /// 422: invalid input, field by field.
    #[error("invalid input")]
    Invalid(Vec<FieldError>),
    /// 429: too many attempts; try again later.
    #[error("too many requests")]
    TooManyRequests,
    /// 405: the path exists, the method does not; the methods it has.
    #[error("method not allowed")]
    MethodNotAllowed(Vec<String>),
    /// 503: the database is busy for a moment (another write held it too long); nothing was done.
    #[error("busy: {0}")]
    Busy(String),
    /// 500: our fault. The message is logged, never shown.
    #[error("internal error: {0}")]
    Internal(String),
}

impl AppError {
    pub fn internal(message: impl Into<String>) -> Self {
        AppError::Internal(message.into())
    }

    pub fn invalid(field: impl Into<String>, code: &'static str) -> Self {
        AppError::Invalid(vec![FieldError::new(field, code)])
    }

    /// A write the database refused as a whole (the writer's `BEGIN` or `COMMIT`, told as text):
    /// busy is a 503 to retry, anything else our fault.
    pub fn write_failed(why: String) -> Self {
        if is_busy(&why) {
            AppError::Busy(why)
        } else {
            AppError::Internal(why)
        }
    }

    /// No connection came free in time: the server is busy, not broken.
    pub fn from_pool(e: diesel::r2d2::PoolError) -> Self {
        AppError::Busy(format!("database pool: {e}"))
    }

    /// Why a conflict is one, in a language (the API's `detail`, the message a page shows).
    pub fn conflict_reason(&self, tr: Tr) -> Option<String> {
        match self {
            AppError::Conflict(code) => Some(tr.error(code).to_string()),
            AppError::BooksClosed(date) => Some(tr.error("books_closed").replace("{}", &date.to_string())),
            _ => None,
        }
    }

    /// The field errors, if this is a validation error (forms re-render with them).
    pub fn field_errors(&self) -> Option<&[FieldError]> {
        match self {
            AppError::Invalid(errors) => Some(errors),
            _ => None,
        }
    }

    fn title_key(&self) -> &'static str {
        match self {
            AppError::MalformedBody => "problem.malformed",
            AppError::Unauthenticated => "problem.unauthenticated",
            AppError::Forbidden => "problem.forbidden",
            AppError::NotFound => "problem.not_found",
            AppError::Conflict(_) | AppError::BooksClosed(_) => "problem.conflict",
            AppError::Invalid(_) => "problem.invalid",
            AppError::TooManyRequests => "problem.too_many",
            AppError::MethodNotAllowed(_) => "problem.method_not_allowed",
            AppError::Busy(_) => "problem.busy",
            AppError::Internal(_) => "problem.internal",
        }
    }
}

impl From<diesel::result::Error> for AppError {
    fn from(e: diesel::result::Error) -> Self {
        use diesel::result::{DatabaseErrorKind, Error};
        match e {
            Error::NotFound => AppError::NotFound,
            // Two requests raced past the same check; the unique index stopped the second.
            Error::DatabaseError(DatabaseErrorKind::UniqueViolation, _) => AppError::Conflict("duplicate"),
            // SQLite's "database is locked" / "busy" after its busy timeout: try again, not a 500.
            Error::DatabaseError(_, info) if is_busy(info.message()) => AppError::Busy(info.message().to_string()),
            other => AppError::Internal(format!("database: {other}")),
        }
    }
}

fn is_busy(message: &str) -> bool {
    [
        "database is locked",
        "database table is locked",
        "database is busy",
        "database pool:",
    ]
    .iter()
    .any(|sign| message.contains(sign))
}

impl From<askama::Error> for AppError {
    fn from(e: askama::Error) -> Self {
        AppError::Internal(format!("template: {e}"))
    }
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct ProblemField {
    pub field: String,
    pub message: String,
}

impl ResponseError for AppError {
    fn status_code(&self) -> StatusCode {
        match self {
            AppError::MalformedBody => StatusCode::BAD_REQUEST,
            AppError::Unauthenticated => StatusCode::UNAUTHORIZED,
            AppError::Forbidden => StatusCode::FORBIDDEN,
            AppError::NotFound => StatusCode::NOT_FOUND,
            AppError::Conflict(_) | AppError::BooksClosed(_) => StatusCode::CONFLICT,
            AppError::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
            AppError::TooManyRequests => StatusCode::TOO_MANY_REQUESTS,
            AppError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            AppError::Busy(_) => StatusCode::SERVICE_UNAVAILABLE,
            AppError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    fn error_response(&self) -> HttpResponse {
        match self {
            AppError::Internal(message) => tracing::error!(%message, "request failed"),
            AppError::Busy(message) => tracing::warn!(%message, "database busy; asked to retry"),
            _ => {}
        }
        // The API speaks English; pages translate from the same catalogue.
        let tr = Tr::new(Lang::En);
        let status = self.status_code();
        let detail = match self {
            AppError::Conflict(_) | AppError::BooksClosed(_) => self.conflict_reason(tr).unwrap_or_default(),
            AppError::Invalid(errors) if errors.len() == 1 => {
                format!("{}: {}", errors[0].field, errors[0].message(tr))
            }
            _ => tr.get(&format!("{}.detail", self.title_key())).to_string(),
        };
        let errors = self
            .field_errors()
            .unwrap_or_default()
            .iter()
            .map(|e| ProblemField {
                field: e.field.clone(),
                message: e.message(tr),
            })
            .collect();
        let problem = Problem {
            kind: "about:blank".into(),
            title: tr.get(self.title_key()).to_string(),
            status: status.as_u16(),
            detail,
            errors,
        };
        let mut response = HttpResponse::build(status);
        response.content_type("application/problem+json");
        if status == StatusCode::UNAUTHORIZED {
            response.insert_header(("WWW-Authenticate", "Bearer"));
        }
        if status == StatusCode::TOO_MANY_REQUESTS {
            response.insert_header(("Retry-After", "900"));
        }
        if status == StatusCode::SERVICE_UNAVAILABLE {
            response.insert_header(("Retry-After", "2"));
        }
        if let AppError::MethodNotAllowed(methods) = self {
            response.insert_header(("Allow", methods.join(", ")));
        }
        response.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}

pub type AppResult<T> = Result<T, AppError>;
