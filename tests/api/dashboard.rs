//! The home dashboards: figures, lists and server-drawn charts with their numbers beside them.

use pallay::auth::policy::Role;
use serde_json::json;

use crate::fund_helpers::{day, fund_with_cash, today};
use crate::helpers::PASSWORD;

/// `<rect` (or `<circle`) elements of an SVG in one fill colour.
fn count(svg: &str, element: &str, fill: &str) -> usize {
    svg.match_indices(&format!("<{element} "))
        .filter(|(at, _)| {
            let end = svg[*at..].find('>').map_or(svg.len(), |e| at + e);
            svg[*at..end].contains(&format!("fill=\"{fill}\""))
        })
        .count()
}

/// The SVG documents of a page, in order.
fn svgs(html: &str) -> Vec<&str> {
    html.match_indices("<svg")
        .map(|(at, _)| &html[at..at + html[at..].find("</svg>").unwrap() + 6])
        .collect()
}

#[test]
fn a_coordinator_sees_her_fund_who_pays_this_week_who_is_late_and_the_charts() {
    let f = fund_with_cash("3000.00");
    // A loan 50 days old: its first installment (due 20 days ago) is unpaid, the second is due in 10.
    let late = f.disbursed("300.00", "0", 3, -50);
    // A loan whose first installment falls due in 5 days.
    let soon = f.request("200.00", "flat", "0", 2, 5)["id"].as_i64().unwrap();
    assert_eq!(
        f.checker
            .post(&format!("/api/v1/loans/{soon}/approve"), &json!({}))
            .status,
        200
    );
    assert_eq!(
        f.maker
            .post(&format!("/api/v1/loans/{soon}/disburse"), &json!({"date": day(-1)}))
            .status,
        200
    );
    assert_eq!(f.repay(soon, "40.00", 0).status, 201);

    let coordinator = f.app.create_user(Role::Coordinator, vec![f.org], None);
    let mut browser = f.app.browser();
    browser.login(&coordinator.username, PASSWORD);
    let home = browser.get("/");
    assert_eq!(home.status, 200);
    let html = &home.body;
    let due_week =
        &html[html.find("Cuotas que vencen esta semana").unwrap()..html.find("Préstamos atrasados").unwrap()];
    assert!(
        due_week.contains(&format!("/loans/{soon}")) && due_week.contains("60.00"),
        "100.00 due less 40.00: {due_week}"
    );
    let arrears = &html[html.find("Préstamos atrasados").unwrap()..];
    assert!(arrears.contains(&format!("/loans/{late}")) && arrears.contains("Quispe Mamani, Justina"));
    assert!(
        arrears.contains("<td data-label=\"Días de atraso\">20</td>"),
        "20 days late"
    );

    let charts = svgs(html);
    assert_eq!(charts.len(), 3, "capital and cash, due vs collected, PAR30");
    // Capital and cash: a point per month for each of the two lines.
    assert_eq!(count(charts[0], "circle", "#5B2A86"), 12);
    assert_eq!(count(charts[0], "circle", "#F2A900"), 12);
    // Due vs collected: a bar per month for each series.
    assert_eq!(count(charts[1], "rect", "#5B2A86"), 12);
    assert_eq!(count(charts[1], "rect", "#F2A900"), 12);
    assert_eq!(count(charts[2], "circle", "#5B2A86"), 12);
    // The numbers are in the table beside the chart: this month 40.00 collected.
    let month = today().format("%Y-%m").to_string();
    let table = &html[html.find("Cuotas que vencieron y pagos recibidos").unwrap()..];
    let row = &table[table.find(&format!("<th scope=\"row\">{month}</th>")).unwrap()..];
    let row = &row[..row.find("</tr>").unwrap()];
    assert!(row.ends_with("<td>40.00</td>"), "{row}");

    // Gender staff see trainings and committees instead; a viewer sees neither list of names.
    let staff = f.app.create_user(Role::GenderStaff, vec![], None);
    let mut browser = f.app.browser();
    browser.login(&staff.username, PASSWORD);
    let home = browser.get("/");
    assert!(home.body.contains("Capacitaciones y comités") && !home.body.contains("Préstamos atrasados"));
    assert_eq!(
        svgs(&home.body).len(),
        3,
        "attendance by sex, by topic, actions on time"
    );
    // The viewer (a donor) sees the fund's portfolio: figures, arrears by age and grade, charts.
    let viewer = f.app.create_user(Role::Viewer, vec![], None);
    let mut browser = f.app.browser();
    browser.login(&viewer.username, PASSWORD);
    let home = browser.get("/").body;
    assert!(
        !home.contains("Justina") && !home.contains("/loans/"),
        "no names, no loans"
    );
    let aging = &home[home.find("Atraso por antigüedad").expect("arrears by age")..];
    let row = &aging[aging.find("<td>1 a 30</td>").expect("1–30 days")..];
    assert!(
        row.starts_with("<td>1 a 30</td><td>1</td>"),
        "the loan 20 days late: {}",
        &row[..80]
    );
    let grades = &home[home.find("Cartera por calificación SBS").expect("SBS grades")..];
    assert!(
        grades.contains("<td>CPP (9–30 días)</td><td>1</td>"),
        "20 days late is CPP"
    );
    assert_eq!(svgs(&home).len(), 3, "the fund's three charts");
}
