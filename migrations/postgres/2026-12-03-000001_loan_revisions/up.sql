-- Which loans moved since a fund's number did: each change that moves the fund's number
-- (`fund_revisions`, migration 2026-12-02-000001) and belongs to a loan — the loan's own row, a
-- journal entry of the loan (a repayment, a reversal, a disbursement, a write-off) or a reschedule
-- of it — also writes that number beside the loan. A server that keeps a fund's portfolio of today
-- then reads again only the loans whose number is newer than the one it kept, not all of them
-- (`src/fund/portfolio_kept.rs`). The settled loans' totals belong to no loan: they move with a
-- loan's own row (settled, or reopened), and the server reads them again at every change.
-- The triggers stay deferred to the commit: the fund's row is locked there first, so a fund's
-- numbers are handed out in the order its changes commit, and a loan's row here is written only
-- while its fund's row is held. No row for a loan: unchanged since this migration (a server reads
-- every loan at its start).
-- Keep in step with ../../sqlite/2026-12-03-000001_loan_revisions/up.sql.
CREATE TABLE loan_revisions (
    loan_id BIGINT PRIMARY KEY,
    fund_id BIGINT NOT NULL,
    revision BIGINT NOT NULL
);
CREATE INDEX loan_revisions_by_fund ON loan_revisions (fund_id, revision);

-- The fund's number moves; the loan, if the change is one loan's, gets it.
CREATE FUNCTION revise_fund_and_loan(fund BIGINT, loan BIGINT) RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    moved BIGINT;
BEGIN
    INSERT INTO fund_revisions (fund_id, revision) VALUES (fund, 1)
    ON CONFLICT (fund_id) DO UPDATE SET revision = fund_revisions.revision + 1
    RETURNING revision INTO moved;
    IF loan IS NOT NULL THEN
        INSERT INTO loan_revisions (loan_id, fund_id, revision) VALUES (loan, fund, moved)
        ON CONFLICT (loan_id) DO UPDATE SET revision = EXCLUDED.revision;
    END IF;
END $$;

-- For `loans` (the loan is the row itself).
CREATE FUNCTION revise_fund_of_loan_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM revise_fund_and_loan(OLD.fund_id, OLD.id);
    ELSE
        PERFORM revise_fund_and_loan(NEW.fund_id, NEW.id);
    END IF;
    RETURN NULL;
END $$;

-- For `journal_entries` (the loan, if the entry is a loan's).
CREATE FUNCTION revise_fund_of_entry() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM revise_fund_and_loan(NEW.fund_id, NEW.loan_id);
    RETURN NULL;
END $$;

-- For `loan_reschedules` (the fund found through the loan).
CREATE OR REPLACE FUNCTION revise_fund_of_loan() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    loan BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        loan := OLD.loan_id;
    ELSE
        loan := NEW.loan_id;
    END IF;
    PERFORM revise_fund_and_loan(fund_id, loan) FROM loans WHERE id = loan;
    RETURN NULL;
END $$;

DROP TRIGGER loans_revise_fund ON loans;
CREATE CONSTRAINT TRIGGER loans_revise_fund AFTER INSERT OR UPDATE OR DELETE ON loans
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revise_fund_of_loan_row();
DROP TRIGGER journal_entries_revise_fund ON journal_entries;
CREATE CONSTRAINT TRIGGER journal_entries_revise_fund AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revise_fund_of_entry();
