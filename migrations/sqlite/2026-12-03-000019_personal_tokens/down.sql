-- SQLite cannot drop a column that refers to another table: the table is made again.
CREATE TABLE integrations_before (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    content_key_hash TEXT NOT NULL UNIQUE,
    admin_key_hash TEXT NOT NULL UNIQUE,
    admin_key_hint TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    rotated_at TIMESTAMP,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
INSERT INTO integrations_before
    SELECT id, name, scopes, content_key_hash, admin_key_hash, admin_key_hint, created_by,
           created_at, rotated_at, last_used_at, revoked_at
    FROM integrations WHERE user_id IS NULL;
DELETE FROM integrations WHERE user_id IS NOT NULL;
DROP TABLE integrations;
ALTER TABLE integrations_before RENAME TO integrations;
