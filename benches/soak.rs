//! Memory of `pallay serve` over a long mixed load (issue 18): the demo data on SQLite, 16 clients
//! reading the fund, its portfolio, journal and trial balance, loans, members and a member's balance,
//! and posting small repayments (one request in ten), for ten minutes. The server's resident memory
//! is sampled every second. Ceiling: under 60 MiB at its peak, and flat: the second half of the run
//! adds less than 1 MiB (the highest of its last minute against the highest of the minute at half-time).
//!
//!     cargo bench --bench soak     # PALLAY_SOAK_SECONDS (600), PALLAY_SOAK_CLIENTS (16)

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

mod common;

use serde_json::{json, Value};

fn setting(name: &str, default: u64) -> u64 {
    std::env::var(name).ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

fn agent() -> ureq::Agent {
    ureq::Agent::config_builder()
        .http_status_as_error(false)
        .timeout_global(Some(Duration::from_secs(60)))
        .build()
        .into()
}

fn get_json(base: &str, auth: &str, path: &str) -> Value {
    agent()
        .get(&format!("{base}{path}"))
        .header("Authorization", auth)
        .call()
        .expect("GET")
        .body_mut()
        .read_json()
        .expect("JSON")
}

fn ids(list: &Value) -> Vec<i64> {
    list["items"]
        .as_array()
        .map(|items| items.iter().filter_map(|i| i["id"].as_i64()).collect())
        .unwrap_or_default()
}

fn main() {
    let seconds = setting("PALLAY_SOAK_SECONDS", 600);
    let clients = setting("PALLAY_SOAK_CLIENTS", 16) as usize;
    let server = common::Server::demo("soak");
    let (pid, base) = (server.pid(), server.base.clone());
    let at_start = common::memory_mib(pid, "VmRSS:");

    let auth = common::bearer_token(&agent(), &base, "coord.rinconada");
    let fund = ids(&get_json(&base, &auth, "/api/v1/funds"))[0];
    let loans = ids(&get_json(
        &base,
        &auth,
        &format!("/api/v1/loans?fund_id={fund}&status=disbursed&limit=100"),
    ));
    let members = ids(&get_json(&base, &auth, "/api/v1/members?limit=100"));
    assert!(
        !loans.is_empty() && !members.is_empty(),
        "the demo has loans and members"
    );
    let today = pallay::clock::today_in_lima().to_string();

    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicUsize::new(0));
    let failed = Arc::new(AtomicUsize::new(0));
    let threads: Vec<_> = (0..clients)
        .map(|c| {
            let (stop, done, failed) = (Arc::clone(&stop), Arc::clone(&done), Arc::clone(&failed));
            let (base, auth, loans, members, today) = (
                base.clone(),
                auth.clone(),
                loans.clone(),
                members.clone(),
                today.clone(),
            );
            std::thread::spawn(move || {
                let agent = agent();
                let mut i = c;
                while !stop.load(Ordering::Relaxed) {
                    let loan = loans[i % loans.len()];
                    let member = members[i % members.len()];
                    let path = match i % 10 {
                        0 => format!("/api/v1/loans/{loan}/repayments"),
                        1 => format!("/api/v1/funds/{fund}/portfolio"),
                        2 => format!("/api/v1/loans/{loan}"),
                        3 => "/api/v1/members?limit=50".to_string(),
                        4 => format!("/api/v1/funds/{fund}/journal?limit=50"),
                        5 => format!("/api/v1/members/{member}/balance"),
                        6 => format!("/api/v1/funds/{fund}/trial-balance"),
                        7 => format!("/api/v1/loans?fund_id={fund}&limit=50"),
                        8 => format!("/api/v1/loans/{loan}/repayments?limit=20"),
                        _ => format!("/api/v1/funds/{fund}"),
                    };
                    let response = if i % 10 == 0 {
                        agent
                            .post(&format!("{base}{path}"))
                            .header("Authorization", &auth)
                            .header("Idempotency-Key", &format!("soak-{c}-{i}"))
                            .send_json(json!({"amount": "0.10", "date": today}))
                    } else {
                        agent
                            .get(&format!("{base}{path}"))
                            .header("Authorization", &auth)
                            .call()
                    };
                    match response {
                        Ok(mut r) => {
                            let status = r.status().as_u16();
                            let _ = r.body_mut().read_to_vec();
                            // A loan paid off refuses more (409 once repaid, 422 for more than it
                            // owes): that is the rule, not a failure.
                            if !(200..300).contains(&status)
                                && status != 409
                                && status != 422
                                && failed.fetch_add(1, Ordering::Relaxed) < 5
                            {
                                eprintln!("{status} from {path}");
                            }
                        }
                        Err(_) => {
                            failed.fetch_add(1, Ordering::Relaxed);
                        }
                    }
                    done.fetch_add(1, Ordering::Relaxed);
                    i += clients;
                }
            })
        })
        .collect();

    println!(
        "pallay serve on the demo data (SQLite), {clients} clients for {seconds} s; resident memory at start {:.1} MiB",
        at_start
    );
    println!("{:>8} {:>12} {:>10}", "second", "memory MiB", "requests");
    let started = Instant::now();
    let report_every = (seconds / 10).max(1);
    let mut samples = Vec::new();
    for second in 1..=seconds {
        let next = started + Duration::from_secs(second);
        std::thread::sleep(next.saturating_duration_since(Instant::now()));
        let now = common::memory_mib(pid, "VmRSS:");
        samples.push(now);
        if second % report_every == 0 {
            println!("{second:>8} {:>12.1} {:>10}", now, done.load(Ordering::Relaxed));
        }
    }
    stop.store(true, Ordering::Relaxed);
    threads.into_iter().for_each(|t| t.join().expect("client"));
    let (at_end, peak) = (common::memory_mib(pid, "VmRSS:"), common::memory_mib(pid, "VmHWM:"));
    let minute = 60.min(samples.len());
    let half = samples.len() / 2;
    let at_half = samples[half.saturating_sub(minute)..half.max(1)]
        .iter()
        .copied()
        .fold(0.0, f64::max);
    let last_minute = samples[samples.len() - minute..].iter().copied().fold(0.0, f64::max);
    let requests = done.load(Ordering::Relaxed);
    println!(
        "{requests} requests ({:.0} /s), {} failed; memory: start {:.1}, peak {:.1}, end {:.1} MiB; \
         highest in the minute at half-time {:.1}, in the last minute {:.1} MiB",
        requests as f64 / seconds as f64,
        failed.load(Ordering::Relaxed),
        at_start,
        peak,
        at_end,
        at_half,
        last_minute
    );
    println!(
        "ceiling: peak under 60 MiB ({}), flat: the second half adds under 1 MiB ({})",
        if peak < 60.0 { "met" } else { "NOT met" },
        if last_minute - at_half < 1.0 { "met" } else { "NOT met" }
    );
    drop(server);
}
