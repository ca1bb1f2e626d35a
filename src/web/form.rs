//! A form as re-shown to a person: the values she typed and a message under each wrong field.

use crate::error::FieldError;
use crate::i18n::Tr;

#[derive(Debug, Default, Clone)]
pub struct FormState {
    values: Vec<(String, String)>,
    errors: Vec<(String, String)>,
}

impl FormState {
    pub fn new(values: Vec<(String, String)>) -> FormState {
        FormState {
            values,
            errors: Vec::new(),
        }
    }

    pub fn with_errors(mut self, t: Tr, errors: &[FieldError]) -> FormState {
        self.errors = errors.iter().map(|e| (e.field.clone(), e.message(t))).collect();
        self
    }

    pub fn set(&mut self, name: &str, value: impl Into<String>) {
        self.values.push((name.to_string(), value.into()));
    }

    pub fn value(&self, name: &str) -> &str {
        self.values
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    }

    pub fn is(&self, name: &str, value: &str) -> bool {
        self.values.iter().any(|(k, v)| k == name && v == value)
    }

    pub fn has_id(&self, name: &str, id: &i64) -> bool {
        self.is(name, &id.to_string())
    }

    pub fn checked(&self, name: &str) -> bool {
        self.values
            .iter()
            .any(|(k, v)| k == name && !v.is_empty() && v != "false")
    }

    pub fn error(&self, name: &str) -> Option<&str> {
        self.errors.iter().find(|(k, _)| k == name).map(|(_, m)| m.as_str())
    }

    pub fn has_errors(&self) -> bool {
        !self.errors.is_empty()
    }

    /// Errors about fields the form does not show (e.g. `body`), so none is lost.
    pub fn other_errors(&self, shown: &[&str]) -> Vec<&str> {
        self.errors
            .iter()
            .filter(|(k, _)| !shown.contains(&k.as_str()))
            .map(|(_, m)| m.as_str())
            .collect()
    }
}
