ALTER TABLE installments DROP COLUMN carried_penalty;
ALTER TABLE installments DROP COLUMN carried_interest;
ALTER TABLE installments DROP COLUMN superseded_on;
ALTER TABLE installments DROP COLUMN starts_on;
DROP TABLE loan_reschedules;
