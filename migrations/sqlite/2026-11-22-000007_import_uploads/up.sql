-- A file uploaded for import, kept between its preview and the user's choice to import it.
-- Keep in step with ../../postgres/2026-11-22-000007_import_uploads/up.sql.
CREATE TABLE import_uploads (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    user_id BIGINT NOT NULL REFERENCES users (id),
    kind TEXT NOT NULL CHECK (kind IN ('members', 'attendance', 'repayments')),
    training_id BIGINT REFERENCES trainings (id),
    filename TEXT NOT NULL,
    content BLOB NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX import_uploads_user_idx ON import_uploads (user_id);
