DELETE FROM changes WHERE scope = 'conversation';
ALTER TABLE changes DROP CONSTRAINT changes_scope_check;
ALTER TABLE changes ADD CONSTRAINT changes_scope_check
    CHECK (scope IN ('site', 'listings', 'post', 'tag', 'author'));
ALTER TABLE site_settings DROP COLUMN comments;
ALTER TABLE posts DROP COLUMN comments_open;
DROP TABLE comment_bans;
DROP TABLE comment_reports;
DROP TABLE comments;
