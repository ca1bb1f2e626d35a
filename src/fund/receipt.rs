//! The fund's notices that follow an event or a request: the receipt after a repayment, and a
//! member's balance as a statement (monthly, or on the coordinator's button) or as the reply to
//! her `SALDO`. Each is composed here from the books and handed to the outbox as a draft.

use chrono::{NaiveDate, NaiveDateTime};
use diesel::prelude::*;

use crate::db::prepared::Batch;
use crate::db::schema::loans;
use crate::db::DbConn;
use crate::error::AppResult;
use crate::fund::allocation::Allocation;
use crate::fund::balance::member_balance;
use crate::fund::installment::Installment;
use crate::fund::model::{Fund, Loan, LoanStatus};
use crate::fund::standing::standing;
use crate::money::Money;
use crate::outbox::queue::{
    already_queued, date, queue, queue_to, recall, Channel, Dedupe, Draft, Kind, Recipient, Vars,
};

pub const BOTH: &[Channel] = &[Channel::Sms, Channel::Email];

/// The receipt after a repayment: what it paid, what is left, the next installment.
#[allow(clippy::too_many_arguments)]
pub fn queue_receipt(
    conn: &mut DbConn,
    batch: &mut Batch,
    her: &Recipient,
    fund: &Fund,
    installments: &[Installment],
    repayment_id: i64,
    amount: Money,
    paid_on: NaiveDate,
    allocation: &Allocation,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let left = standing(installments, fund, today);
    let paid_off = left.total().is_zero();
    let (penalties, interest, principal) = (allocation.penalties, allocation.interest, allocation.principal);
    let vars = move |channel: Channel| -> Vars {
        let mut vars = vec![
            ("amount", amount.to_string()),
            ("date", date(channel, paid_on)),
            ("penalties", penalties.to_string()),
            ("interest", interest.to_string()),
            ("principal", principal.to_string()),
            ("balance", left.total().to_string()),
            ("next_due_amount", left.next_due_amount.to_string()),
        ];
        if let Some(d) = left.next_due_date {
            vars.push(("next_due_date", date(channel, d)));
        }
        vars
    };
    let draft = Draft {
        kind: Kind::Receipt,
        template: if paid_off { "receipt_final" } else { "receipt" },
        channels: BOTH,
        dedupe: Dedupe::New(format!("receipt:{repayment_id}")),
        vars: &vars,
    };
    queue_to(conn, batch, her, &draft, now)
}

/// After a repayment is reversed, what she was told of it is set right: a receipt still waiting in
/// the outbox is cancelled (she never hears of the payment); on each channel where it went out (or
/// is going out now) she is told the payment was undone and what she owes now, in one SMS.
#[allow(clippy::too_many_arguments)]
pub fn correct_receipt(
    conn: &mut DbConn,
    loan: &Loan,
    fund: &Fund,
    installments: &[Installment],
    repayment_id: i64,
    amount: Money,
    paid_on: NaiveDate,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let told = recall(conn, &format!("receipt:{repayment_id}"), now)?;
    if told.is_empty() {
        return Ok(0);
    }
    let balance = standing(installments, fund, today).total();
    let vars = move |channel: Channel| -> Vars {
        vec![
            ("amount", amount.to_string()),
            ("date", date(channel, paid_on)),
            ("balance", balance.to_string()),
        ]
    };
    let draft = Draft {
        kind: Kind::Correction,
        template: "correction",
        channels: &told,
        dedupe: Dedupe::Once(format!("correction:{repayment_id}")),
        vars: &vars,
    };
    queue(conn, loan.member_id, &draft, now)
}

/// Whether the receipt of a repayment went into the outbox (on any channel).
pub fn receipt_queued(conn: &mut DbConn, repayment_id: i64) -> AppResult<bool> {
    already_queued(conn, &format!("receipt:{repayment_id}"))
}

/// A member's balance over all her loans, as a statement (monthly, on request) or as the reply to
/// her `SALDO`.
pub fn queue_balance(
    conn: &mut DbConn,
    member_id: i64,
    kind: Kind,
    channels: &[Channel],
    dedupe_key: Option<String>,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let balance = member_balance(conn, member_id, today)?;
    let next = balance
        .loans
        .iter()
        .filter_map(|l| Some((l.next_due_date.clone()?, l.next_due_amount)))
        .min_by(|a, b| a.0.cmp(&b.0));
    let total = balance.total_outstanding;
    let clear = total.is_zero();
    let vars = move |channel: Channel| -> Vars {
        let mut vars = vec![("date", date(channel, today)), ("balance", total.to_string())];
        if let Some((due, amount)) = &next {
            if let Ok(due) = due.parse::<NaiveDate>() {
                vars.push(("next_due_date", date(channel, due)));
            }
            vars.push(("next_due_amount", amount.to_string()));
        }
        vars
    };
    let template = match (kind, clear) {
        (Kind::BalanceReply, false) => "balance_reply",
        (Kind::BalanceReply, true) => "balance_reply_clear",
        (_, false) => "statement",
        (_, true) => "statement_clear",
    };
    let draft = Draft {
        kind,
        template,
        channels,
        dedupe: dedupe_key.map_or(Dedupe::Never, Dedupe::Once),
        vars: &vars,
    };
    queue(conn, member_id, &draft, now)
}

/// A member gets one statement a month, whoever asks for it first: the calendar on its day or the
/// coordinator's button. Both come here; once this month's is queued on any channel, neither
/// queues another. Returns how many notices were queued.
pub fn queue_monthly_statement(
    conn: &mut DbConn,
    member_id: i64,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let key = format!("statement:{member_id}:{}", today.format("%Y-%m"));
    if already_queued(conn, &key)? {
        return Ok(0);
    }
    queue_balance(conn, member_id, Kind::Statement, BOTH, Some(key), today, now)
}

/// Statements for every borrower of a fund with a loan outstanding (the coordinator's button).
/// A borrower who already had this month's statement gets nothing more.
pub fn queue_fund_statements(
    conn: &mut DbConn,
    fund_id: i64,
    today: NaiveDate,
    now: NaiveDateTime,
) -> AppResult<usize> {
    let mut borrowers: Vec<i64> = loans::table
        .filter(loans::fund_id.eq(fund_id))
        .filter(loans::status.eq(LoanStatus::Disbursed.as_str()))
        .select(loans::member_id)
        .load(conn)?;
    borrowers.sort_unstable();
    borrowers.dedup();
    let mut queued = 0;
    for member_id in borrowers {
        queued += queue_monthly_statement(conn, member_id, today, now)?;
    }
    Ok(queued)
}

/// What is overdue on a loan on a date (installments past their due date, with penalties).
pub fn overdue(installments: &[Installment], fund: &Fund, as_of: NaiveDate) -> Money {
    let s = standing(installments, fund, as_of);
    installments
        .iter()
        .zip(&s.owed)
        .filter(|(i, _)| i.due_date < as_of)
        .map(|(_, o)| o.total())
        .sum()
}
