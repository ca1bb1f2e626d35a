//! Turning an uploaded file into rows of text: CSV in UTF-8 or in the Latin-1/Windows-1252 of old
//! Excel, separated by commas, semicolons or tabs; or the first sheet of an XLSX workbook, after
//! checking it is a real one and not a zip bomb.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};

use super::values::column_key;

/// Files larger than this are refused before reading.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// A workbook may not unpack to more than this (a zip bomb unpacks to gigabytes).
pub const MAX_UNPACKED_BYTES: u64 = 100 * 1024 * 1024;
pub const MAX_ROWS: usize = 100_000;

/// The rows of a file: column names as keys, then each row with its number in the file (the
/// header is row 1, as a spreadsheet shows it).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Table {
    pub columns: Vec<String>,
    pub rows: Vec<(usize, Vec<String>)>,
}

impl Table {
    /// The value of the first of `names` that is a column of the file.
    pub fn cell<'a>(&self, row: &'a [String], names: &[&str]) -> Option<&'a str> {
        names.iter().find_map(|name| {
            let i = self.columns.iter().position(|c| c == name)?;
            row.get(i).map(|v| v.trim()).filter(|v| !v.is_empty())
        })
    }

    pub fn has(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.columns.iter().any(|c| c == n))
    }
}

fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

/// UTF-8 (with or without a byte-order mark), else Windows-1252 (which Latin-1 files read as).
fn decode(bytes: &[u8]) -> String {
    let bytes = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    match std::str::from_utf8(bytes) {
        Ok(text) => text.to_string(),
        Err(_) => encoding_rs::WINDOWS_1252.decode(bytes).0.into_owned(),
    }
}

fn separator(text: &str) -> u8 {
    let header = text.lines().next().unwrap_or("");
    let count = |c: char| header.matches(c).count();
    [(';', b';'), ('\t', b'\t'), (',', b',')]
        .into_iter()
        .max_by_key(|(c, _)| count(*c))
        .filter(|(c, _)| count(*c) > 0)
        .map_or(b',', |(_, b)| b)
}

fn table(mut records: Vec<Vec<String>>) -> Result<Table, &'static str> {
    // Leading empty lines are skipped; the first line with text is the header.
    while records.first().is_some_and(|r| r.iter().all(|c| c.trim().is_empty())) {
        records.remove(0);
    }
    let Some(header) = records.first() else {
        return Err("import_empty");
    };
    let columns: Vec<String> = header.iter().map(|h| column_key(h)).collect();
    let offset = 1;
    let rows: Vec<(usize, Vec<String>)> = records
        .into_iter()
        .enumerate()
        .skip(offset)
        .filter(|(_, r)| r.iter().any(|c| !c.trim().is_empty()))
        .map(|(i, r)| (i + 1, r))
        .collect();
    if rows.len() > MAX_ROWS {
        return Err("import_too_many_rows");
    }
    Ok(Table { columns, rows })
}

fn read_csv(bytes: &[u8]) -> Result<Table, &'static str> {
    let text = decode(bytes);
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .delimiter(separator(&text))
        .from_reader(text.as_bytes());
    let mut records = Vec::new();
    for record in reader.records() {
        let record = record.map_err(|_| "import_not_csv")?;
        records.push(record.iter().map(str::to_string).collect());
        if records.len() > MAX_ROWS + 1 {
            return Err("import_too_many_rows");
        }
    }
    table(records)
}

fn cell_text(cell: &Data) -> String {
    match cell {
        Data::Empty => String::new(),
        Data::String(s) | Data::DateTimeIso(s) | Data::DurationIso(s) => s.clone(),
        Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
        Data::Float(f) => f.to_string(),
        Data::Int(i) => i.to_string(),
        Data::Bool(b) => if *b { "sí" } else { "no" }.to_string(),
        // A cell formatted as a date holds Excel's serial day number.
        Data::DateTime(d) => chrono::NaiveDate::from_ymd_opt(1899, 12, 30)
            .map(|base| base + chrono::Duration::days(d.as_f64().floor() as i64))
            .map_or_else(|| d.as_f64().to_string(), |date| date.to_string()),
        Data::Error(_) => String::new(),
    }
}

