//! Time as Pallay reads it: today's date in Lima, instants in UTC, and how the API writes them.
//!
//! Handlers take "today" from the [`Clock`] the application state carries, never from the system
//! directly, so the tests can pin the date (the 28th, the 1st, the 31st, 29 February) and no rule
//! depends on the day the suite happens to run. Instants (`now`) are always the real time: they
//! stamp rows, sessions and leases, and only dates drive the money and calendar rules.

use chrono::{NaiveDate, NaiveDateTime};

/// Where "today" comes from: the calendar in Lima, or a date fixed for tests.
#[derive(Debug, Clone, Copy, Default)]
pub struct Clock {
    fixed: Option<NaiveDate>,
}

impl Clock {
    /// The real calendar in Lima.
    pub const fn system() -> Clock {
        Clock { fixed: None }
    }

    /// A clock that says `date` for as long as it lives (tests).
    pub const fn fixed(date: NaiveDate) -> Clock {
        Clock { fixed: Some(date) }
    }

    pub fn today(&self) -> NaiveDate {
        self.fixed.unwrap_or_else(today_in_lima)
    }
}

/// Today's calendar date in Peru (America/Lima is UTC−5 all year; no daylight saving since 1994).
pub fn today_in_lima() -> NaiveDate {
    lima_date(chrono::Utc::now().naive_utc())
}

/// The date in Lima at an instant in UTC.
pub fn lima_date(utc: NaiveDateTime) -> NaiveDate {
    (utc - chrono::Duration::hours(5)).date()
}

/// An instant as people in Puno read it: Lima's date and time, "29/11/2026 17:02".
pub fn lima_moment(utc: NaiveDateTime) -> String {
    (utc - chrono::Duration::hours(5)).format("%d/%m/%Y %H:%M").to_string()
}

/// The same, from the API's RFC 3339 text; anything else is shown as it is.
pub fn lima_moment_of(text: &str) -> String {
    chrono::DateTime::parse_from_rfc3339(text)
        .map(|at| lima_moment(at.naive_utc()))
        .unwrap_or_else(|_| text.to_string())
}

/// The current instant in UTC, truncated to microseconds (what PostgreSQL keeps; SQLite would keep
/// nanoseconds and the same row would read back differently on the two backends).
pub fn now() -> NaiveDateTime {
    use chrono::{SubsecRound, Utc};
    Utc::now().naive_utc().trunc_subsecs(6)
}

/// An instant as RFC 3339 UTC, the way the API shows it.
pub fn rfc3339(at: NaiveDateTime) -> String {
    at.and_utc().to_rfc3339_opts(chrono::SecondsFormat::Micros, true)
}

/// For `#[serde(serialize_with)]` on instants.
pub fn serialize_instant<S: serde::Serializer>(at: &NaiveDateTime, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&rfc3339(*at))
}

/// For `#[serde(serialize_with)]` on instants that may not have happened.
pub fn serialize_optional_instant<S: serde::Serializer>(at: &Option<NaiveDateTime>, s: S) -> Result<S::Ok, S::Error> {
    match at {
        Some(at) => s.serialize_str(&rfc3339(*at)),
        None => s.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_are_shown_in_lima_time() {
        assert_eq!(lima_moment_of("2026-11-29T22:02:09.690144Z"), "29/11/2026 17:02");
        assert_eq!(lima_moment_of("2026-12-01T03:00:00Z"), "30/11/2026 22:00");
        assert_eq!(lima_moment_of("not an instant"), "not an instant");
    }

    #[test]
    fn a_fixed_clock_says_its_date_and_the_system_clock_follows_lima() {
        let leap = NaiveDate::from_ymd_opt(2028, 2, 29).unwrap();
        assert_eq!(Clock::fixed(leap).today(), leap);
        let at = |s: &str| NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap();
        assert_eq!(lima_date(at("2026-12-01 04:59")).to_string(), "2026-11-30");
        assert_eq!(lima_date(at("2026-12-01 05:00")).to_string(), "2026-12-01");
    }
}
