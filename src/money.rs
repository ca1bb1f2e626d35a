//! Money: an integer number of céntimos (S/ 1 = 100 céntimos). Parsed from and shown as `"150.00"`.
//! Amounts are bounded by [`MAX`], so sums of them stay far inside an i64; and the release build
//! keeps overflow checks on (Cargo.toml), so an overflow could never pass silently as a wrapped number.

use std::fmt;

/// The largest amount any field accepts: S/ 10,000,000.00. Far above any fund here; it keeps
/// every sum of a fund's lifetime far from overflowing an i64.
pub const MAX: Money = Money(1_000_000_000);

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Money(i64);

impl Money {
    pub const ZERO: Money = Money(0);

    pub const fn from_centimos(centimos: i64) -> Money {
        Money(centimos)
    }

    pub const fn centimos(self) -> i64 {
        self.0
    }

    /// Reads `"150"`, `"150.5"` or `"150.00"`: ASCII digits, at most two decimals, no sign, no
    /// exponent, no thousands separator, at most S/ 10,000,000.
    pub fn parse(raw: &str) -> Result<Money, &'static str> {
        let (whole, fraction) = raw.split_once('.').unwrap_or((raw, ""));
        let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits(whole) || !digits(fraction) || (raw.contains('.') && fraction.is_empty()) {
            return Err("money_format");
        }
        if fraction.len() > 2 {
            return Err("money_too_precise");
        }
        if whole.len() > 9 {
            return Err("money_too_large");
        }
        let whole: i64 = whole.parse().map_err(|_| "money_format")?;
        let cents: i64 = format!("{fraction:0<2}").parse().map_err(|_| "money_format")?;
        let money = Money(whole * 100 + cents);
        if money > MAX {
            return Err("money_too_large");
        }
        Ok(money)
    }

    /// A positive amount (a payment, a loan, a contribution): zero makes no sense there.
    pub fn parse_positive(raw: &str) -> Result<Money, &'static str> {
        match Money::parse(raw)? {
            Money(0) => Err("money_zero"),
            money => Ok(money),
        }
    }

    pub fn min(self, other: Money) -> Money {
        Money(self.0.min(other.0))
    }

    pub fn max(self, other: Money) -> Money {
        Money(self.0.max(other.0))
    }

    pub fn is_zero(self) -> bool {
        self.0 == 0
    }
}

impl std::ops::Add for Money {
    type Output = Money;
    /// For bounded amounts (see [`MAX`]); overflow checks are on in every profile.
    fn add(self, other: Money) -> Money {
        Money(self.0 + other.0)
    }
}

impl std::ops::Sub for Money {
    type Output = Money;
    fn sub(self, other: Money) -> Money {
        Money(self.0 - other.0)
    }
}

impl std::iter::Sum for Money {
    fn sum<I: Iterator<Item = Money>>(iter: I) -> Money {
        Money(iter.map(|m| m.0).sum())
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        write!(f, "{sign}{}.{:02}", abs / 100, abs % 100)
    }
}

impl serde::Serialize for Money {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.to_string())
    }
}

/// In the OpenAPI document: soles as a string, like `"60.50"` (never a float). Answers always
/// carry two decimals; a request may write fewer (`"60"`, `"60.5"`), never more.
impl utoipa::PartialSchema for Money {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        utoipa::openapi::ObjectBuilder::new()
            .schema_type(utoipa::openapi::schema::Type::String)
            .pattern(Some(r"^-?[0-9]+(\.[0-9]{1,2})?$"))
            .examples(["60.50"])
            .into()
    }
}

impl utoipa::ToSchema for Money {}

/// `part ÷ whole` as a decimal string with 4 places (0 when there is nothing to divide by): how
/// PAR30, repayment and participation rates are shown, exact like amounts.
pub fn ratio(part: i64, whole: i64) -> String {
    if whole == 0 {
        return "0.0000".into();
    }
    let r = rust_decimal::Decimal::from(part) / rust_decimal::Decimal::from(whole);
    format!(
        "{:.4}",
        r.round_dp_with_strategy(4, rust_decimal::RoundingStrategy::MidpointNearestEven)
    )
}

/// An amount typed into a page: as [`parse_as_written`], but a lone separator before exactly
/// three digits ("1.234", "150.001") could be thousands or a slip of the finger, and money is not
/// guessed: it is refused (the page asks for "1234" or "1.234,00").
pub fn parse_as_typed(raw: &str) -> Result<Money, &'static str> {
    let separators: Vec<usize> = raw.match_indices(['.', ',']).map(|(i, _)| i).collect();
    if let [only] = separators[..] {
        let after = raw[only + 1..].trim();
        if after.len() == 3 && after.bytes().all(|b| b.is_ascii_digit()) {
            return Err("money_ambiguous");
        }
    }
    parse_as_written(raw)
}

