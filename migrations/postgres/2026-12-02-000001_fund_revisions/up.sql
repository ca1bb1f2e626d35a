-- A number per fund that every change to what its portfolio reads moves on: loans, their plans
-- (installments, reschedules), repayments with their allocations and reversals, the journal, and
-- the settled loans' totals. A server keeps the portfolio of today between views and reads it
-- again only when this number has moved (`src/fund/portfolio_kept.rs`). The database moves it, in
-- triggers, so no path that writes those tables can forget to.
-- Here the triggers are deferred to the commit: the fund's row is locked only from there to the
-- end, as the running totals are, and two repayments of one fund still run side by side until
-- then. A fund without a row has never changed: its number is 0.
-- Keep in step with ../../sqlite/2026-12-02-000001_fund_revisions/up.sql.
CREATE TABLE fund_revisions (
    fund_id BIGINT PRIMARY KEY,
    revision BIGINT NOT NULL
);

CREATE FUNCTION revise_fund() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    changed jsonb;
    fund BIGINT;
BEGIN
    IF TG_OP = 'DELETE' THEN
        changed := to_jsonb(OLD);
    ELSE
        changed := to_jsonb(NEW);
    END IF;
    fund := COALESCE(
        (changed ->> 'fund_id')::BIGINT,
        (SELECT l.fund_id FROM loans l WHERE l.id = (changed ->> 'loan_id')::BIGINT),
        (SELECT l.fund_id FROM repayments r JOIN loans l ON l.id = r.loan_id
         WHERE r.id = (changed ->> 'repayment_id')::BIGINT));
    IF fund IS NOT NULL THEN
        INSERT INTO fund_revisions (fund_id, revision) VALUES (fund, 1)
        ON CONFLICT (fund_id) DO UPDATE SET revision = fund_revisions.revision + 1;
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER loans_revise_fund AFTER INSERT OR UPDATE OR DELETE ON loans
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revise_fund();
CREATE CONSTRAINT TRIGGER installments_revise_fund AFTER INSERT OR UPDATE OR DELETE ON installments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revise_fund();
CREATE CONSTRAINT TRIGGER loan_reschedules_revise_fund AFTER INSERT OR UPDATE OR DELETE ON loan_reschedules
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revise_fund();
CREATE CONSTRAINT TRIGGER repayments_revise_fund AFTER INSERT OR UPDATE OR DELETE ON repayments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revise_fund();
CREATE CONSTRAINT TRIGGER repayment_allocations_revise_fund AFTER INSERT OR UPDATE OR DELETE ON repayment_allocations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revise_fund();
CREATE CONSTRAINT TRIGGER repayment_reversals_revise_fund AFTER INSERT OR UPDATE OR DELETE ON repayment_reversals
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revise_fund();
CREATE CONSTRAINT TRIGGER journal_entries_revise_fund AFTER INSERT ON journal_entries
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revise_fund();
CREATE CONSTRAINT TRIGGER settled_loan_totals_revise_fund AFTER INSERT OR UPDATE OR DELETE ON settled_loan_totals
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION revise_fund();