fn read_xlsx(bytes: &[u8]) -> Result<Table, &'static str> {
    // Look inside before unpacking: what every entry says it unpacks to, and whether it does.
    let mut archive = zip::ZipArchive::new(Cursor::new(bytes)).map_err(|_| "import_not_spreadsheet")?;
    let mut unpacked: u64 = 0;
    for i in 0..archive.len() {
        let entry = archive.by_index(i).map_err(|_| "import_not_spreadsheet")?;
        unpacked = unpacked.saturating_add(entry.size());
        if unpacked > MAX_UNPACKED_BYTES {
            return Err("import_zip_bomb");
        }
        // A declared size can lie: read at most a little more than it says.
        let declared = entry.size();
        let read =
            std::io::copy(&mut entry.take(declared + 1), &mut std::io::sink()).map_err(|_| "import_not_spreadsheet")?;
        if read > declared {
            return Err("import_zip_bomb");
        }
    }
    let mut workbook: Xlsx<_> = Xlsx::new(Cursor::new(bytes)).map_err(|_| "import_not_spreadsheet")?;
    let range = workbook
        .worksheet_range_at(0)
        .ok_or("import_empty")?
        .map_err(|_| "import_not_spreadsheet")?;
    if range.height() > MAX_ROWS + 1 {
        return Err("import_too_many_rows");
    }
    table(range.rows().map(|r| r.iter().map(cell_text).collect()).collect())
}

/// Reads a CSV or XLSX file (told apart by their first bytes, not the name).
pub fn read(bytes: &[u8]) -> Result<Table, &'static str> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err("import_file_too_large");
    }
    if bytes.iter().all(|b| b.is_ascii_whitespace()) {
        return Err("import_empty");
    }
    if is_zip(bytes) {
        read_xlsx(bytes)
    } else if bytes.contains(&0) {
        Err("import_not_spreadsheet")
    } else {
        read_csv(bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        // Fuzzing the row reader: any bytes at all give rows or a reason, never a panic.
        #[test]
        fn any_bytes_give_rows_or_a_reason(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
            let _ = read(&bytes);
        }

        // Whatever cells a sheet holds (separators, quotes, line breaks, accents), written as CSV
        // they read back as the same rows.
        #[test]
        fn csv_cells_read_back_as_written(
            rows in proptest::collection::vec(proptest::collection::vec("[a-zA-Z0-9áéíóúñ ;,\"\n]{0,12}", 3), 1..20),
            semicolons in any::<bool>(),
        ) {
            let mut writer = csv::WriterBuilder::new()
                .delimiter(if semicolons { b';' } else { b',' })
                .from_writer(Vec::new());
            writer.write_record(["nombres", "apellidos", "dni"]).unwrap();
            for row in &rows {
                writer.write_record(row).unwrap();
            }
            let bytes = writer.into_inner().unwrap();
            let table = read(&bytes).unwrap();
            let expected: Vec<&Vec<String>> = rows.iter().filter(|r| r.iter().any(|c| !c.trim().is_empty())).collect();
            prop_assert_eq!(table.rows.len(), expected.len());
            for ((_, got), want) in table.rows.iter().zip(expected) {
                prop_assert_eq!(got, want);
            }
        }
    }

    #[test]
    fn latin1_semicolons_and_a_byte_order_mark_are_understood() {
        let latin1 = b"Nombres;Apellidos;Tel\xe9fono\r\nRosa;Qu\xedspe;987654321\r\n\r\n";
        let t = read(latin1).unwrap();
        assert_eq!(t.columns, vec!["nombres", "apellidos", "telefono"]);
        assert_eq!(
            t.rows,
            vec![(2, vec!["Rosa".to_string(), "Quíspe".into(), "987654321".into()])]
        );
        let bom = "\u{feff}dni,nombres\n12345678,Ana\n".as_bytes();
        assert_eq!(read(bom).unwrap().columns, vec!["dni", "nombres"]);
    }

    #[test]
    fn what_is_not_a_spreadsheet_is_refused() {
        assert_eq!(read(b"   \n"), Err("import_empty"));
        assert_eq!(read(b"PK\x03\x04garbage"), Err("import_not_spreadsheet"));
        assert_eq!(read(b"\x00\x01\x02binary"), Err("import_not_spreadsheet"));
    }
}
