-- Which loans moved since a fund's number did: each change that moves the fund's number
-- (`fund_revisions`, migration 2026-12-02-000001) and belongs to a loan — the loan's own row, a
-- journal entry of the loan (a repayment, a reversal, a disbursement, a write-off) or a reschedule
-- of it — also writes that number beside the loan. A server that keeps a fund's portfolio of today
-- then reads again only the loans whose number is newer than the one it kept, not all of them
-- (`src/fund/portfolio_kept.rs`). The settled loans' totals belong to no loan: they move with a
-- loan's own row (settled, or reopened), and the server reads them again at every change.
-- The same triggers as before, each now writing both numbers in one body (SQLite does not promise
-- the order of two triggers on one event). No row for a loan: unchanged since this migration (a
-- server reads every loan at its start). An upsert from a SELECT needs its WHERE.
-- Keep in step with ../../postgres/2026-12-03-000001_loan_revisions/up.sql.
CREATE TABLE loan_revisions (
    loan_id BIGINT PRIMARY KEY NOT NULL,
    fund_id BIGINT NOT NULL,
    revision BIGINT NOT NULL
);
CREATE INDEX loan_revisions_by_fund ON loan_revisions (fund_id, revision);

DROP TRIGGER loans_insert_revises_fund;
CREATE TRIGGER loans_insert_revises_fund AFTER INSERT ON loans BEGIN
    INSERT INTO fund_revisions (fund_id, revision) VALUES (NEW.fund_id, 1)
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
    INSERT INTO loan_revisions (loan_id, fund_id, revision)
    SELECT NEW.id, fund_id, revision FROM fund_revisions WHERE fund_id = NEW.fund_id
    ON CONFLICT (loan_id) DO UPDATE SET revision = excluded.revision;
END;

DROP TRIGGER loans_update_revises_fund;
CREATE TRIGGER loans_update_revises_fund AFTER UPDATE ON loans BEGIN
    INSERT INTO fund_revisions (fund_id, revision) VALUES (NEW.fund_id, 1)
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
    INSERT INTO loan_revisions (loan_id, fund_id, revision)
    SELECT NEW.id, fund_id, revision FROM fund_revisions WHERE fund_id = NEW.fund_id
    ON CONFLICT (loan_id) DO UPDATE SET revision = excluded.revision;
END;

DROP TRIGGER loans_delete_revises_fund;
CREATE TRIGGER loans_delete_revises_fund AFTER DELETE ON loans BEGIN
    INSERT INTO fund_revisions (fund_id, revision) VALUES (OLD.fund_id, 1)
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
    INSERT INTO loan_revisions (loan_id, fund_id, revision)
    SELECT OLD.id, fund_id, revision FROM fund_revisions WHERE fund_id = OLD.fund_id
    ON CONFLICT (loan_id) DO UPDATE SET revision = excluded.revision;
END;

DROP TRIGGER journal_entries_insert_revises_fund;
CREATE TRIGGER journal_entries_insert_revises_fund AFTER INSERT ON journal_entries BEGIN
    INSERT INTO fund_revisions (fund_id, revision) VALUES (NEW.fund_id, 1)
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
    INSERT INTO loan_revisions (loan_id, fund_id, revision)
    SELECT NEW.loan_id, fund_id, revision FROM fund_revisions WHERE fund_id = NEW.fund_id AND NEW.loan_id IS NOT NULL
    ON CONFLICT (loan_id) DO UPDATE SET revision = excluded.revision;
END;

DROP TRIGGER loan_reschedules_insert_revises_fund;
CREATE TRIGGER loan_reschedules_insert_revises_fund AFTER INSERT ON loan_reschedules BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT fund_id, 1 FROM loans WHERE id = NEW.loan_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
    INSERT INTO loan_revisions (loan_id, fund_id, revision)
    SELECT NEW.loan_id, fund_id, revision FROM fund_revisions WHERE fund_id = (SELECT fund_id FROM loans WHERE id = NEW.loan_id)
    ON CONFLICT (loan_id) DO UPDATE SET revision = excluded.revision;
END;

DROP TRIGGER loan_reschedules_update_revises_fund;
CREATE TRIGGER loan_reschedules_update_revises_fund AFTER UPDATE ON loan_reschedules BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT fund_id, 1 FROM loans WHERE id = NEW.loan_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
    INSERT INTO loan_revisions (loan_id, fund_id, revision)
    SELECT NEW.loan_id, fund_id, revision FROM fund_revisions WHERE fund_id = (SELECT fund_id FROM loans WHERE id = NEW.loan_id)
    ON CONFLICT (loan_id) DO UPDATE SET revision = excluded.revision;
END;

DROP TRIGGER loan_reschedules_delete_revises_fund;
CREATE TRIGGER loan_reschedules_delete_revises_fund AFTER DELETE ON loan_reschedules BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT fund_id, 1 FROM loans WHERE id = OLD.loan_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
    INSERT INTO loan_revisions (loan_id, fund_id, revision)
    SELECT OLD.loan_id, fund_id, revision FROM fund_revisions WHERE fund_id = (SELECT fund_id FROM loans WHERE id = OLD.loan_id)
    ON CONFLICT (loan_id) DO UPDATE SET revision = excluded.revision;
END;
