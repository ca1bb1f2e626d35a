-- The triggers as migration 2026-12-02-000001 made them, without the loans' numbers.
DROP TRIGGER loans_insert_revises_fund;
CREATE TRIGGER loans_insert_revises_fund AFTER INSERT ON loans BEGIN
    INSERT INTO fund_revisions (fund_id, revision) VALUES (NEW.fund_id, 1)
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;
DROP TRIGGER loans_update_revises_fund;
CREATE TRIGGER loans_update_revises_fund AFTER UPDATE ON loans BEGIN
    INSERT INTO fund_revisions (fund_id, revision) VALUES (NEW.fund_id, 1)
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;
DROP TRIGGER loans_delete_revises_fund;
CREATE TRIGGER loans_delete_revises_fund AFTER DELETE ON loans BEGIN
    INSERT INTO fund_revisions (fund_id, revision) VALUES (OLD.fund_id, 1)
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;
DROP TRIGGER journal_entries_insert_revises_fund;
CREATE TRIGGER journal_entries_insert_revises_fund AFTER INSERT ON journal_entries BEGIN
    INSERT INTO fund_revisions (fund_id, revision) VALUES (NEW.fund_id, 1)
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;
DROP TRIGGER loan_reschedules_insert_revises_fund;
CREATE TRIGGER loan_reschedules_insert_revises_fund AFTER INSERT ON loan_reschedules BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT fund_id, 1 FROM loans WHERE id = NEW.loan_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;
DROP TRIGGER loan_reschedules_update_revises_fund;
CREATE TRIGGER loan_reschedules_update_revises_fund AFTER UPDATE ON loan_reschedules BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT fund_id, 1 FROM loans WHERE id = NEW.loan_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;
DROP TRIGGER loan_reschedules_delete_revises_fund;
CREATE TRIGGER loan_reschedules_delete_revises_fund AFTER DELETE ON loan_reschedules BEGIN
    INSERT INTO fund_revisions (fund_id, revision) SELECT fund_id, 1 FROM loans WHERE id = OLD.loan_id
    ON CONFLICT (fund_id) DO UPDATE SET revision = revision + 1;
END;
DROP TABLE loan_revisions;
