//! Importing members: one row a member, her organisations by name, her language, consent only
//! as written.

use chrono::NaiveDate;
use diesel::prelude::*;
use serde_json::{json, Map, Value};

use super::read::Table;
use super::values::{parse_date, parse_sex, parse_yes_no};
use super::{
    field_error, missing, refused, run_rows, Kind, Mode, Report, DNI, FIRST_NAME, LAST_NAME, ORGANIZATIONS, SEX,
};
use crate::auth::policy::CurrentUser;
use crate::db::schema::organizations;
use crate::db::DbConn;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;
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

fn language(raw: Option<&str>) -> Result<&'static str, AppError> {
    match raw.map(super::values::column_key).as_deref() {
        None | Some("") | Some("es") | Some("castellano") | Some("espanol") => Ok("es"),
        Some("qu") | Some("quechua") => Ok("qu"),
        Some("ay") | Some("aymara") => Ok("ay"),
        Some("en") | Some("ingles") | Some("english") => Ok("en"),
        Some(_) => Err(field_error("idioma", "language_unknown")),
    }
}

pub(super) fn import_members(
    conn: &mut DbConn,
    actor: &CurrentUser,
    t: Tr,
    table: &Table,
    mode: Mode,
    today: NaiveDate,
) -> AppResult<Report> {
    let required: &[(&str, &[&str])] = &[
        ("nombres", FIRST_NAME),
        ("apellidos", LAST_NAME),
        ("organizacion", ORGANIZATIONS),
    ];
    let file_problems = missing(t, table, required);
    if !file_problems.is_empty() {
        return Ok(refused(Kind::Members, file_problems));
    }
    run_rows(conn, t, Kind::Members, table, mode, |c, row| {
        let cell = |names: &[&str]| table.cell(row, names);
        let summary = format!(
            "{} {}",
            cell(FIRST_NAME).unwrap_or_default(),
            cell(LAST_NAME).unwrap_or_default()
        );
        let fail = |e: AppError| (summary.clone(), e);
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
        let sex = parse_sex(cell(SEX).unwrap_or_default()).map_err(|code| fail(field_error("sexo", code)))?;
        body.insert("sex".into(), json!(sex));
        if let Some(raw) = cell(&["fecha_de_nacimiento", "nacimiento", "birth_date"]) {
            let d = parse_date(raw).map_err(|code| fail(field_error("fecha_de_nacimiento", code)))?;
            body.insert("birth_date".into(), json!(d.to_string()));
        }
        body.insert(
            "language".into(),
            json!(language(cell(&["idioma", "language", "lengua"])).map_err(fail)?),
        );
        let orgs = organization_ids(c, cell(ORGANIZATIONS).unwrap_or_default()).map_err(fail)?;
        body.insert("organization_ids".into(), json!(orgs));
        let consent = |names: &[&str], label: &str| {
            parse_yes_no(cell(names).unwrap_or_default()).map_err(|code| field_error(label, code))
        };
        let sms = consent(&["consentimiento_sms", "acepta_sms", "sms"], "consentimiento_sms").map_err(fail)?;
        let email = consent(
            &["consentimiento_correo", "consentimiento_email", "acepta_correo"],
            "consentimiento_correo",
        )
        .map_err(fail)?;
        body.insert("consents".into(), json!({"sms": sms, "email": email}));
        let input = JsonInput::from_value(Value::Object(body)).map_err(|e| fail(AppError::Invalid(vec![e])))?;
        let changes =
            crate::members::input::MemberChanges::parse(&input, true, today).map_err(|e| fail(AppError::Invalid(e)))?;
        crate::members::service::create(c, actor, changes).map_err(fail)?;
        Ok((summary.clone(), false))
    })
}
