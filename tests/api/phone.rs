//! Phone-first, in a real Chromium at 360×740: every page each demo account reaches by its links
//! fits the screen, logs no error (a refused resource or a CSP violation is one), and axe-core finds
//! nothing serious or critical. The journeys of a meeting day live in `phone_journeys.rs`.

use std::collections::{BTreeSet, HashMap, VecDeque};
use std::path::PathBuf;

use crate::helpers::{spawn_app, TestApp};
use crate::webdriver::{launch, Chromium};

pub const PHONE: (u32, u32) = (360, 740);

/// Every page, compressed, with everything it loads (style sheets, script): at most 15 KB.
const PAGE_WEIGHT_LIMIT: u64 = 15 * 1024;

/// axe-core's script, from the npm registry: `npm install --prefix target/browser axe-core@4`
/// (`.ci/run` does it; so does the first browser test that misses it, when npm is there).
pub fn axe_source() -> Option<String> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("target").join("browser");
    let file = dir.join("node_modules/axe-core/axe.min.js");
    if !file.is_file() {
        let _ = std::process::Command::new("npm")
            .args(["install", "--silent", "--no-audit", "--no-fund", "--prefix"])
            .arg(&dir)
            .arg("axe-core@4")
            .status();
    }
    match std::fs::read_to_string(&file) {
        Ok(source) => Some(source),
        Err(_) if std::env::var("CI").is_ok_and(|v| !v.is_empty() && v != "false") => {
            panic!("CI must run axe-core: npm install --prefix target/browser axe-core@4")
        }
        Err(_) => {
            eprintln!("axe-core not found (npm install --prefix target/browser axe-core@4): accessibility not checked");
            None
        }
    }
}

/// Signs in through the login form, as she would.
pub fn sign_in(chromium: &Chromium, app: &TestApp, username: &str, password: &str) {
    chromium.goto(&format!("{}/login", app.address));
    chromium.find("#username").fill(username);
    chromium.find("#password").fill(password);
    chromium.find("main button[type=submit]").click();
    // The click may return before the next page has replaced the form.
    let started = std::time::Instant::now();
    while chromium.url().ends_with("/login") {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "{username} could not sign in: {}",
            chromium.text()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

/// What is wrong with the page on screen, for a phone: each problem as one line.
pub fn phone_problems(chromium: &Chromium, axe: Option<&str>) -> Vec<String> {
    screen_problems(chromium, axe, PHONE.0)
}

/// What is wrong with the page on a screen `width` px wide.
pub fn screen_problems(chromium: &Chromium, axe: Option<&str>, width_limit: u32) -> Vec<String> {
    let mut problems = Vec::new();
    let width = chromium
        .execute("return document.documentElement.scrollWidth")
        .as_u64()
        .unwrap_or(0);
    if width > u64::from(width_limit) {
        let culprits = chromium.execute(
            "const w = document.documentElement.clientWidth;
             return [...document.querySelectorAll('main *')]
               .filter(e => e.getBoundingClientRect().right > w + 1)
               .filter(e => !e.closest('.scroll'))
               .slice(0, 4)
               .map(e => e.tagName.toLowerCase() + (e.className ? '.' + e.className : '') + ' ' + Math.round(e.getBoundingClientRect().right) + 'px');",
        );
        problems.push(format!("{width} px wide: {culprits}"));
    }
    // A table in a sliding box hides its last columns off the screen: none may need sliding.
    let hidden = chromium.execute(
        "return [...document.querySelectorAll('.scroll')]
           .filter(e => e.scrollWidth > e.clientWidth + 1)
           .map(e => (e.querySelector('th') || e).innerText.slice(0, 30) + ' ' + e.scrollWidth + '>' + e.clientWidth);",
    );
    for table in hidden.as_array().into_iter().flatten() {
        problems.push(format!("table wider than the screen: {table}"));
    }
    // What the page weighs over the wire (compressed), with its stylesheet: a weak signal pays for
    // every kilobyte.
    let weight = chromium
        .execute(
            "const n = performance.getEntriesByType('navigation')[0];
             const r = performance.getEntriesByType('resource').reduce((s, e) => s + e.encodedBodySize, 0);
             return (n ? n.encodedBodySize : 0) + r;",
        )
        .as_u64()
        .unwrap_or(0);
    if weight == 0 {
        problems.push("its weight could not be measured".into());
    } else if weight > PAGE_WEIGHT_LIMIT {
        problems.push(format!("weighs {weight} bytes compressed (limit {PAGE_WEIGHT_LIMIT})"));
    }
    for error in chromium.console_errors() {
        problems.push(format!("console: {error}"));
    }
    if let Some(axe) = axe {
        chromium.execute(&format!("{axe}\n;return true;"));
        let found = chromium.execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document, {resultTypes: ['violations']}).then(r => done(
               r.violations.filter(v => v.impact === 'serious' || v.impact === 'critical')
                 .map(v => v.impact + ' ' + v.id + ': ' + v.nodes.slice(0, 2).map(n => n.target.join(' ')).join(' | '))));",
        );
        for violation in found.as_array().into_iter().flatten() {
            problems.push(format!("axe: {}", violation.as_str().unwrap_or("")));
        }
    }
    problems
}

