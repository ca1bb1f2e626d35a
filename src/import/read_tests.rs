//! Unit tests of `read.rs`.

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
        let got: Vec<(usize, Vec<String>)> = table.rows().collect();
        prop_assert_eq!(got.len(), expected.len());
        prop_assert_eq!(table.len(), expected.len());
        for ((_, got), want) in got.iter().zip(expected) {
            prop_assert_eq!(got, want);
        }
        // Kept deflated, it reads back the same.
        let packed = pack(&bytes);
        let kept = read(&packed).unwrap();
        prop_assert_eq!(&kept.columns, &table.columns);
        prop_assert_eq!(kept.rows().collect::<Vec<_>>(), got);
    }

    // Whatever is uploaded, kept as `pack` keeps it, reads as it would have: the same rows or
    // the same refusal.
    #[test]
    fn a_packed_upload_reads_as_the_file_itself(bytes in proptest::collection::vec(any::<u8>(), 0..2048)) {
        let packed = pack(&bytes);
        match (read(&bytes), read(&packed)) {
            (Ok(file), Ok(kept)) => {
                prop_assert_eq!(&kept.columns, &file.columns);
                prop_assert_eq!(kept.rows().collect::<Vec<_>>(), file.rows().collect::<Vec<_>>());
            }
            (file, kept) => prop_assert_eq!(kept.err(), file.err()),
        }
    }
}

#[test]
fn latin1_semicolons_and_a_byte_order_mark_are_understood() {
    let latin1 = b"Nombres;Apellidos;Tel\xe9fono\r\nRosa;Qu\xedspe;987654321\r\n\r\n";
    let t = read(latin1).unwrap();
    assert_eq!(t.columns, vec!["nombres", "apellidos", "telefono"]);
    assert_eq!(
        t.rows().collect::<Vec<_>>(),
        vec![(2, vec!["Rosa".to_string(), "Quíspe".into(), "987654321".into()])]
    );
    let bom = "\u{feff}dni,nombres\n12345678,Ana\n".as_bytes();
    assert_eq!(read(bom).unwrap().columns, vec!["dni", "nombres"]);
    for file in [&latin1[..], bom] {
        let kept = pack(file);
        assert!(kept.starts_with(b"\0csv;"), "kept deflated");
        let (t, k) = (read(file).unwrap(), read(&kept).unwrap());
        assert_eq!(
            (&k.columns, k.rows().collect::<Vec<_>>()),
            (&t.columns, t.rows().collect::<Vec<_>>())
        );
    }
}

#[test]
fn rows_are_read_again_as_asked_for_and_numbered_from_the_header() {
    let file = b";;\nnombres;dni\nRosa;1\n;\nAna;2\n";
    let t = read(file).unwrap();
    assert_eq!(
        (t.columns.clone(), t.len()),
        (vec!["nombres".to_string(), "dni".into()], 2)
    );
    let rows = vec![
        (2, vec!["Rosa".to_string(), "1".into()]),
        (4, vec!["Ana".to_string(), "2".into()]),
    ];
    assert_eq!(t.rows().collect::<Vec<_>>(), rows);
    assert_eq!(
        t.rows().collect::<Vec<_>>(),
        rows,
        "a second reading gives the same rows"
    );
}

#[test]
fn a_list_of_a_hundred_thousand_members_is_kept_in_a_fraction_of_its_size() {
    let mut file = String::from("nombres,apellidos,dni,sexo,organizacion\n");
    for i in 0..100_000 {
        file.push_str(&format!(
            "Ana,Quispe {i},{},mujer,Pallaqueras de La Rinconada\n",
            40_000_000 + i
        ));
    }
    let kept = pack(file.as_bytes());
    assert!(
        kept.len() * 4 < file.len(),
        "{} bytes kept of {}",
        kept.len(),
        file.len()
    );
    assert_eq!(read(&kept).unwrap().len(), 100_000);
    // A workbook is compressed already: kept as it came.
    assert_eq!(pack(b"PK\x03\x04rest"), b"PK\x03\x04rest");
}

#[test]
fn a_file_made_to_look_kept_unpacks_no_further_than_a_file_may_be_long() {
    // The mark of a kept file, then 30 MB of one line deflated to a few kilobytes.
    let mut bomb = flate2::write::DeflateEncoder::new(DEFLATED_UTF8.to_vec(), flate2::Compression::best());
    let line = vec![b'a'; 1024 * 1024];
    for _ in 0..30 {
        std::io::Write::write_all(&mut bomb, &line).unwrap();
    }
    let bomb = bomb.finish().unwrap();
    assert!(bomb.len() < 100 * 1024, "{} bytes", bomb.len());
    let t = read(&bomb).unwrap();
    assert_eq!(t.columns[0].len(), MAX_FILE_BYTES, "cut at the limit");
    assert_eq!(t.len(), 0);
}

#[test]
fn too_many_rows_are_refused_before_any_is_checked() {
    let mut file = String::from("nombres\n");
    for i in 0..=MAX_ROWS {
        file.push_str(&format!("Socia{i}\n"));
    }
    assert_eq!(read(file.as_bytes()).err(), Some("import_too_many_rows"));
}

#[test]
fn what_is_not_a_spreadsheet_is_refused() {
    assert_eq!(read(b"   \n").err(), Some("import_empty"));
    assert_eq!(read(b"PK\x03\x04garbage").err(), Some("import_not_spreadsheet"));
    assert_eq!(read(b"\x00\x01\x02binary").err(), Some("import_not_spreadsheet"));
}
