//! Reading untrusted input field by field, the same way from a JSON body and from an HTML form,
//! so each rule is written once and every problem is reported with its field name.

use serde_json::{Map, Value};

use crate::error::FieldError;

/// A value as sent: absent, explicitly empty (JSON `null`, an empty form field), or text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Given {
    Absent,
    Empty,
    Text(String),
}

pub trait Input {
    /// A text field. Wrong JSON types are refused rather than coerced.
    fn text(&self, field: &str) -> Result<Given, FieldError>;
    /// A yes/no field. On a form, an unticked checkbox is simply absent: that means "no".
    fn flag(&self, field: &str) -> Result<Option<bool>, FieldError>;
    /// A list of ids. On a form, several fields with the same name; none means an empty list.
    fn ids(&self, field: &str) -> Result<Option<Vec<i64>>, FieldError>;
    /// One id (or `null`).
    fn id(&self, field: &str) -> Result<Given, FieldError>;
    /// A whole number (JSON number; form text).
    fn int(&self, field: &str) -> Result<Option<i64>, FieldError>;
    /// Fields the caller does not know, so a misspelt key is not silently dropped.
    fn unknown_fields(&self, known: &[&str]) -> Vec<FieldError>;
}

/// A JSON object body. Nested objects are addressed with dots: `consents.sms`.
pub struct JsonInput {
    object: Map<String, Value>,
}

impl JsonInput {
    pub fn from_value(value: Value) -> Result<JsonInput, FieldError> {
        match value {
            Value::Object(object) => Ok(JsonInput { object }),
            _ => Err(FieldError::new("body", "must_be_object")),
        }
    }

    /// A list of objects (the lines of a register), each read as its own input.
    pub fn objects(&self, field: &str) -> Result<Option<Vec<JsonInput>>, FieldError> {
        match self.lookup(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    JsonInput::from_value(item.clone())
                        .map_err(|_| FieldError::new(format!("{field}[{i}]"), "must_be_object"))
                })
                .collect::<Result<Vec<_>, _>>()
                .map(Some),
            Some(_) => Err(FieldError::new(field, "must_be_list")),
        }
    }

    fn lookup(&self, field: &str) -> Option<&Value> {
        let mut parts = field.split('.');
        let mut current = self.object.get(parts.next()?)?;
        for part in parts {
            current = current.as_object()?.get(part)?;
        }
        Some(current)
    }
}

impl Input for JsonInput {
    fn text(&self, field: &str) -> Result<Given, FieldError> {
        match self.lookup(field) {
            None => Ok(Given::Absent),
            Some(Value::Null) => Ok(Given::Empty),
            Some(Value::String(s)) if s.trim().is_empty() => Ok(Given::Empty),
            Some(Value::String(s)) => Ok(Given::Text(s.clone())),
            Some(_) => Err(FieldError::new(field, "must_be_text")),
        }
    }

    fn flag(&self, field: &str) -> Result<Option<bool>, FieldError> {
        match self.lookup(field) {
            None => Ok(None),
            Some(Value::Bool(b)) => Ok(Some(*b)),
            Some(_) => Err(FieldError::new(field, "must_be_boolean")),
        }
    }

    fn ids(&self, field: &str) -> Result<Option<Vec<i64>>, FieldError> {
        match self.lookup(field) {
            None => Ok(None),
            Some(Value::Array(items)) => items
                .iter()
                .map(|v| v.as_i64().filter(|id| *id > 0))
                .collect::<Option<Vec<i64>>>()
                .map(Some)
                .ok_or_else(|| FieldError::new(field, "must_be_id_list")),
            Some(_) => Err(FieldError::new(field, "must_be_id_list")),
        }
    }

    fn id(&self, field: &str) -> Result<Given, FieldError> {
        match self.lookup(field) {
            None => Ok(Given::Absent),
            Some(Value::Null) => Ok(Given::Empty),
            Some(Value::Number(n)) => match n.as_i64() {
                Some(id) if id > 0 => Ok(Given::Text(id.to_string())),
                _ => Err(FieldError::new(field, "must_be_id")),
            },
            Some(_) => Err(FieldError::new(field, "must_be_id")),
        }
    }

    fn int(&self, field: &str) -> Result<Option<i64>, FieldError> {
        match self.lookup(field) {
            None | Some(Value::Null) => Ok(None),
            Some(Value::Number(n)) => n
                .as_i64()
                .map(Some)
                .ok_or_else(|| FieldError::new(field, "must_be_integer")),
            Some(_) => Err(FieldError::new(field, "must_be_integer")),
        }
    }

