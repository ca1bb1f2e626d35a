-- A reschedule (reprogramación) of a disbursed loan: new terms from a date, proposed by one person
-- and approved by another. On approval the installments still owing anything on that date are
-- superseded (kept, for the record and for reports of earlier dates) and the new plan is added;
-- what was owed on the date is carried into it exactly (DOMAIN.md, "Rescheduling").
-- Keep in step with ../../postgres/2026-11-30-000005_reschedules/up.sql.
CREATE TABLE loan_reschedules (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    loan_id BIGINT NOT NULL REFERENCES loans (id),
    date DATE NOT NULL,
    rate_per_period TEXT NOT NULL,
    periods BIGINT NOT NULL,
    frequency TEXT NOT NULL,
    first_due_date DATE NOT NULL,
    grace_periods BIGINT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('requested', 'approved', 'rejected')),
    requested_by BIGINT NOT NULL REFERENCES users (id),
    requested_at TIMESTAMP NOT NULL,
    decided_by BIGINT REFERENCES users (id),
    decided_at TIMESTAMP,
    -- Set on approval: what was carried into the new plan, and the loan's SBS grade on the date.
    principal BIGINT,
    carried_interest BIGINT,
    carried_penalties BIGINT,
    grade_at TEXT
);
CREATE INDEX loan_reschedules_loan_idx ON loan_reschedules (loan_id, status, date);

-- An installment is in force from `starts_on` (a reschedule's date; the loan's own plan: always)
-- until `superseded_on` (the date of the reschedule that replaced it). The first installment of
-- a new plan also carries the interest and penalties that were due and unpaid on its date.
ALTER TABLE installments ADD COLUMN starts_on DATE;
ALTER TABLE installments ADD COLUMN superseded_on DATE;
ALTER TABLE installments ADD COLUMN carried_interest BIGINT NOT NULL DEFAULT 0;
ALTER TABLE installments ADD COLUMN carried_penalty BIGINT NOT NULL DEFAULT 0;
