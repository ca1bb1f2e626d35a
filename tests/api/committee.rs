use pallay::auth::policy::Role;
use serde_json::{json, Value};

use crate::fund_helpers::day;
use crate::helpers::{spawn_app, Api, TestApp};

struct Committee {
    app: TestApp,
    admin: Api,
    staff: Api,
    org: i64,
    committee: i64,
    member: i64,
}

fn committee() -> Committee {
    let app = spawn_app();
    let admin = app.admin();
    let org = app.create_organization(&admin, "CECOMIP");
    let member = app.create_member(&admin, org, json!({"first_name": "Lucía"}))["id"]
        .as_i64()
        .unwrap();
    let (staff, _) = app.login_as(Role::GenderStaff, vec![], None);
    let created = staff.post(
        "/api/v1/committees",
        &json!({"organization_id": org, "name": "Comité de equidad de género"}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let committee = created.json()["id"].as_i64().unwrap();
    Committee {
        app,
        admin,
        staff,
        org,
        committee,
        member,
    }
}

impl Committee {
    fn action(&self, body: Value) -> crate::helpers::Response {
        self.staff
            .post(&format!("/api/v1/committees/{}/actions", self.committee), &body)
    }

    fn status(&self, id: i64, body: Value) -> crate::helpers::Response {
        self.staff.patch(&format!("/api/v1/actions/{id}"), &body)
    }
}

#[test]
fn an_action_is_agreed_followed_and_done() {
    let c = committee();
    let seat = c.staff.post(
        &format!("/api/v1/committees/{}/members", c.committee),
        &json!({"member_id": c.member, "position": "presidenta", "term_start": "2026-01-01"}),
    );
    assert_eq!(seat.status, 201, "{}", seat.body);
    let seat = seat.json()["id"].as_i64().unwrap();
    let meeting = c.staff.post(
        &format!("/api/v1/committees/{}/meetings", c.committee),
        &json!({"date": day(-10), "place": "Ananea", "minutes": "Acuerdos:\n1. <b>Taller</b>", "attendee_ids": [seat]}),
    );
    assert_eq!(meeting.status, 201, "{}", meeting.body);
    let meeting = meeting.json();
    assert_eq!(meeting["minutes"], "Acuerdos:\n1. <b>Taller</b>", "kept as written");

    let created = c.action(
        json!({"description": "Taller de liderazgo para socias", "responsible_member_id": c.member,
                                  "due_date": day(20), "meeting_id": meeting["id"]}),
    );
    assert_eq!(created.status, 201, "{}", created.body);
    let action = created.json();
    assert_eq!(
        (action["status"].as_str(), action["responsible_name"].as_str()),
        (Some("pending"), Some("Lucía Quispe Mamani"))
    );
    let id = action["id"].as_i64().unwrap();

    assert_eq!(
        c.status(id, json!({"status": "done"})).error_fields(),
        vec!["status"],
        "skips a step"
    );
    assert_eq!(
        c.status(id, json!({"status": "in_progress"})).json()["status"],
        "in_progress"
    );
    let note = c.staff.post(
        &format!("/api/v1/actions/{id}/notes"),
        &json!({"text": "Se consiguió el local"}),
    );
    assert_eq!(note.status, 201, "{}", note.body);
    let done = c.status(id, json!({"status": "done"})).json();
    assert_eq!(
        (done["status"].as_str(), done["done_on"].as_str()),
        (Some("done"), Some(day(0).as_str()))
    );
    assert_eq!(done["notes"][0]["text"], "Se consiguió el local");
    assert_eq!(
        c.status(id, json!({"status": "in_progress"})).error_fields(),
        vec!["reason"],
        "reopening needs a reason"
    );

    let audit = c
        .admin
        .get(&format!("/api/v1/audit?entity=action&entity_id={id}"))
        .json();
    assert_eq!(audit["total"], 4, "created, two status changes and a note are audited");
}

#[test]
fn bad_actions_are_refused_and_change_nothing() {
    let c = committee();
    let other_org = c.app.create_organization(&c.admin, "Pallaqueras");
    let outsider = c.app.create_member(&c.admin, other_org, json!({"first_name": "Rosa"}))["id"]
        .as_i64()
        .unwrap();
    let meeting = c
        .staff
        .post(
            &format!("/api/v1/committees/{}/meetings", c.committee),
            &json!({"date": day(-5), "minutes": "Acta"}),
        )
        .json()["id"]
        .as_i64()
        .unwrap();
    let cases = [
        (
            json!({"description": "", "responsible_name": "Juan", "due_date": day(5)}),
            "description",
        ),
        (
            json!({"description": "X", "responsible_name": "Juan", "due_date": "mañana"}),
            "due_date",
        ),
        (
            json!({"description": "X", "responsible_name": "Juan", "due_date": day(-6), "meeting_id": meeting}),
            "due_date",
        ),
        (
            json!({"description": "X", "responsible_member_id": outsider, "due_date": day(5)}),
            "responsible_member_id",
        ),
        (json!({"description": "X", "due_date": day(5)}), "responsible_name"),
        (
            json!({"description": "X", "responsible_name": "Juan", "due_date": day(5), "status": "done"}),
            "status",
        ),
        (
            json!({"description": "X", "responsible_name": "Juan", "due_date": day(5), "status": "finished"}),
            "status",
        ),
    ];
    for (body, field) in cases {
        assert_eq!(c.action(body.clone()).error_fields(), vec![field], "{body}");
    }
    assert_eq!(c.app.count("committee_actions"), 0);
    let id = c
        .action(json!({"description": "Charla", "responsible_name": "Juan Mamani", "due_date": day(5)}))
        .json()["id"]
        .as_i64()
        .unwrap();
    assert_eq!(
        c.status(id, json!({"status": "cancelled"})).error_fields(),
        vec!["reason"]
    );
    assert_eq!(
        c.status(id, json!({"status": "cancelled", "reason": "sin presupuesto"}))
            .status,
        200
    );
    assert_eq!(
        c.status(id, json!({"status": "pending"})).error_fields(),
        vec!["reason"],
        "reopening a cancelled one"
    );
    assert_eq!(
        c.status(id, json!({"status": "pending", "reason": "hay fondos"}))
            .json()["status"],
        "pending"
    );
}

#[test]
fn the_board_puts_overdue_actions_first_and_counts_what_was_done_on_time() {
    let c = committee();
    let new = |due: i64, name: &str| {
        c.action(json!({"description": name, "responsible_name": "Mario", "due_date": day(due)}))
            .json()["id"]
            .as_i64()
            .unwrap()
    };
    let late = new(-3, "late");
    let later = new(10, "later");
    let soon = new(2, "soon");
    let done_in_time = new(5, "done in time");
    let done_late = new(-4, "done late");
    for id in [done_in_time, done_late] {
        c.status(id, json!({"status": "in_progress"}));
        c.status(id, json!({"status": "done"}));
    }
    let board = c.staff.get(&format!("/api/v1/committees/{}/board", c.committee)).json();
    let open: Vec<i64> = board["open"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(open, vec![late, soon, later]);
    assert_eq!(board["overdue"], 1);
    assert_eq!(board["open"][0]["overdue"], true);
    assert_eq!(board["done_on_time"], 1);
    assert_eq!(board["on_time_share"], "0.5000");
    // Filtered by the responsible person's name.
    let mario = c
        .staff
        .get(&format!("/api/v1/committees/{}/board?responsible=mar", c.committee))
        .json();
    assert_eq!(mario["open"].as_array().unwrap().len(), 3);
    let nobody = c
        .staff
        .get(&format!("/api/v1/committees/{}/board?responsible=Rosa", c.committee))
        .json();
    assert_eq!(
        (
            nobody["open"].as_array().unwrap().len(),
            nobody["on_time_share"].as_str()
        ),
        (0, Some("0.0000"))
    );
    // A week ago nothing was overdue yet.
    let then = c
        .staff
        .get(&format!("/api/v1/committees/{}/board?as_of={}", c.committee, day(-7)))
        .json();
    assert_eq!(then["overdue"], 0);
    // Two days ago, the action done today (due four days ago) was still open and overdue, as was
    // "late" (due three days ago); nothing had been done yet.
    let two_days_ago = c
        .staff
        .get(&format!("/api/v1/committees/{}/board?as_of={}", c.committee, day(-2)))
        .json();
    let open_then: Vec<i64> = two_days_ago["open"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| a["id"].as_i64().unwrap())
        .collect();
    assert_eq!(
        open_then,
        vec![done_late, late, soon, done_in_time, later],
        "{two_days_ago}"
    );
    assert_eq!(two_days_ago["overdue"], 2);
    assert_eq!(two_days_ago["open"][0]["overdue"], true, "{two_days_ago}");
    assert_eq!(two_days_ago["done_on_time"], 0);
    // Today done_late is done, so it is no longer counted open or overdue; as of today again:
    let now = c
        .staff
        .get(&format!("/api/v1/committees/{}/board?as_of={}", c.committee, day(0)))
        .json();
    assert_eq!(now["overdue"], 1);
    assert_eq!(now["done_on_time"], 1);
    assert_eq!(
        c.staff
            .get(&format!("/api/v1/committees/{}/board?as_of=ayer", c.committee))
            .error_fields(),
        vec!["as_of"]
    );
}

#[test]
fn a_coordinator_reaches_only_her_organisations_committees_and_a_member_her_own_actions() {
    let c = committee();
    let other_org = c.app.create_organization(&c.admin, "Divinas");
    let (coordinator, _) = c.app.login_as(Role::Coordinator, vec![other_org], None);
    assert_eq!(
        coordinator.get(&format!("/api/v1/committees/{}", c.committee)).status,
        404
    );
    assert_eq!(coordinator.get("/api/v1/committees").json()["total"], 0);
    let refused = coordinator.post("/api/v1/committees", &json!({"organization_id": c.org, "name": "Otro"}));
    assert_eq!(refused.error_fields(), vec!["organization_id"]);

    let mine = c
        .action(json!({"description": "Mía", "responsible_member_id": c.member, "due_date": day(3)}))
        .json();
    let not_mine = c
        .action(json!({"description": "Ajena", "responsible_name": "Juan", "due_date": day(3)}))
        .json();
    let (herself, _) = c.app.login_as(Role::Member, vec![], Some(c.member));
    assert_eq!(herself.get(&format!("/api/v1/actions/{}", mine["id"])).status, 200);
    assert_eq!(herself.get(&format!("/api/v1/actions/{}", not_mine["id"])).status, 404);
    assert_eq!(
        herself
            .patch(
                &format!("/api/v1/actions/{}", mine["id"]),
                &json!({"status": "in_progress"})
            )
            .status,
        403
    );
}
