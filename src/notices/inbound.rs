//! SMS members send in. The gateway signs each request (HMAC-SHA256 of the raw body with the
//! shared secret, checked in constant time). `SALDO` — in any case, with accents or spaces —
//! from the phone registered to one member queues her balance as the reply, to that phone only.
//! Anything else, or a phone that is not exactly one member's, is recorded and answered with
//! nothing, so the reply never tells a stranger who is a member.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;
use hmac::{Hmac, Mac};
use sha2::Sha256;

use crate::db::schema::{inbound_sms, members};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::fund::receipt::queue_balance;
use crate::members::fields::Phone;
use crate::outbox::queue::{Channel, Kind};

/// At most this many messages per phone per hour are acted on; the rest are only recorded.
pub const PER_PHONE_PER_HOUR: i64 = 5;

/// Whether `X-Pallay-Signature: sha256=<hex>` is the HMAC of `body` under `secret`.
pub fn signature_valid(secret: &str, body: &[u8], header: Option<&str>) -> bool {
    let Some(hex_digest) = header.and_then(|h| h.trim().strip_prefix("sha256=")) else {
        return false;
    };
    let Ok(given) = hex::decode(hex_digest.trim()) else {
        return false;
    };
    let Ok(mut mac) = Hmac::<Sha256>::new_from_slice(secret.as_bytes()) else {
        return false;
    };
    mac.update(body);
    mac.verify_slice(&given).is_ok()
}

/// The signature a gateway sends for this body (for tests and for the README's example).
pub fn sign(secret: &str, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// The words a message is read as: letters only, accents dropped, upper case.
pub fn keyword(body: &str) -> String {
    crate::outbox::gsm7::to_gsm7(body)
        .chars()
        .filter(|c| c.is_alphanumeric())
        .flat_map(char::to_uppercase)
        .map(|c| match c {
            'É' => 'E',
            'Ü' => 'U',
            'À' | 'Ä' => 'A',
            'Ö' | 'Ò' => 'O',
            'Ì' => 'I',
            'Ù' => 'U',
            other => other,
        })
        .collect()
}

/// What became of an inbound message (kept on its row).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    BalanceQueued,
    NoConsent,
    UnknownPhone,
    NotACommand,
    RateLimited,
    /// The same signed message again (a replay, or the gateway retrying): nothing is done.
    Duplicate,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::BalanceQueued => "balance_queued",
            Outcome::NoConsent => "no_consent",
            Outcome::UnknownPhone => "unknown_phone",
            Outcome::NotACommand => "not_a_command",
            Outcome::RateLimited => "rate_limited",
            Outcome::Duplicate => "duplicate",
        }
    }
}

/// A message as the gateway forwarded it. `digest` is its signature when it carried its own
/// `sent_at` (then the same signed message is acted on once); an unstamped message has none.
pub struct Inbound {
    pub from: String,
    pub body: String,
    pub digest: Option<String>,
}

pub fn receive(conn: &mut DbConn, message: &Inbound, today: NaiveDate, now: NaiveDateTime) -> AppResult<Outcome> {
    let Inbound { from, body, digest } = message;
    if let Some(digest) = digest {
        let seen: i64 = inbound_sms::table
            .filter(inbound_sms::digest.eq(digest))
            .count()
            .get_result(conn)?;
        if seen > 0 {
            return Ok(Outcome::Duplicate);
        }
    }
    let phone = Phone::parse(from)
        .map(|p| p.as_str().to_string())
        .unwrap_or_else(|_| from.trim().to_string());
    let recent: i64 = inbound_sms::table
        .filter(inbound_sms::from_phone.eq(&phone))
        .filter(inbound_sms::received_at.gt(now - Duration::hours(1)))
        .count()
        .get_result(conn)?;
    let owners: Vec<(i64, bool)> = members::table
        .filter(members::phone.eq(&phone))
        .filter(members::anonymized_at.is_null())
        .select((members::id, members::sms_consent))
        .load(conn)?;
    let member_id = match owners.as_slice() {
        [(id, _)] => Some(*id),
        _ => None,
    };
    let outcome = if recent >= PER_PHONE_PER_HOUR {
        Outcome::RateLimited
    } else if keyword(body) != "SALDO" {
        Outcome::NotACommand
    } else {
        match owners.as_slice() {
            [(id, true)] => {
                queue_balance(conn, *id, Kind::BalanceReply, &[Channel::Sms], None, today, now)?;
                Outcome::BalanceQueued
            }
            [(_, false)] => Outcome::NoConsent,
            _ => Outcome::UnknownPhone,
        }
    };
    diesel::insert_into(inbound_sms::table)
        .values((
            inbound_sms::from_phone.eq(&phone),
            inbound_sms::body.eq(body.chars().take(500).collect::<String>()),
            inbound_sms::member_id.eq(member_id),
            inbound_sms::outcome.eq(outcome.as_str()),
            inbound_sms::received_at.eq(now),
            inbound_sms::digest.eq(digest),
        ))
        .execute(conn)?;
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn saldo_is_read_in_any_case_with_accents_or_spaces() {
        for text in ["SALDO", "saldo", " Saldo ", "sáldo", "S A L D O", "saldo.", "Sal-do"] {
            assert_eq!(keyword(text), "SALDO", "{text}");
        }
        assert_ne!(keyword("saldos"), "SALDO");
        assert_ne!(keyword("hola"), "SALDO");
    }

    #[test]
    fn only_the_right_secret_signs_a_body() {
        let body = br#"{"from":"+51987654321","body":"SALDO"}"#;
        let signature = sign("s3cret", body);
        assert!(signature_valid("s3cret", body, Some(&signature)));
        assert!(!signature_valid("other", body, Some(&signature)));
        assert!(!signature_valid("s3cret", b"{}", Some(&signature)));
        assert!(!signature_valid("s3cret", body, None));
        assert!(!signature_valid("s3cret", body, Some("sha256=zz")));
    }
}
