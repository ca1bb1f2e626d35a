//! Queuing notices: in the same transaction as the event that causes them, only on the channels
//! the member consented to, to the address on her record, in her language.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::model::{NewNotice, NoticeStatus};
use super::template::render;
use crate::db::prepared::Batch;
use crate::db::schema::{members, notices};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::input::closed_set;
use crate::money::Money;

closed_set!(
    /// Why a notice is sent (its template's name, less the variant).
    Kind, "notice_kind_unknown", {
        Receipt => "receipt",
        Statement => "statement",
        DueReminder => "due_reminder",
        ArrearsReminder => "arrears_reminder",
        ActionDue => "action_due",
        BalanceReply => "balance_reply",
        Correction => "correction",
    }
);

closed_set!(
    Channel, "channel_unknown", {
        Sms => "sms",
        Email => "email",
    }
);

/// Dates as people read them: short in an SMS (every character counts), full in an email.
pub fn date(channel: Channel, d: NaiveDate) -> String {
    match channel {
        Channel::Sms => d.format("%d/%m").to_string(),
        Channel::Email => d.format("%d/%m/%Y").to_string(),
    }
}

/// A first name short enough for an SMS: the first of several given names when long.
pub fn short_name(first_name: &str) -> String {
    let name = first_name.trim();
    if name.chars().count() > 12 {
        name.split_whitespace().next().unwrap_or(name).to_string()
    } else {
        name.to_string()
    }
}

/// What one notice says, per channel (dates differ).
pub type Vars = Vec<(&'static str, String)>;

/// A notice to queue: its kind, template, what it says, and whether it may go more than once.
pub struct Draft<'a> {
    pub kind: Kind,
    /// The template's name: the kind, or a variant of it (`receipt_final`).
    pub template: &'a str,
    pub channels: &'a [Channel],
    pub dedupe: Dedupe,
    pub vars: &'a dyn Fn(Channel) -> Vars,
}

/// Whether queuing a notice again does nothing. A key is kept per channel (`key:sms`); the
/// database refuses a key twice.
pub enum Dedupe {
    /// Every time it is asked for.
    Never,
    /// Once per key: a notice whose key was queued before is not queued again (a reminder of one
    /// due date, a statement of one month).
    Once(String),
    /// Once per key, and the key names what this transaction has just written (a repayment's
    /// receipt), so no notice can hold it yet: queued without looking.
    New(String),
}

impl Dedupe {
    fn key(&self) -> Option<&str> {
        match self {
            Dedupe::Never => None,
            Dedupe::Once(key) | Dedupe::New(key) => Some(key),
        }
    }
}

/// What the outbox reads of a member: how she can be reached, her name and language. An event
/// that reads her anyway (a repayment) reads this with it and queues with [`queue_to`].
#[derive(Queryable, Selectable, QueryableByName)]
#[diesel(table_name = members)]
pub struct Recipient {
    id: i64,
    first_name: String,
    phone: Option<String>,
    email: Option<String>,
    language: String,
    sms_consent: bool,
    email_consent: bool,
    anonymized_at: Option<NaiveDateTime>,
}

impl Recipient {
    /// Where a notice on `channel` goes: only with her consent, never once she is anonymised.
    fn address(&self, channel: Channel) -> Option<String> {
        if self.anonymized_at.is_some() {
            return None;
        }
        match channel {
            Channel::Sms if self.sms_consent => self.phone.clone(),
            Channel::Email if self.email_consent => self.email.clone(),
            _ => None,
        }
    }
}

/// Queues the draft on each of its channels the member consented to and has an address for.
/// Returns how many notices were queued.
pub fn queue(conn: &mut DbConn, member_id: i64, draft: &Draft, now: NaiveDateTime) -> AppResult<usize> {
    let mut batch = Batch::new();
    let queued = queue_in(conn, &mut batch, member_id, draft, now)?;
    batch.run(conn)?;
    Ok(queued)
}

/// [`queue`], its notices added to a batch of writes (sent with the event's other writes).
pub fn queue_in(
    conn: &mut DbConn,
    batch: &mut Batch,
    member_id: i64,
    draft: &Draft,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let member: Recipient = members::table
        .find(member_id)
        .select(Recipient::as_select())
        .get_result(conn)?;
    queue_to(conn, batch, &member, draft, now)
}

