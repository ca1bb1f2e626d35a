//! The meeting at 5,100 m: the signal drops while the coordinator fills the collection sheet and
//! the attendance register on her phone. A real Chromium at 360×740 talks to the server through a
//! "signal" (a TCP relay this test can cut, so the service worker's requests fail too) and is
//! told it is offline (the driver's network emulation). What she types is kept on the phone
//! through a reload and a closed tab, sent when the signal returns, and posted once however
//! often it is sent.

use std::io::{Read, Write};
use std::net::{Shutdown, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use serde_json::json;

use crate::helpers::{test_today, TestApp};
use crate::phone::PHONE;
use crate::webdriver::{launch, Chromium};

/// A relay between the phone and the server that can lose the signal: cut, it refuses new
/// connections and breaks the open ones (kept-alive connections included).
struct Signal {
    address: String,
    up: Arc<AtomicBool>,
    open: Arc<Mutex<Vec<TcpStream>>>,
}

impl Signal {
    fn to(app: &TestApp) -> Signal {
        let upstream = app.address.trim_start_matches("http://").to_string();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let address = format!("http://{}", listener.local_addr().expect("addr"));
        let up = Arc::new(AtomicBool::new(true));
        let open = Arc::new(Mutex::new(Vec::new()));
        let (up2, open2) = (Arc::clone(&up), Arc::clone(&open));
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                if !up2.load(Ordering::SeqCst) {
                    let _ = client.shutdown(Shutdown::Both);
                    continue;
                }
                let Ok(server) = TcpStream::connect(&upstream) else {
                    continue;
                };
                let mut kept = open2.lock().unwrap();
                kept.push(client.try_clone().expect("clone"));
                kept.push(server.try_clone().expect("clone"));
                drop(kept);
                relay(client.try_clone().expect("clone"), server.try_clone().expect("clone"));
                relay(server, client);
            }
        });
        Signal { address, up, open }
    }

    fn lose(&self) {
        self.up.store(false, Ordering::SeqCst);
        for stream in self.open.lock().unwrap().drain(..) {
            let _ = stream.shutdown(Shutdown::Both);
        }
    }

    fn regain(&self) {
        self.up.store(true, Ordering::SeqCst);
    }
}

fn relay(mut from: TcpStream, mut to: TcpStream) {
    std::thread::spawn(move || {
        let mut buf = [0u8; 16 * 1024];
        loop {
            match from.read(&mut buf) {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    if to.write_all(&buf[..n]).is_err() {
                        break;
                    }
                }
            }
        }
        let _ = to.shutdown(Shutdown::Write);
    });
}

fn demo() -> TestApp {
    let app = crate::helpers::spawn_app();
    pallay::demo::load(&app.db).expect("demo");
    app
}

fn sign_in(chromium: &Chromium, base: &str) {
    chromium.bypass_service_worker(false);
    chromium.goto(&format!("{base}/login"));
    chromium.find("#username").fill("coord.rinconada");
    chromium.find("#password").fill(pallay::demo::DEMO_PASSWORD);
    chromium.find("main button[type=submit]").click();
    chromium.wait_for("the home page", "return !location.pathname.endsWith('/login');", 10);
}

/// Opens a page with a signal and waits until the service worker keeps it (a second load, once
/// the worker controls the page, is the one it keeps).
fn open_kept(chromium: &Chromium, url: &str) {
    chromium.goto(url);
    chromium.wait_for(
        "the service worker",
        "return !!(navigator.serviceWorker && navigator.serviceWorker.controller);",
        15,
    );
    chromium.goto(url);
    let kept = chromium.execute_async(&format!(
        "const done = arguments[arguments.length - 1];
         caches.match({url}).then(r => done(!!r), () => done(false));",
        url = serde_json::to_string(url).unwrap()
    ));
    assert_eq!(kept, json!(true), "the page is kept on the phone");
}

