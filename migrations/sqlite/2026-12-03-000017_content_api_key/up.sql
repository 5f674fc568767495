-- A site can ask programs reading its content API for a content key.
ALTER TABLE site_settings ADD COLUMN content_api_key_required BOOLEAN NOT NULL DEFAULT 0;
