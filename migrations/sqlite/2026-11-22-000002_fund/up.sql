-- The revolving fund: funds, contributions, loans and their schedules, repayments and reversals,
-- the double-entry journal (append-only), and idempotency records for money-moving requests.
-- Money is integer céntimos (BIGINT). Keep in step with ../../postgres/2026-11-22-000002_fund/up.sql.

CREATE TABLE funds (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    rounding_unit BIGINT NOT NULL CHECK (rounding_unit > 0),
    penalty_amount BIGINT NOT NULL CHECK (penalty_amount >= 0),
    penalty_after_days BIGINT NOT NULL CHECK (penalty_after_days >= 0),
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX funds_name_key ON funds (organization_id, name);

CREATE TABLE journal_entries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    date DATE NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('contribution', 'disbursement', 'repayment', 'reversal', 'write_off')),
    loan_id BIGINT,
    reverses_entry_id BIGINT REFERENCES journal_entries (id),
    memo TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX journal_entries_fund_date_idx ON journal_entries (fund_id, date);
CREATE INDEX journal_entries_loan_idx ON journal_entries (loan_id);

CREATE TABLE journal_lines (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    entry_id BIGINT NOT NULL REFERENCES journal_entries (id),
    account TEXT NOT NULL CHECK (account IN ('cash', 'loans_receivable', 'interest_income', 'penalty_income',
                                             'capital_donor', 'capital_member', 'loan_losses')),
    debit BIGINT NOT NULL CHECK (debit >= 0),
    credit BIGINT NOT NULL CHECK (credit >= 0),
    CHECK ((debit = 0) <> (credit = 0))
);
CREATE INDEX journal_lines_entry_idx ON journal_lines (entry_id);

-- The journal is append-only: a mistake is fixed by a reversing entry, never by editing.
CREATE TRIGGER journal_entries_no_update BEFORE UPDATE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
CREATE TRIGGER journal_entries_no_delete BEFORE DELETE ON journal_entries
BEGIN SELECT RAISE(ABORT, 'journal entries are append-only'); END;
CREATE TRIGGER journal_lines_no_update BEFORE UPDATE ON journal_lines
BEGIN SELECT RAISE(ABORT, 'journal lines are append-only'); END;
CREATE TRIGGER journal_lines_no_delete BEFORE DELETE ON journal_lines
BEGIN SELECT RAISE(ABORT, 'journal lines are append-only'); END;

CREATE TABLE contributions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    source TEXT NOT NULL CHECK (source IN ('donor', 'member')),
    member_id BIGINT REFERENCES members (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    date DATE NOT NULL,
    note TEXT,
    entry_id BIGINT NOT NULL REFERENCES journal_entries (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE loans (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    member_id BIGINT NOT NULL REFERENCES members (id),
    principal BIGINT NOT NULL CHECK (principal > 0),
    interest_method TEXT NOT NULL CHECK (interest_method IN ('flat', 'declining')),
    rate_per_period TEXT NOT NULL,
    periods BIGINT NOT NULL CHECK (periods > 0),
    frequency TEXT NOT NULL CHECK (frequency IN ('weekly', 'fortnightly', 'monthly')),
    first_due_date DATE NOT NULL,
    grace_periods BIGINT NOT NULL CHECK (grace_periods >= 0),
    purpose TEXT,
    status TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'rejected', 'cancelled', 'disbursed', 'repaid', 'written_off')),
    requested_by BIGINT NOT NULL REFERENCES users (id),
    decided_by BIGINT REFERENCES users (id),
    decided_at TIMESTAMP,
    disbursed_on DATE,
    written_off_on DATE,
    status_reason TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX loans_fund_idx ON loans (fund_id, status);
CREATE INDEX loans_member_idx ON loans (member_id);

-- The schedule. The paid columns are a projection of the repayments, written in the same
-- transaction; a test checks them against the journal.
CREATE TABLE installments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    loan_id BIGINT NOT NULL REFERENCES loans (id),
    number BIGINT NOT NULL,
    due_date DATE NOT NULL,
    principal BIGINT NOT NULL,
    interest BIGINT NOT NULL,
    principal_paid BIGINT NOT NULL,
    interest_paid BIGINT NOT NULL,
    penalty_paid BIGINT NOT NULL,
    paid_off_on DATE
);
CREATE UNIQUE INDEX installments_loan_number_key ON installments (loan_id, number);

CREATE TABLE repayments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    loan_id BIGINT NOT NULL REFERENCES loans (id),
    amount BIGINT NOT NULL CHECK (amount > 0),
    date DATE NOT NULL,
    receipt_number TEXT,
    penalties BIGINT NOT NULL,
    interest BIGINT NOT NULL,
    principal BIGINT NOT NULL,
    entry_id BIGINT NOT NULL REFERENCES journal_entries (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX repayments_loan_idx ON repayments (loan_id);

CREATE TABLE repayment_allocations (
    repayment_id BIGINT NOT NULL REFERENCES repayments (id),
    installment_id BIGINT NOT NULL REFERENCES installments (id),
    penalty BIGINT NOT NULL,
    interest BIGINT NOT NULL,
    principal BIGINT NOT NULL,
    PRIMARY KEY (repayment_id, installment_id)
);

-- At most one reversal per repayment, enforced here.
CREATE TABLE repayment_reversals (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    repayment_id BIGINT NOT NULL REFERENCES repayments (id),
    reason TEXT NOT NULL,
    date DATE NOT NULL,
    entry_id BIGINT NOT NULL REFERENCES journal_entries (id),
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX repayment_reversals_repayment_key ON repayment_reversals (repayment_id);

-- Idempotency-Key records: one per user, route and key, holding the first answer.
CREATE TABLE idempotency_keys (
    user_id BIGINT NOT NULL REFERENCES users (id),
    route TEXT NOT NULL,
    key TEXT NOT NULL,
    request_hash TEXT NOT NULL,
    status BIGINT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (user_id, route, key)
);
