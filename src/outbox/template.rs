//! Notice texts: one file per channel, language and notice under `templates/notices/`
//! (`sms/es/receipt.txt`, `email/es/receipt.txt` and `.html`), embedded at build time. Adding a
//! language is adding its files; a member whose language has no file gets Spanish.
//!
//! A template is plain text with `{name}`-style variables. An email's first line is its subject,
//! then a blank line, then the body; an optional `.html` file beside it is the HTML part.

include!(concat!(env!("OUT_DIR"), "/notice_templates.rs"));

use super::gsm7::to_gsm7;

pub const FALLBACK_LANGUAGE: &str = "es";

/// A notice ready to queue.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub language: String,
    pub subject: Option<String>,
    pub body: String,
    pub html_body: Option<String>,
}

fn file(name: &str) -> Option<&'static str> {
    NOTICE_TEMPLATES.iter().find(|(n, _)| *n == name).map(|(_, text)| *text)
}

/// The languages that have a template for this channel and notice.
pub fn languages(channel: &str, notice: &str) -> Vec<&'static str> {
    NOTICE_TEMPLATES
        .iter()
        .filter_map(|(name, _)| {
            let mut parts = name.split('/');
            let (c, lang, file) = (parts.next()?, parts.next()?, parts.next()?);
            (c == channel && file == format!("{notice}.txt")).then_some(lang)
        })
        .collect()
}

fn fill(text: &str, vars: &[(&str, String)], escape: bool) -> String {
    let mut out = text.to_string();
    for (name, value) in vars {
        let value = if escape { html_escape(value) } else { value.clone() };
        out = out.replace(&format!("{{{name}}}"), &value);
    }
    out
}

fn html_escape(value: &str) -> String {
    value
        .replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&#39;")
}

/// Renders a notice in the member's language (Spanish when there is no file for it). SMS text is
/// put in the GSM-7 alphabet. `None` when not even Spanish has the template (a packaging error).
pub fn render(channel: &str, notice: &str, language: &str, vars: &[(&str, String)]) -> Option<Rendered> {
    let (language, text) = match file(&format!("{channel}/{language}/{notice}.txt")) {
        Some(text) => (language, text),
        None => (
            FALLBACK_LANGUAGE,
            file(&format!("{channel}/{FALLBACK_LANGUAGE}/{notice}.txt"))?,
        ),
    };
    let filled = fill(text, vars, false);
    if channel == "sms" {
        return Some(Rendered {
            language: language.to_string(),
            subject: None,
            body: to_gsm7(filled.trim()),
            html_body: None,
        });
    }
    let (subject, body) = filled.split_once('\n').unwrap_or((filled.as_str(), ""));
    let html_body = file(&format!("{channel}/{language}/{notice}.html")).map(|html| fill(html, vars, true));
    Some(Rendered {
        language: language.to_string(),
        subject: Some(subject.trim().to_string()),
        body: body.trim().to_string() + "\n",
        html_body,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spanish_is_the_fallback_and_values_are_escaped_in_html() {
        let vars = [("name", "Rosa <b>".to_string())];
        let quechua = render("email", "statement", "qu", &vars).unwrap();
        assert_eq!(quechua.language, "es");
        assert!(quechua.html_body.unwrap().contains("Rosa &lt;b&gt;"));
        assert!(quechua.body.contains("Rosa <b>"), "plain text stays plain");
    }

    #[test]
    fn every_template_has_spanish_and_uses_only_known_variables() {
        for (name, text) in NOTICE_TEMPLATES {
            let mut parts = name.split('/');
            let (channel, _, file) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
            let notice = file.trim_end_matches(".txt").trim_end_matches(".html");
            assert!(
                super::file(&format!("{channel}/es/{notice}.txt")).is_some(),
                "{name} has no Spanish original"
            );
            let filled = fill(text, &super::super::queue::example_vars(), false);
            assert!(
                !filled.contains('{') && !filled.contains('}'),
                "{name}: unknown variable in {filled}"
            );
        }
    }
}
