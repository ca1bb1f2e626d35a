-- A notice may be a correction: a repayment she was told about was reversed.
-- Keep in step with ../../sqlite/2026-11-30-000004_correction_notices/up.sql.
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('receipt', 'statement', 'due_reminder', 'arrears_reminder', 'action_due', 'balance_reply', 'correction'));
