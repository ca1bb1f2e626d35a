-- A fund's books closed up to a date: nothing dated on or before it may be posted. A closure is
-- reopened (admin, with a reason), never deleted; the latest one not reopened is what holds.
-- Keep in step with ../../postgres/2026-11-30-000003_fund_closures/up.sql.
CREATE TABLE fund_closures (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    date DATE NOT NULL,
    closed_by BIGINT NOT NULL REFERENCES users (id),
    closed_at TIMESTAMP NOT NULL,
    reopened_by BIGINT REFERENCES users (id),
    reopened_at TIMESTAMP,
    reopen_reason TEXT
);
CREATE INDEX fund_closures_fund_idx ON fund_closures (fund_id, date);
