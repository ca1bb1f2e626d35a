//! What a member does on her own pages: says whether she wants SMS and email, and reads
//! everything Pallay holds about her as a page she can print (the JSON download stays).

use actix_web::http::StatusCode;
use actix_web::{web, HttpResponse};
use askama::Template;
use serde_json::Value;

use super::service;
use crate::auth::extract::PageUser;
use crate::auth::policy::{authorize, Action};
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::web::done::{see_done, Done};
use crate::web::page::Page;
use crate::web::routes::Routes;
use crate::web::{render, State};

/// Her consents, from the form on her page: a ticked box is a yes, an unticked one a no.
pub async fn consents(
    state: State,
    user: PageUser,
    id: web::Path<i64>,
    form: web::Form<Vec<(String, String)>>,
) -> AppResult<HttpResponse> {
    authorize(&user.user, Action::ChangeOwnConsents)?;
    let id = id.into_inner();
    let input = user.verify(form.into_inner())?;
    let ticked = |name: &str| input.value(name).is_some_and(|v| v == "yes");
    let (sms, email) = (ticked("sms"), ticked("email"));
    let actor = user.user.clone();
    state
        .db
        .write(move |conn| service::change_own_consents(conn, &actor, id, sms, email))
        .await?;
    Ok(see_done(&format!("/members/{id}"), Done::ConsentsSaved))
}

#[derive(Template)]
#[template(path = "members/data.html")]
struct DataPage {
    page: Page,
    member_id: i64,
    /// The export, as HTML (every value escaped).
    body: String,
}

/// Everything held about her, readable: the same document as the JSON download, recorded as an
/// export in the same way.
pub async fn data(state: State, user: PageUser, id: web::Path<i64>) -> AppResult<HttpResponse> {
    let id = id.into_inner();
    let (actor, today) = (user.user.clone(), state.clock.today());
    let document = state
        .db
        .write(move |conn| service::export(conn, &actor, id, today))
        .await?;
    let page = user.page();
    let body = readable(&document, page.t);
    render(
        StatusCode::OK,
        &DataPage {
            page,
            member_id: id,
            body,
        },
    )
}

/// A JSON document as nested lists a person can read: each field under its name in her language
/// (`data.<field>` in the catalogues), instants in Lima's time, yes/no in words. Nothing is left out.
pub fn readable(value: &Value, t: Tr) -> String {
    let mut out = String::new();
    write_value(&mut out, value, t);
    out
}

fn label(key: &str, t: Tr) -> String {
    let catalogue_key = format!("data.{key}");
    match t.get(&catalogue_key) {
        text if text != catalogue_key => text.to_string(),
        _ => key.replace('_', " "),
    }
}

fn write_value(out: &mut String, value: &Value, t: Tr) {
    match value {
        Value::Null => out.push('—'),
        Value::Bool(b) => out.push_str(t.get(if *b { "consent.yes" } else { "consent.no" })),
        Value::Number(n) => out.push_str(&n.to_string()),
        Value::String(s) => out.push_str(&escape(&crate::clock::lima_moment_of(s))),
        Value::Array(items) if items.is_empty() => out.push('—'),
        Value::Array(items) if items.iter().all(|v| !v.is_object() && !v.is_array()) => {
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push_str(", ");
                }
                write_value(out, item, t);
            }
        }
        Value::Array(items) => {
            out.push_str("<ol class=\"data-list\">");
            for item in items {
                out.push_str("<li>");
                write_value(out, item, t);
                out.push_str("</li>");
            }
            out.push_str("</ol>");
        }
        Value::Object(fields) => {
            out.push_str("<dl class=\"record\">");
            for (key, field) in fields {
                out.push_str("<dt>");
                out.push_str(&escape(&label(key, t)));
                out.push_str("</dt><dd>");
                write_value(out, field, t);
                out.push_str("</dd>");
            }
            out.push_str("</dl>");
        }
    }
}

fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// This part's pages for a member herself.
pub fn routes() -> Routes {
    Routes::new()
        .get("/members/{id}/data", data)
        .post("/members/{id}/consents", consents)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::i18n::Lang;
    use serde_json::json;

    #[test]
    fn every_value_is_shown_under_its_name_and_escaped() {
        let doc = json!({"member": {"first_name": "Nélida <b>", "consents": {"sms": true}},
                         "notices": [{"body": "Pago & saldo", "sent_at": "2026-11-29T22:02:09Z"}],
                         "organization_ids": [1, 2], "loans": [], "purpose": null});
        let html = readable(&doc, Tr::new(Lang::Es));
        for shown in [
            "Nombres",
            "Nélida &lt;b&gt;",
            "SMS",
            "sí",
            "Pago &amp; saldo",
            "29/11/2026 17:02",
            "1, 2",
            "—",
        ] {
            assert!(html.contains(shown), "{shown} in {html}");
        }
        assert!(!html.contains("<b>"));
    }
}
