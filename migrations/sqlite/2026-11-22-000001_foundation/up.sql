-- Foundation: organisations, members, users, sessions, tokens, login throttling, audit.
-- Keep in step with ../../postgres/2026-11-22-000001_foundation/up.sql (a test compares them).

CREATE TABLE organizations (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('association', 'cooperative')),
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX organizations_name_key ON organizations (name);

CREATE TABLE members (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    first_name TEXT NOT NULL,
    last_name TEXT NOT NULL,
    dni TEXT,
    sex TEXT NOT NULL CHECK (sex IN ('female', 'male', 'other', 'undisclosed')),
    birth_date DATE,
    phone TEXT,
    email TEXT,
    language TEXT NOT NULL CHECK (language IN ('es', 'qu', 'ay', 'en')),
    sms_consent BOOLEAN NOT NULL,
    sms_consent_at TIMESTAMP,
    sms_consent_by BIGINT REFERENCES users (id),
    email_consent BOOLEAN NOT NULL,
    email_consent_at TIMESTAMP,
    email_consent_by BIGINT REFERENCES users (id),
    anonymized_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX members_dni_key ON members (dni);
CREATE INDEX members_last_name_idx ON members (last_name);

CREATE TABLE member_organizations (
    member_id BIGINT NOT NULL REFERENCES members (id),
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (member_id, organization_id)
);
CREATE INDEX member_organizations_org_idx ON member_organizations (organization_id);

CREATE TABLE users (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    password_hash TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('admin', 'gender_staff', 'coordinator', 'member', 'viewer')),
    member_id BIGINT REFERENCES members (id),
    disabled_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_username_key ON users (username);

CREATE TABLE user_organizations (
    user_id BIGINT NOT NULL REFERENCES users (id),
    organization_id BIGINT NOT NULL REFERENCES organizations (id),
    PRIMARY KEY (user_id, organization_id)
);

-- Browser sessions. The cookie holds a random secret; only its SHA-256 is stored.
CREATE TABLE sessions (
    id TEXT PRIMARY KEY NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

-- API bearer tokens, stored as SHA-256 of the secret.
CREATE TABLE api_tokens (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    token_hash TEXT NOT NULL,
    user_id BIGINT NOT NULL REFERENCES users (id),
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
CREATE UNIQUE INDEX api_tokens_hash_key ON api_tokens (token_hash);

-- Login attempts, for throttling by username and by client address across processes.
CREATE TABLE login_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    username TEXT NOT NULL,
    client_ip TEXT NOT NULL,
    succeeded BOOLEAN NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX login_attempts_username_idx ON login_attempts (username, at);
CREATE INDEX login_attempts_ip_idx ON login_attempts (client_ip, at);

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TIMESTAMP NOT NULL,
    user_id BIGINT REFERENCES users (id),
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id BIGINT,
    before TEXT,
    after TEXT
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity, entity_id);
