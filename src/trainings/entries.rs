//! A register read from JSON or from the page's form (pure): one line per member or named guest,
//! every bad line named by its index.

use crate::error::FieldError;
use crate::input::{optional, required, short_text, Errors, Given, Input};
use crate::members::fields::Sex;

use super::input::AttendanceStatus;

/// One line of a register as sent, with the names its fields carry in the request, so a problem
/// found later (a member not invited) is reported on the right field.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryInput {
    pub person: Person,
    pub organization_id: Option<i64>,
    pub status: AttendanceStatus,
    pub fields: EntryFields,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Person {
    Member(i64),
    /// Someone outside the associations (men of CECOMIP, a neighbour): name and sex as told.
    Guest {
        name: String,
        sex: Sex,
    },
}

/// The request's names of a line's fields: `entries[3].status` in JSON, `status_12` on the form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EntryFields {
    pub member_id: String,
    pub name: String,
    pub organization_id: String,
    pub status: String,
}

impl EntryFields {
    pub fn json(index: usize) -> EntryFields {
        let at = |f: &str| format!("entries[{index}].{f}");
        EntryFields {
            member_id: at("member_id"),
            name: at("name"),
            organization_id: at("organization_id"),
            status: at("status"),
        }
    }
}

fn id(input: &dyn Input, field: &str, e: &mut Errors) -> Option<i64> {
    match e.take(input.id(field)) {
        Some(Given::Text(v)) => v.parse().ok(),
        _ => None,
    }
}

/// `{"entries":[{"member_id"?,"name"?,"sex"?,"organization_id"?,"status"}]}` (API.md).
pub fn parse_entries(input: &crate::input::JsonInput) -> Result<Vec<EntryInput>, Vec<FieldError>> {
    let mut e = Errors::default();
    e.extend(input.unknown_fields(&["entries"]));
    let lines = match e.take(input.objects("entries")) {
        Some(Some(lines)) => lines,
        Some(None) => {
            e.push("entries", "required");
            Vec::new()
        }
        None => Vec::new(),
    };
    let mut entries = Vec::new();
    for (index, line) in lines.iter().enumerate() {
        let fields = EntryFields::json(index);
        let mut le = Errors::default();
        for unknown in line.unknown_fields(&["member_id", "name", "sex", "organization_id", "status"]) {
            le.0.push(FieldError::new(
                format!("entries[{index}].{}", unknown.field),
                unknown.code,
            ));
        }
        let member_id = id(line, "member_id", &mut le);
        let name = le
            .take(optional(line, "name", |raw| short_text(raw, 200)))
            .flatten()
            .flatten();
        let sex = le.take(optional(line, "sex", Sex::parse)).flatten().flatten();
        let organization_id = id(line, "organization_id", &mut le);
        let status = le.take(required(line, "status", AttendanceStatus::parse));
        let person = match (member_id, name) {
            (Some(_), Some(_)) => {
                le.push("name", "member_or_name");
                None
            }
            (Some(_), None) if sex.is_some() => {
                // A member's sex is her record's, never the register's.
                le.push("sex", "member_sex_from_record");
                None
            }
            (Some(member_id), None) => Some(Person::Member(member_id)),
            (None, Some(name)) => Some(Person::Guest {
                name,
                sex: sex.unwrap_or(Sex::Undisclosed),
            }),
            (None, None) => {
                le.push("member_id", "member_or_name_required");
                None
            }
        };
        for mut err in le.0 {
            if !err.field.starts_with("entries[") {
                err.field = format!("entries[{index}].{}", err.field);
            }
            e.0.push(err);
        }
        if let (Some(person), Some(status)) = (person, status) {
            entries.push(EntryInput {
                person,
                organization_id,
                status,
                fields,
            });
        }
    }
    e.finish(|| Some(entries))
}

