-- Comments under posts and pages, threaded: `thread_id` is the top-level comment a reply
-- belongs to (its own id for a top-level one), so a page of threads is one indexed read.
CREATE TABLE comments (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    parent_id BIGINT REFERENCES comments (id) ON DELETE CASCADE,
    thread_id BIGINT,
    depth INTEGER NOT NULL,
    user_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    author_name TEXT NOT NULL,
    author_email TEXT NOT NULL,
    author_url TEXT NOT NULL,
    staff BOOLEAN NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'approved', 'spam', 'trash', 'deleted')),
    reports INTEGER NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    edited_at TIMESTAMP,
    markdown TEXT NOT NULL,
    html TEXT NOT NULL
);
CREATE INDEX comments_by_thread ON comments (post_id, thread_id, created_at);
CREATE INDEX comments_by_status ON comments (status, created_at);
CREATE INDEX comments_by_user ON comments (user_id, created_at);

-- One report per member per comment (a unique key, not a check before inserting).
CREATE TABLE comment_reports (
    comment_id BIGINT NOT NULL REFERENCES comments (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL,
    PRIMARY KEY (comment_id, user_id)
);

-- Members barred from commenting.
CREATE TABLE comment_bans (
    user_id BIGINT PRIMARY KEY REFERENCES users (id) ON DELETE CASCADE,
    created_at TIMESTAMP NOT NULL
);

ALTER TABLE posts ADD COLUMN comments_open BOOLEAN NOT NULL DEFAULT TRUE;
-- Who may comment and the moderation rules, as JSON (defaults when empty).
ALTER TABLE site_settings ADD COLUMN comments TEXT NOT NULL DEFAULT '{}';

-- A comment changes only its post's conversation: a scope of its own, so neighbours and
-- listings stay cached.
ALTER TABLE changes DROP CONSTRAINT changes_scope_check;
ALTER TABLE changes ADD CONSTRAINT changes_scope_check
    CHECK (scope IN ('site', 'listings', 'post', 'tag', 'author', 'conversation'));
