-- What the editor's script keeps while someone writes: one copy per post and person, the
-- whole form as typed, against the version it started from. Saving the post clears it; it
-- never makes a revision and never reaches readers.
CREATE TABLE working_copies (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    base_version INTEGER NOT NULL,
    form TEXT NOT NULL,
    saved_at TIMESTAMP NOT NULL,
    PRIMARY KEY (post_id, user_id)
);
