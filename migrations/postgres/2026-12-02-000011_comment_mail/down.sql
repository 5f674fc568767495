DROP TABLE mail_opt_outs;
ALTER TABLE comments DROP COLUMN notify_replies;
