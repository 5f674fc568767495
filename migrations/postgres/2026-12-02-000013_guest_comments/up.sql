-- A guest's comment waits here, out of every conversation and queue, until the address it
-- gives is confirmed by the link mailed to it; then it becomes a comment like any other.
CREATE TABLE guest_comments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    parent_id BIGINT REFERENCES comments (id) ON DELETE CASCADE,
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    author_url TEXT NOT NULL,
    markdown TEXT NOT NULL,
    html TEXT NOT NULL,
    notify_replies BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX guest_comments_by_email ON guest_comments (author_email, created_at);
CREATE INDEX comments_by_email ON comments (author_email, status);

-- The moderation queue is a scope of its own, so open queues update live; pages ignore it.
ALTER TABLE changes DROP CONSTRAINT changes_scope_check;
ALTER TABLE changes ADD CONSTRAINT changes_scope_check
    CHECK (scope IN ('site', 'listings', 'post', 'tag', 'author', 'conversation', 'moderation'));
