//! Message catalogues: every word a person reads lives in `templates/i18n/<lang>.txt`
//! (`key = text` lines), not in Rust. Spanish is the default; English on request.

use std::collections::HashMap;
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Es,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Es => "es",
            Lang::En => "en",
        }
    }

    pub fn parse(code: &str) -> Option<Lang> {
        match code.trim().to_ascii_lowercase().get(..2) {
            Some("es") => Some(Lang::Es),
            Some("en") => Some(Lang::En),
            _ => None,
        }
    }

    /// The first language of an `Accept-Language` header that we speak.
    pub fn from_accept_language(header: &str) -> Option<Lang> {
        header
            .split(',')
            .find_map(|part| Lang::parse(part.split(';').next().unwrap_or("")))
    }
}

const ES: &str = include_str!("../templates/i18n/es.txt");
const EN: &str = include_str!("../templates/i18n/en.txt");

pub fn parse_catalogue(text: &'static str) -> HashMap<&'static str, &'static str> {
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .filter_map(|line| line.split_once('='))
        .map(|(key, value)| (key.trim(), value.trim()))
        .collect()
}

fn catalogue(lang: Lang) -> &'static HashMap<&'static str, &'static str> {
    static CATALOGUES: OnceLock<[HashMap<&'static str, &'static str>; 2]> = OnceLock::new();
    let all = CATALOGUES.get_or_init(|| [parse_catalogue(ES), parse_catalogue(EN)]);
    match lang {
        Lang::Es => &all[0],
        Lang::En => &all[1],
    }
}

/// A translator for one language, handed to every template as `t`.
#[derive(Debug, Clone, Copy)]
pub struct Tr {
    pub lang: Lang,
}

impl Tr {
    pub fn new(lang: Lang) -> Tr {
        Tr { lang }
    }

    /// The text for `key`; a missing key shows itself, so it is noticed (a test checks none is missing).
    pub fn get<'a>(&self, key: &'a str) -> &'a str {
        catalogue(self.lang)
            .get(key)
            .or_else(|| catalogue(Lang::Es).get(key))
            .copied()
            .unwrap_or(key)
    }

    pub fn error(&self, code: &str) -> &'static str {
        let key = format!("error.{code}");
        match catalogue(self.lang).get(key.as_str()) {
            Some(text) => text,
            None => catalogue(Lang::En).get("error.invalid").copied().unwrap_or("invalid"),
        }
    }

    pub fn code(&self) -> &'static str {
        self.lang.code()
    }

    /// The translation of a value of a closed set, e.g. `role.coordinator`.
    pub fn of(&self, prefix: &str, value: &str) -> String {
        let key = format!("{prefix}.{value}");
        match catalogue(self.lang).get(key.as_str()) {
            Some(text) => (*text).to_string(),
            None => value.to_string(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_catalogues_have_the_same_keys() {
        let es = parse_catalogue(ES);
        let en = parse_catalogue(EN);
        let missing_en: Vec<_> = es.keys().filter(|k| !en.contains_key(*k)).collect();
        let missing_es: Vec<_> = en.keys().filter(|k| !es.contains_key(*k)).collect();
        assert!(missing_en.is_empty(), "missing in en.txt: {missing_en:?}");
        assert!(missing_es.is_empty(), "missing in es.txt: {missing_es:?}");
    }

    /// Every literal key a template asks for (`t.get("…")`) is in the Spanish catalogue.
    #[test]
    fn every_key_the_templates_use_is_in_the_catalogue() {
        let es = parse_catalogue(ES);
        let mut missing = Vec::new();
        let mut stack = vec![std::path::PathBuf::from(concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/templates"
        ))];
        while let Some(path) = stack.pop() {
            for entry in std::fs::read_dir(&path).unwrap() {
                let path = entry.unwrap().path();
                if path.is_dir() {
                    stack.push(path);
                } else if path.extension().is_some_and(|e| e == "html") {
                    let text = std::fs::read_to_string(&path).unwrap();
                    for part in text.split("t.get(\"").skip(1) {
                        let key = part.split('"').next().unwrap();
                        if !es.contains_key(key) {
                            missing.push(key.to_string());
                        }
                    }
                }
            }
        }
        missing.sort();
        missing.dedup();
        assert!(missing.is_empty(), "keys missing from es.txt:\n{}", missing.join("\n"));
    }

    #[test]
    fn accept_language_picks_the_first_spoken_language() {
        assert_eq!(Lang::from_accept_language("en-GB,en;q=0.9"), Some(Lang::En));
        assert_eq!(Lang::from_accept_language("qu, es-PE;q=0.8"), Some(Lang::Es));
        assert_eq!(Lang::from_accept_language("fr"), None);
    }
}
