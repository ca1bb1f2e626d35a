//! The trainings' part of the OpenAPI document: the bodies and queries their routes read, beside
//! the handlers of `api.rs`. The parsers in `input.rs` and `entries.rs` are the rule; these say the shape.

use chrono::NaiveDate;
use utoipa::{IntoParams, ToSchema};

use super::input::AttendanceStatus;
use crate::members::fields::Sex;

#[derive(ToSchema)]
pub struct TopicBody {
    /// Lower-case letters, digits and `_`, starting with a letter.
    #[schema(pattern = "^[a-z][a-z0-9_]{0,49}$")]
    pub key: String,
    #[schema(min_length = 1, max_length = 100)]
    pub name_es: String,
    #[schema(max_length = 100)]
    pub name_en: Option<String>,
}

#[derive(ToSchema)]
pub struct TrainingBody {
    #[schema(min_length = 1, max_length = 200)]
    pub title: String,
    /// A topic's key (`GET /topics`).
    #[schema(pattern = "^[a-z][a-z0-9_]{0,49}$")]
    pub topic: String,
    pub date: NaiveDate,
    #[schema(max_length = 200)]
    pub place: Option<String>,
    #[schema(max_length = 200)]
    pub facilitator: Option<String>,
    #[schema(max_length = 5000)]
    pub notes: Option<String>,
    /// The organisations invited.
    #[schema(min_items = 1)]
    pub organization_ids: Vec<i64>,
}

/// The fields of `PATCH /trainings/{id}`: only those sent change; `null` clears an optional one.
#[derive(ToSchema)]
pub struct TrainingChangesBody {
    #[schema(min_length = 1, max_length = 200)]
    pub title: Option<String>,
    #[schema(pattern = "^[a-z][a-z0-9_]{0,49}$")]
    pub topic: Option<String>,
    pub date: Option<NaiveDate>,
    #[schema(max_length = 200)]
    pub place: Option<String>,
    #[schema(max_length = 200)]
    pub facilitator: Option<String>,
    #[schema(max_length = 5000)]
    pub notes: Option<String>,
    #[schema(min_items = 1)]
    pub organization_ids: Option<Vec<i64>>,
}

#[derive(ToSchema)]
pub struct CancelBody {
    #[schema(min_length = 1, max_length = 500)]
    pub reason: String,
}

/// The whole register, replacing the one before.
#[derive(ToSchema)]
pub struct RegisterBody {
    pub entries: Vec<RegisterLine>,
}

/// One person of a register: a member (`member_id`), or someone named (`name`, with `sex`).
#[derive(ToSchema)]
pub struct RegisterLine {
    #[schema(minimum = 1)]
    pub member_id: Option<i64>,
    #[schema(max_length = 200)]
    pub name: Option<String>,
    pub sex: Option<Sex>,
    #[schema(minimum = 1)]
    pub organization_id: Option<i64>,
    pub status: AttendanceStatus,
}

/// `GET /trainings`' filters.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct TrainingsParams {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// A topic's key.
    pub topic: Option<String>,
    #[param(minimum = 1)]
    pub organization_id: Option<i64>,
    #[param(minimum = 1, maximum = 500)]
    pub limit: Option<i64>,
    #[param(minimum = 0)]
    pub offset: Option<i64>,
}

/// The attendance report's filters; the period defaults to the current quarter so far.
#[derive(IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ReportParams {
    pub from: Option<NaiveDate>,
    pub to: Option<NaiveDate>,
    /// A topic's key.
    pub topic: Option<String>,
    #[param(minimum = 1)]
    pub organization_id: Option<i64>,
}

/// The description of this part's routes, merged into `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    super::api::list_topics,
    super::api::create_topic,
    super::api::list_trainings,
    super::api::create_training,
    super::api::get_training,
    super::api::update_training,
    super::api::cancel_training,
    super::api::get_attendance,
    super::api::put_attendance,
    super::api::member_trainings,
    super::api::attendance_report
))]
pub struct ApiDoc;
