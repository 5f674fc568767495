-- "Discourage search engines" (staging sites), the publisher's logo, and feed length.
ALTER TABLE site_settings ADD COLUMN discourage_search BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE site_settings ADD COLUMN logo_url TEXT;
ALTER TABLE site_settings ADD COLUMN feed_items INTEGER NOT NULL DEFAULT 20;
CREATE INDEX posts_updated ON posts (updated_at);
CREATE INDEX posts_published ON posts (published_at);
CREATE INDEX users_updated ON users (updated_at);
CREATE INDEX tags_updated ON tags (updated_at);
