//! Importing the associations' lists: CSV and XLSX as people really make them, every problem
//! explained by row, nothing half-written, and a collection sheet never posted twice.

use std::io::Write;

use pallay::i18n::{Lang, Tr};
use pallay::import::{import, Kind, Listing, Mode, Report, Request};
use serde_json::json;

use crate::fund_helpers::{day, fund_with_cash, today, Fund};
use crate::helpers::TestApp;

fn run(
    app: &TestApp,
    actor: &pallay::auth::policy::CurrentUser,
    kind: Kind,
    bytes: &[u8],
    training: Option<i64>,
    mode: Mode,
) -> Report {
    listed(app, actor, kind, bytes, training, mode, Listing::Every)
}

fn listed(
    app: &TestApp,
    actor: &pallay::auth::policy::CurrentUser,
    kind: Kind,
    bytes: &[u8],
    training_id: Option<i64>,
    mode: Mode,
    listing: Listing,
) -> Report {
    let mut conn = app.db.get().unwrap();
    let request = Request {
        kind,
        bytes,
        training_id,
        mode,
        listing,
        today: today(),
    };
    pallay::db::write_transaction(&mut conn, |c| import(c, actor, Tr::new(Lang::Es), request)).unwrap()
}

fn admin(app: &TestApp) -> pallay::auth::policy::CurrentUser {
    app.create_user(pallay::auth::policy::Role::Admin, vec![], None)
}

fn problems(report: &Report) -> Vec<String> {
    let mut all = report.file_problems.clone();
    for row in &report.rows {
        all.extend(row.problems.iter().map(|p| format!("{}: {p}", row.row)));
    }
    all
}

#[test]
fn an_old_excel_list_in_latin1_with_semicolons_is_previewed_then_imported() {
    let f = fund_with_cash("100.00");
    let actor = admin(&f.app);
    let members_before = f.app.count("members");
    // Latin-1 as old Excel saves it, semicolons, Spanish dates and an Excel serial number.
    let mut file: Vec<u8> =
        b"Nombres;Apellidos;DNI;Sexo;Fecha de nacimiento;Tel\xe9fono;Organizaci\xf3n;Consentimiento SMS;Observaciones\r\n".to_vec();
    file.extend_from_slice(
        b"Mar\xeda;Huanca;41234567;mujer;15/03/1985;987 654 321;Pallaqueras de La Rinconada;s\xed;vende api\r\n",
    );
    file.extend_from_slice(b"Juana;Condori;42345678;F;31123;;Pallaqueras de La Rinconada;no;\r\n");
    let preview = run(&f.app, &actor, Kind::Members, &file, None, Mode::Preview);
    assert_eq!(problems(&preview), Vec::<String>::new());
    assert_eq!((preview.valid(), preview.written), (2, 0));
    assert_eq!(f.app.count("members"), members_before, "a preview writes nothing");

    let done = run(&f.app, &actor, Kind::Members, &file, None, Mode::AllOrNothing);
    assert_eq!(done.written, 2);
    let list = f.admin.get("/api/v1/members?q=Huanca").json();
    let maria = &list["items"][0];
    assert_eq!(maria["first_name"], "María");
    assert_eq!(maria["phone"], "+51987654321");
    assert_eq!(maria["birth_date"], "1985-03-15");
    assert_eq!(maria["consents"]["sms"], true);
    let juana = &f.admin.get("/api/v1/members?q=Condori").json()["items"][0];
    assert_eq!(juana["birth_date"], "1985-03-17", "Excel serial 31123");
}

