-- A site has one owner, kept by the database too: two set-ups racing on PostgreSQL (or any
-- other path) cannot make a second.
CREATE UNIQUE INDEX users_one_owner ON users (role) WHERE role = 'owner';
