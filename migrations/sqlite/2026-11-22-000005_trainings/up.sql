-- Trainings (workshops) and their attendance registers.
-- Keep in step with ../../postgres/2026-11-22-000005_trainings/up.sql.

-- Topics are data: the shipped ones below, and any an admin adds.
CREATE TABLE topics (
    key TEXT PRIMARY KEY NOT NULL,
    name_es TEXT NOT NULL,
    name_en TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
INSERT INTO topics (key, name_es, name_en, created_at) VALUES
    ('first_aid', 'Primeros auxilios', 'First aid', CURRENT_TIMESTAMP),
    ('food_safety', 'Inocuidad alimentaria', 'Food safety', CURRENT_TIMESTAMP),
    ('empowerment', 'Empoderamiento de la mujer', 'Women''s empowerment', CURRENT_TIMESTAMP),
    ('jewellery_design', 'Diseño de joyería', 'Jewellery design', CURRENT_TIMESTAMP),
    ('safety_at_work', 'Seguridad en el trabajo', 'Safety at work', CURRENT_TIMESTAMP),
    ('mercury_free_processing', 'Procesamiento sin mercurio', 'Mercury-free processing', CURRENT_TIMESTAMP);

CREATE TABLE trainings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    title TEXT NOT NULL,
    topic TEXT NOT NULL REFERENCES topics (key),
    date DATE NOT NULL,
    place TEXT,
    facilitator TEXT,
    notes TEXT,
    cancelled_at TIMESTAMP,
    cancel_reason TEXT,
    created_by BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX trainings_date_idx ON trainings (date);

-- The organisations whose members are invited.
CREATE TABLE training_organizations (
    training_id BIGINT NOT NULL REFERENCES trainings (id),
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (training_id, organization_id)
);
CREATE INDEX training_organizations_org_idx ON training_organizations (organization_id);

-- One line of a register: a member (her sex is read from her record), or a non-member named here
-- with her or his sex ('undisclosed' when not given, never guessed). `organization_id` is the
-- organisation the person came for; a member is counted under one organisation per training.
CREATE TABLE attendances (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    training_id BIGINT NOT NULL REFERENCES trainings (id),
    member_id BIGINT REFERENCES members (id),
    name TEXT,
    sex TEXT CHECK (sex IN ('female', 'male', 'other', 'undisclosed')),
    organization_id BIGINT REFERENCES organizations (id),
    status TEXT NOT NULL CHECK (status IN ('present', 'absent', 'excused')),
    CHECK ((member_id IS NOT NULL AND name IS NULL AND sex IS NULL)
        OR (member_id IS NULL AND name IS NOT NULL AND sex IS NOT NULL))
);
CREATE UNIQUE INDEX attendances_member_key ON attendances (training_id, member_id);
CREATE INDEX attendances_member_idx ON attendances (member_id);
