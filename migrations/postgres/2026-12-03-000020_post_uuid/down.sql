DROP INDEX posts_uuid;
ALTER TABLE posts DROP COLUMN uuid;
