-- A loan repaid in full whose every date has passed no longer changes the portfolio of today:
-- what fell due and what was collected on it are final. Such loans are settled (`settled_on`, the
-- day it was done) and their part kept as running totals per fund and purpose, so today's report
-- reads only the loans still moving, whatever the fund's history. A reversal of one of its
-- repayments reopens the loan and takes its part back out. `pallay check` compares the totals
-- with the settled loans' installments. Reports of days before `through` read every loan.
-- Keep in step with ../../sqlite/2026-12-01-000001_settled_loans/up.sql.
ALTER TABLE loans ADD COLUMN settled_on DATE;
-- Only the loans still moving: the index stays the size of the loans in progress.
CREATE INDEX loans_unsettled_idx ON loans (fund_id) WHERE settled_on IS NULL;
CREATE TABLE settled_loan_totals (
    fund_id BIGINT NOT NULL REFERENCES funds (id),
    purpose TEXT NOT NULL,
    loans BIGINT NOT NULL,
    principal BIGINT NOT NULL,
    due BIGINT NOT NULL,
    collected BIGINT NOT NULL,
    through DATE NOT NULL,
    PRIMARY KEY (fund_id, purpose)
);