/// What her screen shows (`target/screenshots/`; with `PALLAY_UPDATE_SCREENSHOTS=1` also
/// `tests/screenshots/`, which the README shows).
fn screenshot(chromium: &Chromium, name: &str) {
    let png = chromium.screenshot();
    assert!(png.starts_with(b"\x89PNG"), "a PNG screenshot");
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut places = vec![root.join("target").join("screenshots")];
    if std::env::var("PALLAY_UPDATE_SCREENSHOTS").is_ok_and(|v| v == "1") {
        places.push(root.join("tests").join("screenshots"));
    }
    for dir in places {
        std::fs::create_dir_all(&dir).expect("screenshot dir");
        std::fs::write(dir.join(format!("{name}.png")), &png).expect("write screenshot");
    }
}

fn lose_signal(chromium: &Chromium, signal: &Signal) {
    signal.lose();
    chromium.set_offline(true);
}

fn regain_signal(chromium: &Chromium, signal: &Signal) {
    signal.regain();
    chromium.set_offline(false);
}

fn the_rinconada_fund(app: &TestApp) -> (i64, i64) {
    let funds = app.admin().get("/api/v1/funds").json();
    let fund = funds["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"].as_str().unwrap().contains("Pallaqueras"))
        .expect("the demo's fund")
        .clone();
    (fund["id"].as_i64().unwrap(), fund["organization_id"].as_i64().unwrap())
}

#[test]
fn a_collection_sheet_filled_without_a_signal_is_posted_once_when_it_returns() {
    let Some(chromium) = launch(PHONE.0, PHONE.1) else {
        return;
    };
    let app = demo();
    let signal = Signal::to(&app);
    let (fund, _) = the_rinconada_fund(&app);
    sign_in(&chromium, &signal.address);
    let url = format!("{}/funds/{fund}/collection", signal.address);
    open_kept(&chromium, &url);
    let repayments = app.count("repayments");
    let receipts = app.count_where("notices", "dedupe_key LIKE 'receipt:%'");

    // Five women at the meeting (each still owes more than S/ 10.50 on her loan), and a sixth row
    // typed wrong: more than her whole loan.
    let loans = chromium
        .execute("return [...document.querySelectorAll('tr[data-loan]')].slice(0, 6).map(tr => tr.dataset.loan);");
    let mut loans: Vec<String> = serde_json::from_value(loans).unwrap();
    assert_eq!(loans.len(), 6, "the demo has six borrowers or more");
    let mistyped = loans.pop().unwrap();

    lose_signal(&chromium, &signal);
    for loan in &loans {
        chromium.find(&format!("#amount_{loan}")).fill("10,50");
    }
    chromium.find(&format!("#amount_{mistyped}")).fill("99999");
    let all_saved = "return [...document.querySelectorAll('tr[data-loan] output.row-state')]
        .filter(o => !o.hidden && o.textContent.includes('guardado en este teléfono')).length === 6;";
    chromium.wait_for("six rows saved on the phone", all_saved, 10);
    chromium.find("[data-send-now]").click();
    chromium.wait_for(
        "the no-signal message",
        "return document.querySelector('#offline [role=status]').textContent.includes('Sin señal');",
        15,
    );

    // Reloaded, then the tab closed and opened again: still there, from the phone alone.
    chromium.goto(&url);
    chromium.wait_for("the rows restored after a reload", all_saved, 10);
    chromium.reopen_tab();
    chromium.goto(&url);
    chromium.wait_for("the rows restored in a new tab", all_saved, 10);
    chromium.scroll_to(&format!("tr[data-loan='{}']", loans[0]));
    screenshot(&chromium, "collection_offline");
    for loan in &loans {
        let typed = chromium.execute(&format!("return document.getElementById('amount_{loan}').value;"));
        assert_eq!(typed, json!("10,50"));
    }
    assert_eq!(app.count("repayments"), repayments, "nothing reached the server");

    regain_signal(&chromium, &signal);
    chromium.find("[data-send-now]").click();
    let all_sent = "return [...document.querySelectorAll('tr[data-loan] output.row-state')]
        .filter(o => !o.hidden && o.textContent.trim() === 'enviado').length === 5;";
    chromium.wait_for("five rows sent", all_sent, 20);
    // The mistyped row is refused, says why, and stays on the phone; she is told.
    let refused = format!(
        "const o = document.querySelector(\"tr[data-loan='{mistyped}'] output.row-state\");
         return !o.hidden && o.textContent.startsWith('rechazado:') && o.textContent.includes('más de lo que se debe');"
    );
    chromium.wait_for("the mistyped row refused", &refused, 10);
    chromium.wait_for(
        "the refused-rows message",
        "return document.querySelector('#offline [role=status]').textContent.includes('filas rechazadas');",
        10,
    );
    chromium.scroll_to(&format!("tr[data-loan='{}']", loans[0]));
    screenshot(&chromium, "collection_sent");
    assert_eq!(app.count("repayments"), repayments + 5);
    let queued = app.count_where("notices", "dedupe_key LIKE 'receipt:%'");
    assert!(
        queued > receipts && queued <= receipts + 5,
        "one receipt per repayment at most"
    );
    let new_receipts = app.count_where(
        "notices",
        "dedupe_key IN (SELECT 'receipt:' || CAST(id AS TEXT) || ':' || c.channel FROM repayments, \
         (SELECT 'sms' AS channel UNION SELECT 'email') c WHERE amount = 1050)",
    );
    assert_eq!(
        new_receipts,
        queued - receipts,
        "the new receipts are those of the five"
    );

    // Sent again (the tap, a reload that sends what is queued): still five, the refused row still
    // shown with its reason.
    chromium.find("[data-send-now]").click();
    chromium.goto(&url);
    chromium.find("[data-send-now]").click();
    chromium.wait_for("the refused row after a reload", &refused, 10);
    chromium.wait_for(
        "the refused-rows message",
        "return document.querySelector('#offline [role=status]').textContent.includes('filas rechazadas: 1')
             || document.querySelector('#offline [role=status]').textContent.endsWith(' 1');",
        10,
    );
    assert_eq!(app.count("repayments"), repayments + 5);
    assert_eq!(app.count_where("notices", "dedupe_key LIKE 'receipt:%'"), queued);
    let posted = app.count_where("repayments", "amount = 1050");
    assert_eq!(posted, 5, "each of the five, once, for S/ 10.50");
}

