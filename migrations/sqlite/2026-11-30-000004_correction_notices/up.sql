-- A notice may be a correction: a repayment she was told about was reversed.
-- SQLite cannot change a CHECK in place: the table is made anew with the same columns and rows.
-- Keep in step with ../../postgres/2026-11-30-000004_correction_notices/up.sql.
CREATE TABLE notices_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id BIGINT NOT NULL REFERENCES members (id),
    kind TEXT NOT NULL CHECK (kind IN ('receipt', 'statement', 'due_reminder', 'arrears_reminder', 'action_due', 'balance_reply', 'correction')),
    channel TEXT NOT NULL CHECK (channel IN ('sms', 'email')),
    recipient TEXT NOT NULL,
    language TEXT NOT NULL,
    subject TEXT,
    body TEXT NOT NULL,
    html_body TEXT,
    status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'failed', 'cancelled')),
    attempts BIGINT NOT NULL,
    next_attempt_at TIMESTAMP NOT NULL,
    lease_token TEXT,
    lease_until TIMESTAMP,
    last_error TEXT,
    provider_message_id TEXT,
    -- Set for notices that must go out once only (a reminder for one installment, a month's statement).
    dedupe_key TEXT,
    created_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP
);
INSERT INTO notices_new SELECT * FROM notices;
DROP TABLE notices;
ALTER TABLE notices_new RENAME TO notices;
CREATE UNIQUE INDEX notices_dedupe_key ON notices (dedupe_key);
CREATE INDEX notices_due_idx ON notices (status, next_attempt_at);
CREATE INDEX notices_member_idx ON notices (member_id);
