-- The admin's memory: every save of a post kept as a revision, addresses of content deleted
-- for good (they answer 410), and the audit log of who did what.

CREATE TABLE post_revisions (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    -- Who saved it; NULL once that account is deleted.
    author_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL,
    title TEXT NOT NULL,
    markdown TEXT NOT NULL
);
CREATE INDEX post_revisions_post ON post_revisions (post_id, id);

-- Paths whose content was deleted permanently: they answer 410 until reused.
CREATE TABLE gone_paths (
    path TEXT PRIMARY KEY NOT NULL,
    deleted_at TIMESTAMP NOT NULL
);

CREATE TABLE audit_log (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    -- Who acted; their name is copied so the entry outlives the account.
    actor_id BIGINT REFERENCES users (id) ON DELETE SET NULL,
    actor_name TEXT NOT NULL,
    action TEXT NOT NULL,
    object_type TEXT NOT NULL,
    object_id BIGINT,
    summary TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE INDEX audit_log_created ON audit_log (created_at, id);
CREATE INDEX audit_log_actor ON audit_log (actor_id, id);
CREATE INDEX audit_log_object ON audit_log (object_type, id);

-- The site's icon and social profiles (a JSON list of {network, url}).
ALTER TABLE site_settings ADD COLUMN icon_url TEXT;
ALTER TABLE site_settings ADD COLUMN social TEXT NOT NULL DEFAULT '[]';

-- A tag's own title and description for search engines.
ALTER TABLE tags ADD COLUMN meta_title TEXT;
ALTER TABLE tags ADD COLUMN meta_description TEXT;

-- The media library: uploaded images, re-encoded under generated names, with their resized
-- variants (widths as a JSON list) beside them in the media directory.
CREATE TABLE media (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    stem TEXT NOT NULL,
    extension TEXT NOT NULL,
    original_name TEXT NOT NULL,
    width INTEGER NOT NULL,
    height INTEGER NOT NULL,
    bytes BIGINT NOT NULL,
    variants TEXT NOT NULL DEFAULT '[]',
    -- Aspect-ratio crops for search engines, as a JSON list such as ["16x9", "1x1"].
    crops TEXT NOT NULL DEFAULT '[]',
    alt TEXT NOT NULL DEFAULT '',
    uploaded_by BIGINT REFERENCES users (id) ON DELETE SET NULL,
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX media_stem ON media (stem);
CREATE INDEX media_created ON media (created_at, id);

-- The admin's lists, read a page at a time in these orders.
CREATE INDEX posts_kind_updated ON posts (kind, updated_at, id);
CREATE INDEX users_role_created ON users (role, created_at, id);

-- Site search: the words of posts' titles and text, indexed (no stemming: any language).
CREATE INDEX posts_search ON posts
    USING GIN (to_tsvector('simple', title || ' ' || markdown));
