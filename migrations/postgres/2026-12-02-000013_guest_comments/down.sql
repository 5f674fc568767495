DELETE FROM changes WHERE scope = 'moderation';
ALTER TABLE changes DROP CONSTRAINT changes_scope_check;
ALTER TABLE changes ADD CONSTRAINT changes_scope_check
    CHECK (scope IN ('site', 'listings', 'post', 'tag', 'author', 'conversation'));
DROP INDEX comments_by_email;
DROP TABLE guest_comments;
