-- A number per fund that every change to what its portfolio reads moves on: loans, their plans
-- (installments, reschedules), repayments with their allocations and reversals, the journal, and
-- the settled loans' totals. A server keeps the portfolio of today between views and reads it
-- again only when this number has moved (`src/fund/portfolio_kept.rs`). The database moves it, in
-- triggers, so no path that writes those tables can forget to. (SQLite has one writer at a time:
-- the triggers run at once; PostgreSQL's wait for the commit.) A fund without a row has never
-- changed: its number is 0. (An upsert from a SELECT needs its WHERE: SQLite's own rule.)
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

CREATE TRIGGER installments_insert_revises_fund AFTER INSERT ON installments BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT fund_id, 1 FROM loans WHERE id = NEW.loan_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER installments_update_revises_fund AFTER UPDATE ON installments BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT fund_id, 1 FROM loans WHERE id = NEW.loan_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER installments_delete_revises_fund AFTER DELETE ON installments BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT fund_id, 1 FROM loans WHERE id = OLD.loan_id
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

CREATE TRIGGER repayments_insert_revises_fund AFTER INSERT ON repayments BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT fund_id, 1 FROM loans WHERE id = NEW.loan_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER repayments_update_revises_fund AFTER UPDATE ON repayments BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT fund_id, 1 FROM loans WHERE id = NEW.loan_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER repayments_delete_revises_fund AFTER DELETE ON repayments BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT fund_id, 1 FROM loans WHERE id = OLD.loan_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER repayment_allocations_insert_revises_fund AFTER INSERT ON repayment_allocations BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT l.fund_id, 1 FROM repayments p JOIN loans l ON l.id = p.loan_id
    WHERE p.id = NEW.repayment_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER repayment_allocations_update_revises_fund AFTER UPDATE ON repayment_allocations BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT l.fund_id, 1 FROM repayments p JOIN loans l ON l.id = p.loan_id
    WHERE p.id = NEW.repayment_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER repayment_allocations_delete_revises_fund AFTER DELETE ON repayment_allocations BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT l.fund_id, 1 FROM repayments p JOIN loans l ON l.id = p.loan_id
    WHERE p.id = OLD.repayment_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER repayment_reversals_insert_revises_fund AFTER INSERT ON repayment_reversals BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT l.fund_id, 1 FROM repayments p JOIN loans l ON l.id = p.loan_id
    WHERE p.id = NEW.repayment_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER repayment_reversals_update_revises_fund AFTER UPDATE ON repayment_reversals BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT l.fund_id, 1 FROM repayments p JOIN loans l ON l.id = p.loan_id
    WHERE p.id = NEW.repayment_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;

CREATE TRIGGER repayment_reversals_delete_revises_fund AFTER DELETE ON repayment_reversals BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT l.fund_id, 1 FROM repayments p JOIN loans l ON l.id = p.loan_id
    WHERE p.id = OLD.repayment_id
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
