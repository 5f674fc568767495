-- Where an integration is told of changes: a target address, the events it wants, and the
-- secret deliveries are signed with (Standard Webhooks). The secret must be kept as it is
-- to sign with; after a rotation the previous one also signs until `previous_until`.
CREATE TABLE webhooks (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    integration_id BIGINT NOT NULL REFERENCES integrations (id) ON DELETE CASCADE,
    target_url TEXT NOT NULL,
    -- Event names, separated by spaces.
    events TEXT NOT NULL,
    secret TEXT NOT NULL,
    previous_secret TEXT,
    previous_until TIMESTAMP,
    -- Why deliveries stopped (the target said 410, or failed for three days); NULL while on.
    disabled_reason TEXT,
    -- Since when every delivery failed; NULL after a success.
    failing_since TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX webhooks_integration ON webhooks (integration_id);

-- One event for one webhook: the signed body, sent until the target takes it. Each attempt
-- is a run of the delivery's job; the row keeps the last one's outcome.
CREATE TABLE webhook_deliveries (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    webhook_id BIGINT NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
    -- The `webhook-id` header: the same for every attempt, so receivers can drop repeats.
    message_id TEXT NOT NULL UNIQUE,
    event TEXT NOT NULL,
    payload TEXT NOT NULL,
    -- pending, delivered or failed.
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    response_code INTEGER,
    duration_ms INTEGER,
    error TEXT,
    next_try_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    last_attempt_at TIMESTAMP
);
CREATE INDEX webhook_deliveries_webhook ON webhook_deliveries (webhook_id, id);
