DELETE FROM notices WHERE kind = 'correction';
ALTER TABLE notices DROP CONSTRAINT notices_kind_check;
ALTER TABLE notices ADD CONSTRAINT notices_kind_check CHECK (kind IN ('receipt', 'statement', 'due_reminder', 'arrears_reminder', 'action_due', 'balance_reply'));
