ALTER TABLE site_settings DROP COLUMN content_api_key_required;
