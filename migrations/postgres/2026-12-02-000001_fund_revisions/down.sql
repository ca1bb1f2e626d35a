DROP TRIGGER loan_reschedules_revise_fund ON loan_reschedules;
DROP TRIGGER settled_loan_totals_revise_fund ON settled_loan_totals;
DROP TRIGGER journal_entries_revise_fund ON journal_entries;
DROP TRIGGER loans_revise_fund ON loans;
DROP FUNCTION revise_fund_of_loan();
DROP FUNCTION revise_fund_of_row();
DROP FUNCTION revise_fund(BIGINT);
DROP TABLE fund_revisions;
