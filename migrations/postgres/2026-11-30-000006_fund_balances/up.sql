-- Each fund's accounts as running totals, written in the transaction of every journal entry, so
-- the fund's balances of today cost the same at a thousand lines or a million. The journal stays
-- the truth: `pallay check` compares these with its sums. Reports of past dates sum the journal.
-- Keep in step with ../../sqlite/2026-11-30-000006_fund_balances/up.sql.
CREATE TABLE fund_balances (
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    account TEXT NOT NULL,
    debit BIGINT NOT NULL,
    credit BIGINT NOT NULL,
    PRIMARY KEY (fund_id, account)
);
INSERT INTO fund_balances (fund_id, account, debit, credit)
SELECT e.fund_id, l.account, SUM(l.debit), SUM(l.credit)
FROM journal_lines l JOIN journal_entries e ON e.id = l.entry_id
GROUP BY e.fund_id, l.account;
