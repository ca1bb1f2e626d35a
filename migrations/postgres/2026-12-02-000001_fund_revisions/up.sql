-- A number per fund that every change to what its portfolio reads moves on. A server keeps the
-- portfolio of today between views and reads it again only when this number has moved
-- (`src/fund/portfolio_kept.rs`). The database moves it, in triggers, so no path that writes
-- those tables can forget to. The report reads loans, their plans (installments, reschedules),
-- repayments with their allocations and reversals, the journal and the settled loans' totals;
-- the triggers are on the four tables that every such change writes in its transaction:
-- - `loans`: a loan asked for, decided on, disbursed, repaid, written off, settled, reopened;
-- - `journal_entries`: every movement of money — a repayment (its allocation, the installments'
--   paid amounts), a reversal, a disbursement, a write-off (`pallay check` holds each repayment and
--   each installment's paid amounts to the journal);
-- - `loan_reschedules`: a reschedule proposed, approved (its new installments), undone;
-- - `settled_loan_totals`: loans settled into the totals, or taken back out.
-- Here the triggers are deferred to the commit: the fund's row is locked only from there to the
-- end, as the running totals are, and two repayments of one fund still run side by side until
-- then. A fund without a row has never changed: its number is 0.
-- Keep in step with ../../sqlite/2026-12-02-000001_fund_revisions/up.sql.
CREATE TABLE fund_revisions (
    fund_id BIGINT PRIMARY KEY,
    revision BIGINT NOT NULL
);

CREATE FUNCTION revise_fund(fund BIGINT) RETURNS void LANGUAGE sql AS $$
    INSERT INTO fund_revisions (fund_id, revision) VALUES (fund, 1)
    ON CONFLICT (fund_id) DO UPDATE SET revision = fund_revisions.revision + 1;
$$;

-- For the tables with the fund's id.
CREATE FUNCTION revise_fund_of_row() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' THEN
        PERFORM revise_fund(OLD.fund_id);
    ELSE
        PERFORM revise_fund(NEW.fund_id);
    END IF;
    RETURN NULL;
END $$;

-- For the tables with a loan's id.
CREATE FUNCTION revise_fund_of_loan() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE CONSTRAINT TRIGGER loans_revise_fund AFTER INSERT OR UPDATE OR DELETE ON loans
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revise_fund_of_row();
CREATE CONSTRAINT TRIGGER journal_entries_revise_fund AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revise_fund_of_row();
CREATE CONSTRAINT TRIGGER settled_loan_totals_revise_fund AFTER INSERT OR UPDATE OR DELETE ON settled_loan_totals
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revise_fund_of_row();
CREATE CONSTRAINT TRIGGER loan_reschedules_revise_fund AFTER INSERT OR UPDATE OR DELETE ON loan_reschedules
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revise_fund_of_loan();
