-- Tag and author pages list their posts newest first. With each link carrying its post's
-- publication time, those listings walk one index in order and stop after a page, instead of
-- gathering and sorting every post of a tag (which grows with the site). Triggers keep the
-- copy equal to posts.published_at whatever writes it.
ALTER TABLE post_tags ADD COLUMN published_at TIMESTAMP;
ALTER TABLE post_authors ADD COLUMN published_at TIMESTAMP;
UPDATE post_tags SET published_at = (SELECT published_at FROM posts WHERE posts.id = post_tags.post_id);
UPDATE post_authors SET published_at = (SELECT published_at FROM posts WHERE posts.id = post_authors.post_id);

DROP INDEX post_tags_tag;
CREATE INDEX post_tags_listing ON post_tags (tag_id, published_at, post_id);
DROP INDEX post_authors_user;
CREATE INDEX post_authors_listing ON post_authors (user_id, published_at, post_id);

CREATE TRIGGER post_tags_published_at AFTER INSERT ON post_tags BEGIN
    UPDATE post_tags SET published_at = (SELECT published_at FROM posts WHERE id = new.post_id)
        WHERE post_id = new.post_id AND tag_id = new.tag_id;
END;
CREATE TRIGGER post_authors_published_at AFTER INSERT ON post_authors BEGIN
    UPDATE post_authors SET published_at = (SELECT published_at FROM posts WHERE id = new.post_id)
        WHERE post_id = new.post_id AND user_id = new.user_id;
END;
CREATE TRIGGER posts_published_at_to_links AFTER UPDATE OF published_at ON posts
    WHEN old.published_at IS NOT new.published_at BEGIN
    UPDATE post_tags SET published_at = new.published_at WHERE post_id = new.id;
    UPDATE post_authors SET published_at = new.published_at WHERE post_id = new.id;
END;
