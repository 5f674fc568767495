-- A second factor: the shared secret of an authenticator app, and the last time step whose
-- code was used (each code works once).
CREATE TABLE two_factor (
    user_id BIGINT PRIMARY KEY NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    secret TEXT NOT NULL,
    last_step BIGINT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
-- Single-use recovery codes, hashed.
CREATE TABLE recovery_codes (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    code_hash TEXT NOT NULL,
    used_at TIMESTAMP,
    PRIMARY KEY (user_id, code_hash)
);
ALTER TABLE site_settings ADD COLUMN staff_two_factor BOOLEAN NOT NULL DEFAULT 0;
