//! A meeting day on a phone, in a real Chromium at 360×740 over the demo data: each role's journey
//! through the pages as she would tap it, and on every page she lands on the checks of
//! `phone.rs` (fits the screen, no console error or CSP violation, nothing serious for axe-core).
//! Each journey ends with a screenshot of that role's phone (`target/screenshots/`; with
//! `PALLAY_UPDATE_SCREENSHOTS=1` also `tests/screenshots/`, which the README shows).

use std::path::PathBuf;

use crate::helpers::{spawn_app, test_today, TestApp};
use crate::phone::{axe_source, phone_problems, sign_in, PHONE};
use crate::webdriver::{launch, Chromium};

/// One role's phone, signed in, checking every page it lands on.
struct Phone {
    chromium: Chromium,
    axe: Option<String>,
    problems: Vec<String>,
}

impl Phone {
    fn open() -> Option<Phone> {
        let chromium = launch(PHONE.0, PHONE.1)?;
        Some(Phone {
            chromium,
            axe: axe_source(),
            problems: Vec::new(),
        })
    }

    /// The checks on the page on screen, remembered with where she was.
    fn check(&mut self, step: &str) {
        for problem in phone_problems(&self.chromium, self.axe.as_deref()) {
            self.problems
                .push(format!("{step} ({}): {problem}", self.chromium.url()));
        }
    }

    fn go(&mut self, app: &TestApp, path: &str) {
        self.chromium.goto(&format!("{}{path}", app.address));
        self.check(path);
    }

    /// Taps the button or link that reads `text` and checks where it lands.
    fn tap(&mut self, css: &str, text: &str) {
        self.chromium.find_text(css, text).click();
        self.check(text);
    }

    fn type_in(&self, css: &str, text: &str) {
        self.chromium.find(css).fill(text);
    }

    /// A date field: what the date picker would fill in.
    fn pick_date(&self, id: &str, date: &str) {
        self.chromium.execute(&format!(
            "document.getElementById('{id}').value = '{date}'; return true;"
        ));
    }

    fn sees(&self, text: &str) {
        let page = self.chromium.text();
        assert!(
            page.contains(text),
            "expected {text:?} on {}:\n{page}",
            self.chromium.url()
        );
    }

    fn screenshot(&self, role: &str) {
        let png = self.chromium.screenshot();
        assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR"));
        let mut places = vec![root.join("target").join("screenshots")];
        if std::env::var("PALLAY_UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
            places.push(root.join("tests").join("screenshots"));
        }
        for dir in places {
            std::fs::create_dir_all(&dir).expect("screenshot dir");
            std::fs::write(dir.join(format!("{role}.png")), &png).expect("write screenshot");
        }
    }

    fn sign_out(&self) {
        self.chromium.forget_cookies();
    }

    fn assert_fits(&self) {
        assert!(
            self.problems.is_empty(),
            "{} problems on a phone:\n{}",
            self.problems.len(),
            self.problems.join("\n")
        );
    }
}

fn demo() -> TestApp {
    let app = spawn_app();
    pallay::demo::load(&app.db).expect("demo");
    app
}

fn day(offset: i64) -> String {
    (test_today() + chrono::Duration::days(offset)).to_string()
}

/// The coordinator's meeting: a loan requested with its schedule shown first, approved by a
/// second person, disbursed, a repayment typed with a decimal comma, checked, confirmed (she is
/// told so), then reversed.
#[test]
fn a_coordinator_lends_and_collects_on_her_phone() {
    let Some(mut phone) = Phone::open() else {
        return;
    };
    let app = demo();
    let password = pallay::demo::DEMO_PASSWORD;
    sign_in(&phone.chromium, &app, "coord.rinconada", password);
    phone.check("home");
    phone.go(&app, "/members?q=");
    // The last member of the Pallaqueras in the demo has no loan yet.
    phone.go(&app, "/members/20");
    let member = phone.chromium.find("h1").text();
    phone.tap("a.button", "Solicitar un préstamo · Fondo rotatorio de las Pallaqueras");
    let chosen = phone
        .chromium
        .execute("return document.getElementById('member_id').selectedOptions[0].text;");
    let first_name = member.split(' ').next().unwrap();
    assert!(
        chosen.as_str().is_some_and(|c| c.contains(first_name)),
        "the form comes with {member} chosen, not {chosen}"
    );
    phone.type_in("#principal", "300");
    phone.type_in("#rate_per_period", "2");
    phone.type_in("#periods", "3");
    phone.pick_date("first_due_date", &day(30));
    phone.type_in("#purpose", "herramientas");
    phone.tap("main button", "Ver el cronograma");
    // The schedule, with the details fixed above it: nothing to edit under "confirm".
    phone.sees("2 % mensual, interés fijo, 3 cuotas");
    phone.sees("106.00");
    let editable = phone
        .chromium
        .execute("return document.querySelectorAll('main input:not([type=hidden]), main select').length;");
    assert_eq!(editable, 0, "no field can change under the schedule");
    phone.tap("main button", "Confirmar y guardar");
    phone.sees("Solicitud registrada. Otra persona debe aprobarla.");
    phone.sees("otra persona debe aprobarla o rechazarla");
    let loan_url = phone.chromium.url();
    let loan_path = loan_url[app.address.len()..].split('?').next().unwrap().to_string();
    phone.sign_out();

    // The second person approves.
    sign_in(&phone.chromium, &app, "demo.admin", password);
    phone.go(&app, &loan_path);
    phone.tap("main button", "Aprobar");
    phone.sees("Préstamo aprobado. Ya se puede desembolsar.");
    phone.sign_out();

    // Back to the coordinator: disburse, collect, undo.
    sign_in(&phone.chromium, &app, "coord.rinconada", password);
    phone.go(&app, &loan_path);
    phone.pick_date("disburse-date", &day(0));
    phone.tap("main button", "Desembolsar S/ 300.00");
    phone.sees("Desembolso registrado");
    phone.type_in("#amount", "106,00");
    phone.pick_date("date", &day(0));
    phone.type_in("#receipt_number", "R-101");
    phone.tap("main button", "Revisar el pago");
    phone.sees("Este pago cubrirá");
    phone.sees("S/ 106.00");
    phone.tap("main button", "Confirmar y guardar");
    phone.sees("Pago registrado.");
    phone.sees("R-101");
    phone.screenshot("coordinator");
    phone.tap("summary", "Anular este pago");
    phone.chromium.find("input[name=reason]").fill("monto equivocado");
    phone.tap("main details button", "Anular este pago");
    phone.sees("Pago anulado");
    phone.assert_fits();
}

