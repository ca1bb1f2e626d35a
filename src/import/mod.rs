//! Importing the associations' own lists: members (with organisations and consents), a training's
//! attendance sheet, and a collection sheet of repayments — from CSV or XLSX.
//!
//! Every row goes through the same parsers and services as the forms, each in a savepoint, so a
//! row's problem is found by the very rule that would refuse it on the form. A preview runs the
//! whole import and rolls it back; an import writes nothing if any row has a problem, unless the
//! user chose to import only the valid rows. Re-importing a collection sheet never posts a
//! repayment twice: a row matching a repayment already recorded (loan, date, amount, receipt) is
//! reported and skipped.

pub mod pages;
pub mod read;
pub mod sample;
pub mod values;

use chrono::NaiveDate;
use diesel::prelude::*;
use serde::Serialize;
use serde_json::{json, Map, Value};

use crate::auth::policy::{loan_scope, member_scope, training_scope, CurrentUser};
use crate::db::schema::{members, organizations, repayment_reversals, repayments};
use crate::db::DbConn;
use crate::error::{AppError, AppResult, FieldError};
use crate::i18n::Tr;
use crate::input::JsonInput;
use read::Table;
use values::{parse_amount, parse_attendance, parse_date, parse_sex, parse_yes_no};

crate::input::closed_set!(
    /// What a file holds.
    Kind, "import_kind_unknown", {
        Members => "members",
        Attendance => "attendance",
        Repayments => "repayments",
    }
);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Check every row and write nothing.
    Preview,
    /// Write every row, or nothing if any row has a problem.
    AllOrNothing,
    /// Write the rows without problems; report the others.
    ValidOnly,
}

#[derive(Debug, Clone, Serialize)]
pub struct RowReport {
    /// The row's number in the file (the header is row 1).
    pub row: usize,
    /// Who or what the row is, in a few words.
    pub summary: String,
    pub problems: Vec<String>,
    /// Already in Pallay (a repayment imported before): left as it is.
    pub already_recorded: bool,
}

#[derive(Debug, Clone, Serialize)]
pub struct Report {
    pub kind: &'static str,
    pub rows: Vec<RowReport>,
    /// Rows written (0 in a preview, or when the import was refused).
    pub written: usize,
    /// Problems with the file as a whole (a missing column).
    pub file_problems: Vec<String>,
}

impl Report {
    pub fn problems(&self) -> usize {
        self.file_problems.len() + self.rows.iter().filter(|r| !r.problems.is_empty()).count()
    }

    pub fn valid(&self) -> usize {
        self.rows
            .iter()
            .filter(|r| r.problems.is_empty() && !r.already_recorded)
            .count()
    }
}

/// A file-level refusal, in plain words.
pub fn file_problem(t: Tr, code: &str) -> String {
    t.error(code).to_string()
}

fn describe(t: Tr, errors: &[FieldError]) -> Vec<String> {
    errors
        .iter()
        .map(|e| {
            let message = t.error(e.code);
            let message = match &e.param {
                Some(p) => message.replace("{}", p),
                None => message.to_string(),
            };
            format!("{}: {message}", e.field)
        })
        .collect()
}

fn problems_of(t: Tr, error: &AppError) -> Vec<String> {
    match error {
        AppError::Invalid(errors) => describe(t, errors),
        AppError::Conflict(code) => vec![t.error(code).to_string()],
        AppError::NotFound => vec![t.error("import_not_found").to_string()],
        AppError::Forbidden => vec![t.error("import_forbidden").to_string()],
        other => vec![other.to_string()],
    }
}

/// Why a savepoint is rolled back.
enum Undo {
    Db(diesel::result::Error),
    Row(AppError),
    Preview(Box<Report>),
}

impl From<diesel::result::Error> for Undo {
    fn from(e: diesel::result::Error) -> Self {
        Undo::Db(e)
    }
}

