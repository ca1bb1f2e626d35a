//! A load test on the demo data (SQLite): sign-ins, reads and single repayments over HTTP, first
//! alone, then while the heaviest things a person can start run at the same time — a list of
//! 100,000 members previewed for import (an administrator's upload, again and again) and the donor
//! workbook downloaded again and again. Ceiling (issue "Hardening", item 1): every kind answers
//! within 1 s at p99 while they run, and none fails.
//!
//!     cargo bench --bench load     # PALLAY_LOAD_ROWS (100000), PALLAY_LOAD_SECONDS (30)

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

mod common;

use pallay::demo::DEMO_PASSWORD;
use serde_json::{json, Value};

/// The server's resident memory in MiB at the start; at the end with its highest in between.
struct Memory {
    pid: u32,
    start: f64,
}

impl Memory {
    fn sample(pid: u32) -> Memory {
        Memory {
            pid,
            start: common::memory_mib(pid, "VmRSS:"),
        }
    }

    fn stop(self) -> (f64, f64, f64) {
        let at = |field| common::memory_mib(self.pid, field);
        (self.start, at("VmHWM:"), at("VmRSS:"))
    }
}

impl common::Session {
    /// The import page's preview of `file` as a list of members: its status, 0 when the page
    /// is not a preview of every row.
    fn preview(&mut self, file: &[u8], rows: usize) -> u16 {
        let token = self.csrf("/import");
        let boundary = "----pallay-load-boundary";
        let mut body = Vec::new();
        for (name, value) in [("csrf_token", token.as_str()), ("kind", "members")] {
            body.extend_from_slice(
                format!("--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n")
                    .as_bytes(),
            );
        }
        body.extend_from_slice(
            format!("--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"lista.csv\"\r\nContent-Type: text/csv\r\n\r\n")
                .as_bytes(),
        );
        body.extend_from_slice(file);
        body.extend_from_slice(format!("\r\n--{boundary}--\r\n").as_bytes());
        let mut response = self
            .agent
            .post(&format!("{}/import", self.base))
            .header("Cookie", &self.cookie_header())
            .header("Content-Type", &format!("multipart/form-data; boundary={boundary}"))
            .send(&body[..])
            .expect("preview");
        let status = response.status().as_u16();
        let page = response.body_mut().read_to_string().unwrap_or_default();
        if page.contains(&rows.to_string()) {
            status
        } else {
            eprintln!("not a preview of {rows} rows: {}", &page[..page.len().min(1500)]);
            0
        }
    }
}

fn get_json(base: &str, auth: &str, path: &str) -> Value {
    let mut response = common::agent()
        .get(&format!("{base}{path}"))
        .header("Authorization", auth)
        .call()
        .expect("GET");
    response.body_mut().read_json().expect("json")
}

