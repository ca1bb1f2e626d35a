//! The pieces of a person's record, each parsed once at the edge (pure: no database, no web).
//! Error values are message-catalogue codes (`error.<code>`).

use chrono::NaiveDate;

use crate::input::closed_set;

/// Longest name we keep; longer is surely a mistake (or an attack), not a person.
pub const NAME_MAX_CHARS: usize = 100;

/// A first or last name, trimmed, kept exactly as written (escaped when shown, never altered).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PersonName(String);

impl PersonName {
    pub fn parse(raw: &str) -> Result<PersonName, &'static str> {
        let name = raw.trim();
        if name.is_empty() {
            return Err("required");
        }
        if name.chars().count() > NAME_MAX_CHARS {
            return Err("name_too_long");
        }
        if name.chars().any(|c| c.is_control() || crate::input::is_bidi_control(c)) {
            return Err("control_characters");
        }
        Ok(PersonName(name.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Peru's Documento Nacional de Identidad: exactly 8 digits.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dni(String);

impl Dni {
    pub fn parse(raw: &str) -> Result<Dni, &'static str> {
        let dni = raw.trim();
        if dni.len() == 8 && dni.bytes().all(|b| b.is_ascii_digit()) {
            Ok(Dni(dni.to_string()))
        } else {
            Err("dni_format")
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A phone number in E.164 (`+51987654321`). Numbers without a country code are read as Peruvian.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Phone, &'static str> {
        let raw = raw.trim();
        // The phone-number library reads letters as keypad digits (1-800-FLOWERS); people do not.
        let allowed = |c: char| c.is_ascii_digit() || matches!(c, '+' | ' ' | '-' | '(' | ')' | '.');
        if raw.len() > 32 || !raw.chars().all(allowed) {
            return Err("phone_format");
        }
        let number = phonenumber::parse(Some(phonenumber::country::Id::PE), raw).map_err(|_| "phone_format")?;
        if !phonenumber::is_valid(&number) {
            return Err("phone_format");
        }
        Ok(Phone(number.format().mode(phonenumber::Mode::E164).to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An email address: one `@`, a dotted domain, no spaces. Whether it exists is for the mail server.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Email, &'static str> {
        let email = raw.trim();
        let Some((local, domain)) = email.split_once('@') else {
            return Err("email_format");
        };
        let domain_ok = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains('@')
            && !domain.contains("..");
        if email.len() > 254
            || local.is_empty()
            || !domain_ok
            || email.chars().any(|c| c.is_whitespace() || c.is_control())
        {
            return Err("email_format");
        }
        Ok(Email(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

closed_set!(
    /// Recorded as the person says; `undisclosed` when she prefers not to say or it is not known.
    Sex, "sex_unknown", { Female => "female", Male => "male", Other => "other", Undisclosed => "undisclosed" }
);

closed_set!(
    /// The language notices are written in. Quechua and Aymara fall back to Spanish until templates exist.
    Language, "language_unknown", { Es => "es", Qu => "qu", Ay => "ay", En => "en" }
);

/// A birth date: a real calendar date, not in the future, not absurdly old.
pub fn parse_birth_date(raw: &str, today: NaiveDate) -> Result<NaiveDate, &'static str> {
    let date = NaiveDate::parse_from_str(raw.trim(), "%Y-%m-%d").map_err(|_| "date_format")?;
    let oldest = NaiveDate::from_ymd_opt(1900, 1, 1).ok_or("date_format")?;
    if date > today || date < oldest {
        return Err("birth_date_range");
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn dni_is_exactly_eight_digits() {
        assert_eq!(Dni::parse(" 01234567 ").map(|d| d.0), Ok("01234567".into()));
        assert_eq!(Dni::parse("1234567"), Err("dni_format"));
        assert_eq!(Dni::parse("123456789"), Err("dni_format"));
        assert_eq!(Dni::parse("1234567a"), Err("dni_format"));
        assert_eq!(Dni::parse("١٢٣٤٥٦٧٨"), Err("dni_format"));
    }

    #[test]
    fn peruvian_mobiles_are_normalised_to_e164() {
        for raw in ["987654321", "987 654 321", "+51 987 654 321", "(+51) 987-654-321"] {
            assert_eq!(Phone::parse(raw).map(|p| p.0), Ok("+51987654321".into()), "{raw}");
        }
    }

    #[test]
    fn phones_with_letters_or_too_few_digits_are_refused() {
        for raw in ["98765432a", "FLOWERS", "12", "+51 987", ""] {
            assert_eq!(Phone::parse(raw), Err("phone_format"), "{raw}");
        }
    }

    #[test]
    fn names_are_kept_verbatim_but_bounded() {
        assert_eq!(
            PersonName::parse("  <b>Rosa</b> ").map(|n| n.0),
            Ok("<b>Rosa</b>".into())
        );
        assert_eq!(
            PersonName::parse("Ñusta Quispe").map(|n| n.0),
            Ok("Ñusta Quispe".into())
        );
        assert_eq!(PersonName::parse(&"a".repeat(NAME_MAX_CHARS + 1)), Err("name_too_long"));
        assert_eq!(PersonName::parse("   "), Err("required"));
        assert_eq!(PersonName::parse("Ro\u{0}sa"), Err("control_characters"));
        for hidden in ['\u{202E}', '\u{202A}', '\u{2066}', '\u{2069}', '\u{200F}', '\u{061C}'] {
            assert_eq!(
                PersonName::parse(&format!("Ro{hidden}sa")),
                Err("control_characters"),
                "{hidden:?}"
            );
        }
        assert_eq!(
            crate::input::short_text("Taller\u{202E}", 50),
            Err("control_characters")
        );
        assert_eq!(
            crate::input::short_text("Taller\nde joyería", 50),
            Ok("Taller\nde joyería".into())
        );
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert_eq!(
            Email::parse("Rosa@Example.PE").map(|e| e.0),
            Ok("Rosa@example.pe".into())
        );
        for raw in [
            "rosa",
            "rosa@",
            "@x.pe",
            "rosa@pe",
            "ro sa@x.pe",
            "a@b@c.pe",
            "rosa@x..pe",
        ] {
            assert_eq!(Email::parse(raw), Err("email_format"), "{raw}");
        }
    }

    #[test]
    fn closed_sets_accept_only_their_words() {
        assert_eq!(Sex::parse("female"), Ok(Sex::Female));
        assert_eq!(Sex::parse("woman"), Err("sex_unknown"));
        assert_eq!(Language::parse("qu"), Ok(Language::Qu));
        assert_eq!(Language::parse("fr"), Err("language_unknown"));
    }

    #[test]
    fn birth_dates_must_be_real_and_past() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        assert!(parse_birth_date("1990-02-28", today).is_ok());
        assert_eq!(parse_birth_date("1990-02-30", today), Err("date_format"));
        assert_eq!(parse_birth_date("22/11/1990", today), Err("date_format"));
        assert_eq!(parse_birth_date("2027-01-01", today), Err("birth_date_range"));
    }

    proptest! {
        #[test]
        fn any_eight_digits_is_a_dni_and_round_trips(n in 0u32..100_000_000) {
            let raw = format!("{n:08}");
            prop_assert_eq!(Dni::parse(&raw).map(|d| d.0), Ok(raw));
        }

        #[test]
        fn every_peruvian_mobile_number_parses_and_its_normal_form_to_itself(n in 900_000_000u64..=999_999_999) {
            let phone = Phone::parse(&n.to_string());
            prop_assert!(phone.is_ok(), "{} refused: {:?}", n, phone);
            let phone = phone.unwrap();
            prop_assert_eq!(phone.as_str(), format!("+51{n}"));
            prop_assert_eq!(Phone::parse(phone.as_str()), Ok(phone.clone()));
        }
    }
}