/// Runs `row` for every row of the table, each in a savepoint, and keeps or undoes the whole
/// according to `mode`. Must run inside a write transaction.
fn run_rows(
    conn: &mut DbConn,
    t: Tr,
    kind: Kind,
    table: &Table,
    mode: Mode,
    mut row: impl FnMut(&mut DbConn, &[String]) -> Result<(String, bool), (String, AppError)>,
) -> AppResult<Report> {
    let outcome = conn.transaction::<Report, Undo, _>(|c| {
        let mut report = Report {
            kind: kind.as_str(),
            rows: Vec::new(),
            written: 0,
            file_problems: Vec::new(),
        };
        for (number, cells) in &table.rows {
            let mut summary = String::new();
            let mut already = false;
            let result = c.transaction::<(), Undo, _>(|c| match row(c, cells) {
                Ok((s, skipped)) => {
                    summary = s;
                    already = skipped;
                    Ok(())
                }
                Err((s, e)) => {
                    summary = s;
                    Err(Undo::Row(e))
                }
            });
            let problems = match result {
                Ok(()) => Vec::new(),
                Err(Undo::Row(e)) => problems_of(t, &e),
                Err(Undo::Db(e)) => problems_of(t, &AppError::from(e)),
                Err(Undo::Preview(_)) => Vec::new(),
            };
            report.rows.push(RowReport {
                row: *number,
                summary,
                problems,
                already_recorded: already,
            });
        }
        let refuse = mode == Mode::Preview || (mode == Mode::AllOrNothing && report.problems() > 0);
        if refuse {
            return Err(Undo::Preview(Box::new(report)));
        }
        report.written = report.valid();
        Ok(report)
    });
    match outcome {
        Ok(report) => Ok(report),
        Err(Undo::Preview(report)) => Ok(*report),
        Err(Undo::Db(e)) => Err(e.into()),
        Err(Undo::Row(e)) => Err(e),
    }
}

/// Required columns missing from the file, as problems with the file.
fn missing(t: Tr, table: &Table, required: &[(&str, &[&str])]) -> Vec<String> {
    required
        .iter()
        .filter(|(_, names)| !table.has(names))
        .map(|(label, _)| format!("{}: {label}", t.error("import_missing_column")))
        .collect()
}

fn refused(kind: Kind, file_problems: Vec<String>) -> Report {
    Report {
        kind: kind.as_str(),
        rows: Vec::new(),
        written: 0,
        file_problems,
    }
}

const FIRST_NAME: &[&str] = &["nombres", "nombre", "first_name"];
const LAST_NAME: &[&str] = &["apellidos", "apellido", "last_name"];
const DNI: &[&str] = &["dni", "documento", "n_dni"];
const MEMBER_ID: &[&str] = &["member_id", "n_socia", "codigo_socia", "id_socia"];
const SEX: &[&str] = &["sexo", "sex"];
const ORGANIZATIONS: &[&str] = &[
    "organizacion",
    "organizaciones",
    "organization",
    "organizations",
    "asociacion",
];

fn field_error(field: &str, code: &'static str) -> AppError {
    AppError::invalid(field, code)
}

/// Organisation names (separated by `;`, `|` or `/`) to ids; an unknown name is a problem.
fn organization_ids(conn: &mut DbConn, names: &str) -> AppResult<Vec<i64>> {
    let all: Vec<(i64, String)> = organizations::table
        .select((organizations::id, organizations::name))
        .load(conn)?;
    let mut ids = Vec::new();
    for name in names.split([';', '|', '/']).map(str::trim).filter(|n| !n.is_empty()) {
        let key = values::column_key(name);
        match all
            .iter()
            .find(|(_, n)| values::column_key(n) == key || n.trim() == name)
        {
            Some((id, _)) => ids.push(*id),
            None => return Err(field_error(ORGANIZATIONS[0], "organization_unknown")),
        }
    }
    Ok(ids)
}

fn language(raw: Option<&str>) -> Result<&'static str, AppError> {
    match raw.map(values::column_key).as_deref() {
        None | Some("") | Some("es") | Some("castellano") | Some("espanol") => Ok("es"),
        Some("qu") | Some("quechua") => Ok("qu"),
        Some("ay") | Some("aymara") => Ok("ay"),
        Some("en") | Some("ingles") | Some("english") => Ok("en"),
        Some(_) => Err(field_error("idioma", "language_unknown")),
    }
}

