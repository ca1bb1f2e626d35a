//! Taking attendance on the register's page, and a member's history of trainings.

use pallay::auth::policy::Role;

use crate::fund_helpers::day;
use crate::helpers::PASSWORD;
use crate::training_helpers::workshop;

#[test]
fn staff_take_attendance_on_the_register_form_and_a_member_sees_her_history() {
    let w = workshop();
    let staff = w.app.create_user(Role::GenderStaff, vec![], None);
    let mut browser = w.app.browser();
    browser.login(&staff.username, PASSWORD);
    let rinconada = w.rinconada.to_string();
    let date = day(-1);
    let created = browser.submit(
        "/trainings",
        "/trainings",
        &[
            ("title", "Primeros auxilios"),
            ("topic", "first_aid"),
            ("date", &date),
            ("organization_ids", &rinconada),
        ],
    );
    assert_eq!(created.status, 303, "{}", created.body);
    let register = created.redirected_path();
    let form = browser.get(&register);
    assert_eq!(form.status, 200);
    assert!(form.body.contains("Quispe Mamani, Rosa") && form.body.contains("type=\"radio\""));
    assert!(
        !form.body.contains("Mario"),
        "only members of the invited organisations are listed"
    );

    let (rosa, nilda) = (format!("status_{}", w.women[0]), format!("status_{}", w.women[1]));
    let bad = browser.submit(
        &register,
        &register,
        &[
            (&rosa, "present"),
            (&nilda, "tarde"),
            ("guest_name_0", "Juan Mamani"),
            ("guest_sex_0", "male"),
            ("guest_status_0", "present"),
        ],
    );
    assert_eq!(bad.status, 422);
    assert!(
        bad.body.contains("elija presente, ausente o justificada"),
        "{}",
        bad.body
    );
    assert!(bad.body.contains("value=\"Juan Mamani\""), "what was typed is kept");
    assert_eq!(w.app.count("attendances"), 0);

    let saved = browser.submit(
        &register,
        &register,
        &[
            (&rosa, "present"),
            (&nilda, "excused"),
            ("guest_name_0", "Juan Mamani"),
            ("guest_sex_0", "male"),
            ("guest_status_0", "present"),
        ],
    );
    assert_eq!(saved.status, 303, "{}", saved.body);
    assert_eq!(w.app.count("attendances"), 3);
    let page = browser.get(saved.header("location").unwrap());
    assert!(page.body.contains("Juan Mamani"));
    assert!(page.body.contains("Asistencia guardada."), "she is told what happened");

    // Rosa sees it on her own page.
    let account = w.app.create_user(Role::Member, vec![], Some(w.women[0]));
    let mut rosa_browser = w.app.browser();
    rosa_browser.login(&account.username, PASSWORD);
    let own = rosa_browser.get(&format!("/members/{}", w.women[0]));
    assert!(
        own.body.contains("Primeros auxilios") && own.body.contains("presente"),
        "{}",
        own.body
    );
    let (member_api, _) = w.app.login_as(Role::Member, vec![], Some(w.women[0]));
    let history = member_api
        .get(&format!("/api/v1/members/{}/trainings", w.women[0]))
        .json();
    assert_eq!(history["items"][0]["status"], "present");
    let export = member_api.get(&format!("/api/v1/members/{}/export", w.women[0])).json();
    assert_eq!(
        export["trainings"][0]["title"], "Primeros auxilios",
        "her trainings are part of her data"
    );
    assert_eq!(
        member_api
            .get(&format!("/api/v1/members/{}/trainings", w.women[1]))
            .status,
        404
    );
}

#[test]
fn her_page_links_only_the_trainings_the_reader_may_open() {
    let w = workshop();
    let rosa = w.women[0];
    let own = w.training("first_aid", day(-20), &[w.rinconada]);
    let shared = w.training("safety_at_work", day(-10), &[w.rinconada, w.cecomip]);
    for training in [own, shared] {
        let r = w.register(training, serde_json::json!([{"member_id": rosa, "status": "present"}]));
        assert_eq!(r.status, 200, "{}", r.body);
    }
    let link = |id: i64| format!("href=\"/trainings/{id}\"");
    let page_as = |role: Role, organizations: Vec<i64>, member: Option<i64>| {
        let account = w.app.create_user(role, organizations, member);
        let mut browser = w.app.browser();
        browser.login(&account.username, PASSWORD);
        let page = browser.get(&format!("/members/{rosa}"));
        assert_eq!(page.status, 200, "{}", page.body);
        assert!(
            page.body.contains("Taller de first_aid") && page.body.contains("Taller de safety_at_work"),
            "both trainings are listed: {}",
            page.body
        );
        page.body
    };

    let admin = page_as(Role::Admin, vec![], None);
    assert!(admin.contains(&link(own)) && admin.contains(&link(shared)));

    // A coordinator of La Rinconada does not reach the workshop held with CECOMIP too.
    let coordinator = page_as(Role::Coordinator, vec![w.rinconada], None);
    assert!(coordinator.contains(&link(own)), "{coordinator}");
    assert!(!coordinator.contains(&link(shared)), "{coordinator}");

    // She sees her history; the trainings' pages are the staff's.
    let herself = page_as(Role::Member, vec![], Some(rosa));
    assert!(!herself.contains(&link(own)) && !herself.contains(&link(shared)));
    // Each line names its topic in her language, not by its key.
    assert!(
        herself.contains("· Primeros auxilios ·") && !herself.contains("· first_aid ·"),
        "{herself}"
    );
}