#[test]
fn every_bad_row_is_explained_with_its_number_and_nothing_is_half_written() {
    let f = fund_with_cash("100.00");
    let actor = admin(&f.app);
    let before = f.app.count("members");
    let file = "nombres,apellidos,dni,sexo,organizacion,idioma\n\
                Rosa,Quispe,41234567,mujer,Pallaqueras de La Rinconada,quechua\n\
                Ana,Mamani,123,mujer,Pallaqueras de La Rinconada,\n\
                Nilda,Apaza,43456789,mujer,Asociación Inventada,\n\
                Rosa,Quispe,41234567,mujer,Pallaqueras de La Rinconada,\n\
                Luz,Ccama,44567890,robot,Pallaqueras de La Rinconada,\n\
                Eva,Huanca,45678901,,Pallaqueras de La Rinconada,klingon\n";
    let report = run(&f.app, &actor, Kind::Members, file.as_bytes(), None, Mode::AllOrNothing);
    let p = problems(&report);
    assert_eq!(p.len(), 5, "{p:#?}");
    assert!(p[0].starts_with("3: dni") && p[0].contains("8 dígitos"), "{p:#?}");
    assert!(p[1].starts_with("4: organizacion"), "{p:#?}");
    assert!(
        p[2].starts_with("5: dni") && p[2].contains("ya hay otra persona"),
        "a duplicate row: {p:#?}"
    );
    assert!(p[3].starts_with("6: sexo"), "{p:#?}");
    assert!(p[4].starts_with("7: idioma"), "{p:#?}");
    assert_eq!((report.written, f.app.count("members")), (0, before), "nothing written");

    let partial = run(&f.app, &actor, Kind::Members, file.as_bytes(), None, Mode::ValidOnly);
    assert_eq!(partial.written, 1, "only Rosa");
    assert_eq!(f.app.count("members"), before + 1);

    let missing = run(
        &f.app,
        &actor,
        Kind::Members,
        b"nombre;telefono\nRosa;987654321\n",
        None,
        Mode::Preview,
    );
    assert_eq!(missing.file_problems.len(), 2, "{:?}", missing.file_problems);
    assert!(missing.file_problems[0].contains("falta la columna"));
}

#[test]
fn every_problem_of_a_row_is_told_at_once_in_the_files_own_words() {
    let f = fund_with_cash("100.00");
    let actor = admin(&f.app);
    let file = "nombres,apellidos,dni,sexo,fecha de nacimiento,organizacion,idioma,consentimiento sms\n\
                Ana,Mamani,123,robot,31/02/1990,Asociación Inventada,klingon,tal vez\n\
                Eva,Huanca,45678901,mujer,14/12/1982,Pallaqueras de La Rinconada,Aimara,sí\n";
    let report = run(&f.app, &actor, Kind::Members, file.as_bytes(), None, Mode::Preview);
    let p = problems(&report);
    for column in [
        "sexo",
        "fecha_de_nacimiento",
        "organizacion",
        "idioma",
        "consentimiento_sms",
        "dni",
    ] {
        assert!(
            p.iter().any(|line| line.starts_with(&format!("2: {column}"))),
            "{column} in {p:#?}"
        );
    }
    assert_eq!(p.len(), 6, "six problems, all on row 2: {p:#?}");
    let date = p.iter().find(|l| l.contains("fecha_de_nacimiento")).unwrap();
    assert!(
        date.contains("14/12/1982"),
        "the hint shows the file's own way of writing dates: {date}"
    );
    assert_eq!(
        report.valid(),
        1,
        "Eva, whose language is written as the form spells it"
    );
}

/// A borrower with a DNI and a loan, for collection sheets.
fn borrower() -> (Fund, i64) {
    let f = fund_with_cash("5000.00");
    let r = f
        .admin
        .patch(&format!("/api/v1/members/{}", f.member), &json!({"dni": "41234567"}));
    assert_eq!(r.status, 200, "{}", r.body);
    let loan = f.disbursed("3000.00", "0", 3, -30);
    (f, loan)
}

