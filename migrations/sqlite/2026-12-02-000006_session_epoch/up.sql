-- A counter per account, bumped whenever every other session of the account must end
-- (signed out everywhere, password changed or reset, suspended). Each signed-in session
-- carries the value it started with and is refused once they differ, so a session that
-- outlived its revocation (a request in flight at the time) is dead all the same.
ALTER TABLE users ADD COLUMN session_epoch INTEGER NOT NULL DEFAULT 0;
