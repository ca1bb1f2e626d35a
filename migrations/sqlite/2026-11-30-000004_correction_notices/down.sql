CREATE TABLE notices_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    member_id BIGINT NOT NULL REFERENCES members (id),
    kind TEXT NOT NULL CHECK (kind IN ('receipt', 'statement', 'due_reminder', 'arrears_reminder', 'action_due', 'balance_reply')),
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
INSERT INTO notices_old SELECT * FROM notices WHERE kind <> 'correction';
DROP TABLE notices;
ALTER TABLE notices_old RENAME TO notices;
CREATE UNIQUE INDEX notices_dedupe_key ON notices (dedupe_key);
CREATE INDEX notices_due_idx ON notices (status, next_attempt_at);
CREATE INDEX notices_member_idx ON notices (member_id);
