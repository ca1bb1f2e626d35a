//! The fund's notices that come from the calendar rather than an event: the monthly statement,
//! the reminder before a due date and the arrears reminder. Each is keyed so that running the
//! calendar every few minutes queues each notice once.

use chrono::{Datelike, NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use super::installment::Installment;
use super::model::{Fund, Loan, LoanStatus};
use super::receipt::{overdue, queue_monthly_statement, BOTH};
use super::standing::standing;
use crate::db::schema::loans;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::outbox::queue::{already_queued, date, queue, Channel, Dedupe, Draft, Kind, Vars};
use crate::outbox::Calendar;

/// The fund's notices of the calendar for `today`: the monthly statement on its day, the reminder
/// before each due date, and the arrears reminder once per late installment. Returns how many
/// notices were queued.
pub fn queue_reminders(
    conn: &mut DbConn,
    calendar: &Calendar,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let mut queued = 0;
    let open: Vec<Loan> = loans::table
        .filter(loans::status.eq(LoanStatus::Disbursed.as_str()))
        .select(Loan::as_select())
        .load(conn)?;

    if today.day() == calendar.statement_day {
        let mut borrowers: Vec<i64> = open.iter().map(|l| l.member_id).collect();
        borrowers.sort_unstable();
        borrowers.dedup();
        for member_id in borrowers {
            queued += queue_monthly_statement(conn, member_id, today, now)?;
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
            if already_queued(conn, &key)? {
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
                dedupe: Dedupe::Once(key),
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
            if already_queued(conn, &key)? {
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
                dedupe: Dedupe::Once(key),
                vars: &vars,
            };
            queued += queue(conn, loan.member_id, &draft, now)?;
        }
    }
    Ok(queued)
}
