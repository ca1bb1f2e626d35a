DROP INDEX inbound_sms_digest_idx;
ALTER TABLE inbound_sms DROP COLUMN digest;
