-- A guest's comment waits here, out of every conversation and queue, until the address it
-- gives is confirmed by the link mailed to it; then it becomes a comment like any other.
CREATE TABLE guest_comments (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    parent_id BIGINT REFERENCES comments (id) ON DELETE CASCADE,
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    author_url TEXT NOT NULL,
    markdown TEXT NOT NULL,
    html TEXT NOT NULL,
    notify_replies BOOLEAN NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX guest_comments_by_email ON guest_comments (author_email, created_at);
CREATE INDEX comments_by_email ON comments (author_email, status);

-- The moderation queue is a scope of its own, so open queues update live; pages ignore it.
CREATE TABLE changes_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL CHECK (scope IN ('site', 'listings', 'post', 'tag', 'author', 'conversation', 'moderation')),
    object_id INTEGER,
    at TIMESTAMP NOT NULL
);
INSERT INTO changes_new (id, scope, object_id, at) SELECT id, scope, object_id, at FROM changes;
DROP TABLE changes;
ALTER TABLE changes_new RENAME TO changes;
