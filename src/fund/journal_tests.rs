//! Unit tests of `journal.rs` (kept apart so the rules read in one screen).

use super::*;

fn m(c: i64) -> Money {
    Money::from_centimos(c)
}

#[test]
fn an_entry_balances_when_both_sides_total_the_same_and_something_moved() {
    assert!(balanced(&[
        debit(Account::Cash, m(100)),
        credit(Account::CapitalDonor, m(100))
    ]));
    assert!(balanced(&[
        debit(Account::Cash, m(150)),
        credit(Account::LoansReceivable, m(100)),
        credit(Account::InterestIncome, m(50)),
    ]));
    assert!(!balanced(&[
        debit(Account::Cash, m(100)),
        credit(Account::CapitalDonor, m(99))
    ]));
    assert!(!balanced(&[debit(Account::Cash, m(100))]));
    assert!(!balanced(&[]), "an entry that moves nothing");
    assert!(!balanced(&[
        debit(Account::Cash, m(0)),
        credit(Account::CapitalDonor, m(0))
    ]));
}

#[test]
fn assets_and_losses_grow_with_debits_income_and_capital_with_credits() {
    let debit_normal: Vec<Account> = Account::ALL.iter().copied().filter(|a| a.is_debit_normal()).collect();
    assert_eq!(
        debit_normal,
        [Account::Cash, Account::LoansReceivable, Account::LoanLosses]
    );
    assert_eq!(
        debit(Account::Cash, m(5)),
        LineDraft {
            account: Account::Cash,
            debit: m(5),
            credit: m(0)
        }
    );
    assert_eq!(
        credit(Account::Cash, m(5)),
        LineDraft {
            account: Account::Cash,
            debit: m(0),
            credit: m(5)
        }
    );
    let totals = |account, d, c| {
        AccountBalance {
            account,
            debit: m(d),
            credit: m(c),
        }
        .balance()
    };
    assert_eq!(totals(Account::Cash, 500, 100), m(400));
    assert_eq!(totals(Account::CapitalDonor, 0, 500), m(500));
    assert_eq!(totals(Account::LoanLosses, 30, 0), m(30));
}
