//! The attendance report: counts by sex, topic and organisation, and its CSV and XLSX downloads.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use pallay::auth::policy::Role;
use serde_json::json;

use crate::fund_helpers::day;
use crate::helpers::PASSWORD;
use crate::training_helpers::{quarter, workshop};

#[test]
fn the_report_counts_people_and_attendances_by_sex_topic_and_organisation() {
    let w = workshop();
    quarter(&w);
    let q = format!("/api/v1/reports/attendance?from={}&to={}", day(-60), day(0));
    let r = w.staff.get(&q);
    assert_eq!(r.status, 200, "{}", r.body);
    let report = r.json();
    assert_eq!(report["trainings"], 2);
    assert_eq!(
        report["participants"],
        json!({"female": 2, "male": 2, "other": 0, "undisclosed": 1, "total": 5}),
        "Rosa and Nilda; Mario and Juan; the visitor"
    );
    assert_eq!(report["attendances"]["female"], 3, "Rosa twice, Nilda once");
    assert_eq!(report["attendances"]["total"], 6);
    // Invited: the 4 women of La Rinconada and Mario; came: Rosa, Nilda, Mario.
    assert_eq!(
        (report["invited_members"].as_i64(), report["attending_members"].as_i64()),
        (Some(5), Some(3))
    );
    assert_eq!(report["participation_rate"], "0.6000");
    // A member registered today was not invited to those past workshops: the rate stays.
    let recent = w
        .app
        .create_member(&w.admin, w.rinconada, json!({"first_name": "Recién"}))["id"]
        .as_i64()
        .unwrap();
    // (Registered on the suite's today, which CI pins to other days than the machine's.)
    diesel::connection::SimpleConnection::batch_execute(
        &mut w.app.db.get().unwrap(),
        &format!(
            "UPDATE members SET created_at = '{} 12:00:00' WHERE id = {recent}",
            day(0)
        ),
    )
    .unwrap();
    let again = w.staff.get(&q).json();
    assert_eq!(
        (again["invited_members"].as_i64(), again["participation_rate"].as_str()),
        (Some(5), Some("0.6000"))
    );
    let absent: Vec<&str> = report["members_without_attendance"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(absent, vec!["Quispe Mamani, Julia", "Quispe Mamani, Lucía"]);

    let by_topic = report["by_topic"].as_array().unwrap();
    let first_aid = by_topic.iter().find(|l| l["topic"] == "first_aid").unwrap();
    assert_eq!(
        (
            first_aid["trainings"].as_i64(),
            first_aid["attendances"]["total"].as_i64()
        ),
        (Some(1), Some(2))
    );
    assert_eq!(
        first_aid["participation_rate"], "0.5000",
        "2 of the 4 invited women came"
    );
    let by_org = report["by_organization"].as_array().unwrap();
    let cecomip = by_org.iter().find(|l| l["organization_id"] == w.cecomip).unwrap();
    assert_eq!(
        cecomip["attendances"],
        json!({"female": 0, "male": 2, "other": 0, "undisclosed": 0, "total": 2})
    );
    let sum: i64 = by_org.iter().map(|l| l["attendances"]["total"].as_i64().unwrap()).sum();
    assert_eq!(sum, 6, "every attendance under exactly one organisation (or none)");

    // Filters: one organisation, one topic.
    let only = w.staff.get(&format!("{q}&organization_id={}", w.cecomip)).json();
    assert_eq!(
        (only["trainings"].as_i64(), only["attendances"]["total"].as_i64()),
        (Some(1), Some(2))
    );
    let topic = w.staff.get(&format!("{q}&topic=safety_at_work")).json();
    assert_eq!(topic["attendances"]["total"], 4);

    // A coordinator counts her organisation only; a viewer sees counts and no names.
    let (coordinator, _) = w.app.login_as(Role::Coordinator, vec![w.rinconada], None);
    let hers = coordinator.get(&q).json();
    assert_eq!(hers["attendances"]["total"], 3, "{hers}");
    assert_eq!(
        coordinator.get(&format!("{q}&organization_id={}", w.cecomip)).status,
        404
    );
    let (viewer, _) = w.app.login_as(Role::Viewer, vec![], None);
    let seen = viewer.get(&q);
    assert_eq!(seen.status, 200);
    assert_eq!(seen.json()["members_without_attendance_count"], 2);
    assert!(seen.json().get("members_without_attendance").is_none());
    assert!(!seen.body.contains("Quispe"), "no names for viewers: {}", seen.body);

    for (query, field) in [
        ("from=2026-02-30", "from"),
        (&format!("from={}&to={}", day(0), day(-5)) as &str, "to"),
        ("topic=knitting", "topic"),
        ("organization_id=abc", "organization_id"),
    ] {
        let r = w.staff.get(&format!("/api/v1/reports/attendance?{query}"));
        assert_eq!(r.status, 422, "{query}");
        assert_eq!(r.error_fields(), vec![field], "{query}");
    }
}

#[test]
fn the_report_downloads_as_csv_and_as_a_real_spreadsheet_even_when_empty() {
    let w = workshop();
    quarter(&w);
    let staff = w.app.create_user(Role::GenderStaff, vec![], None);
    let mut browser = w.app.browser();
    browser.login(&staff.username, PASSWORD);
    let q = format!("from={}&to={}", day(-60), day(0));

    let page = browser.get(&format!("/reports/attendance?{q}"));
    assert_eq!(page.status, 200);
    assert!(page.body.contains("Quispe Mamani, Julia"));

    let (status, csv_bytes) = browser.download(&format!("/reports/attendance.csv?{q}"));
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(csv_bytes.as_slice());
    let headers: Vec<String> = reader.headers().unwrap().iter().map(str::to_string).collect();
    assert_eq!(headers.len(), 16);
    assert_eq!(headers[3], "Participantes mujeres");
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(&rows[0][0], "Total");
    assert_eq!(&rows[0][2], "2", "trainings");
    assert_eq!(&rows[0][3], "2", "women who came");
    assert_eq!(&rows[0][12], "6", "attendances");
    assert_eq!(&rows[0][15], "0.6000");
    assert!(rows.iter().any(|r| &r[1] == "Primeros auxilios"));
    assert!(rows.iter().any(|r| &r[1] == "CECOMIP"));

    let (status, xlsx_bytes) = browser.download(&format!("/reports/attendance.xlsx?{q}&topic=first_aid"));
    assert_eq!(status, 200);
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx_bytes)).expect("a real XLSX");
    let sheet = workbook.worksheet_range("Asistencia").expect("the sheet");
    assert_eq!(sheet.get_value((1, 0)), Some(&Data::String("Periodo".into())));
    assert_eq!(
        sheet.get_value((1, 1)),
        Some(&Data::String(format!("{} – {}", day(-60), day(0))))
    );
    assert_eq!(
        sheet.get_value((3, 1)),
        Some(&Data::String("Primeros auxilios".into())),
        "the topic filter is written"
    );
    assert_eq!(
        sheet.get_value((6, 3)),
        Some(&Data::String("Participantes mujeres".into()))
    );
    assert_eq!(sheet.get_value((7, 3)), Some(&Data::Float(2.0)));
    assert_eq!(sheet.get_value((7, 12)), Some(&Data::Float(2.0)));
    let absent = workbook.worksheet_range("Sin asistencia").expect("second sheet");
    assert_eq!(absent.get_value((0, 1)), Some(&Data::Float(2.0)));
    assert_eq!(
        absent.get_value((2, 0)),
        Some(&Data::String("Quispe Mamani, Julia".into()))
    );

    // An empty period: still valid files with headers and a total line of zeros.
    let empty = "from=2020-01-01&to=2020-03-31";
    let (status, csv_bytes) = browser.download(&format!("/reports/attendance.csv?{empty}"));
    assert_eq!(status, 200);
    let mut reader = csv::Reader::from_reader(csv_bytes.as_slice());
    assert_eq!(reader.headers().unwrap().len(), 16);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 1);
    assert_eq!(&rows[0][2], "0");
    let (status, xlsx_bytes) = browser.download(&format!("/reports/attendance.xlsx?{empty}"));
    assert_eq!(status, 200);
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx_bytes)).expect("a real XLSX");
    assert!(workbook.worksheet_range("Asistencia").is_ok());

    // A viewer's workbook has the count but no names.
    let viewer = w.app.create_user(Role::Viewer, vec![], None);
    let mut donor = w.app.browser();
    donor.login(&viewer.username, PASSWORD);
    let (status, xlsx_bytes) = donor.download(&format!("/reports/attendance.xlsx?{q}"));
    assert_eq!(status, 200);
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(xlsx_bytes)).unwrap();
    let absent = workbook.worksheet_range("Sin asistencia").unwrap();
    assert_eq!(absent.get_value((0, 1)), Some(&Data::Float(2.0)));
    assert_eq!(absent.get_value((2, 0)), None, "no names for a viewer");
    assert_eq!(donor.download(&format!("/reports/attendance.pdf?{q}")).0, 404);
}