#[test]
fn a_collection_sheet_imported_twice_posts_each_repayment_once() {
    let (f, loan) = borrower();
    let actor = admin(&f.app);
    let (d1, d2) = (day(-10), day(-2));
    let dmy = |d: &str| format!("{}/{}/{}", &d[8..10], &d[5..7], &d[0..4]);
    let sheet = format!(
        "DNI;Préstamo;Monto;Fecha;Recibo\n41234567;{loan};1.234,50;{};001-0001\n41234567;;S/ 50;{};001-0002\n",
        dmy(&d1),
        dmy(&d2)
    );
    let first = run(
        &f.app,
        &actor,
        Kind::Repayments,
        sheet.as_bytes(),
        None,
        Mode::AllOrNothing,
    );
    assert_eq!(problems(&first), Vec::<String>::new());
    assert_eq!(first.written, 2);
    assert_eq!(f.app.count("repayments"), 2);
    let view = f.admin.get(&format!("/api/v1/loans/{loan}")).json();
    assert_eq!(
        view["totals"]["outstanding_total"], "1715.50",
        "3000.00 - 1234.50 - 50.00: {view}"
    );

    let again = run(
        &f.app,
        &actor,
        Kind::Repayments,
        sheet.as_bytes(),
        None,
        Mode::AllOrNothing,
    );
    assert_eq!(again.written, 0);
    assert!(again.rows.iter().all(|r| r.already_recorded && r.problems.is_empty()));
    assert_eq!(f.app.count("repayments"), 2, "never posted twice");
    f.assert_books_consistent();

    // A reversed repayment is no longer "already recorded": the sheet imported again after the
    // reversal posts that row anew (the reversal undid the entry, not the payment she made),
    // and still skips the other.
    let second = f
        .repayments(loan)
        .iter()
        .find(|r| r["receipt_number"] == "001-0002")
        .unwrap()["id"]
        .as_i64()
        .unwrap();
    let reversed = f.admin.post(
        &format!("/api/v1/repayments/{second}/reverse"),
        &json!({"reason": "mal digitado"}),
    );
    assert_eq!(reversed.status, 201, "{}", reversed.body);
    let after_reversal = run(
        &f.app,
        &actor,
        Kind::Repayments,
        sheet.as_bytes(),
        None,
        Mode::AllOrNothing,
    );
    assert_eq!(problems(&after_reversal), Vec::<String>::new());
    assert_eq!(after_reversal.written, 1);
    let skipped: Vec<bool> = after_reversal.rows.iter().map(|r| r.already_recorded).collect();
    assert_eq!(skipped, [true, false]);
    assert_eq!(f.app.count("repayments"), 3);
    let view = f.admin.get(&format!("/api/v1/loans/{loan}")).json();
    assert_eq!(view["totals"]["outstanding_total"], "1715.50", "{view}");
    f.assert_books_consistent();

    let doubled = format!(
        "DNI;Monto;Fecha;Recibo\n41234567;10,00;{0};9\n41234567;10,00;{0};9\n99999999;5;{0};\n",
        dmy(&d2)
    );
    let report = run(
        &f.app,
        &actor,
        Kind::Repayments,
        doubled.as_bytes(),
        None,
        Mode::AllOrNothing,
    );
    let p = problems(&report);
    assert_eq!(p.len(), 2, "{p:#?}");
    assert!(p[0].starts_with("3: recibo"), "{p:#?}");
    assert!(p[1].starts_with("4: dni"), "{p:#?}");
    assert_eq!(f.app.count("repayments"), 3, "nothing of a sheet with problems");
}

#[test]
fn an_attendance_sheet_in_xlsx_becomes_the_register() {
    let f = fund_with_cash("10.00");
    let actor = admin(&f.app);
    let r = f
        .admin
        .patch(&format!("/api/v1/members/{}", f.member), &json!({"dni": "41234567"}));
    assert_eq!(r.status, 200);
    let training = f
        .admin
        .post(
            "/api/v1/trainings",
            &json!({"title": "Primeros auxilios", "topic": "first_aid", "date": day(-1), "organization_ids": [f.org]}),
        )
        .json()["id"]
        .as_i64()
        .unwrap();
    let mut workbook = rust_xlsxwriter::Workbook::new();
    let sheet = workbook.add_worksheet();
    for (row, cells) in [
        ["DNI", "Nombre", "Sexo", "Estado"],
        ["41234567", "", "", "P"],
        ["", "Juan Mamani", "hombre", "presente"],
    ]
    .iter()
    .enumerate()
    {
        for (col, value) in cells.iter().enumerate() {
            sheet.write_string(row as u32, col as u16, *value).unwrap();
        }
    }
    let bytes = workbook.save_to_buffer().unwrap();
    let report = run(
        &f.app,
        &actor,
        Kind::Attendance,
        &bytes,
        Some(training),
        Mode::AllOrNothing,
    );
    assert_eq!(problems(&report), Vec::<String>::new());
    assert_eq!(report.written, 2);
    let register = f.admin.get(&format!("/api/v1/trainings/{training}/attendance")).json();
    assert_eq!(register["present"], 2);

    let bad = b"dni;estado\n41234567;tarde\n11111111;P\n";
    let report = run(
        &f.app,
        &actor,
        Kind::Attendance,
        bad,
        Some(training),
        Mode::AllOrNothing,
    );
    assert_eq!(problems(&report).len(), 2, "{:#?}", problems(&report));
    assert_eq!(
        f.admin.get(&format!("/api/v1/trainings/{training}/attendance")).json()["present"],
        2,
        "unchanged"
    );
}

