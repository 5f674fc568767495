DROP TABLE media;
ALTER TABLE tags DROP COLUMN meta_description;
ALTER TABLE tags DROP COLUMN meta_title;
ALTER TABLE site_settings DROP COLUMN social;
ALTER TABLE site_settings DROP COLUMN icon_url;
DROP TABLE audit_log;
DROP TABLE gone_paths;
DROP TABLE post_revisions;