fn import_members(
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

/// The member a row names, by DNI or number, as far as the actor reaches.
fn member_of(conn: &mut DbConn, actor: &CurrentUser, table: &Table, row: &[String]) -> AppResult<Option<i64>> {
    let scope = member_scope(actor);
    if let Some(id) = table.cell(row, MEMBER_ID) {
        let id: i64 = id.parse().map_err(|_| field_error("member_id", "must_be_id"))?;
        return crate::members::model::Member::find_scoped(conn, &scope, id).map(|m| Some(m.id));
    }
    if let Some(dni) = table.cell(row, DNI) {
        let dni = crate::members::fields::Dni::parse(dni).map_err(|code| field_error("dni", code))?;
        let id: Option<i64> = members::table
            .filter(members::dni.eq(dni.as_str()))
            .select(members::id)
            .get_result(conn)
            .optional()?;
        let id = id.ok_or_else(|| field_error("dni", "member_unknown"))?;
        return crate::members::model::Member::find_scoped(conn, &scope, id).map(|m| Some(m.id));
    }
    Ok(None)
}

fn import_attendance(
    conn: &mut DbConn,
    actor: &CurrentUser,
    t: Tr,
    table: &Table,
    training_id: i64,
    mode: Mode,
    today: NaiveDate,
) -> AppResult<Report> {
    use crate::trainings::entries::{EntryFields, EntryInput, Person};
    use crate::trainings::input::AttendanceStatus;
    let status_names: &[&str] = &["estado", "asistencia", "status", "asistio"];
    let file_problems = missing(t, table, &[("estado", status_names)]);
    if !file_problems.is_empty() {
        return Ok(refused(Kind::Attendance, file_problems));
    }
    crate::trainings::model::Training::find_scoped(conn, &training_scope(actor), training_id)?;
    // The register is checked as a whole by its own rules; each row becomes one of its lines.
    let mut entries = Vec::new();
    let mut reports = Vec::new();
    for (number, row) in &table.rows {
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
        if let (Some(person), Some(status)) = (person.clone(), status) {
            entries.push(EntryInput {
                person,
                organization_id,
                status,
                fields,
            });
        }
        let summary = match &person {
            Some(Person::Member(id)) => format!("#{id}"),
            _ => name.to_string(),
        };
        reports.push(RowReport {
            row: *number,
            summary,
            problems,
            already_recorded: false,
        });
    }
    let mut report = Report {
        kind: Kind::Attendance.as_str(),
        rows: reports,
        written: 0,
        file_problems: Vec::new(),
    };
    if report.problems() > 0 && mode != Mode::ValidOnly {
        return Ok(report);
    }
    let outcome = conn.transaction::<_, Undo, _>(|c| {
        let saved =
            crate::trainings::attendance::save_register(c, actor, &training_scope(actor), training_id, &entries, today)
                .map_err(Undo::Row)?;
        if mode == Mode::Preview {
            return Err(Undo::Preview(Box::new(refused(Kind::Attendance, Vec::new()))));
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

fn import_repayments(
    conn: &mut DbConn,
    actor: &CurrentUser,
    t: Tr,
    table: &Table,
    mode: Mode,
    today: NaiveDate,
) -> AppResult<Report> {
    let amount_names: &[&str] = &["monto", "importe", "amount", "pago"];
    let date_names: &[&str] = &["fecha", "fecha_de_pago", "date"];
    let receipt_names: &[&str] = &["recibo", "n_de_recibo", "n_recibo", "receipt", "receipt_number"];
    let loan_names: &[&str] = &["prestamo", "n_prestamo", "loan", "loan_id"];
    let file_problems = missing(
        t,
        table,
        &[
            ("dni / n_socia", &[DNI, MEMBER_ID].concat()),
            ("monto", amount_names),
            ("fecha", date_names),
        ],
    );
    if !file_problems.is_empty() {
        return Ok(refused(Kind::Repayments, file_problems));
    }
    let mut seen: Vec<(i64, NaiveDate, i64, Option<String>)> = Vec::new();
    run_rows(conn, t, Kind::Repayments, table, mode, |c, row| {
        let summary = format!(
            "{} · S/ {} · {}",
            table.cell(row, DNI).or(table.cell(row, MEMBER_ID)).unwrap_or_default(),
            table.cell(row, amount_names).unwrap_or_default(),
            table.cell(row, date_names).unwrap_or_default()
        );
        let fail = |e: AppError| (summary.clone(), e);
        let member = member_of(c, actor, table, row)
            .map_err(fail)?
            .ok_or_else(|| fail(field_error("dni", "member_or_name_required")))?;
        let amount = parse_amount(table.cell(row, amount_names).unwrap_or_default())
            .map_err(|code| fail(field_error("monto", code)))?;
        let date = parse_date(table.cell(row, date_names).unwrap_or_default())
            .map_err(|code| fail(field_error("fecha", code)))?;
        let receipt = table.cell(row, receipt_names).map(str::to_string);
        let scope = loan_scope(actor);
        let loan = match table.cell(row, loan_names) {
            Some(raw) => {
                let id: i64 = raw.parse().map_err(|_| fail(field_error("prestamo", "must_be_id")))?;
                let loan = crate::fund::model::Loan::find_scoped(c, &scope, id).map_err(fail)?;
                if loan.member_id != member {
                    return Err(fail(field_error("prestamo", "import_loan_not_hers")));
                }
                loan.id
            }
            None => {
                let open: Vec<i64> = crate::fund::model::Loan::of_member(c, member)
                    .map_err(fail)?
                    .into_iter()
                    .filter(|l| l.status == "disbursed")
                    .map(|l| l.id)
                    .collect();
                match open.as_slice() {
                    [one] => *one,
                    [] => return Err(fail(field_error("prestamo", "loan_not_disbursed"))),
                    _ => return Err(fail(field_error("prestamo", "import_which_loan"))),
                }
            }
        };
        let key = (loan, date, amount.centimos(), receipt.clone());
        if seen.contains(&key) {
            return Err(fail(field_error("recibo", "import_duplicate_row")));
        }
        seen.push(key);
        // Imported before: the same loan, date, amount and receipt, not reversed.
        let mut same = repayments::table
            .filter(repayments::loan_id.eq(loan))
            .filter(repayments::date.eq(date))
            .filter(repayments::amount.eq(amount.centimos()))
            .filter(diesel::dsl::not(diesel::dsl::exists(
                repayment_reversals::table.filter(repayment_reversals::repayment_id.eq(repayments::id)),
            )))
            .into_boxed();
        same = match &receipt {
            Some(r) => same.filter(repayments::receipt_number.eq(r.clone())),
            None => same.filter(repayments::receipt_number.is_null()),
        };
        let before: i64 = same.count().get_result(c).map_err(|e| fail(e.into()))?;
        if before > 0 {
            return Ok((summary.clone(), true));
        }
        let mut body = json!({"amount": amount.to_string(), "date": date.to_string()});
        if let Some(r) = &receipt {
            body["receipt_number"] = json!(r);
        }
        let input = JsonInput::from_value(body).map_err(|e| fail(AppError::Invalid(vec![e])))?;
        let input = crate::fund::input::RepaymentInput::parse(&input, today).map_err(|e| fail(AppError::Invalid(e)))?;
        crate::fund::repayments::repay(c, actor, loan, input, today).map_err(fail)?;
        Ok((summary.clone(), false))
    })
}

/// Reads the file and runs the import. Must run inside a write transaction.
#[allow(clippy::too_many_arguments)]
pub fn import(
    conn: &mut DbConn,
    actor: &CurrentUser,
    t: Tr,
    kind: Kind,
    bytes: &[u8],
    training_id: Option<i64>,
    mode: Mode,
    today: NaiveDate,
) -> AppResult<Report> {
    let table = match read::read(bytes) {
        Ok(table) => table,
        Err(code) => return Ok(refused(kind, vec![file_problem(t, code)])),
    };
    match kind {
        Kind::Members => import_members(conn, actor, t, &table, mode, today),
        Kind::Attendance => {
            let training_id = training_id.ok_or_else(|| field_error("training_id", "required"))?;
            import_attendance(conn, actor, t, &table, training_id, mode, today)
        }
        Kind::Repayments => import_repayments(conn, actor, t, &table, mode, today),
    }
}
