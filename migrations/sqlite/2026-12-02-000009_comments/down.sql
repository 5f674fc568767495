DELETE FROM changes WHERE scope = 'conversation';
CREATE TABLE changes_old (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL CHECK (scope IN ('site', 'listings', 'post', 'tag', 'author')),
    object_id INTEGER,
    at TIMESTAMP NOT NULL
);
INSERT INTO changes_old (id, scope, object_id, at) SELECT id, scope, object_id, at FROM changes;
DROP TABLE changes;
ALTER TABLE changes_old RENAME TO changes;
ALTER TABLE site_settings DROP COLUMN comments;
ALTER TABLE posts DROP COLUMN comments_open;
DROP TABLE comment_bans;
DROP TABLE comment_reports;
DROP TABLE comments;
