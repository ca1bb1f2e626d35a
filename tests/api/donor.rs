//! The donor workbook: the period's reach, trainings, fund and committees, with no names.

use std::io::Cursor;

use calamine::{Data, Reader, Xlsx};
use pallay::auth::policy::Role;
use serde_json::json;

use crate::fund_helpers::{day, fund_with_cash};
use crate::helpers::PASSWORD;

#[test]
fn donors_get_one_workbook_of_counts_and_sums_and_never_a_name() {
    let f = fund_with_cash("2000.00");
    // Justina borrows and repays; Rosa and a man come to a training; an agreement is done on time.
    let loan = f.disbursed("500.00", "0", 5, -20);
    assert_eq!(f.repay(loan, "100.00", -1).status, 201);
    let rosa = f.app.create_member(&f.admin, f.org, json!({"first_name": "Rosa"}))["id"]
        .as_i64()
        .unwrap();
    let mario = f
        .app
        .create_member(&f.admin, f.org, json!({"first_name": "Mario", "sex": "male"}))["id"]
        .as_i64()
        .unwrap();
    let t = f
        .admin
        .post(
            "/api/v1/trainings",
            &json!({"title": "Primeros auxilios", "topic": "first_aid", "date": day(-3), "organization_ids": [f.org]}),
        )
        .json()["id"]
        .as_i64()
        .unwrap();
    let r = f.admin.request(
        "PUT",
        &format!("/api/v1/trainings/{t}/attendance"),
        Some(
            &json!({"entries": [{"member_id": rosa, "status": "present"}, {"member_id": mario, "status": "present"},
                                 {"member_id": f.member, "status": "absent"}]})
            .to_string(),
        ),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let committee = f
        .admin
        .post(
            "/api/v1/committees",
            &json!({"organization_id": f.org, "name": "Comité"}),
        )
        .json()["id"]
        .as_i64()
        .unwrap();
    let action = f
        .admin
        .post(
            &format!("/api/v1/committees/{committee}/actions"),
            &json!({"description": "Taller", "responsible_name": "Vilma", "due_date": day(10)}),
        )
        .json()["id"]
        .as_i64()
        .unwrap();
    for status in ["in_progress", "done"] {
        assert_eq!(
            f.admin
                .patch(&format!("/api/v1/actions/{action}"), &json!({"status": status}))
                .status,
            200
        );
    }

    let viewer = f.app.create_user(Role::Viewer, vec![], None);
    let mut donor = f.app.browser();
    donor.login(&viewer.username, PASSWORD);
    let (status, bytes) = donor.download(&format!("/reports/donor.xlsx?from={}&to={}", day(-30), day(0)));
    assert_eq!(status, 200);
    let mut workbook: Xlsx<_> = calamine::open_workbook_from_rs(Cursor::new(bytes)).expect("a real XLSX");
    let names = workbook.sheet_names();
    assert_eq!(names, vec!["Alcance", "Capacitaciones", "Fondo", "Comités"]);
    for name in &names {
        let sheet = workbook.worksheet_range(name).unwrap();
        assert_eq!(
            sheet.get_value((1, 1)),
            Some(&Data::String(format!("{} – {}", day(-30), day(0)))),
            "{name}: the period"
        );
        // When it was made is an instant (real time, UTC), not the test's pinned date.
        let generated = match sheet.get_value((2, 1)) {
            Some(Data::String(s)) => chrono::DateTime::parse_from_rfc3339(s).ok(),
            _ => None,
        };
        let age = generated.map(|at| chrono::Utc::now().signed_duration_since(at));
        assert!(
            age.is_some_and(|age| age >= chrono::Duration::zero() && age < chrono::Duration::minutes(5)),
            "{name}: generated just now: {:?}",
            sheet.get_value((2, 1))
        );
        for cell in sheet.used_cells() {
            let text = cell.2.to_string();
            assert!(
                !text.contains("Quispe") && !text.contains("Justina") && !text.contains("Rosa"),
                "{name}: a name: {text}"
            );
        }
    }
    let reach = workbook.worksheet_range("Alcance").unwrap();
    // Justina (a loan), Rosa and Mario (the training): 2 women, 1 man.
    let total_row = (0..reach.height() as u32)
        .find(|r| matches!(reach.get_value((*r, 0)), Some(Data::String(s)) if s.starts_with("Total")))
        .unwrap();
    assert_eq!(reach.get_value((total_row, 1)), Some(&Data::Float(2.0)));
    assert_eq!(reach.get_value((total_row, 2)), Some(&Data::Float(1.0)));
    assert_eq!(reach.get_value((total_row, 5)), Some(&Data::Float(3.0)));
    let fund = workbook.worksheet_range("Fondo").unwrap();
    assert_eq!(fund.get_value((5, 2)), Some(&Data::Float(2000.0)), "capital");
    assert_eq!(fund.get_value((5, 5)), Some(&Data::Float(1.0)), "loans disbursed");
    assert_eq!(fund.get_value((5, 6)), Some(&Data::Float(500.0)));
    assert_eq!(fund.get_value((5, 9)), Some(&Data::Float(100.0)), "repaid");
    let committees = workbook.worksheet_range("Comités").unwrap();
    assert_eq!(committees.get_value((5, 2)), Some(&Data::Float(1.0)));
    assert_eq!(committees.get_value((5, 3)), Some(&Data::Float(1.0)), "on time");

    let coordinator = f.app.create_user(Role::Coordinator, vec![f.org], None);
    let mut browser = f.app.browser();
    browser.login(&coordinator.username, PASSWORD);
    assert_eq!(browser.download("/reports/donor.xlsx").0, 403);
    assert_eq!(donor.download("/reports/donor.xlsx?from=2026-99-01").0, 422);
}
