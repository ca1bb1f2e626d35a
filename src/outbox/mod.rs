//! The outbox: notices to members by SMS and email, queued in the database in the same
//! transaction as the event that causes them and sent later, with leases and retries, so none is
//! lost when a gateway is down or the process stops.
//!
//! It knows no part of Pallay: each part composes its own notices (`fund/receipt.rs`,
//! `fund/reminders.rs`, `committee/reminder.rs`) and hands `queue` a finished [`queue::Draft`].
//! Here: queuing with consent (`queue.rs`), the rows (`model.rs`), templates under
//! `templates/notices/` (`template.rs`) in the GSM-7 alphabet (`gsm7.rs`), the worker (`worker.rs`)
//! and a sender per channel (`gateway.rs`, `sms_http.rs`, `email.rs`).

pub mod email;
pub mod gateway;
pub mod gsm7;
pub mod model;
pub mod queue;
pub mod sms_http;
pub mod template;
pub mod worker;

use std::time::Duration;

use worker::RetryPolicy;

/// Settings of the notices, from the environment (listed in the README).
/// How far a stamped inbound SMS's `sent_at` may be from the server's clock, either way.
pub const INBOUND_MAX_AGE: chrono::Duration = chrono::Duration::minutes(5);

#[derive(Debug, Clone)]
pub struct NoticeConfig {
    /// `PALLAY_SMS_GATEWAY`: `log` (default) or `http`.
    pub sms_gateway: String,
    /// `PALLAY_SMS_URL`, `PALLAY_SMS_TOKEN`: the `http` gateway's endpoint and bearer token.
    pub sms_url: Option<String>,
    pub sms_token: Option<String>,
    /// `PALLAY_SMS_INBOUND_SECRET`: the shared secret inbound SMS are signed with; unset, every
    /// inbound request is refused.
    pub sms_inbound_secret: Option<String>,
    /// `PALLAY_SMS_INBOUND_REQUIRE_SENT_AT`: `true` when the gateway puts the time it sent each
    /// message (`sent_at`) into the signed body; then a message without it is refused. Either way
    /// a stamped message is refused when older than [`INBOUND_MAX_AGE`] and acted on only once.
    pub sms_inbound_require_sent_at: bool,
    /// `PALLAY_SMTP_URL`: unset, emails are only logged (like the `log` SMS gateway).
    pub smtp_url: Option<String>,
    /// `PALLAY_MAIL_FROM` (default `Pallay <pallay@localhost>`).
    pub mail_from: String,
    /// `PALLAY_NOTICE_MAX_ATTEMPTS` (default 6), `PALLAY_NOTICE_BACKOFF_SECONDS` (the first
    /// retry's wait, doubled each time; default 60), `PALLAY_NOTICE_LEASE_SECONDS` (how long a
    /// worker holds a notice it is sending before another may take it; default 300).
    pub retry: RetryPolicy,
    /// `PALLAY_STATEMENT_DAY` (1), `PALLAY_REMINDER_DAYS` (3), `PALLAY_ARREARS_DAYS` (7),
    /// `PALLAY_ACTION_REMINDER_DAYS` (7).
    pub calendar: Calendar,
    /// `PALLAY_NOTICE_INTERVAL_SECONDS`: how often the worker in `serve` looks for work (default 10;
    /// 0 turns the worker off, for a deployment where `pallay send-notices` runs from cron).
    pub interval: Duration,
}

fn number<T: std::str::FromStr>(name: &str, default: T, ok: impl Fn(&T) -> bool) -> Result<T, String> {
    match std::env::var(name).ok().filter(|v| !v.trim().is_empty()) {
        None => Ok(default),
        Some(raw) => raw
            .trim()
            .parse()
            .ok()
            .filter(|v| ok(v))
            .ok_or_else(|| format!("{name} is not a valid number: {raw}")),
    }
}

impl NoticeConfig {
    pub fn from_env() -> Result<NoticeConfig, String> {
        let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
        let sms_gateway = var("PALLAY_SMS_GATEWAY").unwrap_or_else(|| "log".into());
        if sms_gateway != "log" && sms_gateway != "http" {
            return Err(format!("PALLAY_SMS_GATEWAY must be log or http, not {sms_gateway}"));
        }
        if sms_gateway == "http" && var("PALLAY_SMS_URL").is_none() {
            return Err("PALLAY_SMS_GATEWAY=http needs PALLAY_SMS_URL".into());
        }
        Ok(NoticeConfig {
            sms_gateway,
            sms_url: var("PALLAY_SMS_URL"),
            sms_token: var("PALLAY_SMS_TOKEN"),
            sms_inbound_secret: var("PALLAY_SMS_INBOUND_SECRET"),
            sms_inbound_require_sent_at: match var("PALLAY_SMS_INBOUND_REQUIRE_SENT_AT").as_deref() {
                None | Some("false") => false,
                Some("true") => true,
                Some(_) => return Err("PALLAY_SMS_INBOUND_REQUIRE_SENT_AT must be true or false".into()),
            },
            smtp_url: var("PALLAY_SMTP_URL"),
            mail_from: var("PALLAY_MAIL_FROM").unwrap_or_else(|| "Pallay <pallay@localhost>".into()),
            retry: RetryPolicy {
                max_attempts: number("PALLAY_NOTICE_MAX_ATTEMPTS", 6, |n| (1..=50).contains(n))?,
                base_backoff: Duration::from_secs(number("PALLAY_NOTICE_BACKOFF_SECONDS", 60, |s| {
                    (1..=3600).contains(s)
                })?),
                lease: Duration::from_secs(number("PALLAY_NOTICE_LEASE_SECONDS", 300, |s| (1..=3600).contains(s))?),
                ..RetryPolicy::default()
            },
            calendar: Calendar {
                statement_day: number("PALLAY_STATEMENT_DAY", 1, |d| (1..=28).contains(d))?,
                reminder_days: number("PALLAY_REMINDER_DAYS", 3, |d| (0..=60).contains(d))?,
                arrears_days: number("PALLAY_ARREARS_DAYS", 7, |d| (1..=365).contains(d))?,
                action_days: number("PALLAY_ACTION_REMINDER_DAYS", 7, |d| (0..=60).contains(d))?,
            },
            interval: Duration::from_secs(number("PALLAY_NOTICE_INTERVAL_SECONDS", 10, |_| true)?),
        })
    }

    /// Defaults, with nothing leaving the machine (tests and tools).
    pub fn log_only() -> NoticeConfig {
        NoticeConfig {
            sms_gateway: "log".into(),
            sms_url: None,
            sms_token: None,
            sms_inbound_secret: None,
            sms_inbound_require_sent_at: false,
            smtp_url: None,
            mail_from: "Pallay <pallay@localhost>".into(),
            retry: RetryPolicy::default(),
            calendar: Calendar::default(),
            interval: Duration::from_secs(10),
        }
    }
}

/// When the calendar's notices go out (settings; the parts decide what each says).
#[derive(Debug, Clone)]
pub struct Calendar {
    /// Day of the month the statements go out (1–28).
    pub statement_day: u32,
    /// Days before a due date that the reminder goes out.
    pub reminder_days: i64,
    /// Days past due after which the arrears reminder goes out (once per late installment).
    pub arrears_days: i64,
    /// Days before a committee action's due date that its responsible person is written to.
    pub action_days: i64,
}

impl Default for Calendar {
    fn default() -> Self {
        Calendar {
            statement_day: 1,
            reminder_days: 3,
            arrears_days: 7,
            action_days: 7,
        }
    }
}
