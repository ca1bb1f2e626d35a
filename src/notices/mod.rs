//! Notices as people use them, across the parts: the calendar that asks each part for its
//! reminders (`schedule.rs`), the `SALDO` members text in (`inbound.rs`), statements on request and
//! the outbox's list and retries (`service.rs`, `api.rs`, `pages.rs`), and the worker loop of
//! `pallay serve`. Queuing and sending live in `crate::outbox`.

pub mod api;
pub mod inbound;
pub mod pages;
pub mod schedule;
pub mod service;

use std::time::Duration;

use crate::outbox::{gateway, worker, NoticeConfig};

/// One pass of everything: queue what the calendar asks for, then send what is due.
pub fn run_once(
    db: &crate::db::Db,
    senders: &gateway::Senders,
    config: &NoticeConfig,
    today: chrono::NaiveDate,
    now: chrono::NaiveDateTime,
) -> crate::error::AppResult<(usize, worker::Round)> {
    let mut conn = db.get()?;
    let queued = crate::db::write_transaction(&mut conn, |c| {
        schedule::queue_scheduled(c, &config.calendar, today, now)
    })?;
    drop(conn);
    let round = worker::deliver(db, senders, &config.retry, now)?;
    Ok((queued, round))
}

/// The worker inside `pallay serve`: a thread that runs [`run_once`] every `interval` (the
/// calendar at most every ten minutes), until the process ends.
pub fn spawn_worker(db: crate::db::Db, config: NoticeConfig) -> Result<(), String> {
    if config.interval.is_zero() {
        return Ok(());
    }
    let senders = gateway::Senders::from_config(&config)?;
    std::thread::Builder::new()
        .name("notices".into())
        .spawn(move || {
            let mut last_calendar: Option<std::time::Instant> = None;
            loop {
                let now = crate::clock::now();
                let calendar_due = last_calendar.is_none_or(|t| t.elapsed() >= Duration::from_secs(600));
                if calendar_due {
                    last_calendar = Some(std::time::Instant::now());
                    let result = db.get().and_then(|mut conn| {
                        crate::db::write_transaction(&mut conn, |c| {
                            schedule::queue_scheduled(c, &config.calendar, crate::clock::today_in_lima(), now)
                        })
                    });
                    if let Err(e) = result {
                        tracing::error!(error = %e, "could not queue the calendar's notices");
                    }
                }
                match worker::deliver(&db, &senders, &config.retry, now) {
                    Ok(round) if round != worker::Round::default() => tracing::info!(?round, "notices"),
                    Ok(_) => {}
                    Err(e) => tracing::error!(error = %e, "notice worker"),
                }
                std::thread::sleep(config.interval);
            }
        })
        .map(|_| ())
        .map_err(|e| format!("could not start the notice worker: {e}"))
}
