CREATE TABLE outbox (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    recipient TEXT NOT NULL,
    subject TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    next_attempt_at TIMESTAMP NOT NULL,
    sent_at TIMESTAMP,
    last_error TEXT
);
CREATE INDEX outbox_due ON outbox (sent_at, next_attempt_at);
INSERT INTO outbox (recipient, subject, body, created_at, attempts, next_attempt_at, last_error)
SELECT payload::json ->> 'to', payload::json ->> 'subject', payload::json ->> 'body',
       created_at, attempts, run_after, last_error
FROM jobs WHERE kind = 'mail' AND status IN ('queued', 'running');
DROP TABLE jobs;
DROP TABLE changes;