/// [`queue_in`], to a member already read.
pub fn queue_to(
    conn: &mut DbConn,
    batch: &mut Batch,
    member: &Recipient,
    draft: &Draft,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let mut queued = 0;
    for channel in draft.channels {
        let Some(to) = member.address(*channel) else { continue };
        let key = draft.dedupe.key().map(|k| format!("{k}:{}", channel.as_str()));
        if let (Dedupe::Once(_), Some(key)) = (&draft.dedupe, &key) {
            let taken: i64 = notices::table
                .filter(notices::dedupe_key.eq(key))
                .count()
                .get_result(conn)?;
            if taken > 0 {
                continue;
            }
        }
        let mut vars = (draft.vars)(*channel);
        vars.push(("name", short_name(&member.first_name)));
        let Some(text) = render(channel.as_str(), draft.template, &member.language, &vars) else {
            tracing::error!(
                template = draft.template,
                channel = channel.as_str(),
                "notice template missing"
            );
            continue;
        };
        batch.push(
            NewNotice {
                member_id: member.id,
                kind: draft.kind.as_str(),
                channel: channel.as_str(),
                recipient: &to,
                language: &text.language,
                subject: text.subject.as_deref(),
                body: &text.body,
                html_body: text.html_body.as_deref(),
                status: NoticeStatus::Queued.as_str(),
                attempts: 0,
                next_attempt_at: now,
                dedupe_key: key.as_deref(),
                created_at: now,
            }
            .writing(),
        );
        queued += 1;
    }
    Ok(queued)
}

