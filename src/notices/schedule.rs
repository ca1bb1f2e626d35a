//! Notices that come from the calendar rather than an event: the monthly statement, the reminder
//! before a due date, the arrears reminder, and the email to whoever is responsible for a
//! committee action coming due. Each is keyed so that running this every few minutes queues
//! each notice once.

use chrono::{Datelike, Duration, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::compose::{overdue, queue_balance, statement_key, BOTH};
use super::outbox::{date, queue, Channel, Draft, Kind, Vars};
use crate::db::schema::{committee_actions, committees, loans, notices};
use crate::db::DbConn;
use crate::error::AppResult;
use crate::fund::model::{Fund, Installment, Loan};
use crate::fund::standing::standing;

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

/// Whether a keyed notice was already queued, on any channel (keys are `{key}:{channel}`).
fn already(conn: &mut DbConn, key: &str) -> AppResult<bool> {
    let keys: Vec<String> = Channel::ALL.iter().map(|c| format!("{key}:{}", c.as_str())).collect();
    let n: i64 = notices::table
        .filter(notices::dedupe_key.eq_any(keys))
        .count()
        .get_result(conn)?;
    Ok(n > 0)
}

/// Queues what the calendar asks for today; returns how many notices were queued.
pub fn queue_scheduled(
    conn: &mut DbConn,
    calendar: &Calendar,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let mut queued = 0;
    let open: Vec<Loan> = loans::table
        .filter(loans::status.eq("disbursed"))
        .select(Loan::as_select())
        .load(conn)?;

    if today.day() == calendar.statement_day {
        let mut borrowers: Vec<i64> = open.iter().map(|l| l.member_id).collect();
        borrowers.sort_unstable();
        borrowers.dedup();
        for member_id in borrowers {
            let key = statement_key(member_id, today);
            if !already(conn, &key)? {
                queued += queue_balance(conn, member_id, Kind::Statement, BOTH, Some(key), today, now)?;
            }
        }
    }

    let funds: Vec<Fund> = crate::db::schema::funds::table.select(Fund::as_select()).load(conn)?;
    let mut schedules = Installment::of_loans(conn, &open.iter().map(|l| l.id).collect::<Vec<_>>())?;
    for loan in &open {
        let Some(fund) = funds.iter().find(|f| f.id == loan.fund_id) else {
            continue;
        };
        let all = schedules.remove(&loan.id).unwrap_or_default();
        let s = standing(&all, fund, today);
        let balance = s.total();
        // Before the due date of each unpaid installment.
        for (i, owed) in all.iter().zip(&s.owed) {
            let days_before = (i.due_date - today).num_days();
            if owed.total().is_zero() || !(0..=calendar.reminder_days).contains(&days_before) {
                continue;
            }
            let key = format!("due:{}", i.id);
            if already(conn, &key)? {
                continue;
            }
            let (amount, due) = (owed.total(), i.due_date);
            let vars = move |channel: Channel| -> Vars {
                vec![
                    ("amount", amount.to_string()),
                    ("due_date", date(channel, due)),
                    ("balance", balance.to_string()),
                ]
            };
            let draft = Draft {
                kind: Kind::DueReminder,
                template: "due_reminder",
                channels: BOTH,
                dedupe_key: Some(key),
                vars: &vars,
            };
            queued += queue(conn, loan.member_id, &draft, now)?;
        }
        // Once per installment that falls `arrears_days` behind.
        if s.days_past_due >= calendar.arrears_days {
            let Some(oldest) = all.iter().find(|i| !i.is_paid() && i.due_date < today) else {
                continue;
            };
            let key = format!("arrears:{}", oldest.id);
            if already(conn, &key)? {
                continue;
            }
            let (late, days) = (overdue(&all, fund, today), s.days_past_due);
            let vars = move |_: Channel| -> Vars {
                vec![
                    ("overdue_amount", late.to_string()),
                    ("days_late", days.to_string()),
                    ("balance", balance.to_string()),
                ]
            };
            let draft = Draft {
                kind: Kind::ArrearsReminder,
                template: "arrears_reminder",
                channels: BOTH,
                dedupe_key: Some(key),
                vars: &vars,
            };
            queued += queue(conn, loan.member_id, &draft, now)?;
        }
    }

    // Committee actions coming due, to their responsible member by email.
    let horizon = today + Duration::days(calendar.action_days);
    let due: Vec<(i64, i64, String, NaiveDate, String)> = committee_actions::table
        .inner_join(committees::table)
        .filter(committee_actions::status.eq_any(["pending", "in_progress"]))
        .filter(committee_actions::due_date.ge(today))
        .filter(committee_actions::due_date.le(horizon))
        .filter(committee_actions::responsible_member_id.is_not_null())
        .select((
            committee_actions::id,
            committee_actions::responsible_member_id.assume_not_null(),
            committee_actions::description,
            committee_actions::due_date,
            committees::name,
        ))
        .load(conn)?;
    for (id, member_id, description, due_date, committee) in due {
        let key = format!("action_due:{id}:{due_date}");
        if already(conn, &key)? {
            continue;
        }
        let vars = move |channel: Channel| -> Vars {
            vec![
                ("action", description.clone()),
                ("due_date", date(channel, due_date)),
                ("committee", committee.clone()),
            ]
        };
        let draft = Draft {
            kind: Kind::ActionDue,
            template: "action_due",
            channels: &[Channel::Email],
            dedupe_key: Some(key),
            vars: &vars,
        };
        queued += queue(conn, member_id, &draft, now)?;
    }
    Ok(queued)
}
