-- Gender equity committees: their members, meetings, and the actions agreed and followed up.
-- Keep in step with ../../postgres/2026-11-22-000003_committee/up.sql.

CREATE TABLE committees (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    name TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX committees_name_key ON committees (organization_id, name);

-- A seat on the committee: a member of the organisation, or a person named here.
CREATE TABLE committee_members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    committee_id BIGINT NOT NULL REFERENCES committees (id),
    member_id BIGINT REFERENCES members (id),
    name TEXT,
    position TEXT NOT NULL,
    term_start DATE NOT NULL,
    term_end DATE,
    CHECK (member_id IS NOT NULL OR name IS NOT NULL)
);
CREATE INDEX committee_members_committee_idx ON committee_members (committee_id);

CREATE TABLE meetings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    committee_id BIGINT NOT NULL REFERENCES committees (id),
    date DATE NOT NULL,
    place TEXT,
    minutes TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX meetings_committee_idx ON meetings (committee_id, date);

CREATE TABLE meeting_attendees (
    meeting_id BIGINT NOT NULL REFERENCES meetings (id),
    committee_member_id BIGINT NOT NULL REFERENCES committee_members (id),
    PRIMARY KEY (meeting_id, committee_member_id)
);

CREATE TABLE committee_actions (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    committee_id BIGINT NOT NULL REFERENCES committees (id),
    meeting_id BIGINT REFERENCES meetings (id),
    description TEXT NOT NULL,
    responsible_member_id BIGINT REFERENCES members (id),
    responsible_name TEXT,
    due_date DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'in_progress', 'done', 'cancelled')),
    status_reason TEXT,
    done_on DATE,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX committee_actions_committee_idx ON committee_actions (committee_id, status, due_date);
CREATE INDEX committee_actions_responsible_idx ON committee_actions (responsible_member_id);

CREATE TABLE action_notes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    action_id BIGINT NOT NULL REFERENCES committee_actions (id),
    date DATE NOT NULL,
    text TEXT NOT NULL,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX action_notes_action_idx ON action_notes (action_id);
