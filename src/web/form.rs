//! A form as re-shown to a person: the values she typed and a message under each wrong field;
//! and what she types on the pages, read as the rules read it.

use std::str::FromStr;

use rust_decimal::Decimal;

use crate::error::FieldError;
use crate::i18n::Tr;

/// Amount fields of the pages. People type "60,50", "1.234,50" or "S/ 60"; the rules (and the
/// API, which stays strict) read "60.50".
const AMOUNT_FIELDS: &[&str] = &["amount", "principal", "penalty_amount", "rounding_unit"];

/// Rates the pages take in percent per period ("2" or "2,5"); the rules read fractions ("0.02").
const PERCENT_FIELDS: &[&str] = &["rate_per_period"];

/// A posted page form as the rules read it: amounts and percentages as she typed them turned into
/// the API's notation. What cannot be read is passed on unchanged, for the rule to refuse with its
/// field's message (in page words, see [`FormState::with_errors`]).
pub fn read_as_typed(pairs: &[(String, String)]) -> Vec<(String, String)> {
    pairs
        .iter()
        .map(|(name, value)| {
            let read = if AMOUNT_FIELDS.contains(&name.as_str()) {
                crate::money::parse_as_typed(value).ok().map(|m| m.to_string())
            } else if PERCENT_FIELDS.contains(&name.as_str()) {
                percent_as_fraction(value)
            } else {
                None
            };
            (name.clone(), read.unwrap_or_else(|| value.clone()))
        })
        .collect()
}

/// "2" → "0.02", "2,5 %" → "0.025"; `None` when it is not a plain non-negative number.
pub fn percent_as_fraction(typed: &str) -> Option<String> {
    let text = typed.trim().trim_end_matches('%').trim().replace(',', ".");
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit() || b == b'.') {
        return None;
    }
    let percent = Decimal::from_str(&text).ok()?;
    Some((percent / Decimal::ONE_HUNDRED).normalize().to_string())
}

/// A fraction ("0.025") as the pages show it: "2.5 %", exact.
pub fn fraction_as_percent(fraction: &str) -> String {
    match Decimal::from_str(fraction) {
        Ok(f) => format!("{} %", (f * Decimal::ONE_HUNDRED).normalize()),
        Err(_) => fraction.to_string(),
    }
}

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

    /// The messages under the fields. Where the pages take a field in other words than the API
    /// (a rate in percent, an amount with a decimal comma), `page_error.<code>` says it their way.
    pub fn with_errors(mut self, t: Tr, errors: &[FieldError]) -> FormState {
        self.errors = errors
            .iter()
            .map(|e| {
                let key = format!("page_error.{}", e.code);
                let message = match t.get(&key) {
                    text if text != key => text.to_string(),
                    _ => e.message(t),
                };
                (e.field.clone(), message)
            })
            .collect();
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

#[cfg(test)]
mod tests {
    use super::*;

    fn typed(name: &str, value: &str) -> String {
        read_as_typed(&[(name.to_string(), value.to_string())])[0].1.clone()
    }

    #[test]
    fn amounts_are_read_as_peruvians_write_them() {
        assert_eq!(typed("amount", "60,50"), "60.50");
        assert_eq!(typed("amount", "1.234,50"), "1234.50");
        assert_eq!(typed("principal", "S/ 300"), "300.00");
        assert_eq!(typed("amount", "60.5"), "60.50");
        // Thousands are never guessed: left as typed, for the rule to refuse.
        assert_eq!(typed("amount", "150.001"), "150.001");
        // Unreadable stays as typed, for the rule to refuse it.
        assert_eq!(typed("amount", "sesenta"), "sesenta");
        assert_eq!(typed("amount", "-5"), "-5");
        // Other fields are left alone.
        assert_eq!(typed("receipt_number", "1.234,50"), "1.234,50");
    }

    #[test]
    fn rates_are_typed_in_percent() {
        assert_eq!(typed("rate_per_period", "2"), "0.02");
        assert_eq!(typed("rate_per_period", "2,5"), "0.025");
        assert_eq!(typed("rate_per_period", "2.5 %"), "0.025");
        assert_eq!(typed("rate_per_period", "0"), "0");
        assert_eq!(typed("rate_per_period", "100"), "1");
        assert_eq!(typed("rate_per_period", "-2"), "-2");
        assert_eq!(typed("rate_per_period", "dos"), "dos");
        assert_eq!(fraction_as_percent("0.025"), "2.5 %");
        assert_eq!(fraction_as_percent("0.02"), "2 %");
        assert_eq!(fraction_as_percent("0"), "0 %");
    }
}