/// The same kind of page once or twice, not once per member: digits stand for any id.
fn kind_of(path: &str) -> String {
    let shape: String = path
        .split('?')
        .next()
        .unwrap_or("")
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect();
    shape
}

fn worth_visiting(href: &str) -> bool {
    let path = href.split('?').next().unwrap_or("");
    !(path.starts_with("/api")
        || path.starts_with("/lang/")
        || path.starts_with("/static/")
        || path.ends_with(".csv")
        || path.ends_with(".xlsx")
        || path.ends_with(".json")
        || path.ends_with("/export")
        || path.ends_with("/download")
        || href.contains("format="))
}

/// Visits every page the account reaches by following links from home (each kind of page at most
/// twice) and returns each page's problems.
fn survey(chromium: &Chromium, app: &TestApp, axe: Option<&str>, width: u32) -> Vec<String> {
    let mut seen = BTreeSet::new();
    let mut per_kind: HashMap<String, usize> = HashMap::new();
    let mut queue = VecDeque::from([("/".to_string(), "/".to_string())]);
    let mut report = Vec::new();
    let mut visited = 0;
    while let Some((path, from)) = queue.pop_front() {
        if !seen.insert(path.clone()) {
            continue;
        }
        let count = per_kind.entry(kind_of(&path)).or_default();
        if *count >= 2 {
            continue;
        }
        *count += 1;
        visited += 1;
        chromium.goto(&format!("{}{path}", app.address));
        for problem in screen_problems(chromium, axe, width) {
            report.push(format!("{path} (linked from {from}): {problem}"));
        }
        let links = chromium
            .execute("return [...document.querySelectorAll('a[href^=\"/\"]')].map(a => a.getAttribute('href'));");
        for href in links.as_array().into_iter().flatten().filter_map(|v| v.as_str()) {
            if worth_visiting(href) && !seen.contains(href) {
                queue.push_back((href.to_string(), path.clone()));
            }
        }
    }
    assert!(visited >= 3, "the survey reached only {visited} pages: {seen:?}");
    report
}

#[test]
fn every_page_of_every_demo_account_fits_a_phone() {
    let Some(chromium) = launch(PHONE.0, PHONE.1) else {
        return;
    };
    let axe = axe_source();
    let app = spawn_app();
    let accounts = pallay::demo::load(&app.db).expect("demo");
    let mut report = Vec::new();
    // The one page everybody sees first, signed out.
    chromium.goto(&format!("{}/login", app.address));
    for problem in phone_problems(&chromium, axe.as_deref()) {
        report.push(format!("signed out /login: {problem}"));
    }
    for (username, role) in accounts {
        sign_in(&chromium, &app, &username, pallay::demo::DEMO_PASSWORD);
        for line in survey(&chromium, &app, axe.as_deref(), PHONE.0) {
            report.push(format!("{role} {line}"));
        }
        chromium.forget_cookies();
    }
    assert!(
        report.is_empty(),
        "{} problems on a phone:\n{}",
        report.len(),
        report.join("\n")
    );
}

/// The office's laptop: the same pages at 1280×800 for the staff who reach most of them.
#[test]
fn every_page_of_the_staff_fits_a_laptop() {
    let Some(chromium) = launch(1280, 800) else {
        return;
    };
    let app = spawn_app();
    let accounts = pallay::demo::load(&app.db).expect("demo");
    let mut report = Vec::new();
    for (username, role) in accounts
        .iter()
        .filter(|(_, role)| ["admin", "gender_staff"].contains(role))
    {
        sign_in(&chromium, &app, username, pallay::demo::DEMO_PASSWORD);
        for line in survey(&chromium, &app, None, 1280) {
            report.push(format!("{role} {line}"));
        }
        chromium.forget_cookies();
    }
    assert!(
        report.is_empty(),
        "{} problems on a laptop:\n{}",
        report.len(),
        report.join("\n")
    );
}
