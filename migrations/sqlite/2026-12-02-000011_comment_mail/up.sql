-- A commenter asks, per comment, to hear about replies to it.
ALTER TABLE comments ADD COLUMN notify_replies BOOLEAN NOT NULL DEFAULT 0;

-- Mail a person asked not to get, by kind ("comment-alerts": comments on their posts).
CREATE TABLE mail_opt_outs (
    user_id BIGINT NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    kind TEXT NOT NULL,
    PRIMARY KEY (user_id, kind)
);