/// The register form: one `status_<member id>` per member listed, and guest rows
/// `guest_name_<n>`, `guest_sex_<n>`, `guest_organization_id_<n>`, `guest_status_<n>`
/// (a guest row with no name is an unused blank row).
pub fn parse_register_form(pairs: &[(String, String)]) -> Result<Vec<EntryInput>, Vec<FieldError>> {
    let mut e = Errors::default();
    let mut entries = Vec::new();
    for (key, value) in pairs {
        if let Some(member) = key.strip_prefix("status_") {
            let Ok(member_id) = member.parse::<i64>() else { continue };
            let fields = EntryFields {
                member_id: key.clone(),
                name: key.clone(),
                organization_id: key.clone(),
                status: key.clone(),
            };
            match AttendanceStatus::parse(value) {
                Ok(status) => entries.push(EntryInput {
                    person: Person::Member(member_id),
                    organization_id: None,
                    status,
                    fields,
                }),
                Err(code) => e.push(key, code),
            }
        }
    }
    let value = |name: String| {
        pairs
            .iter()
            .find(|(k, _)| *k == name)
            .map(|(_, v)| v.trim().to_string())
            .unwrap_or_default()
    };
    let rows = pairs
        .iter()
        .filter_map(|(k, _)| k.strip_prefix("guest_name_")?.parse::<u32>().ok());
    for n in rows {
        let name = value(format!("guest_name_{n}"));
        if name.is_empty() {
            continue;
        }
        let fields = EntryFields {
            member_id: format!("guest_name_{n}"),
            name: format!("guest_name_{n}"),
            organization_id: format!("guest_organization_id_{n}"),
            status: format!("guest_status_{n}"),
        };
        let name = e.take(short_text(&name, 200).map_err(|c| FieldError::new(&fields.name, c)));
        let sex_raw = value(format!("guest_sex_{n}"));
        let sex = if sex_raw.is_empty() {
            Some(Sex::Undisclosed)
        } else {
            e.take(Sex::parse(&sex_raw).map_err(|c| FieldError::new(format!("guest_sex_{n}"), c)))
        };
        let org_raw = value(format!("guest_organization_id_{n}"));
        let organization_id = if org_raw.is_empty() {
            Some(None)
        } else {
            e.take(
                org_raw
                    .parse::<i64>()
                    .map(Some)
                    .map_err(|_| FieldError::new(&fields.organization_id, "must_be_id")),
            )
        };
        let status = e.take(
            AttendanceStatus::parse(&value(format!("guest_status_{n}")))
                .map_err(|c| FieldError::new(&fields.status, c)),
        );
        if let (Some(name), Some(sex), Some(organization_id), Some(status)) = (name, sex, organization_id, status) {
            entries.push(EntryInput {
                person: Person::Guest { name, sex },
                organization_id,
                status,
                fields,
            });
        }
    }
    e.finish(|| Some(entries))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::input::JsonInput;
    use serde_json::json;

    fn entries(body: serde_json::Value) -> Result<Vec<EntryInput>, Vec<String>> {
        parse_entries(&JsonInput::from_value(body).unwrap())
            .map_err(|errors| errors.into_iter().map(|e| format!("{}:{}", e.field, e.code)).collect())
    }

    #[test]
    fn a_line_is_a_member_or_a_named_guest_whose_sex_is_never_guessed() {
        let parsed = entries(json!({"entries": [
            {"member_id": 4, "status": "present"},
            {"name": "Juan Mamani", "organization_id": 2, "status": "excused"},
        ]}))
        .unwrap();
        assert_eq!(parsed[0].person, Person::Member(4));
        assert_eq!(
            parsed[1].person,
            Person::Guest {
                name: "Juan Mamani".into(),
                sex: Sex::Undisclosed
            }
        );
        assert_eq!(parsed[1].organization_id, Some(2));
    }

    #[test]
    fn every_bad_line_is_named_by_its_index() {
        let errors = entries(json!({"entries": [
            {"member_id": 4, "status": "late"},
            {"status": "present"},
            {"member_id": 5, "sex": "female", "status": "present"},
            {"name": "Ana", "sex": "woman", "status": "absent"},
            {"member_id": "x", "status": "present"},
            "nope",
        ]}))
        .unwrap_err();
        assert_eq!(errors, vec!["entries[5]:must_be_object"]);
        let errors = entries(json!({"entries": [
            {"member_id": 4, "status": "late"},
            {"status": "present"},
            {"member_id": 5, "sex": "female", "status": "present"},
            {"name": "Ana", "sex": "woman", "status": "absent"},
            {"member_id": "x", "status": "present", "colour": 1},
        ]}))
        .unwrap_err();
        assert_eq!(
            errors,
            vec![
                "entries[0].status:attendance_status_unknown",
                "entries[1].member_id:member_or_name_required",
                "entries[2].sex:member_sex_from_record",
                "entries[3].sex:sex_unknown",
                "entries[4].colour:unknown_field",
                "entries[4].member_id:must_be_id",
                "entries[4].member_id:member_or_name_required",
            ]
        );
        assert_eq!(entries(json!({})).unwrap_err(), vec!["entries:required"]);
    }

    #[test]
    fn the_form_reads_member_statuses_and_named_guest_rows_and_skips_blank_rows() {
        let pairs: Vec<(String, String)> = [
            ("csrf_token", "x"),
            ("status_7", "present"),
            ("status_8", "absent"),
            ("guest_name_0", "Juan Mamani"),
            ("guest_sex_0", "male"),
            ("guest_organization_id_0", ""),
            ("guest_status_0", "present"),
            ("guest_name_1", ""),
            ("guest_status_1", "present"),
        ]
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        let parsed = parse_register_form(&pairs).unwrap();
        assert_eq!(parsed.len(), 3);
        assert_eq!(parsed[1].status, AttendanceStatus::Absent);
        assert_eq!(
            parsed[2].person,
            Person::Guest {
                name: "Juan Mamani".into(),
                sex: Sex::Male
            }
        );
    }
}
