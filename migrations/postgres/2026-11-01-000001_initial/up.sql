-- Quire's initial schema (PostgreSQL). Timestamps are naive UTC, set by the application.
CREATE TABLE users (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email TEXT NOT NULL,
    display_name TEXT NOT NULL,
    slug TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('owner', 'admin', 'editor', 'author', 'contributor', 'member')),
    bio TEXT NOT NULL DEFAULT '',
    website TEXT NOT NULL DEFAULT '',
    password_hash TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX users_email_lower ON users (lower(email));
CREATE UNIQUE INDEX users_slug ON users (slug);

CREATE TABLE posts (
    -- Small, often-filtered columns first: SQLite reads a row's columns in order, so the
    -- large text columns at the end are never touched when a query only filters or lists.
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('post', 'page')),
    slug TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('draft', 'scheduled', 'published')),
    published_at TIMESTAMP,
    deleted_at TIMESTAMP,
    featured BOOLEAN NOT NULL DEFAULT FALSE,
    noindex BOOLEAN NOT NULL DEFAULT FALSE,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version INTEGER NOT NULL DEFAULT 1,
    reading_minutes INTEGER NOT NULL DEFAULT 1,
    word_count INTEGER NOT NULL DEFAULT 0,
    title TEXT NOT NULL,
    custom_excerpt TEXT,
    excerpt TEXT NOT NULL DEFAULT '',
    feature_image TEXT,
    feature_image_alt TEXT,
    meta_title TEXT,
    meta_description TEXT,
    canonical_url TEXT,
    toc TEXT NOT NULL DEFAULT '[]',
    markdown TEXT NOT NULL DEFAULT '',
    html TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX posts_slug ON posts (slug);
-- Listings and neighbours read in (published_at, id) order straight from these, with no sort.
CREATE INDEX posts_listing ON posts (kind, published_at, id);
-- The home page lists featured posts, then the rest, each newest first.
CREATE INDEX posts_featured_listing ON posts (kind, featured, published_at, id);
-- Sitemaps and exports read posts in id order, a chunk at a time.
CREATE INDEX posts_kind_id ON posts (kind, id);

CREATE TABLE post_authors (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    sort_order INTEGER NOT NULL,
    PRIMARY KEY (post_id, user_id)
);
CREATE INDEX post_authors_user ON post_authors (user_id);

CREATE TABLE tags (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug TEXT NOT NULL,
    name TEXT NOT NULL,
    description TEXT NOT NULL DEFAULT '',
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX tags_slug ON tags (slug);

CREATE TABLE post_tags (
    post_id BIGINT NOT NULL REFERENCES posts (id) ON DELETE CASCADE,
    tag_id BIGINT NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
    sort_order INTEGER NOT NULL,
    PRIMARY KEY (post_id, tag_id)
);
CREATE INDEX post_tags_tag ON post_tags (tag_id);

-- One row (id = 1): the publication's settings. Navigation is a JSON list of {label, url}.
CREATE TABLE site_settings (
    id BIGINT PRIMARY KEY CHECK (id = 1),
    title TEXT NOT NULL,
    description TEXT NOT NULL,
    language TEXT NOT NULL,
    timezone TEXT NOT NULL,
    posts_per_page INTEGER NOT NULL,
    navigation TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);

CREATE TABLE redirects (
    id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    from_path TEXT NOT NULL,
    to_path TEXT NOT NULL,
    code INTEGER NOT NULL CHECK (code IN (301, 302)),
    created_at TIMESTAMP NOT NULL
);
CREATE UNIQUE INDEX redirects_from_path ON redirects (from_path);