    fn unknown_fields(&self, known: &[&str]) -> Vec<FieldError> {
        let top: Vec<&str> = known.iter().map(|k| k.split('.').next().unwrap_or(k)).collect();
        self.object
            .keys()
            .filter(|key| !top.contains(&key.as_str()))
            .map(|key| FieldError::new(key.clone(), "unknown_field"))
            .collect()
    }
}

/// The accented letters of Spanish (and Quechua and Aymara as written in Peru) and their plain
/// letters, for a search that does not care how a name was typed.
pub const SEARCH_FOLDS: [(char, char); 14] = [
    ('á', 'a'),
    ('Á', 'a'),
    ('é', 'e'),
    ('É', 'e'),
    ('í', 'i'),
    ('Í', 'i'),
    ('ó', 'o'),
    ('Ó', 'o'),
    ('ú', 'u'),
    ('Ú', 'u'),
    ('ü', 'u'),
    ('Ü', 'u'),
    ('ñ', 'n'),
    ('Ñ', 'n'),
];

/// Text as searches compare it: accents plain, lower case ("Núñez" → "nunez").
pub fn fold_for_search(text: &str) -> String {
    text.chars()
        .map(|c| {
            SEARCH_FOLDS
                .iter()
                .find(|(from, _)| *from == c)
                .map_or(c, |(_, to)| *to)
        })
        .collect::<String>()
        .to_lowercase()
}

/// An `application/x-www-form-urlencoded` body, as name/value pairs.
pub struct FormInput {
    pairs: Vec<(String, String)>,
}

impl FormInput {
    pub fn new(pairs: Vec<(String, String)>) -> FormInput {
        FormInput { pairs }
    }

    pub fn value(&self, field: &str) -> Option<&str> {
        self.pairs.iter().find(|(k, _)| k == field).map(|(_, v)| v.as_str())
    }
}

impl Input for FormInput {
    fn text(&self, field: &str) -> Result<Given, FieldError> {
        Ok(match self.value(field) {
            None => Given::Absent,
            Some(v) if v.trim().is_empty() => Given::Empty,
            Some(v) => Given::Text(v.to_string()),
        })
    }

    fn flag(&self, field: &str) -> Result<Option<bool>, FieldError> {
        Ok(Some(self.value(field).is_some_and(|v| !v.is_empty() && v != "false")))
    }

    fn ids(&self, field: &str) -> Result<Option<Vec<i64>>, FieldError> {
        self.pairs
            .iter()
            .filter(|(k, v)| k == field && !v.is_empty())
            .map(|(_, v)| v.trim().parse::<i64>().ok().filter(|id| *id > 0))
            .collect::<Option<Vec<i64>>>()
            .map(Some)
            .ok_or_else(|| FieldError::new(field, "must_be_id_list"))
    }

    fn id(&self, field: &str) -> Result<Given, FieldError> {
        match self.text(field)? {
            Given::Text(v) => match v.trim().parse::<i64>() {
                Ok(id) if id > 0 => Ok(Given::Text(id.to_string())),
                _ => Err(FieldError::new(field, "must_be_id")),
            },
            other => Ok(other),
        }
    }

    fn int(&self, field: &str) -> Result<Option<i64>, FieldError> {
        match self.text(field)? {
            Given::Text(v) => v
                .trim()
                .parse()
                .map(Some)
                .map_err(|_| FieldError::new(field, "must_be_integer")),
            Given::Absent | Given::Empty => Ok(None),
        }
    }

    fn unknown_fields(&self, _known: &[&str]) -> Vec<FieldError> {
        Vec::new()
    }
}

/// Collects field errors while a parser reads every field, so all problems are reported at once.
#[derive(Default)]
pub struct Errors(pub Vec<FieldError>);

impl Errors {
    /// Keeps the value, or records the error and returns `None`.
    pub fn take<T>(&mut self, result: Result<T, FieldError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(e) => {
                self.0.push(e);
                None
            }
        }
    }

    pub fn push(&mut self, field: &str, code: &'static str) {
        self.0.push(FieldError::new(field, code));
    }

    pub fn extend(&mut self, errors: Vec<FieldError>) {
        self.0.extend(errors);
    }

    pub fn finish<T>(self, value: impl FnOnce() -> Option<T>) -> Result<T, Vec<FieldError>> {
        if !self.0.is_empty() {
            return Err(self.0);
        }
        value().ok_or_else(|| vec![FieldError::new("body", "invalid")])
    }
}