/// An amount in soles as people write it: `S/ 1.234,50`, `1,234.50`, `1234.5`, `50`.
/// With both separators, the last one is the decimal mark; with one, a comma followed by one or
/// two digits is decimal (`12,50`), a dot or comma followed by three is thousands (`1.234`).
pub fn parse_as_written(raw: &str) -> Result<Money, &'static str> {
    let mut text: String = raw.trim().to_string();
    for prefix in ["S/.", "S/", "s/.", "s/", "PEN"] {
        if let Some(rest) = text.strip_prefix(prefix) {
            text = rest.trim().to_string();
        }
    }
    let text: String = text.chars().filter(|c| !c.is_whitespace() && *c != '\u{a0}').collect();
    if text.is_empty() || !text.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ',') {
        return Err("money_format");
    }
    let (last_dot, last_comma) = (text.rfind('.'), text.rfind(','));
    let decimal = match (last_dot, last_comma) {
        (Some(d), Some(c)) => Some(d.max(c)),
        (Some(p), None) | (None, Some(p)) => {
            let sep = text.as_bytes()[p] as char;
            let digits_after = text.len() - p - 1;
            let several = text.matches(sep).count() > 1;
            if several || digits_after == 3 {
                None
            } else {
                Some(p)
            }
        }
        (None, None) => None,
    };
    // Thousands separators must group by three: 1.234.567, never 12,5,0.
    let grouped = |whole: &str| {
        let groups: Vec<&str> = whole.split(['.', ',']).collect();
        groups.len() == 1 || ((1..=3).contains(&groups[0].len()) && groups[1..].iter().all(|g| g.len() == 3))
    };
    let normalised: String = match decimal {
        Some(p) => {
            let (whole, fraction) = text.split_at(p);
            if !grouped(whole) {
                return Err("money_format");
            }
            let whole: String = whole.chars().filter(char::is_ascii_digit).collect();
            let fraction = &fraction[1..];
            if fraction.contains(['.', ',']) {
                return Err("money_format");
            }
            format!("{}.{fraction}", if whole.is_empty() { "0" } else { &whole })
        }
        None if !grouped(&text) => return Err("money_format"),
        None => text.chars().filter(char::is_ascii_digit).collect(),
    };
    Money::parse_positive(&normalised)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_page_reads_what_is_typed_but_never_guesses_thousands() {
        let typed = |s: &str| parse_as_typed(s).map(Money::centimos);
        assert_eq!(typed("60,50"), Ok(6_050));
        assert_eq!(typed("60.5"), Ok(6_050));
        assert_eq!(typed("S/ 60"), Ok(6_000));
        assert_eq!(typed("1.234,50"), Ok(123_450));
        assert_eq!(typed("1,234.50"), Ok(123_450));
        assert_eq!(typed("150.001"), Err("money_ambiguous"));
        assert_eq!(typed("1.234"), Err("money_ambiguous"));
        assert_eq!(typed("1,234"), Err("money_ambiguous"));
        assert_eq!(
            parse_as_written("1.234").map(Money::centimos),
            Ok(123_400),
            "an import reads it as people's lists do"
        );
    }

    #[test]
    fn amounts_are_read_as_decimal_strings_with_at_most_two_places() {
        assert_eq!(Money::parse("150.00"), Ok(Money(15_000)));
        assert_eq!(Money::parse("150"), Ok(Money(15_000)));
        assert_eq!(Money::parse("0.5"), Ok(Money(50)));
        assert_eq!(Money::parse("10000000.00"), Ok(MAX));
        // Leading zeros (a spreadsheet's "0150") are read as written, up to nine digits of soles.
        assert_eq!(Money::parse("000000150.50"), Ok(Money(15_050)));
        for bad in [
            "1e3", "-5", "+5", "150.001", "١٥٠", "", "NaN", "1,50", "1.234,50", " 5", "5.", ".5", "S/ 5",
        ] {
            assert!(Money::parse(bad).is_err(), "{bad:?} was accepted");
        }
        assert_eq!(Money::parse("10000000.01"), Err("money_too_large"));
        assert_eq!(Money::parse("99999999999999999999"), Err("money_too_large"));
        assert_eq!(Money::parse_positive("0.00"), Err("money_zero"));
    }

    #[test]
    fn amounts_are_shown_with_two_places() {
        assert_eq!(Money(15_000).to_string(), "150.00");
        assert_eq!(Money(5).to_string(), "0.05");
        assert_eq!(Money(-1_050).to_string(), "-10.50");
        assert_eq!(Money::ZERO.to_string(), "0.00", "no sign on zero");
    }

    #[test]
    fn the_lesser_and_the_greater_of_two_amounts() {
        assert_eq!(Money(500).max(Money(700)), Money(700));
        assert_eq!(Money(700).max(Money(500)), Money(700));
        assert_eq!(Money(500).min(Money(700)), Money(500));
        assert_eq!(Money(-5).min(Money::ZERO), Money(-5));
    }

    proptest! {
        #[test]
        fn printing_then_parsing_gives_the_same_amount(c in 0i64..=MAX.0) {
            prop_assert_eq!(Money::parse(&Money(c).to_string()), Ok(Money(c)));
        }
    }
}
