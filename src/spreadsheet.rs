//! CSV files for spreadsheets. Every cell a spreadsheet could read as a formula (one that begins
//! with `=`, `+`, `-`, `@`, a tab or a carriage return) is written with a leading apostrophe, so
//! a description like `=HYPERLINK(…)` stays text in the coordinator's Excel (OWASP's advice on
//! CSV injection). XLSX files are written cell by cell as strings and numbers, never formulas.

use crate::error::{AppError, AppResult};

/// A cell as a spreadsheet will read it: text, never a formula.
pub fn neutral(cell: &str) -> std::borrow::Cow<'_, str> {
    match cell.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{cell}").into(),
        _ => cell.into(),
    }
}

/// A CSV document: a header row, then the rows, every cell neutralised.
pub fn csv<R, C>(header: &[String], rows: R) -> AppResult<Vec<u8>>
where
    R: IntoIterator<Item = Vec<C>>,
    C: AsRef<str>,
{
    let fail = |e: csv::Error| AppError::internal(format!("csv: {e}"));
    // A byte-order mark first: without it Excel on Windows reads the UTF-8 as Latin-1 and
    // "Nélida" becomes "NÃ©lida".
    let mut writer = csv::Writer::from_writer(b"\xEF\xBB\xBF".to_vec());
    writer
        .write_record(header.iter().map(|h| neutral(h).into_owned()))
        .map_err(fail)?;
    for row in rows {
        writer
            .write_record(row.iter().map(|c| neutral(c.as_ref()).into_owned()))
            .map_err(fail)?;
    }
    writer.into_inner().map_err(|e| AppError::internal(format!("csv: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_that_would_be_a_formula_stays_text() {
        for cell in ["=HYPERLINK(\"http://evil\")", "+1", "-2+3", "@SUM(A1:A9)", "\tx", "\rx"] {
            assert_eq!(neutral(cell), format!("'{cell}"), "{cell:?}");
        }
        for cell in ["Taller de liderazgo", "0.5000", "", "Rosa = presidenta", "'ya citado"] {
            assert_eq!(neutral(cell), cell, "{cell:?}");
        }
    }

    #[test]
    fn every_cell_of_a_document_is_neutralised() {
        let doc = csv(&["id".into(), "=x".into()], vec![vec!["1", "@SUM(A1:A9)"]]).unwrap();
        assert_eq!(String::from_utf8(doc).unwrap(), "\u{feff}id,'=x\n1,'@SUM(A1:A9)\n");
    }
}