#[test]
fn files_that_are_not_spreadsheets_or_are_zip_bombs_are_refused_with_a_message() {
    let f = fund_with_cash("10.00");
    let actor = admin(&f.app);
    let refused = |bytes: &[u8]| run(&f.app, &actor, Kind::Members, bytes, None, Mode::Preview).file_problems;
    assert!(refused(b"").iter().any(|p| p.contains("vacío")));
    assert!(refused(b"PK\x03\x04not really a zip")
        .iter()
        .any(|p| p.contains("no es una hoja")));
    assert!(refused(b"%PDF-1.4\x00\x01binary")
        .iter()
        .any(|p| p.contains("no es una hoja")));
    // 110 MB of zeros compressed to a few hundred kilobytes.
    let mut bomb = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    bomb.start_file("xl/worksheets/sheet1.xml", zip::write::SimpleFileOptions::default())
        .unwrap();
    let zeros = vec![b'0'; 1024 * 1024];
    for _ in 0..110 {
        bomb.write_all(&zeros).unwrap();
    }
    let bomb = bomb.finish().unwrap().into_inner();
    assert!(bomb.len() < 2 * 1024 * 1024, "{} bytes", bomb.len());
    assert!(refused(&bomb).iter().any(|p| p.contains("desmesurado")));
}

#[test]
fn fifty_thousand_rows_are_read_and_each_checked() {
    let f = fund_with_cash("10.00");
    let actor = admin(&f.app);
    let mut file = String::from("nombres;apellidos;sexo;organizacion\n");
    for i in 0..50_000 {
        file.push_str(&format!("Socia{i};Prueba;mujer;Pallaqueras de La Rinconada\n"));
    }
    let report = run(&f.app, &actor, Kind::Members, file.as_bytes(), None, Mode::Preview);
    assert_eq!(report.counted.rows, 50_000);
    assert_eq!(report.valid(), 50_000);
    assert_eq!(
        report.rows.len(),
        pallay::import::ROWS_SHOWN,
        "the first rows listed, the rest counted"
    );
    assert_eq!(report.fine_not_listed(), 50_000 - pallay::import::ROWS_SHOWN);
}

#[test]
fn a_page_lists_a_screenful_of_bad_rows_and_counts_them_all_the_command_line_lists_each() {
    let f = fund_with_cash("10.00");
    let actor = admin(&f.app);
    let mut file = String::from("nombres;apellidos;sexo;organizacion\n");
    for i in 0..1_000 {
        // Every third row names no organisation Pallay knows.
        let organization = if i % 3 == 0 {
            "Nadie"
        } else {
            "Pallaqueras de La Rinconada"
        };
        file.push_str(&format!("Socia{i};Prueba;mujer;{organization}\n"));
    }
    let bad: Vec<usize> = (0..1_000).filter(|i| i % 3 == 0).map(|i| i + 2).collect();
    let page = listed(
        &f.app,
        &actor,
        Kind::Members,
        file.as_bytes(),
        None,
        Mode::Preview,
        Listing::Page,
    );
    assert_eq!(
        (page.counted.rows, page.problems(), page.valid()),
        (1_000, bad.len(), 1_000 - bad.len())
    );
    let listed_bad: Vec<usize> = page
        .rows
        .iter()
        .filter(|r| !r.problems.is_empty())
        .map(|r| r.row)
        .collect();
    assert_eq!(
        listed_bad,
        bad[..pallay::import::PROBLEM_ROWS_SHOWN],
        "the first bad rows, by their number"
    );
    assert_eq!(
        page.problems_not_listed(),
        bad.len() - pallay::import::PROBLEM_ROWS_SHOWN
    );
    assert_eq!(
        page.rows.iter().filter(|r| r.problems.is_empty()).count(),
        pallay::import::ROWS_SHOWN
    );

    let every = run(&f.app, &actor, Kind::Members, file.as_bytes(), None, Mode::Preview);
    let every_bad: Vec<usize> = every
        .rows
        .iter()
        .filter(|r| !r.problems.is_empty())
        .map(|r| r.row)
        .collect();
    assert_eq!(every_bad, bad);
    assert_eq!(every.problems_not_listed(), 0);
}

