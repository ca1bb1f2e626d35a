-- The triggers as migration 2026-12-02-000001 made them, without the loans' numbers.
DROP TRIGGER loans_revise_fund ON loans;
CREATE CONSTRAINT TRIGGER loans_revise_fund AFTER INSERT OR UPDATE OR DELETE ON loans
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revise_fund_of_row();
DROP TRIGGER journal_entries_revise_fund ON journal_entries;
CREATE CONSTRAINT TRIGGER journal_entries_revise_fund AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revise_fund_of_row();
CREATE OR REPLACE FUNCTION revise_fund_of_loan() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    loan BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        loan := OLD.loan_id;
    ELSE
        loan := NEW.loan_id;
    END IF;
    PERFORM revise_fund(fund_id) FROM loans WHERE id = loan;
    RETURN NULL;
END $$;
DROP FUNCTION revise_fund_of_entry();
DROP FUNCTION revise_fund_of_loan_row();
DROP FUNCTION revise_fund_and_loan(BIGINT, BIGINT);
DROP TABLE loan_revisions;
