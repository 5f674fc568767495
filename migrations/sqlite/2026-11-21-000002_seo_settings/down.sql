DROP INDEX tags_updated;
DROP INDEX users_updated;
DROP INDEX posts_published;
DROP INDEX posts_updated;
ALTER TABLE site_settings DROP COLUMN feed_items;
ALTER TABLE site_settings DROP COLUMN logo_url;
ALTER TABLE site_settings DROP COLUMN discourage_search;
