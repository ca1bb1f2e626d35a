//! The GSM-7 alphabet of SMS (3GPP TS 23.038): a message in it fits 160 characters per segment,
//! one with any other letter becomes UCS-2 and fits only 70. Letters outside it are written the
//! way a Spanish reader expects without accents ("á" → "a"), so a notice stays one segment (pure).

/// The basic character set: one septet each.
const BASIC: &str = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
/// The extension table: two septets each (escape + character).
const EXTENDED: &str = "^{}\\[~]|€\u{c}";

pub const SEGMENT: usize = 160;
/// Septets per segment of a message in several parts (the rest carries the joining header).
pub const PART: usize = 153;

fn septets_of(c: char) -> Option<usize> {
    if BASIC.contains(c) {
        Some(1)
    } else if EXTENDED.contains(c) {
        Some(2)
    } else {
        None
    }
}

/// The septets a text takes, or `None` if a character is outside GSM-7.
pub fn septets(text: &str) -> Option<usize> {
    text.chars().map(septets_of).sum()
}

/// How many SMS segments the text costs (GSM-7 if it can be, UCS-2 otherwise).
pub fn segments(text: &str) -> usize {
    match septets(text) {
        Some(n) if n <= SEGMENT => 1,
        Some(n) => n.div_ceil(PART),
        None => {
            let units: usize = text.chars().map(char::len_utf16).sum();
            if units <= 70 {
                1
            } else {
                units.div_ceil(67)
            }
        }
    }
}

fn transliterate(c: char) -> &'static str {
    match c {
        'á' | 'â' | 'ã' | 'ā' => "a",
        'Á' | 'À' | 'Â' | 'Ã' | 'Ā' => "A",
        'ê' | 'ë' | 'ē' => "e",
        'È' | 'Ê' | 'Ë' | 'Ē' => "E",
        'í' | 'î' | 'ï' | 'ī' => "i",
        'Í' | 'Ì' | 'Î' | 'Ï' | 'Ī' => "I",
        'ó' | 'ô' | 'õ' | 'ō' => "o",
        'Ó' | 'Ò' | 'Ô' | 'Õ' | 'Ō' => "O",
        'ú' | 'û' | 'ū' => "u",
        'Ú' | 'Ù' | 'Û' | 'Ū' => "U",
        'ç' => "c",
        'ý' | 'ÿ' => "y",
        'Ý' => "Y",
        '‘' | '’' | '´' | '`' | 'ʼ' | 'ʻ' => "'",
        '“' | '”' | '«' | '»' => "\"",
        '–' | '—' | '−' => "-",
        '…' => "...",
        'º' | '°' => "o",
        'ª' => "a",
        '\u{a0}' | '\t' => " ",
        _ => "?",
    }
}

/// The text in GSM-7 only: letters outside it transliterated, anything else unknown as "?".
pub fn to_gsm7(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if septets_of(c).is_some() {
            out.push(c);
        } else {
            out.push_str(transliterate(c));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn spanish_accents_become_plain_letters_but_gsm_letters_stay() {
        assert_eq!(
            to_gsm7("Sra. Hancco Ccamá, cuota del 22/11 — ¿pagó?"),
            "Sra. Hancco Ccama, cuota del 22/11 - ¿pago?"
        );
        assert_eq!(
            to_gsm7("Ñusta, Üsqu, é"),
            "Ñusta, Üsqu, é",
            "ñ, ü and é are GSM-7 already"
        );
        assert_eq!(to_gsm7("q’ara"), "q'ara", "Quechua's apostrophe kept as an apostrophe");
    }

    #[test]
    fn segments_count_septets_and_the_extension_table() {
        assert_eq!(segments(&"a".repeat(160)), 1);
        assert_eq!(segments(&"a".repeat(161)), 2);
        assert_eq!(segments(&format!("{}€", "a".repeat(158))), 1, "€ takes two septets");
        assert_eq!(segments(&format!("{}€", "a".repeat(159))), 2);
        assert_eq!(segments(&format!("{}á", "a".repeat(69))), 1, "UCS-2 fits 70");
        assert_eq!(segments(&format!("{}á", "a".repeat(70))), 2);
    }

    proptest! {
        #[test]
        fn anything_transliterated_is_gsm7(text in "\\PC{0,200}") {
            prop_assert!(septets(&to_gsm7(&text)).is_some());
        }
    }
}
