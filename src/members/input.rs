//! A member's data as sent by a form or the API, parsed field by field (pure).

use chrono::{NaiveDate, NaiveDateTime};

use super::fields::{parse_birth_date, Dni, Email, Language, PersonName, Phone, Sex};
use super::model::Member;
use crate::error::FieldError;
use crate::input::{optional, required_if, Errors, Input};

pub const FIELDS: &[&str] = &[
    "first_name",
    "last_name",
    "dni",
    "sex",
    "birth_date",
    "phone",
    "email",
    "language",
    "organization_ids",
    "consents.sms",
    "consents.email",
];

/// What to set. `None` leaves a field as it is (a partial update); `Some(None)` clears it.
#[derive(Debug, Clone, Default)]
pub struct MemberChanges {
    pub first_name: Option<PersonName>,
    pub last_name: Option<PersonName>,
    pub dni: Option<Option<Dni>>,
    pub sex: Option<Sex>,
    pub birth_date: Option<Option<NaiveDate>>,
    pub phone: Option<Option<Phone>>,
    pub email: Option<Option<Email>>,
    pub language: Option<Language>,
    pub organization_ids: Option<Vec<i64>>,
    pub sms_consent: Option<bool>,
    pub email_consent: Option<bool>,
}

impl MemberChanges {
    /// On create, names, sex and at least one organisation are required; the language defaults
    /// to Spanish and consents to "no".
    pub fn parse(input: &dyn Input, creating: bool, today: NaiveDate) -> Result<MemberChanges, Vec<FieldError>> {
        let mut e = Errors::default();
        e.extend(input.unknown_fields(FIELDS));
        let first_name = e
            .take(required_if(creating, input, "first_name", PersonName::parse))
            .flatten();
        let last_name = e
            .take(required_if(creating, input, "last_name", PersonName::parse))
            .flatten();
        let sex = e.take(required_if(creating, input, "sex", Sex::parse)).flatten();
        let dni = e.take(optional(input, "dni", Dni::parse)).flatten();
        let birth_date = e
            .take(optional(input, "birth_date", |raw| parse_birth_date(raw, today)))
            .flatten();
        let phone = e.take(optional(input, "phone", Phone::parse)).flatten();
        let email = e.take(optional(input, "email", Email::parse)).flatten();
        let language = match e.take(optional(input, "language", Language::parse)).flatten() {
            Some(Some(language)) => Some(language),
            _ if creating => Some(Language::Es),
            _ => None,
        };
        let organization_ids = match e.take(input.ids("organization_ids")) {
            Some(ids) => {
                let ids = ids.map(|mut ids| {
                    ids.sort_unstable();
                    ids.dedup();
                    ids
                });
                // Everyone belongs to at least one organisation: required on create, never emptied.
                let missing = if creating {
                    ids.as_ref().is_none_or(Vec::is_empty)
                } else {
                    ids.as_ref().is_some_and(Vec::is_empty)
                };
                if missing {
                    e.push("organization_ids", "organization_required");
                }
                ids
            }
            None => None,
        };
        let sms_consent = e
            .take(input.flag("consents.sms"))
            .flatten()
            .or(creating.then_some(false));
        let email_consent = e
            .take(input.flag("consents.email"))
            .flatten()
            .or(creating.then_some(false));
        e.finish(|| {
            Some(MemberChanges {
                first_name,
                last_name,
                dni,
                sex,
                birth_date,
                phone,
                email,
                language,
                organization_ids,
                sms_consent,
                email_consent,
            })
        })
    }

    /// The member after these changes. A consent records who and when each time it changes
    /// (and at creation, whatever the answer).
    pub fn apply(&self, before: &Member, actor: i64, at: NaiveDateTime, creating: bool) -> Member {
        let mut after = before.clone();
        if let Some(v) = &self.first_name {
            after.first_name = v.as_str().to_string();
        }
        if let Some(v) = &self.last_name {
            after.last_name = v.as_str().to_string();
        }
        if let Some(v) = &self.dni {
            after.dni = v.as_ref().map(|d| d.as_str().to_string());
        }
        if let Some(v) = self.sex {
            after.sex = v.as_str().to_string();
        }
        if let Some(v) = self.birth_date {
            after.birth_date = v;
        }
        if let Some(v) = &self.phone {
            after.phone = v.as_ref().map(|p| p.as_str().to_string());
        }
        if let Some(v) = &self.email {
            after.email = v.as_ref().map(|m| m.as_str().to_string());
        }
        if let Some(v) = self.language {
            after.language = v.as_str().to_string();
        }
        if let Some(v) = self.sms_consent {
            if creating || v != before.sms_consent {
                (after.sms_consent, after.sms_consent_at, after.sms_consent_by) = (v, Some(at), Some(actor));
            }
        }
        if let Some(v) = self.email_consent {
            if creating || v != before.email_consent {
                (after.email_consent, after.email_consent_at, after.email_consent_by) = (v, Some(at), Some(actor));
            }
        }
        after.updated_at = at;
        after
    }
}

/// A blank member to apply the first changes to.
pub fn blank(at: NaiveDateTime) -> Member {
    Member {
        id: 0,
        first_name: String::new(),
        last_name: String::new(),
        dni: None,
        sex: Sex::Undisclosed.as_str().to_string(),
        birth_date: None,
        phone: None,
        email: None,
        language: Language::Es.as_str().to_string(),
        sms_consent: false,
        sms_consent_at: None,
        sms_consent_by: None,
        email_consent: false,
        email_consent_at: None,
        email_consent_by: None,
        anonymized_at: None,
        created_at: at,
        updated_at: at,
    }
}
