DROP TABLE redirects;
DROP TABLE site_settings;
DROP TABLE post_tags;
DROP TABLE tags;
DROP TABLE post_authors;
DROP TABLE posts;
DROP TABLE users;
