//! The committee's part of the OpenAPI document: the bodies its routes read, beside the handlers
//! of `api.rs`. The parsers in `input.rs` are the rule; these say the shape.

use chrono::NaiveDate;
use utoipa::ToSchema;

use super::status::ActionStatus;

#[derive(ToSchema)]
pub struct CommitteeBody {
    #[schema(minimum = 1)]
    pub organization_id: i64,
    #[schema(min_length = 1, max_length = 200)]
    pub name: String,
}

/// A seat: a member of the organisation (`member_id`) or someone named (`name`).
#[derive(ToSchema)]
pub struct SeatBody {
    #[schema(minimum = 1)]
    pub member_id: Option<i64>,
    #[schema(max_length = 200)]
    pub name: Option<String>,
    #[schema(min_length = 1, max_length = 100)]
    pub position: String,
    pub term_start: NaiveDate,
    pub term_end: Option<NaiveDate>,
}

#[derive(ToSchema)]
pub struct MeetingBody {
    pub date: NaiveDate,
    #[schema(max_length = 200)]
    pub place: Option<String>,
    pub minutes: Option<String>,
    /// Seats of the committee who came.
    pub attendee_ids: Option<Vec<i64>>,
}

#[derive(ToSchema)]
pub struct ActionBody {
    #[schema(min_length = 1, max_length = 2000)]
    pub description: String,
    #[schema(minimum = 1)]
    pub responsible_member_id: Option<i64>,
    #[schema(max_length = 200)]
    pub responsible_name: Option<String>,
    pub due_date: NaiveDate,
    /// Default `pending`.
    pub status: Option<ActionStatus>,
    /// The meeting that agreed it.
    #[schema(minimum = 1)]
    pub meeting_id: Option<i64>,
}

/// A change of an action's status; a reason is asked for some changes (DOMAIN.md).
#[derive(ToSchema)]
pub struct StatusChangeBody {
    pub status: ActionStatus,
    #[schema(max_length = 500)]
    pub reason: Option<String>,
}

#[derive(ToSchema)]
pub struct NoteBody {
    #[schema(min_length = 1, max_length = 5000)]
    pub text: String,
    /// Default today.
    pub date: Option<NaiveDate>,
}

/// The description of this part's routes, merged into `/api/openapi.json`.
#[derive(utoipa::OpenApi)]
#[openapi(paths(
    super::api::list_committees,
    super::api::create_committee,
    super::api::get_committee,
    super::api::add_member,
    super::api::record_meeting,
    super::api::list_actions,
    super::api::create_action,
    super::api::get_action,
    super::api::update_action,
    super::api::add_note,
    super::api::get_board
))]
pub struct ApiDoc;