/// After a member's record changes: what is queued on a channel she no longer consents to, or
/// to an address that is no longer hers, is cancelled, never sent.
pub fn withdraw_stale(conn: &mut DbConn, member_id: i64) -> AppResult<usize> {
    let recipient: Recipient = members::table
        .find(member_id)
        .select(Recipient::as_select())
        .get_result(conn)?;
    let mut cancelled = 0;
    for channel in Channel::ALL {
        let still = recipient.address(*channel);
        let stale = notices::table
            .filter(notices::member_id.eq(member_id))
            .filter(notices::channel.eq(channel.as_str()))
            .filter(notices::status.eq(NoticeStatus::Queued.as_str()));
        cancelled += match still {
            Some(to) => diesel::update(stale.filter(notices::recipient.ne(to)))
                .set((
                    notices::status.eq(NoticeStatus::Cancelled.as_str()),
                    notices::lease_until.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?,
            None => diesel::update(stale)
                .set((
                    notices::status.eq(NoticeStatus::Cancelled.as_str()),
                    notices::lease_until.eq(None::<NaiveDateTime>),
                ))
                .execute(conn)?,
        };
    }
    Ok(cancelled)
}

/// Takes back a keyed notice (keys are `{key}:{channel}`) because what it said is no longer true:
/// on each channel where it still waits in the queue it is cancelled, never sent. Returns the
/// channels where it went out, or is going out now (a worker holds it), and she was, or will be,
/// told — those need a correction.
pub fn recall(conn: &mut DbConn, key: &str, now: NaiveDateTime) -> AppResult<Vec<Channel>> {
    let mut told = Vec::new();
    for channel in Channel::ALL {
        let keyed = format!("{key}:{}", channel.as_str());
        let status: Option<String> = notices::table
            .filter(notices::dedupe_key.eq(&keyed))
            .select(notices::status)
            .get_result(conn)
            .optional()?;
        let Some(status) = status else { continue };
        if status == NoticeStatus::Queued.as_str() {
            let waiting = notices::table
                .filter(notices::dedupe_key.eq(&keyed))
                .filter(notices::status.eq(NoticeStatus::Queued.as_str()))
                .filter(notices::lease_until.is_null().or(notices::lease_until.le(now)));
            let cancelled = diesel::update(waiting)
                .set(notices::status.eq(NoticeStatus::Cancelled.as_str()))
                .execute(conn)?;
            if cancelled == 0 {
                told.push(*channel); // a worker is sending it right now
            }
        } else if status == NoticeStatus::Sent.as_str() {
            told.push(*channel);
        }
    }
    Ok(told)
}

/// Whether a keyed notice was already queued, on any channel (keys are `{key}:{channel}`).
pub fn already_queued(conn: &mut DbConn, key: &str) -> AppResult<bool> {
    let keys: Vec<String> = Channel::ALL.iter().map(|c| format!("{key}:{}", c.as_str())).collect();
    let n: i64 = notices::table
        .filter(notices::dedupe_key.eq_any(keys))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// On anonymisation: the notices sent to her keep their kind, channel, status and dates (for the
/// counts) but no longer her address or what they said; the SMS she sent in lose her number.
pub fn redact(conn: &mut DbConn, member_id: i64) -> AppResult<()> {
    use crate::db::schema::inbound_sms;
    let redacted = crate::audit::REDACTED;
    diesel::update(notices::table.filter(notices::member_id.eq(member_id)))
        .set((
            notices::recipient.eq(redacted),
            notices::subject.eq(None::<String>),
            notices::body.eq(redacted),
            notices::html_body.eq(None::<String>),
        ))
        .execute(conn)?;
    diesel::update(inbound_sms::table.filter(inbound_sms::member_id.eq(member_id)))
        .set((inbound_sms::from_phone.eq(redacted), inbound_sms::body.eq(redacted)))
        .execute(conn)?;
    Ok(())
}

/// Values of every variable a template may use, for tests that check the templates.
pub fn example_vars() -> Vars {
    let m = |s: &str| Money::parse(s).map(|m| m.to_string()).unwrap_or_default();
    vec![
        ("name", "Maximiliana".into()),
        ("date", "22/11".into()),
        ("amount", m("1234.50")),
        ("principal", m("1200.00")),
        ("interest", m("24.50")),
        ("penalties", m("10.00")),
        ("balance", m("10000.00")),
        ("next_due_date", "22/12".into()),
        ("next_due_amount", m("1234.50")),
        ("due_date", "25/11".into()),
        ("overdue_amount", m("2469.00")),
        ("days_late", "120".into()),
        ("action", "Organizar la guardería de la planta".into()),
        ("committee", "Comité de equidad de género de CECOMIP".into()),
    ]
}

#[cfg(test)]
mod tests {
    use super::super::gsm7::{segments, septets};
    use super::super::template::{languages, render};
    use super::*;

    /// Realistic long names and large amounts: every SMS still fits one 160-character segment.
    #[test]
    fn every_sms_fits_one_segment_for_realistic_names_and_amounts() {
        let notices = [
            "receipt",
            "receipt_final",
            "statement",
            "statement_clear",
            "balance_reply",
            "balance_reply_clear",
            "due_reminder",
            "arrears_reminder",
            "correction",
        ];
        for first_name in ["Maximiliana", "Rosa Luz", "Ñusta", "Bartolomé", "Teodora Concepción"] {
            let mut vars = example_vars();
            vars.retain(|(k, _)| *k != "name");
            vars.push(("name", short_name(first_name)));
            for notice in notices {
                let langs = languages("sms", notice);
                assert!(langs.contains(&"es") && langs.contains(&"en"), "{notice}: {langs:?}");
                for lang in langs {
                    let text = render("sms", notice, lang, &vars).unwrap().body;
                    assert!(septets(&text).is_some(), "{lang}/{notice} is not GSM-7: {text}");
                    assert_eq!(segments(&text), 1, "{lang}/{notice} is {} septets: {text}", text.len());
                }
            }
        }
    }

    #[test]
    fn dates_are_short_in_an_sms_and_full_in_an_email() {
        let d = NaiveDate::from_ymd_opt(2026, 12, 5).unwrap();
        assert_eq!(date(Channel::Sms, d), "05/12");
        assert_eq!(date(Channel::Email, d), "05/12/2026");
        assert_eq!(short_name("Teodora Concepción"), "Teodora");
        assert_eq!(short_name("Rosa Luz"), "Rosa Luz");
    }
}
