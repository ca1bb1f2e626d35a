//! The committee's requests, parsed field by field from JSON or forms (pure).

use chrono::NaiveDate;

use super::status::ActionStatus;
use crate::error::FieldError;
use crate::input::{optional, parse_date, required, short_text, Errors, Given, Input};

fn id(input: &dyn Input, field: &str, e: &mut Errors) -> Option<i64> {
    match e.take(input.id(field)) {
        Some(Given::Text(v)) => v.parse().ok(),
        _ => None,
    }
}

pub struct CommitteeInput {
    pub organization_id: i64,
    pub name: String,
}

impl CommitteeInput {
    pub fn parse(input: &dyn Input) -> Result<CommitteeInput, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(&["organization_id", "name"]));
        let organization_id = id(input, "organization_id", &mut e);
        if organization_id.is_none() && e.0.is_empty() {
            e.push("organization_id", "required");
        }
        let name = e.take(required(input, "name", |raw| short_text(raw, 200)));
        e.finish(|| {
            Some(CommitteeInput {
                organization_id: organization_id?,
                name: name?,
            })
        })
    }
}

/// A seat: a member of the organisation (`member_id`) or a person named here (`name`).
pub struct SeatInput {
    pub member_id: Option<i64>,
    pub name: Option<String>,
    pub position: String,
    pub term_start: NaiveDate,
    pub term_end: Option<NaiveDate>,
}

impl SeatInput {
    pub fn parse(input: &dyn Input) -> Result<SeatInput, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(&["member_id", "name", "position", "term_start", "term_end"]));
        let member_id = id(input, "member_id", &mut e);
        let name = e
            .take(optional(input, "name", |raw| short_text(raw, 200)))
            .flatten()
            .flatten();
        if member_id.is_none() && name.is_none() {
            e.push("name", "seat_person_required");
        }
        let position = e.take(required(input, "position", |raw| short_text(raw, 100)));
        let term_start = e.take(required(input, "term_start", parse_date));
        let term_end = e.take(optional(input, "term_end", parse_date)).flatten().flatten();
        if let (Some(start), Some(end)) = (term_start, term_end) {
            if end < start {
                e.push("term_end", "term_end_before_start");
            }
        }
        e.finish(|| {
            Some(SeatInput {
                member_id,
                name,
                position: position?,
                term_start: term_start?,
                term_end,
            })
        })
    }
}

pub const MINUTES_MAX_CHARS: usize = 20_000;

pub struct MeetingInput {
    pub date: NaiveDate,
    pub place: Option<String>,
    pub minutes: String,
    /// Seats (committee member ids) of those who attended.
    pub attendee_ids: Vec<i64>,
}

impl MeetingInput {
    pub fn parse(input: &dyn Input) -> Result<MeetingInput, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(&["date", "place", "minutes", "attendee_ids"]));
        let date = e.take(required(input, "date", parse_date));
        let place = e
            .take(optional(input, "place", |raw| short_text(raw, 200)))
            .flatten()
            .flatten();
        let minutes = match e.take(input.text("minutes")) {
            // Kept as written (line breaks and all); shown escaped.
            Some(Given::Text(text)) if text.chars().count() > MINUTES_MAX_CHARS => {
                e.push("minutes", "text_too_long");
                None
            }
            Some(Given::Text(text)) => Some(text),
            Some(_) => Some(String::new()),
            None => None,
        };
        let attendee_ids = e.take(input.ids("attendee_ids")).flatten().unwrap_or_default();
        e.finish(|| {
            Some(MeetingInput {
                date: date?,
                place,
                minutes: minutes?,
                attendee_ids,
            })
        })
    }
}

pub struct ActionInput {
    pub description: String,
    pub responsible_member_id: Option<i64>,
    pub responsible_name: Option<String>,
    pub due_date: NaiveDate,
    pub status: ActionStatus,
    pub meeting_id: Option<i64>,
}

impl ActionInput {
    pub fn parse(input: &dyn Input) -> Result<ActionInput, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(&[
            "description",
            "responsible_member_id",
            "responsible_name",
            "due_date",
            "status",
            "meeting_id",
        ]));
        let description = e.take(required(input, "description", |raw| short_text(raw, 2_000)));
        let responsible_member_id = id(input, "responsible_member_id", &mut e);
        let responsible_name = e
            .take(optional(input, "responsible_name", |raw| short_text(raw, 200)))
            .flatten()
            .flatten();
        let due_date = e.take(required(input, "due_date", parse_date));
        let status = match e.take(optional(input, "status", ActionStatus::parse)) {
            Some(Some(Some(status))) => Some(status),
            Some(_) => Some(ActionStatus::Pending),
            None => None,
        };
        let meeting_id = id(input, "meeting_id", &mut e);
        e.finish(|| {
            Some(ActionInput {
                description: description?,
                responsible_member_id,
                responsible_name,
                due_date: due_date?,
                status: status?,
                meeting_id,
            })
        })
    }
}

pub struct StatusChange {
    pub status: ActionStatus,
    pub reason: Option<String>,
}

impl StatusChange {
    pub fn parse(input: &dyn Input) -> Result<StatusChange, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(&["status", "reason"]));
        let status = e.take(required(input, "status", ActionStatus::parse));
        let reason = e
            .take(optional(input, "reason", |raw| short_text(raw, 500)))
            .flatten()
            .flatten();
        e.finish(|| {
            Some(StatusChange {
                status: status?,
                reason,
            })
        })
    }
}

pub struct NoteInput {
    pub text: String,
    pub date: Option<NaiveDate>,
}

impl NoteInput {
    pub fn parse(input: &dyn Input) -> Result<NoteInput, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(&["text", "date"]));
        let text = e.take(required(input, "text", |raw| short_text(raw, 5_000)));
        let date = e.take(optional(input, "date", parse_date)).flatten().flatten();
        e.finish(|| Some(NoteInput { text: text?, date }))
    }
}
