-- Paying a declining-balance loan off early waives the interest of installments not yet due:
-- each waiver is kept with the repayment that brought it, so reversing that repayment puts the
-- interest back in the plan. No money moves (interest is income only when paid).
-- Keep in step with ../../postgres/2026-11-30-000002_interest_waivers/up.sql.
CREATE TABLE interest_waivers (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    repayment_id BIGINT NOT NULL REFERENCES repayments (id),
    installment_id BIGINT NOT NULL REFERENCES installments (id),
    amount BIGINT NOT NULL CHECK (amount > 0)
);
CREATE INDEX interest_waivers_repayment_idx ON interest_waivers (repayment_id);
