//! The action plan as a spreadsheet: CSV and XLSX, headers in the reader's language, the
//! committee, date and period written on the sheet.

use rust_xlsxwriter::{Format, Workbook};

use super::model::Committee;
use super::service::ActionView;
use crate::error::{AppError, AppResult};
use crate::i18n::Tr;

const COLUMNS: [&str; 8] = [
    "id",
    "description",
    "responsible",
    "due_date",
    "status",
    "done_on",
    "overdue",
    "notes",
];

fn header(t: Tr) -> Vec<String> {
    COLUMNS.iter().map(|c| t.of("export.action", c)).collect()
}

fn row(t: Tr, a: &ActionView) -> Vec<String> {
    vec![
        a.id.to_string(),
        a.description.clone(),
        a.responsible_name.clone().unwrap_or_default(),
        a.due_date.clone(),
        t.of("action_status", &a.status),
        a.done_on.clone().unwrap_or_default(),
        if a.overdue {
            t.get("consent.yes").to_string()
        } else {
            String::new()
        },
        a.notes
            .iter()
            .map(|n| format!("{}: {}", n.date, n.text))
            .collect::<Vec<_>>()
            .join(" | "),
    ]
}

pub fn csv(t: Tr, actions: &[ActionView]) -> AppResult<Vec<u8>> {
    crate::spreadsheet::csv(&header(t), actions.iter().map(|a| row(t, a)))
}

pub fn xlsx(t: Tr, committee: &Committee, actions: &[ActionView], as_of: &str) -> AppResult<Vec<u8>> {
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::internal(format!("xlsx: {e}"));
    let mut workbook = Workbook::new();
    let bold = Format::new().set_bold();
    let sheet = workbook.add_worksheet();
    sheet.set_name(t.get("export.sheet")).map_err(fail)?;
    sheet
        .write_string_with_format(0, 0, &committee.name, &bold)
        .map_err(fail)?;
    sheet
        .write_string(1, 0, format!("{} {as_of}", t.get("fund.as_of")))
        .map_err(fail)?;
    for (col, title) in header(t).iter().enumerate() {
        sheet
            .write_string_with_format(3, col as u16, title, &bold)
            .map_err(fail)?;
    }
    for (i, action) in actions.iter().enumerate() {
        for (col, value) in row(t, action).iter().enumerate() {
            sheet.write_string(4 + i as u32, col as u16, value).map_err(fail)?;
        }
    }
    sheet.set_column_width(1, 50).map_err(fail)?;
    sheet.set_column_width(2, 25).map_err(fail)?;
    workbook.save_to_buffer().map_err(fail)
}
