//! Turning an uploaded file into rows of text: CSV in UTF-8 or in the Latin-1/Windows-1252 of old
//! Excel, separated by commas, semicolons or tabs; or the first sheet of an XLSX workbook, after
//! checking it is a real one and not a zip bomb. A CSV file is kept between its preview and its
//! import deflated ([`pack`]), and its rows are read from that as they are checked.

use std::io::{Cursor, Read};

use calamine::{Data, Reader, Xlsx};

use super::values::column_key;

/// Files larger than this are refused before reading.
pub const MAX_FILE_BYTES: usize = 10 * 1024 * 1024;
/// A workbook may not unpack to more than this (a zip bomb unpacks to gigabytes).
pub const MAX_UNPACKED_BYTES: u64 = 100 * 1024 * 1024;
pub const MAX_ROWS: usize = 100_000;

/// A file's header and rows. The rows are read one at a time, as they are checked
/// ([`Table::rows`]). Held as a table of strings, with every row's report, a list of 100,000
/// members took the server from 30 to 84 MiB for its preview; read row by row, one row at a time.
pub struct Table<'a> {
    /// The header's column names, as keys ([`column_key`]).
    pub columns: Vec<String>,
    source: Source<'a>,
    /// Where the header is among the file's records (empty lines before it are skipped).
    header_at: usize,
    /// Rows with any text, after the header.
    count: usize,
}

enum Source<'a> {
    /// CSV: the file's bytes (after any byte-order mark), deflated or not.
    Csv(Csv<'a>),
    Xlsx(calamine::Range<Data>),
}

#[derive(Clone, Copy)]
struct Csv<'a> {
    bytes: &'a [u8],
    deflated: bool,
    /// UTF-8, else Windows-1252 (which Latin-1 files read as): found once, for the whole file.
    utf8: bool,
    delimiter: u8,
}

impl<'a> Csv<'a> {
    fn text(&self) -> Box<dyn Read + 'a> {
        if self.deflated {
            // `pack` deflates only files within the limit; a file made to look packed (its mark,
            // then a deflate bomb) unpacks no further than a file may be long.
            Box::new(flate2::read::DeflateDecoder::new(self.bytes).take(MAX_FILE_BYTES as u64))
        } else {
            Box::new(self.bytes)
        }
    }

    /// Each record of the file, its cells as text; a record that does not read as CSV, as `Err`.
    fn records(self) -> impl Iterator<Item = Result<Vec<String>, &'static str>> + 'a {
        let utf8 = self.utf8;
        csv::ReaderBuilder::new()
            .has_headers(false)
            .flexible(true)
            .delimiter(self.delimiter)
            .from_reader(self.text())
            .into_byte_records()
            .map(move |record| {
                let record = record.map_err(|_| "import_not_csv")?;
                Ok(record.iter().map(|cell| cell_of(cell, utf8)).collect())
            })
    }
}

fn cell_of(bytes: &[u8], utf8: bool) -> String {
    if utf8 {
        String::from_utf8_lossy(bytes).into_owned()
    } else {
        encoding_rs::WINDOWS_1252
            .decode_without_bom_handling(bytes)
            .0
            .into_owned()
    }
}

fn is_blank(cells: &[String]) -> bool {
    cells.iter().all(|c| c.trim().is_empty())
}

impl Table<'_> {
    /// The value of the first of `names` that is a column of the file.
    pub fn cell<'r>(&self, row: &'r [String], names: &[&str]) -> Option<&'r str> {
        names.iter().find_map(|name| {
            let i = self.columns.iter().position(|c| c == name)?;
            row.get(i).map(|v| v.trim()).filter(|v| !v.is_empty())
        })
    }

    pub fn has(&self, names: &[&str]) -> bool {
        names.iter().any(|n| self.columns.iter().any(|c| c == n))
    }

    /// How many rows with any text follow the header.
    pub fn len(&self) -> usize {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// Each row with any text after the header, with its number in the file (the header is
    /// row 1, as a spreadsheet shows it), read as it is asked for.
    pub fn rows(&self) -> Box<dyn Iterator<Item = (usize, Vec<String>)> + '_> {
        let header_at = self.header_at;
        let numbered = move |(i, cells): (usize, Vec<String>)| (i - header_at + 1, cells);
        match &self.source {
            // The file was read whole once already (`read_csv`), without an error.
            Source::Csv(csv) => Box::new(
                csv.records()
                    .map_while(Result::ok)
                    .enumerate()
                    .skip(header_at + 1)
                    .filter(|(_, cells)| !is_blank(cells))
                    .map(numbered),
            ),
            Source::Xlsx(range) => Box::new(
                range
                    .rows()
                    .map(|r| r.iter().map(cell_text).collect::<Vec<_>>())
                    .enumerate()
                    .skip(header_at + 1)
                    .filter(|(_, cells)| !is_blank(cells))
                    .map(numbered),
            ),
        }
    }
}

fn is_zip(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04")
}

