-- Programs that use the API: each has a name, the scopes it was granted, and two keys, kept
-- only as SHA-256 hashes (the keys are long random strings, shown once when made).
CREATE TABLE integrations (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name TEXT NOT NULL,
    scopes TEXT NOT NULL,
    content_key_hash TEXT NOT NULL UNIQUE,
    admin_key_hash TEXT NOT NULL UNIQUE,
    -- The admin key's last characters, so people can tell keys apart.
    admin_key_hint TEXT NOT NULL,
    created_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    rotated_at TIMESTAMP,
    last_used_at TIMESTAMP,
    revoked_at TIMESTAMP
);