#[test]
fn an_attendance_register_filled_without_a_signal_is_saved_when_it_returns() {
    let Some(chromium) = launch(PHONE.0, PHONE.1) else {
        return;
    };
    let app = demo();
    let signal = Signal::to(&app);
    let (_, rinconada) = the_rinconada_fund(&app);
    let r = app.admin().post(
        "/api/v1/trainings",
        &json!({"title": "Primeros auxilios en la mina", "topic": "first_aid", "date": test_today().to_string(),
                "place": "La Rinconada", "organization_ids": [rinconada]}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    let training = r.json()["id"].as_i64().unwrap();
    sign_in(&chromium, &signal.address);
    let url = format!("{}/trainings/{training}/attendance", signal.address);
    open_kept(&chromium, &url);

    lose_signal(&chromium, &signal);
    let members = chromium.execute(
        "return [...document.querySelectorAll('input[type=radio][value=present]')].slice(0, 3)
           .map(r => r.name);",
    );
    let members: Vec<String> = serde_json::from_value(members).unwrap();
    assert_eq!(members.len(), 3);
    for name in &members {
        chromium.find(&format!("input[name={name}][value=present]")).click();
    }
    chromium.find("form.register button[type=submit]").click();
    chromium.wait_for(
        "the no-signal message",
        "return document.querySelector('#offline [role=status]').textContent.includes('Sin señal');",
        15,
    );
    let ticked = format!(
        "return {} .every(n => document.querySelector(`input[name=${{n}}][value=present]`).checked);",
        serde_json::to_string(&members).unwrap()
    );
    chromium.goto(&url);
    chromium.wait_for("the register restored after a reload", &ticked, 10);
    chromium.reopen_tab();
    chromium.goto(&url);
    chromium.wait_for("the register restored in a new tab", &ticked, 10);
    let where_training = format!("training_id = {training}");
    assert_eq!(app.count_where("attendances", &where_training), 0);

    regain_signal(&chromium, &signal);
    chromium.find("[data-send-now]").click();
    chromium.wait_for(
        "the register sent",
        "return document.querySelector('#offline [role=status]').textContent.includes('fue enviado');",
        20,
    );
    let present = format!("{where_training} AND status = 'present'");
    assert_eq!(app.count_where("attendances", &present), 3);
    chromium.find("[data-send-now]").click();
    chromium.goto(&url);
    assert_eq!(
        app.count_where("attendances", &present),
        3,
        "saved once, not added again"
    );
}

/// Pages of a PDF: its page objects (`/Type /Page`, not `/Pages`).
fn pdf_pages(pdf: &[u8]) -> usize {
    let text = String::from_utf8_lossy(pdf);
    text.match_indices("/Type /Page")
        .filter(|(at, m)| !text[at + m.len()..].starts_with('s'))
        .count()
}

#[test]
fn the_meeting_s_sheet_prints_on_one_or_two_a4_pages_with_columns_to_write_in() {
    let Some(chromium) = launch(PHONE.0, PHONE.1) else {
        return;
    };
    let app = demo();
    let (fund, rinconada) = the_rinconada_fund(&app);
    // A meeting of thirty women with loans: the demo's and more.
    let (maker, _) = app.login_as(pallay::auth::policy::Role::Admin, vec![], None);
    let (checker, _) = app.login_as(pallay::auth::policy::Role::Admin, vec![], None);
    let today = test_today();
    let r = maker.post(
        &format!("/api/v1/funds/{fund}/contributions"),
        &json!({"source": "donor", "amount": "5000.00", "date": today.to_string()}),
    );
    assert_eq!(r.status, 201, "{}", r.body);
    for i in 0..24 {
        let member = app.create_member(&maker, rinconada, json!({"first_name": format!("Socia{i:02}")}))["id"].clone();
        let r = maker.post(
            "/api/v1/loans",
            &json!({"fund_id": fund, "member_id": member, "principal": "200.00",
            "interest_method": "flat", "rate_per_period": "0.02", "periods": 4, "frequency": "monthly",
            "first_due_date": (today + chrono::Duration::days(20)).to_string()}),
        );
        assert_eq!(r.status, 201, "{}", r.body);
        let loan = r.json()["id"].as_i64().unwrap();
        assert_eq!(
            checker
                .post(&format!("/api/v1/loans/{loan}/approve"), &json!({}))
                .status,
            200
        );
        let r = maker.post(
            &format!("/api/v1/loans/{loan}/disburse"),
            &json!({"date": today.to_string()}),
        );
        assert_eq!(r.status, 200, "{}", r.body);
    }
    sign_in(&chromium, &app.address);
    chromium.goto(&format!("{}/funds/{fund}/collection", app.address));
    let rows = chromium.execute("return document.querySelectorAll('tr[data-loan]').length;");
    assert!(rows.as_u64().unwrap() >= 30, "a meeting of thirty: {rows}");
    let pdf = chromium.print_a4();
    assert!(pdf.starts_with(b"%PDF"), "a PDF");
    if let Ok(path) = std::env::var("PALLAY_KEEP_PDF") {
        std::fs::write(path, &pdf).unwrap();
    }
    let pages = pdf_pages(&pdf);
    assert!((1..=2).contains(&pages), "{pages} A4 pages");
    println!("the sheet of {rows} women prints on {pages} A4 page(s)");
    // On paper: the signature column to write in; no menu, no buttons, no search.
    chromium.emulate_media("print");
    let paper = chromium.execute(
        "const shown = e => !!e && e.getClientRects().length > 0;
         return {signature: shown(document.querySelector('th.print-only')),
                 menu: shown(document.querySelector('header')),
                 button: shown(document.querySelector('form.collection button')),
                 search: shown(document.querySelector('form.search'))};",
    );
    chromium.emulate_media("");
    assert_eq!(
        paper,
        json!({"signature": true, "menu": false, "button": false, "search": false})
    );
}
