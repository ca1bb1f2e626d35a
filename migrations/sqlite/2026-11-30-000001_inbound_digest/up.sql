-- A signed inbound SMS that carries its own time (`sent_at`) is kept by its signature, so the
-- same signed message sent again is known as a repeat and acted on once.
-- Keep in step with ../../postgres/2026-11-30-000001_inbound_digest/up.sql.
ALTER TABLE inbound_sms ADD COLUMN digest TEXT;
CREATE UNIQUE INDEX inbound_sms_digest_idx ON inbound_sms (digest);
