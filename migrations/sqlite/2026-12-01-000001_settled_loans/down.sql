DROP TABLE settled_loan_totals;
DROP INDEX loans_unsettled_idx;
ALTER TABLE loans DROP COLUMN settled_on;