#[test]
fn the_command_line_import_prints_bad_rows_and_exits_non_zero() {
    let f = fund_with_cash("10.00");
    let dir = std::env::temp_dir().join(format!("pallay-import-{}", &pallay::auth::secret::generate()[..8]));
    std::fs::create_dir_all(&dir).unwrap();
    let good = dir.join("socias.csv");
    std::fs::write(
        &good,
        "nombres;apellidos;organizacion\nRosa;Quispe;Pallaqueras de La Rinconada\n",
    )
    .unwrap();
    let bad = dir.join("malas.csv");
    std::fs::write(
        &bad,
        "nombres;apellidos;organizacion;dni\nRosa;Quispe;Pallaqueras de La Rinconada;12\n",
    )
    .unwrap();
    let pallay = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_pallay"))
            .args(args)
            .env("DATABASE_URL", &f.app.database_url)
            .output()
            .unwrap()
    };
    let before = f.app.count("members");
    let out = pallay(&["import", "members", bad.to_str().unwrap()]);
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("fila 2") && err.contains("8 dígitos"), "{err}");
    let out = pallay(&["import", "members", good.to_str().unwrap(), "--dry-run"]);
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    assert_eq!(f.app.count("members"), before);
    let out = pallay(&["import", "members", good.to_str().unwrap()]);
    assert!(out.status.success() && String::from_utf8_lossy(&out.stdout).contains("1 fila(s) importadas"));
    assert_eq!(f.app.count("members"), before + 1);
}

#[test]
fn a_coordinator_uploads_her_collection_sheet_sees_the_problems_and_imports_the_valid_rows() {
    use crate::helpers::PASSWORD;
    let (f, loan) = borrower();
    let coordinator = f
        .app
        .create_user(pallay::auth::policy::Role::Coordinator, vec![f.org], None);
    let mut browser = f.app.browser();
    browser.login(&coordinator.username, PASSWORD);
    let page = browser.get("/import");
    assert_eq!(page.status, 200);
    assert!(page.body.contains("/import/sample/repayments.csv"));
    let (status, sample) = browser.download("/import/sample/repayments.csv");
    assert_eq!(status, 200);
    assert!(String::from_utf8(sample)
        .unwrap()
        .starts_with("dni;prestamo;monto;fecha;recibo"));

    let sheet = format!(
        "dni;monto;fecha;recibo\n41234567;100,00;{0};A-1\n41234567;mucho;{0};A-2\n",
        day(-1)
    );
    let forged = browser.upload_with_token(
        "forged",
        "/import",
        &[("kind", "repayments")],
        ("c.csv", sheet.as_bytes()),
    );
    assert_eq!(
        forged.status, 403,
        "an upload without the session's CSRF token does nothing"
    );
    assert_eq!(f.app.count("import_uploads"), 0);
    let preview = browser.upload(
        "/import",
        "/import",
        &[("kind", "repayments")],
        ("cobranza.csv", sheet.as_bytes()),
    );
    assert_eq!(preview.status, 422, "{}", preview.body);
    assert!(preview.body.contains("monto: debe ser un monto"), "{}", preview.body);
    assert_eq!(f.app.count("repayments"), 0, "a preview writes nothing");
    let apply = apply_path(&preview.body);
    let refused = browser.submit("/import", &apply, &[("mode", "all")]);
    assert_eq!(refused.status, 422);
    assert_eq!(f.app.count("repayments"), 0, "all or nothing");
    let done = browser.submit("/import", &apply, &[("mode", "valid")]);
    assert_eq!(done.status, 200, "{}", done.body);
    assert!(done.body.contains("1 filas importadas"), "{}", done.body);
    assert_eq!(f.app.count("repayments"), 1);

    // Someone else's upload, still waiting to be applied, is not hers to apply; its owner still
    // can afterwards, so the 404 is about whose it is, not about an upload already used up.
    let second = format!("dni;monto;fecha;recibo\n41234567;50,00;{};A-3\n", day(-1));
    let preview = browser.upload(
        "/import",
        "/import",
        &[("kind", "repayments")],
        ("cobranza2.csv", second.as_bytes()),
    );
    assert_eq!(preview.status, 200, "{}", preview.body);
    let pending = apply_path(&preview.body);
    let other = f
        .app
        .create_user(pallay::auth::policy::Role::Coordinator, vec![f.org], None);
    let mut stranger = f.app.browser();
    stranger.login(&other.username, PASSWORD);
    let refused = stranger.submit("/import", &pending, &[("mode", "valid")]);
    assert_eq!(refused.status, 404, "{}", refused.body);
    assert_eq!(f.app.count("repayments"), 1, "the stranger's attempt posted nothing");
    let done = browser.submit("/import", &pending, &[("mode", "valid")]);
    assert_eq!(done.status, 200, "{}", done.body);
    assert_eq!(f.app.count("repayments"), 2);
    assert_eq!(f.repayments(loan).len(), 2);
    let member = f
        .app
        .create_user(pallay::auth::policy::Role::Member, vec![], Some(f.member));
    let mut her = f.app.browser();
    her.login(&member.username, PASSWORD);
    assert_eq!(her.get("/import").status, 403);
}

