//! Email over SMTP with lettre: `PALLAY_SMTP_URL` like `smtp://user:pass@host:587?tls=starttls`
//! (STARTTLS required), `smtps://…:465` (TLS from the start), or `smtp://host:25` (no TLS, for a
//! relay on the same machine). A plain-text part and, when the template has one, an HTML part.

use lettre::message::{header::ContentType, Mailbox, MultiPart, SinglePart};
use lettre::transport::smtp::SmtpTransport;
use lettre::{Message, Transport};

use super::gateway::{Outgoing, SendError, Sender};

pub struct SmtpSender {
    transport: SmtpTransport,
    from: Mailbox,
}

/// lettre's URL, with `tls=starttls` (the usual word) read as its `tls=required`.
fn lettre_url(url: &str) -> String {
    url.replace("tls=starttls", "tls=required")
}

impl SmtpSender {
    pub fn new(url: &str, from: &str) -> Result<SmtpSender, String> {
        let transport = SmtpTransport::from_url(&lettre_url(url))
            .map_err(|e| format!("PALLAY_SMTP_URL is not usable: {e}"))?
            .timeout(Some(std::time::Duration::from_secs(30)))
            .build();
        let from = from
            .parse()
            .map_err(|e| format!("PALLAY_MAIL_FROM is not an address: {e}"))?;
        Ok(SmtpSender { transport, from })
    }
}

impl Sender for SmtpSender {
    fn send(&self, notice: &Outgoing) -> Result<Option<String>, SendError> {
        let to: Mailbox = notice
            .to
            .parse()
            .map_err(|e| SendError::Permanent(format!("not an email address: {e}")))?;
        let text = SinglePart::builder()
            .header(ContentType::TEXT_PLAIN)
            .body(notice.body.clone());
        let builder = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(notice.subject.clone().unwrap_or_default())
            .message_id(Some(format!("<pallay-notice-{}@pallay>", notice.id)));
        let message = match &notice.html_body {
            Some(html) => builder.multipart(
                MultiPart::alternative()
                    .singlepart(text)
                    .singlepart(SinglePart::builder().header(ContentType::TEXT_HTML).body(html.clone())),
            ),
            None => builder.singlepart(text),
        }
        .map_err(|e| SendError::Permanent(format!("could not build the message: {e}")))?;
        match self.transport.send(&message) {
            Ok(response) => Ok(Some(response.message().collect::<Vec<_>>().join(" "))),
            Err(e) if e.is_permanent() => Err(SendError::Permanent(format!("SMTP refused: {e}"))),
            Err(e) => Err(SendError::Temporary {
                reason: format!("SMTP: {e}"),
                retry_after: None,
            }),
        }
    }
}