fn without_byte_order_mark(bytes: &[u8]) -> &[u8] {
    bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes)
}

/// The separator the header uses most: `;`, tab or `,` (the default).
fn separator(header: &[u8]) -> u8 {
    let count = |c: u8| header.iter().filter(|b| **b == c).count();
    [b';', b'\t', b',']
        .into_iter()
        .max_by_key(|c| count(*c))
        .filter(|c| count(*c) > 0)
        .unwrap_or(b',')
}

/// Marks a CSV file kept deflated by [`pack`], and how it is encoded. A file with a NUL byte is not
/// CSV (`read` refuses it), so no upload begins like these.
const DEFLATED_UTF8: &[u8] = b"\0csv;utf-8;deflate\0";
const DEFLATED_1252: &[u8] = b"\0csv;windows-1252;deflate\0";

/// What a CSV file's bytes start with: its first line (the header, for [`separator`]).
fn first_line(text: impl Read) -> Vec<u8> {
    let mut line = Vec::new();
    // At most 64 KiB: a header is a line of column names. A file that cannot be read gives no
    // line, and the default separator.
    let _ = std::io::BufRead::read_until(&mut std::io::BufReader::new(text.take(64 * 1024)), b'\n', &mut line);
    line
}

/// An upload as it is kept until its import: a CSV file deflated (a list of 100,000 members, 6 MB,
/// would otherwise sit whole in the server's memory for the whole of its preview), anything else
/// as it came. [`read`] reads either.
pub fn pack(bytes: &[u8]) -> Vec<u8> {
    if bytes.len() > MAX_FILE_BYTES || is_zip(bytes) || bytes.contains(&0) {
        return bytes.to_vec();
    }
    let text = without_byte_order_mark(bytes);
    let mark = if std::str::from_utf8(text).is_ok() {
        DEFLATED_UTF8
    } else {
        DEFLATED_1252
    };
    let mut deflater = flate2::write::DeflateEncoder::new(mark.to_vec(), flate2::Compression::fast());
    // Writing into a Vec cannot fail.
    let _ = std::io::Write::write_all(&mut deflater, text);
    deflater.finish().unwrap_or_else(|_| bytes.to_vec())
}

/// Where the header is (the first record with text), its column names, and how many rows with
/// text follow it; a file with no header or too many rows is refused.
fn scan(
    records: impl Iterator<Item = Result<Vec<String>, &'static str>>,
) -> Result<(Vec<String>, usize, usize), &'static str> {
    let (mut header, mut header_at, mut count) = (None, 0, 0);
    for (i, record) in records.enumerate() {
        let record = record?;
        if is_blank(&record) {
            continue;
        }
        if header.is_none() {
            header = Some(record.iter().map(|h| column_key(h)).collect());
            header_at = i;
        } else {
            count += 1;
            if count > MAX_ROWS {
                return Err("import_too_many_rows");
            }
        }
    }
    Ok((header.ok_or("import_empty")?, header_at, count))
}

fn read_csv(csv: Csv<'_>) -> Result<Table<'_>, &'static str> {
    // A first reading checks the whole file and counts its rows, one record at a time; the rows
    // are read again as they are checked.
    let (columns, header_at, count) = scan(csv.records())?;
    Ok(Table {
        columns,
        source: Source::Csv(csv),
        header_at,
        count,
    })
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

fn read_xlsx(bytes: &[u8]) -> Result<Table<'static>, &'static str> {
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
    // The sheet is held unpacked (calamine reads a sheet whole); its rows become text one at a time.
    let range = workbook
        .worksheet_range_at(0)
        .ok_or("import_empty")?
        .map_err(|_| "import_not_spreadsheet")?;
    if range.height() > MAX_ROWS + 1 {
        return Err("import_too_many_rows");
    }
    let (columns, header_at, count) = scan(range.rows().map(|r| Ok(r.iter().map(cell_text).collect())))?;
    Ok(Table {
        columns,
        source: Source::Xlsx(range),
        header_at,
        count,
    })
}

/// Reads a CSV or XLSX file (told apart by their first bytes, not the name): its header now,
/// its rows as they are asked for.
pub fn read(bytes: &[u8]) -> Result<Table<'_>, &'static str> {
    for (mark, utf8) in [(DEFLATED_UTF8, true), (DEFLATED_1252, false)] {
        if let Some(deflated) = bytes.strip_prefix(mark) {
            let delimiter = separator(&first_line(flate2::read::DeflateDecoder::new(deflated)));
            return read_csv(Csv {
                bytes: deflated,
                deflated: true,
                utf8,
                delimiter,
            });
        }
    }
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
        let text = without_byte_order_mark(bytes);
        read_csv(Csv {
            bytes: text,
            deflated: false,
            utf8: std::str::from_utf8(text).is_ok(),
            delimiter: separator(&first_line(text)),
        })
    }
}

#[cfg(test)]
#[path = "read_tests.rs"]
mod tests;
