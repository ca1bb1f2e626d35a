//! Importing an attendance sheet into a training's register: members by number or DNI, guests
//! by name and sex, saved through the register's own rules.

use diesel::prelude::*;

use super::member_list::organization_ids;
use super::read::Table;
use super::values::{parse_attendance, parse_sex};
use super::{member_of, missing, problems_of, refused, Kind, Mode, Report, RowReport, Sheet, Undo, ORGANIZATIONS, SEX};
use crate::auth::policy::{training_scope, CurrentUser};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::i18n::Tr;
use crate::trainings::entries::{EntryFields, EntryInput, Person};
use crate::trainings::input::AttendanceStatus;

pub(super) fn import_attendance(
    conn: &mut DbConn,
    actor: &CurrentUser,
    sheet: Sheet,
    training_id: i64,
) -> AppResult<Report> {
    let Sheet {
        t,
        listing,
        table,
        mode,
        today,
    } = sheet;
    let status_names: &[&str] = &["estado", "asistencia", "status", "asistio"];
    let file_problems = missing(t, table, &[("estado", status_names)]);
    if !file_problems.is_empty() {
        return Ok(refused(Kind::Attendance, listing, file_problems));
    }
    crate::trainings::model::Training::find_scoped(conn, &training_scope(actor), training_id)?;
    // The register is checked as a whole by its own rules; each row becomes one of its lines.
    let mut entries = Vec::new();
    let mut report = Report::new(Kind::Attendance, listing);
    for (number, row) in table.rows() {
        let (entry, row_report) = read_row(conn, actor, t, table, number, &row, status_names);
        entries.extend(entry);
        report.add(row_report);
    }
    if report.problems() > 0 && mode != Mode::ValidOnly {
        return Ok(report);
    }
    let outcome = conn.transaction::<_, Undo, _>(|c| {
        let saved =
            crate::trainings::attendance::save_register(c, actor, &training_scope(actor), training_id, &entries, today)
                .map_err(Undo::Row)?;
        if mode == Mode::Preview {
            return Err(Undo::Preview(Box::new(refused(Kind::Attendance, listing, Vec::new()))));
        }
        Ok(saved.entries.len())
    });
    match outcome {
        Ok(n) => report.written = n,
        Err(Undo::Preview(_)) => {}
        Err(Undo::Row(e)) => report.file_problems.extend(problems_of(t, &e)),
        Err(Undo::Db(e)) => return Err(e.into()),
    }
    Ok(report)
}

/// One row of the sheet: the register line it makes (when it makes one) and what is wrong with it.
fn read_row(
    conn: &mut DbConn,
    actor: &CurrentUser,
    t: Tr,
    table: &Table,
    number: usize,
    row: &[String],
    status_names: &[&str],
) -> (Option<EntryInput>, RowReport) {
    let label = |column: &str| format!("{} {number} · {column}", t.get("import.row"));
    let fields = EntryFields {
        member_id: label("dni"),
        name: label("nombre"),
        organization_id: label("organizacion"),
        status: label("estado"),
    };
    let name = table
        .cell(row, &["nombre_completo", "nombre", "nombres", "name"])
        .unwrap_or_default();
    let mut problems = Vec::new();
    let person = match member_of(conn, actor, table, row) {
        Ok(Some(id)) => Some(Person::Member(id)),
        Ok(None) if !name.is_empty() => match parse_sex(table.cell(row, SEX).unwrap_or_default()) {
            Ok(sex) => Some(Person::Guest {
                name: name.to_string(),
                sex: crate::members::fields::Sex::parse(sex).unwrap_or(crate::members::fields::Sex::Undisclosed),
            }),
            Err(code) => {
                problems.push(format!("{}: {}", label("sexo"), t.error(code)));
                None
            }
        },
        Ok(None) => {
            problems.push(format!("{}: {}", label("dni"), t.error("member_or_name_required")));
            None
        }
        Err(e) => {
            problems.extend(
                problems_of(t, &e)
                    .into_iter()
                    .map(|p| format!("{} {number} · {p}", t.get("import.row"))),
            );
            None
        }
    };
    let status = match parse_attendance(table.cell(row, status_names).unwrap_or_default()) {
        Ok(s) => AttendanceStatus::parse(s).ok(),
        Err(code) => {
            problems.push(format!("{}: {}", label("estado"), t.error(code)));
            None
        }
    };
    let organization_id = match table.cell(row, ORGANIZATIONS) {
        Some(names) => match organization_ids(conn, names) {
            Ok(ids) => ids.first().copied(),
            Err(e) => {
                problems.extend(problems_of(t, &e));
                None
            }
        },
        None => None,
    };
    let entry = match (person.clone(), status) {
        (Some(person), Some(status)) => Some(EntryInput {
            person,
            organization_id,
            status,
            fields,
        }),
        _ => None,
    };
    let summary = match &person {
        Some(Person::Member(id)) => format!("#{id}"),
        _ => name.to_string(),
    };
    let report = RowReport {
        row: number,
        summary,
        problems,
        already_recorded: false,
    };
    (entry, report)
}
