//! Notices over the real protocols: the outbox queued with the repayment, SMS through the `log`
//! and `http` gateways (a provider played by a small HTTP server), email through a real SMTP
//! server, leases, retries and backoff, and SALDO sent in.

use std::time::Duration;

use chrono::NaiveDateTime;
use pallay::outbox::email::SmtpSender;
use pallay::outbox::gateway::{Outgoing, SendError, Sender, Senders};
use pallay::outbox::sms_http::HttpSms;
use pallay::outbox::worker::{claim, deliver, RetryPolicy, Round};
use serde_json::{json, Value};

use crate::fakes::{SmsProvider, SmtpServer};
use crate::fund_helpers::{fund_with_cash, Fund};

pub(crate) fn now() -> NaiveDateTime {
    pallay::clock::now()
}

pub(crate) fn later(seconds: i64) -> NaiveDateTime {
    now() + chrono::Duration::seconds(seconds)
}

/// A fund whose borrower Justina consented to SMS and email, with a loan disbursed to her.
pub(crate) fn borrower(language: &str) -> (Fund, i64) {
    let f = fund_with_cash("5000.00");
    let r = f.admin.patch(
        &format!("/api/v1/members/{}", f.member),
        &json!({"phone": "987 654 321", "email": "justina@example.org", "language": language,
                "consents": {"sms": true, "email": true}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let loan = f.disbursed("300.00", "0.02", 3, -10);
    (f, loan)
}

pub(crate) fn notices(f: &Fund, query: &str) -> Vec<Value> {
    let r = f.maker.get(&format!("/api/v1/notices?{query}"));
    assert_eq!(r.status, 200, "{}", r.body);
    r.json()["items"].as_array().unwrap().clone()
}

pub(crate) fn policy() -> RetryPolicy {
    RetryPolicy {
        max_attempts: 4,
        base_backoff: Duration::from_secs(60),
        max_backoff: Duration::from_secs(3600),
        lease: Duration::from_secs(120),
    }
}

pub(crate) fn log_sms_with(email: Box<dyn Sender>) -> Senders {
    Senders {
        sms: Box::new(pallay::outbox::gateway::LogSender { channel: "sms" }),
        email,
    }
}

#[test]
fn a_repayment_queues_a_receipt_in_her_language_that_the_log_gateway_sends_once() {
    let (f, loan) = borrower("en");
    let r = f.repay(loan, "50.00", 0);
    assert_eq!(r.status, 201, "{}", r.body);
    let queued = notices(&f, "status=queued&channel=sms");
    assert_eq!(queued.len(), 1, "{queued:?}");
    let sms = &queued[0];
    assert_eq!(sms["to"], "+51987654321", "to the phone on her record, in E.164");
    assert_eq!(sms["kind"], "receipt");
    let body = sms["body"].as_str().unwrap();
    assert!(body.starts_with("Pallay: Justina, we received S/ 50.00"), "{body}");
    assert!(
        body.contains("Balance S/ 268.00") && body.contains("Next S/ 56.00"),
        "318.00 owed less 50.00: {body}"
    );
    assert!(pallay::outbox::gsm7::segments(body) == 1);

    let round = deliver(&f.app.db, &Senders::log_only(), &policy(), now()).unwrap();
    assert_eq!(
        round,
        Round {
            sent: 2,
            retrying: 0,
            failed: 0
        },
        "the SMS and the email"
    );
    let sent = notices(&f, "status=sent");
    assert_eq!(sent.len(), 2);
    assert!(sent.iter().all(|n| n["attempts"] == 1 && n["sent_at"].is_string()));
    assert_eq!(
        deliver(&f.app.db, &Senders::log_only(), &policy(), later(3600)).unwrap(),
        Round::default()
    );

    // Quechua has no templates yet: she gets Spanish.
    let r = f
        .admin
        .patch(&format!("/api/v1/members/{}", f.member), &json!({"language": "qu"}));
    assert_eq!(r.status, 200);
    assert_eq!(f.repay(loan, "10.00", 0).status, 201);
    let sms = &notices(&f, "status=queued&channel=sms")[0];
    assert!(sms["body"].as_str().unwrap().contains("recibimos S/ 10.00"), "{sms}");
    assert_eq!(sms["language"], "es");
}

#[test]
fn no_consent_no_notice_and_withdrawing_consent_cancels_what_is_queued() {
    let (f, loan) = borrower("es");
    let r = f.admin.patch(
        &format!("/api/v1/members/{}", f.member),
        &json!({"consents": {"sms": false, "email": true}}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(f.repay(loan, "20.00", 0).status, 201);
    let queued = notices(&f, "status=queued");
    assert_eq!(queued.len(), 1);
    assert_eq!(queued[0]["channel"], "email");

    let r = f.admin.patch(
        &format!("/api/v1/members/{}", f.member),
        &json!({"consents": {"sms": false, "email": false}}),
    );
    assert_eq!(r.status, 200);
    assert!(notices(&f, "status=queued").is_empty());
    assert_eq!(notices(&f, "status=cancelled").len(), 1);
    assert_eq!(
        deliver(&f.app.db, &Senders::log_only(), &policy(), now()).unwrap(),
        Round::default()
    );

    // A new phone: what was queued to the old one is not sent there.
    let r = f.admin.patch(
        &format!("/api/v1/members/{}", f.member),
        &json!({"consents": {"sms": true, "email": false}}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(f.repay(loan, "20.00", 0).status, 201);
    let r = f.admin.patch(
        &format!("/api/v1/members/{}", f.member),
        &json!({"phone": "912 345 678"}),
    );
    assert_eq!(r.status, 200);
    assert!(notices(&f, "status=queued").is_empty(), "never to the wrong phone");
}

#[test]
fn email_goes_through_a_real_smtp_server_with_text_and_html_parts() {
    let (f, loan) = borrower("es");
    let smtp = SmtpServer::start();
    let senders = log_sms_with(Box::new(
        SmtpSender::new(&smtp.url(), "Pallay <avisos@pallay.example>").unwrap(),
    ));
    assert_eq!(f.repay(loan, "318.00", 0).status, 201, "paid off in one go");
    let round = deliver(&f.app.db, &senders, &policy(), now()).unwrap();
    assert_eq!(round.sent, 2);
    let mails = smtp.mails();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert_eq!(mail.to, vec!["<justina@example.org>"]);
    assert!(mail.from.contains("avisos@pallay.example"));
    assert!(mail.data.contains("Subject:"), "{}", mail.data);
    assert!(mail.data.contains("multipart/alternative"), "{}", mail.data);
    assert!(mail.data.contains("text/plain") && mail.data.contains("text/html"));
    assert!(mail.data.contains("pagado"), "the paid-off receipt: {}", mail.data);
    let email = notices(&f, "channel=email");
    assert_eq!(email[0]["status"], "sent");
    assert!(email[0]["provider_message_id"]
        .as_str()
        .unwrap()
        .contains("queued as 42"));
}

#[test]
fn the_http_gateway_retries_with_backoff_honours_retry_after_and_gives_up_on_a_refusal() {
    let (f, loan) = borrower("es");
    let provider = SmsProvider::start();
    let senders = Senders {
        sms: Box::new(HttpSms::new(provider.url.clone(), Some("tok-123".into()))),
        email: Box::new(pallay::outbox::gateway::LogSender { channel: "email" }),
    };
    let r = f.admin.patch(
        &format!("/api/v1/members/{}", f.member),
        &json!({"consents": {"sms": true, "email": false}}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(f.repay(loan, "30.00", 0).status, 201);

    // 1: the provider fails with 500 → queued again, one attempt, later.
    provider.answer(500, None, "boom");
    let t0 = now();
    assert_eq!(deliver(&f.app.db, &senders, &policy(), t0).unwrap().retrying, 1);
    let n = &notices(&f, "channel=sms")[0];
    assert_eq!(
        (n["status"].as_str(), n["attempts"].as_i64()),
        (Some("queued"), Some(1))
    );
    assert!(n["last_error"].as_str().unwrap().contains("500"));
    let next: chrono::DateTime<chrono::Utc> = n["next_attempt_at"].as_str().unwrap().parse().unwrap();
    let wait = (next.naive_utc() - t0).num_seconds();
    assert!((29..=60).contains(&wait), "backoff of the first retry: {wait}s");
    // Not due yet: nothing is sent.
    assert_eq!(
        deliver(&f.app.db, &senders, &policy(), t0 + chrono::Duration::seconds(10)).unwrap(),
        Round::default()
    );
    assert_eq!(provider.requests().len(), 1);

    // 2: 429 with Retry-After: 600 → not before ten minutes.
    provider.answer(429, Some(("Retry-After", "600")), "slow down");
    let t1 = t0 + chrono::Duration::seconds(61);
    assert_eq!(deliver(&f.app.db, &senders, &policy(), t1).unwrap().retrying, 1);
    let n = &notices(&f, "channel=sms")[0];
    let next: chrono::DateTime<chrono::Utc> = n["next_attempt_at"].as_str().unwrap().parse().unwrap();
    assert!((next.naive_utc() - t1).num_seconds() >= 600, "Retry-After honoured");
    assert_eq!(
        deliver(&f.app.db, &senders, &policy(), t1 + chrono::Duration::seconds(300)).unwrap(),
        Round::default()
    );

    // 3: accepted; the provider's id is kept, and the request carried the token and a stable key.
    let t2 = t1 + chrono::Duration::seconds(601);
    assert_eq!(deliver(&f.app.db, &senders, &policy(), t2).unwrap().sent, 1);
    let n = &notices(&f, "channel=sms")[0];
    assert_eq!((n["status"].as_str(), n["attempts"].as_i64()), (Some("sent"), Some(3)));
    assert_eq!(n["provider_message_id"], "msg-3");
    let requests = provider.requests();
    assert_eq!(requests.len(), 3);
    assert_eq!(requests[2].header("authorization"), Some("Bearer tok-123"));
    assert_eq!(
        requests[0].header("idempotency-key"),
        requests[2].header("idempotency-key")
    );
    assert_eq!(requests[2].body["to"], "+51987654321");
    assert!(requests[2].body["body"].as_str().unwrap().contains("S/ 30.00"));

    // A refusal (400) is permanent: failed at once, shown to coordinators, retried by hand.
    assert_eq!(f.repay(loan, "5.00", 0).status, 201);
    provider.answer(400, None, r#"{"error":"invalid number"}"#);
    assert_eq!(deliver(&f.app.db, &senders, &policy(), t2).unwrap().failed, 1);
    let failed = notices(&f, "status=failed");
    assert_eq!(failed.len(), 1);
    assert!(failed[0]["last_error"].as_str().unwrap().contains("invalid number"));
    let id = failed[0]["id"].as_i64().unwrap();
    assert_eq!(
        f.maker.post(&format!("/api/v1/notices/{id}/retry"), &json!({})).status,
        200
    );
    assert_eq!(
        f.maker.post(&format!("/api/v1/notices/{id}/retry"), &json!({})).status,
        409
    );
    assert_eq!(deliver(&f.app.db, &senders, &policy(), later(1)).unwrap().sent, 1);

    // An outage longer than the attempts allow: failed after the last, nothing lost.
    assert_eq!(f.repay(loan, "5.00", 0).status, 201);
    let mut at = later(2);
    for _ in 0..4 {
        provider.answer(503, None, "down");
        deliver(&f.app.db, &senders, &policy(), at).unwrap();
        at += chrono::Duration::seconds(7200);
    }
    let n = &notices(&f, "channel=sms")[0];
    assert_eq!(
        (n["status"].as_str(), n["attempts"].as_i64()),
        (Some("failed"), Some(4))
    );
}

/// A sender that counts what it was asked to send.
struct Counting(std::sync::Arc<std::sync::atomic::AtomicUsize>);

impl Sender for Counting {
    fn send(&self, _: &Outgoing) -> Result<Option<String>, SendError> {
        self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        std::thread::sleep(Duration::from_millis(5));
        Ok(None)
    }
}

#[test]
fn a_worker_that_dies_after_claiming_loses_nothing_and_workers_never_send_twice() {
    let (f, loan) = borrower("es");
    for amount in ["10.00", "11.00", "12.00"] {
        assert_eq!(f.repay(loan, amount, 0).status, 201);
    }
    // A worker claims everything and dies before sending.
    let t0 = now();
    let mut conn = f.app.db.get().unwrap();
    let claimed = claim(&mut conn, "dead-worker", t0, Duration::from_secs(120), 100).unwrap();
    drop(conn);
    assert_eq!(claimed.len(), 6);
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let senders = || Senders {
        sms: Box::new(Counting(count.clone())),
        email: Box::new(Counting(count.clone())),
    };
    assert_eq!(
        deliver(&f.app.db, &senders(), &policy(), t0 + chrono::Duration::seconds(60)).unwrap(),
        Round::default(),
        "the lease holds"
    );
    // Once the lease has run out, several workers at once send each notice exactly once.
    let after = t0 + chrono::Duration::seconds(121);
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| deliver(&f.app.db, &senders(), &policy(), after).unwrap());
        }
    });
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 6);
    assert_eq!(notices(&f, "status=sent").len(), 6);
}

/// Issue 17: a payment she was told about and then undone is set right on the same channels; one
/// undone before the receipt went out is simply never told.
#[test]
fn a_reversed_payment_cancels_its_unsent_receipt_or_corrects_the_one_she_got() {
    let (f, loan) = borrower("es");
    let reverse = |repayment: &Value| {
        let path = format!("/api/v1/repayments/{}/reverse", repayment["id"]);
        f.maker.post(&path, &json!({"reason": "digitado dos veces"}))
    };

    let early = f.repay(loan, "20.00", 0).json();
    assert_eq!(notices(&f, "status=queued").len(), 2, "its receipt, by SMS and email");
    assert_eq!(reverse(&early).status, 201);
    assert!(notices(&f, "status=queued").is_empty(), "nothing left to send");
    let cancelled = notices(&f, "status=cancelled");
    assert_eq!(cancelled.len(), 2);
    assert!(cancelled.iter().all(|n| n["kind"] == "receipt"), "{cancelled:?}");
    assert_eq!(
        deliver(&f.app.db, &Senders::log_only(), &policy(), now()).unwrap(),
        Round::default(),
        "she never hears of it"
    );

    let told = f.repay(loan, "60.00", 0).json();
    assert_eq!(
        deliver(&f.app.db, &Senders::log_only(), &policy(), now()).unwrap().sent,
        2
    );
    assert_eq!(reverse(&told).status, 201);
    let corrections = notices(&f, "status=queued");
    assert_eq!(corrections.len(), 2, "{corrections:?}");
    assert!(corrections.iter().all(|n| n["kind"] == "correction"));
    let sms = corrections.iter().find(|n| n["channel"] == "sms").unwrap();
    let day = crate::fund_helpers::today().format("%d/%m");
    assert_eq!(
        sms["body"],
        format!("Pallay: Justina, se anulo el pago de S/ 60.00 del {day}. Su saldo es S/ 318.00."),
        "what she owes again"
    );
    assert_eq!(pallay::outbox::gsm7::segments(sms["body"].as_str().unwrap()), 1);
    let email = corrections.iter().find(|n| n["channel"] == "email").unwrap();
    assert_eq!(email["subject"], "Se anuló su pago de S/ 60.00");
    assert_eq!(reverse(&told).status, 409, "twice is a conflict");
    assert_eq!(notices(&f, "status=queued").len(), 2, "and tells her nothing more");
    f.assert_books_consistent();
}
