//! The `http` SMS gateway: a JSON POST to the provider's URL with a bearer token.
//!
//! Request: `{"to":"+51987654321","body":"…","reference":"pallay-notice-12"}` with
//! `Authorization: Bearer <PALLAY_SMS_TOKEN>` and `Idempotency-Key: pallay-notice-12` (a provider that
//! honours it never sends a retried notice twice). Answer: 2xx with `{"id":"…"}` (or `message_id`),
//! kept as the provider's id. 429 and 5xx are tried again later (`Retry-After` in seconds honoured);
//! any other 4xx is a permanent refusal; a network failure is tried again.

use std::time::Duration;

use super::gateway::{Outgoing, SendError, Sender};

pub struct HttpSms {
    url: String,
    token: Option<String>,
    agent: ureq::Agent,
}

impl HttpSms {
    pub fn new(url: String, token: Option<String>) -> HttpSms {
        let agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_global(Some(Duration::from_secs(20)))
            .tls_config(
                ureq::tls::TlsConfig::builder()
                    .provider(ureq::tls::TlsProvider::NativeTls)
                    .build(),
            )
            .build()
            .into();
        HttpSms { url, token, agent }
    }
}

fn retry_after(value: Option<&str>) -> Option<Duration> {
    value?.trim().parse::<u64>().ok().map(Duration::from_secs)
}

impl Sender for HttpSms {
    fn send(&self, notice: &Outgoing) -> Result<Option<String>, SendError> {
        let reference = format!("pallay-notice-{}", notice.id);
        let body = serde_json::json!({"to": notice.to, "body": notice.body, "reference": reference});
        let mut request = self.agent.post(&self.url).header("Idempotency-Key", &reference);
        if let Some(token) = &self.token {
            request = request.header("Authorization", format!("Bearer {token}"));
        }
        let mut response = request.send_json(&body).map_err(|e| SendError::Temporary {
            reason: format!("gateway unreachable: {e}"),
            retry_after: None,
        })?;
        let status = response.status().as_u16();
        let wait = retry_after(response.headers().get("retry-after").and_then(|v| v.to_str().ok()));
        let text = response.body_mut().read_to_string().unwrap_or_default();
        match status {
            200..=299 => {
                let id = serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|v| {
                    v.get("id")
                        .or_else(|| v.get("message_id"))
                        .map(|id| id.as_str().map_or_else(|| id.to_string(), str::to_string))
                });
                Ok(id)
            }
            429 | 500..=599 => Err(SendError::Temporary {
                reason: format!(
                    "gateway answered {status}: {}",
                    text.chars().take(200).collect::<String>()
                ),
                retry_after: wait,
            }),
            _ => Err(SendError::Permanent(format!(
                "gateway refused with {status}: {}",
                text.chars().take(200).collect::<String>()
            ))),
        }
    }
}
