DELETE FROM changes WHERE scope = 'moderation';
CREATE TABLE changes_new (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    scope TEXT NOT NULL CHECK (scope IN ('site', 'listings', 'post', 'tag', 'author', 'conversation')),
    object_id INTEGER,
    at TIMESTAMP NOT NULL
);
INSERT INTO changes_new (id, scope, object_id, at) SELECT id, scope, object_id, at FROM changes;
DROP TABLE changes;
ALTER TABLE changes_new RENAME TO changes;
DROP INDEX comments_by_email;
DROP TABLE guest_comments;