/// The "import" button's path on a preview page: `/import/{id}/apply`.
fn apply_path(page: &str) -> String {
    let at = page.find("/apply").expect("an import button");
    let start = page[..at].rfind("/import/").unwrap();
    page[start..at + 6].to_string()
}

#[test]
fn an_upload_is_forgotten_after_a_day() {
    use crate::helpers::PASSWORD;
    let (f, _loan) = borrower();
    let coordinator = f
        .app
        .create_user(pallay::auth::policy::Role::Coordinator, vec![f.org], None);
    let mut browser = f.app.browser();
    browser.login(&coordinator.username, PASSWORD);
    let sheet = format!("dni;monto;fecha;recibo\n41234567;10,00;{};P-1\n", day(-1));
    let upload = |browser: &mut crate::browser::Browser| {
        let preview = browser.upload(
            "/import",
            "/import",
            &[("kind", "repayments")],
            ("c.csv", sheet.as_bytes()),
        );
        assert_eq!(preview.status, 200, "{}", preview.body);
        apply_path(&preview.body)
    };
    let old = upload(&mut browser);
    // A day and a minute pass.
    {
        use diesel::prelude::*;
        use pallay::db::schema::import_uploads;
        let mut conn = f.app.db.get().unwrap();
        diesel::update(import_uploads::table)
            .set(import_uploads::created_at.eq(pallay::clock::now() - chrono::Duration::minutes(24 * 60 + 1)))
            .execute(&mut *conn)
            .unwrap();
    }
    let fresh = upload(&mut browser);
    assert_eq!(f.app.count("import_uploads"), 1, "the day-old upload is gone");
    assert_eq!(browser.submit("/import", &old, &[("mode", "valid")]).status, 404);
    assert_eq!(f.app.count("repayments"), 0);
    assert_eq!(browser.submit("/import", &fresh, &[("mode", "valid")]).status, 200);
    assert_eq!(f.app.count("repayments"), 1);
}

#[test]
fn a_refused_file_is_not_kept_and_one_person_keeps_only_her_last_uploads() {
    use crate::helpers::PASSWORD;
    let (f, _loan) = borrower();
    let coordinator = f
        .app
        .create_user(pallay::auth::policy::Role::Coordinator, vec![f.org], None);
    let mut browser = f.app.browser();
    browser.login(&coordinator.username, PASSWORD);
    let random: Vec<u8> = (0..4096u32)
        .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
        .collect();
    // Refused (422), or a sheet with no rows (200, nothing to import): kept in neither case.
    for (name, bytes, status) in [
        ("informe.pdf", b"%PDF-1.4\x00\x01binary".to_vec(), 422),
        ("programa.exe", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00".to_vec(), 422),
        ("ruido.csv", random, 422),
        ("vacia.csv", b"dni;monto;fecha;recibo\n".to_vec(), 200),
    ] {
        let r = browser.upload("/import", "/import", &[("kind", "repayments")], (name, &bytes));
        assert_eq!(r.status, status, "{name}");
        assert!(!r.body.contains("/apply"), "{name}: nothing to import");
        assert_eq!(f.app.count("import_uploads"), 0, "{name} was kept");
    }
    for i in 0..5 {
        let sheet = format!("dni;monto;fecha;recibo\n41234567;1,00;{};U-{i}\n", day(-1));
        let r = browser.upload(
            "/import",
            "/import",
            &[("kind", "repayments")],
            ("c.csv", sheet.as_bytes()),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    assert_eq!(
        f.app.count("import_uploads"),
        pallay::import::upload::UPLOADS_KEPT_PER_USER,
        "only her last ones"
    );
}
