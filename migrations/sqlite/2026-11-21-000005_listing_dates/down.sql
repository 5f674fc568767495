DROP TRIGGER posts_published_at_to_links;
DROP TRIGGER post_authors_published_at;
DROP TRIGGER post_tags_published_at;
DROP INDEX post_authors_listing;
CREATE INDEX post_authors_user ON post_authors (user_id);
DROP INDEX post_tags_listing;
CREATE INDEX post_tags_tag ON post_tags (tag_id);
ALTER TABLE post_authors DROP COLUMN published_at;
ALTER TABLE post_tags DROP COLUMN published_at;
