//! What members send in (`SALDO`), the outbox page, and a member's notices on anonymisation.

use pallay::outbox::gateway::Senders;
use pallay::outbox::sms_http::HttpSms;
use pallay::outbox::worker::deliver;
use serde_json::{json, Value};

use crate::fakes::SmsProvider;
use crate::fund_helpers::Fund;
use crate::helpers::INBOUND_SECRET;
use crate::notices::{borrower, notices, now, policy};

fn inbound(f: &Fund, body: &Value, secret: Option<&str>) -> crate::helpers::Response {
    let raw = body.to_string();
    let mut headers = vec![("Content-Type".to_string(), "application/json".to_string())];
    if let Some(secret) = secret {
        headers.push((
            "X-Pallay-Signature".into(),
            pallay::notices::inbound::sign(secret, raw.as_bytes()),
        ));
    }
    let headers: Vec<(&str, &str)> = headers.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    f.app
        .api()
        .request_with_headers("POST", "/api/v1/sms/inbound", Some(&raw), &headers)
}

#[test]
fn saldo_from_her_phone_gets_her_balance_and_nobody_learns_anything_else() {
    let (f, loan) = borrower("es");
    let r = f.admin.patch(
        &format!("/api/v1/members/{}", f.member),
        &json!({"consents": {"sms": true, "email": false}}),
    );
    assert_eq!(r.status, 200);
    assert_eq!(f.repay(loan, "6.00", 0).status, 201);
    let before = f.app.count("notices");

    let saldo = json!({"from": "+51987654321", "body": "SALDO"});
    assert_eq!(inbound(&f, &saldo, None).status, 401, "no signature");
    assert_eq!(inbound(&f, &saldo, Some("wrong-secret")).status, 401, "wrong secret");
    assert_eq!(f.app.count("notices"), before);

    let stranger = inbound(
        &f,
        &json!({"from": "+51911111111", "body": "saldo"}),
        Some(INBOUND_SECRET),
    );
    assert_eq!(stranger.status, 200);
    assert_eq!(f.app.count("notices"), before, "an unknown phone learns nothing");

    for (i, text) in ["saldo", " Sáldo ", "S A L D O"].iter().enumerate() {
        let r = inbound(&f, &json!({"from": "987 654 321", "body": text}), Some(INBOUND_SECRET));
        assert_eq!(r.status, 200);
        assert_eq!(r.body, stranger.body, "the same answer for members and strangers");
        assert_eq!(f.app.count("notices"), before + 1 + i as i64, "{text}");
    }
    let reply = &notices(&f, "status=queued")[0];
    assert_eq!(reply["kind"], "balance_reply");
    assert_eq!(reply["to"], "+51987654321", "only to the phone registered to her");
    assert!(
        reply["body"].as_str().unwrap().contains("su saldo es S/ 312.00"),
        "{reply}"
    );

    // A flood from one phone: only the first few in an hour are acted on.
    for _ in 0..10 {
        inbound(
            &f,
            &json!({"from": "+51987654321", "body": "SALDO"}),
            Some(INBOUND_SECRET),
        );
    }
    assert_eq!(f.app.count("notices"), before + 5, "at most 5 a phone an hour");
    let stored = f.app.count("inbound_sms");
    for from in ["+5198765\u{0}4321", "+51987654321\u{202E}", &"9".repeat(41)] {
        let r = inbound(&f, &json!({"from": from, "body": "SALDO"}), Some(INBOUND_SECRET));
        assert_eq!(r.error_fields(), vec!["from"], "{from:?}");
    }
    assert_eq!(f.app.count("inbound_sms"), stored, "nothing stored");
    let malformed = inbound(&f, &json!({"nope": 1}), Some(INBOUND_SECRET));
    assert_eq!(malformed.status, 422);
    assert_eq!(malformed.error_fields(), vec!["nope", "from", "body"]);
}

