-- A post's lasting identity as Ghost front ends know it (`uuid`), random, made once.
ALTER TABLE posts ADD COLUMN uuid TEXT;
UPDATE posts SET uuid = lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4'
    || substr(lower(hex(randomblob(2))), 2) || '-'
    || substr('89ab', (abs(random()) % 4) + 1, 1) || substr(lower(hex(randomblob(2))), 2)
    || '-' || lower(hex(randomblob(6)));
CREATE UNIQUE INDEX posts_uuid ON posts (uuid);
