//! Reading the cells of a spreadsheet people made by hand (pure): column names in Spanish or
//! English with or without accents, dates as `2026-11-22`, `22/11/2026` or an Excel serial
//! number, amounts as `1.234,50`, `1,234.50`, `S/ 50` or `50`, yes/no as `sí`, `x`, `1`.

use chrono::{Duration, NaiveDate};

/// A column name as compared: lower case, no accents, words joined by `_`.
pub fn column_key(raw: &str) -> String {
    let mut key = String::new();
    for c in raw.trim().trim_start_matches('\u{feff}').chars() {
        let c = match c {
            'á' | 'Á' | 'à' | 'ä' => 'a',
            'é' | 'É' | 'è' | 'ë' => 'e',
            'í' | 'Í' | 'ì' | 'ï' => 'i',
            'ó' | 'Ó' | 'ò' | 'ö' => 'o',
            'ú' | 'Ú' | 'ù' | 'ü' | 'Ü' => 'u',
            'ñ' | 'Ñ' => 'n',
            c => c,
        };
        if c.is_alphanumeric() {
            key.extend(c.to_lowercase());
        } else if !key.ends_with('_') && !key.is_empty() {
            key.push('_');
        }
    }
    key.trim_end_matches('_').to_string()
}

/// A date as people write it. Two-digit years are refused (which century?).
pub fn parse_date(raw: &str) -> Result<NaiveDate, &'static str> {
    let text = raw.trim();
    let parts: Vec<&str> = text.split(['/', '-', '.']).collect();
    if parts.len() == 3
        && parts
            .iter()
            .all(|p| !p.is_empty() && p.chars().all(|c| c.is_ascii_digit()))
    {
        let n = |s: &str| s.parse::<u32>().ok();
        let (y, m, d) = if parts[0].len() == 4 {
            (parts[0], parts[1], parts[2])
        } else if parts[2].len() == 4 {
            (parts[2], parts[1], parts[0])
        } else {
            return Err("date_format");
        };
        return match (y.parse::<i32>().ok(), n(m), n(d)) {
            (Some(y), Some(m), Some(d)) => NaiveDate::from_ymd_opt(y, m, d).ok_or("date_format"),
            _ => Err("date_format"),
        };
    }
    // An Excel serial day number (days since 1899-12-30), as a cell formatted as a number shows it.
    if let Ok(serial) = text.parse::<f64>() {
        if (20_000.0..=80_000.0).contains(&serial) && serial.fract().abs() < 1e-9 {
            let base = NaiveDate::from_ymd_opt(1899, 12, 30).ok_or("date_format")?;
            return Ok(base + Duration::days(serial as i64));
        }
    }
    Err("date_format")
}

/// An amount in soles as people write it (the rule lives with `Money`).
pub use crate::money::parse_as_written as parse_amount;

/// Yes or no as written in a sheet; empty is no.
pub fn parse_yes_no(raw: &str) -> Result<bool, &'static str> {
    match column_key(raw).as_str() {
        "" | "no" | "n" | "0" | "false" | "falso" => Ok(false),
        "si" | "s" | "x" | "1" | "yes" | "y" | "true" | "verdadero" => Ok(true),
        _ => Err("yes_no_unknown"),
    }
}

/// The sex as written in a sheet; empty is "prefers not to say", never guessed.
pub fn parse_sex(raw: &str) -> Result<&'static str, &'static str> {
    match column_key(raw).as_str() {
        "" => Ok("undisclosed"),
        "f" | "female" | "mujer" | "femenino" | "m_f" => Ok("female"),
        "m" | "male" | "hombre" | "masculino" | "varon" | "h" => Ok("male"),
        "otro" | "other" | "o" => Ok("other"),
        "undisclosed" | "prefiere_no_decir" | "no_dice" | "nd" => Ok("undisclosed"),
        _ => Err("sex_unknown"),
    }
}

/// An attendance mark as written in a register: `presente`, `P`, `x`, `ausente`, `A`, `justificada`, `J`.
pub fn parse_attendance(raw: &str) -> Result<&'static str, &'static str> {
    match column_key(raw).as_str() {
        "presente" | "present" | "p" | "x" | "si" | "1" | "asistio" => Ok("present"),
        "ausente" | "absent" | "a" | "" | "no" | "0" | "falto" => Ok("absent"),
        "justificada" | "justificado" | "excused" | "j" | "e" | "permiso" => Ok("excused"),
        _ => Err("attendance_status_unknown"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::money::Money;
    use proptest::prelude::*;

    #[test]
    fn dates_in_the_ways_people_write_them() {
        let d = NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        for raw in ["2026-11-22", "22/11/2026", "22-11-2026", " 22.11.2026 ", "46348"] {
            assert_eq!(parse_date(raw), Ok(d), "{raw}");
        }
        for raw in ["22/11/26", "11/22/2026", "2026-13-01", "ayer", "", "46348.5", "12"] {
            assert!(parse_date(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn amounts_in_the_ways_people_write_them() {
        let m = |s: &str| Money::parse(s).unwrap();
        for (raw, value) in [
            ("1.234,50", "1234.50"),
            ("1,234.50", "1234.50"),
            ("S/ 50", "50.00"),
            ("S/. 12,5", "12.50"),
            ("1234.5", "1234.50"),
            ("1.234", "1234.00"),
            ("1,234", "1234.00"),
            ("12,50", "12.50"),
            ("1.234.567,89", "1234567.89"),
        ] {
            assert_eq!(parse_amount(raw), Ok(m(value)), "{raw}");
        }
        for raw in ["", "-5", "1e3", "abc", "12,5,0.1", "0", "1.2.3,4,5"] {
            assert!(parse_amount(raw).is_err(), "{raw}");
        }
    }

    #[test]
    fn column_names_match_with_or_without_accents() {
        assert_eq!(column_key(" Teléfono "), "telefono");
        assert_eq!(column_key("N° de recibo"), "n_de_recibo");
        assert_eq!(column_key("\u{feff}DNI"), "dni");
        assert_eq!(parse_sex("Mujer"), Ok("female"));
        assert_eq!(parse_sex(""), Ok("undisclosed"));
        assert_eq!(parse_attendance("P"), Ok("present"));
        assert_eq!(parse_yes_no("Sí"), Ok(true));
    }

    proptest! {
        // The row parsers take anything a file can hold and answer, never panic.
        #[test]
        fn cell_parsers_never_panic(raw in "\\PC{0,40}") {
            let _ = parse_date(&raw);
            let _ = parse_amount(&raw);
            let _ = parse_yes_no(&raw);
            let _ = parse_sex(&raw);
            let _ = parse_attendance(&raw);
            let _ = column_key(&raw);
        }

        #[test]
        fn any_amount_written_either_way_reads_back(cents in 1i64..1_000_000_000) {
            let (whole, frac) = (cents / 100, cents % 100);
            let dotted = format!("{whole}.{frac:02}");
            // Thousands grouped with dots, as Spanish spreadsheets write them: 1.234.567,89
            let digits = whole.to_string();
            let grouped: Vec<String> = digits
                .as_bytes()
                .rchunks(3)
                .rev()
                .map(|c| String::from_utf8_lossy(c).into_owned())
                .collect();
            let spanish = format!("{},{frac:02}", grouped.join("."));
            prop_assert_eq!(parse_amount(&dotted), Ok(Money::from_centimos(cents)));
            prop_assert_eq!(parse_amount(&spanish), Ok(Money::from_centimos(cents)));
        }
    }
}