#[test]
fn saldo_without_sms_consent_or_from_a_phone_two_members_share_sends_nothing() {
    let (f, _loan) = borrower("es");
    let saldo = |from: &str| {
        let r = inbound(&f, &json!({"from": from, "body": "SALDO"}), Some(INBOUND_SECRET));
        assert_eq!(r.status, 200, "{}", r.body);
        r.body
    };
    let stranger = saldo("+51911111111");
    // Her phone, but she withdrew her SMS consent: the same answer as a stranger's, nothing sent.
    let r = f.admin.patch(
        &format!("/api/v1/members/{}", f.member),
        &json!({"consents": {"sms": false}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let before = f.app.count("notices");
    assert_eq!(saldo("+51987654321"), stranger);
    assert_eq!(f.app.count("notices"), before, "no consent, no reply");

    // Consent again, but her sister registers the same phone: whose balance? Nobody's.
    let r = f.admin.patch(
        &format!("/api/v1/members/{}", f.member),
        &json!({"consents": {"sms": true}}),
    );
    assert_eq!(r.status, 200, "{}", r.body);
    let sister = f.app.create_member(
        &f.admin,
        f.org,
        json!({"first_name": "Vilma", "phone": "987654321", "consents": {"sms": true}}),
    );
    assert_eq!(sister["phone"], "+51987654321");
    let before = f.app.count("notices");
    assert_eq!(saldo("+51987654321"), stranger);
    assert_eq!(f.app.count("notices"), before, "a shared phone gets no one's balance");
    let outcomes: Vec<String> = {
        use diesel::prelude::*;
        use pallay::db::schema::inbound_sms;
        let mut conn = f.app.db.get().unwrap();
        inbound_sms::table
            .order(inbound_sms::id)
            .select(inbound_sms::outcome)
            .load(&mut *conn)
            .unwrap()
    };
    assert_eq!(outcomes, ["unknown_phone", "no_consent", "unknown_phone"]);
}

#[test]
fn coordinators_see_failed_notices_on_a_page_and_retry_them() {
    use crate::helpers::PASSWORD;
    let (f, loan) = borrower("es");
    assert_eq!(f.repay(loan, "7.00", 0).status, 201);
    let provider = SmsProvider::start();
    provider.answer(400, None, "no such number");
    let senders = Senders {
        sms: Box::new(HttpSms::new(provider.url.clone(), None)),
        email: Box::new(pallay::outbox::gateway::LogSender { channel: "email" }),
    };
    assert_eq!(deliver(&f.app.db, &senders, &policy(), now()).unwrap().failed, 1);

    let coordinator = f
        .app
        .create_user(pallay::auth::policy::Role::Coordinator, vec![f.org], None);
    let mut browser = f.app.browser();
    browser.login(&coordinator.username, PASSWORD);
    let page = browser.get("/notices?status=failed");
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("no such number") && page.body.contains("Reintentar"),
        "{}",
        page.body
    );
    let id = notices(&f, "status=failed")[0]["id"].as_i64().unwrap();
    let retried = browser.submit("/notices?status=failed", &format!("/notices/{id}/retry"), &[]);
    assert_eq!(retried.status, 303);
    assert!(notices(&f, "status=failed").is_empty());

    let before = f.app.count("notices");
    let sent = browser.submit(
        &format!("/funds/{}", f.fund),
        &format!("/funds/{}/statements", f.fund),
        &[],
    );
    assert_eq!(sent.status, 303);
    assert_eq!(f.app.count("notices"), before + 2, "her statement by SMS and by email");
}

#[test]
fn anonymising_a_member_erases_her_address_and_texts_from_the_outbox() {
    let (f, loan) = borrower("es");
    assert_eq!(f.repay(loan, "8.00", 0).status, 201);
    let r = inbound(
        &f,
        &json!({"from": "+51987654321", "body": "SALDO"}),
        Some(INBOUND_SECRET),
    );
    assert_eq!(r.status, 200);
    assert_eq!(
        f.admin
            .post(&format!("/api/v1/members/{}/anonymize", f.member), &json!({}))
            .status,
        200
    );
    let all = notices(&f, "");
    assert_eq!(all.len(), 3, "receipt by SMS and email, and the SALDO reply");
    for n in &all {
        assert_eq!(n["status"], "cancelled", "nothing queued goes out after");
    }
    // Her number, her name and her email are nowhere: not in the outbox, the texts she sent,
    // the audit log — in any case.
    for secret in ["987654321", "justina", "JUSTINA@EXAMPLE.ORG"] {
        let found = f.app.columns_holding(secret);
        assert!(found.is_empty(), "{secret} is still in {found:?}");
    }
}

fn stamped(from: &str, text: &str, at: chrono::NaiveDateTime) -> Value {
    json!({"from": from, "body": text, "sent_at": at.and_utc().to_rfc3339()})
}

/// Issue 15, item 10: a signed message that carries its time is acted on once, and only while fresh.
#[test]
fn a_stamped_saldo_replayed_is_acted_on_once_and_an_old_one_not_at_all() {
    let (f, _loan) = borrower("es");
    let before = (f.app.count("notices"), f.app.count("inbound_sms"));
    let saldo = stamped("+51987654321", "SALDO", now());
    let first = inbound(&f, &saldo, Some(INBOUND_SECRET));
    assert_eq!(first.json()["status"], "received", "{}", first.body);
    assert_eq!(f.app.count("notices"), before.0 + 1, "her balance is queued");
    for _ in 0..3 {
        let again = inbound(&f, &saldo, Some(INBOUND_SECRET));
        assert_eq!(again.status, 200, "a gateway's retry is not an error");
        assert_eq!(again.json()["status"], "duplicate");
    }
    // The same signature written otherwise (capitals, spaces) is the same message.
    let raw = saldo.to_string();
    let signature = pallay::notices::inbound::sign(INBOUND_SECRET, raw.as_bytes())
        .to_uppercase()
        .replace("SHA256=", "sha256=  ");
    let written_otherwise = f.app.api().request_with_headers(
        "POST",
        "/api/v1/sms/inbound",
        Some(&raw),
        &[("Content-Type", "application/json"), ("X-Pallay-Signature", &signature)],
    );
    assert_eq!(
        written_otherwise.json()["status"],
        "duplicate",
        "{}",
        written_otherwise.body
    );
    assert_eq!(f.app.count("notices"), before.0 + 1, "the replays queued nothing");
    assert_eq!(f.app.count("inbound_sms"), before.1 + 1, "and are not stored again");

    // The same words sent again later are a new message (another time, another signature).
    let later_saldo = stamped("+51987654321", "SALDO", now() + chrono::Duration::seconds(1));
    assert_eq!(
        inbound(&f, &later_saldo, Some(INBOUND_SECRET)).json()["status"],
        "received"
    );
    assert_eq!(f.app.count("notices"), before.0 + 2);

    let stored = f.app.count("inbound_sms");
    for at in [
        now() - chrono::Duration::minutes(10),
        now() + chrono::Duration::minutes(10),
    ] {
        let r = inbound(&f, &stamped("+51987654321", "SALDO", at), Some(INBOUND_SECRET));
        assert_eq!(r.error_fields(), vec!["sent_at"], "{at}: {}", r.body);
    }
    let r = inbound(
        &f,
        &json!({"from": "+51987654321", "body": "SALDO", "sent_at": "ayer"}),
        Some(INBOUND_SECRET),
    );
    assert_eq!(r.error_fields(), vec!["sent_at"]);
    assert_eq!(f.app.count("inbound_sms"), stored, "nothing refused is stored");
    assert_eq!(f.app.count("notices"), before.0 + 2, "nor answered");
}

#[test]
fn a_gateway_configured_to_stamp_must_stamp() {
    let app = crate::helpers::spawn_app_with(|c| c.notices.sms_inbound_require_sent_at = true);
    let send = |body: &Value| {
        let raw = body.to_string();
        let signature = pallay::notices::inbound::sign(INBOUND_SECRET, raw.as_bytes());
        app.api().request_with_headers(
            "POST",
            "/api/v1/sms/inbound",
            Some(&raw),
            &[("Content-Type", "application/json"), ("X-Pallay-Signature", &signature)],
        )
    };
    let unstamped = send(&json!({"from": "+51911111111", "body": "SALDO"}));
    assert_eq!(unstamped.error_fields(), vec!["sent_at"], "{}", unstamped.body);
    let fresh = send(&stamped("+51911111111", "SALDO", now()));
    assert_eq!(fresh.status, 200, "{}", fresh.body);
    assert_eq!(app.count("inbound_sms"), 1);
}
