//! Importing the associations' own lists: members (with organisations and consents), a training's
//! attendance sheet, and a collection sheet of repayments — from CSV or XLSX.
//!
//! Every row goes through the same parsers and services as the forms, each in a savepoint, so a
//! row's problem is found by the very rule that would refuse it on the form. A preview runs the
//! whole import and rolls it back; an import writes nothing if any row has a problem, unless the
//! user chose to import only the valid rows. Re-importing a collection sheet never posts a
//! repayment twice: a row matching a repayment already recorded (loan, date, amount, receipt) is
//! reported and skipped.
//!
//! Here: the rows loop with its savepoints and the report; one file per kind of sheet
//! (`member_list.rs`, `attendance_sheet.rs`, `collection_sheet.rs`); reading files (`read.rs`) and
//! cells (`values.rs`); the uploaded file, kept between preview and import (`upload.rs`); the pages
//! (`pages.rs`).

use chrono::NaiveDate;
use diesel::prelude::*;

use crate::auth::policy::{member_scope, CurrentUser};
use crate::db::schema::members;
use crate::db::DbConn;
use crate::error::{AppError, AppResult, FieldError};
use crate::i18n::Tr;
use read::Table;

crate::input::closed_set!(
    /// What a file holds.
    Kind, "import_kind_unknown", {
        Members => "members",
        Attendance => "attendance",
        Repayments => "repayments",
    }
);

mod attendance_sheet;
mod collection_sheet;
mod member_list;
pub mod pages;
pub mod read;
pub mod sample;
pub mod upload;
pub mod values;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// Check every row and write nothing.
    Preview,
    /// Write every row, or nothing if any row has a problem.
    AllOrNothing,
    /// Write the rows without problems; report the others.
    ValidOnly,
}

#[derive(Debug, Clone)]
pub struct RowReport {
    /// The row's number in the file (the header is row 1).
    pub row: usize,
    /// Who or what the row is, in a few words.
    pub summary: String,
    pub problems: Vec<String>,
    /// Already in Pallay (a repayment imported before): left as it is.
    pub already_recorded: bool,
}

/// Which rows a report lists. Every row is checked and counted either way.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Listing {
    /// Every row with a problem or already recorded, and the first [`ROWS_SHOWN`] others: the
    /// command line, which prints every bad row.
    Every,
    /// At most [`PROBLEM_ROWS_SHOWN`] rows with a problem or already recorded, and the first
    /// [`ROWS_SHOWN`] others: a page, which must stay light on a phone, from a server whose memory
    /// must not grow with the file (a list of 100,000 members made a page of 6 MB).
    Page,
}

/// How many rows without problems a report lists.
pub const ROWS_SHOWN: usize = 50;
/// How many rows with a problem (or already recorded) a page lists; the rest are counted.
pub const PROBLEM_ROWS_SHOWN: usize = 200;

#[derive(Debug, Clone)]
pub struct Report {
    pub kind: &'static str,
    /// The rows listed (see [`Listing`]), in the file's order.
    pub rows: Vec<RowReport>,
    /// Every row of the file that was checked.
    pub counted: Counted,
    /// Rows written (0 in a preview, or when the import was refused).
    pub written: usize,
    /// Problems with the file as a whole (a missing column).
    pub file_problems: Vec<String>,
    listing: Listing,
}

/// What a report counted, listed or not.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Counted {
    pub rows: usize,
    pub with_problems: usize,
    pub already_recorded: usize,
}

impl Report {
    pub fn new(kind: Kind, listing: Listing) -> Self {
        Report {
            kind: kind.as_str(),
            rows: Vec::new(),
            counted: Counted::default(),
            written: 0,
            file_problems: Vec::new(),
            listing,
        }
    }

    /// Counts a checked row, and lists it if the report's [`Listing`] has room for it.
    pub fn add(&mut self, row: RowReport) {
        let fine = row.problems.is_empty() && !row.already_recorded;
        let before = self.counted;
        self.counted.rows += 1;
        if !row.problems.is_empty() {
            self.counted.with_problems += 1;
        } else if row.already_recorded {
            self.counted.already_recorded += 1;
        }
        let listed = if fine {
            before.rows - before.with_problems - before.already_recorded < ROWS_SHOWN
        } else {
            self.listing == Listing::Every || before.with_problems + before.already_recorded < PROBLEM_ROWS_SHOWN
        };
        if listed {
            self.rows.push(row);
        }
    }

    pub fn problems(&self) -> usize {
        self.file_problems.len() + self.counted.with_problems
    }

    /// Rows that can be written: no problem, and not already recorded.
    pub fn valid(&self) -> usize {
        self.counted.rows - self.counted.with_problems - self.counted.already_recorded
    }

    /// Rows without problems that the report does not list.
    pub fn fine_not_listed(&self) -> usize {
        self.valid().saturating_sub(ROWS_SHOWN)
    }

    /// Rows with a problem, or already recorded, that the report does not list.
    pub fn problems_not_listed(&self) -> usize {
        let listed = self
            .rows
            .iter()
            .filter(|r| !r.problems.is_empty() || r.already_recorded)
            .count();
        (self.counted.with_problems + self.counted.already_recorded).saturating_sub(listed)
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
        AppError::Conflict(_) | AppError::BooksClosed(_) => vec![error.conflict_reason(t).unwrap_or_default()],
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
    kind: Kind,
    sheet: Sheet,
    mut row: impl FnMut(&mut DbConn, &[String]) -> Result<(String, bool), (String, AppError)>,
) -> AppResult<Report> {
    let outcome = conn.transaction::<Report, Undo, _>(|c| {
        let Sheet { t, listing, mode, .. } = sheet;
        let mut report = Report::new(kind, listing);
        for (number, cells) in sheet.table.rows() {
            let mut summary = String::new();
            let mut already = false;
            let result = c.transaction::<(), Undo, _>(|c| match row(c, &cells) {
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
            report.add(RowReport {
                row: number,
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

fn refused(kind: Kind, listing: Listing, file_problems: Vec<String>) -> Report {
    Report {
        file_problems,
        ..Report::new(kind, listing)
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

/// What is imported, and how.
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    pub kind: Kind,
    /// The file as uploaded: CSV or XLSX.
    pub bytes: &'a [u8],
    /// The training whose register an attendance sheet fills.
    pub training_id: Option<i64>,
    pub mode: Mode,
    pub listing: Listing,
    pub today: NaiveDate,
}

/// Reads the file and runs the import. Must run inside a write transaction.
pub fn import(conn: &mut DbConn, actor: &CurrentUser, t: Tr, request: Request) -> AppResult<Report> {
    let Request {
        kind,
        bytes,
        training_id,
        mode,
        listing,
        today,
    } = request;
    let table = match read::read(bytes) {
        Ok(table) => table,
        Err(code) => return Ok(refused(kind, listing, vec![file_problem(t, code)])),
    };
    let sheet = Sheet {
        t,
        listing,
        table: &table,
        mode,
        today,
    };
    match kind {
        Kind::Members => member_list::import_members(conn, actor, sheet),
        Kind::Attendance => {
            let training_id = training_id.ok_or_else(|| field_error("training_id", "required"))?;
            attendance_sheet::import_attendance(conn, actor, sheet, training_id)
        }
        Kind::Repayments => collection_sheet::import_repayments(conn, actor, sheet),
    }
}

/// A file being imported, as each kind of sheet reads it.
#[derive(Clone, Copy)]
struct Sheet<'s, 'f> {
    t: Tr,
    listing: Listing,
    table: &'s Table<'f>,
    mode: Mode,
    today: NaiveDate,
}
