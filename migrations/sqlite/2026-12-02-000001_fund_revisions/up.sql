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
-- (SQLite has one writer at a time: its triggers run at once; PostgreSQL's at the commit.) A fund
-- without a row has never changed: its number is 0. An upsert from a SELECT needs its WHERE.
-- Keep in step with ../../postgres/2026-12-02-000001_fund_revisions/up.sql.
CREATE TABLE fund_revisions (
    fund_id BIGINT PRIMARY KEY NOT NULL,
    revision BIGINT NOT NULL
);

CREATE TRIGGER loans_insert_revises_fund AFTER INSERT ON loans BEGIN
    INSERT INTO fund_revisions (fund_id, revision) VALUES (NEW.fund_id, 1)
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER loans_update_revises_fund AFTER UPDATE ON loans BEGIN
    INSERT INTO fund_revisions (fund_id, revision) VALUES (NEW.fund_id, 1)
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER loans_delete_revises_fund AFTER DELETE ON loans BEGIN
    INSERT INTO fund_revisions (fund_id, revision) VALUES (OLD.fund_id, 1)
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER journal_entries_insert_revises_fund AFTER INSERT ON journal_entries BEGIN
    INSERT INTO fund_revisions (fund_id, revision) VALUES (NEW.fund_id, 1)
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER settled_loan_totals_insert_revises_fund AFTER INSERT ON settled_loan_totals BEGIN
    INSERT INTO fund_revisions (fund_id, revision) VALUES (NEW.fund_id, 1)
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER settled_loan_totals_update_revises_fund AFTER UPDATE ON settled_loan_totals BEGIN
    INSERT INTO fund_revisions (fund_id, revision) VALUES (NEW.fund_id, 1)
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER settled_loan_totals_delete_revises_fund AFTER DELETE ON settled_loan_totals BEGIN
    INSERT INTO fund_revisions (fund_id, revision) VALUES (OLD.fund_id, 1)
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER loan_reschedules_insert_revises_fund AFTER INSERT ON loan_reschedules BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT fund_id, 1 FROM loans WHERE id = NEW.loan_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER loan_reschedules_update_revises_fund AFTER UPDATE ON loan_reschedules BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT fund_id, 1 FROM loans WHERE id = NEW.loan_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER loan_reschedules_delete_revises_fund AFTER DELETE ON loan_reschedules BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT fund_id, 1 FROM loans WHERE id = OLD.loan_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;