/// Gender staff takes a register at a workshop; the member sees her balance; the viewer sees the
/// figures without names.
#[test]
fn gender_staff_member_and_viewer_on_their_phones() {
    let Some(mut phone) = Phone::open() else {
        return;
    };
    let app = demo();
    let password = pallay::demo::DEMO_PASSWORD;

    sign_in(&phone.chromium, &app, "genero", password);
    phone.go(&app, "/trainings");
    // The latest workshop already held (a register is taken on the day or after).
    let first = phone.chromium.execute(&format!(
        "return [...document.querySelectorAll('main table tbody tr')]
           .filter(r => r.cells[0].innerText.trim() <= '{}')
           .map(r => r.querySelector('a').getAttribute('href'))[0];",
        day(0)
    ));
    phone.go(&app, first.as_str().expect("a training"));
    phone.tap("a.button", "Tomar asistencia");
    phone
        .chromium
        .find("fieldset.person label.choice input[value=present]")
        .click();
    phone.tap("main form button[type=submit]", "Guardar la asistencia");
    phone.sees("Asistencia guardada.");
    phone.screenshot("gender_staff");
    phone.sign_out();

    sign_in(&phone.chromium, &app, "rosa.quispe", password);
    phone.check("her page");
    phone.sees("Debe en total");
    phone.chromium.scroll_to("main h2");
    phone.screenshot("member");
    phone.tap("a.button", "Ver todos mis datos");
    phone.sees("Historial de su registro");
    phone.go(&app, "/");
    phone.tap("main form button", "Guardar mis preferencias");
    phone.sees("Sus preferencias de mensajes quedaron guardadas.");
    phone.sign_out();

    sign_in(&phone.chromium, &app, "visor", password);
    phone.check("viewer home");
    phone.sees("Fondo rotatorio de las Pallaqueras");
    phone.sees("PAR30");
    phone.sees("Atraso por antigüedad");
    phone.sees("Cartera por calificación SBS");
    let names = phone.chromium.text();
    assert!(
        !names.contains("Quispe") && !names.contains("Mamani"),
        "no names for a donor"
    );
    phone.chromium.scroll_to(".dashboard h2");
    phone.screenshot("viewer");
    phone.assert_fits();
}

/// A reschedule on a phone: the administrator approves the coordinator's proposal (its new plan
/// shown first) and sees the replaced plan kept; the coordinator proposes another from the form.
#[test]
fn a_reschedule_is_proposed_and_approved_on_a_phone() {
    use diesel::prelude::*;
    use pallay::db::schema::loan_reschedules;
    let Some(mut phone) = Phone::open() else {
        return;
    };
    let app = demo();
    let password = pallay::demo::DEMO_PASSWORD;
    let loan: i64 = loan_reschedules::table
        .filter(loan_reschedules::status.eq("requested"))
        .select(loan_reschedules::loan_id)
        .first(&mut *app.db.get().unwrap())
        .expect("the demo has a proposal waiting");
    sign_in(&phone.chromium, &app, "demo.admin", password);
    phone.go(&app, &format!("/loans/{loan}"));
    phone.sees("Reprogramación propuesta");
    phone.sees("Pasan al nuevo plan");
    phone.tap("main button", "Aprobar la reprogramación");
    phone.sees("Reprogramación aprobada");
    let opened = phone.chromium.execute(
        "const s = [...document.querySelectorAll('summary')].find(e => e.innerText.startsWith('Reprogramado el'));
         if (s) s.click(); return !!s;",
    );
    assert_eq!(opened, serde_json::Value::Bool(true), "the reschedule is listed");
    phone.check("the replaced plan");
    phone.sees("Plan anterior");
    phone.sign_out();

    sign_in(&phone.chromium, &app, "coord.rinconada", password);
    phone.go(&app, &format!("/loans/{loan}"));
    phone.tap("a.button", "Reprogramar");
    phone.type_in("#rate_per_period", "1");
    phone.type_in("#periods", "6");
    phone.pick_date("first_due_date", &day(30));
    phone.type_in("#reason", "sigue sin trabajo");
    phone.tap("main button", "Proponer la reprogramación");
    phone.sees("Reprogramación propuesta: otra persona debe aprobarla.");
    phone.sees("Otra persona debe aprobar esta reprogramación.");
    phone.assert_fits();
}
