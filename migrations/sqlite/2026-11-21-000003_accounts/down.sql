DROP TABLE outbox;
DROP TABLE account_tokens;
DROP TABLE sessions;
ALTER TABLE users DROP COLUMN status;
