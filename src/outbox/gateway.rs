//! How a notice leaves the machine. One small trait; each way of sending is one small file
//! (`log`, `sms_http.rs`, `email.rs`). Adding an SMS provider is writing one more `Sender`.

use std::time::Duration;

/// A claimed notice, as a sender sees it.
#[derive(Debug, Clone)]
pub struct Outgoing {
    pub id: i64,
    pub to: String,
    pub subject: Option<String>,
    pub body: String,
    pub html_body: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SendError {
    /// Worth trying again later (a timeout, a 5xx, a 429 with its `Retry-After`).
    Temporary {
        reason: String,
        retry_after: Option<Duration>,
    },
    /// Trying again would fail the same way (a refused number, a bad request).
    Permanent(String),
}

pub trait Sender: Send + Sync {
    /// Sends the notice; the provider's message id when it gives one.
    fn send(&self, notice: &Outgoing) -> Result<Option<String>, SendError>;
}

/// Reports the notice sent without it leaving the machine: its text stays recorded in the outbox
/// (the notices page shows it); the log says only which notice, never to whom or what.
pub struct LogSender {
    pub channel: &'static str,
}

impl Sender for LogSender {
    fn send(&self, notice: &Outgoing) -> Result<Option<String>, SendError> {
        tracing::info!(
            channel = self.channel,
            id = notice.id,
            "notice recorded (log gateway, not sent out)"
        );
        Ok(Some(format!("log-{}", notice.id)))
    }
}

/// The senders of both channels.
pub struct Senders {
    pub sms: Box<dyn Sender>,
    pub email: Box<dyn Sender>,
}

impl Senders {
    /// Both channels only logged: the default, and what tests of other parts use.
    pub fn log_only() -> Senders {
        Senders {
            sms: Box::new(LogSender { channel: "sms" }),
            email: Box::new(LogSender { channel: "email" }),
        }
    }

    pub fn from_config(config: &super::NoticeConfig) -> Result<Senders, String> {
        let sms: Box<dyn Sender> = match config.sms_gateway.as_str() {
            "log" => Box::new(LogSender { channel: "sms" }),
            "http" => {
                let url = config
                    .sms_url
                    .clone()
                    .ok_or("PALLAY_SMS_GATEWAY=http needs PALLAY_SMS_URL")?;
                Box::new(super::sms_http::HttpSms::new(url, config.sms_token.clone()))
            }
            other => return Err(format!("PALLAY_SMS_GATEWAY must be log or http, not {other}")),
        };
        let email: Box<dyn Sender> = match &config.smtp_url {
            Some(url) => Box::new(super::email::SmtpSender::new(url, &config.mail_from)?),
            None => Box::new(LogSender { channel: "email" }),
        };
        Ok(Senders { sms, email })
    }

    pub fn for_channel(&self, channel: &str) -> &dyn Sender {
        if channel == "email" {
            self.email.as_ref()
        } else {
            self.sms.as_ref()
        }
    }
}
