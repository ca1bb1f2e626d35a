//! Training requests, parsed field by field from JSON or forms (pure).

use chrono::NaiveDate;
use serde::Deserialize;

use super::model::TrainingFilter;
use crate::error::{AppResult, FieldError};
use crate::input::{closed_set, optional, parse_date, required, required_if, short_text, Errors, Input};
use crate::web::{date_param, id_param};

closed_set!(
    /// Where a person stood on the day of a training.
    AttendanceStatus, "attendance_status_unknown", {
        Present => "present",
        Absent => "absent",
        Excused => "excused",
    }
);

/// A topic key: lower-case letters, digits and `_`, as `mercury_free_processing`.
pub fn parse_topic_key(raw: &str) -> Result<String, &'static str> {
    let key = raw.trim();
    let well_formed = !key.is_empty()
        && key.len() <= 50
        && key.starts_with(|c: char| c.is_ascii_lowercase())
        && key
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
    if well_formed {
        Ok(key.to_string())
    } else {
        Err("topic_key_format")
    }
}

/// A topic key given in a query string (`?topic=first_aid`); empty means not given.
pub fn topic_query(raw: &Option<String>) -> Result<Option<String>, crate::error::AppError> {
    raw.as_deref()
        .filter(|r| !r.trim().is_empty())
        .map(|r| parse_topic_key(r).map_err(|_| crate::error::AppError::invalid("topic", "topic_unknown")))
        .transpose()
}

pub struct TopicInput {
    pub key: String,
    pub name_es: String,
    pub name_en: String,
}

impl TopicInput {
    pub fn parse(input: &dyn Input) -> Result<TopicInput, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(&["key", "name_es", "name_en"]));
        let key = e.take(required(input, "key", parse_topic_key));
        let name_es = e.take(required(input, "name_es", |raw| short_text(raw, 100)));
        let name_en = e
            .take(optional(input, "name_en", |raw| short_text(raw, 100)))
            .flatten()
            .flatten();
        e.finish(|| {
            let name_es = name_es?;
            Some(TopicInput {
                key: key?,
                name_en: name_en.unwrap_or_else(|| name_es.clone()),
                name_es,
            })
        })
    }
}

/// A new training (every required field) or a change to one (only the fields given).
#[derive(Default)]
pub struct TrainingInput {
    pub title: Option<String>,
    pub topic: Option<String>,
    pub date: Option<NaiveDate>,
    /// `None` = leave as is, `Some(None)` = clear.
    pub place: Option<Option<String>>,
    pub facilitator: Option<Option<String>>,
    pub notes: Option<Option<String>>,
    pub organization_ids: Option<Vec<i64>>,
}

const TRAINING_FIELDS: [&str; 7] = [
    "title",
    "topic",
    "date",
    "place",
    "facilitator",
    "notes",
    "organization_ids",
];

impl TrainingInput {
    pub fn parse(input: &dyn Input, creating: bool) -> Result<TrainingInput, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(&TRAINING_FIELDS));
        let title = e.take(required_if(creating, input, "title", |raw| short_text(raw, 200)));
        let topic = e.take(required_if(creating, input, "topic", parse_topic_key));
        let date = e.take(required_if(creating, input, "date", parse_date));
        let place = e.take(optional(input, "place", |raw| short_text(raw, 200))).flatten();
        let facilitator = e
            .take(optional(input, "facilitator", |raw| short_text(raw, 200)))
            .flatten();
        let notes = e.take(optional(input, "notes", |raw| short_text(raw, 5_000))).flatten();
        let organization_ids = e.take(input.ids("organization_ids")).flatten();
        match &organization_ids {
            Some(ids) if ids.is_empty() => e.push("organization_ids", "organization_required"),
            None if creating => e.push("organization_ids", "organization_required"),
            _ => {}
        }
        e.finish(|| {
            Some(TrainingInput {
                title: title.flatten(),
                topic: topic.flatten(),
                date: date.flatten(),
                place,
                facilitator,
                notes,
                organization_ids,
            })
        })
    }
}

pub struct CancelInput {
    pub reason: String,
}

impl CancelInput {
    pub fn parse(input: &dyn Input) -> Result<CancelInput, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(&["reason"]));
        let reason = e.take(required(input, "reason", |raw| short_text(raw, 500)));
        e.finish(|| Some(CancelInput { reason: reason? }))
    }
}

#[derive(Deserialize)]
pub struct TrainingsQuery {
    pub from: Option<String>,
    pub to: Option<String>,
    pub topic: Option<String>,
    pub organization_id: Option<String>,
    pub limit: Option<String>,
    pub offset: Option<String>,
}

impl TrainingsQuery {
    pub fn filter(&self) -> AppResult<TrainingFilter> {
        Ok(TrainingFilter {
            from: date_param("from", self.from.as_deref())?,
            to: date_param("to", self.to.as_deref())?,
            topic: topic_query(&self.topic)?,
            organization_id: id_param("organization_id", self.organization_id.as_deref())?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topic_keys_are_plain_words() {
        assert_eq!(parse_topic_key(" first_aid "), Ok("first_aid".into()));
        assert!(parse_topic_key("First Aid").is_err());
        assert!(parse_topic_key("1st").is_err());
    }
}
