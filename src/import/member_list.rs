//! Importing members: one row a member, her organisations by name, her language, consent only
//! as written.

use diesel::prelude::*;
use serde_json::{json, Map, Value};

use super::values::{parse_date, parse_sex, parse_yes_no};
use super::{
    field_error, missing, refused, run_rows, Kind, Report, Sheet, DNI, FIRST_NAME, LAST_NAME, ORGANIZATIONS, SEX,
};
use crate::auth::policy::CurrentUser;
use crate::db::schema::organizations;
use crate::db::DbConn;
use crate::error::{AppError, AppResult, FieldError};
use crate::input::JsonInput;

/// Organisation names (separated by `;`, `|` or `/`) to ids; an unknown name is a problem.
pub(super) fn organization_ids(conn: &mut DbConn, names: &str) -> AppResult<Vec<i64>> {
    let all: Vec<(i64, String)> = organizations::table
        .select((organizations::id, organizations::name))
        .load(conn)?;
    let mut ids = Vec::new();
    for name in names.split([';', '|', '/']).map(str::trim).filter(|n| !n.is_empty()) {
        let key = super::values::column_key(name);
        match all
            .iter()
            .find(|(_, n)| super::values::column_key(n) == key || n.trim() == name)
        {
            Some((id, _)) => ids.push(*id),
            None => return Err(field_error(ORGANIZATIONS[0], "organization_unknown")),
        }
    }
    Ok(ids)
}

/// A language as the associations write it: "Aimara" as the form spells it, "aymara", "ay"…
fn language(raw: Option<&str>) -> Result<&'static str, &'static str> {
    match raw.map(super::values::column_key).as_deref() {
        None | Some("") | Some("es") | Some("castellano") | Some("espanol") => Ok("es"),
        Some("qu") | Some("quechua") | Some("kechua") | Some("runasimi") => Ok("qu"),
        Some("ay") | Some("aymara") | Some("aimara") => Ok("ay"),
        Some("en") | Some("ingles") | Some("english") => Ok("en"),
        Some(_) => Err("language_unknown"),
    }
}

pub(super) fn import_members(conn: &mut DbConn, actor: &CurrentUser, sheet: Sheet) -> AppResult<Report> {
    let Sheet { t, table, today, .. } = sheet;
    let required: &[(&str, &[&str])] = &[
        ("nombres", FIRST_NAME),
        ("apellidos", LAST_NAME),
        ("organizacion", ORGANIZATIONS),
    ];
    let file_problems = missing(t, table, required);
    if !file_problems.is_empty() {
        return Ok(refused(Kind::Members, sheet.listing, file_problems));
    }
    run_rows(conn, Kind::Members, sheet, |c, row| {
        let cell = |names: &[&str]| table.cell(row, names);
        let summary = format!(
            "{} {}",
            cell(FIRST_NAME).unwrap_or_default(),
            cell(LAST_NAME).unwrap_or_default()
        );
        let fail = |e: AppError| (summary.clone(), e);
        // Every problem of the row is told at once, each under the file's own column name.
        let mut problems: Vec<FieldError> = Vec::new();
        let mut body = Map::new();
        for (field, names) in [
            ("first_name", FIRST_NAME),
            ("last_name", LAST_NAME),
            ("dni", DNI),
            ("phone", &["telefono", "celular", "phone"][..]),
            ("email", &["correo", "correo_electronico", "email"][..]),
        ] {
            if let Some(v) = cell(names) {
                body.insert(field.into(), Value::String(v.to_string()));
            }
        }
        match parse_sex(cell(SEX).unwrap_or_default()) {
            Ok(sex) => {
                body.insert("sex".into(), json!(sex));
            }
            Err(code) => problems.push(FieldError::new("sexo", code)),
        }
        if let Some(raw) = cell(&["fecha_de_nacimiento", "nacimiento", "birth_date"]) {
            match parse_date(raw) {
                Ok(d) => {
                    body.insert("birth_date".into(), json!(d.to_string()));
                }
                Err(_) => problems.push(FieldError::new("fecha_de_nacimiento", "import_date_format")),
            }
        }
        match language(cell(&["idioma", "language", "lengua"])) {
            Ok(language) => {
                body.insert("language".into(), json!(language));
            }
            Err(code) => problems.push(FieldError::new("idioma", code)),
        }
        match organization_ids(c, cell(ORGANIZATIONS).unwrap_or_default()) {
            Ok(orgs) => {
                body.insert("organization_ids".into(), json!(orgs));
            }
            Err(AppError::Invalid(mut errors)) => problems.append(&mut errors),
            Err(other) => return Err(fail(other)),
        }
        let mut consent = |names: &[&str], label: &str| match parse_yes_no(cell(names).unwrap_or_default()) {
            Ok(answer) => answer,
            Err(code) => {
                problems.push(FieldError::new(label, code));
                false
            }
        };
        let sms = consent(&["consentimiento_sms", "acepta_sms", "sms"], "consentimiento_sms");
        let email = consent(
            &["consentimiento_correo", "consentimiento_email", "acepta_correo"],
            "consentimiento_correo",
        );
        body.insert("consents".into(), json!({"sms": sms, "email": email}));
        // The member's own rules (names, DNI, phone, email…), for what the file's columns did not
        // already refuse.
        let reported = ["sex", "birth_date", "language", "organization_ids"];
        let changes = JsonInput::from_value(Value::Object(body))
            .map_err(|e| vec![e])
            .and_then(|input| crate::members::input::MemberChanges::parse(&input, true, today));
        let changes = match changes {
            Ok(changes) if problems.is_empty() => changes,
            Ok(_) => return Err(fail(AppError::Invalid(problems))),
            Err(errors) => {
                problems.extend(errors.into_iter().filter(|e| !reported.contains(&e.field.as_str())));
                return Err(fail(AppError::Invalid(problems)));
            }
        };
        crate::members::service::create(c, actor, changes).map_err(fail)?;
        Ok((summary.clone(), false))
    })
}
