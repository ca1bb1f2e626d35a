-- The outbox of notices to members (SMS and email), and the SMS members send in.
-- Keep in step with ../../postgres/2026-11-22-000006_notices/up.sql.

-- A notice is queued in the same transaction as the event that causes it, and sent by a worker:
-- a worker claims a row by setting a lease (lease_token, lease_until); a row whose lease has run
-- out is claimable again, so a worker that dies between claiming and sending loses nothing.
CREATE TABLE notices (
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
CREATE UNIQUE INDEX notices_dedupe_key ON notices (dedupe_key);
CREATE INDEX notices_due_idx ON notices (status, next_attempt_at);
CREATE INDEX notices_member_idx ON notices (member_id);

-- Every SMS received, for the per-phone rate limit and to answer "did she ask?".
CREATE TABLE inbound_sms (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    from_phone TEXT NOT NULL,
    body TEXT NOT NULL,
    member_id BIGINT REFERENCES members (id),
    outcome TEXT NOT NULL,
    received_at TIMESTAMP NOT NULL
);
CREATE INDEX inbound_sms_phone_idx ON inbound_sms (from_phone, received_at);
