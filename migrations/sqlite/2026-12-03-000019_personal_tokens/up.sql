-- A personal token: an integration that acts as one member of staff, with their role's
-- rights; it goes with their account.
ALTER TABLE integrations ADD COLUMN user_id BIGINT REFERENCES users (id) ON DELETE CASCADE;
