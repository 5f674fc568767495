-- Tag and author pages list their posts newest first. With each link carrying its post's
-- publication time, those listings walk one index in order and stop after a page, instead of
-- gathering and sorting every post of a tag (which grows with the site). Triggers keep the
-- copy equal to posts.published_at whatever writes it.
ALTER TABLE post_tags ADD COLUMN published_at TIMESTAMP;
ALTER TABLE post_authors ADD COLUMN published_at TIMESTAMP;
UPDATE post_tags SET published_at = posts.published_at FROM posts WHERE posts.id = post_tags.post_id;
UPDATE post_authors SET published_at = posts.published_at FROM posts WHERE posts.id = post_authors.post_id;

DROP INDEX post_tags_tag;
CREATE INDEX post_tags_listing ON post_tags (tag_id, published_at, post_id);
DROP INDEX post_authors_user;
CREATE INDEX post_authors_listing ON post_authors (user_id, published_at, post_id);

CREATE FUNCTION link_published_at() RETURNS trigger AS $$
BEGIN
    NEW.published_at := (SELECT published_at FROM posts WHERE id = NEW.post_id);
    RETURN NEW;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER post_tags_published_at BEFORE INSERT ON post_tags
    FOR EACH ROW EXECUTE FUNCTION link_published_at();
CREATE TRIGGER post_authors_published_at BEFORE INSERT ON post_authors
    FOR EACH ROW EXECUTE FUNCTION link_published_at();

CREATE FUNCTION posts_published_at_to_links() RETURNS trigger AS $$
BEGIN
    UPDATE post_tags SET published_at = NEW.published_at WHERE post_id = NEW.id;
    UPDATE post_authors SET published_at = NEW.published_at WHERE post_id = NEW.id;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER posts_published_at_to_links AFTER UPDATE OF published_at ON posts
    FOR EACH ROW WHEN (OLD.published_at IS DISTINCT FROM NEW.published_at)
    EXECUTE FUNCTION posts_published_at_to_links();
