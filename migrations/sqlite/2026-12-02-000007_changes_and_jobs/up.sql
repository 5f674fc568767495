-- What each write touched, in the order the writes committed: every instance reads the rows
-- after the last one it saw (one range read of the primary key) and drops from its caches
-- what depends on them. AUTOINCREMENT: an id is never reused, even after pruning.
CREATE TABLE changes (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL CHECK (scope IN ('site', 'listings', 'post', 'tag', 'author')),
    object_id INTEGER,
    at TIMESTAMP NOT NULL
);
-- The site as it stands counts as changed when it last changed, so Last-Modified holds.
INSERT INTO changes (scope, object_id, at)
SELECT 'site', NULL, COALESCE(MAX(at), CURRENT_TIMESTAMP) FROM (
    SELECT MAX(updated_at) AS at FROM posts
    UNION ALL SELECT MAX(updated_at) FROM tags
    UNION ALL SELECT MAX(updated_at) FROM users WHERE role <> 'member'
    UNION ALL SELECT MAX(updated_at) FROM site_settings
) AS latest;

-- The durable job queue: enqueued in the transaction of the change that causes a job,
-- claimed by one worker at a time under a lease, retried with backoff, kept when it fails.
CREATE TABLE jobs (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    kind TEXT NOT NULL,
    payload TEXT NOT NULL,
    idempotency_key TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    run_after TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    max_attempts INTEGER NOT NULL,
    lease_until TIMESTAMP,
    leased_by TEXT,
    last_error TEXT,
    created_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE UNIQUE INDEX jobs_idempotency ON jobs (idempotency_key);
CREATE INDEX jobs_due ON jobs (status, run_after, id);

-- Mail waiting in the old outbox becomes mail jobs; delivered mail is history.
INSERT INTO jobs (kind, payload, idempotency_key, status, run_after, attempts, max_attempts,
                  last_error, created_at)
SELECT 'mail', json_object('to', recipient, 'subject', subject, 'body', body),
       'mail:outbox:' || id, 'queued', next_attempt_at, attempts, 8, last_error, created_at
FROM outbox WHERE sent_at IS NULL AND attempts < 8;
DROP TABLE outbox;