/// A required text field parsed by `parse`.
pub fn required<T>(
    input: &dyn Input,
    field: &str,
    parse: impl FnOnce(&str) -> Result<T, &'static str>,
) -> Result<T, FieldError> {
    match input.text(field)? {
        Given::Text(text) => parse(&text).map_err(|code| FieldError::new(field, code)),
        Given::Absent | Given::Empty => Err(FieldError::new(field, "required")),
    }
}

/// An optional text field for a change: `None` = leave as is, `Some(None)` = clear.
pub fn optional<T>(
    input: &dyn Input,
    field: &str,
    parse: impl FnOnce(&str) -> Result<T, &'static str>,
) -> Result<Option<Option<T>>, FieldError> {
    match input.text(field)? {
        Given::Absent => Ok(None),
        Given::Empty => Ok(Some(None)),
        Given::Text(text) => parse(&text)
            .map(|v| Some(Some(v)))
            .map_err(|code| FieldError::new(field, code)),
    }
}

/// A required field on create, a may-be-absent one on update.
pub fn required_if<T>(
    creating: bool,
    input: &dyn Input,
    field: &str,
    parse: impl FnOnce(&str) -> Result<T, &'static str>,
) -> Result<Option<T>, FieldError> {
    match input.text(field)? {
        Given::Absent if !creating => Ok(None),
        Given::Text(text) => parse(&text).map(Some).map_err(|code| FieldError::new(field, code)),
        Given::Absent | Given::Empty => Err(FieldError::new(field, "required")),
    }
}

/// A calendar date written `YYYY-MM-DD`.
/// A calendar date written `YYYY-MM-DD` exactly (no sign, no five-digit year, no `2026-2-3`),
/// between 1900 and 2100: no date of Pallay's domain lies outside. Rules of a part narrow it
/// further (money moves from 2000 to today, see `fund::input`).
pub fn parse_date(raw: &str) -> Result<chrono::NaiveDate, &'static str> {
    let raw = raw.trim();
    let shape = raw.len() == 10
        && raw.bytes().enumerate().all(|(i, b)| {
            if i == 4 || i == 7 {
                b == b'-'
            } else {
                b.is_ascii_digit()
            }
        });
    if !shape {
        return Err("date_format");
    }
    let date = chrono::NaiveDate::parse_from_str(raw, "%Y-%m-%d").map_err(|_| "date_format")?;
    if !(1900..=2100).contains(&chrono::Datelike::year(&date)) {
        return Err("date_range");
    }
    Ok(date)
}

/// A short free text (a purpose, a note, a reason): trimmed, at most `max` characters.
/// Characters that change how text around them is shown without being seen: the bidirectional
/// controls (U+202E turns "Rosa" into "asoR" on screen and in spreadsheets).
pub fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{061C}' | '\u{200E}' | '\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

pub fn short_text(raw: &str, max: usize) -> Result<String, &'static str> {
    let text = raw.trim();
    if text.chars().count() > max {
        Err("text_too_long")
    } else if text
        .chars()
        .any(|c| (c.is_control() && c != '\n' && c != '\r' && c != '\t') || is_bidi_control(c))
    {
        Err("control_characters")
    } else {
        Ok(text.to_string())
    }
}

/// An enum of fixed words (`female`, `coordinator` …) with `parse`, `as_str` and `ALL`.
macro_rules! closed_set {
    ($(#[$meta:meta])* $name:ident, $code:literal, { $($variant:ident => $text:literal),+ $(,)? }) => {
        $(#[$meta])*
        #[derive(Debug, Clone, Copy, PartialEq, Eq)]
        pub enum $name { $($variant),+ }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant),+];

            pub fn parse(raw: &str) -> Result<$name, &'static str> {
                match raw.trim() {
                    $($text => Ok($name::$variant),)+
                    _ => Err($code),
                }
            }

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $text),+ }
            }
        }

        /// In the OpenAPI document: a string, one of the words.
        impl utoipa::PartialSchema for $name {
            fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
                utoipa::openapi::ObjectBuilder::new()
                    .schema_type(utoipa::openapi::schema::Type::String)
                    .enum_values(Some([$($text),+]))
                    .into()
            }
        }

        impl utoipa::ToSchema for $name {}

        /// In JSON: the word.
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
                s.serialize_str(self.as_str())
            }
        }
    };
}
pub(crate) use closed_set;

#[cfg(test)]
#[path = "input_tests.rs"]
mod tests;