/// Latencies (ms) and failures of one kind of request.
#[derive(Default)]
struct Tally {
    ms: Vec<f64>,
    failed: usize,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

/// What the light clients do: each kind by two clients for `seconds`.
fn light_load(base: &str, loans: &[i64], member: i64, seconds: u64) -> Vec<(&'static str, Tally)> {
    let kinds = [
        "sign-in (POST /auth/token)",
        "read (member balance, fund)",
        "repayment (S/ 0.01)",
    ];
    let tallies: Vec<Arc<Mutex<Tally>>> = kinds.iter().map(|_| Arc::default()).collect();
    let until = Instant::now() + Duration::from_secs(seconds);
    let next_key = Arc::new(AtomicUsize::new(0));
    std::thread::scope(|s| {
        for (kind, tally) in tallies.iter().enumerate() {
            for client in 0..2 {
                let (tally, next_key) = (Arc::clone(tally), Arc::clone(&next_key));
                s.spawn(move || {
                    let agent = common::agent();
                    let auth = common::bearer_token(&agent, base, "coord.rinconada");
                    let fund = get_json(base, &auth, "/api/v1/funds")["items"][0]["id"]
                        .as_i64()
                        .unwrap_or(1);
                    let today = pallay::clock::today_in_lima().to_string();
                    let mut i = client;
                    while Instant::now() < until {
                        let started = Instant::now();
                        let status = match kind {
                            0 => agent
                                .post(&format!("{base}/api/v1/auth/token"))
                                .send_json(json!({"username": "coord.rinconada", "password": DEMO_PASSWORD}))
                                .map(|r| r.status().as_u16()),
                            1 => {
                                let path = if i % 2 == 0 {
                                    format!("/api/v1/members/{member}/balance")
                                } else {
                                    format!("/api/v1/funds/{fund}")
                                };
                                agent
                                    .get(&format!("{base}{path}"))
                                    .header("Authorization", &auth)
                                    .call()
                                    .map(|mut r| {
                                        let _ = r.body_mut().read_to_vec();
                                        r.status().as_u16()
                                    })
                            }
                            _ => {
                                // One céntimo at a time: at S/ 0.10 a fast run paid the smallest
                                // demo loan (S/ 159) off, and its later repayments were refused.
                                let loan = loans[i % loans.len()];
                                let key = format!("load-{}", next_key.fetch_add(1, Ordering::Relaxed));
                                agent
                                    .post(&format!("{base}/api/v1/loans/{loan}/repayments"))
                                    .header("Authorization", &auth)
                                    .header("Idempotency-Key", &key)
                                    .send_json(json!({"amount": "0.01", "date": today}))
                                    .map(|mut r| {
                                        let _ = r.body_mut().read_to_vec();
                                        r.status().as_u16()
                                    })
                            }
                        };
                        let ms = started.elapsed().as_secs_f64() * 1000.0;
                        let mut tally = tally.lock().unwrap();
                        tally.ms.push(ms);
                        if !matches!(status, Ok(200 | 201)) {
                            tally.failed += 1;
                            if tally.failed <= 3 {
                                eprintln!("  {}: {status:?}", kinds[kind]);
                            }
                        }
                        i += 2;
                    }
                });
            }
        }
    });
    kinds
        .iter()
        .zip(tallies)
        .map(|(kind, tally)| (*kind, Arc::try_unwrap(tally).ok().unwrap().into_inner().unwrap()))
        .collect()
}

fn report(phase: &str, tallies: &mut [(&'static str, Tally)]) -> bool {
    println!("{phase}:");
    let mut within = true;
    for (kind, tally) in tallies.iter_mut() {
        tally.ms.sort_by(f64::total_cmp);
        let p99 = percentile(&tally.ms, 0.99);
        let ok = p99 < 1000.0 && tally.failed == 0;
        within &= ok;
        println!(
            "  {kind:<30} {:>6} requests  p50 {:>6.1} ms  p99 {:>7.1} ms  max {:>7.1} ms  failed {}  (ceiling p99 1000 ms, none failed: {})",
            tally.ms.len(),
            percentile(&tally.ms, 0.5),
            p99,
            tally.ms.last().copied().unwrap_or(0.0),
            tally.failed,
            if ok { "held" } else { "NOT HELD" }
        );
    }
    within
}

fn main() {
    if std::env::args().any(|a| a == "--list") {
        return;
    }
    let rows: usize = std::env::var("PALLAY_LOAD_ROWS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100_000);
    let seconds: u64 = std::env::var("PALLAY_LOAD_SECONDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(30);
    // The server is a `pallay serve` process of this build, so its memory is its own.
    let server = common::Server::demo("load");
    let base = server.base.clone();
    let memory = Memory::sample(server.pid());

    let auth = common::bearer_token(&common::agent(), &base, "coord.rinconada");
    let fund = get_json(&base, &auth, "/api/v1/funds")["items"][0]["id"]
        .as_i64()
        .expect("the demo fund");
    let loans: Vec<(i64, i64)> = get_json(&base, &auth, &format!("/api/v1/loans?fund_id={fund}&status=disbursed"))
        ["items"]
        .as_array()
        .expect("loans")
        .iter()
        .map(|l| (l["id"].as_i64().unwrap(), l["member_id"].as_i64().unwrap()))
        .collect();
    assert!(!loans.is_empty(), "the demo has disbursed loans");
    let member = loans[0].1;
    let loan_ids: Vec<i64> = loans.iter().map(|(id, _)| *id).collect();

    let mut file = String::from("nombres,apellidos,dni,sexo,organizacion\n");
    for i in 0..rows {
        file.push_str(&format!(
            "Ana,Quispe {i},{},mujer,Pallaqueras de La Rinconada\n",
            40_000_000 + i
        ));
    }
    println!(
        "demo data; {} disbursed loans; a list of {rows} members ({:.1} MB); {seconds} s per phase, 2 clients per kind",
        loan_ids.len(),
        file.len() as f64 / 1e6
    );

    let mut alone = light_load(&base, &loan_ids, member, seconds.min(10));
    report("alone", &mut alone);

    let running = Arc::new(AtomicBool::new(true));
    let heavy = |what: &'static str, work: Box<dyn Fn() -> u16 + Send>| {
        let running = Arc::clone(&running);
        std::thread::spawn(move || {
            let mut runs = Vec::new();
            while running.load(Ordering::Relaxed) {
                let started = Instant::now();
                let status = work();
                runs.push((status, started.elapsed().as_secs_f64()));
            }
            (what, runs)
        })
    };
    let (preview_base, file) = (base.clone(), Arc::new(file.into_bytes()));
    let previews = heavy(
        "import preview of the list",
        Box::new(move || common::Session::signed_in(&preview_base, "demo.admin").preview(&file, rows)),
    );
    let workbook_base = base.clone();
    let workbooks = heavy(
        "donor workbook",
        Box::new(move || {
            let (status, bytes) = common::Session::signed_in(&workbook_base, "genero").get("/reports/donor.xlsx");
            if bytes.starts_with(b"PK") {
                status
            } else {
                0 // not a workbook
            }
        }),
    );
    std::thread::sleep(Duration::from_secs(1));
    let mut loaded = light_load(&base, &loan_ids, member, seconds);
    running.store(false, Ordering::Relaxed);
    let mut held = report("while the preview and the workbook run", &mut loaded);
    for handle in [previews, workbooks] {
        let (what, runs) = handle.join().expect("heavy work");
        let mut seconds: Vec<f64> = runs.iter().map(|(_, s)| *s).collect();
        seconds.sort_by(f64::total_cmp);
        let whole = runs.iter().all(|(status, _)| *status == 200);
        held &= whole && !runs.is_empty();
        println!(
            "  {what}: {} runs back to back, each {:.1}–{:.1} s (median {:.1} s), all whole: {whole}",
            runs.len(),
            seconds.first().copied().unwrap_or(0.0),
            seconds.last().copied().unwrap_or(0.0),
            percentile(&seconds, 0.5)
        );
    }
    println!("{}", if held { "ceiling held" } else { "CEILING NOT HELD" });
    let (start, peak, end) = memory.stop();
    println!(
        "memory of pallay serve: {:.1} MiB at start, {:.1} at its peak, {:.1} at the end \
         (ceiling: under 60 MiB under any mix: {})",
        start,
        peak,
        end,
        if peak < 60.0 { "met" } else { "NOT met" }
    );
    drop(server);
}
